"""`make bench-scale`: the realistic mix against one web node and against two, each behind
the same HAProxy (Debian's package, `balance leastconn`), on the same machine in the same run.

Both nodes are gunicorn as in production (bench/load.py: 2 gthread workers of 4 threads)
with the several-node settings: the shared cache in Redis (CACHE_URL), tasks through RQ
(TASKS_BACKEND=rq) and one RQ worker beside them, PostgreSQL from `make bench`'s dataset.
wrk drives each set-up in slices that alternate (one node, two nodes, one node, ...), so
the machine's drifting speed falls on both alike. Reported: requests per second, p95 and
errors for each, the ratio of the two, and whether anything was lost: every check-in that
got a success is in the database, and no RQ job failed.

On a 2-core machine both set-ups share the same two cores, so the ratio stays near one;
what this shows is that two nodes behind a proxy work as one site, with no errors and
nothing lost. Traffic stays on 127.0.0.1 and every run is bounded.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402 - sets the bench environment before Django loads

NODE_PORTS = (8801, 8802)
PROXY_PORTS = {"1 node": 8810, "2 nodes": 8820}
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
CACHE_DB, RQ_DB = 12, 13
CONNECTIONS = 16  # enough open tabs' worth of connections to keep two nodes busy
SLICES = 4
SLICE_SECONDS = 8
WARMUP_SECONDS = 3
MIX = "load: realistic mix"


def _haproxy_config() -> str:
    def backend(name: str, ports: tuple[int, ...]) -> str:
        servers = "\n".join(
            f"    server node{i} 127.0.0.1:{port} check inter 2s" for i, port in enumerate(ports)
        )
        return (
            f"backend {name}\n"
            "    balance leastconn\n"
            "    option forwardfor\n"
            "    http-request set-header X-Forwarded-Proto http\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /bench/floor/ ver HTTP/1.1 hdr Host 127.0.0.1\n"
            f"{servers}\n"
        )

    one, two = PROXY_PORTS["1 node"], PROXY_PORTS["2 nodes"]
    return (
        "global\n    maxconn 2048\n\n"
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n"
        "    timeout server 30s\n\n"
        f"frontend one\n    bind 127.0.0.1:{one}\n    default_backend one_node\n\n"
        f"frontend two\n    bind 127.0.0.1:{two}\n    default_backend two_nodes\n\n"
        + backend("one_node", NODE_PORTS[:1])
        + "\n"
        + backend("two_nodes", NODE_PORTS)
    )


def _ensure_haproxy() -> str:
    found = shutil.which("haproxy")
    if found is None:
        sys.exit("make bench-scale needs HAProxy (Debian: apt-get install haproxy).")
    return found


def _checkins() -> int:
    from checkins.models import CheckIn

    return CheckIn.objects.count()


def main() -> None:
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from bench import load as loadtest

    loadtest.ensure_wrk()
    haproxy = _ensure_haproxy()
    for db in (CACHE_DB, RQ_DB):
        try:
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
        except redis.exceptions.ConnectionError:
            sys.exit(f"make bench-scale needs Redis at {REDIS} (BENCH_REDIS_URL).")
    started = time.perf_counter()
    stamp = run.prepare_database()
    call_command("collectstatic", interactive=False, verbosity=0)
    users, slugs = run.load_users()
    rows = loadtest.sessions_for(users)

    env = loadtest.server_env(
        run.DATABASE_URL,
        CACHE_URL=f"{REDIS}/{CACHE_DB}",
        TASKS_BACKEND="rq",
        RQ_URL=f"{REDIS}/{RQ_DB}",
        BEHIND_PROXY="true",
        TRUSTED_PROXY_COUNT="1",  # HAProxy's `option forwardfor` appends the client
    )
    processes = [loadtest.start_gunicorn(port, env) for port in NODE_PORTS]
    processes.append(
        subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"]
            + ["--job-class", "django_tasks_rq.backend.Job"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
    )
    measured: dict[str, list[dict]] = {name: [] for name in PROXY_PORTS}
    successes = runs = 0
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir) / "haproxy.cfg"
        config.write_text(_haproxy_config())
        proxy = subprocess.Popen([haproxy, "-f", str(config)], start_new_session=True)
        processes.append(proxy)
        users_file = Path(workdir) / "users.lua"
        wrk_env = {
            **os.environ,
            "ATTUNE_USERS": str(users_file),
            "ATTUNE_ARTICLES": ",".join(slugs),
        }
        mix = loadtest.MIXES[MIX]
        try:
            for port, node in zip(NODE_PORTS, processes, strict=False):
                loadtest._wait_until_up(f"http://127.0.0.1:{port}/bench/floor/", node)
            for port in PROXY_PORTS.values():
                loadtest._wait_until_up(f"http://127.0.0.1:{port}/bench/floor/", proxy)
            time.sleep(3)  # the proxy's first health checks
            before = _checkins()

            def drive(name: str, seconds: int) -> dict:
                loadtest._refresh_cursors(rows)
                loadtest._write_users(rows, users_file)
                return loadtest._wrk(
                    "/", mix, seconds, wrk_env, port=PROXY_PORTS[name], connections=CONNECTIONS
                )

            for name in PROXY_PORTS:
                warm = drive(name, WARMUP_SECONDS)
                successes += warm["by_kind_status"].get("checkin 200", 0)
                runs += 1
            for _ in range(SLICES):
                for name in PROXY_PORTS:
                    raw = drive(name, SLICE_SECONDS)
                    successes += raw["by_kind_status"].get("checkin 200", 0)
                    measured[name].append(raw)
                    runs += 1
            saved = _checkins() - before
            # Let the worker finish what the check-ins asked of it, then look for failures.
            rq = redis.Redis.from_url(f"{REDIS}/{RQ_DB}")
            from rq import Queue
            from rq.registry import FailedJobRegistry

            queue = Queue("default", connection=rq)
            deadline = time.monotonic() + 120
            while len(queue) and time.monotonic() < deadline:
                time.sleep(0.5)
            waiting, failed = len(queue), len(FailedJobRegistry(queue=queue))
        finally:
            for process in processes:
                loadtest._stop(process)

    results = []
    for name, slices in measured.items():
        row = loadtest._row(f"{MIX}, {name} behind HAProxy", loadtest._merged(slices))
        results.append(row)
    one, two = results
    ratio = round(two["rps"] / one["rps"], 3) if one["rps"] else None
    report = {
        "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count()},
        "dataset": stamp,
        "set_up": {
            "nodes": "gunicorn, 2 gthread workers x 4 threads each",
            "proxy": "HAProxy, balance leastconn, health checks",
            "cache": "Redis (CACHE_URL)",
            "tasks": "RQ, one worker",
            "wrk_connections": CONNECTIONS,
            "slices": SLICES,
            "seconds_per_slice": SLICE_SECONDS,
            "mix": loadtest.MIXES[MIX],
        },
        "results": results,
        "two_nodes_to_one": ratio,
        "checkins_answered_ok": successes,
        "checkins_saved": saved,
        # wrk stops at the end of each run without reading the answers still on their way:
        # those check-ins are saved but not counted as answered, one per connection at most.
        "checkins_in_flight_at_run_ends": saved - successes,
        "rq_jobs_waiting": waiting,
        "rq_jobs_failed": failed,
    }
    (ROOT / "bench" / "scale-results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'set-up':46} {'req/s':>8} {'median ms':>9} {'p95 ms':>8} {'errors':>6}")
    for row in results:
        print(
            f"{row['name']:46} {row['rps']:>8} {row['median_ms']:>9} {row['p95_ms']:>8} "
            f"{row['errors']:>6}"
        )
    print(
        f"\ntwo nodes / one node: {ratio}; check-ins answered 200: {successes}, saved: {saved} "
        f"({saved - successes} in flight when a run ended); "
        f"RQ jobs failed: {failed}, still waiting: {waiting}; "
        f"{time.perf_counter() - started:.0f} s. bench/scale-results.json"
    )
    errors = sum(row["errors"] for row in results)
    # Lost: answered 200 and not in the database. The saved ones beyond the answered were
    # in flight when a run ended (at most one per connection and run).
    if errors or failed or not 0 <= saved - successes <= CONNECTIONS * runs:
        sys.exit("bench-scale: errors, failed jobs or lost check-ins (see above)")


if __name__ == "__main__":
    main()
