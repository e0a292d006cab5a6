import re
import zoneinfo
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from attune.models import Membership
from checkins.models import Answer, CheckIn
from checkins.presenters import picture_window, two_lane_pictures
from checkins.selectors import (
    PAGE_SIZE,
    LiveCursor,
    checkins_between,
    checkins_visible_to,
    live_cursor,
    timeline_page,
)
from tests.factories import CheckInFactory, UserFactory

TIMELINE = reverse("checkins:timeline")
POLL = reverse("checkins:poll")
SECRET = "the private words nobody else may read"
SHARED = "a note for both of us"


@pytest.fixture
def notes(partner_a, partner_b):
    """Sam writes one private and one shared note."""
    CheckInFactory(author=partner_b, note=SECRET, note_visibility="only_me", state="shutdown")
    CheckInFactory(author=partner_b, note=SHARED, note_visibility="shared")


def test_both_partners_entries_and_no_strangers_on_the_timeline(
    client, partner_a, partner_b, outsider
):
    CheckInFactory(author=partner_a, state="activated", need="connect")
    CheckInFactory(author=partner_b, state="shutdown", need="space")
    CheckInFactory(author=outsider, state="regulated")
    client.force_login(partner_a)
    response = client.get(TIMELINE)
    assertContains(response, 'class="entry entry--activated"', count=1)
    assertContains(response, 'class="entry entry--shutdown"', count=1)
    assertNotContains(response, 'class="entry entry--regulated"')
    assertContains(response, "needs space")
    assertContains(response, "Today")


def test_an_only_me_note_never_reaches_the_partner(client, partner_a, partner_b, notes):
    client.force_login(partner_a)
    page = client.get(TIMELINE)
    assertNotContains(page, SECRET)
    assertContains(page, SHARED)
    poll = client.get(POLL, {"checkin": 0, "answer": 0, "top": ""})
    assert poll.status_code == 200
    assert SECRET not in poll.content.decode()
    assert SHARED in poll.content.decode()
    post = client.post(
        reverse("checkins:create"),
        {"state": "regulated", "intensity": 1, "checkin": 0, "answer": 0},
        headers={"HX-Request": "true"},
    )
    assert SHARED in post.content.decode()
    assert SECRET not in post.content.decode()
    # Not even loaded from the database for the partner.
    for entry in checkins_visible_to(viewer=partner_a):
        assert entry.shown_note in ("", SHARED)


def test_the_author_sees_their_own_private_note(client, partner_b, notes):
    client.force_login(partner_b)
    response = client.get(TIMELINE)
    assertContains(response, SECRET)
    assertContains(response, "Only you can see this note.")


def test_an_only_me_note_stays_out_of_older_pages(client, partner_a, partner_b):
    CheckInFactory(
        author=partner_b,
        note=SECRET,
        occurred_at=timezone.now() - timedelta(hours=5),
    )
    for minutes in range(PAGE_SIZE):
        CheckInFactory(author=partner_a, occurred_at=timezone.now() - timedelta(minutes=minutes))
    client.force_login(partner_a)
    first = client.get(TIMELINE)
    cursor = first.context["older"]
    older = client.get(TIMELINE, {"before": cursor}, headers={"HX-Request": "true"})
    assert 'class="entry entry--regulated"' in older.content.decode()
    assert SECRET not in older.content.decode()


def test_after_unlinking_each_sees_only_their_own_entries(partner_a, partner_b, couple):
    mine = CheckInFactory(author=partner_a)
    CheckInFactory(author=partner_b)
    couple.ended_at = timezone.now()
    couple.save()
    Membership.objects.filter(couple=couple).update(ended_at=timezone.now())
    assert list(checkins_visible_to(viewer=partner_a)) == [mine]


def test_older_pages_follow_by_keyset_without_gaps_or_repeats(client, partner_a, partner_b):
    now = timezone.now()
    # Two entries share a timestamp across the page boundary: the id breaks the tie.
    for i in range(PAGE_SIZE + 5):
        CheckInFactory(
            author=partner_a if i % 2 else partner_b,
            occurred_at=now - timedelta(minutes=10 * (i if i != PAGE_SIZE else i - 1)),
        )
    client.force_login(partner_a)
    first = client.get(TIMELINE)
    seen = [e.pk for day in first.context["days"] for e in day.entries]
    assert len(seen) == PAGE_SIZE
    older = client.get(TIMELINE, {"before": first.context["older"]}, headers={"HX-Request": "true"})
    assert "<html" not in older.content.decode()
    rest = [int(pk) for pk in re.findall(r'id="checkin-(\d+)"', older.content.decode())]
    assert sorted(seen + rest) == sorted(CheckIn.objects.values_list("pk", flat=True))
    assert 'id="older"' not in older.content.decode()
    # Without JavaScript the same link is a page of its own.
    assertContains(client.get(TIMELINE, {"before": first.context["older"]}), "<html")


