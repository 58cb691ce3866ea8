"""Gates: a shared in-flight cap and a circuit breaker per partner endpoint, in the database.

A transaction kind declares ``gate=Gate(target=...)`` (see ``registry.Gate``);
the runner calls ``admit`` inside its claim, before the attempt starts, and
``release`` inside the transaction that records the outcome. Every admission,
release and wake of one target first locks that target's ``Breaker`` row, so
the cap, the queue and the breaker change together for every worker process
and host (PostgreSQL row lock; on SQLite, whose transactions here begin
IMMEDIATE, the database's one writer does the same within the machine).

- **Cap.** A target has ``capacity`` slot rows; an attempt holds one with a
  lease as long as the transaction's own, so a SIGKILLed worker's slot frees
  itself when the lease runs out.
- **Waiting.** A transaction that finds no free slot (or finds others queued
  ahead of it) goes ``waiting`` with a ``GateWaiter`` row, spending no
  attempt. A release hands its slot straight to the oldest waiter (reserved
  for it for the publish grace period) and publishes it: FIFO, no thread asleep,
  no broker countdown. ``wake_gates`` (beat, every 5 s) repairs a lost publish.
- **Breaker.** ``failures_to_open`` consecutive transient failures within
  ``window_seconds`` open it: admissions are held back (an event says so) and
  spend no attempt. After ``cool_down_seconds`` the oldest waiter (or the next
  claim) is the one probe (half-open): its success closes the breaker and the
  waiters go in ``capacity`` at a time; its failure reopens it.

On PostgreSQL the common admission and release (breaker closed, nobody
waiting) are one statement each (``_admit_at_once``, ``_release_at_once``):
lock the breaker row, check the queue and take or free the slot. Such a
statement reads the slots and the queue in the snapshot it started with,
which may predate the breaker lock it then waited for, so it trusts that
snapshot only while the breaker's ``version`` it saw equals the one it
locked: every admission, release and wake that goes the general way raises
the version when it takes the lock, and only the general way queues or hands
a slot over. When the version moved while it waited, the statement runs once
more, holding the lock, on a fresh snapshot: going the general way instead
raised the version again for everyone queued behind it, and one general path
per posting followed. A slot taken meanwhile by another one-statement
admission is caught by the row lock's recheck. Anything else (failures
counted, a changed cap, waiters, a transient failure to record) goes the
general way. The writes the claim and the outcome must make anyway ride in
these statements (``core.prepared.ride``): the attempt's start, only when a
slot is taken; the outcome's success, always, whatever the release finds.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from syncplatform.core import health
from syncplatform.core.prepared import Rider, execute

from . import registry
from .choices import BreakerState, TransactionState
from .dispatch import enqueue_on_commit
from .gate_models import Breaker, GateSlot, GateWaiter
from .registry import Gate, GateTarget, Lane, scheduled_job

logger = logging.getLogger(__name__)


def gate_of(tx) -> Gate | None:
    try:
        return registry.kind(tx.kind).gate
    except registry.UnknownKind:
        return None


def admit(tx, gate: Gate) -> bool:
    """Inside the claim, the general way: True when ``tx`` may start its attempt (holding a slot).

    False when it was held back (``waiting``, no attempt spent); its gate
    publishes it again when its turn comes. The claim tries ``admit_at_once``
    first where it can.
    """
    target = gate.target(tx)
    if target is None:
        return True
    now = timezone.now()
    breaker = _locked_breaker(target)
    reason = _breaker_holds_back(breaker, gate, tx, now)
    if reason is None:
        if _take_slot(breaker, tx, now):
            if tx.state == TransactionState.WAITING:
                GateWaiter.objects.filter(transaction_id=tx.pk).delete()
            return True
        reason = (
            f"waiting for a free slot at {breaker.label} (at most {breaker.slot_count} in flight)"
        )
    GateWaiter.objects.get_or_create(
        transaction_id=tx.pk, defaults={"breaker": breaker, "kind": tx.kind}
    )
    # A slot reserved for it that it cannot use now (the breaker opened meanwhile).
    GateSlot.objects.filter(holder_id=tx.pk).update(holder_id=None, lease_until=None)
    tx.hold(reason)
    _wake(breaker, gate, now)
    return False


def may_admit_at_once(tx) -> bool:
    """Whether ``admit_at_once`` can admit ``tx``: on PostgreSQL, when it is received or retrying.

    A waiting one keeps its place in the queue, which only the general way
    reads; one whose lease ran out records that before its start.
    """
    return connection.vendor == "postgresql" and tx.state in _AT_ONCE_STATES


_AT_ONCE_STATES = frozenset({TransactionState.RECEIVED, TransactionState.RETRYING})


SLOT_TAKEN = "taken"  # the CTE of admit_at_once that returns the slot taken


def admit_at_once(tx, gate: Gate, start: Rider) -> bool:
    """PostgreSQL's one-statement admission (breaker closed, nobody waiting, a slot free).

    ``start`` is the attempt's start, built to ride on ``SLOT_TAKEN``
    (``tx.start_attempt(..., ride_when=SLOT_TAKEN)``): it is written in the
    same statement when a slot is taken. True then (or when its kind's gate
    has no target for ``tx``: the start alone). False otherwise, with nothing
    written, though the breaker's row may stay locked until the end of the
    transaction: go on with ``admit``.
    """
    target = gate.target(tx)
    if target is None:
        ((_, started),) = _sql(
            f"WITH {SLOT_TAKEN} AS (SELECT 1), {start.ctes} SELECT TRUE{start.select}",
            start.params,
        )
        return _started(start, started)
    return _admit_at_once(target, tx, timezone.now(), start)


RELEASING = "releasing"  # the CTE of the release's statement that a transition rides on


def may_release_at_once(signal: str | None) -> bool:
    """Whether ``release`` tries its one statement, which an outcome's transition may ride in.

    On PostgreSQL, unless the partner did not answer: the breaker counts that.
    """
    return connection.vendor == "postgresql" and signal != "transient"


def release(tx, *, signal: str | None, error: str = "", transition: Rider | None = None) -> None:
    """Inside the outcome's transaction: free ``tx``'s slot and tell its breaker what happened.

    ``signal`` is ``"transient"`` (no answer: timeout, outage), ``"answered"``
    (the partner answered, yes or no) or None (nothing learnt about the partner).
    ``transition``: the outcome's, built to ride on ``RELEASING``
    (``tx.succeed(..., ride_when=RELEASING)``) when ``may_release_at_once``:
    written in the release's first statement whatever the release finds.
    """
    if may_release_at_once(signal) and _release_at_once(tx, transition) is not None:
        return  # freed with nothing to tell its breaker or its queue, or it held none
    breaker = _fetch_breaker(
        "id IN (SELECT breaker_id FROM audit_gateslot WHERE holder_id = %s)", [tx.pk]
    )
    if breaker is None:
        return  # it held no slot
    _sql(
        "UPDATE audit_gateslot SET holder_id = NULL, lease_until = NULL "
        "WHERE breaker_id = %s AND holder_id = %s",
        [breaker.pk, tx.pk],
    )
    gate = gate_of(tx)
    now = timezone.now()
    if gate is not None and signal is not None:
        _record(breaker, gate, tx, now, transient=signal == "transient", error=error)
    elif breaker.state == BreakerState.HALF_OPEN and breaker.probe_transaction_id == tx.pk:
        _change(
            breaker, BreakerState.OPEN, now
        )  # the probe learnt nothing: another after the cool-down
    _wake(breaker, gate, now)


@scheduled_job(
    "audit.gates",
    every_seconds=5,
    name="wake transactions waiting at their gates",
    lane=Lane.REALTIME,
    description="Hands free in-flight slots (freed by expired leases too) to the oldest "
    "waiting transactions and sends the probe of a breaker whose cool-down is over.",
)
def wake_gates() -> int:
    """Publish waiters that should be moving: returns how many were handed a slot."""
    woken = 0
    now = timezone.now()
    for pk in Breaker.objects.filter(waiters__isnull=False).distinct().values_list("pk", flat=True):
        with transaction.atomic():
            # Passes over a breaker another worker holds (it is busy with it anyway).
            breaker = _fetch_breaker("id = %s", [pk], skip_locked=True)
            if breaker is not None:
                woken += _wake(breaker, None, now)
    return woken


def degraded_breakers() -> str | None:
    """``/readyz``'s view: the targets whose breaker is not closed (degraded, not down)."""
    breakers = Breaker.objects.exclude(state=BreakerState.CLOSED).order_by("key")
    if not breakers:
        return None
    return "; ".join(
        f"{b.label or b.key}: breaker {b.state} since {b.changed_at:%Y-%m-%d %H:%M:%S}"
        for b in breakers
    )


