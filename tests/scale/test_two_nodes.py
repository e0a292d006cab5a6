"""Attune on two web nodes: two gunicorn processes on two ports, one PostgreSQL, one Redis
(the shared cache, allauth's rate-limit counters and RQ), and RQ workers as the background
processes. Everything a person does on one node must be true on the other.

PostgreSQL only (SQLite is one machine's database). Redis is the machine's own on
127.0.0.1:6379; two of its numbered databases are emptied before and after. Outside CI a
machine without Redis skips these tests and says why; in CI (`.ci/run` starts Redis) a
missing Redis is a failure.
"""

import os
import re
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from django.db import connection
from django.utils import timezone

from attune.models import Notification
from attune.services import couple_link
from checkins.models import Answer, CheckIn, Reminder, Revisit
from tests.data import due_reminders
from tests.factories import UserFactory
from tests.processes import (
    ROOT,
    Browser,
    Node,
    manage_process,
    node_env,
    stop,
    wait_for,
)

CACHE_DB, RQ_DB = 14, 15
# As README and docker-compose.scale.yml run it: the job class runs django-tasks' tasks.
RQ_WORKER = [
    "rqworker",
    "default",
    "--with-scheduler",
    "--job-class",
    "django_tasks_rq.backend.Job",
]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_urls():
    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
    urls = {"cache": f"{base}/{CACHE_DB}", "rq": f"{base}/{RQ_DB}"}
    try:
        redis.Redis.from_url(urls["cache"], socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not answering at {base}; .ci/run starts it")
        pytest.skip(f"the multi-node tests need Redis at {base} (set TEST_REDIS_URL)")
    yield urls
    for url in urls.values():
        redis.Redis.from_url(url).flushdb()


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("nodes share a database server: PostgreSQL only (CI runs these)")


@pytest.fixture(autouse=True)
def empty_redis(redis_urls):
    for url in redis_urls.values():
        redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, redis_urls):
    """The production static files (manifest storage) collected once for every node."""
    folder = tmp_path_factory.mktemp("static")
    env = _env(folder, redis_urls, database_url="sqlite:///:memory:")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return folder


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(static_root: Path, urls: dict, database_url: str | None = None) -> dict[str, str]:
    return node_env(
        static_root=static_root,
        database_url=database_url or _database_url(),
        DATABASE_CONN_MAX_AGE="0",
        CACHE_URL=urls["cache"],
        TASKS_BACKEND="rq",
        RQ_URL=urls["rq"],
    )


@pytest.fixture
def nodes(static_root, redis_urls):
    env = _env(static_root, redis_urls)
    started = []
    try:
        for name in ("A", "B"):
            started.append(Node(name, env))
        yield started
    finally:
        for node in started:
            stop(node.process)


@pytest.fixture
def rq_env(static_root, redis_urls):
    return _env(static_root, redis_urls)


def _partners():
    # Quiet hours off: the reminders are sent on the real clock, whatever the hour.
    no_quiet = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    a = UserFactory(display_name="Robin", **no_quiet)
    b = UserFactory(display_name="Sam", **no_quiet)
    couple_link(first=a, second=b)
    return a, b


def _signed_in(node: Node, user) -> Browser:
    browser = Browser()
    response = browser.log_in(node, user.email)
    assert response.status_code == 302, response.text[:500]
    return browser


def _cursor(page: str) -> dict[str, str]:
    return {
        name: re.search(rf'name="{name}" value="(\d+)"', page).group(1)
        for name in ("checkin", "answer")
    }


def test_news_and_answers_cross_nodes(nodes):
    node_a, node_b = nodes
    a, b = _partners()
    robin, sam = _signed_in(node_a, a), _signed_in(node_b, b)

    page = sam.get(node_b, "/timeline/")
    assert page.status_code == 200
    cursor = _cursor(page.text)
    htmx = {"HX-Request": "true"}
    assert sam.get(node_b, "/timeline/poll/", params=cursor, headers=htmx).status_code == 204

    # Robin checks in on A; Sam's next poll, on B, brings it.
    sent = robin.post(
        node_a,
        "/timeline/checkins/",
        {"state": "activated", "intensity": "4", "need": "connect", "client_key": uuid.uuid4()},
        form_page="/timeline/",
    )
    assert sent.status_code == 302, sent.text[:500]
    checkin = CheckIn.objects.get(author=a)
    news = sam.get(node_b, "/timeline/poll/", params=cursor, headers=htmx)
    assert news.status_code == 200
    assert f'id="checkin-{checkin.pk}"' in news.text

    # Robin's A has drawn that entry (and kept it in its own fragment cache). Sam answers on
    # B; A's next page shows the answer: no node serves an entry from before it.
    before = robin.get(node_a, "/timeline/").text
    assert "I see you" not in before
    answered = sam.post(
        node_b, f"/timeline/checkins/{checkin.pk}/answer/", {"kind": "see_you"}, "/timeline/"
    )
    assert answered.status_code == 302
    assert Answer.objects.filter(checkin=checkin).count() == 1
    assert "I see you" in robin.get(node_a, "/timeline/").text

    # And deleting it on A takes it off B's page.
    removed = robin.post(
        node_a, f"/timeline/checkins/{checkin.pk}/delete/", {}, form_page="/timeline/"
    )
    assert removed.status_code == 302
    assert f'id="checkin-{checkin.pk}"' not in sam.get(node_b, "/timeline/").text


def test_signing_out_on_one_node_signs_out_on_both(nodes):
    node_a, node_b = nodes
    a, _b = _partners()
    robin = _signed_in(node_a, a)
    assert robin.get(node_b, "/timeline/").status_code == 200  # one session, both nodes
    out = robin.post(node_a, "/accounts/logout/", {}, form_page="/timeline/")
    assert out.status_code == 302
    after = robin.get(node_b, "/timeline/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/accounts/login/")


