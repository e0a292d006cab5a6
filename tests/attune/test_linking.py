import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from attune.models import Couple, Invitation, Membership, Notification, User
from attune.selectors import couple_for_user
from attune.services import couple_link, couple_unlink, invitation_accept, invitation_create
from attune.tokens import CODE_ALPHABET, new_code, normalize_code, token_hash
from tests.data import race
from tests.factories import TEST_PASSWORD, UserFactory


def reauthenticate(client, user):
    """Sign in and confirm the password again, as allauth asks before sensitive actions."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302


def make_code(client, user) -> str:
    client.force_login(user)
    response = client.post(reverse("invite_code"), follow=True)
    return re.search(r'<p class="code"[^>]*>([A-Z0-9-]+)</p>', response.content.decode()).group(1)


def no_url(token: str) -> str:
    return f"http://testserver/invite/{token}/"


@pytest.fixture
def alex(db):
    return UserFactory(display_name="Alex", email="alex@example.com")


@pytest.fixture
def sam(db):
    return UserFactory(display_name="Sam", email="sam@example.com")


def test_codes_are_short_unambiguous_and_forgiving_to_type():
    for _ in range(200):
        code = new_code()
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
        assert not set(code) & set("01ILO")
        assert normalize_code(code.lower().replace("-", " ")) == code
    assert normalize_code("ABCD-EFG") is None
    assert normalize_code("ABCD-EFG0") is None
    assert set(CODE_ALPHABET).isdisjoint("01ILO")


def test_only_a_keyed_hash_of_the_secret_is_stored(alex):
    invitation, raw = invitation_create(
        inviter=alex, channel=Invitation.Channel.CODE, accept_url=no_url
    )
    assert raw not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert invitation.token_hash == token_hash(raw) != raw
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_linking_by_code_end_to_end(client, alex, sam):
    code = make_code(client, alex)
    reauthenticate(client, sam)  # linking asks for the password again
    confirm = client.post(reverse("code_enter"), {"code": code.lower()})
    assertContains(confirm, "Alex invites you")
    response = client.post(reverse("code_accept"), {"code": code})
    assertRedirects(response, reverse("checkins:timeline"))
    assert couple_for_user(user=sam).partner == alex
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == sam
    assert set(Notification.objects.values_list("user__email", "kind")) == {
        ("alex@example.com", "partner_linked"),
        ("sam@example.com", "partner_linked"),
    }
    assertContains(client.get(reverse("partner")), "You are linked with Alex")
    client.force_login(alex)
    assertContains(client.get(reverse("partner")), "You are linked with Sam")


@pytest.mark.parametrize(
    "code,message",
    [
        ("ABCD", "8 letters and digits"),
        ("ZZZZ-ZZZZ", "doesn't match an invitation"),
    ],
)
def test_a_wrong_or_malformed_code_is_explained_by_the_field(client, sam, code, message):
    client.force_login(sam)
    response = client.post(reverse("code_enter"), {"code": code})
    html = unescape(response.content.decode())
    assert message in html[html.index('id="id_code_error"') :][:200]
    assert not Couple.objects.exists()


def _refused(client, user, code, message):
    reauthenticate(client, user)
    response = client.post(reverse("code_accept"), {"code": code}, follow=True)
    assertContains(response, message)


def test_refusals_change_nothing(client, alex, sam):
    code = make_code(client, alex)
    _refused(client, alex, code, "This is your own invitation")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        _refused(client, sam, code, "has expired")
    assert not Couple.objects.exists()

    other = UserFactory(display_name="Kim")
    couple_link(first=sam, second=other)
    _refused(client, sam, code, "already linked")
    assert Invitation.objects.get().accepted_at is None
    assert Couple.objects.count() == 1


def test_used_and_withdrawn_invitations_are_refused(client, alex, sam):
    code = make_code(client, alex)
    client.force_login(alex)
    withdrawn = Invitation.objects.get()
    client.post(reverse("invitation_withdraw", args=[withdrawn.pk]))
    _refused(client, sam, code, "was withdrawn")

    code = make_code(client, alex)
    reauthenticate(client, sam)
    client.post(reverse("code_accept"), {"code": code})
    third = UserFactory()
    _refused(client, third, code, "already been used")
    assert Membership.objects.filter(user=third).count() == 0


def test_nobody_else_withdraws_an_invitation(client, alex, sam):
    make_code(client, alex)
    invitation = Invitation.objects.get()
    client.force_login(sam)
    assert client.post(reverse("invitation_withdraw", args=[invitation.pk])).status_code == 404
    assert Invitation.objects.get().revoked_at is None


def test_an_unverified_user_cannot_invite(client, db):
    user = UserFactory(verified_email=False)
    client.force_login(user)
    response = client.post(reverse("invite_code"), follow=True)
    assertContains(response, "Verify your e-mail address first")
    assert not Invitation.objects.exists()


def test_inviting_yourself_by_email_is_refused_by_the_field(client, alex):
    client.force_login(alex)
    response = client.post(reverse("invite_email"), {"email": "ALEX@example.com"})
    assertContains(response, "That is your own address")
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_code_guesses_are_rate_limited(client, sam):
    client.force_login(sam)
    for _ in range(10):
        client.post(reverse("code_enter"), {"code": "ZZZZ-ZZZZ"})
    response = client.post(reverse("code_enter"), {"code": "ZZZZ-ZZZZ"})
    assertContains(response, "Too many tries")


def test_an_invitee_without_account_signs_up_through_the_link_and_arrives_linked(
    client, alex, django_capture_on_commit_callbacks
):
    client.force_login(alex)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invite_email"), {"email": "sam@example.com"})
    (invite,) = mail.outbox
    assert invite.to == ["sam@example.com"]
    assert "Alex" in invite.subject
    link = re.search(r"http://testserver(/invite/\S+/)", invite.body).group(1)
    client.logout()

    landing = client.get(link)
    assertContains(landing, "Alex invites you")
    assertContains(landing, "Create your account")
    client.post(
        reverse("account_signup"),
        {
            "display_name": "Sam",
            "email": "sam@example.com",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
            "time_zone": "Europe/Paris",
        },
    )
    sam = User.objects.get(email="sam@example.com")
    assert couple_for_user(user=sam) is None  # not before the address is verified
    confirm = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    response = client.post(confirm.group(1), follow=True)
    # Back on the invitation, which says who sent it: linked only once Sam accepts.
    assertContains(response, "Alex invites you")
    assert couple_for_user(user=User.objects.get(pk=sam.pk)) is None
    # Pressing accept asks for the password once more, then links.
    asked = client.post(link).url
    assert asked.startswith(reverse("account_reauthenticate"))
    client.post(asked, {"password": TEST_PASSWORD})
    sam = User.objects.get(pk=sam.pk)  # couples are remembered per user object (request)
    assert couple_for_user(user=sam).partner == alex


def test_a_used_link_says_so(client, alex, sam):
    invitation, raw = invitation_create(
        inviter=alex, channel=Invitation.Channel.EMAIL, email="sam@example.com", accept_url=no_url
    )
    invitation_accept(user=sam, raw=raw, channel=Invitation.Channel.EMAIL)
    response = client.get(reverse("invitation", args=[raw]))
    assert response.status_code == 410
    assertContains(response, "already been used", status_code=410)
    assert client.get(reverse("invitation", args=["nonsense"])).status_code == 410


@pytest.mark.django_db(transaction=True)
def test_crossing_invitations_accepted_at_once_make_one_couple():
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two real PostgreSQL connections (CI runs it)")
    alex = UserFactory(display_name="Alex")
    sam = UserFactory(display_name="Sam")
    _, alex_code = invitation_create(inviter=alex, channel="code", accept_url=no_url)
    _, sam_code = invitation_create(inviter=sam, channel="code", accept_url=no_url)
    outcomes = race(
        lambda: invitation_accept(user=sam, raw=alex_code, channel="code"),
        lambda: invitation_accept(user=alex, raw=sam_code, channel="code"),
    )
    assert len(outcomes) == 2
    assert outcomes.count("ok") == 1
    (refusal,) = [outcome for outcome in outcomes if outcome != "ok"]
    assert "already linked" in refusal
    assert Couple.objects.count() == 1
    assert Membership.objects.filter(ended_at__isnull=True).count() == 2


def test_unlinking_asks_to_reauthenticate(client, partner_a, partner_b):
    client.force_login(partner_a)
    response = client.post(reverse("unlink"), {"confirm": "on"})
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response.url
    assert couple_for_user(user=partner_a) is not None


def test_unlinking_ends_the_couple_and_tells_the_partner(client, partner_a, partner_b):
    reauthenticate(client, partner_a)
    assertContains(client.post(reverse("unlink"), {}), "Tick the box to confirm")
    response = client.post(reverse("unlink"), {"tell": "now", "confirm": "on"})
    assertRedirects(response, reverse("checkins:timeline"))
    assert couple_for_user(user=partner_a) is None
    assert couple_for_user(user=partner_b) is None
    assert Notification.objects.get(user=partner_b).kind == "partner_unlinked"
    # Free to link again, with someone else; the old couple stays closed.
    newcomer = UserFactory()
    couple_link(first=partner_a, second=newcomer)
    assert Couple.objects.filter(ended_at__isnull=True).count() == 1
    assert Couple.objects.count() == 2


def test_settings_are_saved_and_bad_values_explained(client, partner_a):
    client.force_login(partner_a)
    url = reverse("settings")
    good = {
        "display_name": "Alexandra",
        "time_zone": "America/New_York",
        "quiet_hours_start": "23:00",
        "quiet_hours_end": "07:30",
    }
    assertRedirects(client.post(url, good), url)
    partner_a.refresh_from_db()
    assert (partner_a.display_name, partner_a.time_zone, partner_a.email_notifications) == (
        "Alexandra",
        "America/New_York",
        False,
    )
    assert partner_a.quiet_hours_end.strftime("%H:%M") == "07:30"
    bad = client.post(url, {**good, "time_zone": "Nowhere/Land", "quiet_hours_end": "25:00"})
    assertContains(bad, 'id="id_time_zone_error"')
    assertContains(bad, 'id="id_quiet_hours_end_error"')
    partner_a.refresh_from_db()
    assert partner_a.time_zone == "America/New_York"


def test_notifications_are_listed_and_marked_read(client, partner_a):
    Notification.objects.create(user=partner_a, kind="partner_linked", url="/timeline/")
    client.force_login(partner_a)
    page = client.get(reverse("notifications"))
    assertContains(page, "now linked")
    assertContains(page, '<span class="badge">1<span class="visually-hidden"> unread')
    client.post(reverse("notifications"))
    assertNotContains(client.get(reverse("notifications")), 'visually-hidden"> unread')


@pytest.mark.django_db(transaction=True)
def test_the_database_alone_keeps_one_active_couple_per_person():
    """Below the invitation locks: two links at once that share a person, decided by the
    partial unique index, with a clean refusal for the loser and no deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two real PostgreSQL connections (CI runs it)")
    alex, sam, kim = (UserFactory(display_name=n) for n in ("Alex", "Sam", "Kim"))
    outcomes = race(
        lambda: couple_link(first=sam, second=alex),
        lambda: couple_link(first=kim, second=sam),
    )
    assert sorted(outcomes) == ["One of you is already linked with a partner.", "ok"]
    assert Membership.objects.filter(user=sam, ended_at__isnull=True).count() == 1
    assert Couple.objects.count() == 1


