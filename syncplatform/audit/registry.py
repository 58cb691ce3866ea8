"""The registries the platform grows by: transaction kinds and scheduled jobs.

Each app declares what it owns next to the code that does it, and nothing in
the middle lists them:

    ERP_ORDER_POST = "erp.order.post"

    @transaction_kind(ERP_ORDER_POST, description="ERP sales order posting",
                      lane=Lane.REALTIME, subject="orders.Order",
                      retry=RetryDefaults(10, (5, 15, 30, 60, 120, 300, 600, 1200, 1800)))
    def post_order_to_erp(tx: SyncTransaction) -> Outcome: ...

The runner finds a transaction's handler here (and its ``Gate``, if any: the
in-flight cap and circuit breaker it admits each attempt through, holding the
row ``waiting`` otherwise), the dispatcher its lane (the Celery queue),
``RetryPolicy.for_kind`` its default retry policy, the admin
its description and subject model, and ``ensure_schedules`` the beat rows of
every declared ``Schedule``. Declarations run when Django loads each app's
``kinds`` module (``AuditConfig.ready`` imports them all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from .runner import Outcome


class Lane(models.TextChoices):
    """The Celery queue work runs on: realtime never waits behind batch files."""

    REALTIME = "realtime", "Realtime"
    BATCH = "batch", "Batch"


@dataclass(frozen=True)
class RetryDefaults:
    """A kind's retry policy until operations edit it (Audit > Retry policies).

    ``delays_seconds[n]`` is the wait after the (n+1)-th failed attempt; the last repeats.
    """

    max_attempts: int
    delays_seconds: tuple[int, ...]
    jitter_ratio: float = 0.2


@dataclass(frozen=True)
class Schedule:
    """A job beat runs every ``every_seconds``: once, or once per partner of ``per_partner``.

    ``job(partner_id)`` (or ``job()`` when global) is called by
    ``run_scheduled_job_task`` on ``lane``. ``name`` is the beat row's name; it
    may use ``{partner}`` (the partner's code). Rows are created when missing
    and then belong to operations, who may change their interval or disable them.
    """

    key: str
    job: Callable[..., Any]
    every_seconds: int
    name: str
    lane: Lane = Lane.BATCH
    per_partner: str = ""  # a PartnerKind value, or "" for one global row
    description: str = ""


@dataclass(frozen=True)
class GateTarget:
    """The partner endpoint one transaction goes to, as its gate sees it."""

    key: str  # one breaker and one set of slots per key, e.g. "erp-endpoint:7"
    capacity: int  # the most transactions in flight to it at once (max_in_flight)
    label: str  # what an operator reads, e.g. "ERP endpoint of demo-erp"


@dataclass(frozen=True)
class Gate:
    """A shared in-flight cap and a circuit breaker in front of a kind's handler.

    ``target(tx)`` names the endpoint the transaction talks to (None: not gated).
    The runner consults the gate before each attempt (``audit.gates``): at most
    ``capacity`` transactions of a target are in flight across every worker; the
    rest wait in the database, first come first served. After
    ``failures_to_open`` consecutive transient failures within
    ``window_seconds`` the breaker opens and holds work back without spending
    attempts; after ``cool_down_seconds`` one probe goes through.
    """

    target: Callable[[Any], GateTarget | None]
    failures_to_open: int = 5
    window_seconds: int = 60
    cool_down_seconds: int = 30


@dataclass(frozen=True)
class TransactionKind:
    """One kind of work that crosses the boundary, as its owning app declared it."""

    code: str
    description: str
    handler: Callable[[Any], Outcome] = field(compare=False)
    lane: Lane
    subject: str  # "app_label.ModelName" of the row ``subject_id`` points at
    retry: RetryDefaults
    schedule: Schedule | None = None
    gate: Gate | None = None

    def __str__(self) -> str:
        return self.code


class UnknownKind(LookupError):
    pass


@dataclass(frozen=True)
class DocumentType:
    """A document type an app reads (and, when received, applies): an X12 set, an IDoc type.

    ``reader(raw)`` turns the connector's raw set/IDoc into a document (or
    raises the connector's document error); ``applier(received, document)``
    records it inside the file's final database transaction and must be
    idempotent; ``describe(document)`` is the line an operator reads in the admin.
    """

    document_type: str
    reader: Callable[[Any], Any]
    applier: Callable[[Any, Any], None] | None
    kind: str
    describe: Callable[[Any], str]
    group_id: str = ""  # X12 functional identifier (GS01) of the groups it comes in


class FileStandard:
    """The files of one standard an app exchanges (X12 with warehouses, IDocs with the ERP).

    It owns one handler for its files (``handler(tx)``, the file's transaction)
    and the document types declared against it. Declaring a document declares
    its transaction kind too, with the standard's handler, lane, subject and
    retry defaults::

        @X12_FILES.document("945", group_id="SW", kind="edi.945.in",
                            description="945 shipping advice from a warehouse",
                            reader=read_945, describe=describe_advice)
        def record_shipment(received, advice): ...
    """

    def __init__(self, name: str, *, lane: Lane, subject: str, retry: RetryDefaults):
        self.name, self.lane, self.subject, self.retry = name, lane, subject, retry
        self.handler: Callable[[Any], Outcome] | None = None
        self._documents: dict[str, DocumentType] = {}

    def file_handler(self, code: str, *, description: str):
        """Declare the decorated function as the handler of this standard's files.

        ``code`` is the kind of a file whose documents nobody declared (unreadable
        or unknown); each declared document's kind runs the same handler.
        """

        def declare(handler):
            self.handler = handler
            self._declare_kind(code, description)
            return handler

        return declare

    def document(
        self,
        document_type: str,
        *,
        kind: str,
        description: str,
        reader,
        describe,
        group_id: str = "",
    ):
        def declare(applier):
            self.register(DocumentType(document_type, reader, applier, kind, describe, group_id))
            self._declare_kind(kind, description)
            return applier

        return declare

    def register(self, document: DocumentType) -> DocumentType:
        self._documents[document.document_type] = document
        return document

    def unregister(self, document_type: str) -> None:
        document = self._documents.pop(document_type, None)
        if document is not None and document.applier is not None:
            unregister(document.kind)

    def _declare_kind(self, code: str, description: str) -> None:
        if self.handler is None:
            raise ValueError(f"declare {self.name}'s file handler before its documents")
        register_kind(
            TransactionKind(
                code=code,
                description=description,
                handler=self.handler,
                lane=self.lane,
                subject=self.subject,
                retry=self.retry,
            )
        )

    def get(self, document_type: str) -> DocumentType | None:
        return self._documents.get(document_type)

    def readers(self) -> dict[str, Callable[[Any], Any]]:
        return {t: d.reader for t, d in self._documents.items()}

    def kind_for_group(self, group_id: str) -> str | None:
        """The kind of a file whose first group is ``group_id`` (None: nobody declared it)."""
        for document in self._documents.values():
            if document.group_id and document.group_id == group_id and document.applier:
                return document.kind
        return None


_KINDS: dict[str, TransactionKind] = {}
_SCHEDULES: dict[str, Schedule] = {}


def transaction_kind(
    code: str,
    *,
    description: str,
    lane: Lane,
    subject: str,
    retry: RetryDefaults,
    schedule: Schedule | None = None,
    gate: Gate | None = None,
):
    """Declare the decorated function as the handler of transactions of ``code``."""

    def declare(handler):
        register_kind(
            TransactionKind(
                code=code,
                description=description,
                handler=handler,
                lane=lane,
                subject=subject,
                retry=retry,
                schedule=schedule,
                gate=gate,
            )
        )
        return handler

    return declare


def register_kind(kind: TransactionKind) -> TransactionKind:
    known = _KINDS.get(kind.code)
    if known is not None and known.handler is not kind.handler:
        raise ValueError(f"transaction kind {kind.code!r} is declared twice")
    _KINDS[kind.code] = kind
    if kind.schedule is not None:
        register_schedule(kind.schedule)
    return kind


def register_schedule(schedule: Schedule) -> Schedule:
    known = _SCHEDULES.get(schedule.key)
    if known is not None and known.job is not schedule.job:
        raise ValueError(f"scheduled job {schedule.key!r} is declared twice")
    _SCHEDULES[schedule.key] = schedule
    return schedule


def scheduled_job(key: str, *, every_seconds: int, name: str, **options):
    """Declare the decorated function as a scheduled job with no transaction kind of its own."""

    def declare(job):
        register_schedule(
            Schedule(key=key, job=job, every_seconds=every_seconds, name=name, **options)
        )
        return job

    return declare


def unregister(code_or_key: str) -> None:
    """Forget a declaration (tests that declare a toy kind clean up with this)."""
    kind = _KINDS.pop(code_or_key, None)
    if kind is not None and kind.schedule is not None:
        _SCHEDULES.pop(kind.schedule.key, None)
    _SCHEDULES.pop(code_or_key, None)


def kind(code: str) -> TransactionKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise UnknownKind(f"no transaction kind {code!r} is declared") from None


def kinds() -> list[TransactionKind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)


def kinds_about(subject: str) -> list[str]:
    """Codes of the kinds whose subject is ``subject`` ("app_label.ModelName")."""
    return [k.code for k in kinds() if k.subject == subject]


def schedule(key: str) -> Schedule:
    try:
        return _SCHEDULES[key]
    except KeyError:
        raise UnknownKind(f"no scheduled job {key!r} is declared") from None


def schedules() -> list[Schedule]:
    return sorted(_SCHEDULES.values(), key=lambda s: s.key)
