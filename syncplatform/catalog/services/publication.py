"""Publication of changed listings to a channel's Shopify shop, and of stock to it.

    start_publication(channel_id)             # beat per channel, and after a load
      -> catalog.publish transaction, chunk 1 # batch lane; each chunk its own task
      -> ... chunk n finds nothing after its checkpoint: the run ends

A run takes the channel's ``pending`` listings changed up to its start, in
listing id order, ``SYNC_CATALOG_PUBLISH_CHUNK`` per chunk. A chunk sends them
in batches (``productSet`` for listings the shop lacks,
``productVariantsBulkUpdate`` for price/SKU/barcode changes, ``productSet``
with a status to unpublish or bring back) and records each batch's answers in
one database transaction: the Shopify ids, the content hash the shop accepted
(``published_hash``), the listing's state and the run's checkpoint. A listing
whose hash the shop already has is not sent. Only listings a load marked
``pending`` are read, so only changed listings are sent.

A shop's refusal (a ``userErrors`` entry) fails just that listing: it is
``failed``, its publication names the field, and a failed
``catalog.publish.listing`` transaction shows it in the admin, where "Retry
now" publishes it again (after the data is fixed). The rest go on.

**Killed half-way.** What was recorded is not sent again (the hash matches,
or the listing is no longer pending after the checkpoint). A create is the
one call that is not idempotent, so before a batch's creates leave, their
rows get ``sending_hash``/``sending_at`` in a committed transaction; the
answer's transaction clears them. A row found still marked was maybe created
by Shopify while its answer was lost (a worker killed between "sent" and
"recorded", or a 5xx/timeout after the request went out): it is looked up by
SKU in the shop first, and only a SKU the shop does not have is created. A
chunk holds the channel's advisory lock, so a redelivered chunk never runs
beside the one it replaces; it stops taking batches after half the lease and
leaves the rest to the next chunk, so no task runs near a timeout.

``publish_inventory`` (for available-to-sell) sets ``available`` quantities
in the shop for listings it already has.
"""

import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from connectors.channels.shopify_admin import (
    PublishedVariant,
    QuantityDraft,
    RefusedVariant,
    ShopifyAdminClient,
)
from connectors.errors import ConfigError, TransientError
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.schedules import ensure_partner_schedules
from syncplatform.audit.services import open_transaction
from syncplatform.core.env import env_int
from syncplatform.core.locks import try_exclusive
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig, Partner

from ..choices import PublishState
from ..models import Listing, ListingPublication, PublicationRun, ShopLocation
from ..models.publication import PublicationStatus
from .publication_drafts import Action, Pending, read_pending
from .publication_records import ChunkResult, mark_sending, record_answers
from .publication_runs import CATALOG_PUBLISH, end_stopped_runs

logger = logging.getLogger(__name__)

CATALOG_PUBLISH_LISTING = "catalog.publish.listing"
CATALOG_PUBLISH_SCHEDULE = "catalog.publish.pending"
BATCH = 50  # listings per request: 50 mutations, 500 points, half Shopify's request limit


def chunk_size() -> int:
    """``SYNC_CATALOG_PUBLISH_CHUNK``: listings per chunk task (default 1,000)."""
    return getattr(settings, "SYNC_CATALOG_PUBLISH_CHUNK", None) or env_int(
        "SYNC_CATALOG_PUBLISH_CHUNK", 1000
    )


def shop_client(config: ChannelConfig) -> ShopifyAdminClient:
    """The channel's shop client; ConfigError when the channel names no shop or token."""
    if not config.shop_url or not config.shop_access_token:
        raise ConfigError(
            f"channel {config.partner.code} has no shop URL or access token (Partners > "
            "channel config)",
            code="shop_not_configured",
        )
    return ShopifyAdminClient(
        config.shop_url, config.shop_access_token, api_version=config.shop_api_version
    )


# --- starting a run ------------------------------------------------------------------
def start_publication(channel_id: int) -> PublicationRun | None:
    """Open a run for the channel's pending listings; None when one runs or nothing pends."""
    config = ChannelConfig.objects.select_related("partner").filter(partner_id=channel_id).first()
    if config is None or not config.shop_url:
        return None
    cutoff = timezone.now()
    pending = _pending(channel_id, cutoff)
    end_stopped_runs(channel_id)
    if not pending.exists() or _running(channel_id).exists():
        return None
    try:
        with transaction.atomic():
            run = PublicationRun.objects.create(
                channel_id=channel_id, cutoff=cutoff, chunk_size=chunk_size(), total=pending.count()
            )
            _open_chunk(run)
    except IntegrityError:
        return None  # another run started meanwhile (one running run per channel)
    logger.info("publication #%s of %s: %s listing(s)", run.pk, config.partner.code, run.total)
    return run