def test_the_bell_is_a_fragment_with_the_unread_count(client, partner_a):
    Notification.objects.create(user=partner_a, kind="reminder")
    client.force_login(partner_a)
    response = client.get(reverse("notifications_bell"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<span id="bell"')
    assert '<span class="badge">1<span class="visually-hidden"> unread' in html


def test_a_page_counts_the_viewers_own_unread_notifications(client, partner_a, partner_b):
    Notification.objects.create(user=partner_a, kind="reminder")
    Notification.objects.create(user=partner_a, kind="flag")
    Notification.objects.create(user=partner_a, kind="flag", read_at=timezone.now())
    Notification.objects.create(user=partner_b, kind="flag")
    client.force_login(partner_a)
    response = client.get(reverse("checkins:timeline"))
    assertContains(response, '<span class="badge">2<span class="visually-hidden"> unread')
    # Marking them read, the next page shows no badge.
    assertRedirects(client.post(reverse("notifications")), reverse("notifications"))
    assertNotContains(client.get(reverse("checkins:timeline")), 'class="badge"')


@pytest.mark.parametrize("linked", [True, False])
def test_a_page_knows_the_viewers_couple_and_partner(client, alex, sam, linked):
    if linked:
        couple_link(first=alex, second=sam)
    client.force_login(alex)
    response = client.get(reverse("checkins:timeline"))
    view = couple_for_user(user=response.wsgi_request.user)
    if linked:
        assertContains(response, "You and Sam share this timeline.")
        assert view.partner.pk == sam.pk and view.partner.email == sam.email
        assert view.couple.pk == Membership.objects.get(user=alex).couple_id
        assert view.couple.created_at.tzinfo is not None and view.couple.ended_at is None
    else:
        assert view is None
        assertContains(response, "Attune works with two")


def test_a_user_with_an_ended_couple_still_sees_their_own_old_entries(client, alex, sam):
    from tests.factories import CheckInFactory

    couple_link(first=alex, second=sam)
    CheckInFactory(author=alex, note="mine from before")
    CheckInFactory(author=sam, state="shutdown")
    couple_unlink(user=alex)
    kim = UserFactory(display_name="Kim")
    couple_link(first=alex, second=kim)
    client.force_login(alex)
    response = client.get(reverse("checkins:timeline"))
    assertContains(response, "You and Kim share this timeline.")
    assertContains(response, "mine from before")
    authors = {e.author_id for day in response.context["days"] for e in day.entries}
    assert authors == {alex.pk}


def test_after_a_login_by_email_the_bell_shows_the_count(client, partner_a):
    Notification.objects.create(user=partner_a, kind="reminder")
    response = client.post(
        reverse("account_login"), {"login": partner_a.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assertContains(client.get(reverse("settings")), '<span class="badge">1<span')