health.register_degraded_check("breakers", degraded_breakers)


# --- inside the breaker's lock ----------------------------------------------------


def _locked_breaker(target: GateTarget) -> Breaker:
    breaker = _fetch_breaker("key = %s", [target.key])
    if breaker is None:
        try:
            with transaction.atomic():
                Breaker.objects.create(key=target.key, label=target.label)
        except IntegrityError:
            pass  # another worker created it first
        breaker = _fetch_breaker("key = %s", [target.key])
    if breaker.slot_count != target.capacity or breaker.label != target.label:
        GateSlot.objects.bulk_create(
            [GateSlot(breaker=breaker, number=n) for n in range(1, target.capacity + 1)],
            ignore_conflicts=True,
        )
        breaker.slot_count, breaker.label = target.capacity, target.label
        breaker.save(update_fields=["slot_count", "label"])
    return breaker


def _breaker_holds_back(breaker: Breaker, gate: Gate, tx, now) -> str | None:
    if breaker.state == BreakerState.CLOSED:
        return None
    if breaker.state == BreakerState.OPEN:
        if now < breaker.opened_at + timedelta(seconds=gate.cool_down_seconds):
            return (
                f"held back by the breaker of {breaker.label}: open since "
                f"{breaker.opened_at:%H:%M:%S} after {breaker.consecutive_failures} "
                f"failures ({breaker.last_error})"
            )
        _change(breaker, BreakerState.HALF_OPEN, now, probe=tx.pk)
        return None
    if breaker.probe_transaction_id == tx.pk:
        return None
    if breaker.changed_at + timedelta(seconds=settings.SYNC_LEASE_SECONDS) <= now:
        _change(breaker, BreakerState.HALF_OPEN, now, probe=tx.pk)  # the probe was lost
        return None
    return f"held back by the breaker of {breaker.label}: half-open, one probe in flight"


