import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from checkins.models import Answer, CheckIn
from tests.factories import CheckInFactory

CREATE = reverse("checkins:create")
VALID = {"state": "activated", "intensity": "4", "need": "connect", "note_visibility": "only_me"}


def test_a_checkin_needs_two_fields_and_lands_on_the_shared_timeline(client, partner_a, couple):
    client.force_login(partner_a)
    response = client.post(CREATE, {"state": "shutdown", "intensity": "3"})
    assertRedirects(response, reverse("checkins:timeline"))
    checkin = CheckIn.objects.get()
    assert (checkin.author, checkin.couple, checkin.state, checkin.need) == (
        partner_a,
        couple,
        "shutdown",
        "none",
    )
    assert checkin.note_visibility == "only_me"
    assert abs(checkin.occurred_at - timezone.now()) < timedelta(seconds=5)


def test_optional_details_are_stored(client, partner_a, couple):
    client.force_login(partner_a)
    client.post(
        CREATE,
        {
            **VALID,
            "body_cues": ["racing_heart", "tight_chest"],
            "stressors": ["work"],
            "note": "Big deadline.",
            "note_visibility": "shared",
        },
    )
    checkin = CheckIn.objects.get()
    assert checkin.body_cues == ["racing_heart", "tight_chest"]
    assert checkin.stressors == ["work"]
    assert (checkin.note, checkin.note_visibility) == ("Big deadline.", "shared")


def test_a_forged_author_or_couple_is_ignored(client, partner_a, partner_b, outsider):
    client.force_login(partner_a)
    other_couple = outsider.memberships.get().couple
    client.post(CREATE, {**VALID, "author": partner_b.pk, "couple": other_couple.pk})
    checkin = CheckIn.objects.get()
    assert checkin.author == partner_a
    assert checkin.couple != other_couple


def berlin_in(hours: int) -> str:
    """A datetime-local value, `hours` from now, as a partner in Berlin would type it."""
    when = timezone.now() + timedelta(hours=hours)
    return when.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"state": "furious"}, "state", "Select a valid choice"),
        ({"state": ""}, "state", "Choose the state"),
        ({"intensity": "0"}, "intensity", "from 1 to 5"),
        ({"intensity": "6"}, "intensity", "from 1 to 5"),
        ({"need": "hug"}, "need", "Select a valid choice"),
        ({"note": "x" * 1001}, "note", "1,000 characters"),
        ({"note_visibility": "everyone"}, "note_visibility", "Select a valid choice"),
        ({"body_cues": ["third_eye"]}, "body_cues", "Select a valid choice"),
        ({"occurred_at": 2}, "occurred_at", "future"),
        ({"occurred_at": -25}, "occurred_at", "at most 24 hours"),
        ({"occurred_at": "yesterday-ish"}, "occurred_at", "Enter a valid date"),
    ],
)
def test_bad_input_is_explained_by_the_field_and_stores_nothing(
    client, partner_a, couple, change, field, message, time_machine
):
    # An ordinary day: 25 hours back, across the night the clocks turn back, can be typed
    # as a time that also happened 24 hours back.
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    assert partner_a.time_zone == "Europe/Berlin"
    if isinstance(change.get("occurred_at"), int):
        change = {"occurred_at": berlin_in(change["occurred_at"])}
    client.force_login(partner_a)
    response = client.post(CREATE, {**VALID, **change})
    assert response.status_code == 200
    html = response.content.decode()
    error_start = html.index(f'id="id_{field}_error"')
    assert message.lower() in html[error_start : error_start + 300].lower()
    assert not CheckIn.objects.exists()


def test_an_unlinked_user_is_invited_to_link_and_cannot_check_in(client, unlinked):
    client.force_login(unlinked)
    page = client.get(reverse("checkins:timeline"))
    assertContains(page, "Link with your partner to start")
    assertNotContains(page, 'id="checkin_form"')
    response = client.post(CREATE, VALID, follow=True)
    assertContains(response, "Link with your partner to start checking in")
    assert not CheckIn.objects.exists()


