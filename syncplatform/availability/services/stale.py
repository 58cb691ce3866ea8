"""Orders and shipments mark what they changed; a frequent job recomputes it in chunks."""

from collections import defaultdict

from django.db import transaction

from syncplatform.audit.registry import scheduled_job
from syncplatform.partners.models import Partner

from ..choices import RecomputeCause
from ..models import StaleAvailability
from .scheduling import schedule_sku_recompute

# Marks taken per database transaction: 10,000 orders' SKUs in one pass.
COLLECT_BATCH = 10_000


def mark_stale(channel_id: int, location: str, skus, cause: str) -> None:
    """Inside the caller's transaction: these SKUs at ``location`` need a recompute."""
    StaleAvailability.objects.bulk_create(
        StaleAvailability(
            channel_id=channel_id, channel_location=location, channel_sku=sku, cause=cause
        )
        for sku in sorted(set(skus))
    )


@scheduled_job(
    "availability.collect",
    every_seconds=5,
    name="recompute available-to-sell that orders and shipments changed",
    description="Turns the SKUs that orders and shipments marked into recompute transactions, "
    "many orders per chunk.",
)
def collect_stale_availability() -> int:
    """Queue a recompute of every marked SKU once; returns how many chunks were queued.

    Marks are claimed with ``SKIP LOCKED`` and deleted in the transaction that
    queues their chunks, so two runs never take the same mark and a failed
    run leaves its marks for the next.
    """
    queued = 0
    while True:
        with transaction.atomic():
            marks = list(
                StaleAvailability.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "channel_id", "channel_location", "channel_sku", "cause")[
                    :COLLECT_BATCH
                ]
            )
            if not marks:
                return queued
            StaleAvailability.objects.filter(pk__in=[mark[0] for mark in marks]).delete()
            queued += _queue(marks)
        if len(marks) < COLLECT_BATCH:
            return queued


def _queue(marks) -> int:
    skus: dict[tuple[int, str], set[str]] = defaultdict(set)
    causes: dict[tuple[int, str], set[str]] = defaultdict(set)
    for _, channel_id, location, sku, cause in marks:
        skus[(channel_id, location)].add(sku)
        causes[(channel_id, location)].add(cause)
    channels = Partner.objects.in_bulk({channel_id for channel_id, _ in skus})
    queued = 0
    for (channel_id, location), names in sorted(skus.items()):
        cause = (
            RecomputeCause.ORDER
            if RecomputeCause.ORDER in causes[(channel_id, location)]
            else min(causes[(channel_id, location)])
        )
        queued += len(
            schedule_sku_recompute(
                channels[channel_id],
                location,
                names,
                cause=cause,
                correlation_id=f"availability-{cause}",
            )
        )
    return queued
