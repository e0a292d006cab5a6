"""Plain SQL for the few reads that every page makes, with rows built into model instances
exactly as the ORM builds them.

For a small query, building and compiling it with the ORM costs more than the database spends
answering it (see bench/). The statements are written once per process from the models' own
metadata; values always travel as parameters.
"""

import functools

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], alias: str) -> str:
    """Every column of `model`'s table, as a select list for the table `alias`, in the order
    `builder(model)` reads them."""
    qn = connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class RowBuilder:
    """Builds instances of a model from its columns in a row, with the database's converters
    applied as the ORM applies them (SQLite, for one, returns dates and UUIDs as text)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.width = len(fields)
        self.converters = []
        for f in fields:
            column = f.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
            self.converters.append((column, found))

    def build(self, values) -> Model:
        converted = []
        for value, (column, found) in zip(values, self.converters, strict=True):
            for convert in found:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


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
