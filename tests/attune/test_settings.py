import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from attune.env import env_bool, env_choice, env_int, env_list
from attune.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "attune.example",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warnings_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    result = manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("raw,expected", [("true", True), ("0", False), ("YES", True), ("", True)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", True) is expected


def test_env_helpers_fail_loudly_on_bad_values(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_CHOICE", "rabbit")
    with pytest.raises(ImproperlyConfigured, match="database"):
        env_choice("SOME_CHOICE", "database", {"database", "immediate"})


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", " a.example, b.example ,,")
    assert env_list("SOME_HOSTS", []) == ["a.example", "b.example"]


def test_responses_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_postgresql_plans_a_repeated_query_once_per_connection():
    """Django turns psycopg's prepared statements off unless the settings ask; without them
    PostgreSQL plans every query again, which costs more than most of Attune's queries."""
    from django.db import connection

    from attune.models import User

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs it)")
    for _ in range(3):
        list(User.objects.filter(email="nobody@attune.test"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "attune_user" WHERE "attune_user"."email" = $1%'],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_postgresql_timestamps_read_fast_are_the_values_django_reads():
    """attune.postgresql reads timestamptz with datetime.fromisoformat; every value must be
    the one Django's own loader gives, including the forms it hands back to Django's."""
    from datetime import UTC, datetime

    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.adapt import Transformer

    from attune.postgresql.base import UtcTimestamptzLoader

    if connection.vendor != "postgresql":
        pytest.skip("the loader is PostgreSQL's (CI runs it)")
    texts = [
        "2026-11-24 04:00:07.123456+00",
        "2026-11-24 04:00:07+00",
        "2026-03-29 01:30:00.5+00",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(texts)) + ", now()", texts)
        row = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(1184, 0)
    assert loader is UtcTimestamptzLoader
    assert all(value.tzinfo is UTC for value in row)
    assert row[0] == datetime(2026, 11, 24, 4, 0, 7, 123456, tzinfo=UTC)

    class DjangoUtc(BaseTzLoader):
        timezone = UTC

    context = Transformer(connection.connection)
    fast, django = UtcTimestamptzLoader(1184, context), DjangoUtc(1184, context)
    for text in [*texts, "2026-11-24 09:30:07.25+05:30", "2026-11-24 04:00:07 BC"]:
        try:
            expected = django.load(text.encode())
        except Exception as error:  # noqa: BLE001 - whatever Django raises, ours must too
            with pytest.raises(type(error)):
                fast.load(text.encode())
        else:
            assert fast.load(text.encode()) == expected


@pytest.mark.django_db
def test_postgresql_can_plan_the_timeline_page_once_for_every_couple(client, partner_a, partner_b):
    """A prepared statement whose best plan depends on its parameters' values (a LIMIT, the
    statuses a partial index names) gets planned again on every run. The timeline page's
    statements write those values in, so one generic plan serves every couple: the open
    revisit is found through the partial index that keeps one per couple."""
    from django.db import connection
    from django.urls import reverse

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs it)")
    client.force_login(partner_a)
    for _ in range(3):
        assert client.get(reverse("checkins:timeline")).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%AS "live_checkin"%'],
        )
        ((_, page),) = cursor.fetchall()
        assert "LIMIT $" not in page
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "checkins_revisit" r %'],
        )
        ((name,),) = cursor.fetchall()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(f"EXPLAIN EXECUTE {name}(1)")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert "revisit_one_open_per_couple" in plan


@pytest.mark.parametrize("name", ["quiet_hours_start", "quiet_hours_end"])
def test_a_quiet_hours_default_is_no_warning_when_the_clock_reads_it(name):
    """Django's fields.W161 takes a fixed default time for a forgotten `now` and warns while
    the clock is within 10 s of it; `check --deploy` then failed at 08:00 UTC."""
    field = User._meta.get_field(name)
    default = field.get_default()
    moment = dt.datetime.combine(dt.date(2026, 11, 24), default, tzinfo=dt.UTC)
    with time_machine.travel(moment + dt.timedelta(seconds=3), tick=False):
        assert [e.id for e in field.check()] == []
    assert default in (dt.time(22, 0), dt.time(8, 0))
