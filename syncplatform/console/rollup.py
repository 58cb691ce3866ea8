"""Rolling the transactions and shipments of recent hours up into ``KindHour``/``ShipmentHour``.

Each run recomputes whole hours from indexed time windows (``created_at`` of
transactions and shipments, both indexed), one hour per query, so memory is
bounded by one hour's rows and no query scans the table. An hour's figures keep
moving while its work finishes (an order received at 10:59 posts at 11:01), so
every run recomputes from ``RECOMPUTE_HOURS`` before the last hour computed;
older hours are kept as they were last computed. Each hour commits on its own,
so a run that stops half-way is continued by the next. The first run (or one
after a long stop) covers up to ``HISTORY_DAYS`` back, what the charts show.
"""

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.fulfillment.models import Shipment

from .models import KindHour, ShipmentHour

HOUR = timedelta(hours=1)
RECOMPUTE_HOURS = 3
HISTORY_DAYS = 7
FAILED_STATES = (TransactionState.FAILED, TransactionState.RESOLVED)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def percentile(ordered: list, q: float):
    """Nearest-rank percentile of an ascending list (None when empty): p95 is a value seen."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def roll_up_recent_hours(now: datetime | None = None) -> int:
    """Recompute every hour from ``RECOMPUTE_HOURS`` before the last one computed to now.

    Returns how many hours were computed. Safe to repeat or to overlap another run:
    each hour's rows are upserted whole.
    """
    now = now or timezone.now()
    # Every computed hour has its ShipmentHour row (zero shipments too), written in
    # order, each hour in its own commit: the latest is where the last run got to.
    last_hour = ShipmentHour.objects.aggregate(hour=Max("hour"))["hour"]
    earliest = floor_hour(now - timedelta(days=HISTORY_DAYS))
    start = earliest if last_hour is None else max(earliest, last_hour - RECOMPUTE_HOURS * HOUR)
    hour, hours = start, 0
    while hour <= now:
        roll_up_hour(hour, now)
        hour += HOUR
        hours += 1
    return hours


def transactions_received_in(hour: datetime):
    """``(kind, state, created_at, finished_at)`` of the hour's transactions (created_at index)."""
    return (
        SyncTransaction.objects.filter(created_at__gte=hour, created_at__lt=hour + HOUR)
        .order_by()  # the model's "-id" would steer the planner off the created_at index
        .values_list("kind", "state", "created_at", "finished_at")
    )


def shipments_reported_in(hour: datetime):
    """``(reported at, the order's posted_at)`` of the hour's shipments (created_at index)."""
    return (
        Shipment.objects.filter(created_at__gte=hour, created_at__lt=hour + HOUR)
        .order_by()
        .values_list("created_at", "shipping_order__order__posted_at")
    )


def roll_up_hour(hour: datetime, now: datetime) -> None:
    """Upsert one hour's ``KindHour`` rows (one per kind seen) and its ``ShipmentHour``."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    latencies: dict[str, list[int]] = defaultdict(list)
    rows = transactions_received_in(hour)
    for kind, state, created_at, finished_at in rows.iterator(chunk_size=5000):
        counts[kind]["received"] += 1
        if state == TransactionState.SUCCEEDED:
            counts[kind]["succeeded"] += 1
            if finished_at is not None:
                latencies[kind].append(_ms(finished_at - created_at))
        elif state in FAILED_STATES:
            counts[kind]["failed"] += 1
    kind_rows = []
    for kind, counted in counts.items():
        ordered = sorted(latencies[kind])
        kind_rows.append(
            KindHour(
                hour=hour,
                kind=kind,
                received=counted["received"],
                succeeded=counted["succeeded"],
                failed=counted["failed"],
                latency_p50_ms=percentile(ordered, 0.5),
                latency_p95_ms=percentile(ordered, 0.95),
                rolled_up_at=now,
            )
        )
    delays = sorted(
        max(0, int((shipped - posted).total_seconds()))
        for shipped, posted in shipments_reported_in(hour).iterator(chunk_size=5000)
        if posted is not None
    )
    with transaction.atomic():
        KindHour.objects.bulk_create(
            kind_rows,
            update_conflicts=True,
            unique_fields=["hour", "kind"],
            update_fields=[
                "received",
                "succeeded",
                "failed",
                "latency_p50_ms",
                "latency_p95_ms",
                "rolled_up_at",
            ],
        )
        ShipmentHour.objects.update_or_create(
            hour=hour,
            defaults={
                "shipments": len(delays),
                "delay_p50_s": percentile(delays, 0.5),
                "delay_p95_s": percentile(delays, 0.95),
                "rolled_up_at": now,
            },
        )


def _ms(elapsed: timedelta) -> int:
    return max(0, int(elapsed.total_seconds() * 1000))
