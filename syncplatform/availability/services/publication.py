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
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone

from connectors.errors import TransientError
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction
from syncplatform.core.locks import try_exclusive
from syncplatform.partners.models import ChannelConfig, Partner

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

    A channel whose config names a shop is sent Shopify's
    ``inventorySetQuantities`` by the catalog's ``publish_inventory``; any other
    channel is sent nothing, and its queue keeps every change.
    """
    has_shop = ChannelConfig.objects.filter(partner=channel).exclude(shop_url="").exists()
    if not has_shop:
        return None
    from syncplatform.catalog.services.publication import publish_inventory

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

    Each batch's outcome is recorded when the channel answered: quantities it
    took are published; a SKU the shop has no variant of yet, or a quantity it
    refused, keeps its row queued with the reason (``publish_error``). Refusals
    fail the transaction naming them, after the rest is recorded; "Retry now"
    (any attempt after the first) sends the refused rows again. The
    publisher's ``TransientError`` retries, ``ConfigError`` fails.
    """
    channel = Partner.objects.get(pk=tx.subject_id)
    publisher = publisher_for(channel)
    if publisher is None:
        return Outcome(message=f"{channel.code} asks for its stock; nothing is sent")
    with try_exclusive("availability-publish", channel.pk) as is_ours:
        if not is_ours:
            raise TransientError(f"{channel.code}: another stock publication is running")
        sent, refused = _publish_queue(channel, publisher, with_refused=tx.attempts > 1)
    message = f"{sent} available-to-sell quantities published to {channel.code}"
    if refused:
        shown = "; ".join(refused[:5]) + (
            f" (and {len(refused) - 5} more)" if len(refused) > 5 else ""
        )
        return Outcome(message=message, failure=("stock_refused", f"{message}; refused: {shown}"))
    return Outcome(message=message)


def _publish_queue(channel, publisher, *, with_refused: bool) -> tuple[int, list[str]]:
    """Walk the queue by id (a refused row is not taken again); (sent, refusals)."""
    sent, refused, after = 0, [], 0
    queue = Availability.objects.publish_queue(channel.pk, with_refused=with_refused)
    for _ in range(BATCHES_PER_PUBLICATION):
        batch = list(queue.filter(pk__gt=after)[:PUBLISH_BATCH])
        if not batch:
            return sent, refused
        after = batch[-1].pk
        answer = publisher(channel, [quantity_of(row) for row in batch])
        errors = _errors_of(answer, batch)
        taken = [row for row in batch if _key(row) not in errors]
        record_published(taken)
        record_refused([(row, errors[_key(row)]) for row in batch if _key(row) in errors])
        sent += len(taken)
        refused += [
            f"{sku} at {location}: {why}"
            for (sku, location), why in errors.items()
            if not why.startswith(NOT_IN_SHOP)
        ]
    with transaction.atomic():
        queue_publication(channel.pk)  # more than one publication's worth: a follow-up takes it
    return sent, refused


NOT_IN_SHOP = "not in the shop yet"


def _errors_of(answer, batch: list[Availability]) -> dict[tuple[str, str], str]:
    """``(sku, location): reason`` for each row of the batch the channel did not take."""
    errors = {
        (refusal.sku, refusal.location_code): f"{refusal.field}: {refusal.message}"
        for refusal in getattr(answer, "refused", ())
    }
    missing = set(getattr(answer, "not_in_shop", ()))
    for row in batch:
        if row.channel_sku in missing:
            errors[_key(row)] = f"{NOT_IN_SHOP} (publish its listing first)"
    return errors


def _key(row: Availability) -> tuple[str, str]:
    return row.channel_sku, row.channel_location


def quantity_of(row: Availability) -> InventoryQuantity:
    return InventoryQuantity(row.channel_sku, row.channel_location, row.available)


def record_published(rows: list[Availability]) -> int:
    """Record the quantities sent (three statements); returns how many still differ.

    A row recomputed while its old figure was on the way differs from what was
    sent: it stays (or becomes again) queued, and a follow-up publication is
    queued for it.
    """
    if not rows:
        return 0
    now = timezone.now()
    for row in rows:
        row.published_quantity, row.published_at = row.available, now
    differs = ExpressionWrapper(~Q(available=F("published_quantity")), output_field=BooleanField())
    with transaction.atomic():
        Availability.objects.bulk_update(rows, ["published_quantity", "published_at"])
        sent = Availability.objects.filter(pk__in=[row.pk for row in rows])
        sent.update(is_publish_pending=differs, publish_error="")
        still = sent.filter(is_publish_pending=True).count()
        if still:
            queue_publication(rows[0].channel_id)
    return still


def record_refused(refusals: list[tuple[Availability, str]]) -> None:
    """Keep refused rows queued with the reason, out of the next publications until retried."""
    for row, reason in refusals:
        Availability.objects.filter(pk=row.pk).update(publish_error=reason[:300])
