"""Statements prepared on the PostgreSQL server (syncplatform.core.prepared.execute).

Real PostgreSQL. Each test reads the session's own ``pg_prepared_statements``:
what is prepared, and how often PostgreSQL ran it (``generic_plans`` +
``custom_plans``), so a statement sent as text would fail them.
"""

import pytest
from django.db import DatabaseError, connection, connections, transaction

from syncplatform.audit.models import SyncTransaction
from syncplatform.core.prepared import PreparedQuery, execute

BY_KEY = PreparedQuery(lambda pk: SyncTransaction.objects.filter(pk=pk))


def prepared_runs(fragment: str) -> int | None:
    """How often this session ran its prepared statement whose SQL holds ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s AND name LIKE 'sync%%'",
            [f"%{fragment}%"],
        )
        rows = cursor.fetchall()
    assert len(rows) <= 1, rows
    return rows[0][0] if rows else None


def select_state(pk: int) -> list[tuple]:
    with connection.cursor() as cursor:
        execute(cursor, "SELECT state FROM audit_synctransaction WHERE id = %s", [pk])
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_statement_is_prepared_once_per_session_and_then_only_executed():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    connection.close()  # a fresh session: nothing prepared yet

    assert [found.pk for found in BY_KEY.run(row.pk)] == [row.pk]
    assert BY_KEY.first(row.pk + 1000) is None
    assert BY_KEY.first(row.pk).correlation_id == "c"

    assert prepared_runs('FROM "audit_synctransaction"') == 3


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    assert select_state(row.pk) == [("received",)]
    assert prepared_runs("SELECT state FROM audit_synctransaction") >= 1

    connection.close()  # as close_if_unusable_or_obsolete does; the next use reconnects

    assert prepared_runs("SELECT state FROM audit_synctransaction") is None
    assert select_state(row.pk) == [("received",)]
    assert prepared_runs("SELECT state FROM audit_synctransaction") == 1


@pytest.mark.django_db(transaction=True)
def test_statements_the_session_lost_are_prepared_again_outside_a_transaction():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    select_state(row.pk)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would

    assert select_state(row.pk) == [("received",)]
    assert prepared_runs("SELECT state FROM audit_synctransaction") == 1


@pytest.mark.django_db(transaction=True)
def test_a_lost_statement_inside_a_transaction_fails_it_and_leaves_the_connection_usable():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    select_state(row.pk)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    with pytest.raises(DatabaseError), transaction.atomic():
        SyncTransaction.objects.filter(pk=row.pk).update(business_key="lost")
        select_state(row.pk)

    # rolled back as a whole, and the next transaction prepares again and runs
    with transaction.atomic():
        assert select_state(row.pk) == [("received",)]
    assert SyncTransaction.objects.get(pk=row.pk).business_key == ""
    assert prepared_runs("SELECT state FROM audit_synctransaction") == 1


@pytest.mark.django_db(transaction=True)
def test_a_statement_postgresql_cannot_prepare_goes_as_text_without_harming_the_transaction():
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    untyped = "SELECT id FROM audit_synctransaction WHERE %s IS NULL OR id = %s"

    with transaction.atomic():
        SyncTransaction.objects.filter(pk=row.pk).update(business_key="kept")
        with connection.cursor() as cursor:
            execute(cursor, untyped, [None, row.pk])
            first = cursor.fetchall()
            execute(cursor, untyped, [row.pk, row.pk + 1000])
            second = cursor.fetchall()

    assert first == [(row.pk,)] and second == []
    assert SyncTransaction.objects.get(pk=row.pk).business_key == "kept"
    assert prepared_runs("IS NULL OR id =") is None


@pytest.mark.django_db(transaction=True)
def test_writes_return_their_rowcount_and_rows_as_the_plain_statement(settings):
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    update = "UPDATE audit_synctransaction SET business_key = %s WHERE id = %s RETURNING id"

    with connection.cursor() as cursor:
        execute(cursor, update, ["B-1", row.pk])
        assert (cursor.rowcount, cursor.fetchall()) == (1, [(row.pk,)])
        execute(cursor, update, ["B-2", row.pk + 1000])
        assert (cursor.rowcount, cursor.fetchall()) == (0, [])

    assert prepared_runs("SET business_key") == 2
    assert SyncTransaction.objects.get(pk=row.pk).business_key == "B-1"


@pytest.mark.django_db(transaction=True)
def test_switched_off_statements_go_as_text(settings):
    settings.SYNC_DB_SERVER_PREPARED = False
    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    connection.close()

    assert select_state(row.pk) == [("received",)]
    assert BY_KEY.first(row.pk).pk == row.pk

    assert prepared_runs("audit_synctransaction") is None


@pytest.mark.django_db(transaction=True)
def test_each_thread_connection_keeps_its_own_statements():
    import threading

    row = SyncTransaction.objects.create(kind="k", correlation_id="c")
    select_state(row.pk)
    seen = []

    def other_thread():
        try:
            seen.append(select_state(row.pk))
            seen.append(prepared_runs("SELECT state FROM audit_synctransaction"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(30)

    assert seen == [[("received",)], 1]