def test_a_broken_cursor_shows_the_first_page(client, partner_a, partner_b):
    CheckInFactory(author=partner_a)
    client.force_login(partner_a)
    for broken in ("not-a-cursor", "²³.1", "1.٣"):
        response = client.get(TIMELINE, {"before": broken})
        assert response.status_code == 200
        assertContains(response, 'class="entry ')


def test_an_older_page_without_javascript_is_the_whole_page(client, partner_a, partner_b):
    entries = [
        CheckInFactory(author=partner_b, occurred_at=timezone.now() - timedelta(hours=i + 1))
        for i in range(PAGE_SIZE + 3)
    ]
    client.force_login(partner_a)
    first = client.get(TIMELINE)
    older = first.context["older"]
    response = client.get(TIMELINE, {"before": older})  # no htmx: a link opened as a page
    assertContains(response, "You and Sam share this timeline.")
    assertContains(response, 'id="checkin_form"')
    assertContains(response, 'id="pictures"')
    assertContains(response, f'id="checkin-{entries[-1].pk}"')
    assertNotContains(response, f'id="checkin-{entries[0].pk}"')
    # Live updates still know where they stand.
    live = response.context["live"]
    assert live.checkin == max(e.pk for e in entries)


def _bulk(author, count):
    couple = author.memberships.get(ended_at__isnull=True).couple
    start = timezone.now() - timedelta(days=730)
    step = timedelta(days=730) / count
    CheckIn.objects.bulk_create(
        CheckIn(
            author=author,
            couple=couple,
            state=("regulated", "activated", "shutdown")[i % 3],
            intensity=1 + i % 5,
            need=("none", "connect", "space")[i % 3],
            note="note" if i % 4 else "",
            occurred_at=start + i * step,
        )
        for i in range(count)
    )


