"""Safety when the partner is the danger: a quiet pause, a quiet way out, discreet
e-mail, new-device notices, nothing for a partner to watch, and pages that do not stay
behind in a shared browser."""

import difflib
import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from attune.delivery import notification_email_send
from attune.models import Couple, KnownDevice, Notification
from attune.selectors import export_rows
from attune.services import notification_create, sharing_pause, sharing_resume
from checkins.models import CheckIn, Flag
from tests.factories import TEST_PASSWORD, CheckInFactory

TIMELINE = reverse("checkins:timeline")
POLL = reverse("checkins:poll")
CREATE = reverse("checkins:create")
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def check_in(client, user, state, need, note=""):
    client.force_login(user)
    return client.post(
        CREATE,
        {"state": state, "intensity": 4, "need": need, "note": note, "note_visibility": "shared"},
    )


def cursor(client, user):
    client.force_login(user)
    live = client.get(TIMELINE).context["live"]
    return {"checkin": live.checkin, "answer": live.answer, "top": ""}


# --- Pause sharing -------------------------------------------------------------------------


def test_a_paused_checkin_stays_with_its_author_and_raises_no_flag(
    client, partner_a, partner_b, live, rivera
):
    check_in(client, partner_b, "shutdown", "space")
    since = cursor(client, partner_b)
    sharing_pause(user=partner_a)
    response = check_in(client, partner_a, "activated", "connect", note="I am scared tonight")
    mine = CheckIn.objects.get(author=partner_a)
    assert mine.withheld
    # Pursue and withdraw, but the pause keeps it out of the comparison: no flag, no notice.
    assert response.url == TIMELINE
    assert not Flag.objects.exists()
    assert not Notification.objects.filter(user=partner_b, kind="flag").exists()
    # The author sees it, marked.
    own = client.get(TIMELINE)
    assertContains(own, f'id="checkin-{mine.pk}"')
    assertContains(own, "I am scared tonight")
    assertContains(own, "you made it while sharing was paused")
    assertContains(own, "Sharing is paused")
    # The partner's timeline, poll, pictures and export know nothing of it.
    client.force_login(partner_b)
    theirs = client.get(TIMELINE)
    assertNotContains(theirs, f'id="checkin-{mine.pk}"')
    assertNotContains(theirs, "scared")
    assert all(mine.pk not in [c.pk for c in day.entries] for day in theirs.context["days"])
    polled = client.get(POLL, since, headers={"HX-Request": "true"})
    assert polled.status_code == 204
    assert "scared" not in str(export_rows(user=partner_b))
    # Nor does the therapist, who reads with both partners' consent.
    client.force_login(rivera)
    for name in ("therapist_couple", "therapist_summary"):
        page = client.get(reverse(name, args=[live.pk]))
        assert page.status_code == 200
        assertNotContains(page, "scared")
        assertNotContains(page, f'id="checkin-{mine.pk}"')


def normalised(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
    html = re.sub(r'nonce="[^"]+"', "NONCE", html)
    # Each check-in form shown carries a fresh id of its own (checkin_client_key_once).
    html = re.sub(r'name="client_key" value="[^"]+"', "CLIENT_KEY", html)
    return html


def test_the_partner_sees_the_same_pages_before_and_after_a_pause(
    client, partner_a, partner_b, time_machine
):
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    CheckInFactory(author=partner_a, state="activated")
    CheckInFactory(author=partner_b, state="regulated")
    pages = [
        TIMELINE,
        reverse("partner"),
        reverse("notifications"),
        reverse("notifications_bell"),
        reverse("settings"),
        reverse("checkins:revisit_new"),
    ]
    client.force_login(partner_b)
    before = [normalised(client.get(url).content.decode()) for url in pages]
    sharing_pause(user=partner_a)
    client.force_login(partner_b)
    after = [normalised(client.get(url).content.decode()) for url in pages]
    for url, old, new in zip(pages, before, after, strict=True):
        diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))
        assert not diff, f"{url} changed: " + "\n".join(diff[:20])
    sharing_resume(user=partner_a)
    client.force_login(partner_b)
    assert [normalised(client.get(url).content.decode()) for url in pages] == before


def test_resuming_shares_new_checkins_and_keeps_the_paused_ones_private(
    client, partner_a, partner_b
):
    sharing_pause(user=partner_a)
    check_in(client, partner_a, "activated", "connect", note="written while paused")
    client.force_login(partner_a)
    response = client.post(reverse("sharing"), {"action": "resume"}, follow=True)
    assertContains(response, "Sharing is back on")
    check_in(client, partner_a, "regulated", "none", note="written after")
    client.force_login(partner_b)
    page = client.get(TIMELINE)
    assertContains(page, "written after")
    assertNotContains(page, "written while paused")


