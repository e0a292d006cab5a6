"""Query budgets of the requests `make bench` measures, beside the timeline's and the poll's
(tests/checkins/test_timeline.py). Counts are deterministic, so they belong in tests; the
timings belong in the benchmark. Each budget also holds when the history grows."""

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn, Flag, Revisit
from tests.factories import ArticleFactory


def _history(partner_a, partner_b, couple, days: int) -> None:
    """`days` days of check-ins (six a day), a resolved flag and a kept revisit each day."""
    now = timezone.now()
    CheckIn.objects.bulk_create(
        CheckIn(
            couple=couple,
            author=(partner_a, partner_b)[i % 2],
            state=("regulated", "activated", "shutdown")[i % 3],
            intensity=1 + i % 5,
            occurred_at=now - timedelta(hours=4 * i + 1),
        )
        for i in range(6 * days)
    )
    for day in range(days):
        opened = now - timedelta(days=day, hours=2)
        Flag.objects.create(
            couple=couple,
            pattern="pursue_withdraw",
            pursuer=partner_a,
            withdrawer=partner_b,
            opened_at=opened,
            resolved_at=opened + timedelta(minutes=40),
        )
        Revisit.objects.create(
            couple=couple,
            proposed_by=partner_a,
            scheduled_for=opened + timedelta(minutes=30),
            status="done",
        )


def _queries(client, method: str, url: str, data=None, **extra) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code in (200, 302), response.status_code
    return len(captured)


@pytest.mark.parametrize("days", [1, 60])
def test_the_bell_costs_three_queries(client, partner_a, partner_b, couple, days):
    _history(partner_a, partner_b, couple, days)
    client.force_login(partner_a)
    url = reverse("notifications_bell")
    # Session, user, the count.
    assert _queries(client, "get", url, headers={"HX-Request": "true"}) <= 3


def test_an_article_stays_within_its_budget_for_a_reader_and_a_partner(client, partner_a):
    article = ArticleFactory(
        body="## One\n\nText.\n\n## Two\n\nMore.\n\n## Three\n\nEnd.",
        faq=[{"question": "Why?", "answer": "Because."}],
    )
    article.related.add(ArticleFactory())
    url = reverse("content:article", args=[article.slug])
    assert _queries(client, "get", url) <= 2
    client.force_login(partner_a)
    # And the session, the user and the bell.
    assert _queries(client, "get", url) <= 5


@pytest.mark.parametrize("days", [1, 60])
def test_a_revisit_proposal_stays_within_its_budget(client, partner_a, partner_b, couple, days):
    _history(partner_a, partner_b, couple, days)
    client.force_login(partner_a)
    # Typed as the partner would: in their own zone.
    when = timezone.localtime(
        timezone.now() + timedelta(minutes=45), zoneinfo.ZoneInfo(partner_a.time_zone)
    )
    data = {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M")}
    assert _queries(client, "post", reverse("checkins:revisit_new"), data) <= 10
    assert Revisit.objects.filter(status="proposed").count() == 1


def test_the_therapist_summary_does_not_grow_with_the_history(
    client, partner_a, partner_b, couple, live, rivera
):
    client.force_login(rivera)
    url = reverse("therapist_summary", args=[live.pk])
    _history(partner_a, partner_b, couple, 1)
    small = _queries(client, "get", url)
    _history(partner_a, partner_b, couple, 80)
    # The summary (7), the patterns (5 and the access check), the log, session and user.
    assert _queries(client, "get", url) == small <= 20


def test_a_years_patterns_do_not_grow_with_the_history(client, partner_a, partner_b, couple):
    client.force_login(partner_a)
    url = reverse("checkins:patterns")
    _history(partner_a, partner_b, couple, 1)
    small = _queries(client, "get", url, {"span": "12m"})
    _history(partner_a, partner_b, couple, 80)
    # Session, user, memberships; states, flag times, tags, settling, revisits; the bell.
    assert _queries(client, "get", url, {"span": "12m"}) == small == 9


def test_the_therapist_dashboard_costs_the_same_for_any_history(
    client, partner_a, partner_b, couple, live, rivera
):
    client.force_login(rivera)
    url = reverse("therapist_dashboard")
    _history(partner_a, partner_b, couple, 1)
    small = _queries(client, "get", url)
    _history(partner_a, partner_b, couple, 80)
    # Session, user; the couples with their counts, their members; the profile, the log.
    assert _queries(client, "get", url) == small <= 7
