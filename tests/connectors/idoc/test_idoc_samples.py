"""Real SAP IDoc-XML files: each reads as SAP meant it, or fails at the defect it has.

The files and the abstract IDoc WSDLs are in ../shared/samples (see its
PROVENANCE.md); the tests skip when the folder is not beside the repository.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from connectors.idoc import (
    InvalidValueError,
    UnknownIdocTypeError,
    iter_idocs,
    package_bytes,
    read_package,
    write_invoic02,
)
from connectors.idoc.segments import Idoc
from tests.connectors.idoc.builders import SAMPLES, make_invoice

IDOC_XML = SAMPLES / "idoc_xml"
needs_samples = pytest.mark.skipif(
    not IDOC_XML.is_dir(), reason="shared/samples is not beside the repository"
)


def sample(name: str):
    return IDOC_XML / name


def only(path):
    (document,) = read_package(path)
    return document


def short_partners(control):
    return replace(control, sender_partner="COMPANY", receiver_partner="PARTNER")


def xml_segments(path) -> int:
    """Data segments as the file has them: SEGMENT attributes, less the control record."""
    return path.read_bytes().count(b'SEGMENT="1"') - 1


@needs_samples
@pytest.mark.parametrize(
    "path", sorted(IDOC_XML.glob("*.xml")) if IDOC_XML.is_dir() else [], ids=lambda p: p.name
)
def test_given_a_real_file_when_read_generically_then_one_idoc_with_every_segment(path):
    (idoc,) = iter_idocs(path)

    assert isinstance(idoc, Idoc)
    assert idoc.segment_count == xml_segments(path)
    assert path.name.split("__")[1].startswith(idoc.control.idoc_type)


@needs_samples
def test_given_sap_delivery_notification_when_read_then_the_delivery_and_its_items():
    delivery = only(sample("SAP__DELVRY07_DESADV_delivery_notification_O2C.xml"))

    assert delivery.control.docnum == "0000000106934172"
    assert delivery.control.message_type == "DESADV"
    assert delivery.control.created_at == datetime(2023, 10, 5, 11, 56, 6)
    assert (delivery.delivery_number, delivery.bill_of_lading) == ("8000579974", "70050602")
    assert delivery.actions == ("ORI",)
    assert delivery.goods_issued_at == datetime(2023, 10, 5, 13, 15, 25)
    assert [partner.role for partner in delivery.partners] == [
        "AG", "LF", "RE", "RG", "U3", "WE", "OSP", "OSO",
    ]  # fmt: skip
    first, second = delivery.items
    assert (first.item_number, first.material, first.quantity, first.unit) == (
        "000010", "000000883444030770", Decimal("4.000"), "H87",
    )  # fmt: skip
    assert (first.sales_order_number, first.sales_order_item) == ("2000461293", "000020")
    assert second.plant == "HU20" and second.storage_location == "MAIN"


@needs_samples
def test_given_sap_delivery_to_a_3pl_when_read_then_its_dates_keep_their_qualifiers():
    delivery = only(sample("SAP__DELVRY07_DESADV_outbound_delivery_to_3PL.xml"))

    assert delivery.delivery_number == "0123456789"
    assert [d.qualifier for d in delivery.dates] == ["006", "003", "001", "007", "010", "015"]
    assert delivery.dates[0].planned_start == datetime(2025, 1, 4)
    assert delivery.dates[0].actual_start is None  # ISDD 00000000: no date


@needs_samples
def test_given_sap_delivery_update_when_read_then_its_placeholder_time_is_refused():
    path = sample("SAP__DELVRY07_outbound_delivery_update_to_3PL.xml")

    with pytest.raises(InvalidValueError) as caught:
        only(path)

    # the file's author put a placeholder, 0123456789, where E1EDT13-NTANZ wants HHMMSS
    assert str(caught.value) == (
        "IDoc #1 of the package (no DOCNUM), segment E1EDT13 #4, field NTANZ, line 28: "
        "'0123456789' is not a time HHMMSS"
    )


@needs_samples
def test_given_sap_invoice_when_read_then_order_delivery_items_and_totals():
    invoice = only(sample("SAP__INVOIC02_invoice_outbound.xml"))

    assert (invoice.invoice_number, invoice.currency, invoice.document_type) == (
        "0123456789", "GBP", "INVO",
    )  # fmt: skip
    assert invoice.sales_order_number == "2000321116"
    assert invoice.delivery_number == "8000433686"
    assert invoice.customer_order_number == "1DFYVN6W"
    assert [p.role for p in invoice.partners][:4] == ["RS", "AG", "RE", "RG"]
    (item,) = invoice.items
    assert (item.item_number, item.quantity, item.unit) == ("000010", Decimal("320.000"), "H87")
    assert item.material == "000000889963020150"
    assert item.identifier("003") == "8710103730248"
    assert (item.amount("001"), item.net_value) == (Decimal("265.63"), Decimal("67574.40"))
    assert (item.reference("002"), item.reference("016")) == ("2000321116", "8000433686")
    assert invoice.total_due == Decimal("67574.40")
    assert invoice.total("005") == Decimal("0")


@needs_samples
def test_given_sap_invoice_when_written_again_then_reading_gives_the_same_invoice():
    invoice = only(sample("SAP__INVOIC02_invoice_outbound.xml"))
    # its partner numbers are placeholders longer than SAP's 10 characters: the writer refuses them
    invoice = replace(invoice, control=short_partners(invoice.control))
    out = io.BytesIO()

    write_invoic02([invoice], out)

    assert only(io.BytesIO(out.getvalue())) == invoice


@needs_samples
@pytest.mark.parametrize(
    "name",
    ["SAP__ORDERS05_ORDRSP_sales_order_response.xml", "SAP__ORDERS05_small_xml2flat_input.xml"],
)
def test_given_sap_orders_when_read_then_unknown_type_but_readable_generically(name):
    with pytest.raises(UnknownIdocTypeError, match="IDoc type ORDERS05 is not one"):
        only(sample(name))

    (idoc,) = iter_idocs(sample(name))
    idoc = replace(idoc, control=short_partners(idoc.control))
    assert package_bytes([idoc]).count(b'SEGMENT="1"') == xml_segments(sample(name)) + 1


@needs_samples
def test_given_sap_invoic02_schema_when_our_invoices_are_validated_then_they_conform():
    wsdl = etree.parse(str(SAMPLES / "wsdl" / "SAP__IDoc_INVOIC02_abstract.wsdl"))
    schema = etree.XMLSchema(wsdl.find(".//{http://www.w3.org/2001/XMLSchema}schema"))
    part = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/}part")
    out = io.BytesIO()

    write_invoic02([make_invoice(1), make_invoice(2)], out)

    # the SOAP body SAP's WSDL declares is the package root itself, unqualified
    assert (part.get("element"), wsdl.getroot().get("targetNamespace")) == ("INVOIC02", "")
    package = etree.fromstring(out.getvalue())
    assert schema.validate(package), schema.error_log