def test_the_sharing_page_pauses_and_says_what_it_does(client, partner_a, partner_b):
    client.force_login(partner_a)
    page = client.get(reverse("sharing"))
    assertContains(page, "is not told")
    response = client.post(reverse("sharing"), {"action": "pause"}, follow=True)
    assertContains(response, "Sharing is paused")
    assert partner_a.memberships.get(ended_at__isnull=True).sharing_paused_at is not None
    assert not Notification.objects.filter(user=partner_b).exclude(kind="partner_linked").exists()
    # The export tells its author which check-ins were kept back.
    check_in(client, partner_a, "regulated", "none")
    rows = export_rows(user=partner_a)
    assert rows["checkins"][0]["kept_back_while_sharing_paused"] is True


def test_an_unlinked_person_has_nothing_to_pause(client, unlinked):
    client.force_login(unlinked)
    assert client.get(reverse("sharing")).url == reverse("partner")


# --- Leaving quietly -------------------------------------------------------------------


def reauthenticated(client, user):
    client.force_login(user)
    client.get(reverse("unlink"))
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})


def test_unlinking_quietly_tells_the_partner_nothing_until_they_look(
    client, partner_a, partner_b, django_capture_on_commit_callbacks
):
    reauthenticated(client, partner_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("unlink"), {"tell": "later", "confirm": "on"})
    assert response.url == TIMELINE
    assert Couple.objects.get().ended_at is not None
    assert not Notification.objects.filter(user=partner_b, kind="partner_unlinked").exists()
    assert not [m for m in mail.outbox if partner_b.email in m.to]
    client.force_login(partner_b)
    page = client.get(TIMELINE)
    assertContains(page, "This shared timeline has ended.")
    assertNotContains(page, "Alex")


def test_unlinking_now_tells_the_partner(client, partner_a, partner_b):
    reauthenticated(client, partner_a)
    client.post(reverse("unlink"), {"tell": "now", "confirm": "on"})
    assert Notification.objects.filter(user=partner_b, kind="partner_unlinked").exists()


def test_unlinking_asks_who_is_told_and_keeps_the_link_until_answered(client, partner_a, partner_b):
    reauthenticated(client, partner_a)
    response = client.post(reverse("unlink"), {"confirm": "on"})
    assert response.status_code == 200
    assertContains(response, "Choose whether your partner is told now.")
    assert Couple.objects.get().ended_at is None


# --- Discreet e-mail ---------------------------------------------------------------------


def test_discreet_email_names_neither_attune_nor_the_person(partner_a):
    partner_a.discreet_email = True
    partner_a.save()
    notice = notification_create(user=partner_a, kind="revisit_proposed", url="/")
    assert notification_email_send(notification_id=notice.pk, site_url="https://example.org")
    (message,) = mail.outbox
    assert message.subject == "A reminder"
    assert message.from_email.startswith("Reminders <")
    # What a glance at the inbox shows: the sender's name, the subject, the words. (The
    # address itself is the deployment's own, set by DEFAULT_FROM_EMAIL.)
    text = message.subject + message.from_email.split("<")[0] + message.body
    assert "attune" not in text.lower()
    assert partner_a.display_name not in text
    assert "partner" not in text.lower()


def test_account_emails_are_discreet_too(client, partner_a):
    partner_a.discreet_email = True
    partner_a.save()
    client.post(reverse("account_reset_password"), {"email": partner_a.email})
    (message,) = mail.outbox
    assert message.subject == "A reminder"
    assert message.from_email.startswith("Reminders <")


def test_ordinary_email_keeps_its_name(partner_a):
    notice = notification_create(user=partner_a, kind="revisit_proposed", url="/")
    assert notification_email_send(notification_id=notice.pk, site_url="https://example.org")
    (message,) = mail.outbox
    assert message.subject != "A reminder"
    assert "Attune" in message.body


# --- New devices and signed-in devices ---------------------------------------------------


def sign_in(client, user, agent):
    client.logout()
    return client.post(
        reverse("account_login"),
        {"login": user.email, "password": TEST_PASSWORD},
        headers={"User-Agent": agent},
    )


def test_a_sign_in_on_a_new_kind_of_device_is_told_to_the_owner(client, partner_a, partner_b):
    sign_in(client, partner_a, IPHONE)
    assert not Notification.objects.filter(kind="new_device").exists()
    sign_in(client, partner_a, IPHONE)
    assert not Notification.objects.filter(kind="new_device").exists()
    sign_in(client, partner_a, WINDOWS_FIREFOX)
    (notice,) = Notification.objects.filter(kind="new_device")
    assert notice.user == partner_a
    assert notice.url == reverse("usersessions_list")
    assert set(KnownDevice.objects.filter(user=partner_a).values_list("name", flat=True)) == {
        "Mobile Safari on iOS (iPhone)",
        "Firefox on Windows",
    }
    # The partner learns nothing of it.
    assert not Notification.objects.filter(user=partner_b, kind="new_device").exists()


