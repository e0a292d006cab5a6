"""The database goes away for a while under real processes: gunicorn (production settings,
persistent connections), the tasks worker and the reminder sweep, all against a PostgreSQL
cluster of this test's own on a port of its own (the shared server is never touched), which
the test stops and starts.

During the outage a page, a poll and a check-in each get a calm 503 with Retry-After, not a
500 trace; the worker and the sweep stay up. Afterwards all three carry on by themselves,
and every check-in that was answered with success is in the database.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.factories import TEST_PASSWORD
from tests.processes import ROOT, Browser, Node, free_port, manage_process, node_env, stop

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


@pytest.fixture(autouse=True)
def needs_postgresql_tools():
    if connection.vendor != "postgresql":
        pytest.skip("the outage is a PostgreSQL cluster's own: PostgreSQL runs (CI runs these)")
    if BIN is None or not (BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as postgres)")


class Cluster:
    """A PostgreSQL cluster in a folder of the test's, owned by the postgres user."""

    def __init__(self, folder: Path):
        self.data = folder / "data"
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "postgres")
        self.as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self.as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "attune")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/attune"

    def as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(BIN / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        # The server's output goes to its log, never to a pipe this test would wait on.
        log = str(self.data.parent / "server.log")
        self.as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self.as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def cluster():
    # Not under pytest's own folders: those are root's alone, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="attune-outage-"))
    try:
        made = Cluster(folder)
        yield made
        stop = [str(BIN / "pg_ctl"), "-D", str(made.data), "-m", "immediate", "stop"]
        subprocess.run(["runuser", "-u", "postgres", "--", *stop], capture_output=True, timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _env(cluster: Cluster, static_root: Path) -> dict[str, str]:
    return node_env(
        static_root=static_root,
        database_url=cluster.url,
        DATABASE_CONN_MAX_AGE="60",  # production's: kept connections must notice the restart
        TASKS_BACKEND="database",
    )


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def query(env: dict[str, str], code: str) -> str:
    return manage(env, "shell", "-v", "0", "-c", code).strip()


SETUP = f"""
from allauth.account.models import EmailAddress
from attune.models import User
from attune.services import couple_link
people = []
for name in ("Robin", "Sam", "Kim", "Lee"):
    user = User.objects.create_user(
        email=name.lower() + "@outage.test", password={TEST_PASSWORD!r}, display_name=name,
        quiet_hours_start="00:00", quiet_hours_end="00:00",
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    people.append(user)
couple_link(first=people[0], second=people[1])
couple_link(first=people[2], second=people[3])
"""


class Traffic(threading.Thread):
    """Another couple using Attune all along: Kim checks in and Lee's page polls, a few
    times a second, through the outage and after it. Counts every answer by status."""

    def __init__(self, node: Node, kim: Browser, lee: Browser):
        super().__init__(daemon=True)
        self.node, self.kim, self.lee = node, kim, lee
        self.stop = threading.Event()
        self.statuses: dict[str, int] = {}

    def count(self, kind: str, status: int) -> None:
        key = f"{kind} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def run(self) -> None:
        poll = {"checkin": 0, "answer": 0}
        while not self.stop.is_set():
            try:
                self.count(
                    "checkin", check_in(self.kim, self.node, "regulated", "none").status_code
                )
                status = self.lee.session.get(
                    self.node.url + "/timeline/poll/",
                    params=poll,
                    headers={"HX-Request": "true"},
                    timeout=15,
                ).status_code
                self.count("poll", status)
            except requests.RequestException as error:
                self.count(type(error).__name__, 0)
            time.sleep(0.2)


def check_in(browser: Browser, node: Node, state: str, need: str):
    data = {"state": state, "intensity": "3", "need": need, "client_key": uuid.uuid4()}
    token = browser.token
    return browser.session.post(
        node.url + "/timeline/checkins/",
        data={**data, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=15,
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_gets_a_calm_503_and_everything_recovers_by_itself(cluster, tmp_path):
    static_root = tmp_path / "static"
    env = _env(cluster, static_root)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--no-input", "-v0")
    query(env, SETUP)

    node = Node("A", env)
    worker = manage_process(env, "tasks_worker", "--interval", "0.5", "--no-reload")
    sweep = manage_process(env, "send_due_reminders", "--loop", "1")
    try:
        robin, sam, kim, lee = Browser(), Browser(), Browser(), Browser()
        for browser, name in ((robin, "robin"), (sam, "sam"), (kim, "kim"), (lee, "lee")):
            assert browser.log_in(node, f"{name}@outage.test").status_code == 302
            browser.token = browser.csrf(node, "/timeline/")
        traffic = Traffic(node, kim, lee)
        traffic.start()
        saved = 0
        for _ in range(3):
            assert check_in(robin, node, "regulated", "none").status_code == 302
            saved += 1

        cluster.stop()
        htmx = {"HX-Request": "true"}
        for response in (
            robin.session.get(node.url + "/timeline/", timeout=15),
            robin.session.get(
                node.url + "/timeline/poll/",
                params={"checkin": 0, "answer": 0},
                headers=htmx,
                timeout=15,
            ),
            check_in(robin, node, "activated", "connect"),
        ):
            assert response.status_code == 503, response.text[:300]
            assert response.headers["Retry-After"] == "30"
            assert "Attune is back in a moment" in response.text
            assert "Traceback" not in response.text
        time.sleep(10)  # ten seconds down: the traffic, the worker and the sweep meet it
        assert worker.poll() is None, "the worker exited during the outage"
        assert sweep.poll() is None, "the sweep exited during the outage"
        cluster.start()

        # The web node: the next requests work, on new connections.
        deadline = time.monotonic() + 30
        while (status := check_in(robin, node, "activated", "connect").status_code) != 302:
            assert status == 503 and time.monotonic() < deadline, status
            time.sleep(1)
        saved += 1
        # A moment out of sync: its notifications go to the worker, which e-mails them.
        assert check_in(sam, node, "shutdown", "space").status_code == 302
        saved += 1
        time.sleep(2)  # the other couple carries on too
        traffic.stop.set()
        traffic.join(timeout=30)
        seen = traffic.statuses
        assert set(seen) <= {"checkin 302", "checkin 503", "poll 200", "poll 204", "poll 503"}
        assert seen.get("checkin 503") and seen.get("poll 503"), seen  # it met the outage
        saved += seen["checkin 302"]
        # Every check-in answered with success is there. (One answered 503 may be too: the
        # database can stop after its commit and before the page is drawn, which is why the
        # 503 page says to look for it.)
        count = "from checkins.models import CheckIn; print(CheckIn.objects.count())"
        found = int(query(env, count))
        assert saved <= found <= saved + seen["checkin 503"] + 1, (found, saved, seen)

        emailed = (
            "from attune.models import Notification; "
            "print(Notification.objects.filter(kind='flag', emailed_at__isnull=False).count())"
        )
        deadline = time.monotonic() + 60
        while query(env, emailed) != "1":  # Robin's, of the flag Sam's check-in opened
            assert time.monotonic() < deadline, "the worker did not e-mail after the outage"
            time.sleep(1)

        # The sweep: a reminder that falls due now is sent.
        query(env, "from tests.data import due_reminders; due_reminders(2, prefix='late')")
        unsent = (
            "from checkins.models import Reminder; "
            "print(Reminder.objects.filter(sent_at=None).count())"
        )
        deadline = time.monotonic() + 60
        while query(env, unsent) != "0":
            assert time.monotonic() < deadline, "the sweep did not send after the outage"
            time.sleep(1)
        assert worker.poll() is None and sweep.poll() is None
    finally:
        if "traffic" in locals():
            traffic.stop.set()
        stop(node.process)
        stop(worker)
        stop(sweep)
