"""The catalog's tables as other apps build on them: listings per channel, roles."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncplatform.catalog.choices import LoadStatus, PublishState, SourceKind
from syncplatform.catalog.models import CatalogLoad, CatalogSource, Listing, Product

pytestmark = pytest.mark.django_db


def test_a_listing_is_unique_per_channel_and_product(channel):
    product = Product.objects.create(number="100", base_unit="EA", content_hash=b"x")
    Listing.objects.create(
        channel=channel,
        product=product,
        channel_sku="100",
        content_hash=b"h",
        changed_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.create(
            channel=channel,
            product=product,
            channel_sku="other",
            content_hash=b"h",
            changed_at=timezone.now(),
        )


def test_a_new_listing_waits_for_publication(channel):
    product = Product.objects.create(number="100", base_unit="EA", content_hash=b"x")
    listing = Listing.objects.create(
        channel=channel,
        product=product,
        channel_sku="100",
        content_hash=b"h",
        changed_at=timezone.now(),
    )
    assert listing.publish_state == PublishState.PENDING


def test_the_same_file_twice_is_refused_by_the_database_unless_the_first_failed(erp):
    source = CatalogSource.objects.create(partner=erp, code="erp-mat", kind=SourceKind.MATMAS05)
    first = CatalogLoad.objects.create(source=source, file_name="a", origin="command", sha256="s")
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogLoad.objects.create(source=source, file_name="b", origin="command", sha256="s")
    CatalogLoad.objects.filter(pk=first.pk).update(status=LoadStatus.FAILED)
    CatalogLoad.objects.create(source=source, file_name="c", origin="command", sha256="s")


def test_operations_run_loads_and_finance_only_views():
    operations = set(
        Group.objects.get(name="operations").permissions.values_list("codename", flat=True)
    )
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))
    assert {"run_catalogload", "change_catalogsource", "view_listing"} <= operations
    assert "view_catalogload" in finance and "view_product" in finance
    catalog_models = {"catalogsource", "catalogload", "refusedrow", "product", "listing", "price"}
    assert not [
        c
        for c in finance
        if c.startswith(("add_", "change_", "delete_", "run_"))
        and c.split("_", 1)[1] in catalog_models
    ]
    assert "run_catalogload" not in finance and "change_catalogsource" not in finance
