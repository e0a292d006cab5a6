import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pytest_django.asserts import assertContains, assertRedirects

from attune.models import Notification
from checkins.models import Flag, Reminder, Revisit
from checkins.services import revisit_accept, revisit_move, revisit_propose
from checkins.sweep import reminders_send_due

NEW = reverse("checkins:revisit_new")


def typed(user, when: datetime) -> str:
    """A datetime-local value as the user would type it in their own time zone."""
    return when.astimezone(zoneinfo.ZoneInfo(user.time_zone)).strftime("%Y-%m-%dT%H:%M")


ACTIONS = {
    "accept": "revisit_accept",
    "decline": "revisit_decline",
    "cancel": "revisit_cancel",
    "done": "revisit_done",
    "rate": "revisit_rate",
    "more-time": "revisit_more_time",
    "move": "revisit_change",
    "counter": "revisit_change",
}


def act(client, revisit, action, **data):
    return client.post(reverse(f"checkins:{ACTIONS[action]}", args=[revisit.pk]), data)


@pytest.fixture
def proposed(client, partner_a, partner_b):
    client.force_login(partner_a)
    when = timezone.now() + timedelta(minutes=45)
    client.post(NEW, {"scheduled_for": typed(partner_a, when)})
    return Revisit.objects.get()


def test_the_form_suggests_half_an_hour_in_the_viewers_zone(client, partner_a, partner_b):
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), tick=False):
        client.force_login(partner_a)  # inside: a session begun on the real clock can expire
        page = client.get(NEW)
    assertContains(page, 'value="2026-06-01T12:30"')  # Berlin is UTC+2 in June
    assertContains(page, "20 minutes and 24 hours")


@pytest.mark.parametrize(
    "minutes,message", [(10, "at least 20 minutes"), (60 * 25, "within 24 hours")]
)
def test_times_outside_the_window_are_refused_by_the_field(
    client, partner_a, partner_b, minutes, message
):
    # An ordinary day: 25 hours on, across the night the clocks turn back, can be typed as
    # a time that also happens 24 hours on.
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC)):
        client.force_login(partner_a)
        when = timezone.now() + timedelta(minutes=minutes)
        response = client.post(NEW, {"scheduled_for": typed(partner_a, when)})
    assert message in response.content.decode()
    assert not Revisit.objects.exists()


def test_the_window_counts_from_the_flag(partner_a, partner_b, couple):
    flag = Flag.objects.create(
        couple=couple, pattern="mutual_escalation", opened_at=timezone.now() - timedelta(hours=23)
    )
    with pytest.raises(Exception, match="within 24 hours"):
        revisit_propose(proposer=partner_a, when=timezone.now() + timedelta(hours=2), flag=flag)
    revisit_propose(proposer=partner_a, when=timezone.now() + timedelta(minutes=30), flag=flag)


def test_proposal_accept_reminders_and_calendar(client, partner_a, partner_b, proposed):
    assert Notification.objects.get(user=partner_b).kind == "revisit_proposed"
    assert act(client, proposed, "accept").status_code == 302  # the proposer can't accept
    assert Revisit.objects.get().status == "proposed"

    client.force_login(partner_b)
    assertRedirects(
        act(client, proposed, "accept"), reverse("checkins:revisit", args=[proposed.pk])
    )
    revisit = Revisit.objects.get()
    assert revisit.status == "agreed"
    reminders = Reminder.objects.filter(revisit=revisit)
    assert sorted((r.user_id, r.kind) for r in reminders) == sorted(
        [(p.pk, k) for p in (partner_a, partner_b) for k in ("nudge", "revisit")]
    )
    assert Notification.objects.filter(user=partner_a, kind="revisit_agreed").exists()

    ics = client.get(reverse("checkins:revisit_calendar", args=[revisit.pk]))
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert str(event["uid"]) == f"{revisit.uid}@attune"
    assert event["sequence"] == 0
    assert event.decoded("dtstart") == revisit.scheduled_for
    assert "conflict" not in str(event["summary"]).lower()


