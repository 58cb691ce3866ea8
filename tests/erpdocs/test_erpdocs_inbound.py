"""ERP documents in: POST /api/v1/erp/<partner>/idocs, stored at once, applied by a batch task."""

import base64
import json
import uuid

import pytest

from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.erpdocs.choices import ERP_IDOC_IN, ERP_INVOICE_IN, InboundState
from syncplatform.erpdocs.models import InboundIdocFile, Invoice
from syncplatform.erpdocs.services import issue_inbound_api_key
from syncplatform.orders.models import Order
from syncplatform.orders.services import IntakeRequest, accept_order
from tests.erpdocs.idoc_files import invoice, package
from tests.support.orders import canonical_order

URL = "/api/v1/erp/demo-erp/idocs"
BASIC = "Basic " + base64.b64encode(b"sap-push:push-secret-1").decode()


@pytest.fixture
def posted(idoc_config, channel):
    """``posted(number)``: an order marked posted as sales order 00000<pk>, delivery 008<pk>."""

    def create(number: str) -> Order:
        canonical = canonical_order(number)
        request = IntakeRequest(
            channel=channel,
            idempotency_scope="erpdocs-inbound",
            idempotency_key=number,
            body=json.dumps(canonical).encode(),
            correlation_id=uuid.uuid4().hex,
        )
        order = accept_order(request, canonical).order
        order.mark_posted(f"{10000 + order.pk:010d}", f"{80000000 + order.pk:010d}")
        return order

    return create


def push(client, body: bytes, **headers):
    headers.setdefault("HTTP_AUTHORIZATION", BASIC)
    return client.post(URL, data=body, content_type="application/xml", **headers)


def apply(file_id: int) -> SyncTransaction:
    file = InboundIdocFile.objects.get(pk=file_id)
    return run_transaction(file.transaction_id)


def test_an_invoice_pushed_with_basic_auth_is_stored_at_once_and_applied_by_its_transaction(
    client, posted, published, django_capture_on_commit_callbacks
):
    # given
    order = posted("INV-1")
    body = package(
        invoice(
            1001,
            sales_order=order.erp_document_number,
            delivery=order.erp_delivery_number,
            reference=order.erp_reference,
        )
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, body)

    # then: stored and queued, not yet applied
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["status"] == "received" and answer["correlation_id"]
    file = InboundIdocFile.objects.get(pk=answer["id"])
    assert file.open_body().read() == body and file.idoc_type == "INVOIC02"
    assert file.transaction.kind == ERP_INVOICE_IN and file.transaction.state == "received"
    assert (RUN_TRANSACTION_TASK, [file.transaction_id]) in published
    assert Invoice.objects.count() == 0

    # when the batch task runs
    tx = apply(file.pk)

    # then
    assert tx.state == "succeeded", tx.last_error_message
    [stored] = Invoice.objects.all()
    assert stored.order_id == order.pk and stored.invoice_number == "0090001001"
    assert stored.delivery_number == order.erp_delivery_number
    assert str(stored.total_due) == "51.13" and stored.docnum == f"{1001:016d}"
    [line] = stored.lines.all()
    assert (line.material, line.quantity, str(line.net_value)) == ("MAT-100200", 2, "39.98")
    assert stored.control["SNDPRN"] == "SBXCLNT100"


