"""PostgreSQL plans each statement of the timeline's hot paths once per connection.

A prepared statement is planned again on every run while PostgreSQL judges a plan made for
the run's own values cheaper than one made for any values (see `_PLANNED_ONCE` in
checkins/selectors.py). Each path runs more times here than PostgreSQL's five trial plans;
then `pg_prepared_statements` must show a generic plan for every statement the paths
repeat."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from attune.models import Couple
from checkins.models import CheckIn, Flag
from tests.factories import CheckInFactory

TIMELINE = reverse("checkins:timeline")
POLL = reverse("checkins:poll")
CREATE = reverse("checkins:create")
HTMX = {"HX-Request": "true"}


def _history(couple, people, count: int) -> None:
    now = timezone.now()
    CheckIn.objects.bulk_create(
        CheckIn(
            couple=couple,
            author=people[i % 2],
            state=("regulated", "activated", "shutdown")[i % 3],
            intensity=1 + i % 5,
            occurred_at=now - timedelta(minutes=37 * i + 5),
        )
        for i in range(count)
    )
    Flag.objects.bulk_create(_flags(couple, count // 50, now))


def _flags(couple, count: int, now) -> list[Flag]:
    """`count` resolved flags, one a day."""
    return [
        Flag(
            couple=couple,
            pattern="pursue_withdraw",
            opened_at=now - timedelta(days=day, hours=3),
            resolved_at=now - timedelta(days=day, hours=2),
        )
        for day in range(count)
    ]


@pytest.mark.django_db
def test_the_timelines_statements_are_planned_once(client, partner_a, partner_b, couple):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs it)")
    _history(couple, (partner_a, partner_b), 2000)
    # Other couples with long histories, as in any real table: a few values of couple_id
    # common enough for the statistics to name them.
    for _ in range(5):
        Flag.objects.bulk_create(_flags(Couple.objects.create(), 700, timezone.now()))
    # Statistics for the tables these statements read, as autovacuum keeps them. (Only
    # these: a table's size estimate outlives the test's rollback.)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE checkins_checkin, checkins_flag, checkins_answer")
    client.force_login(partner_a)
    for _ in range(12):
        page = client.get(TIMELINE)
        live = page.context["live"]
        cursor = {"checkin": live.checkin, "answer": live.answer, "top": ""}
        # The partner checks in; the viewer's poll brings it, then the viewer checks in.
        CheckInFactory(author=partner_b, state="regulated")
        assert client.get(POLL, cursor, headers=HTMX).status_code == 200
        posted = client.post(CREATE, {"state": "regulated", **cursor}, headers=HTMX)
        assert posted.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements "
            "WHERE generic_plans = 0 AND custom_plans > 5"
        )
        replanned = [row[0] for row in cursor.fetchall()]
    assert replanned == []
