"""Plain SQL for the few reads that every page makes, with rows built into model instances
exactly as the ORM builds them.

For a small query, building and compiling it with the ORM costs more than the database spends
answering it (see bench/). The statements are written once per process from the models' own
metadata; values always travel as parameters.
"""

import functools
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, signals
from django.db.models.base import ModelState


def columns(model: type[Model], alias: str, fields: list | None = None) -> str:
    """The columns of `fields` (by default every column of `model`'s table, in the order
    `builder(model)` reads them), as a select list for the table `alias`."""
    qn = connection.ops.quote_name
    chosen = model._meta.concrete_fields if fields is None else fields
    return ", ".join(f"{alias}.{qn(f.column)}" for f in chosen)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def converted(fields: list) -> Callable[[tuple], Sequence]:
    """A function converting a row of `fields`' columns as the ORM converts them (SQLite,
    for one, returns dates and UUIDs as text). Columns that need nothing are left alone."""
    steps = []
    for index, f in enumerate(fields):
        column = f.get_col(f.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
        if found:
            steps.append((index, column, found))

    if not steps:
        # Nothing to convert (PostgreSQL returns most types as Python's own): the row
        # itself, which every caller only reads.
        return lambda row: row

    def convert(row: tuple) -> Sequence:
        values = list(row)
        for index, column, found in steps:
            value = values[index]
            for step in found:
                value = step(value, column, connection)
            values[index] = value
        return values

    return convert


class RowBuilder:
    """Builds instances of a model from `fields`' columns in a row (by default every
    concrete field), as the ORM builds them.

    `Model.from_db` runs `Model.__init__`, which checks every field against its arguments
    and sends `pre_init` and `post_init`: about 5.5 microseconds a check-in, against 0.8
    for setting the same attributes directly (see README's Benchmarks), and a timeline page
    builds twenty check-ins and their answers. So a model that no signal receiver watches
    is built directly, into the state `from_db` leaves: every value as an attribute, a
    field not selected deferred (read from the database if asked for), `adding` false
    and the default database's alias. A model with receivers (connected when the apps were
    ready, as they are before the first request) goes through `from_db`."""

    def __init__(self, model: type[Model], fields: list | None = None) -> None:
        self.model = model
        fields = model._meta.concrete_fields if fields is None else fields
        self.names = [f.attname for f in fields]
        self.width = len(fields)
        self.convert = converted(fields)
        self.direct = not (
            signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        )

    def build(self, values) -> Model:
        values = self.convert(values)
        if not self.direct:
            return self.model.from_db(DEFAULT_DB_ALIAS, self.names, values)
        instance = self.model.__new__(self.model)
        # A row may go on past the model's columns (fetch's do); zip stops at the names.
        instance.__dict__.update(zip(self.names, values, strict=False))
        state = instance._state = ModelState()
        state.adding = False
        # `connection` is the default database's; asking the proxy for its alias on every
        # row cost a lookup of the thread's connections each (3 % of a timeline page).
        state.db = DEFAULT_DB_ALIAS
        return instance


@functools.cache
def _builder(model: type[Model], fields: tuple | None) -> RowBuilder:
    return RowBuilder(model, None if fields is None else list(fields))


def builder(model: type[Model], fields: list | None = None) -> RowBuilder:
    """The process's RowBuilder for `model` (and `fields`, by default all of them)."""
    return _builder(model, None if fields is None else tuple(fields))


def fetch(model: type[Model], sql: str, params: list) -> list:
    """The instances of `model` that `sql` (selecting `columns(model, ...)` first) returns."""
    build = builder(model).build
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [build(row) for row in cursor.fetchall()]


def split(row, *models: type[Model]) -> tuple:
    """A joined row selected as `columns(model, ...)` for each of `models` in turn, as one
    instance each (None where an outer join found nothing: its id is NULL), followed by
    the row's remaining values."""
    found, at = [], 0
    for model in models:
        build = builder(model)
        values = row[at : at + build.width]
        found.append(build.build(values) if values[0] is not None else None)
        at += build.width
    return (*found, *row[at:])
