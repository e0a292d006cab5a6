"""Plain SQL for the few reads that every page makes, with rows built into model instances
exactly as the ORM builds them.

For a small query, building and compiling it with the ORM costs more than the database spends
answering it (see bench/). The statements are written once per process from the models' own
metadata; values always travel as parameters.
"""

import functools
from collections.abc import Callable

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], alias: str, fields: list | None = None) -> str:
    """The columns of `fields` (by default every column of `model`'s table, in the order
    `builder(model)` reads them), as a select list for the table `alias`."""
    qn = connection.ops.quote_name
    chosen = model._meta.concrete_fields if fields is None else fields
    return ", ".join(f"{alias}.{qn(f.column)}" for f in chosen)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def converted(fields: list) -> Callable[[tuple], list]:
    """A function converting a row of `fields`' columns as the ORM converts them (SQLite,
    for one, returns dates and UUIDs as text). Columns that need nothing are left alone."""
    steps = []
    for index, f in enumerate(fields):
        column = f.get_col(f.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
        if found:
            steps.append((index, column, found))

    def convert(row: tuple) -> list:
        values = list(row)
        for index, column, found in steps:
            value = values[index]
            for step in found:
                value = step(value, column, connection)
            values[index] = value
        return values

    return convert


class RowBuilder:
    """Builds instances of a model from its columns in a row, as the ORM builds them."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.width = len(fields)
        self.convert = converted(fields)

    def build(self, values) -> Model:
        return self.model.from_db(connection.alias, self.names, self.convert(values))


@functools.cache
def builder(model: type[Model]) -> RowBuilder:
    return RowBuilder(model)


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
