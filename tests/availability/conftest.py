"""Fixtures for available-to-sell: fulfilment's channel, warehouses, mappings and files.

The 846s and 945s go through fulfilment's own inbound path (``receive_file``);
orders through the orders intake service. Nothing reaches the broker: what
would be published is recorded (``published``), and the recompute and
publication transactions are run here with the runner.
"""

import pytest

from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.availability.models import Availability
from syncplatform.availability.services import collect_stale_availability
from tests.fulfillment.conftest import (  # noqa: F401  (fixtures)
    _no_broker,
    config,
    mappings,
    other_warehouse,
    posted_order,
    sent_orders,
)


@pytest.fixture
def run_published(published):
    """Run the availability transactions published so far, once; their kinds.

    Other kinds (the 997 to the warehouse, the ERP posting) are left alone.
    """

    def run() -> list[str]:
        ran = []
        while published:
            name, args = published.pop(0)
            is_ours = SyncTransaction.objects.filter(pk=args[0], kind__startswith="availability.")
            if name == RUN_TRANSACTION_TASK and is_ours.exists():
                tx = run_transaction(args[0])
                assert tx is not None, f"transaction {args[0]} was not runnable"
                assert tx.state == "succeeded", (tx, tx.last_error_message)
                ran.append(tx.kind)
        return ran

    return run


@pytest.fixture
def settle(django_capture_on_commit_callbacks, run_published):
    """``settle(action)``: do it, commit (on_commit callbacks run), run what it queued.

    Marks left by orders and shipments are collected as the scheduled job would.
    """

    def act(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = action(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            collect_stale_availability()
        while True:
            with django_capture_on_commit_callbacks(execute=True):
                ran = run_published()
            if not ran:
                return result

    return act


def figures(channel_sku: str, location: str = "STORE-017") -> dict:
    row = Availability.objects.get(channel_sku=channel_sku, channel_location=location)
    return {
        "stock": row.stock_quantity,
        "open": row.open_order_quantity,
        "shipped_since": row.shipped_since_report,
        "safety": row.safety_stock,
        "available": row.available,
        "published": row.published_quantity,
        "pending": row.is_publish_pending,
    }


def recompute_transactions() -> list[SyncTransaction]:
    return list(SyncTransaction.objects.filter(kind="availability.recompute").order_by("pk"))