def test_failed_sign_ins_count_across_nodes(nodes, rq_env):
    """allauth allows five failed passwords per address in five minutes. Counted per node,
    five spread over two nodes would leave each under its limit; in Redis they add up, and
    the right password is refused on either node after them."""
    node_a, node_b = nodes
    a, _b = _partners()
    stranger = Browser()
    for attempt in range(5):
        node = (node_a, node_b)[attempt % 2]
        wrong = stranger.log_in(node, a.email, "not-the-password")
        assert wrong.status_code == 200
        assert "Too many tries for this address" not in wrong.text
    for node in (node_a, node_b):
        refused = Browser().log_in(node, a.email)
        assert refused.status_code in (200, 429)
        assert "Too many tries for this address" in refused.text
    assert redis.Redis.from_url(rq_env["CACHE_URL"]).dbsize() > 0  # the counters live there


def _rq_worker(env: dict[str, str]) -> subprocess.Popen:
    return manage_process(env, *RQ_WORKER)


def test_a_revisit_agreed_across_nodes_is_reminded_once_by_rq_workers(nodes, rq_env):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    node_a, node_b = nodes
    a, b = _partners()
    robin, sam = _signed_in(node_a, a), _signed_in(node_b, b)
    when = (timezone.now() + timedelta(minutes=40)).astimezone(ZoneInfo(a.time_zone))
    proposed = robin.post(
        node_a, "/timeline/revisits/new/", {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert proposed.status_code == 302, proposed.text[:800]
    revisit = Revisit.objects.get(couple__memberships__user=a)
    accepted = sam.post(
        node_b,
        f"/timeline/revisits/{revisit.pk}/accept/",
        {},
        form_page=f"/timeline/revisits/{revisit.pk}/",
    )
    assert accepted.status_code == 302
    reminders = Reminder.objects.filter(revisit=revisit, sent_at__isnull=True)
    assert reminders.count() == 4  # each partner's, and each one's nudge ten minutes before

    # Each node's commit put a wake-up in RQ's schedule for the reminder's due time.
    rq = redis.Redis.from_url(rq_env["RQ_URL"])
    scheduled = ScheduledJobRegistry(queue=Queue("default", connection=rq))
    jobs = [scheduled.job_class.fetch(job_id, connection=rq) for job_id in scheduled.get_job_ids()]
    reminder_jobs = [job for job in jobs if job.func_name == "checkins.tasks.reminder_due"]
    assert sorted(job.args[0] for job in reminder_jobs) == sorted(r.pk for r in reminders)

    # Forty minutes pass: the reminders fall due and their wake-ups come to the front.
    now = timezone.now()
    reminders.update(due_at=now - timedelta(seconds=1))
    for job in reminder_jobs:
        scheduled.schedule(job, now)
    workers = [_rq_worker(rq_env) for _ in range(2)]
    try:
        wait_for(lambda: not reminders.exists(), 60, "the reminders being sent")
        # Each partner's reminder e-mail is its own task; let the workers finish it too.
        wait_for(
            lambda: not Notification.objects.filter(kind="reminder", emailed_at=None).exists(),
            60,
            "the reminder e-mails",
        )
    finally:
        for worker in workers:
            stop(worker)
    notices = Notification.objects.filter(kind="reminder")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([a.pk, a.pk, b.pk, b.pk])


def test_rq_workers_send_each_reminder_once_when_one_is_killed(rq_env):
    """Two nodes enqueue a wake-up for every due reminder (so each is asked for twice); two
    RQ workers run them and one is killed with SIGKILL mid-run; then each node's reminder
    sweep starts while the other worker is still at it. Three processes race for the same
    rows, and each reminder goes out once."""
    due_reminders(160)
    enqueue = (
        "from checkins.models import Reminder\n"
        "from checkins.tasks import reminder_due\n"
        "for pk in Reminder.objects.values_list('pk', flat=True):\n"
        "    reminder_due.enqueue(pk)\n"
    )
    for _node in range(2):
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", enqueue],
            cwd=ROOT,
            env=rq_env,
            check=True,
            timeout=120,
        )
    workers = [_rq_worker(rq_env) for _ in range(2)]
    sent = Reminder.objects.filter(sent_at__isnull=False)
    try:
        wait_for(lambda: sent.count() >= 40, 120, "40 reminders sent")
        stop(workers[0], signal.SIGKILL)  # the worker and the job it was running
        assert sent.count() < 160, "the workers finished before one could be killed"
        sweeps = [
            subprocess.Popen(
                [sys.executable, "manage.py", "send_due_reminders", "--batch", "10"],
                cwd=ROOT,
                env=rq_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for _node in range(2)
        ]
        workers += sweeps  # stopped below, whatever happens
        outputs = [sweep.communicate(timeout=120) for sweep in sweeps]
        assert [sweep.returncode for sweep in sweeps] == [0, 0], outputs
        wait_for(lambda: not Reminder.objects.filter(sent_at=None).exists(), 180, "the rest")
        # The surviving worker works through its remaining wake-ups: each finds its
        # reminder sent and does nothing.
        rq = redis.Redis.from_url(rq_env["RQ_URL"])
        wait_for(lambda: rq.llen("rq:queue:default") == 0, 180, "the queue running dry")
    finally:
        for worker in workers:
            stop(worker)
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0
    notices = Notification.objects.filter(kind="reminder")
    assert notices.count() == 160
    assert notices.values("user").distinct().count() == 160
