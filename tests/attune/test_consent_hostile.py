"""Consent that cannot be borrowed: every link, grant of access and change to how an account
is reached is an explicit act of the signed-in person it affects. Each test acts as a
hostile partner would, over HTTP, with one browser (test client) per person."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from attune.adapters import PENDING_INVITATION
from attune.models import (
    Consent,
    ConsentEvent,
    Membership,
    Notification,
    TherapistAccess,
    TherapistProfile,
    User,
)
from attune.selectors import couple_for_user
from attune.services import couple_unlink, therapist_invite
from checkins.models import Revisit, RevisitRating
from tests.factories import TEST_PASSWORD, TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db

INVITE = reverse("invite_email")


def log_in(browser: Client, user: User) -> None:
    """A real sign-in with the password, as a person types it (allauth records when)."""
    response = browser.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def accept(browser: Client, link: str) -> None:
    """Press accept on the invitation page: the password is asked for again, then it links."""
    response = browser.post(link)
    if response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate")):
        browser.post(response.url, {"password": TEST_PASSWORD})


def invitation_link(alex: User, email: str, django_capture_on_commit_callbacks) -> str:
    inviter = Client()
    inviter.force_login(alex)
    with django_capture_on_commit_callbacks(execute=True):
        inviter.post(INVITE, {"email": email})
    body = next(m.body for m in mail.outbox if m.to == [email])
    return re.search(r"http://testserver(/invite/\S+/)", body).group(1)


def sign_up(browser: Client, name: str, email: str, capture) -> None:
    with capture(execute=True):
        browser.post(
            reverse("account_signup"),
            {
                "display_name": name,
                "email": email,
                "password1": TEST_PASSWORD,
                "password2": TEST_PASSWORD,
                "time_zone": "Europe/Paris",
            },
        )


def confirm_link(email: str) -> str:
    body = next(m.body for m in reversed(mail.outbox) if m.to == [email])
    return re.search(r"http://testserver(/accounts/confirm-email/\S+/)", body).group(1)


# --- 1. An invitation planted in someone else's browser -----------------------------------


def test_a_planted_invitation_never_links_an_existing_account(
    client, django_capture_on_commit_callbacks
):
    alex = UserFactory(display_name="Alex")
    sam = UserFactory(display_name="Sam")  # Sam left Alex; Alex wants Sam back
    link = invitation_link(alex, sam.email, django_capture_on_commit_callbacks)
    # Alex opens the link on Sam's browser while it is signed out, and leaves.
    assertContains(client.get(link), "Alex invites you")
    # Later Sam signs in there and adds and confirms a new address.
    log_in(client, sam)
    assert PENDING_INVITATION not in client.session
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_email"), {"action_add": "", "email": "sam.new@example.com"})
    client.post(confirm_link("sam.new@example.com"))
    assert EmailAddress.objects.get(email="sam.new@example.com").verified
    assert couple_for_user(user=User.objects.get(pk=sam.pk)) is None
    assert not Membership.objects.exists()
    # Sam can still accept, by pressing accept on the invitation page.
    assertContains(client.get(link), "Link with Alex")
    accept(client, link)
    assert couple_for_user(user=User.objects.get(pk=sam.pk)).partner == alex


def test_an_invitee_who_signs_up_sees_the_invitation_and_links_only_by_accepting(
    client, django_capture_on_commit_callbacks
):
    alex = UserFactory(display_name="Alex")
    link = invitation_link(alex, "robin@example.com", django_capture_on_commit_callbacks)
    assertContains(client.get(link), "Alex invites you")
    sign_up(client, "Robin", "robin@example.com", django_capture_on_commit_callbacks)
    landed = client.post(confirm_link("robin@example.com"), follow=True)
    # Back on the invitation, which names who sent it; nothing is linked yet.
    assert landed.redirect_chain[-1][0] == link
    assertContains(landed, "Alex invites you")
    robin = User.objects.get(email="robin@example.com")
    assert couple_for_user(user=robin) is None
    assert PENDING_INVITATION not in client.session  # used once
    accept(client, link)
    assert couple_for_user(user=User.objects.get(pk=robin.pk)).partner == alex


def test_a_kept_invitation_expires(client, django_capture_on_commit_callbacks):
    alex = UserFactory(display_name="Alex")
    link = invitation_link(alex, "kim@example.com", django_capture_on_commit_callbacks)
    client.get(link)
    assert PENDING_INVITATION in client.session
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        sign_up(client, "Kim", "kim@example.com", django_capture_on_commit_callbacks)
        landed = client.post(confirm_link("kim@example.com"), follow=True)
    # Too late: the new account lands on its timeline, not on the old invitation.
    assert landed.redirect_chain[-1][0] == reverse("checkins:timeline")
    assert not Membership.objects.exists()


# --- 2. Therapist consent is given to a named therapist who has joined ---------------------


@pytest.fixture
def couple_browsers(partner_a, partner_b):
    alex, sam = Client(), Client()
    alex.force_login(partner_a)
    sam.force_login(partner_b)
    return alex, sam


def _consent(browser: Client, access: TherapistAccess):
    """Press "I consent", confirming the password when asked, as a person would."""
    url = reverse("therapist_consent", args=[access.pk])
    response = browser.post(url, follow=True)
    if response.redirect_chain and "reauthenticate" in response.redirect_chain[-1][0]:
        response = browser.post(
            response.redirect_chain[-1][0], {"password": TEST_PASSWORD}, follow=True
        )
    return response


def test_nobody_can_consent_before_a_therapist_joins_and_a_join_starts_nothing(
    client, couple_browsers, partner_a, partner_b
):
    alex, sam = couple_browsers
    made = alex.post(reverse("therapist_invite"), {"duration_days": "90"}, follow=True)
    code = re.search(r'<p class="code">([A-Z2-9]{4}-[A-Z2-9]{4})</p>', made.content.decode())[1]
    access = TherapistAccess.objects.get()
    assertNotContains(made, "I consent")
    # A consent to nobody in particular is refused, and changes nothing.
    for browser in (alex, sam):
        assertContains(_consent(browser, access), "Nobody has entered the code yet")
    assert not Consent.objects.exists()
    # The code goes to a puppet: a friend's therapist account (or Alex's own second one).
    puppet = TherapistFactory(display_name="Puppet", email="puppet@example.com")
    TherapistProfile.objects.create(
        user=puppet, professional_name="Dr. Pup Pet", practice="Nowhere Practice"
    )
    client.force_login(puppet)
    client.post(reverse("therapist_join"), {"code": code})
    access.refresh_from_db()
    assert access.therapist == puppet and not access.is_live
    assert client.get(reverse("therapist_couple", args=[access.pk])).status_code == 404
    # Each partner is told, and sees exactly who joined before consenting.
    for person in (partner_a, partner_b):
        assert Notification.objects.filter(user=person, kind="therapist_joined").exists()
    page = sam.get(reverse("therapist_access"))
    for shown in ("Dr. Pup Pet", "Nowhere Practice", "puppet@example.com"):
        assertContains(page, shown)
    assertContains(page, "I consent to Dr. Pup Pet seeing our timeline")
    # Alex consents to the puppet; without Sam nothing starts.
    _consent(alex, access)
    access.refresh_from_db()
    assert not access.is_live
    assert client.get(reverse("therapist_couple", args=[access.pk])).status_code == 404
    # Sam consents too, having seen who it is: now it starts, and both are told.
    _consent(sam, access)
    access.refresh_from_db()
    assert access.is_live
    assert client.get(reverse("therapist_couple", args=[access.pk])).status_code == 200
    for person in (partner_a, partner_b):
        assert Notification.objects.filter(user=person, kind="therapist_started").exists()


def test_a_consent_twice_to_a_started_access_or_by_a_stranger_changes_nothing(
    client, couple_browsers, half, outsider
):
    alex, sam = couple_browsers
    _consent(alex, half)
    events = ConsentEvent.objects.count()
    assertContains(_consent(alex, half), "You have already consented")
    assert ConsentEvent.objects.count() == events
    _consent(sam, half)
    assertContains(_consent(sam, half), "started already")
    client.force_login(outsider)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    url = reverse("therapist_consent", args=[half.pk])
    assert client.post(url).status_code == 404
    assert Consent.objects.filter(access=half).count() == 2


def test_a_borrowed_signed_in_phone_cannot_consent_and_ending_access_needs_nothing(
    client, half, partner_b
):
    client.force_login(partner_b)  # signed in long ago; the password not confirmed since
    response = client.post(reverse("therapist_consent", args=[half.pk]))
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not Consent.objects.filter(partner=partner_b).exists()
    # Ending access is quick and quiet: no password, at once.
    client.post(reverse("therapist_revoke", args=[half.pk]))
    half.refresh_from_db()
    assert half.ended_at is not None


def test_a_renewal_by_one_partner_waits_for_the_others_consent(
    client, couple_browsers, live, rivera
):
    alex, sam = couple_browsers
    for browser in (alex, sam):
        browser.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    alex.post(reverse("therapist_renew", args=[live.pk]))
    renewed = TherapistAccess.objects.exclude(pk=live.pk).get()
    assert renewed.therapist == rivera and not renewed.is_live
    client.force_login(rivera)
    assert client.get(reverse("therapist_couple", args=[renewed.pk])).status_code == 404
    assert client.get(reverse("therapist_couple", args=[live.pk])).status_code == 404
    _consent(sam, renewed)
    assert client.get(reverse("therapist_couple", args=[renewed.pk])).status_code == 200


def test_a_grant_that_had_started_keeps_working_after_the_migration(half, partner_a, partner_b):
    """Consents from before the rule name nobody; the migration names the therapist of a
    grant that had started, and leaves a pending one's for each partner to give again."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("attune.migrations.0007_consent_names_the_therapist")
    pending = TherapistAccess.objects.create(couple=half.couple, therapist=TherapistFactory())
    Consent.objects.create(access=pending, partner=partner_a)
    for partner in (partner_a, partner_b):
        Consent.objects.create(access=half, partner=partner)
    TherapistAccess.objects.filter(pk=half.pk).update(
        started_at=timezone.now(), expires_at=timezone.now() + timedelta(days=90)
    )
    migration.name_the_therapist_of_started_grants(apps, None)
    assert set(Consent.objects.filter(access=half).values_list("therapist", flat=True)) == {
        half.therapist_id
    }
    assert Consent.objects.get(access=pending).therapist_id is None


