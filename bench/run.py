"""Benchmarks of the pages that matter, in-process, on PostgreSQL.

    make bench                      # uses BENCH_DATABASE_URL, default below
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/attune_bench make bench

Builds (once, then reuses) a couple with two years of check-ins, about 10,000 in all, then
times each request with Django's test client: median and p95 of ROUNDS requests after
WARMUP, with the number of queries of one request. Prints a table and writes
bench/results.json. Production settings (DEBUG off) except plain http.
"""

import json
import os
import platform
import re
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/attune_bench"
)
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    DEBUG="false",
    SECRET_KEY=secrets.token_urlsafe(64),
    ALLOWED_HOSTS="testserver",
    SECURE_HTTPS="false",
    DJANGO_SETTINGS_MODULE="attune.settings",
    LOG_LEVEL="WARNING",
)

WARMUP = 20
ROUNDS = 200
CHECKINS_PER_PARTNER = 5_000


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("make bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def build_dataset():
    from django.db import connection
    from django.utils import timezone

    from attune.models import User
    from attune.services import couple_link
    from checkins.models import CheckIn

    alex = User.objects.filter(email="alex@bench.attune").first()
    if alex is None:
        alex = User.objects.create_user("alex@bench.attune", "x", display_name="Alex")
        sam = User.objects.create_user("sam@bench.attune", "x", display_name="Sam")
        couple = couple_link(first=alex, second=sam)
        now = timezone.now()
        step = timedelta(days=730) / CHECKINS_PER_PARTNER
        for offset, author in enumerate([alex, sam]):
            CheckIn.objects.bulk_create(
                (
                    CheckIn(
                        couple=couple,
                        author=author,
                        state=("regulated", "activated", "shutdown")[(i + offset) % 3],
                        intensity=1 + i % 5,
                        need=("none", "connect", "space")[i % 3],
                        note="a few words" if i % 3 == 0 else "",
                        note_visibility="shared" if i % 2 else "only_me",
                        occurred_at=now - timedelta(days=730) + i * step + offset * step / 2,
                        created_at=now,
                    )
                    for i in range(CHECKINS_PER_PARTNER)
                ),
                batch_size=2000,
            )
        # A partner answers about one check-in in five.
        from checkins.models import Answer

        Answer.objects.bulk_create(
            Answer(checkin=c, author=sam if c.author_id == alex.pk else alex, kind="see_you")
            for c in CheckIn.objects.filter(couple=couple).only("id", "author_id")[::5]
        )
        # What autovacuum would have done by now on a live database.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    sam = User.objects.get(email="sam@bench.attune")
    return alex, sam


def measure(name: str, request) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        request()
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        request()
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        request()
    timings.sort()
    return {
        "name": name,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "queries": len(queries),
        "rounds": ROUNDS,
    }


REMINDERS = 10_000


def reminder_runs() -> list[dict]:
    """Time send_due_reminders processes (the sweep the worker side runs) over REMINDERS due
    reminders: one process, then two at once. Checks that each was sent exactly once."""
    import subprocess

    from attune.models import Couple, Notification, User
    from tests.data import due_reminders

    results = []
    for workers in (1, 2):
        users = due_reminders(REMINDERS, prefix="bench-r")
        couples = Couple.objects.filter(memberships__user__in=users).distinct()
        env = {**os.environ, "TASKS_BACKEND": "dummy"}
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "send_due_reminders", "--batch", "200"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        sent = sum(int(p.communicate(timeout=300)[0].split()[1]) for p in procs)
        seconds = time.perf_counter() - start
        notices = Notification.objects.filter(kind="reminder", user__in=users)
        assert sent == REMINDERS == notices.count() == notices.values("user").distinct().count()
        results.append(
            {
                "name": f"send {REMINDERS} due reminders, {workers} worker(s)",
                "seconds": round(seconds, 2),
                "rps": round(REMINDERS / seconds),
                "duplicates": 0,
            }
        )
        User.objects.filter(pk__in=[u.pk for u in users]).delete()
        couples.delete()
    return results


def main() -> None:
    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    alex, sam = build_dataset()

    from django.test import Client
    from django.urls import reverse

    from checkins.models import CheckIn
    from checkins.selectors import live_cursor

    client = Client()
    client.force_login(alex)
    timeline = reverse("checkins:timeline")
    poll = reverse("checkins:poll")
    create = reverse("checkins:create")

    def ok(response, status=200):
        assert response.status_code == status, (response.status_code, response.content[:300])

    live = live_cursor(viewer=alex)
    poll_params = {"checkin": live.checkin, "answer": live.answer, "top": ""}
    page = client.get(timeline).content.decode()
    older_cursor = re.search(r"\?before=([0-9.]+)", page).group(1)

    def post_checkin():
        cursor = live_cursor(viewer=alex)
        ok(
            client.post(
                create,
                {
                    "state": "activated",
                    "intensity": 3,
                    "need": "connect",
                    "checkin": cursor.checkin,
                    "answer": cursor.answer,
                    "top": "",
                },
                headers={"HX-Request": "true"},
            )
        )

    results = [
        measure("timeline page", lambda: ok(client.get(timeline))),
        measure(
            "timeline partial (load older)",
            lambda: ok(
                client.get(timeline, {"before": older_cursor}, headers={"HX-Request": "true"})
            ),
        ),
        measure("poll, nothing new", lambda: ok(client.get(poll, poll_params), 204)),
    ]
    # The partner has a current check-in, so each POST runs the full mismatch detection.
    from django.utils import timezone as tz

    CheckIn.objects.create(
        couple=alex.memberships.get(ended_at__isnull=True).couple,
        author=sam,
        state="regulated",
        intensity=2,
        need="none",
        occurred_at=tz.now(),
    )
    results.append(measure("check-in POST with detection (htmx)", post_checkin))
    # Leave the dataset as it was for the next run.
    CheckIn.objects.filter(pk__gt=live.checkin).delete()
    results.extend(reminder_runs())

    import django as dj

    report = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "django": dj.__version__,
            "database": "postgresql",
        },
        "dataset": {
            "checkins_in_history": CheckIn.objects.filter(couple__memberships__user=alex).count()
        },
        "results": results,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'measurement':40} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    for row in results:
        if "median_ms" in row:
            print(
                f"{row['name']:40} {row['median_ms']:>10} {row['p95_ms']:>10} {row['queries']:>8}"
            )
        else:
            print(f"{row['name']:40} {row['seconds']:>9}s {row['rps']:>8}/s  no duplicates")
    print(
        f"\n{report['dataset']['checkins_in_history']} check-ins in the history; "
        f"{ROUNDS} rounds after {WARMUP} warm-up; {os.cpu_count()} cores. bench/results.json"
    )


if __name__ == "__main__":
    main()
