"""The production settings plus one bare endpoint, for the load test's floor.

Everything (middleware, sessions, CSP, whitenoise, the database) is `attune.settings` as
configured by the environment; only the URLconf gains `/bench/floor/`.
"""

from attune.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