# --- 3. A rating's audience ------------------------------------------------------------------


def test_the_therapist_sees_a_revisits_ratings_together_without_names(
    client, couple_browsers, live, rivera, partner_a, partner_b, couple
):
    alex, sam = couple_browsers
    revisit = Revisit.objects.create(
        couple=couple,
        proposed_by=partner_a,
        scheduled_for=timezone.now() - timedelta(hours=2),
        status="done",
    )
    page = alex.get(reverse("checkins:revisit", args=[revisit.pk]))
    assertContains(page, "without who gave which")
    alex.post(reverse("checkins:revisit_rate", args=[revisit.pk]), {"rating": "2"})
    sam.post(reverse("checkins:revisit_rate", args=[revisit.pk]), {"rating": "5"})
    assert RevisitRating.objects.count() == 2
    client.force_login(rivera)
    summary = client.get(reverse("therapist_summary", args=[live.pk])).content.decode()
    assert "2/5 and 5/5" in summary
    ratings = summary[summary.index("How did it go?") :]
    ratings = ratings[: ratings.index("</ul>")]
    assert "Alex" not in ratings and "Sam" not in ratings
    # The patterns' picture of revisits gives the week's average, also without names.
    picture = summary[summary.index('id="s-revisits-title"') :]
    picture = picture[: picture.index("</figure>")]
    assert "3.5 on average, 2 answers" in picture
    assert "Alex" not in picture and "Sam" not in picture


