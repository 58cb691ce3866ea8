"""Packages in a SOAP body, as SAP's IDoc SOAP inbound takes them."""

from __future__ import annotations

import io

import pytest

from connectors.idoc import (
    IdocStructureError,
    UnsafeXmlError,
    delvry07_idoc,
    iter_idocs,
    package_bytes,
    read_package,
    unwrap_soap,
    wrap_in_soap,
    write_delvry07,
)
from tests.connectors.idoc.builders import make_delivery

SOAP_1_2 = "http://www.w3.org/2003/05/soap-envelope"


@pytest.fixture
def deliveries():
    return [make_delivery(1), make_delivery(2, "0080001235")]


def test_given_soap_when_written_then_the_package_is_the_body_of_an_envelope(deliveries):
    out = io.BytesIO()

    write_delvry07(deliveries, out, soap=True)

    data = out.getvalue()
    assert data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope '
        b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/>'
        b"<soapenv:Body><DELVRY07>\n<IDOC "
    )
    assert data.endswith(b"</IDOC>\n</DELVRY07></soapenv:Body></soapenv:Envelope>\n")
    assert list(read_package(data)) == deliveries


def test_given_a_plain_package_when_wrapped_and_unwrapped_then_it_reads_the_same(deliveries):
    plain = package_bytes(delvry07_idoc(delivery) for delivery in deliveries)

    wrapped = wrap_in_soap(plain)

    assert b"<soapenv:Header/><soapenv:Body><DELVRY07>" in wrapped
    assert list(read_package(wrapped)) == deliveries
    assert list(read_package(unwrap_soap(wrapped))) == deliveries


def test_given_a_soap_1_2_envelope_with_a_header_when_read_then_the_idocs_are_found(deliveries):
    plain = package_bytes(delvry07_idoc(delivery) for delivery in deliveries)
    body = plain.split(b"?>", 1)[1]
    message = (
        f'<env:Envelope xmlns:env="{SOAP_1_2}"><env:Header><id>msg-1</id></env:Header>'
        f"<env:Body>".encode()
        + body
        + b"</env:Body></env:Envelope>"
    )

    assert [idoc.control.docnum for idoc in iter_idocs(message)] == [
        "0000000000000001", "0000000000000002",
    ]  # fmt: skip


def test_given_idocs_straight_in_the_soap_body_when_read_then_a_structure_error():
    plain = package_bytes([delvry07_idoc(make_delivery())])
    idoc = plain[plain.index(b"<IDOC") : plain.index(b"</DELVRY07>")]
    message = wrap_in_soap(idoc)

    with pytest.raises(IdocStructureError, match="IDOC inside <Body>, which is neither"):
        list(iter_idocs(message))


def test_given_something_else_when_unwrapped_then_refused():
    with pytest.raises(IdocStructureError, match="<DELVRY07> is not a SOAP envelope"):
        unwrap_soap(b"<DELVRY07/>")
    with pytest.raises(IdocStructureError, match="no package in its Body"):
        unwrap_soap(wrap_in_soap(b""))
    with pytest.raises(UnsafeXmlError):
        unwrap_soap(
            wrap_in_soap(b"<DELVRY07/>").replace(b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY a "b">]>')
        )
