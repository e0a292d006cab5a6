"""Web Push end to end against a real push service on 127.0.0.1 (tests/push/service.py):
what reaches a phone is signed by our VAPID key, readable only with the phone's own key, and
says nothing a person looking over the owner's shoulder could use."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.asserts import assertContains, assertNotContains

from attune.delivery import notification_push_send, partner_checkin_push_send
from attune.models import Notification, PushSubscription
from attune.services import notification_create, push_subscription_save, sharing_pause
from checkins.models import CheckIn, Reminder, Revisit
from checkins.services import checkin_record
from checkins.sweep import reminders_send_due
from tests.push.service import PushService, vapid_pair

pytestmark = pytest.mark.django_db

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


PUBLIC, PRIVATE = vapid_pair()


@pytest.fixture
def push(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = PUBLIC, PRIVATE
    settings.VAPID_SUBJECT = "mailto:push@attune.test"
    settings.PUSH_ALLOW_HTTP = True
    with PushService(PUBLIC) as service:
        yield service


def opt_in(user, service, name):
    phone = service.phone(name)
    push_subscription_save(user=user, info=phone.subscription(), user_agent=PHONE_UA)
    return phone


def run_push_tasks() -> None:
    """What the worker does with the push tasks enqueued so far (the worker process itself is
    tested in tests/attune/test_worker.py; here the push service is the real part)."""
    from attune.tasks import notification_push, partner_checkin_push

    for result in DBTaskResult.objects.filter(status="READY"):
        task = {
            "notification_push": notification_push,
            "partner_checkin_push": partner_checkin_push,
        }
        name = result.task_path.rsplit(".", 1)[-1]
        if name in task:
            task[name].call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


def fresh(user):
    """The user as a new request loads them (couple_for_user remembers per user object)."""
    return type(user).objects.get(pk=user.pk)


def typed(state: str, **more) -> dict:
    """A check-in as CheckInForm cleans it."""
    return {"state": state, "intensity": 3, "need": "none", "note_visibility": "only_me", **more}


def assert_says_nothing(payload: dict, *people) -> None:
    words = json.dumps(payload).lower()
    for secret in ["activated", "shut down", "shutdown", "regulated", "note", "private"]:
        assert secret not in words, (secret, payload)
    for person in people:
        assert person.display_name.lower() not in words
        assert person.email.lower() not in words


def test_a_reminder_reaches_each_device_once_signed_and_content_free(
    push, partner_a, partner_b, time_machine
):
    time_machine.move_to(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=False)
    partner_a.time_zone = "UTC"
    partner_a.save()
    opt_in(partner_a, push, "alex-phone")
    opt_in(partner_a, push, "alex-laptop")
    revisit = Revisit.objects.create(
        couple=partner_a.memberships.get().couple,
        proposed_by=partner_b,
        scheduled_for=timezone.now(),
        status="agreed",
    )
    Reminder.objects.create(
        revisit=revisit,
        user=partner_a,
        kind="revisit",
        sequence=revisit.sequence,
        due_at=timezone.now() - timedelta(seconds=1),
    )
    with pytest.MonkeyPatch.context() as patch:
        # Enqueue after commit even inside the test's transaction.
        patch.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
        assert reminders_send_due() == 1
        assert reminders_send_due() == 0  # a second sweep finds nothing to send
    run_push_tasks()
    run_push_tasks()  # the same task again (a retry, a second worker): nothing more
    notification = Notification.objects.get(kind="reminder")
    assert notification_push_send(notification_id=notification.pk) is False
    assert push.refused == []
    assert sorted(d.path for d in push.deliveries) == ["/push/alex-laptop", "/push/alex-phone"]
    for delivery in push.deliveries:
        assert delivery.payload == {
            "title": "Attune",
            "body": "Attune has a reminder for you.",
            "url": reverse("checkins:revisit", args=[revisit.pk]),
            "tag": "reminder",
        }
        assert delivery.claims["sub"] == "mailto:push@attune.test"
        assert 0 < delivery.ttl <= 24 * 3600
        assert_says_nothing(delivery.payload, partner_a, partner_b)
    notification.refresh_from_db()
    assert notification.pushed_at is not None


def test_a_proposal_is_pushed_and_says_only_that_there_is_news(push, partner_a, partner_b):
    phone = opt_in(partner_b, push, "sam")
    notice = notification_create(user=partner_b, kind="revisit_proposed", url="/timeline/")
    assert notification_push_send(notification_id=notice.pk)
    [delivery] = push.deliveries
    assert delivery.path == phone.endpoint.removeprefix(push.url)
    assert delivery.payload["body"] == "Attune has something new for you."
    assert_says_nothing(delivery.payload, partner_a, partner_b)


def test_kinds_that_are_not_the_revisit_are_not_pushed(push, partner_a, settings):
    opt_in(partner_a, push, "alex")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
        notification_create(user=partner_a, kind="new_device", url="/settings/")
        notification_create(user=partner_a, kind="revisit_moved", url="/timeline/")
    paths = [r.task_path for r in DBTaskResult.objects.all()]
    assert paths.count("attune.tasks.notification_push") == 1


def test_discreet_users_get_a_push_without_the_name_attune(push, partner_a):
    partner_a.discreet_email = True
    partner_a.save()
    opt_in(partner_a, push, "alex")
    notice = notification_create(user=partner_a, kind="reminder", url="/timeline/")
    notification_push_send(notification_id=notice.pk)
    [delivery] = push.deliveries
    assert delivery.payload["title"] == "Reminder"
    assert "attune" not in json.dumps(delivery.payload).lower()


def test_a_device_the_push_service_says_is_gone_is_forgotten(push, partner_a):
    opt_in(partner_a, push, "old")
    opt_in(partner_a, push, "new")
    push.gone.add("/push/old")
    del push.phones["/push/new"]  # and this one answers 404
    opt_in(partner_a, push, "kept")
    notice = notification_create(user=partner_a, kind="reminder", url="/timeline/")
    notification_push_send(notification_id=notice.pk)
    remaining = PushSubscription.objects.filter(user=partner_a).values_list("endpoint", flat=True)
    assert [e.removeprefix(push.url) for e in remaining] == ["/push/kept"]
    assert [d.path for d in push.deliveries] == ["/push/kept"]


def test_a_push_waits_for_the_end_of_quiet_hours(push, partner_a, time_machine):
    partner_a.time_zone = "Europe/Berlin"
    partner_a.quiet_hours_start, partner_a.quiet_hours_end = time(22, 0), time(7, 30)
    partner_a.save()
    opt_in(partner_a, push, "alex")
    # 23:15 in Berlin (UTC+2 in June).
    time_machine.move_to(datetime(2026, 6, 1, 21, 15, tzinfo=UTC), tick=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
        notification_create(user=partner_a, kind="revisit_proposed", url="/timeline/")
    task = DBTaskResult.objects.get(task_path="attune.tasks.notification_push")
    assert task.run_after == datetime(2026, 6, 2, 5, 30, tzinfo=UTC)  # 07:30 in Berlin


def test_a_partners_check_in_is_pushed_only_to_those_who_asked(push, partner_a, partner_b):
    opt_in(partner_b, push, "sam")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
        checkin_record(author=fresh(partner_a), data=typed("activated", note="private words"))
        assert not DBTaskResult.objects.filter(task_path__endswith="partner_checkin_push").exists()
        partner_b.push_partner_checkins = True
        partner_b.save()
        checkin_record(author=fresh(partner_a), data=typed("shutdown", note="private words"))
        sharing_pause(user=fresh(partner_a))
        checkin_record(author=fresh(partner_a), data=typed("activated"))  # withheld: no push
    assert DBTaskResult.objects.filter(task_path__endswith="partner_checkin_push").count() == 1
    run_push_tasks()
    [delivery] = push.deliveries
    assert delivery.payload["url"] == reverse("checkins:timeline")
    assert_says_nothing(delivery.payload, partner_a, partner_b)
    assert partner_checkin_push_send(user_id=partner_a.pk, url="/") == 0  # partner_a did not ask


def test_without_vapid_keys_nothing_is_offered_or_sent(client, partner_a, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    client.force_login(partner_a)
    page = client.get(reverse("settings"))
    assertNotContains(page, "Reminders on this phone")
    assertNotContains(page, "push_partner_checkins")
    notice = notification_create(user=partner_a, kind="reminder", url="/")
    assert notification_push_send(notification_id=notice.pk) is False


def test_opting_in_from_the_settings_page(client, push, partner_a, outsider):
    client.force_login(partner_a)
    page = client.get(reverse("settings"))
    assertContains(page, "Reminders on this phone")
    assertContains(page, f'data-push-key="{PUBLIC}"')
    assertContains(page, "Also tell me when my partner checks in")
    phone = push.phone("alex")
    url = reverse("push_subscribe")
    response = client.post(
        url, phone.subscription(), content_type="application/json", headers={"user-agent": PHONE_UA}
    )
    assert response.status_code == 201
    device = PushSubscription.objects.get(user=partner_a)
    assert device.device == "Chrome Mobile on Android (Pixel 8)"
    assertContains(client.get(reverse("settings")), "Chrome Mobile on Android (Pixel 8), since")

    # Bad details: a clear refusal, nothing stored.
    for bad in [
        {},
        {"endpoint": "not a url", "keys": phone.subscription()["keys"]},
        {"endpoint": f"{push.url}/push/x", "keys": {"p256dh": "short", "auth": "short"}},
        {"endpoint": f"{push.url}/push/x", "keys": "nope"},
    ]:
        response = client.post(url, bad, content_type="application/json")
        assert response.status_code == 400, bad
        assert "not usable" in response.json()["error"]
    assert client.post(url, "{{{", content_type="application/json").status_code == 400
    assert PushSubscription.objects.count() == 1

    # Another account cannot remove Alex's device, by id or by endpoint.
    client.force_login(outsider)
    client.post(reverse("push_remove", args=[device.pk]))
    client.post(
        reverse("push_unsubscribe"), {"endpoint": phone.endpoint}, content_type="application/json"
    )
    assert PushSubscription.objects.filter(pk=device.pk).exists()

    client.force_login(partner_a)
    response = client.post(reverse("push_remove", args=[device.pk]), follow=True)
    assertContains(response, "That device will get no more reminders.")
    assert not PushSubscription.objects.exists()


def test_the_same_browser_signed_in_as_someone_else_is_theirs_alone(push, partner_a, unlinked):
    phone = opt_in(partner_a, push, "shared")
    push_subscription_save(user=unlinked, info=phone.subscription(), user_agent=PHONE_UA)
    assert list(PushSubscription.objects.values_list("user", flat=True)) == [unlinked.pk]


def test_http_push_addresses_are_refused_outside_tests(client, push, partner_a, settings):
    settings.PUSH_ALLOW_HTTP = False
    client.force_login(partner_a)
    response = client.post(
        reverse("push_subscribe"), push.phone("x").subscription(), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["endpoint"] == ["A push address must start with https://."]


def test_therapists_cannot_opt_in(client, push, therapist):
    client.force_login(therapist)
    response = client.post(
        reverse("push_subscribe"), push.phone("t").subscription(), content_type="application/json"
    )
    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


def test_the_same_check_in_sent_twice_is_saved_once(client, partner_a, partner_b):
    client.force_login(partner_a)
    form = client.get(reverse("checkins:timeline")).content.decode()
    import re

    key = re.search(r'name="client_key" value="([^"]+)"', form).group(1)
    data = {"state": "activated", "intensity": 3, "client_key": key}
    first = client.post(reverse("checkins:create"), data, headers={"hx-request": "true"})
    again = client.post(reverse("checkins:create"), data, headers={"hx-request": "true"})
    assert first.status_code == again.status_code == 200
    assertContains(again, "Checked in: Activated")
    assert CheckIn.objects.filter(author=partner_a).count() == 1
    # The form that comes back is a new check-in to be, with a key of its own.
    fresh = re.search(r'name="client_key" value="([^"]+)"', again.content.decode()).group(1)
    assert fresh != key
    client.post(
        reverse("checkins:create"), {"state": "regulated", "intensity": 3, "client_key": fresh}
    )
    assert CheckIn.objects.filter(author=partner_a).count() == 2
    # Without a key (an old form, a script) each post is its own check-in, as before.
    client.post(reverse("checkins:create"), {"state": "regulated", "intensity": 3})
    client.post(reverse("checkins:create"), {"state": "regulated", "intensity": 3})
    assert CheckIn.objects.filter(author=partner_a).count() == 4


def test_one_persons_key_does_not_collide_with_anothers(partner_a, partner_b):
    import uuid

    key = uuid.uuid4()
    checkin_record(author=partner_a, data=typed("activated", client_key=key))
    checkin_record(author=partner_b, data=typed("shutdown", client_key=key))
    assert CheckIn.objects.count() == 2
    again = checkin_record(author=partner_a, data=typed("activated", client_key=key))
    assert again.again and CheckIn.objects.count() == 2
