"""Django's PostgreSQL backend, with timestamps read at C speed.

Django reads every `timestamptz` through a loader built on psycopg's pure-Python one (its
optimised twin cannot be subclassed; Django ticket #36960), which made parsing dates about a
tenth of a timeline page's time (three microseconds each, a hundred per page, see bench/).
With Django's database time zone UTC, as Attune's always is (`USE_TZ`, `TIME_ZONE = "UTC"`),
the connection speaks UTC and PostgreSQL writes each value as ISO 8601 with `+00`, which
`datetime.fromisoformat` reads in C. Whatever it cannot read (another DateStyle, BC dates,
infinity) goes to Django's loader as before, so the values are Django's own.
"""

import functools
from datetime import UTC, datetime

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.adapt import AdaptersMap


class UtcTimestamptzLoader(BaseTzLoader):
    timezone = UTC  # what Django's cursor checks before registering its own loader

    def load(self, data) -> datetime:
        try:
            value = datetime.fromisoformat(str(data, "ascii"))
        except ValueError:
            return super().load(data)
        # The same instant in UTC, as Django's loader gives it on a UTC connection.
        return value if value.tzinfo is UTC else value.astimezone(UTC)


@functools.cache
def _adapters(template: AdaptersMap) -> AdaptersMap:
    adapters = AdaptersMap(template)
    adapters.register_loader("timestamptz", UtcTimestamptzLoader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if self.timezone is UTC and "context" in params:
            params["context"] = _adapters(params["context"])
        return params
