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


def body(response) -> str:
    assert response.streaming  # written as it is read
    return b"".join(response.streaming_content).decode()


def test_json_export_holds_what_the_user_wrote_in_their_time_zone(client, partner_a, history):
    partner_a.time_zone = "Asia/Kolkata"
    partner_a.save()
    reauthenticate(client, partner_a)
    response = client.get(reverse("export_json"))
    assert response["Content-Disposition"].startswith("attachment;")
    text = body(response)
    data = json.loads(text)
    assert data["profile"]["email"] == partner_a.email
    assert [c["note"] for c in data["checkins"]] == ["mine, private"]
    assert data["checkins"][0]["occurred_at"].endswith("+05:30")
    assert data["answers_given"][0]["answer"] == "I see you"
    assert data["invitations_sent"] == []
    assert PRIVATE not in text


def test_csv_export_has_the_same_records(client, partner_a, history):
    reauthenticate(client, partner_a)
    response = client.get(reverse("export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    text = body(response)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["record", "field", "value"]
    assert ["checkins[0]", "note", "mine, private"] in rows
    assert PRIVATE not in text


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


def test_a_long_history_streams_whole_in_a_few_queries(
    client, partner_a, couple, django_assert_max_num_queries
):
    """Two years of a busy partner's check-ins: every one in the export, read in chunks
    (one query per chunk of EXPORT_CHUNK, not one per row and not all at once)."""
    from attune.selectors import EXPORT_CHUNK

    CheckIn.objects.bulk_create(
        CheckIn(author=partner_a, couple=couple, state="regulated", intensity=2, need="none")
        for _ in range(10_000)
    )
    reauthenticate(client, partner_a)
    for url in (reverse("export_json"), reverse("export_csv")):
        response = client.get(url)
        with django_assert_max_num_queries(10_000 // EXPORT_CHUNK + 10):
            text = body(response)
        if url.endswith("json"):
            assert len(json.loads(text)["checkins"]) == 10_000
        else:
            assert "\ncheckins[9999],state,regulated" in text
            assert "checkins[10000]" not in text


def test_the_partners_open_page_keeps_working_while_an_account_is_deleted(
    client, partner_a, partner_b, history
):
    """Sam's timeline is open and polling when Robin deletes the account: Sam's next poll
    and page answer as usual (no 500), and show the ended timeline, not Robin's entries."""
    from django.test import Client

    sam = Client()
    sam.force_login(partner_b)
    live = sam.get(reverse("checkins:timeline")).context["live"]
    since = {"checkin": live.checkin, "answer": live.answer, "top": ""}
    robins = list(CheckIn.objects.filter(author=partner_a).values_list("pk", flat=True))

    reauthenticate(client, partner_a)
    assert client.post(reverse("delete_account"), {"confirm": "on"}).status_code == 302

    poll = sam.get(reverse("checkins:poll"), since, headers={"HX-Request": "true"})
    assert poll.status_code in (200, 204)
    page = sam.get(reverse("checkins:timeline"))
    assert page.status_code == 200
    for pk in robins:
        assert f'id="checkin-{pk}"' not in page.content.decode()
