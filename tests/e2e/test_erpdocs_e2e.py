"""IDocs with the ERP through real servers: PostgreSQL, RabbitMQ, gunicorn, Celery workers,
the sandbox ERP over HTTP and OpenSSH sshd.

The test plays the warehouse (it drops the 945 into its SFTP folder) and
runs the scheduled jobs' services itself where a beat would; everything the
jobs publish (940 uploads, package retries, invoice files the ERP pushes) is
run by the workers. The sandbox ERP posts our SHPCON IDocs, bills the
deliveries and pushes the INVOIC02 back to the web server.
"""

import base64
import os
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connectors.edi.shipping import CarrierRouting, PackageMark
from connectors.edi.w945 import ShippingAdvice, ShippingAdviceLine, write_945
from connectors.edi.writer import EdiIdentity, Envelope
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.celery import app as celery_app
from syncplatform.erpdocs.choices import (
    ERP_IDOC_OUT,
    ERP_IDOC_POSTING,
    ERP_INVOICE_IN,
    PostingState,
)
from syncplatform.erpdocs.models import IdocConfig, IdocPackage, InboundIdocFile, Invoice, Posting
from syncplatform.erpdocs.services import poll_idoc_statuses, send_idoc_postings
from syncplatform.erpdocs.services.history import order_history
from syncplatform.fulfillment.choices import EDI_940_OUT
from syncplatform.fulfillment.models import Interchange, WarehouseConfig
from syncplatform.fulfillment.services import poll_warehouse, send_shipping_orders
from syncplatform.orders.models import Order
from syncplatform.partners.models import Partner
from tests.erpdocs.idoc_files import invoice, package
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e

WAREHOUSE_ID, OUR_ID = EdiIdentity("ZZ", "DEMO3PL"), EdiIdentity("ZZ", "SYNCPLATFORM")
PUSH_USER, PUSH_PASSWORD = "sap-push", "push-secret-e2e-1"
FAST = {"max_attempts": 30, "delays_seconds": [1], "jitter_ratio": 0.0}


@pytest.fixture
def idoc_erp(demo_channel, erp, web_server):
    """demo-erp takes our IDocs and pushes invoices to our web server with basic auth."""
    partner = Partner.objects.get(code="demo-erp")
    config = IdocConfig.objects.create(
        partner=partner, idoc_url=erp.base_url, erp_port="SAPSBX", erp_partner="SBXCLNT100",
        inbound_username=PUSH_USER,
    )  # fmt: skip
    config.set_inbound_password(PUSH_PASSWORD)
    config.save()
    for kind in (ERP_IDOC_OUT, ERP_IDOC_POSTING, ERP_INVOICE_IN, EDI_940_OUT):
        RetryPolicy.objects.update_or_create(kind=kind, defaults=FAST)
    erp.configure(
        invoice_push_url=f"{web_server}/api/v1/erp/demo-erp/idocs",
        invoice_push_username=PUSH_USER,
        invoice_push_password=PUSH_PASSWORD,
        invoice_delay_ms=200,
        invoice_retry_delay_ms=500,
        processing_delay_ms=0,
    )
    yield config
    erp.configure(invoice_push_url="", invoice_push_username="", invoice_push_password="")


@pytest.fixture
def sftp_folder():
    root = os.environ.get("TEST_SFTP_ROOT")
    if not root:
        pytest.fail("these end-to-end tests need sshd: run them with `make test`")
    base = Path(root) / f"erpdocs-e2e-{uuid.uuid4().hex[:10]}"
    for folder in ("", "outbound", "inbound", "archive", "error"):
        (base / folder).mkdir(exist_ok=True)
        (base / folder).chmod(0o777)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def warehouse(demo_channel, sftp_folder):
    partner = Partner.objects.get(code="demo-3pl")
    WarehouseConfig.objects.create(
        partner=partner,
        sftp_host=os.environ["TEST_SFTP_HOST"],
        sftp_port=int(os.environ["TEST_SFTP_PORT"]),
        sftp_username=os.environ["TEST_SFTP_USER"],
        sftp_private_key=Path(os.environ["TEST_SFTP_KEY"]).read_text(),
        sftp_known_hosts=os.environ["TEST_SFTP_HOST_KEY"],
        settle_seconds=0,
        our_isa_id=OUR_ID.id,
        their_isa_id=WAREHOUSE_ID.id,
        **{f"{f}_folder": f"{sftp_folder.name}/{f}" for f in ("outbound", "inbound", "archive")},
        error_folder=f"{sftp_folder.name}/error",
    )
    return partner


