"""The transaction (the job and its record) and its append-only event history.

A ``SyncTransaction`` row is the unit of work: the broker carries only its id.
State changes happen only through the transition methods below; each stamps
its time and appends a ``TransactionEvent`` in the same database transaction.
A kind with a gate may also go ``received``/``retrying`` -> ``waiting`` (held
back by the in-flight cap or the breaker, no attempt spent) -> ``processing``.
"""

import dataclasses
import random
import uuid
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from syncplatform.core.prepared import Rider, insert_row, ride, save_fields, save_fields_and_insert

from . import registry
from .choices import (
    RUNNABLE_STATES,
    TERMINAL_STATES,
    EventKind,
    TransactionState,
)


class InvalidTransition(Exception):
    pass


class RetryPolicy(models.Model):
    """How often and how late a kind of transaction is retried after transient errors.

    ``delays_seconds[n]`` is the wait after the (n+1)-th failed attempt; the last
    delay repeats. Each delay is spread by ±``jitter_ratio`` so a partner coming
    back from an outage is not hit by every retry in the same second.
    """

    # A declared kind's code (see registry); no ``choices=``, so a new kind needs no migration.
    kind = models.CharField(max_length=40, unique=True)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    delays_seconds = models.JSONField(default=list)
    jitter_ratio = models.FloatField(default=0.2)

    class Meta:
        verbose_name_plural = "retry policies"

    def __str__(self):
        return f"{self.kind}: {self.max_attempts} attempts"

    def clean(self):
        delays = self.delays_seconds
        if not delays or not all(isinstance(d, int | float) and d >= 0 for d in delays):
            raise ValidationError({"delays_seconds": "a non-empty list of seconds >= 0"})
        if not 0 <= self.jitter_ratio <= 1:
            raise ValidationError({"jitter_ratio": "between 0 and 1"})

    def delay_after(self, attempt: int) -> timedelta:
        base = float(self.delays_seconds[min(attempt, len(self.delays_seconds)) - 1])
        spread = base * self.jitter_ratio
        return timedelta(seconds=max(0.0, base + random.uniform(-spread, spread)))

    @classmethod
    def for_kind(cls, kind: str) -> "RetryPolicy":
        """The edited row, else the kind's declared defaults (a row is made at migrate)."""
        return cls.objects.filter(kind=kind).first() or cls.declared_for(kind)

    @classmethod
    def declared_for(cls, kind: str) -> "RetryPolicy":
        defaults = registry.kind(kind).retry
        return cls(
            kind=kind,
            max_attempts=defaults.max_attempts,
            delays_seconds=list(defaults.delays_seconds),
            jitter_ratio=defaults.jitter_ratio,
        )


class SyncTransactionQuerySet(models.QuerySet):
    def about(self, subject: models.Model) -> "SyncTransactionQuerySet":
        """The transactions whose subject is ``subject`` (an order, a file, a run)."""
        return self.filter(
            kind__in=registry.kinds_about(subject._meta.label), subject_id=subject.pk
        )

    def bring_forward(self, reason: str) -> int:
        """Make the ``retrying`` rows among these due now, each with a note saying why.

        For work that only waited for a partner to be reachable again: its backoff
        (minutes, by then) would otherwise hold it back long after the partner is
        back. Attempts are not touched; the sweeper publishes the rows. Returns
        how many were brought forward.
        """
        now = timezone.now()
        with transaction.atomic():
            rows = list(
                self.select_for_update(skip_locked=True)
                .filter(state=TransactionState.RETRYING, next_attempt_at__gt=now)
                .values_list("pk", "attempts")
            )
            if not rows:
                return 0
            SyncTransaction.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                next_attempt_at=now, updated_at=now
            )
            TransactionEvent.objects.bulk_create(
                TransactionEvent(
                    transaction_id=pk,
                    kind=EventKind.NOTE,
                    from_state=TransactionState.RETRYING,
                    to_state=TransactionState.RETRYING,
                    attempt=attempts,
                    message=f"next attempt brought forward: {reason}",
                )
                for pk, attempts in rows
            )
        return len(rows)