def test_a_move_keeps_the_uid_raises_the_sequence_and_replaces_reminders(
    client, partner_a, partner_b, proposed
):
    revisit_accept(user=partner_b, revisit=proposed)
    before = set(Reminder.objects.values_list("pk", flat=True))
    client.force_login(partner_b)
    act(client, proposed, "more-time", minutes="30")
    revisit = Revisit.objects.get()
    assert revisit.scheduled_for == proposed.scheduled_for + timedelta(minutes=30)
    assert revisit.sequence == 1
    assert not before & set(Reminder.objects.values_list("pk", flat=True))
    assert Reminder.objects.filter(sequence=1).count() == 4
    assert Notification.objects.filter(user=partner_a, kind="revisit_moved").exists()
    event = Calendar.from_ical(
        client.get(reverse("checkins:revisit_calendar", args=[revisit.pk])).content
    ).walk("VEVENT")[0]
    assert (str(event["uid"]), event["sequence"]) == (f"{revisit.uid}@attune", 1)


def test_a_counter_proposal_and_a_decline(client, partner_a, partner_b, proposed):
    client.force_login(partner_b)
    later = timezone.now() + timedelta(hours=2)
    act(client, proposed, "counter", scheduled_for=typed(partner_b, later))
    revisit = Revisit.objects.get()
    assert (revisit.status, revisit.proposed_by) == ("proposed", partner_b)
    client.force_login(partner_a)
    act(client, revisit, "decline", message="Tomorrow morning instead?")
    revisit.refresh_from_db()
    assert (revisit.status, revisit.message) == ("cancelled", "Tomorrow morning instead?")
    assert Notification.objects.filter(user=partner_b, kind="revisit_declined").exists()


def test_cancelling_an_agreed_revisit_stops_its_reminders(client, partner_a, partner_b, proposed):
    revisit_accept(user=partner_b, revisit=proposed)
    client.force_login(partner_a)
    act(client, proposed, "cancel")
    assert Revisit.objects.get().status == "cancelled"
    assert not Reminder.objects.exists()
    assert Notification.objects.filter(user=partner_b, kind="revisit_cancelled").exists()


def test_outsiders_get_404(client, outsider, proposed):
    client.force_login(outsider)
    assert client.get(reverse("checkins:revisit", args=[proposed.pk])).status_code == 404
    assert act(client, proposed, "accept").status_code == 404
    assert client.get(reverse("checkins:revisit_calendar", args=[proposed.pk])).status_code == 404


def test_unlinking_cancels_open_revisits(partner_a, partner_b, proposed):
    from attune.services import couple_unlink

    revisit_accept(user=partner_b, revisit=proposed)
    couple_unlink(user=partner_a)
    assert Revisit.objects.get().status == "cancelled"
    assert not Reminder.objects.exists()


def test_reminders_are_sent_once_and_say_nothing_private(
    partner_a, partner_b, proposed, django_capture_on_commit_callbacks
):
    revisit_accept(user=partner_b, revisit=proposed)
    # A day on, every reminder is due, also one held past quiet hours (the revisit is 45
    # minutes from the real now, which in the evening falls in Berlin's quiet hours).
    later = proposed.scheduled_for + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=False):
        assert reminders_send_due(now=later) == 4
        assert reminders_send_due(now=later) == 0
    reminders = Notification.objects.filter(kind="reminder")
    assert sorted(reminders.values_list("user_id", flat=True)) == sorted(
        [partner_a.pk, partner_a.pk, partner_b.pk, partner_b.pk]
    )
    assert reminders.first().text == "Attune has a reminder for you."


def test_a_reminder_in_quiet_hours_waits_and_the_proposer_sees_it(client, partner_a, partner_b):
    partner_b.time_zone = "America/New_York"
    partner_b.quiet_hours_start, partner_b.quiet_hours_end = time(22), time(8)
    partner_b.save()
    # 05:00 UTC: 06:00 in Berlin, 00:00 (quiet) in New York.
    with time_machine.travel(datetime(2026, 11, 24, 5, 0, tzinfo=UTC), tick=False):
        revisit = revisit_propose(proposer=partner_a, when=timezone.now() + timedelta(minutes=40))
        revisit_accept(user=partner_b, revisit=revisit)
    held = Reminder.objects.get(user=partner_b, kind="revisit")
    assert held.held_for_quiet_hours
    assert held.due_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 08:00 in New York
    client.force_login(partner_b)
    page = client.get(reverse("checkins:revisit", args=[revisit.pk]))
    assertContains(page, "waits until your quiet hours end")


