"""The one place where connector errors become transaction states.

``run_transaction(id)`` (the handler is the kind's, from the registry):
1. claims the row (``select_for_update(skip_locked=True)`` on a runnable state,
   or a processing row whose lease expired) and commits the claim, so a second
   delivery of the same id finds nothing to do; a kind with a gate is admitted
   by it first (``gates.admit``: in-flight cap and breaker), or held ``waiting``
   without spending an attempt;
2. runs the handler outside any database transaction (a SOAP call must not
   hold row locks);
3. records the outcome in one database transaction, but only while the lease
   is still ours: the handler's ``Outcome.apply`` (domain writes such as the
   ERP document number) and ``succeed`` commit together, with the release of
   the gate's slot (``gates.release``), which hands it to the oldest waiter
   (on PostgreSQL the success rides in the release's statement).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from connectors.errors import ConfigError, PermanentError, TransientError
from syncplatform.core.errors import NeedsPerson
from syncplatform.core.logging import transaction_context
from syncplatform.core.prepared import PreparedQuery, execute

from . import gates, registry
from .choices import TransactionState
from .models import RetryPolicy, SyncTransaction

logger = logging.getLogger(__name__)


Failure = tuple[str, str]  # (code, message) an operator reads


@dataclass(frozen=True)
class Outcome:
    """What a handler achieved: an event message, an excerpt, and writes to commit.

    ``apply()`` runs in the runner's final database transaction. It returns
    None, or a ``Failure`` it found while writing (an order the file names
    that we never sent). ``failure`` is one known before writing (a file whose
    envelope is broken). Either ends the transaction ``failed`` after ``apply``
    committed what could be kept, e.g. the good sets of an EDI file whose other
    sets were rejected; ``apply`` must then be safe to run again on replay.
    """

    message: str
    excerpt: str = ""
    apply: Callable[[], Failure | None] = field(default=lambda: None)
    failure: Failure | None = None


Handler = Callable[[SyncTransaction], Outcome]


def claim(transaction_id: int) -> SyncTransaction | None:
    """Start an attempt on the row if it is runnable now; None if there is nothing to do.

    The claim's first statement is its connection's health check: a claim
    that finds the connection broken (a PostgreSQL restart) claims once more
    on a new one. Its transaction went with the old session, so nothing was
    claimed; unless the session broke at the commit itself, when the claim
    stands and the second finds the row leased, as a second delivery does
    (the lease's end hands it to the sweeper).
    """
    if connection.connection is not None:
        # Celery's hook (syncplatform/celery.py) left a check pending: Django's
        # SELECT 1 before the next statement, a round trip per posting for a
        # connection that served the previous task a moment ago.
        connection.health_check_done = True
    try:
        return _claim(transaction_id)
    except (OperationalError, InterfaceError):
        connection.close_if_unusable_or_obsolete()  # closed: the next statement reconnects
        return _claim(transaction_id)


def _claim(transaction_id: int) -> SyncTransaction | None:
    with transaction.atomic():
        tx = _CLAIMABLE.first(transaction_id)
        if tx is None or not tx.is_claimable():
            return None
        gate = gates.gate_of(tx)
        if gate is None:
            tx.start_attempt(settings.SYNC_LEASE_SECONDS)
            return tx
        if _start_then_admit_at_once(tx, gate):
            return tx
        if not gates.admit(tx, gate):
            return None
        tx.start_attempt(settings.SYNC_LEASE_SECONDS)
    return tx


def _start_then_admit_at_once(tx: SyncTransaction, gate: gates.Gate) -> bool:
    """PostgreSQL: start the attempt and take a slot in one statement; True if both happened.

    The attempt's start rides in the slot's statement (written only when a
    slot is taken), which locks the gate's breaker row until the claim
    commits; every posting to that endpoint takes the same lock, so it is
    held for that one statement and the commit (with 16 threads, 7 postings
    on average queued on it when it was held longer; make bench). When no
    slot is taken nothing is written, and ``gates.admit`` decides the
    general way.
    """
    if not gates.may_admit_at_once(tx):
        return False
    as_claimed = dict(tx.__dict__)
    if "_as_loaded" in as_claimed:  # changed in place by each save
        as_claimed["_as_loaded"] = dict(as_claimed["_as_loaded"])
    start = tx.start_attempt(settings.SYNC_LEASE_SECONDS, ride_when=gates.SLOT_TAKEN)
    if gates.admit_at_once(tx, gate, start):
        return True
    tx.__dict__.update(as_claimed)  # the instance back as the row still is
    return False


# Compiled once per process: every attempt of every kind claims through it.
_CLAIMABLE = PreparedQuery(
    lambda pk: SyncTransaction.objects.select_for_update(skip_locked=True).filter(pk=pk)
)


def run_transaction(transaction_id: int, handler: Handler | None = None) -> SyncTransaction | None:
    """One attempt at a transaction; ``handler`` replaces the kind's (a job's own first attempt)."""
    tx = claim(transaction_id)
    if tx is None:
        logger.info(
            "transaction %s: nothing to do (claimed elsewhere or finished)",
            transaction_id,
            extra={"tx_id": transaction_id, "outcome": "skipped"},
        )
        return None
    # Every line logged during the attempt, by any logger, names the transaction.
    with transaction_context(
        tx_kind=tx.kind,
        tx_id=tx.pk,
        business_key=tx.business_key,
        correlation_id=tx.correlation_id,
        outcome=TransactionState.PROCESSING,
    ):
        result = _attempt(tx, handler)
        _log_outcome(result)
    return result


def _attempt(tx: SyncTransaction, handler: Handler | None) -> SyncTransaction:
    started = time.monotonic()
    try:
        outcome = (handler or _handler_of(tx))(tx)
    except TransientError as exc:
        return _finish(tx, started, retry=exc)
    except PermanentError as exc:  # the partner answered no
        return _finish(tx, started, failure=(exc.code, str(exc)), signal="answered")
    except (ConfigError, NeedsPerson) as exc:
        return _finish(tx, started, failure=(exc.code, str(exc)), signal=None)
    except Exception as exc:
        # A bug or an infrastructure blip: retry within the policy, never forever.
        logger.exception("transaction %s: unexpected error", tx.pk)
        return _finish(tx, started, retry=exc)
    return _finish(tx, started, outcome=outcome, signal="answered")


def _log_outcome(tx: SyncTransaction) -> None:
    """The attempt's line: Celery's own "Task … succeeded" only means the task returned."""
    level = {
        TransactionState.FAILED: logging.ERROR,
        TransactionState.RETRYING: logging.WARNING,
    }.get(tx.state, logging.INFO)
    error = f" {tx.last_error_code}: {tx.last_error_message}" if tx.last_error_code else ""
    logger.log(
        level,
        "transaction %s (%s %s) attempt %s: %s%s",
        tx.pk,
        tx.kind,
        tx.business_key,
        tx.attempts,
        tx.state,
        error,
        extra={"outcome": tx.state, "error_code": tx.last_error_code},
    )


def _handler_of(tx: SyncTransaction) -> Handler:
    try:
        return registry.kind(tx.kind).handler
    except registry.UnknownKind as exc:
        raise ConfigError(
            f"{exc}; was the app that owns it removed?", code="unknown_kind"
        ) from None


def _finish(tx, started, *, outcome=None, retry=None, failure=None, signal=None) -> SyncTransaction:
    """Record the attempt's outcome; returns the transaction as stored afterwards."""
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        if not _lease_still_ours(tx):
            logger.warning("transaction %s: lease lost before the outcome was recorded", tx.pk)
            return SyncTransaction.objects.get(pk=tx.pk)
        # While it is processing under our lease nobody else writes the row, so the
        # claimed instance is the row as stored: no second read of the whole row.
        current, transition = tx, None
        if outcome is not None:
            found = outcome.apply()
            failure = outcome.failure or found
            if failure:
                current.fail(*failure, duration_ms=duration_ms, excerpt=outcome.excerpt)
            elif gates.may_release_at_once(signal):
                # The success rides in the release's statement: a round trip less.
                transition = current.succeed(
                    outcome.message,
                    duration_ms=duration_ms,
                    excerpt=outcome.excerpt,
                    ride_when=gates.RELEASING,
                )
            else:
                current.succeed(outcome.message, duration_ms=duration_ms, excerpt=outcome.excerpt)
        elif failure is not None:
            current.fail(*failure, duration_ms=duration_ms)
        else:
            _retry_or_fail(current, retry, duration_ms)
        if isinstance(retry, TransientError):
            signal = "transient"  # no answer: what a gate's breaker counts
        # Last, so the breaker's row lock (every posting to the endpoint takes it)
        # is held for this statement and the commit, not for the outcome's writes:
        # with more threads than slots, postings queued on that lock (make bench).
        gates.release(current, signal=signal, error=_error_of(retry), transition=transition)
    return current


