"""Times typed on the user's own clock across a change of clocks (the partners are in
Berlin). On 25 October 2026 Berlin's clocks turn back from 03:00 to 02:00, so 02:00–02:59
happens twice; on 29 March 2026 they go forward from 02:00 to 03:00, so that hour never
happens."""

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from checkins.models import CheckIn, Reminder, Revisit
from checkins.services import revisit_accept

NEW_REVISIT = reverse("checkins:revisit_new")
CHECK_IN = reverse("checkins:create")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "now,typed,meant",
    [
        # 02:30 the first time (summer time); 02:15 comes round again 45 minutes on.
        (at(2026, 10, 25, 0, 30), "2026-10-25T02:15", at(2026, 10, 25, 1, 15)),
        # 01:50 summer time: the next 02:45 is the first one.
        (at(2026, 10, 24, 23, 50), "2026-10-25T02:45", at(2026, 10, 25, 0, 45)),
    ],
)
def test_a_revisit_in_the_hour_that_repeats_is_its_next_occurrence(
    client, partner_a, partner_b, time_machine, now, typed, meant
):
    time_machine.move_to(now, tick=False)
    client.force_login(partner_a)
    response = client.post(NEW_REVISIT, {"scheduled_for": typed})
    assert response.status_code == 302, response.content.decode()
    assert Revisit.objects.get().scheduled_for == meant


@pytest.mark.parametrize(
    "now,meant",
    [
        # 02:40 the second time (winter time): 02:30 was ten minutes ago, not seventy.
        (at(2026, 10, 25, 1, 40), at(2026, 10, 25, 1, 30)),
        # 02:29:30 the second time, and the phone already shows 02:30: that is now.
        (at(2026, 10, 25, 1, 29, 30), at(2026, 10, 25, 1, 30)),
        # 02:40 the first time (summer time): the second 02:30 is still to come.
        (at(2026, 10, 25, 0, 40), at(2026, 10, 25, 0, 30)),
    ],
)
def test_a_check_in_set_back_into_the_hour_that_repeats_is_its_last_occurrence(
    client, partner_a, partner_b, time_machine, now, meant
):
    time_machine.move_to(now, tick=False)
    client.force_login(partner_a)
    data = {"state": "activated", "intensity": 3, "occurred_at": "2026-10-25T02:30"}
    response = client.post(CHECK_IN, data)
    assert response.status_code == 302, response.content.decode()
    assert CheckIn.objects.get().occurred_at == meant


def test_the_chosen_occurrence_still_meets_the_forms_rules(
    client, partner_a, partner_b, time_machine
):
    # 02:25 the first time: the next 02:40 is 15 minutes away, too soon for a revisit (the
    # second 02:40, 75 minutes away, is not what the clock will show next).
    time_machine.move_to(at(2026, 10, 25, 0, 25), tick=False)
    client.force_login(partner_a)
    response = client.post(NEW_REVISIT, {"scheduled_for": "2026-10-25T02:40"})
    assertContains(response, "at least 20 minutes")
    assert not Revisit.objects.exists()


def test_a_revisit_moved_into_the_second_pass_keeps_its_nudge(
    client, partner_a, partner_b, time_machine
):
    """The nudge is ten minutes before the revisit's moment, not before the first 02:50."""
    for partner in (partner_a, partner_b):  # no quiet hours to hold the reminders
        partner.quiet_hours_start = partner.quiet_hours_end = time(0)
        partner.save()
    time_machine.move_to(at(2026, 10, 25, 0, 0), tick=False)
    client.force_login(partner_a)
    client.post(NEW_REVISIT, {"scheduled_for": "2026-10-25T02:40"})
    revisit = revisit_accept(user=partner_b, revisit=Revisit.objects.get())
    time_machine.move_to(at(2026, 10, 25, 1, 10), tick=False)  # 02:10 the second time
    move = reverse("checkins:revisit_change", args=[revisit.pk])
    assert client.post(move, {"scheduled_for": "2026-10-25T02:50"}).status_code == 302
    revisit.refresh_from_db()
    assert revisit.scheduled_for == at(2026, 10, 25, 1, 50)
    due = set(Reminder.objects.filter(sequence=revisit.sequence).values_list("kind", "due_at"))
    assert due == {
        ("nudge", at(2026, 10, 25, 1, 40)),
        ("revisit", at(2026, 10, 25, 1, 50)),
    }


def test_a_time_the_clocks_skip_is_refused_with_the_reason(
    client, partner_a, partner_b, time_machine
):
    time_machine.move_to(at(2026, 3, 28, 22, 0), tick=False)
    client.force_login(partner_a)
    response = client.post(NEW_REVISIT, {"scheduled_for": "2026-03-29T02:30"})
    assertContains(
        response,
        "The clocks go forward that night, so 29 March, 02:30 never happens; choose another time.",
    )
    assert not Revisit.objects.exists()