def _pending(channel_id: int, cutoff):
    return Listing.objects.filter(
        channel_id=channel_id, publish_state=PublishState.PENDING, changed_at__lte=cutoff
    )


def _running(channel_id: int):
    return PublicationRun.objects.filter(channel_id=channel_id, status=PublicationStatus.RUNNING)


def _open_chunk(run: PublicationRun) -> SyncTransaction:
    number = run.chunks_done + 1
    return open_transaction(
        kind=CATALOG_PUBLISH,
        partner=run.channel,
        business_key=f"publication {run.pk} chunk {number}",
        correlation_id=f"publish-{run.pk}-{number}",
        subject=run,
        message=f"chunk {number}: listings after id {run.checkpoint}",
    )


def start_all_publications() -> int:
    """Start a run for every channel with a shop and pending listings (after a load)."""
    started = 0
    channels = ChannelConfig.objects.exclude(shop_url="").values_list("partner_id", flat=True)
    for channel_id in channels:
        started += start_publication(channel_id) is not None
    return started


# --- one chunk --------------------------------------------------------------------------
@transaction_kind(
    CATALOG_PUBLISH,
    description="Publication of changed listings to a channel's shop (one chunk)",
    lane=Lane.BATCH,
    subject="catalog.PublicationRun",
    retry=RetryDefaults(10, (10, 30, 60, 300, 900)),
    schedule=Schedule(
        key=CATALOG_PUBLISH_SCHEDULE,
        job=start_publication,
        every_seconds=300,
        name="publish changed listings of {partner}",
        per_partner=PartnerKind.CHANNEL,
        description="Starts a publication of the channel's changed listings to its shop "
        "when some are pending and none is running (loads also start one when they end).",
    ),
)
def publish_chunk(tx: SyncTransaction) -> Outcome:
    """Publish the next listings of the run, batch by batch; queue the next chunk or end."""
    run = PublicationRun.objects.select_related("channel").get(pk=tx.subject_id)
    if run.status != PublicationStatus.RUNNING:
        # "Retry now" on the chunk that ended its run early: publish what is still pending.
        return Outcome(
            message=f"publication #{run.pk} already ended ({run.get_status_display()}); "
            "its pending listings go with the channel's next publication",
            apply=lambda: _start_next(run.channel_id),
        )
    with try_exclusive(CATALOG_PUBLISH, run.channel_id) as held:
        if not held:
            raise TransientError(
                f"another worker is publishing channel {run.channel}", code="publication_busy"
            )
        result = _publish_chunk(run)
    run.refresh_from_db()
    return Outcome(message=result.message(run), apply=lambda: _next_chunk_or_end(run.pk))


def _start_next(channel_id: int) -> None:
    start_publication(channel_id)


def _publish_chunk(run: PublicationRun) -> ChunkResult:
    config = ChannelConfig.objects.select_related("partner").get(partner_id=run.channel_id)
    ids = list(
        _pending(run.channel_id, run.cutoff)
        .filter(pk__gt=run.checkpoint)
        .order_by("pk")
        .values_list("pk", flat=True)[: run.chunk_size]
    )
    deadline = time.monotonic() + settings.SYNC_LEASE_SECONDS / 2
    return publish_listings(shop_client(config), config, ids, run=run, deadline=deadline)


def _next_chunk_or_end(run_id: int) -> None:
    """In the chunk's final transaction: queue the next chunk, or end the run."""
    run = PublicationRun.objects.select_for_update().get(pk=run_id)
    run.chunks_done += 1
    if _pending(run.channel_id, run.cutoff).filter(pk__gt=run.checkpoint).exists():
        run.save(update_fields=["chunks_done", "heartbeat_at"])
        _open_chunk(run)
        return
    run.status, run.finished_at = PublicationStatus.SUCCEEDED, timezone.now()
    run.save(update_fields=["chunks_done", "status", "finished_at", "heartbeat_at"])


# --- batches: send, then record ----------------------------------------------------------
def publish_listings(
    client, config, listing_ids, *, run=None, deadline=None, reopen_failures=True
) -> ChunkResult:
    """Publish these listings in batches of ``BATCH``; each batch's answers in one transaction.

    While a batch is on its way to the shop from a second thread (which
    touches no database), this one reads the next batch and records the last
    one's answers: measured on 2,000 listings, reading and recording took
    about as long as the shop's answers, and overlapping them took the
    publication from 23 s to within a few seconds of the bare requests. No
    batch starts after ``deadline`` (``time.monotonic()``). Each refusal opens a failed
    ``catalog.publish.listing`` transaction unless ``reopen_failures`` is False
    (that transaction is the one publishing again).
    """
    result = ChunkResult()
    batches = [listing_ids[start : start + BATCH] for start in range(0, len(listing_ids), BATCH)]
    if not batches:
        return result
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shop-sender") as sender:
        current = _prepare(config, batches[0])
        in_flight = sender.submit(_send, client, config, current)
        for index in range(len(batches)):
            following = None
            if index + 1 < len(batches) and (deadline is None or time.monotonic() < deadline):
                following = _prepare(config, batches[index + 1])
            answers, recovered = in_flight.result()
            if following is not None:
                in_flight = sender.submit(_send, client, config, following)
            with transaction.atomic():
                record_answers(
                    config,
                    current,
                    answers,
                    recovered,
                    run,
                    result,
                    CATALOG_PUBLISH_LISTING if reopen_failures else None,
                )
            if following is None:
                break
            current = following
    return result