def shipped(web_server, demo_channel, warehouse, sftp_folder, number: str, control: int) -> Order:
    """An order posted through the API, sent in a 940 and shipped by a 945 from the warehouse."""
    accepted = post_order(web_server, demo_channel.api_key, canonical_order(number), number)
    wait_for_status(web_server, demo_channel.api_key, accepted.json()["id"], "posted")
    order = Order.objects.get(pk=accepted.json()["id"])
    interchange = send_shipping_orders(warehouse.pk)
    wait_until(lambda: _succeeded(interchange.transaction_id), timeout=30, what="940 upload")
    advice = ShippingAdvice(
        depositor_order_number=order.erp_reference,
        shipped_on=date.today(),
        shipment_id=f"SHP-{number}",
        carrier=CarrierRouting(scac="UPSN", transportation_method="M"),
        lines=tuple(
            ShippingAdviceLine(
                quantity_shipped=Decimal(line.quantity), unit="EA",
                quantity_ordered=Decimal(line.quantity), sku="MAT-100200", sku_qualifier="VN",
                line_number=line.line_number,
                package_marks=(PackageMark("CP", f"1Z999AA1{order.pk:010d}"),),
            )
            for line in order.lines.all()
        ),
    )  # fmt: skip
    envelope = Envelope(
        sender=WAREHOUSE_ID, receiver=OUR_ID, interchange_control_number=control,
        group_control_number=control, prepared_at=datetime.now(UTC),
    )  # fmt: skip
    temporary = sftp_folder / "inbound" / f".945_{control}.tmp"
    temporary.write_bytes(write_945([advice], envelope))
    old = (datetime.now() - timedelta(minutes=5)).timestamp()
    os.utime(temporary, (old, old))
    temporary.rename(sftp_folder / "inbound" / f"945_{control}.edi")
    assert poll_warehouse(warehouse.pk) == 1
    order.refresh_from_db()
    assert order.status == "shipped"
    return order


def _succeeded(tx_id: int) -> bool:
    return SyncTransaction.objects.get(pk=tx_id).state == TransactionState.SUCCEEDED


def settle_statuses(erp_id: int):
    def settled():
        poll_idoc_statuses(erp_id)
        return not Posting.objects.filter(state=PostingState.SENT).exists()

    wait_until(settled, timeout=30, what="the ERP's IDoc statuses")