# --- 4. A former partner's live profile ------------------------------------------------------


def test_after_an_unlink_the_export_holds_nothing_of_the_former_partners_profile(
    client, partner_a, partner_b, couple
):
    from tests.factories import CheckInFactory

    mine = CheckInFactory(author=partner_a)
    sam = Client()
    sam.force_login(partner_b)
    sam.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "see_you"})
    couple_unlink(user=partner_b)
    partner_b.display_name = "Samira Elsewhere"
    partner_b.time_zone = "Pacific/Auckland"
    partner_b.save()
    log_in(client, partner_a)
    page = client.get(reverse("checkins:timeline")).content.decode()
    assert "Your former partner: “I see you”" in page
    export = client.get(reverse("export_json")).content.decode()
    for live_detail in ("Samira", partner_b.email, "Auckland"):
        assert live_detail not in page and live_detail not in export


# --- 5. Changing how the account is reached asks for the password again -------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (reverse("account_email"), {"action_add": "", "email": "taker@example.com"}),
        (reverse("mfa_activate_totp"), None),
    ],
)
def test_a_borrowed_signed_in_phone_cannot_change_how_the_account_is_reached(
    client, partner_a, url, data
):
    log_in(client, partner_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(url, data) if data else client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="taker@example.com").exists()


def test_a_new_password_needs_the_current_one(client, partner_a):
    log_in(client, partner_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.post(
            reverse("account_change_password"),
            {"oldpassword": "guessed", "password1": "taken-over-9", "password2": "taken-over-9"},
        )
    assert User.objects.get(pk=partner_a.pk).check_password(TEST_PASSWORD)


def test_the_owner_who_confirms_the_password_adds_an_address_without_asking_again(
    client, partner_a, django_capture_on_commit_callbacks
):
    log_in(client, partner_a)
    url = reverse("account_email")
    data = {"action_add": "", "email": "mine@example.com"}
    # allauth asks once even right after signing in: a signed-in phone is not enough.
    assert client.post(url, data).url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, data)
    assert EmailAddress.objects.filter(email="mine@example.com", user=partner_a).exists()
    # A few minutes on, it asks again.
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        again = client.post(url, {"action_add": "", "email": "more@example.com"})
        assert again.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="more@example.com").exists()