def _prepare(config, listing_ids: list[int]) -> list[Pending]:
    """Read a batch and mark its creates in flight (committed) before it is sent."""
    pending = read_pending(config, listing_ids)
    mark_sending([p for p in pending if p.action == Action.CREATE and not p.was_maybe_sent])
    return pending


def _send(client, config, batch: list[Pending]) -> tuple[dict, set[int]]:
    """The shop's answer per listing of one batch, and those found by SKU; no database."""
    by_action: dict[str, list[Pending]] = {}
    for item in batch:
        by_action.setdefault(item.action, []).append(item)
    answers: dict[int, PublishedVariant | RefusedVariant | None] = {}
    recovered = _create(client, by_action.get(Action.CREATE, []), answers)
    _set_status(client, by_action.get(Action.UNPUBLISH, []), "ARCHIVED", answers)
    _set_status(client, by_action.get(Action.REACTIVATE, []), "ACTIVE", answers)
    updates = by_action.get(Action.UPDATE, []) + by_action.get(Action.REACTIVATE, [])
    updates = [p for p in updates if not isinstance(answers.get(p.listing.pk), RefusedVariant)]
    for item, answer in zip(
        updates, client.update_variants([p.draft for p in updates]), strict=True
    ):
        answers[item.listing.pk] = answer
    for item in by_action.get(Action.NO_PRICE, []):
        answers[item.listing.pk] = _no_price(item, config)
    return answers, recovered


def _create(client, creates: list[Pending], answers: dict) -> set[int]:
    """Create what the shop lacks; a row maybe sent before is looked up by SKU first."""
    recovered = set()
    suspects = [p for p in creates if p.was_maybe_sent]
    if suspects:
        found = client.find_variants([p.draft.sku for p in suspects])
        for item in suspects:
            variant = found.get(item.draft.sku)
            if variant is not None:
                answers[item.listing.pk] = PublishedVariant(
                    item.draft.key,
                    variant.sku,
                    variant.product_id,
                    variant.variant_id,
                    variant.inventory_item_id,
                )
                recovered.add(item.listing.pk)
    to_create = [p for p in creates if p.listing.pk not in recovered]
    if not to_create:
        return recovered
    for item, answer in zip(
        to_create, client.create_products([p.draft for p in to_create]), strict=True
    ):
        answers[item.listing.pk] = answer
    return recovered


def _set_status(client, items: list[Pending], status: str, answers: dict) -> None:
    if not items:
        return
    for item, answer in zip(
        items, client.set_product_status([p.draft for p in items], status), strict=True
    ):
        answers[item.listing.pk] = answer


def _no_price(item: Pending, config) -> RefusedVariant:
    area = f"{config.sales_org}/{config.distribution_channel} {config.price_condition_type}"
    return RefusedVariant(
        item.draft.key,
        item.draft.sku,
        "price",
        "price",
        f"no price in force today for {item.listing.product.number} in {area}; nothing sent",
        "NO_PRICE",
    )


# --- a refused listing, published again by "Retry now" -----------------------------------
@transaction_kind(
    CATALOG_PUBLISH_LISTING,
    description="A listing the channel's shop refused (Retry now publishes it again)",
    lane=Lane.BATCH,
    subject="catalog.Listing",
    retry=RetryDefaults(5, (30, 120, 600)),
)
def republish_listing(tx: SyncTransaction) -> Outcome:
    """Publish one refused listing again; fails again naming the field while the shop refuses."""
    listing = Listing.objects.get(pk=tx.subject_id)
    if listing.publish_state == PublishState.PUBLISHED:
        return Outcome(message=f"{listing.channel_sku} is already published")
    config = ChannelConfig.objects.select_related("partner").get(partner_id=listing.channel_id)
    with try_exclusive(CATALOG_PUBLISH, listing.channel_id) as held:
        if not held:
            raise TransientError(
                "a publication of this channel is running", code="publication_busy"
            )
        result = publish_listings(shop_client(config), config, [listing.pk], reopen_failures=False)
    if result.refusals:
        publication = ListingPublication.objects.get(pk=listing.pk)
        return Outcome(
            message=result.message_without_run(),
            failure=(f"shopify_{publication.error_code.lower()}", result.refusals[0]),
        )
    return Outcome(message=f"{listing.channel_sku}: {result.message_without_run()}")


