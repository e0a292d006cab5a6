"""gunicorn's settings for Attune, read from the working directory (the Docker image and
`make bench` both start gunicorn there). The command line gives the rest."""

import gc

# Timeouts, said here so they are seen: a worker that stops answering gunicorn's arbiter for
# `timeout` seconds is restarted; a restart gives requests in flight `graceful_timeout`
# seconds; an idle keep-alive connection is closed after `keepalive` seconds (gthread keeps
# it in a poller, not a thread). gthread has no timeout for reading a request's headers, so
# a client that sends them a byte at a time holds a thread: gunicorn is never exposed
# without a buffering proxy in front (deploy/nginx.conf; tests/faults/test_slow_clients.py).
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request line and headers: Attune's own are far smaller than these.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django and the URLs (and the views behind them), move all
    of it out of the garbage collector's sight: the collector then stops walking a hundred
    thousand objects that live as long as the process on every full collection (57 ms each
    under load, 7 ms after; see bench/)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now
    gc.collect()
    gc.freeze()
