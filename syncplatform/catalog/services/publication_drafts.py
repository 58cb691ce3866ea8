"""What a listing looks like in the shop, read for many listings at once.

A listing becomes one Shopify product with one variant: the title is the
material's English description (else any, else its number), the SKU the
channel SKU, the barcode the main EAN of the base unit, the price the one in
force today for the channel's sales area and condition type (amount / per,
to the cent). Three queries per call, whatever the number of listings.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from connectors.channels.shopify_admin import VariantDraft

from ..models import Listing, ListingPublication, Price, ProductUnit

CENT = Decimal("0.01")


class Action:
    """What a pending listing needs from the shop."""

    CREATE = "create"  # listed, not in the shop yet
    UPDATE = "update"  # listed, in the shop: price, SKU, barcode
    REACTIVATE = "reactivate"  # listed again after it was unpublished
    UNPUBLISH = "unpublish"  # no longer listed, active in the shop
    NOTHING = "nothing"  # the shop already has this content, or never had it and need not
    NO_PRICE = "no_price"  # listed but no price in force: refused here, nothing sent


@dataclass
class Pending:
    """One pending listing with its hash as read, its publication row and its draft."""

    listing: Listing
    content_hash: bytes
    publication: ListingPublication | None
    draft: VariantDraft
    action: str

    @property
    def was_maybe_sent(self) -> bool:
        """A create left for the shop and its answer was never recorded (a crash)."""
        return self.publication is not None and self.publication.sending_at is not None


def read_pending(config, listing_ids: list[int]) -> list[Pending]:
    """The pending listings among ``listing_ids`` (in id order), with what to do for each."""
    listings = list(
        Listing.objects.filter(pk__in=listing_ids, channel_id=config.partner_id)
        .select_related("product")
        .order_by("pk")
    )
    publications = ListingPublication.objects.in_bulk([listing.pk for listing in listings])
    products = [listing.product for listing in listings]
    barcodes = _main_barcodes(products)
    prices = _prices_in_force(config, [p.number for p in products])
    pending = []
    for listing in listings:
        product = listing.product
        price = prices.get(product.number)
        draft = VariantDraft(
            key=str(listing.pk),
            title=product.description("EN") or product.number,
            sku=listing.channel_sku,
            barcode=barcodes.get(product.pk, ""),
            price=str(price) if price is not None else "",
        )
        publication = publications.get(listing.pk)
        if publication is not None and publication.variant_gid:
            draft = VariantDraft(
                **{
                    **draft.__dict__,
                    "product_id": publication.product_gid,
                    "variant_id": publication.variant_gid,
                }
            )
        content_hash = bytes(listing.content_hash)
        action = _action(listing, content_hash, publication, price)
        pending.append(Pending(listing, content_hash, publication, draft, action))
    return pending


def _action(listing, content_hash, publication, price) -> str:
    if publication is not None and bytes(publication.published_hash or b"") == content_hash:
        return Action.NOTHING
    in_shop = publication is not None and bool(publication.variant_gid)
    if not listing.is_listed:
        return Action.UNPUBLISH if in_shop and publication.is_active_in_shop else Action.NOTHING
    if price is None:
        return Action.NO_PRICE
    if not in_shop:
        return Action.CREATE
    return Action.UPDATE if publication.is_active_in_shop else Action.REACTIVATE


def _main_barcodes(products) -> dict[int, str]:
    base_units = {p.pk: p.base_unit for p in products}
    barcodes = {}
    for product_id, unit, ean in ProductUnit.objects.filter(product_id__in=base_units).values_list(
        "product_id", "unit", "main_ean"
    ):
        if unit == base_units[product_id] and ean:
            barcodes[product_id] = ean
    return barcodes


def _prices_in_force(config, materials: list[str]) -> dict[str, Decimal]:
    today = timezone.localdate()
    rows = (
        Price.objects.filter(
            material__in=materials,
            sales_org=config.sales_org,
            distribution_channel=config.distribution_channel,
            condition_type=config.price_condition_type,
            is_deleted=False,
            valid_from__lte=today,
            valid_to__gte=today,
        )
        .order_by("material", "valid_from")
        .values_list("material", "amount", "per")
    )
    # Ordered by validity start: the latest record in force wins, as in the listing's hash.
    return {
        material: (amount / (per or 1)).quantize(CENT, rounding=ROUND_HALF_UP)
        for material, amount, per in rows
    }
