"""The same thing sent twice: a double tap, a retry after a timeout, two tabs, the back
button. Each makes one row (and one flag), and the second send gets a friendly answer."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from attune.models import Notification
from checkins.models import Answer, CheckIn, Flag, Reminder, Revisit
from checkins.services import revisit_accept
from tests.checkins.test_revisits import NEW, typed
from tests.data import race
from tests.factories import CheckInFactory

pytestmark = pytest.mark.django_db


def form_key(page: str) -> str:
    return re.search(r'name="client_key" value="([^"]+)"', page).group(1)


def test_a_check_in_sent_again_from_the_same_form_is_one_check_in_and_one_flag(
    client, partner_a, partner_b
):
    CheckInFactory(author=partner_b, state="shutdown", need="space")
    client.force_login(partner_a)
    key = form_key(client.get(reverse("checkins:timeline")).content.decode())
    data = {"state": "activated", "intensity": 4, "need": "connect", "client_key": key}
    first = client.post(reverse("checkins:create"), data)  # no JS: a full page round trip
    # The back button, then "Check in" again on the same form (or a retry after a timeout).
    again = client.post(reverse("checkins:create"), data, follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert CheckIn.objects.filter(author=partner_a).count() == 1
    assert Flag.objects.count() == 1
    assert Notification.objects.filter(user=partner_b, kind="flag").count() == 1


def test_two_tabs_accepting_the_same_time_agree_once(client, partner_a, partner_b):
    client.force_login(partner_a)
    client.post(NEW, {"scheduled_for": typed(partner_a, timezone.now() + timedelta(hours=2))})
    revisit = Revisit.objects.get()
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.force_login(partner_b)
    url = reverse("checkins:revisit_accept", args=[revisit.pk])
    answers = [tab.post(url, follow=True) for tab in tabs]
    for answer in answers:
        assertContains(answer, "Agreed. Attune will remind you both.")
    revisit.refresh_from_db()
    assert revisit.status == Revisit.Status.AGREED
    assert Reminder.objects.filter(revisit=revisit).count() == 4  # each partner's, and nudge
    assert Notification.objects.filter(kind="revisit_agreed").count() == 1


def test_a_one_tap_answer_sent_twice_is_one_answer(client, partner_a, partner_b):
    theirs = CheckInFactory(author=partner_b, state="activated")
    client.force_login(partner_a)
    url = reverse("checkins:answer", args=[theirs.pk])
    client.post(url, {"kind": "see_you"})
    again = client.post(url, {"kind": "see_you"}, follow=True)
    assert again.status_code == 200
    assert Answer.objects.count() == 1


def test_a_proposal_sent_twice_is_one_revisit(client, partner_a, partner_b):
    client.force_login(partner_a)
    data = {"scheduled_for": typed(partner_a, timezone.now() + timedelta(hours=1))}
    client.post(NEW, data)
    again = client.post(NEW, data, follow=True)
    assert again.status_code == 200
    assert Revisit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_the_same_instant_agree_once(partner_a, partner_b):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency runs on PostgreSQL with separate connections")
    revisit = Revisit.objects.create(
        couple=partner_a.memberships.get().couple,
        proposed_by=partner_a,
        scheduled_for=timezone.now() + timedelta(hours=2),
    )
    outcomes = race(*[lambda: revisit_accept(user=partner_b, revisit=revisit)] * 2)
    assert outcomes == ["ok", "ok"]
    assert Reminder.objects.filter(revisit=revisit).count() == 4
    assert Notification.objects.filter(kind="revisit_agreed").count() == 1