def _take_slot(breaker: Breaker, tx, now) -> bool:
    """One read of the slots and the queue, then at most one write (the hot path of a claim).

    A slot already held by ``tx`` (reserved for it by a wake, or its own from
    an attempt whose lease ran out) is renewed. Otherwise ``tx`` waits behind
    older waiters (unless it is the half-open probe) or while the live slots
    fill the cap, or takes the lowest free slot.
    """
    lease_until = connection.ops.adapt_datetimefield_value(
        now + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    )
    at = connection.ops.adapt_datetimefield_value(now)
    # Only a waiting row has a waiter row, which marks its place; others queue behind all.
    place = tx.pk if tx.state == TransactionState.WAITING else None
    mine, live, free, queued_ahead = _sql(
        "SELECT (SELECT MIN(id) FROM audit_gateslot WHERE breaker_id = %s AND holder_id = %s), "
        "(SELECT COUNT(*) FROM audit_gateslot WHERE breaker_id = %s AND holder_id IS NOT NULL "
        "AND lease_until > %s), "
        "(SELECT id FROM audit_gateslot WHERE breaker_id = %s AND number <= %s "
        "AND (holder_id IS NULL OR lease_until <= %s) ORDER BY number LIMIT 1), "
        "(SELECT COUNT(*) FROM audit_gatewaiter WHERE breaker_id = %s AND id < COALESCE("
        "(SELECT id FROM audit_gatewaiter WHERE transaction_id = %s), %s))",
        [
            breaker.pk,
            tx.pk,
            breaker.pk,
            at,
            breaker.pk,
            breaker.slot_count,
            at,
            breaker.pk,
            place,
            2**62,
        ],
    )[0]
    if mine is not None:
        _sql(
            "UPDATE audit_gateslot SET lease_until = %s WHERE breaker_id = %s AND holder_id = %s",
            [lease_until, breaker.pk, tx.pk],
        )
        return True
    if breaker.state != BreakerState.HALF_OPEN and queued_ahead:
        return False
    if live >= breaker.slot_count or free is None:
        return False
    _sql(
        "UPDATE audit_gateslot SET holder_id = %s, lease_until = %s WHERE id = %s",
        [tx.pk, lease_until, free],
    )
    return True


