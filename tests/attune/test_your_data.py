import csv
import io
import json

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from attune.delivery import notification_email_send
from attune.models import Notification, User
from attune.selectors import couple_for_user
from attune.services import notification_create
from checkins.models import Answer, CheckIn
from tests.attune.test_linking import reauthenticate
from tests.factories import CheckInFactory

PRIVATE = "my partner must never read this"


@pytest.fixture
def history(partner_a, partner_b):
    CheckInFactory(author=partner_a, note="mine, private", note_visibility="only_me")
    theirs = CheckInFactory(author=partner_b, note=PRIVATE, note_visibility="only_me")
    Answer.objects.create(
        checkin=theirs, couple_id=theirs.couple_id, author=partner_a, kind="see_you"
    )


def test_export_needs_a_fresh_password(client, partner_a, history):
    client.force_login(partner_a)
    response = client.get(reverse("export_json"))
    assert "/accounts/reauthenticate/" in response.url


def test_json_export_holds_what_the_user_wrote_in_their_time_zone(client, partner_a, history):
    partner_a.time_zone = "Asia/Kolkata"
    partner_a.save()
    reauthenticate(client, partner_a)
    response = client.get(reverse("export_json"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["email"] == partner_a.email
    assert [c["note"] for c in data["checkins"]] == ["mine, private"]
    assert data["checkins"][0]["occurred_at"].endswith("+05:30")
    assert data["answers_given"][0]["answer"] == "I see you"
    assert PRIVATE not in response.content.decode()


def test_csv_export_has_the_same_records(client, partner_a, history):
    reauthenticate(client, partner_a)
    response = client.get(reverse("export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["record", "field", "value"]
    assert ["checkins[0]", "note", "mine, private"] in rows
    assert PRIVATE not in response.content.decode()


def test_deleting_an_account_keeps_the_partners_own_entries(client, partner_a, partner_b, history):
    reauthenticate(client, partner_a)
    response = client.post(reverse("delete_account"), {"confirm": "on"})
    assertRedirects(response, reverse("home"))
    assert not User.objects.filter(pk=partner_a.pk).exists()
    assert not CheckIn.objects.filter(note="mine, private").exists()
    assert not Answer.objects.exists()
    assert CheckIn.objects.get().author == partner_b
    partner_b = User.objects.get(pk=partner_b.pk)
    assert couple_for_user(user=partner_b) is None
    notice = Notification.objects.get(user=partner_b)
    assert notice.text == "Your former partner closed their Attune account."
    assert "_auth_user_id" not in client.session


def test_deleting_needs_the_box_ticked(client, partner_a):
    reauthenticate(client, partner_a)
    response = client.post(reverse("delete_account"), {})
    assert response.status_code == 200
    assert User.objects.filter(pk=partner_a.pk).exists()


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_a_notification_email_says_nothing_private_and_goes_once(
    partner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = notification_create(user=partner_a, kind="partner_unlinked", url="/")
    (message,) = mail.outbox
    assert message.to == [partner_a.email]
    text = (message.subject + message.body).lower()
    for word in ("unlink", "activated", "shutdown", "conflict", "partner ended"):
        assert word not in text
    assert "/notifications/" in message.body
    assert not notification_email_send(notification_id=notice.pk, site_url="http://x")
    assert len(mail.outbox) == 1


def test_no_email_when_the_user_turned_them_off(partner_a, django_capture_on_commit_callbacks):
    partner_a.email_notifications = False
    partner_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notification_create(user=partner_a, kind="partner_linked")
    assert not notification_email_send(notification_id=notice.pk, site_url="http://x")
    assert not mail.outbox
