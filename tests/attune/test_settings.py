import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from attune.env import env_bool, env_choice, env_int, env_list

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


def _database_options(**env: str) -> dict:
    """The database OPTIONS the settings give under `env`, read in a fresh process."""
    script = (
        "import json, attune.settings as s; d = s.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['OPTIONS']]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/attune", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    engine, options = json.loads(done.stdout)
    assert engine == "django.db.backends.postgresql"
    return options


def test_prepared_statements_and_server_side_binding_are_opt_in():
    """Both are off unless asked for: a connection pooler in transaction mode (PgBouncer)
    breaks prepared statements unless it is set up for them."""
    options = _database_options()
    assert options["server_side_binding"] is False
    assert options["prepare_threshold"] is None
    options = _database_options(DATABASE_SERVER_SIDE_BINDING="true", DATABASE_PREPARE_THRESHOLD="2")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 2


def test_postgresql_compiles_no_query_unless_asked():
    assert _database_options()["options"] == "-c jit=off"
    assert "options" not in _database_options(DATABASE_JIT="true")


@pytest.mark.parametrize("at", [dt.time(22, 0, 3), dt.time(8, 0, 3)])
def test_check_deploy_is_clean_when_the_clock_reads_a_quiet_hours_default(at):
    """Django's fields.W161 takes a fixed default time for a forgotten `now` and warns while
    the clock is within 10 s of it; `check --deploy` once failed at 08:00 UTC."""
    moment = dt.datetime.combine(dt.date(2026, 11, 24), at, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        found = checks.run_checks(tags=[checks.Tags.models])
    assert [e.id for e in found if not e.is_silenced()] == []


def test_w161_is_silenced_only_where_a_fixed_default_is_meant():
    """fields.W161 is silenced for the whole project (Django cannot silence it for one
    field), so no date or time field but the quiet hours may have a fixed default."""
    fixed = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField | models.TimeField)
        and field.has_default()
        and not callable(field.default)
    ]
    assert sorted(fixed) == ["attune.User.quiet_hours_end", "attune.User.quiet_hours_start"]


def _settings_of(names: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Some settings under `env`, read in a fresh process (as JSON), or its failure."""
    script = (
        f"import json, attune.settings as s; print(json.dumps([getattr(s, n) for n in {names!r}]))"
    )
    ours = {"CACHE_URL", "TASKS_BACKEND", "RQ_URL", "BEHIND_PROXY", "TRUSTED_PROXY_COUNT"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_one_machine_needs_no_other_service():
    done = _settings_of(["CACHES", "TASKS", "INSTALLED_APPS", "ALLAUTH_TRUSTED_PROXY_COUNT"])
    caches, tasks, apps_ = json.loads(done.stdout)[:3]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert tasks["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert "django_rq" not in apps_
    assert json.loads(done.stdout)[3] == 0  # no proxy: the address the server sees
    # Behind a proxy too, until the operator says how many proxies write the header: a
    # client that reaches a node directly could otherwise choose its own address.
    behind = _settings_of(["ALLAUTH_TRUSTED_PROXY_COUNT"], BEHIND_PROXY="true")
    assert json.loads(behind.stdout) == [0]


def test_several_nodes_share_redis_for_the_cache_and_rq_for_tasks():
    done = _settings_of(
        ["CACHES", "TASKS", "RQ_QUEUES", "INSTALLED_APPS", "ALLAUTH_TRUSTED_PROXY_COUNT"],
        BEHIND_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        CACHE_URL="redis://cache.internal:6379/0",
        TASKS_BACKEND="rq",
        RQ_URL="rediss://queue.internal:6380/1",
    )
    caches, tasks, queues, apps_, proxies = json.loads(done.stdout)
    assert caches["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
    }
    # Fragments stay in each process: their keys hold everything they show (fragments.py).
    assert caches["template_fragments"]["BACKEND"].endswith("LocMemCache")
    assert tasks["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert queues["default"]["URL"] == "rediss://queue.internal:6380/1"
    assert "django_rq" in apps_
    # Sign-in limits per address count the client's address, not the proxy's.
    assert proxies == 1


@pytest.mark.parametrize(
    "env,message",
    [
        ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "CACHE_URL must be a Redis address"),
        ({"CACHE_URL": "redis://127.0.0.1:sixty/0"}, "CACHE_URL is not a Redis address"),
        ({"CACHE_URL": "redis:///0"}, "CACHE_URL must be a Redis address"),
        ({"CACHE_URL": "redis://[::1/0"}, "CACHE_URL is not a Redis address"),
        ({"TRUSTED_PROXY_COUNT": "9"}, "TRUSTED_PROXY_COUNT must be between 0 and 5"),
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND=rq needs RQ_URL"),
        ({"TASKS_BACKEND": "rq", "RQ_URL": "127.0.0.1:6379"}, "RQ_URL must be a Redis address"),
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND must be one of"),
    ],
)
def test_scale_settings_fail_at_start_up_on_bad_values(env, message):
    done = _settings_of(["CACHES"], **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr
