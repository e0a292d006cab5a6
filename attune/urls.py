from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import RedirectView

from attune import pwa, views
from content.sitemaps import ArticleSitemap, PagesSitemap
from therapists import views as therapist_views

SITEMAPS = {"pages": PagesSitemap, "articles": ArticleSitemap}
handler500 = views.server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url="/static/img/favicon.svg", permanent=True)),
    path("safety/", views.safety, name="safety"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("offline/", pwa.offline, name="offline"),
    path("partner/", views.partner, name="partner"),
    path("partner/invite/email/", views.invite_email, name="invite_email"),
    path("partner/invite/code/", views.invite_code, name="invite_code"),
    path(
        "partner/invitations/<int:pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("partner/code/", views.code_enter, name="code_enter"),
    path("partner/code/accept/", views.code_accept, name="code_accept"),
    path("partner/unlink/", views.unlink, name="unlink"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("partner/therapist/", therapist_views.therapist_access, name="therapist_access"),
    path(
        "partner/therapist/invite/",
        therapist_views.therapist_invite_view,
        name="therapist_invite",
    ),
    path(
        "partner/therapist/<int:pk>/consent/",
        therapist_views.therapist_consent_view,
        name="therapist_consent",
    ),
    path(
        "partner/therapist/<int:pk>/renew/",
        therapist_views.therapist_renew_view,
        name="therapist_renew",
    ),
    path(
        "partner/therapist/<int:pk>/revoke/",
        therapist_views.therapist_revoke_view,
        name="therapist_revoke",
    ),
    path("therapist/", therapist_views.therapist_dashboard, name="therapist_dashboard"),
    path("therapist/setup/", therapist_views.therapist_setup, name="therapist_setup"),
    path("therapist/join/", therapist_views.therapist_join_view, name="therapist_join"),
    path("therapist/couples/<int:pk>/", therapist_views.therapist_couple, name="therapist_couple"),
    path(
        "therapist/couples/<int:pk>/summary/",
        therapist_views.therapist_summary,
        name="therapist_summary",
    ),
    path("settings/", views.settings_page, name="settings"),
    path("settings/sharing/", views.sharing, name="sharing"),
    path("settings/push/", pwa.push_subscribe, name="push_subscribe"),
    path("settings/push/off/", pwa.push_unsubscribe, name="push_unsubscribe"),
    path("settings/push/<int:pk>/remove/", pwa.push_remove, name="push_remove"),
    path("settings/export.json", views.export, {"fmt": "json"}, name="export_json"),
    path("settings/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("settings/delete/", views.delete_account, name="delete_account"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notifications_bell, name="notifications_bell"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("accounts/", include("allauth.urls")),
    path("timeline/", include("checkins.urls")),
    path("articles/", include("content.urls")),
    path("admin/", admin.site.urls),
]
