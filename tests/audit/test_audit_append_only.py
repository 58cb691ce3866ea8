"""TransactionEvent is append-only in the model, the queryset and the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from syncplatform.audit.models import InvalidTransition, SyncTransaction, TransactionEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(new_transaction) -> TransactionEvent:
    return new_transaction("WEB-A").events.get()


def stored(event) -> tuple:
    return TransactionEvent.objects.filter(pk=event.pk).values_list("kind", "message").get()


def test_given_stored_event_when_saved_again_then_refused(event):
    event.message = "rewritten"
    with pytest.raises(InvalidTransition, match="append-only"):
        event.save()
    assert stored(event) == ("received", "order WEB-A accepted")


def test_given_stored_event_when_deleted_then_refused(event):
    with pytest.raises(InvalidTransition, match="append-only"):
        event.delete()
    assert TransactionEvent.objects.filter(pk=event.pk).exists()


def test_given_events_when_queryset_update_then_refused(event):
    with pytest.raises(InvalidTransition, match="append-only"):
        TransactionEvent.objects.filter(pk=event.pk).update(message="rewritten")
    assert stored(event) == ("received", "order WEB-A accepted")


def test_given_events_when_queryset_delete_then_refused(event):
    with pytest.raises(InvalidTransition, match="append-only"):
        TransactionEvent.objects.all().delete()
    with pytest.raises(InvalidTransition, match="append-only"):
        SyncTransaction.objects.get(pk=event.transaction_id).events.all().delete()
    assert TransactionEvent.objects.filter(pk=event.pk).exists()


def test_given_transaction_with_events_when_deleted_then_protected(event):
    with pytest.raises(ProtectedError):
        SyncTransaction.objects.filter(pk=event.transaction_id).delete()
    assert SyncTransaction.objects.filter(pk=event.transaction_id).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_transactionevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_transactionevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_given_raw_sql_when_rewriting_an_event_then_the_database_trigger_refuses(event, statement):
    assert connection.vendor == "postgresql", "run under `make test` (PostgreSQL)"

    with pytest.raises(DatabaseError, match="audit_transactionevent is append-only"):  # noqa: SIM117
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])

    assert stored(event) == ("received", "order WEB-A accepted")


def test_given_raw_sql_when_inserting_an_event_then_allowed(event):
    # The guard is about rewriting history, not about writing it.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_transactionevent (transaction_id, kind, at, from_state, to_state,"
            " attempt, message, excerpt) VALUES (%s, 'note', now(), '', '', 0, 'n', '')",
            [event.transaction_id],
        )
    assert TransactionEvent.objects.filter(transaction_id=event.transaction_id).count() == 2
