"""Compute a chunk's available-to-sell again and keep what changed (``availability.recompute``)."""

import zlib

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome

from ..choices import AVAILABILITY_RECOMPUTE
from ..models import Availability, RecomputeChunk
from .components import Computed, compute, targets_of
from .publication import queue_publication

# Recomputes of one warehouse's stock take turns (a transaction-scoped advisory
# lock): each reads after the one before it committed, so a late writer never
# stores figures older than what an earlier one stored.
_LOCK_NAMESPACE = zlib.crc32(b"availability-recompute") & 0x7FFF_FFFF

FIELDS = (
    "warehouse_id",
    "material",
    "stock_quantity",
    "stock_as_of",
    "open_order_quantity",
    "shipped_since_report",
    "safety_stock",
    "available",
)


@transaction_kind(
    AVAILABILITY_RECOMPUTE,
    description="Available-to-sell recompute",
    lane=Lane.BATCH,
    subject="availability.RecomputeChunk",
    # Only database work: a failure is a bug or an outage; retry briefly, then a person looks.
    retry=RetryDefaults(5, (10, 30, 120, 600)),
)
def recompute_availability(tx: SyncTransaction) -> Outcome:
    """Recompute one chunk in one database transaction; idempotent (a rerun changes nothing).

    Rows whose figures did not change are not written. A row whose available
    quantity now differs from what its channel was last sent joins the
    channel's publish queue, and a publication is queued after commit.
    """
    chunk = RecomputeChunk.objects.get(pk=tx.subject_id)
    with transaction.atomic():
        changed, queued = recompute_chunk(chunk)
    return Outcome(
        message=f"{chunk}: {changed} row(s) changed, {queued} to publish",
    )


def recompute_chunk(chunk: RecomputeChunk) -> tuple[int, int]:
    """Inside the caller's transaction: (rows written, rows now waiting to be published)."""
    targets = targets_of(chunk)
    for warehouse_id in sorted({t.warehouse_id for t in targets}):
        _take_turn(warehouse_id)
    computed = compute(targets)
    changed = _store(computed)
    return len(changed), _mark_pending(changed)


def _take_turn(warehouse_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, warehouse_id])


def _store(computed: list[Computed]) -> list[Availability]:
    """Upsert the rows whose figures differ from the stored ones; returns those rows."""
    if not computed:
        return []
    stored = _stored_figures(computed)
    now = timezone.now()
    rows = []
    for item in computed:
        t, parts = item.target, item.components
        figures = (
            t.warehouse_id,
            t.material,
            parts.stock,
            item.stock_as_of,
            parts.open_orders,
            parts.shipped_since_report,
            parts.safety_stock,
            parts.available,
        )
        if stored.get((t.channel_id, t.channel_sku, t.channel_location)) == figures:
            continue  # unchanged: not written, not published
        rows.append(
            Availability(
                channel_id=t.channel_id,
                channel_sku=t.channel_sku,
                channel_location=t.channel_location,
                computed_at=now,
                publish_error="",
                **dict(zip(FIELDS, figures, strict=True)),
            )
        )
    if rows:
        Availability.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["channel", "channel_sku", "channel_location"],
            update_fields=[name.removesuffix("_id") for name in FIELDS]
            + ["computed_at", "publish_error"],
        )
    return rows


def _stored_figures(computed: list[Computed]) -> dict[tuple, tuple]:
    channels = {c.target.channel_id for c in computed}
    skus = {c.target.channel_sku for c in computed}
    locations = {c.target.channel_location for c in computed}
    rows = Availability.objects.filter(
        channel_id__in=channels, channel_sku__in=skus, channel_location__in=locations
    ).values_list("channel_id", "channel_sku", "channel_location", *FIELDS)
    return {tuple(row[:3]): tuple(row[3:]) for row in rows}


def _mark_pending(rows: list[Availability]) -> int:
    """Flag written rows whose available quantity differs from the last one published."""
    queued = 0
    by_channel: dict[int, list[Availability]] = {}
    for row in rows:
        by_channel.setdefault(row.channel_id, []).append(row)
    differs = ExpressionWrapper(
        Q(published_quantity__isnull=True) | ~Q(available=F("published_quantity")),
        output_field=BooleanField(),
    )
    for channel_id, channel_rows in by_channel.items():
        mine = Availability.objects.filter(
            channel_id=channel_id,
            channel_sku__in={r.channel_sku for r in channel_rows},
            channel_location__in={r.channel_location for r in channel_rows},
        )
        mine.update(is_publish_pending=differs)
        pending = mine.filter(is_publish_pending=True).count()
        if pending:
            queue_publication(channel_id)
        queued += pending
    return queued