def sandbox_idocs(erp, message_id: str) -> list[dict]:
    response = requests.get(
        f"{erp.base_url}/_sandbox/idocs", params={"message_id": message_id}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def test_order_to_invoice_the_whole_loop_is_on_the_orders_history(
    idoc_erp, warehouse, sftp_folder, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")

    # an order posted, sent as a 940 and shipped by the warehouse's 945
    order = shipped(web_server, demo_channel, warehouse, sftp_folder, "IDOC-LOOP", 901)
    assert order.erp_delivery_number

    # the shipment confirmation goes to the ERP in a package, which posts it
    [sent] = send_idoc_postings(idoc_erp.partner_id)
    assert _succeeded(sent.transaction_id)
    settle_statuses(idoc_erp.partner_id)
    posting = Posting.objects.get(order=order)
    assert posting.state == PostingState.POSTED

    # the ERP bills the delivery and pushes its INVOIC02 to us; a worker applies it
    invoice_row = wait_until(
        lambda: Invoice.objects.filter(order=order).first(), timeout=60, what="the invoice"
    )
    assert invoice_row.delivery_number == order.erp_delivery_number
    assert invoice_row.shipment_confirmation_id == posting.pk
    assert invoice_row.total_due == order.grand_total

    # every step is on the order's history, and every one succeeded
    history = order_history(order.pk)
    kinds = [line.kind for line in history]
    for kind in ("erp.order.post", "edi.940.out", "edi.945.in", ERP_IDOC_OUT, ERP_INVOICE_IN):
        assert kind in kinds, history
    assert {line.state for line in history} == {TransactionState.SUCCEEDED}, history
    assert any("ERP status 53" in line.what for line in history)


def test_a_status_51_surfaces_as_failed_and_a_resend_after_the_fix_succeeds(
    idoc_erp, warehouse, sftp_folder, demo_channel, web_server, erp, start_worker, admin_session
):
    start_worker(queues="realtime,batch")
    order = shipped(web_server, demo_channel, warehouse, sftp_folder, "IDOC-51", 902)
    posting = Posting.objects.get(order=order)
    good_delivery = posting.delivery_number
    Posting.objects.filter(pk=posting.pk).update(delivery_number="0089999999")  # unknown to the ERP

    send_idoc_postings(idoc_erp.partner_id)
    settle_statuses(idoc_erp.partner_id)

    failed = SyncTransaction.objects.get(kind=ERP_IDOC_POSTING)
    failed_idoc = Posting.objects.get(pk=posting.pk).current_idoc
    assert failed.state == TransactionState.FAILED
    assert f"IDoc {failed_idoc.docnum}" in failed.last_error_message
    assert "0089999999" in failed.last_error_message  # SAP's text names the delivery
    assert order.channel_order_number in failed.last_error_message

    # operations correct the delivery number and resend from the admin
    from django.contrib.auth.models import Permission, User

    User.objects.get(username="ops").user_permissions.add(
        *Permission.objects.filter(codename__in=["view_posting", "change_posting"])
    )
    Posting.objects.filter(pk=posting.pk).update(delivery_number=good_delivery)
    admin_session.run_action("erpdocs/posting", "resend", [posting.pk])
    wait_until(
        lambda: Posting.objects.get(pk=posting.pk).state == PostingState.PENDING,
        timeout=30,
        what="the worker to queue the resend",
    )
    send_idoc_postings(idoc_erp.partner_id)
    settle_statuses(idoc_erp.partner_id)

    resent = Posting.objects.get(pk=posting.pk)
    assert resent.state == PostingState.POSTED
    assert resent.current_idoc.resends_id == failed_idoc.pk
    failed.refresh_from_db()
    assert failed.state == TransactionState.SUCCEEDED
    assert failed.events.filter(kind="replayed", actor__username="ops").exists()


def test_a_worker_killed_mid_package_and_still_no_idoc_posted_twice(
    idoc_erp, warehouse, sftp_folder, demo_channel, web_server, erp, start_worker
):
    # given: two shipments waiting, and an ERP that stores a package, then stalls its answer
    start_worker("orders", queues="realtime")
    batch = start_worker("doomed", queues="batch")
    orders = [
        shipped(web_server, demo_channel, warehouse, sftp_folder, f"IDOC-KILL-{n}", 910 + n)
        for n in (1, 2)
    ]
    erp.configure(timeout_after_commit_ms=20_000)

    # when beat's job runs on the batch worker and the worker dies while the ERP stalls
    celery_app.send_task(RUN_SCHEDULED_JOB_TASK, args=[ERP_IDOC_OUT, idoc_erp.partner_id],
                         queue="batch")  # fmt: skip
    sent = wait_until(IdocPackage.objects.first, timeout=30, what="the package to be built")
    wait_until(lambda: sandbox_idocs(erp, sent.message_id), timeout=30, what="the ERP to store it")
    batch.kill()
    erp.configure(timeout_after_commit_ms=0)

    # then a new worker finishes the package through the sweeper, under the same message id
    start_worker("survivor", queues="batch")

    def recovered():
        sweep_due_transactions()
        return _succeeded(sent.transaction_id)

    wait_until(recovered, timeout=60, what="the package to be sent again")
    tx = SyncTransaction.objects.get(pk=sent.transaction_id)
    assert "lease.expired" in tx.events.values_list("kind", flat=True)
    assert IdocPackage.objects.count() == 1
    assert len(sandbox_idocs(erp, sent.message_id)) == 2
    settle_statuses(idoc_erp.partner_id)
    for order in orders:
        assert Posting.objects.get(order=order).state == PostingState.POSTED
    assert {i["status"] for i in sandbox_idocs(erp, sent.message_id)} == {"53"}


def test_an_erp_outage_during_a_package_then_recovery(
    idoc_erp, warehouse, sftp_folder, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    order = shipped(web_server, demo_channel, warehouse, sftp_folder, "IDOC-OUT", 920)
    erp.configure(outage=True)

    [attempted] = send_idoc_postings(idoc_erp.partner_id)
    tx = SyncTransaction.objects.get(pk=attempted.transaction_id)
    assert tx.state == TransactionState.RETRYING and tx.last_error_code == "erp_unavailable"

    erp.configure(outage=False)

    def sent():
        sweep_due_transactions()
        return _succeeded(attempted.transaction_id)

    wait_until(sent, timeout=60, what="the retried package")
    settle_statuses(idoc_erp.partner_id)
    assert Posting.objects.get(order=order).state == PostingState.POSTED
    assert len(sandbox_idocs(erp, attempted.message_id)) == 1


def push(web_server, body: bytes) -> requests.Response:
    auth = base64.b64encode(f"{PUSH_USER}:{PUSH_PASSWORD}".encode()).decode()
    return requests.post(
        f"{web_server}/api/v1/erp/demo-erp/idocs",
        data=body,
        timeout=30,
        headers={"Authorization": f"Basic {auth}", "Content-Type": "application/xml"},
    )


def test_an_invoic02_pushed_twice_is_applied_once(
    idoc_erp, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    accepted = post_order(web_server, demo_channel.api_key, canonical_order("IDOC-TWICE"), "tw")
    wait_for_status(web_server, demo_channel.api_key, accepted.json()["id"], "posted")
    order = Order.objects.get(pk=accepted.json()["id"])
    body = package(invoice(777001, sales_order=order.erp_document_number))

    first, second = push(web_server, body), push(web_server, body)

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["status"] == "duplicate"
    assert second.json()["duplicate_of"] == first.json()["id"]
    wait_until(
        lambda: _succeeded(InboundIdocFile.objects.get(pk=first.json()["id"]).transaction_id),
        timeout=30,
        what="the invoice file applied",
    )
    assert Invoice.objects.filter(order=order).count() == 1


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE INVOIC02 [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<INVOIC02><IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><DOCNUM>&x;</DOCNUM></EDI_DC40>"
    b"</IDOC></INVOIC02>"
)


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b"<INVOIC02><IDOC BEGIN='1'>", "idoc_malformed_xml", "not well-formed XML"),
        (XXE, "idoc_unsafe_xml", "DOCTYPE"),
        (
            b"<ORDERS05><IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><IDOCTYP>ORDERS05</IDOCTYP>"
            b"<MESTYP>ORDERS</MESTYP><DOCNUM>4242</DOCNUM></EDI_DC40></IDOC></ORDERS05>",
            "idoc_unknown_type",
            "IDoc 4242, segment EDI_DC40, field IDOCTYP",
        ),
        (
            package(invoice(888001, sales_order="0000099999", reference="SP-0000099999")),
            "erp_unmatched",
            "SP-0000099999",
        ),
    ],
    ids=["malformed", "xxe", "unknown-type", "unknown-order"],
)
def test_each_bad_input_gets_its_error(idoc_erp, web_server, erp, start_worker, body, code, says):
    start_worker(queues="batch")

    response = push(web_server, body)

    assert response.status_code == 202, response.text
    file = InboundIdocFile.objects.get(pk=response.json()["id"])

    def failed():
        return SyncTransaction.objects.get(pk=file.transaction_id).state == "failed"

    wait_until(failed, timeout=30, what="the file to fail")
    tx = SyncTransaction.objects.get(pk=file.transaction_id)
    assert tx.last_error_code == code and says in tx.last_error_message
    assert Invoice.objects.count() == 0


def test_the_endpoint_refuses_wrong_credentials_and_too_large_bodies(idoc_erp, web_server):
    wrong = requests.post(
        f"{web_server}/api/v1/erp/demo-erp/idocs", data=b"<INVOIC02/>", timeout=10,
        auth=(PUSH_USER, "wrong"),
    )  # fmt: skip
    assert wrong.status_code == 401
    assert wrong.headers["Content-Type"] == "application/problem+json"
    assert wrong.json()["correlation_id"] == wrong.headers["X-Correlation-ID"]
    too_large = push(web_server, b"<INVOIC02>" + b" " * (51 * 1024 * 1024) + b"</INVOIC02>")
    assert too_large.status_code == 413
    assert InboundIdocFile.objects.count() == 0
    assert Interchange.objects.count() == 0
