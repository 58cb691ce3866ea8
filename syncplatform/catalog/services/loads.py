"""Catalog loads: a file stored once, loaded in chunks that are each a task and a checkpoint.

    queue_load(source, read, file_name=..., origin=...)   # store, plan, record, queue
      -> load_catalog_chunk_task(load_id)                  # one chunk, then queues the next
      -> ... last chunk: the load's transaction is published and ends with the summary

A chunk (``load_next_chunk``) claims the load row, reads its IDocs from the
stored file (``files.open_chunk``: no re-reading of what came before; a MATMAS05
chunk elides the materials whose bytes are unchanged, ``unchanged``), writes
what changed (``materials`` / ``prices``), records refused rows, counts and
the checkpoint (``next_chunk``), all in one database transaction, and queues
the next chunk after the commit. The row lock held by that transaction is
the chunk's lease: a SIGKILLed worker's connection drops, PostgreSQL rolls
the chunk back and frees the row, and the redelivered task (``acks_late``,
``reject_on_worker_lost``) or the resumer (``resume_stalled_loads``) does the
chunk again from the last checkpoint. Loads of one source never overlap: a
source's loads run one after the other in arrival order, and a chunk holds
the source's advisory lock (``core.locks.try_exclusive``).

A file whose sha256 the source already loaded (or is loading) is recorded as
a duplicate and not loaded. A file that is not well-formed, declares a DTD
or has a broken package fails its load naming line and column; chunks before
the broken one stay committed (they were sound), and nothing after it is read.
"""

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.errors import TransientError
from connectors.idoc.errors import IdocError
from syncplatform.audit.dispatch import enqueue_on_commit
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, scheduled_job, transaction_kind
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import open_transaction
from syncplatform.celery import app as celery_app
from syncplatform.core.locks import try_exclusive

from .. import conf
from ..choices import (
    CATALOG_LOAD,
    CATALOG_RESUME,
    UNFINISHED_LOAD_STATUSES,
    LoadStatus,
    SourceKind,
)
from ..models import CatalogLoad, CatalogSource, RefusedRow
from .chunks import ChunkCounts
from .files import store_file, store_path
from .materials import is_material_chunk_current, read_material_chunk, write_materials
from .prices import read_price_chunk, write_prices
from .read_ahead import ReadAhead

logger = logging.getLogger(__name__)

LOAD_CHUNK_TASK = "syncplatform.catalog.tasks.load_catalog_chunk_task"

# IDoc type -> (chunk reader, chunk writer, whether a chunk read earlier still reads
# the same); the reader returns the chunk, its place and what the writer needs from the
# reading (the known units, for materials)
DOCUMENTS = {
    SourceKind.MATMAS05: (read_material_chunk, write_materials, is_material_chunk_current),
    SourceKind.COND_A04: (read_price_chunk, write_prices, lambda chunk, context: True),
}


@dataclass(frozen=True)
class LoadSummary:
    """How a load ended, for the command, the benchmark and tests."""

    load_id: int
    status: str
    read: int
    added: int
    changed: int
    unchanged: int
    deleted: int
    refused: int
    listings_changed: int
    error: str = ""

    @classmethod
    def of(cls, load: CatalogLoad) -> "LoadSummary":
        return cls(
            load.pk,
            load.status,
            load.read_count,
            load.added_count,
            load.changed_count,
            load.unchanged_count,
            load.deleted_count,
            load.refused_count,
            load.listings_changed_count,
            load.error_message,
        )

    def __str__(self) -> str:
        text = (
            f"load #{self.load_id} {self.status}: read {self.read}, added {self.added}, "
            f"changed {self.changed}, unchanged {self.unchanged}, deleted {self.deleted}, "
            f"refused {self.refused}; {self.listings_changed} listing(s) to publish"
        )
        return f"{text}; {self.error}" if self.error else text


# --- queueing -------------------------------------------------------------------
def queue_load(source: CatalogSource, read, *, file_name: str, origin: str, publish: bool = True):
    """Store a file (``read(n)`` until b"") for ``source`` and record its load.

    The load and its ``catalog.load`` transaction commit together; the first
    chunk is queued after the commit (unless ``publish`` is False: the caller
    runs the chunks). The same bytes again make a ``duplicate`` load, closed
    at once, whose transaction says which load it repeats.
    """
    stored = store_file(read, chunk_size=source.chunk_size)
    try:
        with transaction.atomic():
            return _record(source, stored, file_name, origin, publish)
    except IntegrityError:  # the same file, stored by a concurrent poll or push a moment ago
        with transaction.atomic():
            return _record(source, stored, file_name, origin, publish)


