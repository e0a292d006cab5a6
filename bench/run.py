"""Benchmarks of the requests that matter, on PostgreSQL, in-process and under load.

    make bench                      # BENCH_DATABASE_URL, default below
    BENCH_REBUILD=1 make bench      # build the dataset anew even if a fresh one exists

1. The dataset (bench/dataset.py: 2,000 couples, 40 therapists, two years of check-ins for
   20 couples and a few weeks for the rest, flags and revisits as the mismatch service makes
   them) is built once into a template database and reused for a day; every run works on a
   fresh copy of it, so runs start from the same state and leave nothing behind.
2. In-process: each request through Django's test client under production settings (DEBUG
   off, plain http), median and p95 of ROUNDS after WARMUP, and the queries of one request,
   as a partner of a couple with 10,000 check-ins (and their therapist for the summary).
3. Load (bench/load.py): gunicorn with the production settings, driven by wrk from a second
   process: each endpoint alone between two runs of the floor (a bare view through the
   same middleware), then two mixes (realistic: 90 % polls; heavy: 70 %), each in slices
   alternating with slices of the floor, as requests per second and as a share of the
   floor measured beside it.
4. Reminders: 10,000 due reminders sent by one sweep process, then by two at once.

Prints a table and writes bench/results.json. Every loop is bounded; a run takes about six
minutes (plus about a minute and a half when the dataset is built).
"""

import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
    DJANGO_SETTINGS_MODULE="bench.settings",
    LOG_LEVEL="WARNING",
)

WARMUP = 20
ROUNDS = 200
REMINDERS = 10_000
LOAD_COUPLES = 300  # partners signed in during the load test: 20 heavy couples + 280 others
DATASET_VERSION = 1
DATASET_MAX_AGE = timedelta(hours=24)


# --- The database -------------------------------------------------------------------------


def _admin():
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("make bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    # Each run drops and recreates its database: never let that be a real one.
    if "bench" not in db["NAME"] or db["HOST"] not in ("127.0.0.1", "localhost", "::1", ""):
        sys.exit(
            "make bench drops and recreates its database: BENCH_DATABASE_URL must name a "
            "database with 'bench' in its name on this machine."
        )
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )


def _template_stamp(conn, template: str) -> dict | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [template],
    ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def prepare_database() -> dict:
    """Make sure a fresh enough dataset exists as a template, then copy it into the run's
    database. Returns the dataset's stamp (when it was built, and its counts)."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    name = connection.settings_dict["NAME"]
    template = f"{name}_template"
    connection.close()
    with _admin() as conn:
        stamp = _template_stamp(conn, template)
        fresh = (
            stamp is not None
            and stamp.get("version") == DATASET_VERSION
            and datetime.fromisoformat(stamp["built_at"]) > timezone.now() - DATASET_MAX_AGE
            and not os.environ.get("BENCH_REBUILD")
        )
        if not fresh:
            print("Building the dataset (once a day)...", flush=True)
            conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}"')
            connection.settings_dict["NAME"] = template
            try:
                call_command("migrate", verbosity=0)
                call_command("createcachetable", verbosity=0)
                from bench.dataset import build_dataset

                built_at = timezone.now()
                counts = build_dataset(now=built_at)
            finally:
                connection.close()
                connection.settings_dict["NAME"] = name
            stamp = {
                "version": DATASET_VERSION,
                "built_at": built_at.isoformat(),
                "counts": counts,
            }
            comment = json.dumps(stamp).replace("'", "''")
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{comment}'")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    # A migration added since the template was built applies here.
    call_command("migrate", verbosity=0)
    call_command("load_articles", verbosity=0)
    return stamp


# --- In-process ---------------------------------------------------------------------------


def measure(name: str, request: Callable, *, between: Callable | None = None) -> dict:
    """Median and p95 of ROUNDS requests after WARMUP, and the queries of one more.
    `between` runs untimed before each request (to put the state back)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        if between:
            between()
        request()
    timings = []
    for _ in range(ROUNDS):
        if between:
            between()
        start = time.perf_counter()
        request()
        timings.append((time.perf_counter() - start) * 1000)
    if between:
        between()
    with CaptureQueriesContext(connection) as queries:
        request()
    timings.sort()
    return {
        "name": name,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "queries": len(queries),
        "rps": round(1000 / statistics.fmean(timings), 1),
        "ratio_to_floor": None,
        "rounds": ROUNDS,
    }


