"""What the dashboard shows, read cheaply enough to redraw every few seconds.

Counts of open work come from the state index of the transaction table
(``tx_due_idx``; failed and retrying rows are few); trends come from the hourly
rollup tables (``KindHour``, ``ShipmentHour``); nothing scans the transaction
table. tests/console/test_console_dashboard_explain.py holds it to that.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from syncplatform.audit import registry
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.gate_models import Breaker
from syncplatform.audit.models import SyncTransaction
from syncplatform.core.env import env_int
from syncplatform.fulfillment.choices import EDI_997_OVERDUE

from .broker import queue_depths

# The orders app's posting kind (declared in syncplatform/orders/models.py); the
# console reads orders only through transactions and orders.reads.
ORDER_POSTING = "erp.order.post"
OPEN_STATES = (
    TransactionState.RECEIVED,
    TransactionState.PROCESSING,
    TransactionState.RETRYING,
    TransactionState.FAILED,
)


def refresh_seconds() -> int:
    """``SYNC_CONSOLE_REFRESH_SECONDS``: how often an open dashboard redraws itself (30)."""
    return getattr(settings, "SYNC_CONSOLE_REFRESH_SECONDS", None) or env_int(
        "SYNC_CONSOLE_REFRESH_SECONDS", 30
    )


@dataclass(frozen=True)
class KindErrorCount:
    kind: str
    code: str
    state: str
    count: int


@dataclass(frozen=True)
class ScheduleState:
    """One beat row: its declared job, last run, and the latest transaction of its kind."""

    name: str
    key: str
    is_enabled: bool
    every_seconds: int | None
    last_run_at: datetime | None
    run_count: int
    last_state: str = ""
    last_message: str = ""
    progress: str = ""


@dataclass(frozen=True)
class BreakerState:
    endpoint: str
    state: str  # as an operator reads it: "Open (holding postings back)"
    code: str  # closed, open, half_open

    @property
    def is_closed(self) -> bool:
        return self.code == "closed"


@dataclass(frozen=True)
class RunningWork:
    transaction_id: int
    kind: str
    business_key: str
    attempt_started: datetime
    progress: str


@dataclass
class Tiles:
    failing: list[KindErrorCount] = field(default_factory=list)
    oldest_failure_at: datetime | None = None
    orders_not_posted: int = 0
    overdue_997s: int = 0
    queue_depths: dict[str, int | None] = field(default_factory=dict)
    schedules: list[ScheduleState] = field(default_factory=list)
    running: list[RunningWork] = field(default_factory=list)
    breakers: list[BreakerState] = field(default_factory=list)

    @property
    def failed_total(self) -> int:
        return sum(c.count for c in self.failing if c.state == TransactionState.FAILED)

    @property
    def retrying_total(self) -> int:
        return sum(c.count for c in self.failing if c.state == TransactionState.RETRYING)

    def oldest_failure_age(self, now: datetime | None = None) -> timedelta | None:
        if self.oldest_failure_at is None:
            return None
        return (now or timezone.now()) - self.oldest_failure_at


def read_tiles() -> Tiles:
    return Tiles(
        failing=failing_work(),
        oldest_failure_at=oldest_failure_at(),
        orders_not_posted=orders_not_posted(),
        overdue_997s=overdue_997s(),
        queue_depths=queue_depths(),
        schedules=schedule_states(),
        running=running_work(),
        breakers=breaker_states(),
    )


def failing_work() -> list[KindErrorCount]:
    """Failed and retrying transactions per kind and error code, the most first."""
    rows = (
        SyncTransaction.objects.filter(
            state__in=(TransactionState.FAILED, TransactionState.RETRYING)
        )
        .order_by()
        .values("state", "kind", "last_error_code")
        .annotate(count=Count("pk"))
    )
    counts = [KindErrorCount(r["kind"], r["last_error_code"], r["state"], r["count"]) for r in rows]
    return sorted(counts, key=lambda c: (c.state != TransactionState.FAILED, -c.count, c.kind))


def oldest_failure_at() -> datetime | None:
    return (
        SyncTransaction.objects.filter(state=TransactionState.FAILED)
        .order_by()
        .aggregate(at=Min("finished_at"))["at"]
    )


def orders_not_posted() -> int:
    """Orders received whose ERP posting has not succeeded (waiting, retrying or failed)."""
    return (
        SyncTransaction.objects.filter(state__in=OPEN_STATES, kind=ORDER_POSTING).order_by().count()
    )


def overdue_997s() -> int:
    """Files sent to a warehouse whose 997 is overdue and nobody has closed yet.

    Fulfillment flags each as a failed ``edi.997.overdue`` transaction when its
    due time passes; a 997 arriving later or an operator resolving it closes it.
    """
    return (
        SyncTransaction.objects.filter(state=TransactionState.FAILED, kind=EDI_997_OVERDUE)
        .order_by()
        .count()
    )


def schedule_states() -> list[ScheduleState]:
    """Every beat row that runs a declared job, with what its kind last did."""
    job_kinds = {k.schedule.key: k.code for k in registry.kinds() if k.schedule is not None}
    states = []
    beat_rows = PeriodicTask.objects.filter(task=RUN_SCHEDULED_JOB_TASK).select_related("interval")
    for row in beat_rows.order_by("name"):
        key, partner_id = _job_of(row.args)
        latest = None
        if key in job_kinds:
            latest = _latest_transaction(job_kinds[key], partner_id)
        states.append(
            ScheduleState(
                name=row.name,
                key=key,
                is_enabled=row.enabled,
                every_seconds=row.interval.every if row.interval else None,
                last_run_at=row.last_run_at,
                run_count=row.total_run_count,
                last_state=latest.state if latest else "",
                last_message=(latest.last_error_message if latest else "")[:200],
                progress=progress_of(latest) if latest else "",
            )
        )
    return states


def _job_of(args: str) -> tuple[str, int | None]:
    try:
        values = json.loads(args or "[]")
    except ValueError:
        return "", None
    key = values[0] if values else ""
    return key, values[1] if len(values) > 1 else None


def _latest_transaction(kind: str, partner_id: int | None) -> SyncTransaction | None:
    found = SyncTransaction.objects.filter(kind=kind)
    if partner_id is not None:
        found = found.filter(partner_id=partner_id)
    return found.order_by("-pk").first()


# (done, total) field pairs the apps' long jobs keep on the row their transaction
# carries: a catalog load's position, a report's rows, a publication's chunks.
PROGRESS_FIELDS = (
    ("rows_done", "rows_total"),
    ("chunks_done", "chunks_total"),
    ("position", "total"),
)


def progress_of(tx) -> str:
    """A job's progress, when the row its transaction carries tells one.

    Generic on purpose: the subject's ``progress`` (``(done, total)`` or a text), or
    one of ``PROGRESS_FIELDS``, so a long job (a catalog load, a reconciliation
    report) shows how far it got without the console knowing the job.
    """
    model = tx.subject_model
    names = {f.name for f in model._meta.get_fields()} if hasattr(model, "_meta") else set()
    pair = next((p for p in PROGRESS_FIELDS if set(p) <= names), None)
    if model is None or not (hasattr(model, "progress") or pair):
        return ""
    subject = tx.subject
    if subject is None:
        return ""
    progress = getattr(subject, "progress", None)
    if progress is None and pair:
        progress = (getattr(subject, pair[0]), getattr(subject, pair[1]))
    if isinstance(progress, tuple | list) and len(progress) == 2:
        done, total = progress
        return f"{done} of {total} ({100 * done // total}%)" if total else ""
    return str(progress) if progress else ""


def running_work(limit: int = 20) -> list[RunningWork]:
    """Transactions being processed now (few: one per busy worker), with their progress."""
    rows = SyncTransaction.objects.filter(state=TransactionState.PROCESSING).order_by("updated_at")[
        :limit
    ]
    return [
        RunningWork(tx.pk, tx.kind, tx.business_key, tx.updated_at, progress_of(tx)) for tx in rows
    ]


def breaker_states() -> list[BreakerState]:
    """Each gate target's circuit breaker (one per ERP endpoint), as the gates keep it."""
    return [
        BreakerState(row.label or row.key, row.get_state_display(), row.state)
        for row in Breaker.objects.order_by("key")
    ]
