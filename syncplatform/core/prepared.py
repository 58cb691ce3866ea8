"""Statements compiled once per process, for the few a hot path runs per item.

Django compiles a queryset's SQL every time it is evaluated. For the reads
every order posting makes (its transaction, the order with its channel's ERP
chain, the lines) compiling cost several times the round trip: loading an
order with ``select_related`` through four relations took 3.1 ms of CPU, of
which the execution and the instances 0.3 ms (measured on the bench database,
2026-12-07; ``bench/erp_posting.py``).

``PreparedQuery`` compiles its queryset the first time it runs on a database
alias, with sentinel values in place of the arguments, and keeps the SQL,
where each argument goes, the converters and how rows become instances
(``select_related`` included). Each later run only executes and builds. The
instances are the ones the queryset itself would give. It relies on
Django's compiler internals (``get_converters``, ``klass_info``,
``get_related_populators``); ``tests/core/test_core_prepared.py`` compares
its results with the queryset's own on PostgreSQL, and the embedded default's
end-to-end test runs the posting path through it on SQLite, so a Django
upgrade that changes them fails there first.

``save_fields`` and ``insert_row`` do the same for writes: the UPDATE of an
instance's named fields and the INSERT of a new row, each built once per
model, field set and database, with the values ``Model.save()`` would write
(each field's ``pre_save`` and ``get_db_prep_save``). ``save_fields`` sends
``pre_save`` and ``post_save`` as ``save(update_fields=...)`` does;
``insert_row`` sends none (as ``bulk_create``), so it is for models nobody
listens to, such as the append-only transaction events.
"""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save