def in_process() -> list[dict]:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from attune.models import TherapistAccess, User
    from checkins.models import CheckIn, Revisit
    from checkins.selectors import live_cursor
    from content.models import Article

    def ok(response, status=200):
        assert response.status_code == status, (response.status_code, response.content[:300])
        return response

    # Couple 0 has two years of check-ins; p0 is its first partner.
    partner = User.objects.get(email="p0@bench.attune")
    other = User.objects.get(email="p1@bench.attune")
    client = Client()
    client.force_login(partner)
    htmx = {"HX-Request": "true"}
    timeline = reverse("checkins:timeline")
    live = live_cursor(viewer=partner)
    poll_params = {"checkin": live.checkin, "answer": live.answer, "top": ""}
    page = ok(client.get(timeline)).content.decode()
    older = re.search(r"\?before=([0-9.]+)", page).group(1)
    slug = Article.objects.filter(status="published").order_by("slug").first().slug

    results = [
        measure("timeline page", lambda: ok(client.get(timeline))),
        measure(
            "timeline partial (load older)",
            lambda: ok(client.get(timeline, {"before": older}, headers=htmx)),
        ),
        measure(
            "poll, nothing new",
            lambda: ok(client.get(reverse("checkins:poll"), poll_params), 204),
        ),
    ]

    # The partner has a current check-in, so each POST runs the whole mismatch detection.
    # Each round starts from the same state: the page's cursor, and the previous round's
    # check-in taken away (a partner posts a few times a day, not two hundred times).
    couple = partner.memberships.get(ended_at__isnull=True).couple
    CheckIn.objects.create(
        couple=couple, author=other, state="regulated", intensity=2, occurred_at=timezone.now()
    )
    cursor = live_cursor(viewer=partner)

    def post_checkin():
        ok(
            client.post(
                reverse("checkins:create"),
                {
                    "state": "activated",
                    "intensity": 3,
                    "need": "connect",
                    "note_visibility": "only_me",
                    "checkin": cursor.checkin,
                    "answer": cursor.answer,
                    "top": "",
                },
                headers=htmx,
            )
        )

    def previous_post_gone():
        CheckIn.objects.filter(author=partner, pk__gt=cursor.checkin).delete()

    results.append(
        measure("check-in POST with detection (htmx)", post_checkin, between=previous_post_gone)
    )

    def no_open_revisit():
        Revisit.objects.filter(couple=couple, status__in=Revisit.OPEN).update(
            status=Revisit.Status.CANCELLED
        )

    def propose():
        when = timezone.localtime(timezone.now() + timedelta(minutes=45), partner_tz)
        response = client.post(
            reverse("checkins:revisit_new"), {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M")}
        )
        ok(response, 302)

    import zoneinfo

    partner_tz = zoneinfo.ZoneInfo(partner.time_zone)
    results += [
        measure("revisit proposal (POST)", propose, between=no_open_revisit),
        measure(
            "notifications bell (htmx)",
            lambda: ok(client.get(reverse("notifications_bell"), headers=htmx)),
        ),
        measure(
            "patterns, 12 months",
            lambda: ok(client.get(reverse("checkins:patterns"), {"span": "12m"})),
        ),
        measure("article page", lambda: ok(client.get(reverse("content:article", args=[slug])))),
        measure(
            "article search",
            lambda: ok(client.get(reverse("content:search"), {"q": "pause after a fight"})),
        ),
    ]

    access = TherapistAccess.objects.filter(couple=couple, ended_at__isnull=True).first()
    therapist_client = Client()
    therapist_client.force_login(access.therapist)
    summary = reverse("therapist_summary", args=[access.pk])
    results.append(measure("therapist summary, 90 days", lambda: ok(therapist_client.get(summary))))
    year = {
        "start": (timezone.localdate() - timedelta(days=363)).isoformat(),
        "end": timezone.localdate().isoformat(),
    }
    results.append(
        measure("therapist summary, 12 months", lambda: ok(therapist_client.get(summary, year)))
    )
    results.append(
        measure(
            "therapist dashboard", lambda: ok(therapist_client.get(reverse("therapist_dashboard")))
        )
    )
    return results


# --- Load ---------------------------------------------------------------------------------


def load_users() -> tuple[list, list[str]]:
    """The partners the load test acts for (the 20 heavy couples and others drawn at
    random, the same each run) and the published articles' slugs."""
    import random

    from attune.models import Couple, User
    from content.models import Article

    couple_ids = list(Couple.objects.order_by("pk").values_list("pk", flat=True))
    chosen = couple_ids[:20] + random.Random(9).sample(couple_ids[20:], LOAD_COUPLES - 20)
    users = list(
        User.objects.filter(memberships__couple__in=chosen, memberships__ended_at__isnull=True)
    )
    slugs = list(Article.objects.filter(status="published").values_list("slug", flat=True))
    return users, slugs


def load(workdir: Path) -> dict:
    from bench.load import run_load

    users, slugs = load_users()
    return run_load(database_url=DATABASE_URL, users=users, article_slugs=slugs, workdir=workdir)


# --- Reminders ----------------------------------------------------------------------------


def reminder_runs() -> list[dict]:
    """Time send_due_reminders processes (the sweep the worker side runs) over REMINDERS due
    reminders: one process, then two at once. Checks that each was sent exactly once."""
    from attune.models import Couple, Notification, User
    from checkins.sweep import reminders_send_due
    from tests.data import due_reminders

    # Reminders of the dataset's own revisits fall due as it ages; send those first. A few
    # more may fall due during a sweep: the sweep sends them too, and they are counted apart.
    reminders_send_due()
    results = []
    for workers in (1, 2):
        users = due_reminders(REMINDERS, prefix=f"bench-r{workers}-")
        dataset_reminders = Notification.objects.filter(kind="reminder").exclude(user__in=users)
        dataset_before = dataset_reminders.count()
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
        try:
            sent = sum(int(p.communicate(timeout=300)[0].split()[1]) for p in procs)
        finally:
            for p in procs:
                p.kill()
        seconds = time.perf_counter() - start
        notices = Notification.objects.filter(kind="reminder", user__in=users)
        # Each of ours exactly once, and the sweeps' tally is what they stored.
        assert REMINDERS == notices.count() == notices.values("user").distinct().count()
        assert sent == REMINDERS + dataset_reminders.count() - dataset_before, sent
        results.append(
            {
                "name": f"send {REMINDERS} due reminders, {workers} worker(s)",
                "median_ms": None,
                "p95_ms": None,
                "queries": None,
                "rps": round(REMINDERS / seconds),
                "ratio_to_floor": None,
                "seconds": round(seconds, 2),
                "duplicates": 0,
            }
        )
        Couple.objects.filter(memberships__user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()
    return results


# --- Report -------------------------------------------------------------------------------


def _versions() -> dict:
    import django
    import gunicorn
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "python": platform.python_version(),
        "django": django.__version__,
        "postgresql": postgres,
        "psycopg": psycopg.__version__,
        "gunicorn": gunicorn.__version__,
        "wrk": wrk.split()[1] if wrk else None,
    }


def _print_table(results: list[dict]) -> None:
    head = f"{'measurement':40} {'median ms':>9} {'p95 ms':>8} {'p99 ms':>8} {'queries':>7}"
    print(f"\n{head} {'req/s':>8} {'of floor':>8} {'errors':>6}")
    for row in results:
        if "seconds" in row:
            print(
                f"{row['name']:40} {row['seconds']:>8}s {'':>8} {'':>8} {'':>7} "
                f"{row['rps']:>8} {'':>8} {row['duplicates']:>6}  (duplicates)"
            )
            continue

        def cell(key, width, row=row):
            value = row.get(key)
            return f"{'' if value is None else value:>{width}}"

        ratio = row.get("ratio_to_floor")
        print(
            f"{row['name']:40} {cell('median_ms', 9)} {cell('p95_ms', 8)} {cell('p99_ms', 8)} "
            f"{cell('queries', 7)} {cell('rps', 8)} "
            f"{'' if ratio is None else f'{ratio:.0%}':>8} {cell('errors', 6)}"
        )


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    stamp = prepare_database()
    call_command("collectstatic", interactive=False, verbosity=0)
    results = in_process()
    with tempfile.TemporaryDirectory() as workdir:
        loaded = load(Path(workdir))
    results += loaded["rows"]
    results += reminder_runs()

    report = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "versions": _versions(),
        "dataset": stamp,
        "in_process": {"warmup": WARMUP, "rounds": ROUNDS, "viewer": "p0@bench.attune"},
        "load": loaded["server"],
        "results": results,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    _print_table(results)
    print(
        f"\n{os.cpu_count()} cores; in-process: {ROUNDS} rounds after {WARMUP} warm-up; load: "
        f"{loaded['server']['users']} signed-in partners, {loaded['server']['wrk_connections']}"
        f" connections; {time.perf_counter() - started:.0f} s in all. bench/results.json"
    )


if __name__ == "__main__":
    main()
