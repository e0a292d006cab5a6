"""Slow clients (slowloris: a request's headers sent a few bytes at a time, never finished)
against gunicorn behind the nginx configuration compose runs (deploy/nginx.conf).

gunicorn's gthread worker hands a connection to a thread as soon as its first bytes arrive,
and that thread then waits, blocking, for the rest of the headers: as many slow clients as a
node has threads (2 workers x 4 threads) stall it. nginx reads each request whole before it
passes it on, and closes a client whose headers have not arrived within
client_header_timeout, so hundreds of slow clients cost it nothing and gunicorn never sees
them. Gunicorn is therefore never exposed without it (or another buffering proxy).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.processes import ROOT, Node, free_port, node_env, stop

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SLOW_CLIENTS = 200


@pytest.fixture(autouse=True)
def needs_nginx():
    if not Path(NGINX).exists() or os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing; .ci/run installs it")
        pytest.skip("needs nginx (Debian: apt-get install nginx) and root")


def _config(upstream_port: int, port: int, prefix: Path) -> str:
    """deploy/nginx.conf as it is, but for this machine: the one node instead of Docker's
    service name (and its DNS), and a port of the test's own."""
    snippet = (ROOT / "deploy" / "nginx.conf").read_text()
    snippet = re.sub(r"server web:8000[^;]*;", f"server 127.0.0.1:{upstream_port};", snippet)
    snippet = re.sub(r"\n\s*zone [^;]*;", "", snippet)
    snippet = re.sub(r"\nresolver [^;]*;", "", snippet)
    snippet = snippet.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy"))
    return (
        "user root;\nworker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'};\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log off;\n{temp}\n{snippet}\n}}\n"
    )


def _slow_clients(port: int, count: int) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET /safety/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never ends
        clients.append(client)
    return clients


def _closed(client: socket.socket) -> bool:
    client.settimeout(0.5)
    try:
        return client.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_clients_behind_nginx_do_not_stall_the_node(tmp_path):
    static_root = tmp_path / "static"
    env = node_env(
        static_root=static_root,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        BEHIND_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
    )
    for command in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=300
        )
    node = Node("A", env)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    (prefix / "nginx.conf").write_text(_config(node.port, port, prefix))
    proxy = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        start_new_session=True,
    )
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/safety/", timeout=5).ok
                break
            except requests.ConnectionError:
                assert proxy.poll() is None, (prefix / "error.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.2)

        clients = _slow_clients(port, SLOW_CLIENTS)
        started = time.monotonic()
        answer = requests.get(f"http://127.0.0.1:{port}/safety/", timeout=10)
        assert answer.status_code == 200
        assert time.monotonic() - started < 3, "a slow client held up a real request"

        # nginx gives up on each of them after client_header_timeout (15 s).
        time.sleep(16)
        assert all(_closed(client) for client in clients)
        assert requests.get(f"http://127.0.0.1:{port}/safety/", timeout=10).status_code == 200
    finally:
        for client in clients:
            client.close()
        stop(proxy)
        stop(node.process)
