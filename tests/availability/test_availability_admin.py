"""The available-to-sell admin: figures with their components, safety stock, roles."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.availability.models import Availability, RecomputeChunk, SafetyStock


@pytest.fixture
def row(channel, warehouse):
    return Availability.objects.create(
        channel=channel,
        channel_sku="TSHIRT-BLK-M",
        channel_location="STORE-017",
        warehouse=warehouse,
        material="MAT-100200",
        stock_quantity=10,
        open_order_quantity=3,
        shipped_since_report=1,
        safety_stock=2,
        available=4,
        published_quantity=5,
        is_publish_pending=True,
        computed_at=timezone.now(),
    )


def member(group: str) -> User:
    user = User.objects.create_user(group, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def ops(client, db):
    client.force_login(member("operations"))
    return client


@pytest.fixture
def finance(client, db):
    client.force_login(member("finance"))
    return client


def test_the_list_shows_each_component_and_is_searchable(ops, row):
    page = ops.get(reverse("admin:availability_availability_changelist"), {"q": "MAT-100200"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [row]
    html = page.content.decode()
    for heading in (
        "Stock quantity",
        "Open order quantity",
        "Shipped since report",
        "Safety stock",
    ):
        assert heading in html
    empty = ops.get(reverse("admin:availability_availability_changelist"), {"q": "NOPE"})
    assert list(empty.context["cl"].result_list) == []


def test_the_figures_are_read_only_even_for_operations(ops, row):
    url = reverse("admin:availability_availability_change", args=[row.pk])
    assert ops.get(url).status_code == 200
    response = ops.post(url, {"available": 99})
    assert response.status_code == 403
    assert Availability.objects.get(pk=row.pk).available == 4
    assert ops.get(reverse("admin:availability_availability_add")).status_code == 403


def test_operations_set_a_safety_stock_and_its_location_is_recomputed(ops, row, channel, published):
    response = ops.post(
        reverse("admin:availability_safetystock_add"),
        {"channel": channel.pk, "channel_location": "STORE-017", "channel_sku": "", "quantity": 3},
    )

    assert response.status_code == 302, response.content.decode()[:1000]
    assert SafetyStock.objects.get().quantity == 3
    chunk = RecomputeChunk.objects.get()
    assert (chunk.cause, chunk.channel_location, chunk.skus) == (
        "safety_stock",
        "STORE-017",
        ["TSHIRT-BLK-M"],
    )
    assert SyncTransaction.objects.get(kind="availability.recompute").subject_id == chunk.pk


def test_a_negative_safety_stock_is_refused_naming_the_field(ops, channel):
    response = ops.post(
        reverse("admin:availability_safetystock_add"),
        {"channel": channel.pk, "channel_location": "STORE-017", "quantity": -1},
    )

    assert response.status_code == 200
    assert "quantity" in response.context["adminform"].form.errors
    assert not SafetyStock.objects.exists()


def test_recompute_now_queues_the_selected_rows(ops, row, published):
    response = ops.post(
        reverse("admin:availability_availability_changelist"),
        {"action": "recompute_selected", "_selected_action": [row.pk]},
    )

    assert response.status_code == 302
    chunk = RecomputeChunk.objects.get()
    assert (chunk.channel_location, chunk.skus) == ("STORE-017", ["TSHIRT-BLK-M"])


def test_finance_reads_but_cannot_change_safety_stock_or_recompute(finance, row, channel):
    assert finance.get(reverse("admin:availability_availability_changelist")).status_code == 200
    assert finance.get(reverse("admin:availability_safetystock_changelist")).status_code == 200
    response = finance.post(
        reverse("admin:availability_safetystock_add"),
        {"channel": channel.pk, "channel_location": "STORE-017", "quantity": 3},
    )
    assert response.status_code == 403
    page = finance.get(reverse("admin:availability_availability_changelist"))
    assert "recompute_selected" not in page.content.decode()
    assert not SafetyStock.objects.exists()
