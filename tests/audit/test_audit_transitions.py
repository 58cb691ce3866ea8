"""Transition methods of SyncTransaction: state, time stamps and the events each one appends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import InvalidTransition, SyncTransaction

pytestmark = pytest.mark.django_db


def event_rows(tx, since: int = 0) -> list[tuple]:
    return list(
        tx.events.order_by("id").values_list(
            "kind", "from_state", "to_state", "attempt", "actor_id", "message"
        )[since:]
    )


def snapshot(tx) -> dict:
    """Every column of the stored row, to prove a refused transition changed nothing."""
    row = SyncTransaction.objects.filter(pk=tx.pk).values().get()
    row["event_count"] = tx.events.count()
    return row


def test_given_open_transaction_then_it_is_received_due_after_grace_with_one_event(
    new_transaction, settings
):
    before = timezone.now()
    tx = new_transaction("WEB-1")
    after = timezone.now()

    tx.refresh_from_db()
    assert tx.state == TransactionState.RECEIVED
    assert tx.attempts == 0
    grace = timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS)
    assert before + grace <= tx.next_attempt_at <= after + grace
    assert event_rows(tx) == [("received", "", "received", 0, None, "order WEB-1 accepted")]


def test_given_received_when_start_attempt_then_processing_with_lease_and_one_event(
    new_transaction,
):
    tx = new_transaction()
    before = timezone.now()

    event = tx.start_attempt(90)

    tx.refresh_from_db()
    assert tx.state == TransactionState.PROCESSING
    assert tx.attempts == 1
    assert tx.lease_token is not None
    assert (
        before + timedelta(seconds=90) <= tx.lease_until <= timezone.now() + timedelta(seconds=90)
    )
    assert tx.next_attempt_at is None
    assert event.kind == EventKind.ATTEMPT_STARTED
    assert event_rows(tx, 1) == [("attempt.started", "received", "processing", 1, None, "")]


def test_given_processing_when_succeed_then_succeeded_finished_lease_cleared(new_transaction):
    tx = new_transaction()
    tx.start_attempt(60)

    tx.succeed("posted as 4711", duration_ms=250, excerpt="<DocNo>4711</DocNo>")

    tx.refresh_from_db()
    assert tx.state == TransactionState.SUCCEEDED
    assert tx.is_terminal
    assert tx.finished_at is not None
    assert (tx.lease_until, tx.lease_token) == (None, None)
    assert (tx.last_error_code, tx.last_error_message) == ("", "")
    last = tx.events.order_by("-id").first()
    assert (last.kind, last.from_state, last.to_state, last.attempt, last.message) == (
        "attempt.succeeded",
        "processing",
        "succeeded",
        1,
        "posted as 4711",
    )
    assert (last.duration_ms, last.excerpt) == (250, "<DocNo>4711</DocNo>")
    assert tx.events.count() == 3


def test_given_processing_when_schedule_retry_then_retrying_with_failed_and_scheduled_events(
    new_transaction,
):
    tx = new_transaction()
    tx.start_attempt(60)
    before = timezone.now()

    tx.schedule_retry("erp_timeout", "read timed out", delay=timedelta(seconds=45), duration_ms=9)

    tx.refresh_from_db()
    assert tx.state == TransactionState.RETRYING
    assert before + timedelta(seconds=45) <= tx.next_attempt_at
    assert tx.next_attempt_at <= timezone.now() + timedelta(seconds=45)
    assert (tx.last_error_code, tx.last_error_message) == ("erp_timeout", "read timed out")
    assert (tx.lease_until, tx.lease_token, tx.finished_at) == (None, None, None)
    assert event_rows(tx, 2) == [
        ("attempt.failed", "processing", "retrying", 1, None, "erp_timeout: read timed out"),
        ("retry.scheduled", "processing", "retrying", 1, None, "next attempt in 45s"),
    ]
    assert tx.events.get(kind=EventKind.ATTEMPT_FAILED).duration_ms == 9


def test_given_retrying_when_start_attempt_then_second_attempt_from_retrying(new_transaction):
    tx = new_transaction()
    tx.start_attempt(60)
    tx.schedule_retry("transient", "x", delay=timedelta(seconds=1))

    tx.start_attempt(60)

    assert tx.attempts == 2
    assert event_rows(tx, 4) == [("attempt.started", "retrying", "processing", 2, None, "")]


def test_given_processing_when_fail_then_failed_with_error_and_event(new_transaction):
    tx = new_transaction()
    tx.start_attempt(60)

    tx.fail("mapping_missing", "sku X", duration_ms=3)

    tx.refresh_from_db()
    assert tx.state == TransactionState.FAILED
    assert not tx.is_terminal  # failed waits for a person: replay or resolve
    assert tx.finished_at is not None
    assert (tx.last_error_code, tx.last_error_message) == ("mapping_missing", "sku X")
    assert (tx.lease_until, tx.lease_token) == (None, None)
    assert event_rows(tx, 2) == [
        ("failed", "processing", "failed", 1, None, "mapping_missing: sku X")
    ]


def test_given_failed_when_replay_then_received_with_fresh_budget_and_actor(
    failed_transaction, operator, settings
):
    tx = failed_transaction()
    before = timezone.now()

    tx.replay(operator, "mapping fixed")

    tx.refresh_from_db()
    assert tx.state == TransactionState.RECEIVED
    assert tx.finished_at is None
    assert tx.attempts == 1
    assert tx.attempts_before_replay == 1
    assert tx.attempts_since_replay == 0
    grace = timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS)
    assert before + grace <= tx.next_attempt_at <= timezone.now() + grace
    assert event_rows(tx, 3) == [
        ("replayed", "failed", "received", 1, operator.pk, "mapping fixed")
    ]


def test_given_failed_when_replay_without_reason_then_message_says_retry_now(
    failed_transaction, operator
):
    tx = failed_transaction()
    tx.replay(operator)
    assert event_rows(tx, 3) == [("replayed", "failed", "received", 1, operator.pk, "retry now")]


def test_given_failed_when_resolve_with_reason_then_resolved_terminal_with_actor(
    failed_transaction, operator
):
    tx = failed_transaction()

    tx.resolve(operator, "order cancelled by phone")

    tx.refresh_from_db()
    assert tx.state == TransactionState.RESOLVED
    assert tx.is_terminal
    assert tx.finished_at is not None
    assert event_rows(tx, 3) == [
        ("resolved", "failed", "resolved", 1, operator.pk, "order cancelled by phone")
    ]


@pytest.mark.parametrize(
    ("setup", "attempt"),
    [
        ("received", lambda tx, user: tx.succeed("ok")),
        ("received", lambda tx, user: tx.fail("x", "y")),
        ("received", lambda tx, user: tx.schedule_retry("x", "y", delay=timedelta(seconds=1))),
        ("received", lambda tx, user: tx.replay(user)),
        ("received", lambda tx, user: tx.resolve(user, "why")),
        ("processing", lambda tx, user: tx.start_attempt(60)),  # lease still live
        ("processing", lambda tx, user: tx.replay(user)),
        ("succeeded", lambda tx, user: tx.replay(user)),
        ("succeeded", lambda tx, user: tx.resolve(user, "why")),
        ("succeeded", lambda tx, user: tx.start_attempt(60)),
        ("succeeded", lambda tx, user: tx.succeed("again")),
        ("failed", lambda tx, user: tx.resolve(user, "   ")),  # no reason
        ("failed", lambda tx, user: tx.resolve(user, "")),
        ("failed", lambda tx, user: tx.start_attempt(60)),
        ("failed", lambda tx, user: tx.succeed("ok")),
        ("resolved", lambda tx, user: tx.replay(user)),
        ("resolved", lambda tx, user: tx.start_attempt(60)),
    ],
)
def test_given_state_when_illegal_transition_then_invalid_transition_and_nothing_changes(
    setup, attempt, new_transaction, operator
):
    tx = new_transaction()
    if setup != "received":
        tx.start_attempt(60)
    if setup == "succeeded":
        tx.succeed("ok")
    if setup in ("failed", "resolved"):
        tx.fail("erp_rejected", "no")
    if setup == "resolved":
        tx.resolve(operator, "done")
    tx = SyncTransaction.objects.get(pk=tx.pk)
    assert tx.state == setup
    before = snapshot(tx)

    with pytest.raises(InvalidTransition):
        attempt(tx, operator)

    assert snapshot(tx) == before
    # The in-memory object was not moved either (the refusal comes before any change).
    assert tx.state == setup


def test_given_processing_with_expired_lease_when_start_attempt_then_lease_expired_event_first(
    new_transaction, expire_lease
):
    tx = new_transaction()
    tx.start_attempt(60)
    first_token = tx.lease_token
    expire_lease(tx)
    tx.refresh_from_db()
    assert tx.lease_expired()

    tx.start_attempt(60)

    assert tx.attempts == 2
    assert tx.lease_token != first_token
    assert not tx.lease_expired()
    assert event_rows(tx, 2) == [
        (
            "lease.expired",
            "processing",
            "processing",
            1,
            None,
            "the worker holding the lease stopped answering",
        ),
        ("attempt.started", "processing", "processing", 2, None, ""),
    ]


def test_state_is_not_editable_so_no_form_or_admin_can_assign_it():
    for name in ("state", "attempts", "next_attempt_at", "lease_until", "lease_token"):
        assert SyncTransaction._meta.get_field(name).editable is False


def test_given_received_when_skipped_then_succeeded_with_skipped_event(new_transaction):
    tx = new_transaction("FILE-DUP")

    tx.skip("duplicate of file #12")

    tx.refresh_from_db()
    assert tx.state == TransactionState.SUCCEEDED
    assert (tx.attempts, tx.next_attempt_at) == (0, None)
    assert tx.finished_at is not None
    assert event_rows(tx, 1) == [
        ("skipped", "received", "succeeded", 0, None, "duplicate of file #12")
    ]


def test_given_failed_when_skipped_then_refused(failed_transaction):
    tx = failed_transaction()
    before = snapshot(tx)
    with pytest.raises(InvalidTransition):
        tx.skip("dup")
    assert snapshot(tx) == before
