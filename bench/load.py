"""The load test: gunicorn serving the production settings on 127.0.0.1, driven by wrk from
a second process, against the floor (a bare view through the same middleware).

Every run is bounded: wrk stops itself after RUN_SECONDS, and gunicorn is stopped at the end.
Traffic goes to the loopback address only.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8799
WORKERS = 2
THREADS = 4  # gthread threads per worker, as in the Dockerfile
CONNECTIONS = 8  # wrk threads, one connection each (see traffic.lua)
WARMUP_SECONDS = 3
RUN_SECONDS = 12
FLOOR_SECONDS = 8
# The mix runs in slices that alternate with slices of the floor, of the same length (so a
# slice's start costs both alike), both summed: the share then compares the two under the
# same drift of the machine's speed (see run_load).
MIX_SLICES = 6
MIX_SLICE_SECONDS = 5
FLOOR_SLICE_SECONDS = 5
# Idle time after each slice of the mix before the floor's: the database's own work after
# the mix's writes (WAL, autovacuum) would otherwise fall into the floor's slice and
# flatter the share (by about two points in a trial, with 3 s).
SETTLE_SECONDS = 2
FLOOR_NAME = "bare view, same middleware"
# Two mixes, each measured the same way. The realistic one is what partners do: an open,
# visible tab polls every 10 s, and a person opens the timeline or checks in a few times a
# day. The heavy one (the earlier mix) keeps a harder case in view for comparison.
MIXES = {
    "load: realistic mix": {"poll": 90, "timeline": 5, "checkin": 3, "article": 2},
    "load: heavy mix": {"poll": 70, "timeline": 15, "checkin": 10, "article": 5},
}


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sessions_for(users) -> list[dict]:
    """A signed-in session and a CSRF cookie for each user, stored as a login would store
    them."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.utils.crypto import get_random_string

    rows = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        rows.append(
            {
                "user": user,
                "session": session.session_key,
                "csrf": get_random_string(32, CSRF_ALLOWED_CHARS),
            }
        )
    return rows


def _refresh_cursors(rows: list[dict]) -> None:
    """Each partner's live cursor as of now. Every wrk run starts afresh, and an open page
    has shown its partner's check-ins from the runs before (its poll brought them); a
    stale cursor would make the first poll of each partner a catch-up no browser makes."""
    from checkins.selectors import live_cursor

    for row in rows:
        cursor = live_cursor(viewer=row["user"])
        row["checkin"], row["answer"] = cursor.checkin, cursor.answer


