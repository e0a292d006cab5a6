"""Real processes for the tests that need them (tests/scale, tests/faults): gunicorn nodes
with production settings, a person's browser as an HTTP session, free ports, and stopping a
process group whatever it is doing."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET_KEY = secrets.token_urlsafe(64)
PUBLIC_HOST = "attune.test"


def node_env(*, static_root: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a node (or a worker beside it): production settings
    (tests/scale/node_settings.py) over plain http, on `database_url`, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    for name in ("CACHE_URL", "RQ_URL", "TASKS_BACKEND", "BEHIND_PROXY", "TRUSTED_PROXY_COUNT"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.scale.node_settings",
        NODE_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS=f"127.0.0.1,{PUBLIC_HOST}",
        SECURE_HTTPS="false",
        EMAIL_HOST="",
        LOG_LEVEL="WARNING",
        **settings,
    )
    return env


def manage_process(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`manage.py *args` in the background, in a process group of its own (see `stop`). Its
    output goes nowhere: a worker logs every job, and a pipe nobody reads fills and stalls
    it."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Node:
    """One gunicorn node: its own process group, its own port."""

    def __init__(self, name: str, env: dict[str, str]):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "attune.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                # One process a node: a second would have a fragment cache of its own, and
                # "A's next page shows the answer" could pass because it drew nothing before.
                "--workers=1",
                "--worker-class=gthread",
                "--threads=4",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"node {name} exited ({self.process.returncode})"
            try:
                requests.get(self.url + "/", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    stop(self.process)
                    raise AssertionError(f"node {name} did not answer in 60 s") from None
                time.sleep(0.2)


class Browser:
    """One person's browser: its cookies go to whichever node it is pointed at."""

    def __init__(self):
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only, never a proxy
        # Behind the proxy every node sees the site's one public name (allauth keys the
        # per-address sign-in limit by it), whichever port the node listens on.
        self.session.headers["Host"] = PUBLIC_HOST

    def csrf(self, node: Node, path: str) -> str:
        page = self.session.get(node.url + path, timeout=10)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def post(self, node: Node, path: str, data: dict, form_page: str | None = None, **kw):
        token = self.csrf(node, form_page or path)
        return self.session.post(
            node.url + path,
            data={**data, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=10,
            **kw,
        )

    def get(self, node: Node, path: str, **kw):
        return self.session.get(node.url + path, allow_redirects=False, timeout=10, **kw)

    def log_in(self, node: Node, email: str, password: str = TEST_PASSWORD):
        return self.post(node, "/accounts/login/", {"login": email, "password": password})


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.1)