def _live_slots(breaker: Breaker, now):
    return GateSlot.objects.filter(breaker=breaker, holder_id__isnull=False, lease_until__gt=now)


def _free_slots(breaker: Breaker, now):
    return (
        GateSlot.objects.filter(breaker=breaker, number__lte=breaker.slot_count)
        .filter(Q(holder_id__isnull=True) | Q(lease_until__lte=now))
        .order_by("number")
    )


def _record(breaker: Breaker, gate: Gate, tx, now, *, transient: bool, error: str) -> None:
    if not transient:
        if breaker.state == BreakerState.CLOSED and not breaker.consecutive_failures:
            return  # the common case at peak: nothing to write
        breaker.consecutive_failures, breaker.window_started_at = 0, None
        if breaker.state != BreakerState.CLOSED:
            _change(breaker, BreakerState.CLOSED, now)
        breaker.save()
        return
    breaker.last_error = error[:300]
    if breaker.state == BreakerState.HALF_OPEN and breaker.probe_transaction_id == tx.pk:
        _change(breaker, BreakerState.OPEN, now)
    elif breaker.state == BreakerState.CLOSED:
        window = timedelta(seconds=gate.window_seconds)
        if breaker.window_started_at is None or now - breaker.window_started_at > window:
            breaker.consecutive_failures, breaker.window_started_at = 0, now
        breaker.consecutive_failures += 1
        if breaker.consecutive_failures >= gate.failures_to_open:
            _change(breaker, BreakerState.OPEN, now)
    breaker.save()


def _change(breaker: Breaker, state: str, now, *, probe: int | None = None) -> None:
    logger.warning(
        "breaker of %s: %s -> %s%s",
        breaker.label,
        breaker.state,
        state,
        f" (probe: transaction {probe})" if probe else "",
    )
    breaker.state, breaker.changed_at, breaker.probe_transaction_id = state, now, probe
    if state == BreakerState.OPEN:
        breaker.opened_at = now
    breaker.save()


def _wake(breaker: Breaker, gate: Gate | None, now) -> int:
    """Hand free slots to the oldest waiters (or send the probe) and publish them after commit."""
    waiters = GateWaiter.objects.filter(breaker=breaker).order_by("pk")
    if breaker.state == BreakerState.HALF_OPEN:
        return 0  # the probe decides; a lost probe is replaced by _breaker_holds_back
    if breaker.state == BreakerState.OPEN:
        first = waiters.first()
        gate = gate or (registry.kind(first.kind).gate if first else None)
        if first is None or gate is None:
            return 0
        if now < breaker.opened_at + timedelta(seconds=gate.cool_down_seconds):
            return 0
        _change(breaker, BreakerState.HALF_OPEN, now, probe=first.transaction_id)
        return _reserve(breaker, [first], now)
    if not _has_waiters(breaker):
        return 0  # the common case: nobody to wake
    room = breaker.slot_count - _live_slots(breaker, now).count()
    if room <= 0:
        return 0
    holders = _live_slots(breaker, now).values_list("holder_id", flat=True)
    return _reserve(breaker, list(waiters.exclude(transaction_id__in=holders)[:room]), now)


def _reserve(breaker: Breaker, waiters: list[GateWaiter], now) -> int:
    lease_until = now + timedelta(seconds=settings.SYNC_PUBLISH_GRACE_SECONDS)
    # A waiter whose earlier reservation ran out keeps no second slot.
    GateSlot.objects.filter(
        breaker=breaker, holder_id__in=[w.transaction_id for w in waiters]
    ).update(holder_id=None, lease_until=None)
    slots = list(_free_slots(breaker, now)[: len(waiters)])
    for waiter, slot in zip(waiters, slots, strict=False):
        slot.holder_id, slot.lease_until = waiter.transaction_id, lease_until
        slot.save(update_fields=["holder_id", "lease_until"])
        enqueue_on_commit(waiter.kind, waiter.transaction_id)
    return min(len(waiters), len(slots))