def test_an_api_key_of_the_erp_partner_authenticates_a_push(client, posted, idoc_config):
    _, key = issue_inbound_api_key(idoc_config)
    order = posted("INV-K")
    body = package(invoice(1002, sales_order=order.erp_document_number))

    assert push(client, body, HTTP_AUTHORIZATION="", HTTP_X_API_KEY=key).status_code == 202
    assert push(client, body, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 202


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Basic " + base64.b64encode(b"sap-push:wrong").decode(),
        "Basic not-base64!",
        "Bearer sp_000000000000_unknown",
    ],
)
def test_a_push_without_the_erps_credentials_is_refused_and_nothing_is_stored(
    client, idoc_config, authorization
):
    response = push(client, b"<INVOIC02/>", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["correlation_id"]
    assert InboundIdocFile.objects.count() == 0


def test_a_channels_api_key_does_not_open_the_erps_door(client, idoc_config, channel):
    from syncplatform.partners.services import issue_api_key

    _, channel_key = issue_api_key(channel)
    response = push(client, b"<INVOIC02/>", HTTP_AUTHORIZATION=f"Bearer {channel_key}")

    assert response.status_code == 401


def test_an_unknown_partner_is_not_found(client, idoc_config):
    response = client.post("/api/v1/erp/nobody/idocs", data=b"<x/>", content_type="application/xml")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


def test_a_body_over_the_limit_is_refused_with_413(client, idoc_config, settings):
    settings.SYNC_MAX_IDOC_BYTES = 100

    response = push(client, b"<INVOIC02>" + b" " * 200 + b"</INVOIC02>")

    assert response.status_code == 413
    assert "SYNC_MAX_IDOC_BYTES" in response.json()["detail"]
    assert InboundIdocFile.objects.count() == 0


def test_an_empty_body_is_refused_with_400(client, idoc_config):
    response = push(client, b"  \n")

    assert response.status_code == 400 and response.json()["type"].endswith("/empty-body")


def test_the_same_bytes_twice_are_recorded_as_a_duplicate_and_applied_once(
    client, posted, published, django_capture_on_commit_callbacks
):
    order = posted("INV-2")
    body = package(invoice(1003, sales_order=order.erp_document_number))
    first = push(client, body).json()
    apply(first["id"])

    with django_capture_on_commit_callbacks(execute=True):
        second = push(client, body)

    assert second.status_code == 202
    assert second.json()["status"] == "duplicate" and second.json()["duplicate_of"] == first["id"]
    duplicate = InboundIdocFile.objects.get(pk=second.json()["id"])
    assert duplicate.state == InboundState.DUPLICATE
    assert duplicate.transaction.state == "succeeded"
    assert duplicate.transaction.events.filter(kind="skipped").exists()
    assert (RUN_TRANSACTION_TASK, [duplicate.transaction_id]) not in published
    assert Invoice.objects.count() == 1


def test_the_same_docnum_in_other_bytes_is_not_applied_twice(client, posted):
    order = posted("INV-3")
    first = push(client, package(invoice(1004, sales_order=order.erp_document_number))).json()
    apply(first["id"])
    # the same IDoc again, re-sent with another creation time: other bytes, same DOCNUM
    again = invoice(1004, sales_order=order.erp_document_number, total="51.14")
    second = push(client, package(again)).json()

    tx = apply(second["id"])

    assert tx.state == "succeeded"
    assert Invoice.objects.count() == 1 and str(Invoice.objects.get().total_due) == "51.13"
    file = InboundIdocFile.objects.get(pk=second["id"])
    assert file.state == InboundState.DUPLICATE and file.duplicate_docnums == [f"{1004:016d}"]
    assert tx.events.filter(kind="note", message__contains=f"{1004:016d}").exists()


def test_an_invoice_found_by_our_reference_alone_is_linked_to_the_order(client, posted):
    order = posted("INV-R")
    body = package(invoice(1005, sales_order="0000999999", reference=order.erp_reference))

    apply(push(client, body).json()["id"])

    assert Invoice.objects.get().order_id == order.pk


def test_an_invoice_for_an_unknown_order_fails_naming_the_reference(client, idoc_config):
    body = package(invoice(1006, sales_order="0000099999", reference="SP-0000099999"))

    tx = apply(push(client, body).json()["id"])

    assert tx.state == "failed" and tx.last_error_code == "erp_unmatched"
    assert "0000099999" in tx.last_error_message and "SP-0000099999" in tx.last_error_message
    assert f"IDoc {1006:016d}" in tx.last_error_message
    assert Invoice.objects.count() == 0


def test_an_invoice_addressed_to_another_partner_is_not_applied(client, posted):
    order = posted("INV-X")
    body = package(invoice(1007, sales_order=order.erp_document_number, receiver="OTHERSYS"))

    tx = apply(push(client, body).json()["id"])

    assert tx.state == "failed" and "OTHERSYS" in tx.last_error_message
    assert Invoice.objects.count() == 0


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE INVOIC02 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<INVOIC02><IDOC BEGIN="1"><EDI_DC40 SEGMENT="1"><IDOCTYP>INVOIC02</IDOCTYP>
<MESTYP>INVOIC</MESTYP><DOCNUM>&xxe;</DOCNUM></EDI_DC40></IDOC></INVOIC02>"""


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b"<INVOIC02><IDOC>", "idoc_malformed_xml", "not well-formed XML"),
        (XXE, "idoc_unsafe_xml", "DOCTYPE"),
        (
            b"<ORDERS05><IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><IDOCTYP>ORDERS05</IDOCTYP>"
            b"<MESTYP>ORDERS</MESTYP><DOCNUM>77</DOCNUM></EDI_DC40></IDOC></ORDERS05>",
            "idoc_unknown_type",
            "IDoc 77, segment EDI_DC40, field IDOCTYP",
        ),
        (
            b"<INVOIC02><IDOC BEGIN='1'><EDI_DC40 SEGMENT='1'><IDOCTYP>INVOIC02</IDOCTYP>"
            b"<MESTYP>INVOIC</MESTYP><DOCNUM>78</DOCNUM></EDI_DC40>"
            b"<E1EDK01 SEGMENT='1'><CURCY>USD</CURCY></E1EDK01></IDOC></INVOIC02>",
            "idoc_missing_field",
            "IDoc 78, segment E1EDK01 #1, field BELNR",
        ),
    ],
    ids=["malformed", "xxe", "unknown-type", "missing-field"],
)
def test_bad_input_is_stored_and_fails_with_the_connectors_specific_error(
    client, idoc_config, body, code, says
):
    response = push(client, body)
    assert response.status_code == 202

    tx = apply(response.json()["id"])

    assert tx.state == "failed" and tx.last_error_code == code
    assert says in tx.last_error_message
    file = InboundIdocFile.objects.get(pk=response.json()["id"])
    assert file.state == InboundState.FAILED and file.open_body().read() == body
    assert "root" not in tx.last_error_message or code != "idoc_unsafe_xml"


def test_a_file_of_a_type_nobody_reads_runs_as_the_generic_idoc_kind(client, idoc_config):
    response = push(client, b"<ORDERS05><IDOC/></ORDERS05>")

    file = InboundIdocFile.objects.get(pk=response.json()["id"])
    assert file.transaction.kind == ERP_IDOC_IN and file.idoc_type == "ORDERS05"