def _record(source, stored, file_name, origin, publish) -> CatalogLoad:
    # Serialises arrivals per source: loads run in primary-key order.
    CatalogSource.objects.select_for_update().get(pk=source.pk)
    original = (
        CatalogLoad.objects.filter(source=source, sha256=stored.sha256, duplicate_of__isnull=True)
        .exclude(status=LoadStatus.FAILED)
        .first()
    )
    now = timezone.now()
    load = CatalogLoad.objects.create(
        source=source,
        file_name=file_name[:255],
        stored_path=str(stored.path),
        origin=origin,
        sha256=stored.sha256,
        size=stored.size,
        total=stored.total,
        plan=stored.plan,
        status=LoadStatus.DUPLICATE if original else LoadStatus.QUEUED,
        duplicate_of=original,
        heartbeat_at=now,
        finished_at=now if original else None,
    )
    if original:
        message = (
            f"{file_name} is a duplicate of {original.file_name} (load #{original.pk}, same "
            f"sha256 {stored.sha256[:12]}…); recorded and not loaded"
        )
    else:
        message = (
            f"{file_name} for {source.code}: {stored.size} bytes, {stored.total} IDoc(s) "
            f"in {max(1, len(stored.plan['chunks']))} chunk(s) of {source.chunk_size}"
        )
    tx = open_transaction(
        kind=CATALOG_LOAD,
        partner=source.partner,
        business_key=file_name[:120],
        correlation_id=f"catalog-load-{load.pk}",
        subject=load,
        message=message,
        publish=False,
    )
    if original:
        tx.skip(message)
    else:
        # The last chunk publishes the transaction; the sweeper only runs it (to resume a
        # stalled load) if it is still open after the watchdog period.
        watchdog = now + timedelta(seconds=conf.watchdog_seconds())
        SyncTransaction.objects.filter(pk=tx.pk).update(next_attempt_at=watchdog)
        if publish:
            _queue_chunk_on_commit(load.pk)
    load.transaction = tx
    load.save(update_fields=["transaction"])
    return load


def load_file_now(source: CatalogSource, path: str | Path, *, on_chunk=None) -> LoadSummary:
    """Load a file synchronously, chunk after chunk, by the same code as the workers.

    For the ``load_catalog`` command and the benchmark. ``on_chunk(load)`` is
    called after each committed chunk (a progress bar). The load's transaction
    is run here too, so it ends ``succeeded`` (or ``failed``) with the summary.
    On PostgreSQL the next chunk is read while one is written (``read_ahead``).
    """
    stored = store_path(path, chunk_size=source.chunk_size)
    with transaction.atomic():
        load = _record(source, stored, Path(path).name, "command", publish=False)
    with ReadAhead() as ahead:
        while load_next_chunk(load.pk, ahead if ReadAhead.is_available() else None, chain=False):
            if on_chunk is not None:
                on_chunk(CatalogLoad.objects.get(pk=load.pk))
    load.refresh_from_db()
    if load.status != LoadStatus.DUPLICATE:
        run_transaction(load.transaction_id)
    if on_chunk is not None:
        on_chunk(load)
    return LoadSummary.of(load)


def _queue_chunk_on_commit(load_id: int) -> None:
    held = _publish_after_chunk.get()
    if held is not None:  # inside load_next_chunk: published once the source's lock is free
        transaction.on_commit(lambda: held.append(load_id))
    else:
        transaction.on_commit(lambda: _publish_chunk(load_id))


# The loads whose next chunk load_next_chunk publishes after its source's lock is
# released. Published under the lock, a chunk task another worker took at once
# found the lock held, left the chunk to its holder and was gone: the load stood
# still until the resumer (a CI run caught it, on a loaded machine).
_publish_after_chunk: ContextVar[list[int] | None] = ContextVar(
    "catalog_publish_after_chunk", default=None
)


def _publish_chunk(load_id: int) -> None:
    try:
        celery_app.send_task(LOAD_CHUNK_TASK, args=[load_id], queue=Lane.BATCH)
    except Exception:
        logger.warning(
            "load %s: chunk publish failed; the resumer queues it", load_id, exc_info=True
        )


