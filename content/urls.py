from django.urls import path

from content import views

app_name = "content"

urlpatterns = [
    path("", views.article_index, name="index"),
    path("search/", views.search, name="search"),
    path("feed/", views.ArticleFeed(), name="feed"),
    path("<slug:slug>/", views.article_detail, name="article"),
]
