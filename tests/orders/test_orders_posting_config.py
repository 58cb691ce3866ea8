"""Posting an order whose channel or ERP is not set up fails at once, saying what to fix."""

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.orders.models import Order
from syncplatform.orders.services import post_order_to_erp
from syncplatform.partners.models import ChannelConfig
from tests.support.orders import canonical_order


def test_given_a_channel_without_config_when_posting_then_failed_naming_the_channel(
    post_order, channel
):
    post_order(canonical_order())
    ChannelConfig.objects.filter(partner=channel).delete()

    tx = run_transaction(Order.objects.get().erp_transaction.pk, post_order_to_erp)

    assert (tx.state, tx.attempts, tx.last_error_code) == (
        TransactionState.FAILED,
        1,
        "channel_config",
    )
    assert tx.last_error_message.startswith("channel web-shop has no channel config naming")


def test_given_an_erp_without_endpoint_when_posting_then_failed_naming_the_erp(
    post_order, erp_partner
):
    post_order(canonical_order())

    tx = run_transaction(Order.objects.get().erp_transaction.pk, post_order_to_erp)

    assert (tx.state, tx.attempts, tx.last_error_code) == (
        TransactionState.FAILED,
        1,
        "erp_endpoint",
    )
    assert tx.last_error_message == (
        "ERP partner test-erp has no ERP endpoint (admin: Partners > test-erp)"
    )
