"""Prices whose validity starts (or ends) on a later day than their load: put on listings then.

A listing shows the price in force *today* (``listings``). A COND_A04 record
valid from next Monday changes nothing when it is loaded; on Monday it must.
This job, beat-run every ``SYNC_CATALOG_PRICE_DAYS_SECONDS`` (default 3600:
within the hour after midnight, in ``TIME_ZONE``), looks at every day after
the last one it handled (``PriceDayMark``): the prices whose ``valid_from`` is
one of those days, and those whose ``valid_to`` was the day before one of
them (an older price, or none, is in force again). It derives the listings
of their materials again; only a listing whose digest changed is written and
set ``pending``, and the channels' publications start after the commit. A
missed day is caught up by the next run; running twice on a day does nothing
the second time.
"""

import logging
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from syncplatform.audit.registry import scheduled_job
from syncplatform.core.env import env_int
from syncplatform.core.locks import try_exclusive

from ..models import Price, PriceDayMark, Product
from . import listings
from .publication import start_all_publications

logger = logging.getLogger(__name__)

CATALOG_PRICE_DAYS = "catalog.prices_in_force"
# Products derived per database transaction: a catalog load's chunk is 10,000 too.
DERIVE_CHUNK = 10_000


def changed_since(since: date, today: date):
    """Materials with a price whose validity starts in ``(since, today]`` or ends the day before."""
    return (
        Price.objects.filter(is_deleted=False)
        .filter(
            Q(valid_from__gt=since, valid_from__lte=today)
            | Q(valid_to__gte=since, valid_to__lt=today)
        )
        .values("material")
    )


@scheduled_job(
    CATALOG_PRICE_DAYS,
    every_seconds=env_int("SYNC_CATALOG_PRICE_DAYS_SECONDS", 3600),
    name="put prices coming into force on listings",
    description="Once a day (checked hourly): derives again the listings of materials whose "
    "price starts or stops being in force, and publishes those that changed.",
)
def put_prices_in_force() -> int:
    """Derive the listings of every material whose price in force changed since the last run.

    Returns the listings changed (0 when today was handled already, or when
    another run holds the job). The mark moves only after every chunk
    committed, so a run that dies is done again (deriving is idempotent).
    """
    today = timezone.localdate()
    with try_exclusive(CATALOG_PRICE_DAYS, 0) as is_ours:
        if not is_ours:
            return 0
        mark = PriceDayMark.objects.order_by("pk").first()
        since = mark.through_date if mark else today - timedelta(days=1)
        if since >= today:
            return 0
        product_ids = list(
            Product.objects.filter(number__in=changed_since(since, today))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        changed = sum(
            _derive(product_ids[start : start + DERIVE_CHUNK])
            for start in range(0, len(product_ids), DERIVE_CHUNK)
        )
        with transaction.atomic():
            PriceDayMark.objects.update_or_create(
                pk=mark.pk if mark else None, defaults={"through_date": today}
            )
            if changed:
                transaction.on_commit(start_all_publications)
    logger.info(
        "prices in force from %s to %s: %d material(s), %d listing(s) changed",
        since + timedelta(days=1),
        today,
        len(product_ids),
        changed,
    )
    return changed


def _derive(product_ids: list[int]) -> int:
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return listings.derive_orm(product_ids)
        with connection.cursor() as cursor:
            # Integers from our own query: a literal list is as safe as parameters here.
            return listings.derive_postgresql(cursor, ",".join(str(int(pk)) for pk in product_ids))
