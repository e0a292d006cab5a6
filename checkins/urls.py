from django.urls import path

from checkins import views

app_name = "checkins"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("poll/", views.poll, name="poll"),
    path("checkins/", views.checkin_create, name="create"),
    path("checkins/<int:pk>/delete/", views.checkin_remove, name="delete"),
    path("checkins/<int:pk>/answer/", views.answer_create, name="answer"),
    path("flags/<int:pk>/", views.flag, name="flag"),
    path("revisits/new/", views.revisit_new, name="revisit_new"),
    path("revisits/<int:pk>/", views.revisit, name="revisit"),
    path("revisits/<int:pk>/calendar.ics", views.revisit_calendar, name="revisit_calendar"),
    path(
        "revisits/<int:pk>/<slug:action>/",
        views.revisit_act,
        name="revisit_act",
    ),
]