# --- one chunk ------------------------------------------------------------------
def load_next_chunk(load_id: int, ahead: ReadAhead | None = None, *, chain: bool = True) -> bool:
    """Do the load's next chunk if nobody else is; True when another chunk follows.

    Returns False when there is nothing to do here: the load is finished,
    held by another worker, or waits for an earlier load of its source.
    With ``ahead``, the chunk after this one is read while this one is written.
    The chunk task of what follows (this load's next chunk, or the next load
    of its source) is published after the commit and after the source's lock
    is released; ``chain=False``: not this load's, whose caller goes on itself.
    """
    held: list[int] = []
    token = _publish_after_chunk.set(held)
    try:
        more = _next_chunk_under_lock(load_id, ahead)
    finally:
        _publish_after_chunk.reset(token)
    for queued in dict.fromkeys(held):
        if chain or queued != load_id:
            _publish_chunk(queued)
    return more


def _next_chunk_under_lock(load_id: int, ahead: ReadAhead | None) -> bool:
    load = CatalogLoad.objects.select_related("source").filter(pk=load_id).first()
    if load is None or load.is_finished:
        return False
    with try_exclusive("catalog-load", load.source_id) as is_ours:
        if not is_ours:
            logger.info("load %s: another load of %s is running a chunk", load_id, load.source)
            return False
        if not _claim(load_id):
            return False
        with transaction.atomic():
            load = (
                CatalogLoad.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("source")
                .filter(pk=load_id, status__in=UNFINISHED_LOAD_STATUSES)
                .first()
            )
            if load is None:
                return False
            return _chunk(load, ahead)


def _claim(load_id: int) -> bool:
    """Count the attempt at the next chunk (committed first, so a killed worker counts too)."""
    with transaction.atomic():
        load = (
            CatalogLoad.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source")
            .filter(pk=load_id, status__in=UNFINISHED_LOAD_STATUSES)
            .first()
        )
        if load is None:
            return False
        earlier = CatalogLoad.objects.filter(
            source_id=load.source_id, pk__lt=load.pk, status__in=UNFINISHED_LOAD_STATUSES
        ).exists()
        if earlier:
            logger.info("load %s waits for an earlier load of %s", load_id, load.source)
            return False
        load.chunk_attempts += 1
        if load.chunk_attempts > conf.max_chunk_attempts():
            why = load.error_message or "its worker stopped (killed or out of memory)"
            _end(
                load,
                failure=(
                    "chunk_attempts",
                    f"chunk {load.next_chunk + 1} failed "
                    f"{load.chunk_attempts - 1} times; last: {why}",
                ),
            )
            return False
        if load.status == LoadStatus.QUEUED:
            load.start()
        load.heartbeat_at = timezone.now()
        load.save(update_fields=["chunk_attempts", "status", "started_at", "heartbeat_at"])
    return True


def _chunk(load: CatalogLoad, ahead: ReadAhead | None) -> bool:
    reader, writer, is_current = DOCUMENTS[load.source.kind]
    index = load.next_chunk
    try:
        with transaction.atomic():  # a savepoint: a broken file fails the load, not the commit
            read = ahead.take(load, index, is_current) if ahead else None
            chunk, place, context = read or reader(load, index)
            if ahead and index + 1 < load.chunk_count:
                ahead.start(load, index + 1, reader)
            counts, refused = writer(load, chunk, place, context)
    except IdocError as error:
        _end(load, failure=(error.code, f"{load.file_name}: {error}"))
        return False
    _record_chunk(load, counts, refused, chunk_idocs=_idocs_in(load, index))
    more = load.next_chunk < max(1, load.chunk_count)
    if more:
        _queue_chunk_on_commit(load.pk)
    else:
        _end(load)
    return more


def _idocs_in(load: CatalogLoad, index: int) -> int:
    chunks = load.plan["chunks"]
    if not chunks:
        return 0
    end = chunks[index + 1][2] if index + 1 < len(chunks) else load.total + 1
    return end - chunks[index][2]