def _write_users(rows: list[dict], path: Path) -> None:
    lines = ["return {"]
    for row in rows:
        lines.append(
            f"  {{session={_lua_string(row['session'])}, csrf={_lua_string(row['csrf'])}, "
            f'checkin="{row["checkin"]}", answer="{row["answer"]}"}},'
        )
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def _wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    """Until `url` answers; fails if `server` (gunicorn, or a proxy) exits first."""
    # No proxy: the probe, like the load, stays on the loopback address.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{server.args[0]} exited ({server.returncode}); port taken?")
        try:
            opener.open(url, timeout=2).read()
            return
        except OSError:  # refused, reset or timed out (URLError is one too)
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds} s")


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _wrk(
    path: str,
    mix: dict[str, int],
    seconds: int,
    env: dict,
    *,
    port: int = PORT,
    connections: int = CONNECTIONS,
) -> dict:
    mix_text = ",".join(f"{kind}={weight}" for kind, weight in mix.items())
    command = [
        "wrk",
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={ROOT / 'bench' / 'traffic.lua'}",
        f"http://127.0.0.1:{port}{path}",
    ]
    result = subprocess.run(
        command,
        env={**env, "ATTUNE_MIX": mix_text, "ATTUNE_THREADS": str(connections)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("ATTUNE_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix("ATTUNE_RESULT "))


def _row(name: str, raw: dict) -> dict:
    """One load measurement; its ratio to the floor is filled in once both floors ran."""
    seconds = raw["duration_us"] / 1_000_000
    errors = (
        raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"]
        + raw["non_2xx_3xx"]
    )
    rps = raw["requests"] / seconds
    return {
        "name": name,
        "median_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "queries": None,
        "rps": round(rps, 1),
        "ratio_to_floor": None,
        "requests": raw["requests"],
        "errors": errors,
        "responses": raw["by_kind_status"],
    }


def _merged(runs: list[dict]) -> dict:
    """Several wrk runs of one kind as one: requests, time and errors summed, the median
    weighted by requests, and the worst of the slices' p95, p99 and maximum (percentiles
    of the whole cannot be had from the slices', so the figure errs high)."""
    total = sum(run["requests"] for run in runs)
    merged = {
        key: sum(run[key] for run in runs)
        for key in (
            "requests",
            "duration_us",
            "connect_errors",
            "read_errors",
            "write_errors",
            "timeouts",
            "non_2xx_3xx",
        )
    }
    merged["p50_us"] = sum(run["p50_us"] * run["requests"] for run in runs) / max(total, 1)
    for key in ("p95_us", "p99_us", "max_us"):
        merged[key] = max(run[key] for run in runs)
    merged["by_kind_status"] = {}
    for run in runs:
        for key, count in run["by_kind_status"].items():
            merged["by_kind_status"][key] = merged["by_kind_status"].get(key, 0) + count
    return merged


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("The load test needs wrk (Debian: apt-get install wrk); `make bench` installs it.")
    return found


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The production settings as the load test serves them."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_HTTPS": "false",
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "database",
        **extra,
    }


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    """gunicorn as in production (WORKERS gthread workers of THREADS threads) on `port`, in
    its own process group."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "attune.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={WORKERS}",
            "--worker-class=gthread",
            f"--threads={THREADS}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def run_load(*, database_url: str, users, article_slugs: list[str], workdir: Path) -> dict:
    """Serve the production settings with gunicorn, then drive it with wrk: the floor, each
    endpoint alone, and the mixed traffic. Returns the rows and the server's setup."""
    ensure_wrk()
    rows = sessions_for(users)
    users_file = workdir / "users.lua"
    server = start_gunicorn(PORT, server_env(database_url))
    wrk_env = {
        **os.environ,
        "ATTUNE_USERS": str(users_file),
        "ATTUNE_ARTICLES": ",".join(article_slugs),
    }
    results = []
    try:
        _wait_until_up(f"http://127.0.0.1:{PORT}/bench/floor/", server)
        # The floor runs before and after every endpoint, and each endpoint's share is of
        # the mean of the two floors beside it: on a shared machine the speed drifts during
        # a run (by up to a third between the first floor and the last, see README), and a
        # ratio taken against floors minutes away measured the drift as much as the app.
        endpoints = [
            ("load: poll, nothing new", {"poll": 1}),
            ("load: timeline page", {"timeline": 1}),
            ("load: check-in POST", {"checkin": 1}),
            ("load: article page", {"article": 1}),
        ]
        floor = ("/bench/floor/", {"floor": 1}, FLOOR_SECONDS)
        plan = [(f"floor 1: {FLOOR_NAME}", *floor)]
        for number, (name, mix) in enumerate(endpoints, start=2):
            plan.append((name, "/", mix, RUN_SECONDS))
            plan.append((f"floor {number}: {FLOOR_NAME}", *floor))
        for name, path, mix, seconds in plan:
            _refresh_cursors(rows)
            _write_users(rows, users_file)
            _wrk(path, mix, WARMUP_SECONDS, wrk_env)
            _refresh_cursors(rows)
            _write_users(rows, users_file)
            results.append(_row(name, _wrk(path, mix, seconds, wrk_env)))
        # Each mix in slices alternating with the floor's: the machine's speed swung by a
        # third within half a minute, more than a mix's share moves, so each slice of a mix
        # is compared with floors seconds away.
        floor_number = len(endpoints) + 2
        for mix_name, mix in MIXES.items():
            _refresh_cursors(rows)
            _write_users(rows, users_file)
            _wrk("/", mix, WARMUP_SECONDS, wrk_env)
            mixed, floors = [], []
            for _ in range(MIX_SLICES):
                _refresh_cursors(rows)
                _write_users(rows, users_file)
                mixed.append(_wrk("/", mix, MIX_SLICE_SECONDS, wrk_env))
                time.sleep(SETTLE_SECONDS)
                floors.append(_wrk("/bench/floor/", {"floor": 1}, FLOOR_SLICE_SECONDS, wrk_env))
            mix_row = _row(mix_name, _merged(mixed))
            floor_row = _row(
                f"floor {floor_number}: alternating with the {mix_name[6:]}", _merged(floors)
            )
            floor_number += 1
            mix_row["floor_rps"] = floor_row["rps"]
            results += [mix_row, floor_row]
    finally:
        _stop(server)
    floor_rps = [row["rps"] for row in results if row["name"].startswith("floor")]
    for index, row in enumerate(results):
        if row["name"].startswith("floor"):
            # A floor's own share is of the mean floor: how far the machine drifted.
            row["ratio_to_floor"] = round(row["rps"] * len(floor_rps) / sum(floor_rps), 3)
            continue
        if "floor_rps" not in row:
            row["floor_rps"] = round((results[index - 1]["rps"] + results[index + 1]["rps"]) / 2, 1)
        row["ratio_to_floor"] = round(row["rps"] / row["floor_rps"], 3)
    return {
        "rows": results,
        "server": {
            "gunicorn_workers": WORKERS,
            "worker_class": "gthread",
            "threads": THREADS,
            "wrk_connections": CONNECTIONS,
            "users": len(rows),
            "mixes": MIXES,
            "seconds_per_endpoint": RUN_SECONDS,
            "seconds_per_floor": FLOOR_SECONDS,
            "mixed_slices": MIX_SLICES,
            "seconds_per_mixed_slice": MIX_SLICE_SECONDS,
            "seconds_per_floor_slice": FLOOR_SLICE_SECONDS,
            "seconds_settling_after_mixed_slice": SETTLE_SECONDS,
        },
    }


def new_secret_key() -> str:
    return secrets.token_urlsafe(64)