def test_htmx_post_returns_the_fresh_form_and_the_new_entry_as_fragments(client, partner_a, couple):
    client.force_login(partner_a)
    response = client.post(
        CREATE, {**VALID, "checkin": "0", "answer": "0", "top": ""}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    # The fields come back fresh; the button stays where it is, and beside it, swapped in
    # out of band, the line that says it is saved.
    assert html.lstrip().startswith('<div id="checkin_fields"')
    assert "checked" not in html.split('id="checkin_status"')[0]
    checkin = CheckIn.objects.get()
    status = re.search(r'<p [^>]*id="checkin_status"[^>]*>(.*?)</p>', html, re.S)
    assert 'data-hx-swap-oob="innerHTML"' in status.group(0)
    when = timezone.localtime(checkin.occurred_at, zoneinfo.ZoneInfo(partner_a.time_zone))
    assert f"Checked in: Activated, {when:%H:%M}. Sam will see it." in status[1]
    assert re.search(r'<div id="checkin_after" data-hx-swap-oob="innerHTML"></div>', html)
    assert f'id="checkin-{checkin.pk}"' in html
    assert 'data-hx-swap-oob="afterbegin:#days"' in html
    assert f'name="checkin" value="{checkin.pk}"' in html  # the live cursor moves on


def test_htmx_post_with_errors_returns_only_the_form(client, partner_a, couple):
    client.force_login(partner_a)
    response = client.post(CREATE, {"state": "", "intensity": "9"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="checkin_fields"')
    assert 'id="id_state_error"' in html
    assert "Not saved yet" in html
    # The intensity is wrong too, so "Add more" opens to show it; no news comes with errors.
    assert re.search(r'<details [^>]*id="checkin_more" open', html)
    assert "afterbegin:#days" not in html
    assert not CheckIn.objects.exists()


def test_only_the_author_deletes_a_checkin(client, partner_a, partner_b, outsider):
    mine = CheckInFactory(author=partner_a)
    theirs = CheckInFactory(author=partner_b)
    strangers = CheckInFactory(author=outsider)
    client.force_login(partner_a)
    assert client.post(reverse("checkins:delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("checkins:delete", args=[strangers.pk])).status_code == 404
    assert client.get(reverse("checkins:delete", args=[mine.pk])).status_code == 405
    assertRedirects(
        client.post(reverse("checkins:delete", args=[mine.pk])), reverse("checkins:timeline")
    )
    assert set(CheckIn.objects.values_list("pk", flat=True)) == {theirs.pk, strangers.pk}


def test_htmx_delete_answers_with_an_empty_fragment(client, partner_a, couple):
    mine = CheckInFactory(author=partner_a)
    client.force_login(partner_a)
    response = client.post(
        reverse("checkins:delete", args=[mine.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content == b""


def test_the_partner_answers_once_with_one_tap(client, partner_a, partner_b):
    checkin = CheckInFactory(author=partner_a, state="shutdown")
    client.force_login(partner_b)
    url = reverse("checkins:answer", args=[checkin.pk])
    response = client.post(url, {"kind": "take_your_time"}, headers={"HX-Request": "true"})
    assertContains(response, "Take your time")
    assertNotContains(response, "<html")
    client.post(url, {"kind": "see_you"})
    assert list(Answer.objects.values_list("author", "kind")) == [(partner_b.pk, "take_your_time")]

    client.force_login(partner_a)
    page = client.get(reverse("checkins:timeline"))
    assertContains(page, "Sam: “Take your time”")


def test_nobody_answers_their_own_or_a_strangers_checkin(client, partner_a, partner_b, outsider):
    own = CheckInFactory(author=partner_a)
    strangers = CheckInFactory(author=outsider)
    client.force_login(partner_a)
    client.post(reverse("checkins:answer", args=[own.pk]), {"kind": "see_you"})
    response = client.post(reverse("checkins:answer", args=[strangers.pk]), {"kind": "see_you"})
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_an_unknown_answer_is_refused(client, partner_a, partner_b):
    checkin = CheckInFactory(author=partner_a)
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[checkin.pk]), {"kind": "whatever"})
    assert not Answer.objects.exists()


def test_old_checkins_are_not_answered(client, partner_a, partner_b):
    checkin = CheckInFactory(author=partner_a, occurred_at=timezone.now() - timedelta(days=2))
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[checkin.pk]), {"kind": "see_you"})
    assert not Answer.objects.exists()