# Arguments stand in as these while the SQL is compiled, then are found among its
# parameters. Integers inside every integer field's range (PositiveSmallIntegerField's
# ends at 32767): Django drops a lookup that no value of the field can match. A
# literal of the queryset that equals one is caught by the compile's check.
_SENTINELS = {
    int: tuple(32_741 + number for number in range(8)),
    str: tuple(f"\x1fprepared argument {number}\x1f" for number in range(8)),
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (parameter position, argument number)
    converters: dict
    model: type[Model]
    columns: slice  # the main model's columns in a row
    attnames: list[str]
    populators: list


class PreparedQuery:
    """``build(*arguments)`` returns a queryset; ``run(*arguments)`` its instances, uncompiled.

    ``types`` are the arguments' types, ``int`` (keys) or ``str`` (codes), one
    each; none may be None, which the ORM would turn into ``IS NULL``. Each
    must reach the SQL as a parameter unchanged (an ``exact`` lookup, not
    ``iexact`` or ``in``). A queryset with ``select_for_update`` is compiled at
    its first run, which must then be inside ``transaction.atomic`` as the
    queryset's own evaluation must be.
    """

    def __init__(self, build: Callable[..., QuerySet], types: tuple[type, ...] = (int,)):
        self._build = build
        self._types = types
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def run(self, *arguments: int | str, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        if len(arguments) != len(self._types):
            raise TypeError(f"expected {len(self._types)} arguments, got {len(arguments)}")
        compiled = self._compiled.get(using) or self._compile(using)
        params = list(compiled.params)
        for position, number in compiled.slots:
            argument, wanted = arguments[number], self._types[number]
            if not isinstance(argument, wanted):
                raise TypeError(f"argument {number + 1} must be {wanted.__name__}: {argument!r}")
            params[position] = argument
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return [self._instance(compiled, row, connection, using) for row in rows]

    def first(self, *arguments: int | str, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        """The first instance, or None. The queryset should select at most one row."""
        found = self.run(*arguments, using=using)
        return found[0] if found else None

    @staticmethod
    def _instance(compiled: _Compiled, row, connection, using: str) -> Model:
        if compiled.converters:
            row = list(row)
            for position, (converters, expression) in compiled.converters.items():
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        instance = compiled.model.from_db(using, compiled.attnames, row[compiled.columns])
        for populator in compiled.populators:
            populator.populate(row, instance)
        return instance

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            stand_ins = [_SENTINELS[kind][number] for number, kind in enumerate(self._types)]
            queryset = self._build(*stand_ins)
            compiler = queryset.query.get_compiler(using)
            sql, params = compiler.as_sql()
            numbers = {(type(value), value): number for number, value in enumerate(stand_ins)}
            slots = tuple(
                (position, numbers[(type(value), value)])
                for position, value in enumerate(params)
                if type(value) in _SENTINELS and (type(value), value) in numbers
            )
            if sorted(number for _, number in slots) != list(range(len(stand_ins))):
                raise ValueError(f"each argument must appear once as a parameter in {sql}")
            klass_info, select = compiler.klass_info, compiler.select
            selected = klass_info["select_fields"]
            columns = slice(selected[0], selected[-1] + 1)
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=slots,
                converters=compiler.get_converters([column for column, _, _ in select]),
                model=klass_info["model"],
                columns=columns,
                attnames=[column.target.attname for column, _, _ in select[columns]],
                populators=get_related_populators(klass_info, select, using),
            )
            self._compiled[using] = compiled
            return compiled


def save_fields(instance: Model, names: Iterable[str], using: str | None = None) -> None:
    """``instance.save(update_fields=names)``, its UPDATE built once per field set.

    ``names`` are field names or attnames; ``auto_now`` fields must be named
    to be refreshed, as with ``save``. Raises ``DatabaseError`` when the row
    is gone, as ``save`` does. ``using``: the instance's database by default.
    """
    using = using or instance._state.db or DEFAULT_DB_ALIAS
    model = type(instance)
    connection = connections[using]
    fields, sql = _update_of(model, frozenset(names), using)
    update_fields = frozenset(field.name for field in fields)
    pre_save.send(
        sender=model, instance=instance, raw=False, using=using, update_fields=update_fields
    )
    values = [
        field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, instance.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    instance._state.db, instance._state.adding = using, False
    post_save.send(
        sender=model,
        instance=instance,
        created=False,
        update_fields=update_fields,
        raw=False,
        using=using,
    )


@cache
def _update_of(model, names: frozenset[str], using: str) -> tuple[tuple[Field, ...], str]:
    fields = tuple(
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and (field.name in names or field.attname in names)
    )
    unknown = names - {name for field in fields for name in (field.name, field.attname)}
    if unknown:
        raise ValueError(f"{model.__name__} has no concrete fields {sorted(unknown)}")
    _refuse_placeholders(fields)
    quote = connections[using].ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return fields, f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608


def insert_values(instance: Model, connection, skip: str = "") -> tuple[tuple[Field, ...], list]:
    """(fields, database values) of a new row, as an INSERT by the ORM would write them.

    Each field's ``pre_save`` (``auto_now``) and ``get_db_prep_save``; the
    primary key, generated columns, a ``db_default`` left to the database and
    the attname ``skip`` (a key the statement fills in itself) are left out.
    """
    fields, values = [], []
    for field in _insert_columns(type(instance)):
        if field.attname == skip:
            continue
        value = field.pre_save(instance, add=True)
        if isinstance(value, Expression):  # db_default: the database fills it in
            continue
        fields.append(field)
        values.append(field.get_db_prep_save(value, connection))
    return tuple(fields), values


@cache
def _insert_columns(model) -> tuple[Field, ...]:
    fields = model._meta.local_concrete_fields
    return tuple(field for field in fields if not (field.primary_key or field.generated))


def insert_row(instance: Model, using: str | None = None) -> Model:
    """INSERT a new instance (no signals) and set its primary key; returns it."""
    using = using or DEFAULT_DB_ALIAS
    model = type(instance)
    connection = connections[using]
    fields, values = insert_values(instance, connection)
    returning = connection.features.can_return_columns_from_insert
    sql = _insert_of(model, fields, using, returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance.pk = pk
    instance._state.db, instance._state.adding = using, False
    return instance


@cache
def _insert_of(model, fields: tuple[Field, ...], using: str, returning: bool) -> str:
    _refuse_placeholders(fields)
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    return f"{sql} RETURNING {quote(model._meta.pk.column)}" if returning else sql


def _refuse_placeholders(fields: Iterable[Field]) -> None:
    # A field that needs its own SQL placeholder (a geometry) is not written as "%s".
    for field in fields:
        if hasattr(field, "get_placeholder"):
            raise ValueError(f"{field} needs its own placeholder; use the ORM")