# --- stock ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StockRefusal:
    """A quantity the shop did not take: ``field`` names the input field, as the shop did."""

    sku: str
    location_code: str
    field: str
    message: str
    code: str


@dataclass(frozen=True)
class InventoryOutcome:
    """``sent`` quantities set; ``not_in_shop``: SKUs the shop has no variant of yet (publish
    the listing first; send them again afterwards)."""

    sent: int
    refused: list[StockRefusal]
    not_in_shop: list[str]


def publish_inventory(
    channel: Partner | int,
    quantities: Iterable,
    *,
    reason: str = "correction",
    reference_uri: str | None = None,
) -> InventoryOutcome:
    """Set the shop's ``available`` quantity of each (listing or channel SKU, location code,
    quantity) -- a triple, or an object with ``channel_sku``, ``channel_location`` and
    ``quantity``.

    Absolute and idempotent: sending the same quantities again changes nothing.
    A location code is mapped to the shop's location by ``ShopLocation``, or
    found once by name in the shop (and remembered). Connector errors
    (``TransientError``, ``ConfigError``) reach the caller, whose transaction
    retries or fails; refusals come back per quantity.
    """
    channel_id = channel if isinstance(channel, int) else channel.pk
    config = ChannelConfig.objects.select_related("partner").get(partner_id=channel_id)
    client = shop_client(config)
    wanted = [_quantity(item) for item in quantities]
    items = _inventory_items(channel_id, {sku for sku, _, _ in wanted})
    locations = _shop_locations(client, channel_id, {code for _, code, _ in wanted})
    drafts, refused, missing = [], [], []
    for index, (sku, code, quantity) in enumerate(wanted):
        if sku not in items:
            missing.append(sku)
        elif code not in locations:
            message = f"the shop has no location named {code} (map it in Shop locations)"
            refused.append(StockRefusal(sku, code, "locationId", message, "UNKNOWN_LOCATION"))
        else:
            drafts.append(QuantityDraft(str(index), items[sku], locations[code], quantity))
    shop_refusals = client.set_available(drafts, reason=reason, reference_uri=reference_uri)
    for refusal in shop_refusals:
        sku, code, _ = wanted[int(refusal.key)]
        refused.append(StockRefusal(sku, code, refusal.field, refusal.message, refusal.code))
    return InventoryOutcome(len(drafts) - len(shop_refusals), refused, missing)


def _quantity(item) -> tuple[str, str, int]:
    """(channel SKU, location code, quantity) of a triple, or of an object with
    ``channel_sku``, ``channel_location`` and ``quantity`` (availability's rows)."""
    if isinstance(item, tuple):
        listing, location, quantity = item
        sku = listing.channel_sku if isinstance(listing, Listing) else str(listing)
        return sku, location, int(quantity)
    return item.channel_sku, item.channel_location, int(item.quantity)


def _inventory_items(channel_id: int, skus: set[str]) -> dict[str, str]:
    return dict(
        ListingPublication.objects.filter(
            listing__channel_id=channel_id, listing__channel_sku__in=skus
        )
        .exclude(inventory_item_gid="")
        .values_list("listing__channel_sku", "inventory_item_gid")
    )


def _shop_locations(client, channel_id: int, codes: set[str]) -> dict[str, str]:
    known = dict(
        ShopLocation.objects.filter(channel_id=channel_id, location_code__in=codes).values_list(
            "location_code", "location_gid"
        )
    )
    if codes - set(known):
        in_shop = client.location_ids()
        for code in codes - set(known):
            if code in in_shop:
                ShopLocation.objects.get_or_create(
                    channel_id=channel_id,
                    location_code=code,
                    defaults={"location_gid": in_shop[code]},
                )
                known[code] = in_shop[code]
    return known


# --- triggers: a channel gets a shop, a load ends -------------------------------------------
def _on_channel_config_saved(sender, instance, **_signal_arguments) -> None:
    if instance.shop_url:
        ensure_partner_schedules(instance.partner)


def _on_load_saved(sender, instance, **_signal_arguments) -> None:
    if instance.status == "succeeded" and instance.listings_changed_count:
        transaction.on_commit(start_all_publications)


post_save.connect(_on_channel_config_saved, sender=ChannelConfig, dispatch_uid="catalog-shop")
post_save.connect(_on_load_saved, sender="catalog.CatalogLoad", dispatch_uid="catalog-publish")
