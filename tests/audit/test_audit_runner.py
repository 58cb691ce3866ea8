"""run_transaction: the one place where handler results and connector errors become states."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from connectors.errors import ConfigError, PermanentError, TransientError
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.runner import Outcome, claim, run_transaction
from syncplatform.core.errors import NeedsPerson
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner


def kinds(tx) -> list[str]:
    return list(tx.events.order_by("id").values_list("kind", flat=True))


def raising(exc: Exception):
    def handler(tx):
        raise exc

    return handler


def in_other_connection(work):
    """Run ``work()`` in a thread with its own database connection; return or re-raise."""
    result: dict = {}

    def target():
        try:
            result["value"] = work()
        except Exception as exc:
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    if "error" in result:
        raise result["error"]
    return result.get("value")


# --- success ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_received_when_handler_succeeds_then_apply_and_succeed_commit_together(
    new_transaction,
):
    tx = new_transaction("WEB-OK")
    seen = {}

    def apply():
        Partner.objects.create(code="written-by-apply", name="x", kind=PartnerKind.ERP)
        seen["in_atomic"] = connection.in_atomic_block

        # While apply runs, the finishing transaction holds the row lock:
        # another connection cannot lock it.
        def try_lock():
            with transaction.atomic():
                SyncTransaction.objects.select_for_update(nowait=True).get(pk=tx.pk)

        try:
            in_other_connection(try_lock)
        except DatabaseError:
            seen["row_locked"] = True

    def handler(claimed):
        seen["handler_state"] = claimed.state
        seen["handler_in_atomic"] = connection.in_atomic_block
        return Outcome("posted as 4711", excerpt="<DocNo>4711</DocNo>", apply=apply)

    result = run_transaction(tx.pk, handler)

    assert result.state == TransactionState.SUCCEEDED
    assert seen == {
        "handler_state": TransactionState.PROCESSING,
        "handler_in_atomic": False,  # the SOAP call holds no row locks
        "in_atomic": True,
        "row_locked": True,
    }
    assert Partner.objects.filter(code="written-by-apply").exists()
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.state == TransactionState.SUCCEEDED
    assert stored.attempts == 1
    assert kinds(stored) == ["received", "attempt.started", "attempt.succeeded"]
    done = stored.events.get(kind="attempt.succeeded")
    assert (done.message, done.excerpt) == ("posted as 4711", "<DocNo>4711</DocNo>")
    assert done.duration_ms is not None and done.duration_ms >= 0


@pytest.mark.django_db(transaction=True)
def test_given_succeed_fails_when_recording_then_apply_writes_are_rolled_back(
    new_transaction, monkeypatch
):
    tx = new_transaction("WEB-ATOMIC")

    def broken_succeed(self, *args, **kwargs):
        raise RuntimeError("event table unavailable")

    monkeypatch.setattr(SyncTransaction, "succeed", broken_succeed)

    def apply():
        Partner.objects.create(code="must-not-stay", name="x", kind=PartnerKind.ERP)

    with pytest.raises(RuntimeError, match="event table unavailable"):
        run_transaction(tx.pk, lambda claimed: Outcome("ok", apply=apply))

    assert not Partner.objects.filter(code="must-not-stay").exists()
    stored = SyncTransaction.objects.get(pk=tx.pk)
    # Still leased to the attempt: the sweeper recovers it when the lease runs out.
    assert stored.state == TransactionState.PROCESSING
    assert kinds(stored) == ["received", "attempt.started"]


# --- transient errors and retries ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_transient_error_then_retrying_with_delay_from_policy(new_transaction, retry_policy):
    retry_policy(max_attempts=3, delays=[7, 40])
    tx = new_transaction("WEB-T")
    before = timezone.now()

    result = run_transaction(tx.pk, raising(TransientError("read timed out", code="erp_timeout")))

    after = timezone.now()
    assert result.state == TransactionState.RETRYING
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.state == TransactionState.RETRYING
    assert before + timedelta(seconds=7) <= stored.next_attempt_at <= after + timedelta(seconds=7)
    assert (stored.last_error_code, stored.last_error_message) == ("erp_timeout", "read timed out")
    assert (stored.lease_until, stored.lease_token) == (None, None)
    assert kinds(stored) == ["received", "attempt.started", "attempt.failed", "retry.scheduled"]
    scheduled = stored.events.get(kind="retry.scheduled")
    assert scheduled.message == "next attempt in 7s"

    # The second failure waits for the second delay.
    before = timezone.now()
    run_transaction(tx.pk, raising(TransientError("read timed out", code="erp_timeout")))
    stored.refresh_from_db()
    assert stored.attempts == 2
    assert stored.next_attempt_at >= before + timedelta(seconds=40)
    assert stored.next_attempt_at <= timezone.now() + timedelta(seconds=40)


@pytest.mark.django_db(transaction=True)
def test_given_retries_exhausted_then_failed_naming_the_last_error(new_transaction, retry_policy):
    retry_policy(max_attempts=2, delays=[1])
    tx = new_transaction("WEB-X")

    run_transaction(tx.pk, raising(TransientError("connection refused", code="erp_down")))
    result = run_transaction(tx.pk, raising(TransientError("read timed out", code="erp_timeout")))

    assert result.state == TransactionState.FAILED
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.attempts == 2
    assert stored.last_error_code == "retries_exhausted"
    assert stored.last_error_message == (
        "gave up after 2 attempts; last error erp_timeout: read timed out"
    )
    assert stored.finished_at is not None
    assert kinds(stored)[-2:] == ["attempt.started", "failed"]
    assert stored.events.order_by("-id").first().message == (
        "retries_exhausted: gave up after 2 attempts; last error erp_timeout: read timed out"
    )


@pytest.mark.django_db(transaction=True)
def test_given_replayed_after_exhaustion_then_the_retry_budget_starts_again(
    new_transaction, retry_policy, django_user_model
):
    operator = django_user_model.objects.create_user("replayer")
    retry_policy(max_attempts=1, delays=[1])
    tx = new_transaction("WEB-R")
    run_transaction(tx.pk, raising(TransientError("down")))
    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "retries_exhausted")

    tx.replay(operator)
    retry_policy(max_attempts=2, delays=[1])
    result = run_transaction(tx.pk, raising(TransientError("down")))

    # Attempt 2 overall but the first since the replay: retried, not failed.
    assert (result.state, result.attempts, result.attempts_since_replay) == (
        TransactionState.RETRYING,
        2,
        1,
    )


@pytest.mark.django_db(transaction=True)
def test_given_no_policy_row_then_the_kinds_declared_default_applies(new_transaction):
    RetryPolicy.objects.all().delete()
    tx = new_transaction("WEB-D")
    before = timezone.now()

    run_transaction(tx.pk, raising(TransientError("down")))

    stored = SyncTransaction.objects.get(pk=tx.pk)
    # erp.order.post declares 10 attempts, the first delay 5 s with ±20 % jitter.
    assert before + timedelta(seconds=4) <= stored.next_attempt_at
    assert stored.next_attempt_at <= timezone.now() + timedelta(seconds=6)


# --- failures that need a person ---------------------------------------------------------


class MissingThing(NeedsPerson):
    code = "mapping_missing"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            PermanentError("material blocked", code="erp_rejected"),
            "erp_rejected",
            "material blocked",
        ),
        (PermanentError("refused"), "permanent", "refused"),
        (ConfigError("WSDL not found", code="erp_config"), "erp_config", "WSDL not found"),
        (ConfigError("no endpoint"), "config", "no endpoint"),
        (MissingThing("sku X, location Y"), "mapping_missing", "sku X, location Y"),
        (NeedsPerson("payload invalid"), "needs_person", "payload invalid"),
    ],
)
def test_given_error_needing_a_person_then_failed_at_once_with_code_and_message(
    error, code, message, new_transaction, retry_policy
):
    retry_policy(max_attempts=5)
    tx = new_transaction("WEB-P")

    result = run_transaction(tx.pk, raising(error))

    assert result.state == TransactionState.FAILED
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert (stored.state, stored.attempts) == (TransactionState.FAILED, 1)
    assert (stored.last_error_code, stored.last_error_message) == (code, message)
    assert kinds(stored) == ["received", "attempt.started", "failed"]
    assert stored.events.get(kind="failed").message == f"{code}: {message}"


@pytest.mark.django_db(transaction=True)
def test_given_unexpected_exception_then_retried_and_logged_not_swallowed(
    new_transaction, retry_policy, caplog
):
    retry_policy(max_attempts=2, delays=[1])
    tx = new_transaction("WEB-BUG")

    with caplog.at_level(logging.ERROR, logger="syncplatform.audit.runner"):
        result = run_transaction(tx.pk, raising(RuntimeError("database blip")))

    assert result.state == TransactionState.RETRYING
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert (stored.last_error_code, stored.last_error_message) == ("RuntimeError", "database blip")
    assert stored.events.get(kind="attempt.failed").message == "RuntimeError: database blip"
    logged = [r for r in caplog.records if r.name == "syncplatform.audit.runner"]
    assert logged and logged[0].exc_info[0] is RuntimeError

    # ... and never retried forever.
    run_transaction(tx.pk, raising(RuntimeError("database blip")))
    stored.refresh_from_db()
    assert (stored.state, stored.last_error_code) == (TransactionState.FAILED, "retries_exhausted")
    assert stored.last_error_message.endswith("last error RuntimeError: database blip")


# --- claiming and leases ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_claimed_row_when_claimed_again_then_none_and_nothing_recorded(new_transaction):
    tx = new_transaction("WEB-C")

    first = claim(tx.pk)
    second = claim(tx.pk)

    assert first is not None and first.state == TransactionState.PROCESSING
    assert second is None
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.attempts == 1
    assert stored.lease_token == first.lease_token
    assert kinds(stored) == ["received", "attempt.started"]


@pytest.mark.django_db(transaction=True)
def test_given_second_delivery_when_running_then_handler_is_not_called(new_transaction):
    tx = new_transaction("WEB-C2")
    claim(tx.pk)
    calls = []

    result = run_transaction(tx.pk, lambda claimed: calls.append(claimed) or Outcome("x"))

    assert result is None
    assert calls == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("end", ["succeeded", "failed"])
def test_given_finished_row_when_claimed_then_none(end, new_transaction):
    tx = new_transaction("WEB-E")
    tx.start_attempt(60)
    if end == "succeeded":
        tx.succeed("ok")
    else:
        tx.fail("erp_rejected", "no")

    assert claim(tx.pk) is None
    assert claim(999_999_999) is None


@pytest.mark.django_db(transaction=True)
def test_given_row_locked_by_another_worker_when_claimed_then_skipped_not_blocked(
    new_transaction,
):
    tx = new_transaction("WEB-L")
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                SyncTransaction.objects.select_for_update().get(pk=tx.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert claim(tx.pk) is None  # skip_locked: no waiting for the other worker
    finally:
        release.set()
        holder.join(timeout=30)

    assert claim(tx.pk) is not None


@pytest.mark.django_db(transaction=True)
def test_given_processing_with_expired_lease_then_claimable_with_lease_expired_event(
    new_transaction, expire_lease
):
    tx = new_transaction("WEB-K")
    lost = claim(tx.pk)  # a worker claims and is then killed
    expire_lease(tx)

    result = run_transaction(tx.pk, lambda claimed: Outcome("posted on second try"))

    assert result.state == TransactionState.SUCCEEDED
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.attempts == 2
    assert kinds(stored) == [
        "received",
        "attempt.started",
        "lease.expired",
        "attempt.started",
        "attempt.succeeded",
    ]
    assert lost.lease_token is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "late_error", [None, TransientError("late timeout"), PermanentError("late refusal")]
)
def test_given_lease_taken_over_when_slow_handler_finishes_then_nothing_is_recorded(
    late_error, new_transaction, expire_lease, retry_policy
):
    retry_policy()
    tx = new_transaction("WEB-SLOW")
    applied = []
    taken_over = {}

    def slow_handler(claimed):
        # While this worker is stuck, its lease runs out and another worker takes the row.
        expire_lease(claimed)
        taken_over["tx"] = claim(claimed.pk)
        if late_error is not None:
            raise late_error
        return Outcome("late success", apply=lambda: applied.append("applied"))

    run_transaction(tx.pk, slow_handler)

    assert applied == []
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert stored.state == TransactionState.PROCESSING
    assert stored.attempts == 2
    assert stored.lease_token == taken_over["tx"].lease_token
    assert (stored.last_error_code, stored.finished_at) == ("", None)
    assert kinds(stored) == ["received", "attempt.started", "lease.expired", "attempt.started"]


@pytest.mark.django_db(transaction=True)
def test_given_outcome_with_failure_then_apply_commits_and_the_transaction_fails(new_transaction):
    tx = new_transaction("FILE-945")

    def keep_good_sets():
        Partner.objects.create(code="kept-by-apply", name="x", kind=PartnerKind.ERP)

    result = run_transaction(
        tx.pk,
        lambda claimed: Outcome(
            "2 of 3 sets applied",
            excerpt="ST*945*0003",
            apply=keep_good_sets,
            failure=("edi_rejected", "set 0003: W06 missing"),
        ),
    )

    assert result.state == TransactionState.FAILED
    assert Partner.objects.filter(code="kept-by-apply").exists()
    stored = SyncTransaction.objects.get(pk=tx.pk)
    assert (stored.last_error_code, stored.last_error_message) == (
        "edi_rejected",
        "set 0003: W06 missing",
    )
    failed = stored.events.get(kind="failed")
    assert (failed.message, failed.excerpt) == (
        "edi_rejected: set 0003: W06 missing",
        "ST*945*0003",
    )


# --- the claim is its connection's health check -------------------------------------------


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_session(pid: int) -> None:
    """End a PostgreSQL session from another one, as a restart of the server does."""

    def terminate():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
                time.sleep(0.05)
        raise AssertionError(f"session {pid} did not end")

    in_other_connection(terminate)


@pytest.mark.django_db(transaction=True)
def test_given_the_session_ended_between_tasks_when_claimed_then_claimed_once_on_a_new_one(
    new_transaction,
):
    tx = new_transaction("WEB-PGR")
    ended = backend_pid()
    terminate_session(ended)
    task_prerun.send(sender=None, task_id="next-task", task=None)  # as before every task

    result = run_transaction(tx.pk, lambda claimed: Outcome("posted"))

    assert (result.state, result.attempts) == (TransactionState.SUCCEEDED, 1)
    assert kinds(result) == ["received", "attempt.started", "attempt.succeeded"]
    assert backend_pid() != ended


@pytest.mark.django_db(transaction=True)
def test_a_claim_on_a_connection_that_served_the_last_task_sends_no_health_check(
    new_transaction, monkeypatch
):
    tx = new_transaction("WEB-HC")
    backend_pid()  # the connection is open, as after the previous task
    task_prerun.send(sender=None, task_id="next-task", task=None)
    checks = []
    wrapper = type(connections["default"])
    is_usable = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda self: checks.append(1) or is_usable(self))

    result = run_transaction(tx.pk, lambda claimed: Outcome("posted"))

    assert result.state == TransactionState.SUCCEEDED
    assert checks == []  # Django's SELECT 1: the claim's own statement checks the session