def _lease_still_ours(tx: SyncTransaction) -> bool:
    """Lock the row; True while it is processing under ``tx``'s lease token."""
    sql = "SELECT state, lease_token FROM audit_synctransaction WHERE id = %s"
    if connection.features.has_select_for_update:
        sql = "SELECT state, lease_token FROM audit_synctransaction WHERE id = %s FOR UPDATE"
    with connection.cursor() as cursor:
        execute(cursor, sql, [tx.pk])  # prepared on the server on PostgreSQL
        row = cursor.fetchone()
    if row is None:
        return False
    state, token = row
    return state == TransactionState.PROCESSING and _LEASE_TOKEN.to_python(token) == tx.lease_token


_LEASE_TOKEN = SyncTransaction._meta.get_field("lease_token")


def _error_of(retry) -> str:
    return f"{getattr(retry, 'code', '') or retry.__class__.__name__}: {retry}" if retry else ""


def _retry_or_fail(tx: SyncTransaction, exc: Exception, duration_ms: int) -> None:
    code = getattr(exc, "code", None) or exc.__class__.__name__
    message = str(exc) or exc.__class__.__name__
    policy = RetryPolicy.for_kind(tx.kind)
    if tx.attempts_since_replay >= policy.max_attempts:
        tx.fail(
            "retries_exhausted",
            f"gave up after {tx.attempts_since_replay} attempts; last error {code}: {message}",
            duration_ms=duration_ms,
        )
        return
    tx.schedule_retry(
        code, message, delay=policy.delay_after(tx.attempts_since_replay), duration_ms=duration_ms
    )
