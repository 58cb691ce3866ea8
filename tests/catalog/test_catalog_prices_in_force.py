"""Prices valid from a later day reach listings on that day, and a missed day is caught up."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from syncplatform.audit import registry
from syncplatform.catalog.choices import PublishState
from syncplatform.catalog.models import Listing, Price, PriceDayMark, PublicationRun
from syncplatform.catalog.services.loads import load_file_now
from syncplatform.catalog.services.prices_in_force import CATALOG_PRICE_DAYS, put_prices_in_force

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()


def _on(monkeypatch, days: int):
    """Move the platform's calendar ``days`` after today (what listings and the job read)."""
    day = TODAY + timedelta(days=days)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


def _pending() -> set[str]:
    return set(
        Listing.objects.filter(publish_state=PublishState.PENDING).values_list(
            "product__number", flat=True
        )
    )


def _published_all() -> None:
    Listing.objects.update(publish_state=PublishState.PUBLISHED)


def _future_price(material: str, *, days: int, amount: str) -> None:
    Price.objects.create(
        condition_type="PR00",
        sales_org="1000",
        distribution_channel="10",
        material=material,
        amount=Decimal(amount),
        currency="EUR",
        valid_from=TODAY + timedelta(days=days),
        valid_to=TODAY + timedelta(days=3650),
        content_hash=hashlib.sha256(f"{material}|{amount}".encode()).digest(),
    )


@pytest.fixture
def priced_catalog(materials_source, prices_source, listing_channel, matmas_file, conda04_file):
    """Listed materials with prices in force (loaded), all published; the channel has a shop."""
    load_file_now(materials_source, matmas_file("m.xml", 6)[0])
    load_file_now(prices_source, conda04_file("p.xml", 6)[0])
    listing_channel.shop_url, listing_channel.shop_access_token = "http://127.0.0.1:9/s", "t"
    listing_channel.save()
    _published_all()
    listed = list(Listing.objects.filter(is_listed=True).values_list("product__number", flat=True))
    assert len(listed) >= 3
    return sorted(listed)


def test_a_future_price_changes_only_its_listing_on_its_day_and_starts_a_publication(
    priced_catalog, monkeypatch, published
):
    # given: a price of the first listed material valid from tomorrow
    first = priced_catalog[0]
    _future_price(first, days=1, amount="12.34")

    # when the job runs today, nothing is in force yet
    assert put_prices_in_force() == 0
    assert _pending() == set()

    # when it runs tomorrow
    _on(monkeypatch, 1)
    changed = put_prices_in_force()

    # then exactly that listing waits for publication, and a publication of it started
    assert changed == 1
    assert _pending() == {first}
    run = PublicationRun.objects.get()
    assert run.total == 1
    assert PriceDayMark.objects.get().through_date == TODAY + timedelta(days=1)

    # and a second run on the same day does nothing
    _published_all()
    assert put_prices_in_force() == 0
    assert _pending() == set()


def test_days_the_job_missed_are_caught_up_including_a_price_that_ran_out(
    priced_catalog, monkeypatch, published
):
    # given: the job ran today; a price starts in 3 days, another stops after tomorrow
    put_prices_in_force()
    second, third = priced_catalog[1], priced_catalog[2]
    _future_price(second, days=3, amount="9.99")
    Price.objects.filter(material=third).update(valid_to=TODAY + timedelta(days=1))

    # when the job next runs four days later (three runs missed)
    _on(monkeypatch, 4)
    changed = put_prices_in_force()

    # then both listings changed: the new price, and no price in force any more
    assert changed == 2
    assert _pending() == {second, third}
    assert PriceDayMark.objects.get().through_date == TODAY + timedelta(days=4)


def test_the_job_is_declared_on_the_batch_lane_checked_hourly():
    job = registry.schedule(CATALOG_PRICE_DAYS)
    assert job.job is put_prices_in_force
    assert (job.every_seconds, job.lane, job.per_partner) == (3600, "batch", "")
