"""Listings as loads leave them, a channel with a shop, and running a publication to its end.

Shared by the publication tests (service, e2e and the benchmark's checks);
rows are made through the ORM with the shapes the catalog load writes.
"""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.catalog.choices import PublishState
from syncplatform.catalog.models import Listing, Price, Product, ProductUnit
from syncplatform.partners.models import ChannelConfig


def shop_channel_config(channel, erp, shop) -> ChannelConfig:
    return ChannelConfig.objects.create(
        partner=channel,
        erp=erp,
        sales_org="1000",
        distribution_channel="10",
        shop_url=shop.url,
        shop_access_token=shop.token,
    )


def make_listing(
    channel, number: str, *, sku: str | None = None, price="19.99", ean="4006381333931"
) -> Listing:
    """A material with its base unit, EAN, price in force and a pending listing on ``channel``."""
    product = Product.objects.create(
        number=number,
        base_unit="EA",
        descriptions={"EN": f"Article {number}"},
        sales_areas=[{"VKORG": "1000", "VTWEG": "10", "LVORM": False, "VMSTA": ""}],
        content_hash=hashlib.sha256(number.encode()).digest(),
    )
    ProductUnit.objects.create(product=product, unit="EA", main_ean=ean)
    if price is not None:
        set_price(number, price)
    listing = Listing(
        channel=channel,
        product=product,
        channel_sku=sku or number,
        content_hash=b"",
        changed_at=timezone.now() - timedelta(seconds=1),
    )
    listing.content_hash = listing_digest(listing, price)
    listing.save()
    return listing


def set_price(number: str, amount: str) -> None:
    Price.objects.update_or_create(
        condition_type="PR00",
        sales_org="1000",
        distribution_channel="10",
        material=number,
        valid_from=date.today() - timedelta(days=1),
        defaults={
            "amount": Decimal(amount),
            "currency": "EUR",
            "valid_to": date(9999, 12, 31),
            "content_hash": hashlib.sha256(amount.encode()).digest(),
        },
    )


def listing_digest(listing: Listing, price) -> bytes:
    text = f"{listing.product.number}|{listing.channel_sku}|{listing.is_listed}|{price}"
    return hashlib.sha256(text.encode()).digest()


def change_listing(listing: Listing, *, price: str | None = None, is_listed=None) -> None:
    """What a load does to a listing whose content changed: new hash, pending, stamped."""
    if price is not None:
        set_price(listing.product.number, price)
    if is_listed is not None:
        listing.is_listed = is_listed
    listing.content_hash = listing_digest(listing, price or "same")
    listing.publish_state = PublishState.PENDING
    listing.changed_at = timezone.now() - timedelta(milliseconds=10)
    listing.save()


def run_publication_chunks(kind: str = "catalog.publish", limit: int = 100) -> list:
    """Run every runnable chunk transaction in this process until none is left."""
    ran = []
    for _ in range(limit):
        due = (
            SyncTransaction.objects.filter(kind=kind, state__in=("received", "retrying"))
            .order_by("pk")
            .first()
        )
        if due is None:
            return ran
        SyncTransaction.objects.filter(pk=due.pk).update(next_attempt_at=timezone.now())
        ran.append(run_transaction(due.pk))
    raise AssertionError(f"still runnable {kind} transactions after {limit} runs")