# --- plain SQL on the hot path ------------------------------------------------------
# Every posting takes a slot and gives it back: through the ORM these few
# statements cost more CPU to build than PostgreSQL spends running them
# (bench/erp_posting.py). Plain SQL that PostgreSQL and SQLite both accept.

_BREAKER_FIELDS = Breaker._meta.concrete_fields
_BREAKER_SELECT = (
    f"SELECT {', '.join(field.column for field in _BREAKER_FIELDS)} "  # noqa: S608 - our names
    f"FROM {Breaker._meta.db_table} WHERE "
)


_BREAKER_BUMP = (
    f"UPDATE {Breaker._meta.db_table} SET version = version + 1 WHERE {{}} "  # noqa: S608
    f"RETURNING {', '.join(field.column for field in _BREAKER_FIELDS)}"
)


def _sql(sql: str, params: list) -> list[tuple]:
    """Run one statement (prepared on the server on PostgreSQL); its rows (none for a write)."""
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        return cursor.fetchall() if cursor.description else []


def _fetch_breaker(condition: str, params: list, *, skip_locked: bool = False) -> Breaker | None:
    """The breaker matching ``condition``, locked until the end of the transaction.

    On PostgreSQL the lock is an UPDATE that raises its ``version``: whoever
    goes the general way tells the one-statement paths that the slots or the
    queue may have changed since their snapshot. ``skip_locked``: None when
    another transaction holds it (PostgreSQL; SQLite has one writer anyway).
    """
    if connection.vendor == "postgresql":
        if skip_locked:
            condition = (
                f"id = (SELECT id FROM audit_breaker WHERE {condition} FOR UPDATE SKIP LOCKED)"  # noqa: S608 - our conditions
            )
        rows = _sql(_BREAKER_BUMP.format(condition), params)
    else:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        rows = _sql(_BREAKER_SELECT + condition + lock, params)
    if not rows:
        return None
    values = [_aware(value) if isinstance(value, datetime) else value for value in rows[0]]
    return Breaker.from_db(connection.alias, [f.attname for f in _BREAKER_FIELDS], values)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; the ORM would make them aware.
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def _has_waiters(breaker: Breaker) -> bool:
    return bool(_sql("SELECT 1 FROM audit_gatewaiter WHERE breaker_id = %s LIMIT 1", [breaker.pk]))


# --- one statement for the common admission and release (PostgreSQL) ----------------

_ADMIT_AT_ONCE = """
WITH breaker AS (
    SELECT id, version FROM audit_breaker
    WHERE key = %s AND state = 'closed' AND slot_count = %s AND label = %s
    FOR UPDATE
), settled AS (
    SELECT breaker.id FROM breaker
    WHERE breaker.version = (SELECT version FROM audit_breaker WHERE key = %s)
    AND NOT EXISTS (SELECT 1 FROM audit_gatewaiter WHERE breaker_id = breaker.id)
    AND NOT EXISTS (
        SELECT 1 FROM audit_gateslot WHERE breaker_id = breaker.id AND holder_id = %s
    )
    AND (
        SELECT COUNT(*) FROM audit_gateslot WHERE breaker_id = breaker.id
        AND holder_id IS NOT NULL AND lease_until > %s
    ) < %s
), free AS (
    SELECT id FROM audit_gateslot
    WHERE breaker_id = (SELECT id FROM settled) AND number <= %s
    AND (holder_id IS NULL OR lease_until <= %s)
    ORDER BY number LIMIT 1
    FOR UPDATE
), taken AS (
    UPDATE audit_gateslot SET holder_id = %s, lease_until = %s
    WHERE id = (SELECT id FROM free)
    RETURNING id
), {start}
SELECT EXISTS (SELECT 1 FROM taken), EXISTS (SELECT 1 FROM breaker){started}
"""