def _record_chunk(load: CatalogLoad, counts: ChunkCounts, refused: list, chunk_idocs: int) -> None:
    RefusedRow.objects.bulk_create(
        [
            RefusedRow(
                load=load,
                position=row.position or 0,
                docnum=row.docnum,
                key=row.key[:120],
                segment=row.segment,
                field=row.field,
                reason=row.reason,
                line=row.line,
            )
            for row in refused
        ],
        batch_size=1000,
    )
    load.read_count += counts.read
    load.added_count += counts.added
    load.changed_count += counts.changed
    load.unchanged_count += counts.unchanged
    load.deleted_count += counts.deleted
    load.refused_count += counts.refused
    load.listings_changed_count += counts.listings_changed
    load.next_chunk += 1
    load.position += chunk_idocs
    load.chunk_attempts = 0
    load.error_message = ""
    load.heartbeat_at = timezone.now()
    load.save()
    logger.info("load %s: chunk %s of %s committed", load.pk, load.next_chunk, load.chunk_count)


def _end(load: CatalogLoad, failure: tuple[str, str] | None = None) -> None:
    """Finish the load in the current transaction; its transaction runs after the commit."""
    if failure:
        load.fail(*failure)
    else:
        load.finish()
    load.save()
    if load.transaction_id:
        enqueue_on_commit(CATALOG_LOAD, load.transaction_id)
    following = (
        CatalogLoad.objects.filter(
            source_id=load.source_id, pk__gt=load.pk, status__in=UNFINISHED_LOAD_STATUSES
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following:
        _queue_chunk_on_commit(following)


def resume_load(load: CatalogLoad) -> bool:
    """ "Run now" on a load: queue its next chunk if it is unfinished; True when queued.

    Harmless while a chunk runs: the queued task finds the load held and ends.
    """
    if load.is_finished:
        return False
    CatalogLoad.objects.filter(pk=load.pk).update(heartbeat_at=timezone.now())
    _publish_chunk(load.pk)
    return True


def record_chunk_error(load_id: int, error: Exception) -> None:
    """Keep an unexpected chunk error on the load; the resumer tries again (bounded)."""
    CatalogLoad.objects.filter(pk=load_id).update(error_message=f"{type(error).__name__}: {error}")


# --- the load's transaction and the resumer --------------------------------------
@transaction_kind(
    CATALOG_LOAD,
    description="Catalog load of a MATMAS05 or COND_A04 file",
    lane=Lane.BATCH,
    subject="catalog.CatalogLoad",
    retry=RetryDefaults(24, (300, 900, 3600)),
)
def finish_catalog_load(tx: SyncTransaction) -> Outcome:
    """End a load's transaction with its summary, or its failure.

    Published by the last chunk. Run by the sweeper only when the load is
    still unfinished after the watchdog period: then it queues the next chunk
    and retries later (the load stalled, or is very long).
    """
    load = CatalogLoad.objects.get(pk=tx.subject_id)
    if load.status == LoadStatus.FAILED:
        return Outcome(message=load.summary(), failure=(load.error_code, load.error_message))
    if not load.is_finished:
        _publish_chunk(load.pk)
        raise TransientError(
            f"load #{load.pk} still running: {load.position} of {load.total} IDocs done",
            code="load_running",
        )
    return Outcome(message=f"{load.file_name}: {load.summary()}")


@scheduled_job(
    CATALOG_RESUME,
    every_seconds=15,
    name="resume stalled catalog loads",
    description="Queues the next chunk of a catalog load whose chunk task was lost or whose "
    "worker died (no chunk committed for SYNC_CATALOG_RESUME_SECONDS).",
)
def resume_stalled_loads() -> int:
    """Queue again the first unfinished load of each source that has not moved lately."""
    now = timezone.now()
    stale = now - timedelta(seconds=conf.resume_after_seconds())
    with transaction.atomic():
        due = list(
            CatalogLoad.objects.select_for_update(skip_locked=True)
            .filter(status__in=UNFINISHED_LOAD_STATUSES, heartbeat_at__lte=stale)
            .order_by("pk")
        )
        first_per_source: dict[int, CatalogLoad] = {}
        for load in due:
            first_per_source.setdefault(load.source_id, load)
        for load in first_per_source.values():
            CatalogLoad.objects.filter(pk=load.pk).update(heartbeat_at=now)
            _queue_chunk_on_commit(load.pk)
    if first_per_source:
        logger.info("resumed %d stalled catalog load(s)", len(first_per_source))
    return len(first_per_source)