def test_the_timeline_costs_the_same_queries_with_10_or_5000_checkins(client, partner_a, partner_b):
    client.force_login(partner_a)
    _bulk(partner_a, 5)
    _bulk(partner_b, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(TIMELINE).status_code == 200
    _bulk(partner_a, 2500)
    _bulk(partner_b, 2490)
    assert CheckIn.objects.count() == 5000
    with CaptureQueriesContext(connection) as large:
        assert client.get(TIMELINE).status_code == 200
    # A page that reaches back past the pictures' week draws them from its own entries; a
    # long history needs the week's check-ins in one query of their own.
    assert len(small) == len(large) - 1
    # Session, user, memberships, the page with the live cursor, its answers, the pictures'
    # week, flags, the open revisit and the bell: within the budget of 10.
    assert len(large) <= 9


def test_a_poll_with_nothing_new_is_an_empty_204_in_two_queries(
    client, partner_a, partner_b, django_assert_max_num_queries
):
    CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    live = client.get(TIMELINE).context["live"]
    with django_assert_max_num_queries(2):
        response = client.get(POLL, {"checkin": live.checkin, "answer": live.answer, "top": ""})
    assert response.status_code == 204
    assert response.content == b""


def test_a_poll_brings_the_partners_new_checkin_and_answers(
    client, partner_a, partner_b, time_machine
):
    # Midday: the partner's check-in joins the page's top day, with no midnight in between.
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    mine = CheckInFactory(author=partner_a, state="activated")
    client.force_login(partner_a)
    page = client.get(TIMELINE)
    live, top = page.context["live"], page.context["top_day"]
    new = CheckInFactory(author=partner_b, state="shutdown")
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "see_you"})
    client.force_login(partner_a)
    response = client.get(
        POLL, {"checkin": live.checkin, "answer": live.answer, "top": top.isoformat()}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'data-hx-swap-oob="afterbegin:#day-{top.isoformat()}-list"' in html
    assert f'id="checkin-{new.pk}"' in html
    # The entry that got an answer is replaced in place.
    assert f'id="checkin-{mine.pk}" data-hx-swap-oob="true"' in html
    assert "“I see you”" in html
    assert f'name="checkin" value="{new.pk}"' in html


def test_news_shows_the_new_entry_and_then_its_answer_within_a_budget(client, partner_a, partner_b):
    """The usual news, a check-in just made: the author's own POST and the partner's next
    poll both bring it; once answered, the author's next poll brings the answer."""
    client.force_login(partner_a)
    live = client.get(TIMELINE).context["live"]
    cursor = {"checkin": live.checkin, "answer": live.answer, "top": ""}
    client.force_login(partner_b)
    response = client.post(
        reverse("checkins:create"),
        {"state": "regulated", "intensity": 2, **cursor},
        headers={"HX-Request": "true"},
    )
    new = CheckIn.objects.get(author=partner_b)
    assert f'id="checkin-{new.pk}"' in response.content.decode()
    client.force_login(partner_a)
    with CaptureQueriesContext(connection) as polled:
        response = client.get(POLL, cursor, headers={"HX-Request": "true"})
    assert f'id="checkin-{new.pk}"' in response.content.decode()
    # Session, viewer, memberships, the answered ids, news, its answers, flags, the
    # pictures' check-ins and the bell.
    assert len(polled) <= 9
    client.post(reverse("checkins:answer", args=[new.pk]), {"kind": "see_you"})
    client.force_login(partner_b)
    response = client.get(
        POLL, {"checkin": new.pk, "answer": 0, "top": ""}, headers={"HX-Request": "true"}
    )
    assert "You: “I see you”" not in response.content.decode()
    assert "Alex: “I see you”" in response.content.decode()


def test_a_poll_does_not_leak_other_couples_news(client, partner_a, partner_b, outsider):
    client.force_login(partner_a)
    live = client.get(TIMELINE).context["live"]
    CheckInFactory(author=outsider)
    response = client.get(POLL, {"checkin": live.checkin, "answer": live.answer})
    assert response.status_code == 204


def test_a_poll_without_a_session_sends_the_browser_to_login(client, db):
    response = client.get(POLL, {"checkin": 0, "answer": 0})
    assert response.headers["HX-Redirect"] == reverse("account_login")


def test_a_poll_with_a_broken_cursor_is_a_bad_request(client, partner_a):
    client.force_login(partner_a)
    assert client.get(POLL, {"checkin": "x", "answer": 0}).status_code == 400
    # Digits that are not ASCII pass str.isdigit() but not int().
    assert client.get(POLL, {"checkin": "²", "answer": "٣"}).status_code == 400
    assert client.post(POLL).status_code == 405


def test_a_poll_after_a_password_change_elsewhere_is_refused(client, partner_a, partner_b):
    client.force_login(partner_a)
    partner_a.set_password("a-brand-new-passphrase-9")
    partner_a.save()
    response = client.get(POLL, {"checkin": 0, "answer": 0})
    assert "HX-Redirect" in response.headers


def test_the_picture_shows_both_lanes_and_a_text_alternative(
    client, partner_a, partner_b, time_machine
):
    # Midday: today's picture still holds the check-ins when the page is drawn.
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    CheckInFactory(
        author=partner_a, state="activated", intensity=5, note=SECRET, note_visibility="only_me"
    )
    CheckInFactory(author=partner_b, state="shutdown", intensity=2)
    client.force_login(partner_b)
    response = client.get(TIMELINE)
    assertContains(response, 'class="lanes__seg lanes__seg--activated"', count=2)
    assertContains(response, 'class="lanes__seg lanes__seg--shutdown"', count=2)
    assertContains(response, 'class="lanes__pattern" fill="url(#dots-today)"', count=1)
    assertContains(response, 'class="lanes__pattern" fill="url(#hatch-week)"', count=1)
    assertContains(
        response,
        '<desc id="picture-today-desc">You: 0 regulated, 0 activated, 1 shut down. '
        "Alex: 0 regulated, 1 activated, 0 shut down.",
    )
    assertNotContains(response, SECRET)


def test_the_picture_escapes_a_partners_name(client, partner_a, partner_b):
    partner_a.display_name = 'Al <script>x()</script> & "Co"'
    partner_a.save()
    CheckInFactory(author=partner_a, state="activated")
    client.force_login(partner_b)
    html = client.get(TIMELINE).content.decode()
    svgs = re.findall(r'<svg class="lanes".*?</svg>', html, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert "<script>" not in svg
        assert "Al &lt;script&gt;x()&lt;/script&gt; &amp; &quot;Co&quot;" in svg
    # The picture read out as text names the partner too, escaped the same way.
    (text,) = re.findall(r'<details class="lanes__text">.*?</details>', html, re.S)
    assert "<script>" not in text
    assert "<strong>Al &lt;script&gt;x()&lt;/script&gt; &amp; &quot;Co&quot;</strong>" in text


def test_the_picture_read_out_as_text_and_its_legend(client, partner_a, partner_b):
    now = timezone.now().replace(second=0, microsecond=0)
    CheckInFactory(author=partner_a, state="activated", intensity=4, occurred_at=now)
    client.force_login(partner_b)
    html = client.get(TIMELINE).content.decode()
    figures = re.findall(r'<figure class="picture card".*?</figure>', html, re.S)
    assert [re.search(r'aria-labelledby="picture-(\w+)-title"', f)[1] for f in figures] == [
        "today",
        "week",
    ]
    today, week = figures
    assert '<figcaption id="picture-today-title">Today</figcaption>' in today
    assert '<figcaption id="picture-week-title">The last 7 days</figcaption>' in week
    # Only today's picture can be read out: the partner's lane from its time, and none for
    # the viewer, who has not checked in.
    local = now.astimezone(zoneinfo.ZoneInfo(partner_b.time_zone))
    assert f"<strong>Alex</strong>: activated 4/5 from {local:%H:%M}.</p>" in today
    assert "<strong>You</strong>: no check-ins.</p>" in today
    assert "lanes__text" not in week
    for figure in figures:
        assert '<span class="state state--shutdown">Shut down</span>' in figure
        # Nothing out of sync yet, so no shading and nothing in the legend for it.
        assert "legend-shade" not in figure


def test_pages_refuse_the_wrong_method_and_need_a_login(client, db):
    assert client.get(reverse("checkins:create")).status_code in (302, 405)
    assert client.get(TIMELINE).status_code == 302
    assert client.post(reverse("checkins:create")).status_code == 302


def test_news_is_judged_per_viewer_whatever_the_ids(client, partner_a, partner_b, outsider):
    # Many users first, so user ids and check-in ids cannot line up by chance.
    UserFactory.create_batch(7)
    before = LiveCursor(checkin=0, answer=0)
    theirs = CheckInFactory(author=partner_b)

    def news(user, since):
        client.force_login(user)
        response = client.get(POLL, {"checkin": since.checkin, "answer": since.answer})
        assert response.status_code in (200, 204)
        return response.status_code == 200

    assert news(partner_a, before) is True
    assert news(partner_b, before) is True
    assert news(outsider, before) is False
    after = LiveCursor(checkin=theirs.pk, answer=0)
    assert news(partner_a, after) is False
    CheckInFactory(author=outsider)
    assert news(partner_a, after) is False
    assert news(outsider, after) is True
    answer = Answer.objects.create(
        checkin=theirs, couple_id=theirs.couple_id, author=partner_a, kind="see_you"
    )
    assert news(partner_b, after) is True
    assert news(partner_b, LiveCursor(checkin=theirs.pk, answer=answer.pk)) is False
    # An account switched off since is signed out, not answered.
    client.force_login(partner_a)
    partner_a.is_active = False
    partner_a.save()
    response = client.get(POLL, {"checkin": 0, "answer": 0})
    assert response.headers["HX-Redirect"] == reverse("account_login")


def test_after_news_the_cursor_is_the_newest_checkin_and_answer(client, partner_a, partner_b):
    mine = CheckInFactory(author=partner_a)
    client.force_login(partner_a)
    live = client.get(TIMELINE).context["live"]
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "take_your_time"})
    theirs = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    response = client.get(POLL, {"checkin": live.checkin, "answer": live.answer, "top": ""})
    answer = Answer.objects.get()
    html = response.content.decode()
    assert f'name="checkin" value="{theirs.pk}"' in html
    assert f'name="answer" value="{answer.pk}"' in html
    # The next poll, with that cursor, has nothing new.
    again = client.get(POLL, {"checkin": theirs.pk, "answer": answer.pk, "top": ""})
    assert again.status_code == 204