def _admit_at_once(target: GateTarget, tx, now, start: Rider) -> bool:
    """PostgreSQL: take the lowest free slot in one statement while nothing else is going on.

    True when ``tx`` holds a slot. False when the breaker is not closed (or
    not created yet, or its cap or label changed), someone waits, ``tx``
    holds a slot already, the cap is full, or another worker went the
    general way since the statement's snapshot: the general path then
    decides, under the breaker lock this statement may already hold.
    """
    lease_until = now + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    capacity, key = target.capacity, target.key
    sql = _ADMIT_AT_ONCE.format(start=start.ctes, started=start.select)
    params = [key, capacity, target.label, key, tx.pk, now, capacity, capacity, now]
    params += [tx.pk, lease_until, *start.params]
    ((taken, locked, started),) = _sql(sql, params)
    if taken or not locked:
        return _started(start, started) if taken else False
    # The breaker was closed and is now locked by us, but the statement read its
    # version, queue and slots in a snapshot older than its wait for the lock:
    # when anyone went the general way meanwhile (raising the version) it
    # trusted nothing. Going the general way too raised the version again for
    # every admission queued behind it (with 16 threads, most were). Holding the
    # lock, the same statement sees everything committed before it; only what
    # still holds ``tx`` back goes the general way.
    ((taken, _, started),) = _sql(sql, params)
    return _started(start, started) if taken else False


def _started(start: Rider, started: int | None) -> bool:
    if not start.landed(started):  # the claim holds the row's lock: it cannot be gone
        raise DatabaseError("the attempt's start wrote nothing: its transaction row is gone")
    return True


_RELEASE_AT_ONCE = """
WITH {releasing} AS (SELECT 1), breaker AS (
    SELECT id, version FROM audit_breaker
    WHERE id = (SELECT breaker_id FROM audit_gateslot WHERE holder_id = %s LIMIT 1)
    AND state = 'closed' AND consecutive_failures = 0
    FOR UPDATE
), freed AS (
    UPDATE audit_gateslot SET holder_id = NULL, lease_until = NULL
    WHERE holder_id = %s AND breaker_id = (
        SELECT breaker.id FROM breaker
        WHERE breaker.version = (SELECT version FROM audit_breaker WHERE id = breaker.id)
        AND NOT EXISTS (SELECT 1 FROM audit_gatewaiter WHERE breaker_id = breaker.id)
    )
    RETURNING id
){transition}
SELECT EXISTS (SELECT 1 FROM freed), EXISTS (SELECT 1 FROM audit_gateslot WHERE holder_id = %s),
    EXISTS (SELECT 1 FROM breaker){landed}
"""
_RELEASE_ALONE = _RELEASE_AT_ONCE.format(releasing=RELEASING, transition="", landed="")


def _release_at_once(tx, transition: Rider | None = None) -> bool | None:
    """PostgreSQL: free ``tx``'s slot in one statement when its breaker has nothing to learn.

    True: freed (breaker closed with no failures counted, nobody waiting,
    nobody went the general way since the snapshot). False: ``tx`` held no
    slot. None: the general path must run. ``transition`` is written in the
    first statement in every case.
    """
    params = [tx.pk, tx.pk, tx.pk]
    if transition is None:
        ((freed, held, locked),) = _sql(_RELEASE_ALONE, params)
    else:
        sql = _RELEASE_AT_ONCE.format(
            releasing=RELEASING, transition=f", {transition.ctes}", landed=transition.select
        )
        # its CTEs come after the release's and before the final SELECT's parameter
        ((freed, held, locked, inserted),) = _sql(sql, [tx.pk, tx.pk, *transition.params, tx.pk])
        if not transition.landed(inserted):  # the outcome holds the row's lock: never
            raise DatabaseError("the outcome's transition wrote nothing: its row is gone")
    if held and locked and not freed:
        # As in _admit_at_once: holding the lock now, the same statement sees what
        # was committed while it waited. Going the general way on a stale snapshot
        # raised the version for every release and admission queued behind it, which
        # then went the general way too: one general path per posting (make bench).
        ((freed, held, _),) = _sql(_RELEASE_ALONE, params)
    if freed:
        return True
    return None if held else False
