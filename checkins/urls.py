from django.urls import path

from checkins import poll, views

app_name = "checkins"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("poll/", poll.poll, name="poll"),
    path("patterns/", views.patterns, name="patterns"),
    path("checkins/", views.checkin_create, name="create"),
    path("checkins/<int:pk>/delete/", views.checkin_remove, name="delete"),
    path("checkins/<int:pk>/answer/", views.answer_create, name="answer"),
    path("flags/<int:pk>/", views.flag, name="flag"),
    path("revisits/new/", views.revisit_new, name="revisit_new"),
    path("revisits/<int:pk>/", views.revisit, name="revisit"),
    path("revisits/<int:pk>/calendar.ics", views.revisit_calendar, name="revisit_calendar"),
    path("revisits/<int:pk>/accept/", views.revisit_accept_view, name="revisit_accept"),
    path("revisits/<int:pk>/decline/", views.revisit_decline_view, name="revisit_decline"),
    path("revisits/<int:pk>/cancel/", views.revisit_cancel_view, name="revisit_cancel"),
    path("revisits/<int:pk>/done/", views.revisit_done_view, name="revisit_done"),
    path("revisits/<int:pk>/rate/", views.revisit_rate_view, name="revisit_rate"),
    path("revisits/<int:pk>/more-time/", views.revisit_more_time_view, name="revisit_more_time"),
    path("revisits/<int:pk>/change/", views.revisit_change_view, name="revisit_change"),
]
