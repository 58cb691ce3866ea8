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
(``select_related`` and annotations included). Each later run only executes
and builds. The instances are the ones the queryset itself would give. It
relies on Django's compiler internals (``get_converters``, ``klass_info``,
``get_related_populators``, ``annotation_col_map``);
``tests/core/test_core_prepared.py`` compares its results with the
queryset's own on PostgreSQL, and the embedded default's end-to-end test runs
the posting path through it on SQLite, so a Django upgrade that changes them
fails there first.

``save_fields`` and ``insert_row`` do the same for writes: the UPDATE of an
instance's named fields and the INSERT of a new row, each built once per
model, field set and database, with the values ``Model.save()`` would write
(each field's ``pre_save`` and ``get_db_prep_save``). ``save_fields`` sends
``pre_save`` and ``post_save`` as ``save(update_fields=...)`` does;
``insert_row`` sends none (as ``bulk_create``), so it is for models nobody
listens to, such as the append-only transaction events. ``ride`` builds
``save_fields_and_insert`` without sending it, for another statement to carry
in its WITH list and run only when one of its own CTEs returned a row: the
attempt's start rides in the statement that takes its gate's slot.

On PostgreSQL each of these statements, and the hand-written SQL of the
gates and the runner (``execute``), is also prepared on the server: the
first run on a session sends ``PREPARE name AS ...`` and every run sends
``EXECUTE name(...)``, so PostgreSQL parses and plans it once per session
instead of per posting (planning alone was about 2.5 ms of a posting's 7.4 ms
of PostgreSQL CPU, pg_stat_statements on the erp_posting bench, 2026-12-07).
The names a session holds are kept per DB-API connection, so a new
connection (Django's ``close_if_unusable_or_obsolete``, a PostgreSQL
restart) prepares again. ``SYNC_DB_SERVER_PREPARED=0`` sends plain text, for
a pooler that moves statements between sessions (pgbouncer in transaction
pooling). While Django logs queries (``DEBUG``, ``CaptureQueriesContext``)
statements go as text too, so the log shows their SQL.
"""

import hashlib
import itertools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save

logger = logging.getLogger(__name__)

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
    annotations: tuple[tuple[str, int], ...]  # (attribute, position in a row)


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
            execute(cursor, compiled.sql, params)
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
        for name, position in compiled.annotations:
            setattr(instance, name, row[position])
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
                annotations=tuple(compiler.annotation_col_map.items()),
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
    connection = connections[using]
    fields, sql = _update_of(type(instance), frozenset(names), using)
    values = _update_values(instance, fields, using)
    with connection.cursor() as cursor:
        execute(cursor, sql, [*values, instance.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    _saved(instance, fields, using)


def save_fields_and_insert(
    instance: Model, names: Iterable[str], row: Model, using: str | None = None
) -> Model:
    """``save_fields(instance, names)``, then ``insert_row(row)``: one statement on PostgreSQL.

    For a change and the new row that records it (a transition and its
    event), both on every attempt of every transaction. On PostgreSQL the
    UPDATE is a data-modifying CTE the INSERT takes its one row from, so when
    ``instance``'s row is gone nothing is inserted and ``DatabaseError`` is
    raised, as ``save_fields`` does. Elsewhere (SQLite) two statements.
    """
    using = using or instance._state.db or DEFAULT_DB_ALIAS
    connection = connections[using]
    if connection.vendor != "postgresql":
        save_fields(instance, names, using)
        return insert_row(row, using)
    fields, row_fields, params = _change_and_row(instance, names, row, using)
    sql = _update_then_insert_of(type(instance), frozenset(names), type(row), row_fields, using)
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        inserted = cursor.fetchone()
    if inserted is None:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    _saved_with_row(instance, fields, row, inserted[0], using)
    return row


def _change_and_row(instance: Model, names: Iterable[str], row: Model, using: str):
    """(fields, the row's fields, parameters) of the UPDATE of ``names`` and ``row``'s INSERT."""
    fields, _ = _update_of(type(instance), frozenset(names), using)
    values = _update_values(instance, fields, using)
    row_fields, row_values = insert_values(row, connections[using])
    return fields, row_fields, [*values, instance.pk, *row_values]


def _saved_with_row(instance: Model, fields, row: Model, row_pk: int, using: str) -> None:
    _saved(instance, fields, using)
    row.pk = row_pk
    row._state.db, row._state.adding = using, False


@dataclass(frozen=True)
class Rider:
    """``save_fields_and_insert`` built but not sent: it rides in another statement (PostgreSQL).

    ``ctes`` go at the end of that statement's WITH list: they update the
    instance's row, and insert the new row from it, only when the CTE the
    rider was built for (``when``) returned a row. ``select`` goes at the end
    of the statement's SELECT list and gives the new row's id, or NULL when
    nothing was written; ``landed`` takes that value, completes the instances
    as ``save_fields_and_insert`` would and says whether they were written.
    """

    ctes: str
    params: list
    select: str
    landed: Callable[[int | None], bool]


def ride(instance: Model, names: Iterable[str], row: Model, *, when: str) -> Rider:
    """``save_fields_and_insert(instance, names, row)`` to run in another statement, if ``when``.

    For a write that must happen only together with another one, such as an
    attempt's start with the taking of a slot: one round trip, no savepoint
    to undo it. ``pre_save`` is sent now, ``post_save`` when it landed.
    """
    using = instance._state.db or DEFAULT_DB_ALIAS
    fields, row_fields, params = _change_and_row(instance, names, row, using)
    ctes = _ride_of(type(instance), frozenset(names), type(row), row_fields, when, using)

    def landed(inserted: int | None) -> bool:
        if inserted is None:
            return False
        _saved_with_row(instance, fields, row, inserted, using)
        return True

    new_id = connections[using].ops.quote_name(type(row)._meta.pk.column)
    select = f", (SELECT {new_id} FROM rider_row)"  # noqa: S608 - our names
    return Rider(ctes, params, select, landed)


def _update_values(instance: Model, fields: tuple[Field, ...], using: str) -> list:
    """``pre_save`` sent, the database values of ``fields`` (``auto_now`` refreshed)."""
    update_fields = frozenset(field.name for field in fields)
    pre_save.send(
        sender=type(instance),
        instance=instance,
        raw=False,
        using=using,
        update_fields=update_fields,
    )
    connection = connections[using]
    return [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]


def _saved(instance: Model, fields: tuple[Field, ...], using: str) -> None:
    instance._state.db, instance._state.adding = using, False
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=False,
        update_fields=frozenset(field.name for field in fields),
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


@cache
def _update_then_insert_of(
    model, names: frozenset[str], row_model, row_fields: tuple[Field, ...], using: str
) -> str:
    _, update = _update_of(model, names, using)
    insert = _insert_from_of(row_model, row_fields, "changed", using)
    return f"WITH changed AS ({update} RETURNING 1) {insert}"


@cache
def _ride_of(
    model, names: frozenset[str], row_model, row_fields: tuple[Field, ...], when: str, using: str
) -> str:
    _, update = _update_of(model, names, using)
    insert = _insert_from_of(row_model, row_fields, "rider_changed", using)
    return (
        f"rider_changed AS ({update} AND EXISTS (SELECT 1 FROM {when}) RETURNING 1), "  # noqa: S608
        f"rider_row AS ({insert})"
    )


def _insert_from_of(row_model, row_fields: tuple[Field, ...], source: str, using: str) -> str:
    """INSERT of one row per row of the CTE ``source``, its values parameters."""
    _refuse_placeholders(row_fields)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in row_fields)
    # Typed, since a SELECT list gives PostgreSQL no column to infer a parameter's type from.
    values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in row_fields)
    return (
        f"INSERT INTO {quote(row_model._meta.db_table)} ({columns}) "  # noqa: S608 - our names
        f"SELECT {values} FROM {source} RETURNING {quote(row_model._meta.pk.column)}"
    )


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
        execute(cursor, sql, values)
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


# --- server-side prepared statements (PostgreSQL) ------------------------------------

_PLACEHOLDER = re.compile(r"%%|%s")
_UNKNOWN_STATEMENT = "26000"  # invalid_sql_statement_name: the session does not hold it
_DUPLICATE_STATEMENT = "42P05"  # duplicate_prepared_statement: it does already
_ABORTED_TRANSACTION = "25P02"  # in_failed_sql_transaction: nothing runs until rollback


@dataclass(frozen=True)
class _ServerStatement:
    name: str
    prepare: str  # PREPARE name AS <the SQL with $1..$n>
    execute: str  # EXECUTE name(%s, ...), the arguments interpolated by psycopg2
    arguments: int


_server_statements: dict[str, _ServerStatement | None] = {}  # None: sent as text


def execute(cursor, sql: str, params: Sequence = ()) -> None:
    """``cursor.execute(sql, params)`` (a Django cursor), prepared on the server on PostgreSQL.

    ``sql`` must be fixed text with ``%s`` placeholders (the values vary, the
    text does not): it is PREPAREd once per session, PostgreSQL inferring each
    parameter's type from its place, then EXECUTEd. A statement PostgreSQL
    cannot prepare (a parameter whose type it cannot infer) is sent as text
    from then on. Rows, ``rowcount`` and errors are the plain statement's.
    """
    connection = cursor.db
    statement = _server_statement(connection, sql, params)
    if statement is None:
        cursor.execute(sql, params)
        return
    names = _prepared_names(connection)
    if statement.name not in names:
        if not _prepare(cursor, statement, sql):
            cursor.execute(sql, params)
            return
        names.add(statement.name)
    try:
        cursor.execute(statement.execute, params)
    except DatabaseError as exc:
        if _pgcode(exc) != _UNKNOWN_STATEMENT:
            raise
        # The session lost its statements (DISCARD ALL, a pooler between us): forget
        # them all. Inside a transaction the error has aborted it, so it is the
        # caller's to roll back (atomic does); outside one, prepare and run again.
        names.clear()
        if connection.in_atomic_block:
            raise
        logger.warning("prepared statement %s was gone from the session; preparing again", sql)
        if not _prepare(cursor, statement, sql):
            cursor.execute(sql, params)
            return
        names.add(statement.name)
        cursor.execute(statement.execute, params)


def _server_statement(connection, sql: str, params) -> _ServerStatement | None:
    if (
        connection.vendor != "postgresql"
        or not settings.SYNC_DB_SERVER_PREPARED
        or connection.queries_logged
        or not isinstance(params, list | tuple)
    ):
        return None
    try:
        statement = _server_statements[sql]
    except KeyError:
        statement = _server_statements.setdefault(sql, _server_statement_of(sql))
    if statement is None or statement.arguments != len(params):
        return None
    return statement


def _server_statement_of(sql: str) -> _ServerStatement | None:
    if "$" in sql:  # $n or dollar quoting of its own: leave it as it is
        return None
    numbers = itertools.count(1)
    text = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
    arguments = next(numbers) - 1
    name = "sync_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:24]
    marks = f"({', '.join(['%s'] * arguments)})" if arguments else ""
    return _ServerStatement(name, f"PREPARE {name} AS {text}", f"EXECUTE {name}{marks}", arguments)


def _prepared_names(connection) -> set[str]:
    """The names prepared on the session of ``connection``'s current DB-API connection.

    Kept beside the DB-API connection object it belongs to: once Django opens
    another (the old one closed as unusable or obsolete), the set starts empty.
    """
    raw = connection.connection
    held = connection.__dict__.get("_sync_server_prepared")
    if held is None or held[0] is not raw:
        held = (raw, set())
        connection.__dict__["_sync_server_prepared"] = held
    return held[1]


def _prepare(cursor, statement: _ServerStatement, sql: str) -> bool:
    """PREPARE on the session; False (and text from now on) when PostgreSQL refuses it.

    Inside a transaction it runs in a savepoint, so a refusal does not abort
    the caller's transaction. A prepared statement outlives a rollback.
    """
    try:
        with transaction.atomic(using=cursor.db.alias):
            cursor.execute(statement.prepare)
    except DatabaseError as exc:
        code = _pgcode(exc)
        if code == _DUPLICATE_STATEMENT:
            return True
        if code == _ABORTED_TRANSACTION:
            raise
        logger.warning("statement sent as text, PostgreSQL could not prepare it (%s): %s", exc, sql)
        _server_statements[sql] = None
        return False
    return True


def _pgcode(exc: DatabaseError) -> str | None:
    return getattr(exc.__cause__, "pgcode", None)