def test_the_proposer_sees_at_once_that_the_partners_quiet_hours_hold_the_reminder(
    client, partner_a, partner_b
):
    partner_b.time_zone = "America/New_York"
    partner_b.save()
    with time_machine.travel(datetime(2026, 11, 24, 5, 0, tzinfo=UTC), tick=False):
        revisit = revisit_propose(proposer=partner_a, when=timezone.now() + timedelta(minutes=40))
        client.force_login(partner_a)
        page = client.get(reverse("checkins:revisit", args=[revisit.pk]))
    assertContains(page, "quiet hours: their reminder will wait until Tue 14:00 (your time)")


def test_times_cross_a_dst_change_correctly_on_both_sides(partner_a, partner_b):
    partner_b.time_zone = "America/New_York"
    partner_b.save()
    # Europe springs forward on 29 March 2026, the US did on 8 March.
    with time_machine.travel(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), tick=False):
        when = datetime(2026, 3, 29, 3, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
        revisit = revisit_propose(proposer=partner_a, when=when)
        revisit_accept(user=partner_b, revisit=revisit)
        revisit_move(
            user=partner_b, revisit=revisit, when=revisit.scheduled_for + timedelta(minutes=15)
        )
    revisit.refresh_from_db()
    assert revisit.scheduled_for == datetime(2026, 3, 29, 1, 45, tzinfo=UTC)
    ny = revisit.scheduled_for.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert (ny.hour, ny.minute) == (21, 45)


def test_reminder_email_goes_through_the_notification(
    settings, partner_a, partner_b, proposed, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    Reminder.objects.all().delete()
    Revisit.objects.filter(pk=proposed.pk).update(status="agreed")
    Reminder.objects.create(
        revisit=proposed,
        user=partner_a,
        kind="revisit",
        sequence=0,
        due_at=timezone.now() - timedelta(seconds=1),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_due() == 1
    (message,) = mail.outbox
    assert message.subject == "Attune has something for you"
    assert "/notifications/" in message.body
    for private in ("activated", "shutdown", "conflict", "regulated"):
        assert private not in (message.subject + message.body).lower()


def test_done_then_each_says_how_it_went(client, partner_a, partner_b, proposed):
    revisit_accept(user=partner_b, revisit=proposed)
    client.force_login(partner_a)
    act(client, proposed, "done")
    assert Revisit.objects.get().status == "agreed"  # not before its time
    with time_machine.travel(proposed.scheduled_for + timedelta(minutes=5)):
        act(client, proposed, "done")
        assert Revisit.objects.get().status == "done"
        act(client, proposed, "rate", rating="4")
        act(client, proposed, "rate", rating="9")
        client.force_login(partner_b)
        act(client, proposed, "rate", rating="2")
    assert sorted(proposed.ratings.values_list("user_id", "rating")) == sorted(
        [(partner_a.pk, 4), (partner_b.pk, 2)]
    )


def test_a_revisit_nobody_marks_done_becomes_missed(partner_a, partner_b, proposed):
    from checkins.services import revisits_mark_missed

    revisit_accept(user=partner_b, revisit=proposed)
    assert revisits_mark_missed(now=proposed.scheduled_for + timedelta(hours=23)) == 0
    assert revisits_mark_missed(now=proposed.scheduled_for + timedelta(hours=25)) == 1
    assert Revisit.objects.get().status == "missed"


def test_a_partner_not_yet_regulated_is_met_kindly(client, partner_a, partner_b, proposed):
    from tests.factories import CheckInFactory

    revisit_accept(user=partner_b, revisit=proposed)
    CheckInFactory(author=partner_b, state="shutdown")
    client.force_login(partner_b)
    page = client.get(reverse("checkins:revisit", args=[proposed.pk]))
    assertContains(page, "not settled yet, and that")
    assertContains(page, "I need more time")
    client.force_login(partner_a)
    assert (
        "not settled yet"
        not in client.get(reverse("checkins:revisit", args=[proposed.pk])).content.decode()
    )


def test_a_flag_id_that_is_no_number_is_not_found(client, partner_a, partner_b):
    client.force_login(partner_a)
    for raw in ("x", "²", "٣"):
        assert client.get(NEW, {"flag": raw}).status_code == 404
        assert (
            client.post(NEW, {"flag": raw, "scheduled_for": "2026-01-01T10:00"}).status_code == 404
        )
    assert not Revisit.objects.exists()