def test_an_answer_from_a_former_partner_never_shows_their_live_name(client, partner_a, partner_b):
    from attune.services import couple_link, couple_unlink

    mine = CheckInFactory(author=partner_a)
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "see_you"})
    couple_unlink(user=partner_a)
    # Sam leaves and, later, goes by another name.
    partner_b.display_name = "Samira Moved-Away"
    partner_b.save()
    couple_link(first=partner_a, second=UserFactory(display_name="Robin"))
    client.force_login(partner_a)
    response = client.get(TIMELINE)
    assertContains(response, "Your former partner: “I see you”")
    assertNotContains(response, "Samira")
    assertNotContains(response, "Sam:")


def test_answers_name_the_partner_on_your_own_entries(client, partner_a, partner_b):
    mine = CheckInFactory(author=partner_a)
    theirs = CheckInFactory(author=partner_b)
    client.force_login(partner_b)
    client.post(reverse("checkins:answer", args=[mine.pk]), {"kind": "see_you"})
    client.force_login(partner_a)
    client.post(reverse("checkins:answer", args=[theirs.pk]), {"kind": "here_when_ready"})
    html = client.get(TIMELINE).content.decode()
    assert "Sam: “I see you”" in html
    assert "You: “I&#x27;m here when you&#x27;re ready”" in html


