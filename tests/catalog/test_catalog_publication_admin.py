"""Publication pages in the admin: runs with progress, refused listings naming the field, roles."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from syncplatform.catalog.models import ListingPublication, PublicationRun, ShopLocation
from tests.catalog.publication_fixtures import make_listing


def user_in(group: str) -> User:
    user = User.objects.create_user(group, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_running_publication_shows_rows_done_of_total_rate_and_eta(admin_client, channel):
    # given
    run = PublicationRun.objects.create(
        channel=channel, cutoff=timezone.now(), chunk_size=1000, total=2000, done=500
    )
    PublicationRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(seconds=10)
    )

    # when
    page = admin_client.get(reverse("admin:catalog_publicationrun_changelist")).content.decode()

    # then
    assert "500 of 2000" in page
    assert "25%" in page
    assert "listings/s" in page
    assert " s" in page


def test_a_refused_listing_names_the_field_on_its_page(admin_client, channel):
    listing = make_listing(channel, "MAT-1")
    ListingPublication.objects.create(
        listing=listing,
        error_field="barcode",
        error_code="INVALID_VARIANT",
        error_message="Barcode is invalid for SKU MAT-1",
    )

    page = admin_client.get(
        reverse("admin:catalog_listingpublication_changelist") + "?error_code=INVALID_VARIANT"
    ).content.decode()

    assert "barcode" in page and "Barcode is invalid for SKU MAT-1" in page


def test_operations_map_shop_locations_and_finance_only_look(client, channel):
    # given
    operations, finance = user_in("operations"), user_in("finance")
    add_url = reverse("admin:catalog_shoplocation_add")
    data = {
        "channel": channel.pk,
        "location_code": "WEB-DC",
        "location_gid": "gid://shopify/Location/1",
    }

    # when
    client.force_login(finance)
    refused = client.post(add_url, data)
    listed = client.get(reverse("admin:catalog_publicationrun_changelist"))
    client.force_login(operations)
    added = client.post(add_url, data)

    # then
    assert refused.status_code == 403
    assert listed.status_code == 200
    assert added.status_code == 302
    assert ShopLocation.objects.get().location_gid == "gid://shopify/Location/1"
