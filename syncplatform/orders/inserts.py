"""A new order, its lines, its posting transaction and that transaction's first event
written in one SQL statement (the intake's hot path).

``Order.objects.create`` plus ``OrderLine.objects.bulk_create`` cost two round
trips to PostgreSQL and about 1.65 ms of the web process's CPU per order, most
of it the ORM compiling a 35-column INSERT (measured on the bench database,
300 orders, 2026-12-07). One data-modifying CTE built from the models' own
field definitions writes the same rows in one round trip for about a quarter
of that CPU; on a loaded machine every round trip also waits for the CPU again.
The posting transaction and its ``received`` event (``audit.open_transaction``'s
two ORM INSERTs) join the same statement: ``insert_new_order``.

The values are the ones ``Model.save()`` would write (``core.prepared.insert_values``:
each field's ``pre_save`` and ``get_db_prep_save``), so a field added to the
models is written without changing this module. A value left to the database
(``db_default``) is left out of the column list. On SQLite, which has no
data-modifying CTE, the ORM writes them. Errors are the ORM's:
``django.db.IntegrityError`` on a unique conflict, inside the caller's atomic block.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field

from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.core.prepared import insert_values

from .models import Order, OrderLine


def _casts(fields: tuple[Field, ...], connection) -> str:
    return ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)


def _names(fields: tuple[Field, ...], connection) -> str:
    return ", ".join(connection.ops.quote_name(field.column) for field in fields)


@cache
def _statement(
    order_fields: tuple[Field, ...],
    line_fields: tuple[Field, ...],
    lines: int,
    transaction_fields: tuple[Field, ...],
    event_fields: tuple[Field, ...],
) -> str:
    """The INSERT of an order, ``lines`` lines, its transaction and that one's event.

    Its rows come back as (order id, line id, line number, transaction id, event id).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = _names(line_fields, connection)
    # Only the models' own table and column names go into the text; values are parameters.
    text = (
        f"WITH new_order AS (INSERT INTO {quote(Order._meta.db_table)} "  # noqa: S608
        f"({_names(order_fields, connection)}) "
        f"VALUES ({', '.join(['%s'] * len(order_fields))}) RETURNING id)"
    )
    text += (
        f", new_transaction AS (INSERT INTO {quote(SyncTransaction._meta.db_table)} "  # noqa: S608
        f"(subject_id, {_names(transaction_fields, connection)}) "
        f"SELECT new_order.id, {_casts(transaction_fields, connection)} FROM new_order "
        "RETURNING id)"
        f", new_event AS (INSERT INTO {quote(TransactionEvent._meta.db_table)} "
        f"(transaction_id, {_names(event_fields, connection)}) "
        f"SELECT new_transaction.id, {_casts(event_fields, connection)} "
        "FROM new_transaction RETURNING id)"
    )
    ids = "(SELECT id FROM new_transaction), (SELECT id FROM new_event)"
    return text + (  # noqa: S608
        f" INSERT INTO {quote(OrderLine._meta.db_table)} (order_id, {columns}) "  # noqa: S608
        f"SELECT new_order.id, line.* FROM new_order, "
        f"(VALUES {', '.join([f'({_casts(line_fields, connection)})'] * lines)}) "
        f"AS line ({columns}) RETURNING order_id, id, line_number, {ids}"
    )


def insert_new_order(
    order: Order, lines: list[OrderLine], posting: SyncTransaction, received: TransactionEvent
) -> None:
    """INSERT an order, its lines, the transaction that carries it and that one's first event.

    ``posting`` (unsaved) gets the order as its subject and ``received`` (unsaved)
    the transaction; every row gets its primary key. Call inside a transaction;
    no model signals are sent (``post_save`` is not, as ``bulk_create`` sends none).
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        _insert_by_orm(order, lines)
        posting.subject_id = order.pk
        posting.save(force_insert=True)
        received.transaction = posting
        received.save(force_insert=True)
        return
    transaction_id, event_id = _insert_in_one_statement(connection, order, lines, posting, received)
    posting.pk, posting.subject_id = transaction_id, order.pk
    received.pk, received.transaction = event_id, posting
    for row in (posting, received):
        row._state.adding, row._state.db = False, connection.alias


def _insert_by_orm(order: Order, lines: list[OrderLine]) -> None:
    # SQLite (the embedded default) has no INSERT inside a WITH: the ORM's statements.
    order.save(force_insert=True)
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)


def _insert_in_one_statement(connection, order, lines, posting, received):
    """The one statement; returns the (transaction id, event id) it wrote."""
    order_fields, order_values = insert_values(order, connection)
    line_rows = [insert_values(line, connection, skip="order_id") for line in lines]
    transaction_fields, transaction_values = insert_values(posting, connection, skip="subject_id")
    event_fields, event_values = insert_values(received, connection, skip="transaction_id")
    parameters = [*order_values, *transaction_values, *event_values]
    parameters += [value for _, values in line_rows for value in values]
    sql = _statement(order_fields, line_rows[0][0], len(lines), transaction_fields, event_fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        returned = cursor.fetchall()
    order.pk = returned[0][0]
    order._state.adding, order._state.db = False, connection.alias
    line_ids = {line_number: line_id for _, line_id, line_number, _, _ in returned}
    for line in lines:
        line.pk, line.order = line_ids[line.line_number], order
        line._state.adding, line._state.db = False, connection.alias
    return returned[0][3], returned[0][4]