def test_the_devices_page_names_devices_but_not_addresses(client, partner_a):
    other = client.__class__()
    sign_in(other, partner_a, WINDOWS_FIREFOX)
    sign_in(client, partner_a, IPHONE)
    page = client.get(reverse("usersessions_list"))
    html = page.content.decode()
    assert "Firefox on Windows" in html
    assert "Mobile Safari on iOS (iPhone)" in html
    assert "This device" in html
    assert "127.0.0.1" not in html
    assert "Mozilla/5.0" not in html
    client.post(reverse("usersessions_list"))
    assert other.get(TIMELINE).status_code == 302  # signed out everywhere else
    assert client.get(TIMELINE).status_code == 200


# --- Nothing to watch -------------------------------------------------------------------

WATCHABLE = re.compile(
    r"last seen|last active|online now|\bonline\b|is typing|\btyping\b|read receipt|"
    r"\bseen by\b|\bread by\b|\bread at\b|opened (the app|attune)|streak|"
    r"(hasn.t|has not|didn.t|did not) checked? in|days in a row|\bactive now\b",
    re.I,
)


@pytest.mark.parametrize(
    "words",
    [
        "Alex was last seen 5 minutes ago",
        "Online now",
        "Alex is typing…",
        "Read by Alex at 21:04",
        "A 6-day streak!",
        "Alex hasn't checked in today",
        "Alex opened Attune 4 times",
    ],
)
def test_the_watch_scan_catches_what_it_looks_for(words):
    assert WATCHABLE.search(words)


def test_no_partner_visible_page_says_when_or_how_often_the_other_was_here(
    client, partner_a, partner_b, live
):
    """Alex does everything Alex can do; every page and fragment Sam can open is then
    scanned for words that would let Sam watch Alex."""
    mine = CheckInFactory(author=partner_b, state="shutdown", need="space")
    since = cursor(client, partner_b)
    check_in(client, partner_a, "activated", "connect")
    client.force_login(partner_a)
    client.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "see_you"})
    client.get(reverse("notifications"))  # reads them
    flag = Flag.objects.get()
    client.force_login(partner_b)
    urls = [
        TIMELINE,
        reverse("partner"),
        reverse("notifications"),
        reverse("notifications_bell"),
        reverse("checkins:revisit_new"),
        reverse("therapist_access"),
        reverse("settings"),
        reverse("checkins:flag", args=[flag.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = WATCHABLE.search(response.content.decode())
        assert found is None, f"{url}: {found.group(0)!r}"
    fragment = client.get(POLL, since, headers={"HX-Request": "true"}).content.decode()
    assert fragment and WATCHABLE.search(fragment) is None
    # And no model keeps when Alex last looked for Sam to read.
    assert "last_login" not in str(export_rows(user=partner_b))


# --- Nothing left behind in a shared browser ---------------------------------------------


@pytest.mark.parametrize("url", [TIMELINE, reverse("settings"), reverse("partner")])
def test_signed_in_pages_are_not_stored_by_the_browser(client, partner_a, partner_b, url):
    client.force_login(partner_a)
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_the_poll_is_not_stored_either(client, partner_a, partner_b):
    since = cursor(client, partner_a)
    response = client.get(POLL, since, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_public_pages_stay_cacheable(client):
    for url in (reverse("safety"), reverse("content:index")):
        response = client.get(url)
        assert "no-store" not in response.get("Cache-Control", ""), url


# --- The safety page and the quick exit ----------------------------------------------------


@pytest.mark.django_db
def test_the_safety_page_is_public_and_lists_help_for_each_country(client):
    page = client.get(reverse("safety"))
    assert page.status_code == 200
    for heading in ("United States", "United Kingdom", "Canada", "Australia", "Ireland"):
        assertContains(page, heading)
    assertContains(page, "Germany")
    assertContains(page, 'href="tel:+18007997233"')
    assertContains(page, "data-quick-exit")


def test_every_signed_in_page_has_a_quick_exit_and_a_way_to_help(client, partner_a, partner_b):
    client.force_login(partner_a)
    for url in (TIMELINE, reverse("settings"), reverse("partner"), reverse("checkins:revisit_new")):
        page = client.get(url)
        assertContains(page, "data-quick-exit", msg_prefix=url)
        assertContains(page, f'href="{reverse("safety")}"', msg_prefix=url)


def test_a_changed_password_is_emailed_to_the_owner_discreetly(client, partner_a):
    partner_a.discreet_email = True
    partner_a.save()
    client.force_login(partner_a)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "another-long-passphrase-77",
            "password2": "another-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [partner_a.email]
    assert message.subject == "A reminder"
