"""Orders from REST intake to the sandbox ERP through real servers and a real worker."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.mappings.models import SkuMapping
from syncplatform.orders.models import Order
from tests.support.api import order_status, post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


def test_rest_order_reaches_the_erp_exactly_once(demo_channel, web_server, erp, start_worker):
    start_worker()
    response = post_order(web_server, demo_channel.api_key, canonical_order("E2E-1"), "k-e2e-1")
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "received"
    assert accepted["status_url"] == f"/api/v1/orders/{accepted['id']}"
    assert response.headers["X-Correlation-ID"] == accepted["correlation_id"]

    posted = wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted")

    order = Order.objects.get(pk=accepted["id"])
    documents = erp.documents(order.erp_reference)
    assert len(documents) == 1
    assert posted["erp_document_number"] == documents[0]["document_number"] != ""
    assert [e["kind"] for e in posted["events"]] == [
        EventKind.RECEIVED,
        EventKind.ATTEMPT_STARTED,
        EventKind.ATTEMPT_SUCCEEDED,
    ]


def test_fifty_concurrent_posts_of_one_order_make_one_order_and_one_erp_document(
    demo_channel, web_server, erp, start_worker
):
    start_worker()
    order = canonical_order("E2E-RACE")
    keys = ["same-key"] * 25 + [f"other-key-{n}" for n in range(25)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(
            pool.map(lambda key: post_order(web_server, demo_channel.api_key, order, key), keys)
        )

    assert {r.status_code for r in responses} <= {200, 202}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Order.objects.count() == 1
    assert SyncTransaction.objects.count() == 1
    stored = Order.objects.get()
    wait_for_status(web_server, demo_channel.api_key, stored.pk, "posted")
    assert len(erp.documents(stored.erp_reference)) == 1


def test_worker_killed_while_posting_then_a_new_worker_posts_exactly_once(
    demo_channel, web_server, erp, start_worker
):
    erp.configure(latency_ms=3000)
    doomed = start_worker("doomed")
    accepted = post_order(
        web_server, demo_channel.api_key, canonical_order("E2E-KILL"), "k-kill"
    ).json()
    tx = Order.objects.get(pk=accepted["id"]).erp_transaction
    wait_until(
        lambda: SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.PROCESSING,
        timeout=30,
        what="the first attempt to start",  # by the only worker: the doomed one
    )
    doomed.kill()
    erp.configure(latency_ms=0)

    start_worker("survivor")
    posted = wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted", sweep=True)

    order = Order.objects.get(pk=accepted["id"])
    documents = erp.documents(order.erp_reference)
    assert len(documents) == 1
    assert posted["erp_document_number"] == documents[0]["document_number"]
    kinds = list(tx.events.values_list("kind", flat=True))
    assert EventKind.LEASE_EXPIRED in kinds
    assert kinds.count(EventKind.ATTEMPT_STARTED) == 2


def test_erp_outage_retries_and_posts_when_the_erp_is_back(
    demo_channel, web_server, erp, start_worker
):
    erp.configure(outage=True)
    start_worker()
    accepted = post_order(
        web_server, demo_channel.api_key, canonical_order("E2E-OUTAGE"), "k-outage"
    ).json()
    tx = Order.objects.get(pk=accepted["id"]).erp_transaction

    def retrying_twice():
        sweep_due_transactions()
        tx.refresh_from_db()
        return tx.attempts >= 2 and tx.state == TransactionState.RETRYING

    wait_until(retrying_twice, timeout=30, what="two failed attempts during the outage")
    assert tx.last_error_code != ""
    assert order_status(web_server, demo_channel.api_key, accepted["id"])["status"] == "received"

    erp.configure(outage=False)
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted", sweep=True)
    assert len(erp.documents(Order.objects.get(pk=accepted["id"]).erp_reference)) == 1


def test_permanent_erp_fault_ends_failed_with_the_fault_text(
    demo_channel, web_server, erp, start_worker
):
    SkuMapping.objects.create(
        channel=demo_channel, channel_sku="RECALLED-1", erp_material="BLOCKED-4711", erp_unit="EA"
    )
    start_worker()
    accepted = post_order(
        web_server,
        demo_channel.api_key,
        canonical_order("E2E-BLOCKED", sku="RECALLED-1"),
        "k-blocked",
    ).json()

    failed = wait_for_status(web_server, demo_channel.api_key, accepted["id"], "failed")

    tx = Order.objects.get(pk=accepted["id"]).erp_transaction
    assert tx.state == TransactionState.FAILED
    assert tx.attempts == 1
    assert "BLOCKED-4711" in tx.last_error_message
    assert "BLOCKED-4711" in failed["last_error"]
    assert erp.documents(Order.objects.get(pk=accepted["id"]).erp_reference) == []


def test_missing_sku_mapping_fails_naming_the_sku_and_adding_it_posts_the_order(
    demo_channel, web_server, erp, start_worker
):
    start_worker()
    accepted = post_order(
        web_server,
        demo_channel.api_key,
        canonical_order("E2E-UNMAPPED", sku="NEW-SKU-9"),
        "k-unmapped",
    ).json()
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "failed")
    tx = Order.objects.get(pk=accepted["id"]).erp_transaction
    tx.refresh_from_db()
    assert tx.last_error_code == "mapping_missing"
    assert "sku NEW-SKU-9" in tx.last_error_message

    # the fix alone is enough: the console retries what the new mapping unblocks
    SkuMapping.objects.create(
        channel=demo_channel, channel_sku="NEW-SKU-9", erp_material="MAT-999", erp_unit="EA"
    )

    posted = wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted")
    assert posted["erp_document_number"]
    replayed = tx.events.get(kind=EventKind.REPLAYED)
    assert (replayed.actor, replayed.message) == (
        None,  # made here, outside any request: no user to name
        "retried because mapping sku NEW-SKU-9 was added by an import without a user",
    )
