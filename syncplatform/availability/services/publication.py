"""Send channels the available-to-sell that changed (``availability.publish``).

The publish queue is data: ``Availability`` rows whose ``available`` differs
from ``published_quantity`` (``is_publish_pending``). A publication takes the
channel's queue in batches, sends each through the channel's publisher and
records what was sent, batch by batch, so a publication killed half-way
resumes with what was not recorded yet (a batch sent but not recorded is sent
again: quantities are absolute, so that is harmless).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.errors import TransientError
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.core.locks import try_exclusive
from syncplatform.partners.models import Partner

from ..choices import AVAILABILITY_PUBLISH
from ..models import Availability

# Shopify's inventorySetQuantities takes at most 250 quantities per call.
PUBLISH_BATCH = 250
# Batches per transaction: a long queue is worked through by follow-up
# publications, each well inside a worker's lease.
BATCHES_PER_PUBLICATION = 40


@dataclass(frozen=True)
class InventoryQuantity:
    """One absolute quantity to set in a channel: its SKU at its location."""

    channel_sku: str
    channel_location: str
    quantity: int


Publisher = Callable[[Partner, list[InventoryQuantity]], object]


def publisher_for(channel: Partner) -> Publisher | None:
    """How ``channel`` is sent its stock, or None when it asks instead (the API).

    The channel publication of the catalog app (``publish_inventory``) sends
    Shopify's ``inventorySetQuantities``; until it is there, nothing is sent and
    the queue keeps every change.
    """
    try:
        from syncplatform.catalog.services.publication import publish_inventory
    except ImportError:
        return None
    return publish_inventory


def queue_publication(channel_id: int) -> SyncTransaction | None:
    """Queue a publication for the channel after commit, unless one is waiting already."""
    channel = Partner.objects.get(pk=channel_id)
    if publisher_for(channel) is None:
        return None
    waiting = SyncTransaction.objects.filter(
        kind=AVAILABILITY_PUBLISH, subject_id=channel_id, state=TransactionState.RECEIVED
    ).exists()
    if waiting:
        return None
    return open_transaction(
        kind=AVAILABILITY_PUBLISH,
        partner=channel,
        business_key=f"{channel.code} stock",
        correlation_id=f"availability-{channel.code}"[:64],
        subject=channel,
        message=f"changed available-to-sell to publish to {channel.code}",
    )


@transaction_kind(
    AVAILABILITY_PUBLISH,
    description="Available-to-sell publication to a channel",
    lane=Lane.BATCH,
    subject="partners.Partner",
    # A shop outage or throttle is minutes; give up after about an hour.
    retry=RetryDefaults(8, (10, 30, 60, 120, 300, 600, 1200)),
)
def publish_availability(tx: SyncTransaction) -> Outcome:
    """Send the channel's queue in batches of ``PUBLISH_BATCH``, one publication at a time.

    Each batch's sent quantities are recorded when the channel took them; a
    row that changed while it was being sent stays queued. The publisher's
    ``TransientError`` retries, ``PermanentError``/``ConfigError`` fail the
    transaction (what was recorded before stays recorded).
    """
    channel = Partner.objects.get(pk=tx.subject_id)
    publisher = publisher_for(channel)
    if publisher is None:
        return Outcome(message=f"{channel.code} asks for its stock; nothing is sent")
    with try_exclusive("availability-publish", channel.pk) as is_ours:
        if not is_ours:
            raise TransientError(f"{channel.code}: another stock publication is running")
        sent = 0
        for _ in range(BATCHES_PER_PUBLICATION):
            batch = list(Availability.objects.publish_queue(channel.pk)[:PUBLISH_BATCH])
            if not batch:
                break
            publisher(channel, [quantity_of(row) for row in batch])
            record_published(batch)
            sent += len(batch)
        else:
            with transaction.atomic():
                queue_publication(channel.pk)
    return Outcome(message=f"{sent} available-to-sell quantities published to {channel.code}")


def quantity_of(row: Availability) -> InventoryQuantity:
    return InventoryQuantity(row.channel_sku, row.channel_location, row.available)


def record_published(rows: list[Availability]) -> None:
    """Record the quantities sent (two statements); rows recomputed meanwhile stay queued."""
    now = timezone.now()
    for row in rows:
        row.published_quantity, row.published_at = row.available, now
    with transaction.atomic():
        Availability.objects.bulk_update(rows, ["published_quantity", "published_at"])
        Availability.objects.filter(
            pk__in=[row.pk for row in rows], available=F("published_quantity")
        ).update(is_publish_pending=False)