# --- 6. Therapist join codes are rate limited ------------------------------------------------


def test_guessing_therapist_codes_is_limited(client, partner_a, partner_b):
    _access, code = therapist_invite(partner=partner_a, duration_days=90)
    guesser = TherapistFactory()
    client.force_login(guesser)
    answers = [
        client.post(reverse("therapist_join"), {"code": f"ABCD-EF{n:02d}"}).content.decode()
        for n in range(10)
    ]
    assert all("doesn&#x27;t match" in a or "A code has" in a for a in answers)
    refused = client.post(reverse("therapist_join"), {"code": code})
    assertContains(refused, "Too many tries. Wait a few minutes, then try again.")
    assert TherapistAccess.objects.get().therapist is None


# --- 7. Nobody can lock the owner out ------------------------------------------------------


def test_wrong_passwords_from_someone_else_leave_the_owner_a_way_in(client, partner_a):
    partner = Client()  # the other partner, at home, on the same network
    for _ in range(6):
        partner.post(reverse("account_login"), {"login": partner_a.email, "password": "wrong"})
    locked = client.post(
        reverse("account_login"), {"login": partner_a.email, "password": TEST_PASSWORD}
    )
    assertContains(locked, "Too many tries for this address")
    assertContains(locked, "Send me a sign-in code")
    # The owner asks for a code, which goes to their own inbox only, and is in.
    mail.outbox.clear()
    client.post(reverse("account_request_login_code"), {"email": partner_a.email})
    (message,) = mail.outbox
    assert message.to == [partner_a.email]
    code = re.search(r"below\.[^\n]*\n\s*\n\s*(\S+)\s*\n", message.body).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("settings")).status_code == 200
    # The partner who typed the wrong passwords got nowhere.
    assert partner.get(reverse("settings")).status_code == 302
