"""Patterns over weeks: the numbers on a made-up history with known answers (week and hour
boundaries in the viewer's zone, across the end of summer time), what never goes in (notes,
withheld check-ins, a former partner's data), the reading's words, and bad periods."""

import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from attune.services import couple_link, couple_unlink
from checkins.charts import patterns_view, reading
from checkins.models import Flag, Revisit, RevisitRating
from checkins.patterns import Period, couple_patterns, patterns_couple_id
from tests.factories import CheckInFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Three whole weeks in Berlin; summer time ends in the middle one (25 October, 03:00 -> 02:00).
PERIOD = Period(first=date(2026, 10, 12), last=date(2026, 11, 1), tz=BERLIN)
W1, W2, W3 = date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=BERLIN)
QUERY = {"span": "custom", "start": "2026-10-12", "end": "2026-11-01"}


def at(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def checkin(author, when, state="regulated", **extra):
    return CheckInFactory(author=author, occurred_at=when, created_at=when, state=state, **extra)


def flag(couple, opened, minutes=None, **extra):
    resolved = opened + timedelta(minutes=minutes) if minutes is not None else None
    return Flag.objects.create(
        couple=couple, pattern="pursue_withdraw", opened_at=opened, resolved_at=resolved, **extra
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(frozen, couple, partner_a, partner_b):
    """Alex and Sam over the three weeks, with flags on weekday evenings and one in the
    repeated hour of the night the clocks go back."""
    checkin(partner_a, at(2026, 10, 13, 9, 0))
    checkin(partner_a, at(2026, 10, 14, 9, 0))
    checkin(partner_a, at(2026, 10, 15, 20, 0), "activated")
    checkin(partner_b, at(2026, 10, 15, 20, 5), "shutdown")
    checkin(partner_b, at(2026, 10, 16, 9, 0))
    # Monday 00:30 in Berlin is still Sunday in UTC: it belongs to the second week.
    checkin(partner_a, at(2026, 10, 19, 0, 30))
    # The last Sunday of summer time has 25 hours; 23:30 that night is still its week...
    checkin(partner_b, at(2026, 10, 25, 23, 30), "activated")
    # ... and 00:15 on Monday (23:15 UTC on Sunday) the next one.
    checkin(partner_a, at(2026, 10, 26, 0, 15))
    # Tuesday and Thursday evenings at 20:xx, in summer time and in winter time.
    flag(couple, at(2026, 10, 13, 20, 10), 30)
    flag(couple, at(2026, 10, 15, 20, 40), 90)
    flag(couple, at(2026, 10, 27, 20, 5), 60)
    # 02:30 the second time round (fold=1: winter time, 01:30 UTC); still open.
    flag(couple, at(2026, 10, 25, 2, 30, fold=1))
    return couple


def found(viewer, couple, period=PERIOD):
    return couple_patterns(viewer=viewer, couple_id=couple.pk, period=period, partners=[viewer.pk])


def test_a_period_is_whole_local_days_and_the_clock_change_week_has_169_hours():
    week = Period(first=W2, last=W2 + timedelta(days=6), tz=BERLIN)
    # (Aware datetimes in one zone subtract as wall clocks; the instants are 169 hours apart.)
    assert week.ends_at.astimezone(UTC) - week.starts_at.astimezone(UTC) == timedelta(hours=169)
    assert PERIOD.weeks == [W1, W2, W3]
    assert Period(first=date(2026, 10, 14), last=date(2026, 10, 20), tz=BERLIN).weeks == [W1, W2]


def test_states_per_week_in_the_viewers_zone(history, partner_a, partner_b):
    patterns = couple_patterns(
        viewer=partner_a, couple_id=history.pk, period=PERIOD, partners=[partner_a.pk, partner_b.pk]
    )
    assert patterns.states[partner_a.pk] == {
        W1: {"regulated": 2, "activated": 1},
        W2: {"regulated": 1},
        W3: {"regulated": 1},
    }
    assert patterns.states[partner_b.pk] == {
        W1: {"shutdown": 1, "regulated": 1},
        W2: {"activated": 1},
    }
    assert patterns.checkins == 8


def test_flags_by_local_weekday_and_hour_on_both_sides_of_the_clock_change(history, partner_a):
    patterns = found(partner_a, history)
    # 18:10 UTC in summer and 19:05 UTC in winter are both 20:xx in Berlin.
    assert patterns.flag_times == {(2, 20): 2, (4, 20): 1, (7, 2): 1}
    assert (patterns.flags_first_half, patterns.flags_second_half) == (2, 2)


def test_time_to_both_regulated_per_week_and_open_flags_apart(history, partner_a):
    patterns = found(partner_a, history)
    assert patterns.settled == {W1: [30.0, 90.0], W3: [60.0]}
    assert patterns.still_open == 1
    chart = patterns_view(patterns, names={}, couple_words="you").settle
    assert [
        (row["week"], row["n"], row["median"], row["shortest"], row["longest"])
        for row in chart.table
    ] == [
        (W1, 2, "1 h", "30 min", "1 h 30 min"),
        (W3, 1, "1 h", "1 h", "1 h"),
    ]


def test_the_reading_says_when_and_how_fast_and_names_nobody(history, partner_a, partner_b):
    patterns = couple_patterns(
        viewer=partner_a, couple_id=history.pk, period=PERIOD, partners=[partner_a.pk, partner_b.pk]
    )
    words = reading(patterns, couple_words="you")
    assert words[:3] == [
        "4 moments out of sync in this period.",
        "Most moments out of sync came on weekday evenings (3 of 4).",
        "Most of them settled within an hour (2 of 3).",
    ]
    assert "Of the 8 check-ins, 62% were regulated." in words
    text = " ".join(words)
    assert "Alex" not in text and "Sam" not in text
    assert not re.search(r"\b(he|she|him|his|her|hers|man|woman|husband|wife)\b", text, re.I)


def test_more_flags_later_in_the_period_reads_as_a_season_not_a_verdict(frozen, couple, partner_a):
    for day in (13, 27, 28, 29, 30):
        flag(couple, at(2026, 10, day, 21, 0), 20)
    words = reading(found(partner_a, couple), couple_words="you")
    assert "There were more in the second half of the period (1, then 4)." in " ".join(words)
    assert "not a verdict" in " ".join(words)


def test_tags_at_flagged_moments_against_calm_ones(frozen, couple, partner_a, partner_b):
    opener = checkin(partner_b, at(2026, 10, 13, 19, 59), "shutdown", stressors=["work"])
    flag(couple, at(2026, 10, 13, 20, 0), 180, checkin=opener)
    for minute in range(11):  # while the flag was open: 11 more, 5 of them tagged work
        tags = ["work"] if minute < 5 else ["us"]
        checkin(partner_a, at(2026, 10, 13, 20, 10 + minute), "activated", stressors=tags)
    for day in range(20):  # calm: regulated and no flag open; 2 tagged work, 5 sleep
        tags = ["work"] if day < 2 else ["sleep"] if day < 7 else []
        checkin(partner_a, at(2026, 10, 14, 8, 0) + timedelta(hours=12 * day), stressors=tags)
    checkin(partner_b, at(2026, 10, 20, 9, 0), "activated", stressors=["work"])  # neither
    # Kept back while sharing was paused: never counted, also in its author's own view.
    checkin(partner_b, at(2026, 10, 13, 20, 30), "activated", stressors=["work"], withheld=True)
    for viewer in (partner_a, partner_b):
        patterns = found(viewer, couple)
        assert (patterns.at_flags, patterns.calm) == (12, 20)
        assert patterns.stressors_at_flags["work"] == 6
        assert patterns.stressors_calm["work"] == 2
    rows = {
        row["label"]: row
        for row in patterns_view(patterns, names={}, couple_words="you").stressors.rows
    }
    assert (rows["Work"]["flag_percent"], rows["Work"]["calm_percent"], rows["Work"]["ratio"]) == (
        50,
        10,
        5.0,
    )
    assert rows["Sleep"]["ratio"] is None and not rows["Sleep"]["only_at_flags"]
    assert rows["Us"]["only_at_flags"]
    assert "Work came up more often around flags than at calm times" in " ".join(
        reading(patterns, couple_words="you")
    )


def test_with_few_check_ins_no_ratio_is_given(frozen, couple, partner_a):
    opener = checkin(partner_a, at(2026, 10, 13, 20, 0), "activated", stressors=["work"])
    flag(couple, at(2026, 10, 13, 20, 0), 30, checkin=opener)
    checkin(partner_a, at(2026, 10, 14, 9, 0), stressors=["sleep"])
    chart = patterns_view(found(partner_a, couple), names={}, couple_words="you").stressors
    assert not chart.enough
    assert all(row["ratio"] is None for row in chart.rows)


def test_revisits_agreed_kept_moved_missed_and_how_they_went(frozen, couple, partner_a, partner_b):
    def revisit(when, status, sequence=0):
        return Revisit.objects.create(
            couple=couple, scheduled_for=when, status=status, sequence=sequence
        )

    kept = revisit(at(2026, 10, 14, 20, 0), "done")
    RevisitRating.objects.create(revisit=kept, user=partner_a, rating=4)
    RevisitRating.objects.create(revisit=kept, user=partner_b, rating=2)
    revisit(at(2026, 10, 15, 20, 0), "missed", sequence=1)
    revisit(at(2026, 10, 16, 20, 0), "cancelled")
    revisit(at(2026, 10, 28, 20, 0), "done", sequence=2)
    patterns = found(partner_a, couple)
    # A partner's page holds their own answer only: beside one's own, an average of two
    # would give the other's away.
    assert patterns.revisits[W1] == {
        "agreed": 2,
        "kept": 1,
        "moved": 1,
        "missed": 1,
        "answers": 1,
        "rating": 4.0,
    }
    assert found(partner_b, couple).revisits[W1]["rating"] == 2.0
    assert patterns.revisits[W3] == {
        "agreed": 1,
        "kept": 1,
        "moved": 1,
        "missed": 0,
        "answers": 0,
        "rating": None,
    }
    assert "You agreed on 3 revisits and kept 2." in reading(patterns, couple_words="you")


def test_a_therapist_sees_both_answers_together(frozen, couple, partner_a, partner_b, live, rivera):
    kept = Revisit.objects.create(
        couple=couple, scheduled_for=at(2026, 10, 14, 20, 0), status="done"
    )
    RevisitRating.objects.create(revisit=kept, user=partner_a, rating=4)
    RevisitRating.objects.create(revisit=kept, user=partner_b, rating=2)
    patterns = found(rivera, couple)
    assert (patterns.revisits[W1]["answers"], patterns.revisits[W1]["rating"]) == (2, 3.0)
    assert not patterns.own_ratings


def test_the_page_draws_the_known_history(client, history, partner_a):
    client.force_login(partner_a)
    page = client.get(reverse("checkins:patterns"), QUERY).content.decode()
    assert "Most moments out of sync came on weekday evenings (3 of 4)." in page
    assert "12 October 2026 to 1 November 2026" in page
    # The heat map's squares, and the table beside it.
    assert page.count('class="heat heat--') == 3
    assert "1 h 30 min" in page
    assert "1 still open, not counted." in page
    assert 'role="img"' in page and "<desc" in page


def test_only_me_notes_and_paused_check_ins_never_reach_the_page(
    client, frozen, couple, partner_a, partner_b
):
    checkin(partner_b, at(2026, 10, 14, 9, 0), note="PRIVATE-NOTE", note_visibility="only_me")
    checkin(partner_b, at(2026, 10, 14, 10, 0), note="SHARED-NOTE", note_visibility="shared")
    checkin(partner_b, at(2026, 10, 14, 11, 0), "shutdown", withheld=True)
    client.force_login(partner_a)
    page = client.get(reverse("checkins:patterns"), QUERY).content.decode()
    assert "PRIVATE-NOTE" not in page and "SHARED-NOTE" not in page
    assert "Of the 2 check-ins, 100% were regulated." in page
    client.force_login(partner_b)
    own = client.get(reverse("checkins:patterns"), QUERY).content.decode()
    assert "Of the 2 check-ins, 100% were regulated." in own


def test_a_former_partner_never_appears(client, db, frozen):
    alex, ex, sam = (UserFactory(display_name=n) for n in ("Alex", "Morgan", "Sam"))
    old = couple_link(first=alex, second=ex)
    checkin(ex, at(2026, 10, 13, 9, 0), "activated")
    checkin(alex, at(2026, 10, 13, 9, 5), "shutdown")
    flag(old, at(2026, 10, 13, 20, 0), 30)
    couple_unlink(user=alex)
    new = couple_link(first=alex, second=sam)
    checkin(sam, at(2026, 10, 20, 9, 0))
    assert patterns_couple_id(viewer=alex) == new.pk
    patterns = couple_patterns(
        viewer=alex, couple_id=new.pk, period=PERIOD, partners=[alex.pk, sam.pk]
    )
    assert patterns.checkins == 1 and patterns.flags == 0
    client.force_login(alex)
    page = client.get(reverse("checkins:patterns"), QUERY).content.decode()
    assert "Morgan" not in page
    assert "One check-in, regulated." in page


def test_after_an_unlink_there_is_nothing_to_show(client, history, partner_a):
    couple_unlink(user=partner_a)
    assert patterns_couple_id(viewer=partner_a) is None
    client.force_login(partner_a)
    page = client.get(reverse("checkins:patterns"), QUERY)
    assert "Patterns need two" in page.content.decode()
    assert "moments out of sync in this period" not in page.content.decode()


def test_a_therapist_sees_only_couples_with_live_consent(history, live, rivera, outsider):
    assert patterns_couple_id(viewer=rivera, couple_id=history.pk) == history.pk
    assert patterns_couple_id(viewer=rivera, couple_id=outsider.memberships.get().couple_id) is None
    assert patterns_couple_id(viewer=rivera) is None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"span": "custom"}, "start", "Choose the first day of the period."),
        ({"span": "custom", "start": "2026-10-01"}, "end", "Choose the last day of the period."),
        (
            {"span": "custom", "start": "0001-01-01", "end": "2026-10-01"},
            "start",
            "from the year 2000",
        ),
        ({"span": "custom", "start": "2026-10-02", "end": "2026-10-01"}, None, "must start before"),
        ({"span": "custom", "start": "2020-01-01", "end": "2026-10-01"}, None, "at most two years"),
        ({"span": "custom", "start": "soon", "end": "2026-10-01"}, "start", "Enter a valid date."),
        ({"span": "forever"}, "span", "Select a valid choice."),
    ],
)
def test_a_bad_period_says_why_next_to_the_field(
    client, partner_a, partner_b, query, field, message
):
    client.force_login(partner_a)
    response = client.get(reverse("checkins:patterns"), query)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    if field:
        assert f'id="id_{field}_error"' in page
    assert "In a few words" not in page


def test_a_preset_ignores_whatever_is_in_the_date_fields(client, frozen, partner_a, partner_b):
    client.force_login(partner_a)
    page = client.get(reverse("checkins:patterns"), {"span": "4w", "start": "0001-01-01"})
    assert "8 October 2026 to 4 November 2026" in page.content.decode()


def test_the_therapist_summary_refuses_a_date_that_does_not_convert(client, live, rivera):
    client.force_login(rivera)
    url = reverse("therapist_summary", args=[live.pk])
    page = client.get(url, {"start": "0001-01-01", "end": "2026-01-01"})
    assert page.status_code == 200
    assert "from the year 2000" in page.content.decode()


def test_without_a_period_the_last_four_weeks_show(client, frozen, partner_a, partner_b):
    client.force_login(partner_a)
    page = client.get(reverse("checkins:patterns"), {"utm_source": "x"}).content.decode()
    assert "8 October 2026 to 4 November 2026" in page