def test_an_htmx_checkin_without_a_cursor_brings_only_itself(client, partner_a, partner_b):
    older = [CheckInFactory(author=partner_b) for _ in range(3)]
    client.force_login(partner_a)
    response = client.post(
        reverse("checkins:create"),
        {"state": "regulated", "intensity": 2, "need": "none", "note_visibility": "shared"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    new = CheckIn.objects.get(author=partner_a)
    assert f'id="checkin-{new.pk}"' in html
    assert not any(f'id="checkin-{c.pk}"' in html for c in older)


def test_entry_times_are_in_the_viewers_zone(client, partner_a, partner_b):
    from datetime import UTC, datetime

    at = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)  # a Wednesday; Berlin is UTC+2 then
    CheckInFactory(author=partner_a, occurred_at=at)
    client.force_login(partner_a)
    html = client.get(TIMELINE, {"before": ""}).content.decode()
    assert '<time class="entry__time" datetime="2026-07-01T14:05:00+0200">14:05</time>' in html
    assert "your check-in from Wed 14:05" in html


@pytest.mark.parametrize(("count", "every"), [(15, 14), (80, 3)])
def test_the_pictures_from_the_first_page_are_the_pictures_from_the_database(
    partner_a, partner_b, count, every, time_machine
):
    # Mid-afternoon, so that today already holds a check-in of each partner.
    time_machine.move_to(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False)
    # 15 check-ins fourteen hours apart fit on one page and reach back past the pictures'
    # week (and the day before it, whose last state carries in); 80 three hours apart do not.
    now = timezone.now()
    for i in range(count):
        CheckInFactory(
            author=(partner_a, partner_b)[i % 2],
            state=("regulated", "activated", "shutdown")[i % 3],
            intensity=1 + i % 5,
            occurred_at=now - timedelta(hours=every * i + 1),
        )
    tz = timezone.get_current_timezone()
    page = timeline_page(viewer=partner_a)
    assert count < PAGE_SIZE or count > 3 * PAGE_SIZE
    assert page.holds_everything_since(now - timedelta(days=9)) is (count < PAGE_SIZE)
    window = picture_window(now=now, tz=tz)
    common = {"window": window, "now": now, "tz": tz, "top": (partner_a.pk, "You")}
    common["bottom"] = (None, "Sam")
    from_page = two_lane_pictures(
        sorted(page.entries, key=lambda e: (e.occurred_at, e.pk)), **common
    )
    from_database = two_lane_pictures(
        checkins_between(viewer=partner_a, start=window.reads_from, end=window.day_end), **common
    )
    if count < PAGE_SIZE:
        assert from_page == from_database
    assert all(lane.segments for picture in from_database for lane in picture.lanes)


def test_the_first_page_brings_the_live_cursor(partner_a, partner_b, outsider):
    assert timeline_page(viewer=partner_a).live == LiveCursor(0, 0)
    older = CheckInFactory(author=partner_b, occurred_at=timezone.now() - timedelta(days=3))
    CheckInFactory(author=partner_a, occurred_at=timezone.now() - timedelta(days=1))
    # Written last but backdated: the newest id is not the newest on the page.
    backdated = CheckInFactory(author=partner_b, occurred_at=timezone.now() - timedelta(days=9))
    answer = Answer.objects.create(
        checkin=older, couple_id=older.couple_id, author=partner_a, kind="see_you"
    )
    CheckInFactory(author=outsider)
    page = timeline_page(viewer=partner_a)
    assert page.live == LiveCursor(checkin=backdated.pk, answer=answer.pk)
    assert page.live == live_cursor(viewer=partner_a)


def test_todays_picture_reads_as_text_in_the_viewers_zone(
    client, partner_a, partner_b, time_machine
):
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    partner_b.time_zone = "Asia/Kolkata"  # UTC+5:30, so noon is 17:30 there
    partner_b.save()
    at = datetime(2026, 3, 10, tzinfo=UTC)
    CheckInFactory(author=partner_b, state="shutdown", intensity=2, occurred_at=at.replace(hour=4))
    CheckInFactory(
        author=partner_b, state="regulated", intensity=3, occurred_at=at.replace(hour=9, minute=15)
    )
    CheckInFactory(
        author=partner_a, state="activated", intensity=5, occurred_at=at.replace(hour=10)
    )
    client.force_login(partner_b)
    response = client.get(TIMELINE)
    assertContains(
        response, "<p><strong>You</strong>: shutdown 2/5 from 09:30; regulated 3/5 from 14:45.</p>"
    )
    assertContains(response, "<p><strong>Alex</strong>: activated 5/5 from 15:30.</p>")


def test_the_one_rule_blanks_every_private_note_but_the_authors_for_every_viewer(
    partner_a, partner_b, outsider, live, rivera
):
    """Partners of a couple, a partner who left and linked anew, an outsider, a therapist
    with live access and one without: each sees the rows the rule gives, and nobody but
    the author ever gets an "only me" note."""
    from attune.services import couple_link, couple_unlink

    def check(*viewers):
        for viewer in viewers:
            viewer = type(viewer).objects.get(pk=viewer.pk)  # nothing remembered
            seen = {c.pk: c.shown_note for c in checkins_visible_to(viewer=viewer)}
            assert SECRET not in [note for pk, note in seen.items() if pk not in mine[viewer.pk]]

    mine = defaultdict(set)
    for author in (partner_a, partner_b, outsider):
        for note, visibility in ((SECRET, "only_me"), ("said to both", "shared")):
            entry = CheckInFactory(author=author, note=note, note_visibility=visibility)
            mine[author.pk].add(entry.pk)
    therapist = live.therapist
    assert checkins_visible_to(viewer=therapist).count() == 4
    assert checkins_visible_to(viewer=rivera).count() == 4
    check(partner_a, partner_b, outsider, therapist)
    couple_unlink(user=partner_a)
    kim = UserFactory(display_name="Kim")
    couple_link(first=partner_a, second=kim)
    mine[kim.pk].add(CheckInFactory(author=kim, note=SECRET, note_visibility="only_me").pk)
    mine[partner_a.pk].add(CheckInFactory(author=partner_a).pk)
    check(partner_a, partner_b, kim, outsider, UserFactory(), therapist)
    # Alex: both entries of the new couple and only their own from the ended one.
    alex = type(partner_a).objects.get(pk=partner_a.pk)
    seen = checkins_visible_to(viewer=alex)
    assert sorted(c.author_id for c in seen) == sorted([partner_a.pk] * 3 + [kim.pk])
    # The couple ended, so the therapist's access did too.
    assert checkins_visible_to(viewer=type(rivera).objects.get(pk=rivera.pk)).count() == 0


def test_the_pictures_axes_follow_the_clocks_on_the_day_they_turn_back(partner_a, partner_b):
    """25 October 2026 in Berlin has 25 hours: 06:00 comes 7 of them in, and the week
    shown is 169 hours long, its Sunday (that day) starting 144 hours in."""
    now = datetime(2026, 10, 25, 15, 0, tzinfo=UTC)
    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    window = picture_window(now=now, tz=tz)
    today, week = two_lane_pictures(
        [], window=window, now=now, tz=tz, top=(partner_a.pk, "You"), bottom=(None, "Sam")
    )
    assert today.ticks == [(0, "00:00"), (280, "06:00"), (520, "12:00"), (760, "18:00")]
    assert week.ticks[0] == (0, "Mon") and week.ticks[-1] == (852, "Sun")  # 144 / 169
