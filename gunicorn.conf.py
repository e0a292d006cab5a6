"""gunicorn's settings for Attune, read from the working directory (the Docker image and
`make bench` both start gunicorn there). The command line gives the rest."""

import gc


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django and the URLs (and the views behind them), move all
    of it out of the garbage collector's sight: the collector then stops walking a hundred
    thousand objects that live as long as the process on every full collection (57 ms each
    under load, 7 ms after; see bench/)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now
    gc.collect()
    gc.freeze()
