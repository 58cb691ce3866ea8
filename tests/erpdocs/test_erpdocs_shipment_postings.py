"""Shipment confirmations: a recorded 945 shipment becomes a SHPCON posting, sent in packages."""

from decimal import Decimal

import pytest

from connectors.idoc import read_package
from syncplatform.audit.models import SyncTransaction
from syncplatform.erpdocs.choices import ERP_IDOC_OUT, ERP_IDOC_POSTING, PostingKind, PostingState
from syncplatform.erpdocs.models import Idoc, IdocConfig, IdocPackage, Posting
from syncplatform.erpdocs.services import poll_idoc_statuses, send_idoc_postings
from tests.fulfillment.fulfillment_files import order_line
from tests.support.processes import wait_until

# The send job sends from a second thread, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def settled(erp_id: int, count: int) -> bool:
    poll_idoc_statuses(erp_id)
    return Posting.objects.filter(state=PostingState.SENT).count() == 0 and (
        Posting.objects.exclude(state=PostingState.PENDING).count() >= count
    )


def test_a_recorded_shipment_makes_one_pending_shpcon_for_the_orders_delivery(shipped_order):
    # when
    order = shipped_order("ERP-1")

    # then
    [posting] = Posting.objects.all()
    assert order.erp_delivery_number
    assert (posting.kind, posting.state) == (PostingKind.SHIPMENT_CONFIRMATION, "pending")
    assert posting.order_id == order.pk and posting.delivery_number == order.erp_delivery_number
    assert posting.document["sales_order_number"] == order.erp_document_number
    assert posting.document["items"] == [
        {
            "item_number": 10,
            "material": "MAT-100200",
            "quantity": "2.000",
            "ordered_quantity": "2",
            "unit": "EA",
            "plant": "1000",
            "storage_location": "0001",
        }
    ]
    assert posting.document["tracking_numbers"] == ["1Z999AA10123456781"]
    assert posting.document["goods_issue_date"] == "2026-11-24"


def test_the_send_job_packages_pending_postings_and_the_erp_posts_them(
    shipped_order, idoc_config, sandbox_erp
):
    # given
    IdocConfig.objects.filter(pk=idoc_config.pk).update(package_size=2)
    orders = [shipped_order(f"ERP-{n}") for n in range(1, 4)]

    # when
    packages = send_idoc_postings(idoc_config.partner_id)

    # then
    assert [p.idoc_count for p in packages] == [2, 1]
    for package in packages:
        package.refresh_from_db()
        assert package.state == "sent"
        assert package.transaction.state == "succeeded"
        deliveries = [d.delivery_number for d in read_package(bytes(package.content))]
        assert deliveries == [i.posting.delivery_number for i in package.idocs.all()]
    docnums = list(Idoc.objects.order_by("docnum").values_list("docnum", flat=True))
    assert docnums == [f"{n:016d}" for n in (1, 2, 3)]
    assert all(i.erp_docnum for i in Idoc.objects.all())
    wait_until(lambda: settled(idoc_config.partner_id, 3), timeout=20, what="statuses")
    assert set(Posting.objects.values_list("state", flat=True)) == {PostingState.POSTED}
    first = Idoc.objects.get(posting__order=orders[0])
    assert first.status == "53" and "Goods issue posted" in first.status_text


def test_a_package_is_sent_once_and_a_second_run_finds_nothing(shipped_order, idoc_config):
    shipped_order("ERP-1")
    assert len(send_idoc_postings(idoc_config.partner_id)) == 1

    assert send_idoc_postings(idoc_config.partner_id) == []
    assert IdocPackage.objects.count() == 1
    assert SyncTransaction.objects.filter(kind=ERP_IDOC_OUT).count() == 1


def test_a_quantity_above_the_delivery_is_a_failed_transaction_naming_idoc_text_and_order(
    shipped_order, idoc_config
):
    # given: the posting says 5 were picked of the 2 ordered
    order = shipped_order("ERP-51")
    posting = Posting.objects.get()
    posting.document["items"][0]["quantity"] = "5"
    Posting.objects.filter(pk=posting.pk).update(document=posting.document)

    # when
    send_idoc_postings(idoc_config.partner_id)
    wait_until(lambda: settled(idoc_config.partner_id, 1), timeout=20, what="statuses")

    # then
    posting.refresh_from_db()
    idoc = posting.current_idoc
    assert posting.state == PostingState.FAILED and idoc.status == "51"
    tx = SyncTransaction.objects.get(kind=ERP_IDOC_POSTING)
    assert tx.state == "failed" and tx.last_error_code == "idoc_status_51"
    assert f"IDoc {idoc.docnum}" in tx.last_error_message
    assert "exceeds the delivery quantity" in tx.last_error_message
    assert order.channel_order_number in tx.last_error_message
    assert idoc.failure_transaction_id == tx.pk

    # and the status poll does not open a second one
    poll_idoc_statuses(idoc_config.partner_id)
    assert SyncTransaction.objects.filter(kind=ERP_IDOC_POSTING).count() == 1


def test_a_partial_shipment_confirms_the_shipped_quantities_and_adopts_the_short_one(
    shipped_order, idoc_config
):
    # given
    lines = [order_line(1, "TSHIRT-BLK-M", 3), order_line(2, "MUG-WHT-12OZ", 2)]
    shipped_order("ERP-P", lines=lines, shipped={1: 1, 2: 2})

    # when
    [package] = send_idoc_postings(idoc_config.partner_id)

    # then: both shipped quantities; only the short line asks SAP to adopt it (E1EDL19 QUA)
    items = Posting.objects.get().document["items"]
    assert [(i["item_number"], Decimal(i["quantity"])) for i in items] == [(10, 1), (20, 2)]
    [delivery] = read_package(bytes(IdocPackage.objects.get(pk=package.pk).content))
    assert [(i.item_number, i.quantity, i.actions) for i in delivery.items] == [
        ("000010", 1, ("QUA",)),
        ("000020", 2, ()),
    ]
    wait_until(lambda: settled(idoc_config.partner_id, 1), timeout=20, what="53")
    assert Posting.objects.get().state == PostingState.POSTED
