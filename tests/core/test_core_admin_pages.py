"""Every admin page an operator can open renders (no 500 anywhere in the ops console)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import open_transaction
from syncplatform.orders.models import Order
from tests.support.orders import canonical_order


@pytest.fixture
def some_rows(published, channel):
    """One row in the busiest tables, so change pages have something to show."""
    from syncplatform.orders.api.serializers import CanonicalOrderSerializer
    from syncplatform.orders.services import IntakeRequest, accept_order

    serializer = CanonicalOrderSerializer(data=canonical_order())
    serializer.is_valid(raise_exception=True)
    accept_order(
        IntakeRequest(channel, "admin-pages", "k-1", b"{}", "c" * 32), serializer.validated_data
    )
    open_transaction(
        kind="edi.945.in",
        partner=channel,
        business_key="945_1.edi",
        correlation_id="c" * 32,
        message="received",
        publish=False,
    )


@pytest.mark.parametrize("model", admin.site._registry, ids=lambda m: m._meta.label)
def test_given_a_superuser_then_each_changelist_and_change_page_renders(
    admin_client, some_rows, model
):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200

    first = model._default_manager.order_by("pk").first()
    if first is not None:
        page = admin_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
        )
        assert page.status_code == 200


def test_given_the_rows_then_the_order_list_links_its_posting_transaction(admin_client, some_rows):
    order = Order.objects.get()
    tx = SyncTransaction.objects.get(kind="erp.order.post")

    page = admin_client.get(reverse("admin:orders_order_changelist")).content.decode()

    assert reverse("admin:audit_synctransaction_change", args=[tx.pk]) in page
    assert order.channel_order_number in page
