"""Hostile input on every form: a clear message by the field or a 4xx, nothing stored,
nothing rendered unescaped, never a 500. Hypothesis drives the check-in and revisit forms."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune.models import Invitation, User
from checkins.models import CheckIn, Revisit

NASTY = [
    "x" * 5000,
    "\x00\x01\x02 control \x1b[31m",
    "😀🫶🏽 emoji and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u202eright-to-left override\u202c שלום مرحبا",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE attune_user; --",
    "{{ request.user.password }}{% debug %}",
    "../../etc/passwd",
    "",
    " ",
]
MARKUP = ["<script>alert('x')</script>", '"><img src=x onerror=alert(1)>']


def assert_safe(response, *, stored_before: int, stored_after: int, may_store: bool = False):
    assert response.status_code < 500
    html = response.content.decode(errors="replace")
    for raw in MARKUP:
        assert raw not in html, "rendered unescaped"
    if not may_store:
        assert stored_after == stored_before


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize(
    "field", ["state", "intensity", "need", "note", "occurred_at", "body_cues"]
)
def test_checkin_form(client, partner_a, partner_b, field, value):
    client.force_login(partner_a)
    data = {"state": "regulated", "intensity": "2", "need": "none", field: value}
    before = CheckIn.objects.count()
    response = client.post(reverse("checkins:create"), data)
    stored = CheckIn.objects.count()
    # Only a note (up to 1,000 characters, any text) or an optional field left empty may
    # legitimately be stored.
    optional_and_empty = field in ("need", "occurred_at") and value == ""
    assert_safe(
        response,
        stored_before=before,
        stored_after=stored,
        may_store=field == "note" or optional_and_empty,
    )
    if stored > before:
        note = CheckIn.objects.latest("pk").note
        assert len(note) <= 1000
        page = client.get(reverse("checkins:timeline")).content.decode()
        for raw in MARKUP:
            assert raw not in page


@pytest.mark.parametrize("value", NASTY)
def test_revisit_invitation_code_and_profile_forms(client, partner_a, partner_b, value):
    client.force_login(partner_a)
    revisits = Revisit.objects.count()
    assert_safe(
        client.post(reverse("checkins:revisit_new"), {"scheduled_for": value}),
        stored_before=revisits,
        stored_after=Revisit.objects.count(),
    )
    invitations = Invitation.objects.count()
    assert_safe(
        client.post(reverse("code_enter"), {"code": value}),
        stored_before=invitations,
        stored_after=Invitation.objects.count(),
    )
    client.force_login(User.objects.create_user("fresh@example.com", "x", display_name="F"))
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=User.objects.get(email="fresh@example.com"),
        email="fresh@example.com",
        verified=True,
        primary=True,
    )
    assert_safe(
        client.post(reverse("invite_email"), {"email": value}),
        stored_before=invitations,
        stored_after=Invitation.objects.count(),
    )
    client.force_login(partner_a)
    response = client.post(
        reverse("settings"),
        {
            "display_name": value,
            "time_zone": value,
            "quiet_hours_start": value,
            "quiet_hours_end": "08:00",
        },
    )
    assert response.status_code in (200, 302)
    partner_a.refresh_from_db()
    assert partner_a.time_zone == "Europe/Berlin"  # a bad zone never sticks


def test_forged_hidden_ids_change_nothing(client, partner_a, partner_b, outsider):
    client.force_login(partner_a)
    theirs = outsider.memberships.get().couple
    client.post(
        reverse("checkins:create"),
        {
            "state": "regulated",
            "intensity": "1",
            "couple": theirs.pk,
            "author": outsider.pk,
            "couple_id": theirs.pk,
        },
    )
    assert not CheckIn.objects.filter(couple=theirs).exists()
    client.post(reverse("checkins:revisit_new"), {"scheduled_for": "", "flag": "999999"})
    assert not Revisit.objects.exists()


def test_posts_without_a_csrf_token_are_refused(partner_a, partner_b):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(partner_a)
    for url, data in [
        (reverse("checkins:create"), {"state": "regulated", "intensity": "1"}),
        (reverse("invite_code"), {}),
        (reverse("settings"), {"display_name": "X", "time_zone": "UTC"}),
    ]:
        response = strict.post(url, data, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
    assert not CheckIn.objects.exists()
    assert not Invitation.objects.exists()


@override_settings(SECURE_SSL_REDIRECT=False)
def test_production_headers_on_a_real_response(settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"]
    from tests.factories import TEST_PASSWORD, UserFactory

    user = UserFactory()
    login = client.post(
        "/accounts/login/", {"login": user.email, "password": TEST_PASSWORD}, secure=True
    )
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


FORM_VALUES = st.one_of(
    st.text(max_size=60),
    st.integers(-10, 10).map(str),
    st.sampled_from(
        ["regulated", "activated", "shutdown", "connect", "space", "none", "shared", "only_me"]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["state", "intensity", "need", "note", "note_visibility", "occurred_at", "stressors"]
        ),
        FORM_VALUES,
    )
)
def test_generated_checkins_never_break_and_store_only_valid_rows(
    client, partner_a, partner_b, data
):
    client.force_login(partner_a)
    response = client.post(reverse("checkins:create"), data)
    assert response.status_code in (200, 302)
    for checkin in CheckIn.objects.all():
        assert checkin.state in ("regulated", "activated", "shutdown")
        assert 1 <= checkin.intensity <= 5
        assert checkin.author_id == partner_a.pk


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(minutes=st.integers(-3000, 3000), raw=st.text(max_size=30))
def test_generated_revisit_times_respect_the_window(client, partner_a, partner_b, minutes, raw):
    client.force_login(partner_a)
    when = timezone.localtime(
        timezone.now() + timedelta(minutes=minutes), timezone.get_fixed_timezone(60)
    )
    for value in (when.strftime("%Y-%m-%dT%H:%M"), raw):
        response = client.post(reverse("checkins:revisit_new"), {"scheduled_for": value})
        assert response.status_code in (200, 302)
    for revisit in Revisit.objects.all():
        delta = revisit.scheduled_for - revisit.created_at
        assert timedelta(minutes=18) <= delta <= timedelta(hours=24, minutes=1)
    Revisit.objects.all().delete()


def test_invitations_are_rate_limited(client, partner_a):
    client.force_login(partner_a)
    for _ in range(10):
        client.post(reverse("invite_code"))
    response = client.post(reverse("invite_code"), follow=True)
    assert "a lot of invitations" in response.content.decode()
    assert Invitation.objects.count() == 10


@pytest.mark.parametrize("value", ["7", "-30", "90; DROP", "", "<script>"])
def test_the_consent_form_refuses_odd_durations(client, partner_a, partner_b, value):
    from attune.models import TherapistAccess

    client.force_login(partner_a)
    response = client.post(reverse("therapist_invite"), {"duration_days": value})
    assert response.status_code == 200
    assert "id_duration_days_error" in response.content.decode()
    assert not TherapistAccess.objects.exists()


@pytest.mark.parametrize("value", NASTY)
def test_the_article_admin_form(client, db, value):
    from django.contrib.auth.models import Group

    from content.models import Article
    from tests.factories import UserFactory

    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    client.force_login(editor)
    response = client.post(
        reverse("admin:content_article_add"),
        {
            "title": value,
            "slug": value,
            "summary": value,
            "body": value,
            "takeaways": value,
            "faq": value,
            "references": value,
            "author": value,
            "reviewer": "",
            "status": "published",
            "publish_at_0": "2026-01-01",
            "publish_at_1": "10:00:00",
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302)
    for raw in MARKUP:
        assert raw not in response.content.decode()
    for article in Article.objects.all():  # whatever was accepted renders safely
        page = client.get(article.get_absolute_url()).content.decode()
        for raw in MARKUP:
            assert raw not in page.split('<div class="article__body">', 1)[-1]


def test_repeated_tags_are_kept_once(client, partner_a, partner_b):
    client.force_login(partner_a)
    data = {"state": "activated", "intensity": 3, "stressors": ["work", "sleep"] * 50}
    data["body_cues"] = ["tight_chest"] * 3
    assert client.post(reverse("checkins:create"), data).status_code == 302
    saved = CheckIn.objects.get()
    assert saved.stressors == ["sleep", "work"]  # the list's own order, each once
    assert saved.body_cues == ["tight_chest"]


@pytest.mark.parametrize(
    "data",
    [
        {"state": "activated", "intensity": 3, "note": "x" * 600_000},  # 600 KB
        {"state": "activated", "intensity": 3, **{f"f{i}": "1" for i in range(300)}},
    ],
    ids=["a body over 512 KB", "300 fields"],
)
def test_oversized_requests_are_refused_and_store_nothing(client, partner_a, partner_b, data):
    client.force_login(partner_a)
    client.raise_request_exception = False
    response = client.post(reverse("checkins:create"), data)
    assert response.status_code == 400
    assert "nothing was saved" in response.content.decode()
    assert not CheckIn.objects.exists()