class SyncTransaction(models.Model):
    """One message that crossed (or will cross) the boundary, and the job that carries it.

    Its subject (the order, file or run it carries) is ``subject_id`` of the
    model its kind declares; ``subject`` loads it and ``objects.about(row)``
    finds a row's transactions, so no app needs a foreign key of its own.
    """

    kind = models.CharField(max_length=40, help_text="A declared transaction kind's code.")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    business_key = models.CharField(max_length=120, help_text="Order number, file name, run id.")
    correlation_id = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=255, blank=True)
    state = models.CharField(
        max_length=20,
        choices=TransactionState.choices,
        default=TransactionState.RECEIVED,
        editable=False,
    )
    attempts = models.PositiveIntegerField(default=0, editable=False)
    attempts_before_replay = models.PositiveIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error_code = models.CharField(max_length=60, blank=True, editable=False)
    last_error_message = models.TextField(blank=True, editable=False)
    # The business row this transaction carries; its model is the kind's declared
    # subject (an ``erp.order.post`` carries an order).
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SyncTransactionQuerySet.as_manager()

    class Meta:
        verbose_name = "transaction"
        ordering = ["-id"]
        permissions = [("operate_synctransaction", "Can retry and resolve transactions")]
        # Each index costs every insert on the intake path and, as every transition
        # changes the state, every transition too: only these are searched. The due
        # index serves the sweeper and the state filter of the admin. Declared here,
        # not with db_index=True, which on PostgreSQL adds a second "_like" index to
        # each text column for LIKE prefixes nobody searches (the admin matches exactly).
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="tx_due_idx"),
            models.Index(fields=["kind", "subject_id"], name="tx_subject_idx"),
            models.Index(fields=["business_key"], name="tx_business_key_idx"),
            models.Index(fields=["correlation_id"], name="tx_correlation_idx"),
            models.Index(fields=["idempotency_key"], name="tx_idempotency_key_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.business_key} [{self.state}]"

    # --- queries -------------------------------------------------------------
    @property
    def subject_model(self) -> type[models.Model] | None:
        try:
            return apps.get_model(registry.kind(self.kind).subject)
        except registry.UnknownKind:
            return None

    @property
    def subject(self) -> models.Model | None:
        """The row this transaction carries, or None (no subject, or it is gone)."""
        model = self.subject_model
        if model is None or self.subject_id is None:
            return None
        return model._default_manager.filter(pk=self.subject_id).first()

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def attempts_since_replay(self) -> int:
        return self.attempts - self.attempts_before_replay

    def is_claimable(self, now=None) -> bool:
        """Runnable, or processing under a lease that has run out (its worker is gone)."""
        return self.state in RUNNABLE_STATES or self.lease_expired(now)

    def lease_expired(self, now=None) -> bool:
        now = now or timezone.now()
        return self.state == TransactionState.PROCESSING and (
            self.lease_until is None or self.lease_until <= now
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if len(values) == len(cls._meta.concrete_fields):
            instance._as_loaded = dict(zip(field_names, values, strict=True))
        return instance

    def _save_changes(self, event: "TransactionEvent | None" = None) -> None:
        """Save the fields changed since the row was loaded (all of them if it was not).

        A transition changes three to six of the 17 columns. The UPDATE of
        those is built once per field set (``core.prepared.save_fields``): the
        ORM building it on every transition was a fifth of a posting's CPU.
        ``event``, the transition's, is inserted with it (one round trip less
        on PostgreSQL, where the posting's claim and outcome each make one).
        """
        if getattr(self, "_as_loaded", None) is None:
            self.save()
            if event is not None:
                insert_row(event, using=self._state.db)
            return
        changed = self._changed_since_loaded()
        if event is None:
            save_fields(self, [*changed, "updated_at"])
        else:  # with its event, in one statement on PostgreSQL
            save_fields_and_insert(self, [*changed, "updated_at"], event)
        self._mark_loaded(changed)

    def _ride_changes(self, event: "TransactionEvent", when: str) -> Rider:
        """``_save_changes(event)`` riding in another statement (``core.prepared.ride``)."""
        changed = self._changed_since_loaded()  # the claim loads the whole row
        rider = ride(self, [*changed, "updated_at"], event, when=when)

        def landed(inserted: int | None) -> bool:
            if not rider.landed(inserted):
                return False
            self._mark_loaded(changed)
            return True

        return dataclasses.replace(rider, landed=landed)

    def _changed_since_loaded(self) -> list[str]:
        return [name for name, value in self._as_loaded.items() if getattr(self, name) != value]

    def _mark_loaded(self, names: list[str]) -> None:
        for name in names:
            self._as_loaded[name] = getattr(self, name)

    # --- transitions ---------------------------------------------------------
    def _move(
        self, to_state, event_kind, message="", *, actor=None, ride_when=None, **event_fields
    ):
        from_state = self.state
        self.state = to_state
        event = TransactionEvent(
            transaction=self,
            kind=event_kind,
            from_state=from_state,
            to_state=to_state,
            attempt=self.attempts,
            actor=actor,
            message=message,
            **event_fields,
        )
        if ride_when is not None:
            return self._ride_changes(event, ride_when)
        self._save_changes(event)
        return event

    def _add_event(self, **fields) -> "TransactionEvent":
        # Its INSERT built once (core.prepared): every transition of every row adds one.
        return insert_row(TransactionEvent(transaction=self, **fields), using=self._state.db)

    def record_received(self, message: str, *, excerpt: str = ""):
        """First event of a new transaction; the row must be saved already."""
        return self._add_event(
            kind=EventKind.RECEIVED, to_state=self.state, message=message, excerpt=excerpt
        )

    def skip(self, message: str):
        """Close a received transaction that needs no processing (a duplicate file)."""
        self._require(TransactionState.RECEIVED)
        self.finished_at = timezone.now()
        self.next_attempt_at = None
        return self._move(TransactionState.SUCCEEDED, EventKind.SKIPPED, message)

    def hold(self, message: str):
        """Park a runnable row in ``waiting`` without spending an attempt (its kind's gate).

        A row already waiting stays so without a second event; the gate that held
        it back publishes it again when a slot is its turn (``audit.gates``).
        """
        if self.state == TransactionState.WAITING:
            return None
        if not self.is_claimable():
            raise InvalidTransition(f"cannot hold back a transaction that is {self.state}")
        if self.state == TransactionState.PROCESSING:
            self._record_lease_expired()
        self.next_attempt_at = None
        self._end_lease()
        return self._move(TransactionState.WAITING, EventKind.HELD, message)

    def start_attempt(self, lease_seconds: int, *, ride_when: str | None = None):
        """Claim the row for one attempt; the lease lets the sweeper recover a lost worker.

        ``ride_when``: the instance changes now, but the row only within
        another statement, when its CTE of that name returns a row; the
        ``Rider`` is returned (``core.prepared.ride``; PostgreSQL, a runnable
        row as the claim loaded it). The event otherwise.
        """
        now = timezone.now()
        if ride_when is not None and self.state not in RUNNABLE_STATES:
            raise InvalidTransition(f"only a runnable row's start rides; this one is {self.state}")
        if self.state == TransactionState.PROCESSING:
            if not self.lease_expired(now):
                raise InvalidTransition(f"transaction {self.pk} is leased until {self.lease_until}")
            self._record_lease_expired()
        elif self.state not in RUNNABLE_STATES:
            raise InvalidTransition(f"cannot start an attempt from {self.state}")
        self.attempts += 1
        self.lease_token = uuid.uuid4()
        self.lease_until = now + timedelta(seconds=lease_seconds)
        self.next_attempt_at = None
        return self._move(
            TransactionState.PROCESSING, EventKind.ATTEMPT_STARTED, ride_when=ride_when
        )

    def _record_lease_expired(self):
        # Whoever takes the row over from a lost worker says so, whether it
        # starts the next attempt or its gate holds it back first.
        self._add_event(
            kind=EventKind.LEASE_EXPIRED,
            from_state=self.state,
            to_state=self.state,
            attempt=self.attempts,
            message="the worker holding the lease stopped answering",
        )

    def succeed(
        self,
        message: str,
        *,
        duration_ms: int | None = None,
        excerpt: str = "",
        ride_when: str | None = None,
    ):
        """End the attempt in success; ``ride_when`` as for ``start_attempt`` (the release's)."""
        self._require(TransactionState.PROCESSING)
        self._end_lease()
        self.finished_at = timezone.now()
        self.last_error_code = self.last_error_message = ""
        return self._move(
            TransactionState.SUCCEEDED,
            EventKind.ATTEMPT_SUCCEEDED,
            message,
            ride_when=ride_when,
            duration_ms=duration_ms,
            excerpt=excerpt,
        )

    def schedule_retry(
        self,
        code: str,
        message: str,
        *,
        delay: timedelta,
        duration_ms: int | None = None,
        excerpt: str = "",
    ):
        self._require(TransactionState.PROCESSING)
        self._end_lease()
        self.last_error_code, self.last_error_message = code, message
        self.next_attempt_at = timezone.now() + delay
        self._add_event(
            kind=EventKind.ATTEMPT_FAILED,
            from_state=self.state,
            to_state=TransactionState.RETRYING,
            attempt=self.attempts,
            message=f"{code}: {message}",
            duration_ms=duration_ms,
            excerpt=excerpt,
        )
        return self._move(
            TransactionState.RETRYING,
            EventKind.RETRY_SCHEDULED,
            f"next attempt in {delay.total_seconds():.0f}s",
        )

    def fail(self, code: str, message: str, *, duration_ms: int | None = None, excerpt: str = ""):
        """Stop and wait for a person: mapping missing, partner refused, retries exhausted."""
        self._require(TransactionState.PROCESSING)
        self._end_lease()
        self.finished_at = timezone.now()
        self.last_error_code, self.last_error_message = code, message
        return self._move(
            TransactionState.FAILED,
            EventKind.FAILED,
            f"{code}: {message}",
            duration_ms=duration_ms,
            excerpt=excerpt,
        )

    def replay(self, actor, reason: str = ""):
        """An operator sends a failed transaction round again with a fresh retry budget."""
        self._require(TransactionState.FAILED)
        self.attempts_before_replay = self.attempts
        self.finished_at = None
        self.next_attempt_at = timezone.now() + timedelta(
            seconds=settings.SYNC_PUBLISH_GRACE_SECONDS
        )
        return self._move(
            TransactionState.RECEIVED, EventKind.REPLAYED, reason or "retry now", actor=actor
        )

    def resolve(self, actor, reason: str):
        """An operator closes a failed transaction without processing it, saying why."""
        self._require(TransactionState.FAILED)
        if not reason.strip():
            raise InvalidTransition("resolving needs a reason")
        self.finished_at = timezone.now()
        return self._move(TransactionState.RESOLVED, EventKind.RESOLVED, reason, actor=actor)

    def _require(self, state):
        if self.state != state:
            raise InvalidTransition(f"transaction {self.pk} is {self.state}, not {state}")

    def _end_lease(self):
        self.lease_until = None
        self.lease_token = None


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise InvalidTransition("transaction events are append-only")

    def delete(self):
        raise InvalidTransition("transaction events are append-only")


class TransactionEvent(models.Model):
    """Append-only history of a transaction: transitions, attempts, operator actions.

    Refused at three levels: this model, the admin (read-only) and database
    triggers (see the migration) that abort any UPDATE or DELETE.
    """

    transaction = models.ForeignKey(
        SyncTransaction, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # Unindexed: events are read per transaction, never looked up by who acted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    message = models.TextField(blank=True)
    excerpt = models.TextField(blank=True, help_text="Redacted request/response excerpt.")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise InvalidTransition("transaction events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InvalidTransition("transaction events are append-only")


# The gates' rows (in-flight slots, waiters, breakers) live in their own module.
from .gate_models import Breaker, GateSlot, GateWaiter  # noqa: E402, F401
