from django.contrib import admin
from django.urls import include, path

from attune import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("timeline/", include("checkins.urls")),
    path("articles/", include("content.urls")),
    path("admin/", admin.site.urls),
]
