from django.urls import path

from checkins import views

app_name = "checkins"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("poll/", views.poll, name="poll"),
    path("checkins/", views.checkin_create, name="create"),
    path("checkins/<int:pk>/delete/", views.checkin_remove, name="delete"),
    path("checkins/<int:pk>/answer/", views.answer_create, name="answer"),
]
