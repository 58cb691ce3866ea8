"""A batch's 10,000 numbers as one array parameter, on PostgreSQL."""

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL


def any_of(ids: list[int]) -> RawSQL | list[int]:
    """A value for an ``__in`` filter matching ``ids``.

    On PostgreSQL the ids travel as one array parameter: as a 10,000-item IN
    list they cost Django 10,000 placeholders and PostgreSQL a plan that
    estimates each item. Other databases (SQLite, the embedded default) get
    the plain list.
    """
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", [array_literal(ids)])


def array_literal(numbers: Iterable[int | str]) -> str:
    """Whole numbers (ints, or digit strings) as a PostgreSQL array literal (cast it: ``::int[]``).

    Text rather than a list: psycopg2 sends a list as ``ARRAY[1, 2, ...]``, an
    expression PostgreSQL parses and plans item by item. Digits need no quoting;
    anything else is refused.
    """
    items = [str(number) for number in numbers]
    if not all(item.isdigit() for item in items):
        raise ValueError("an array literal here holds digits only")
    return "{" + ",".join(items) + "}"
