"""SOAP 1.1 envelopes for the sandbox ERP: read requests safely, write replies and faults.

Requests are parsed with entity substitution, network access and huge trees
off, and any document type declaration is refused (SOAP 1.1 forbids DTDs in
messages), so an entity bomb is rejected without ever being expanded.
"""

import threading
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from connectors.erp.sales_order_service import NAMESPACE, SOAP11_ENVELOPE_NAMESPACE, FaultCode

SOAP12_ENVELOPE_NAMESPACE = "http://www.w3.org/2003/05/soap-envelope"
ENVELOPE = f"{{{SOAP11_ENVELOPE_NAMESPACE}}}Envelope"
BODY = f"{{{SOAP11_ENVELOPE_NAMESPACE}}}Body"
NSMAP = {"soap-env": SOAP11_ENVELOPE_NAMESPACE, "n0": NAMESPACE}
CONTENT_TYPE = "text/xml; charset=utf-8"
DOCTYPE_MARK = b"<!DOCTYPE"
DTD_REFUSAL = "request contains a document type declaration; SOAP messages must not"

_parsers = threading.local()


@dataclass(eq=False)
class SoapFault(Exception):
    """A refusal to send back as a SOAP 1.1 Fault.

    The detail is a ``SalesOrderProcessingFault`` unless ``detail`` names
    another element (the IDoc inbound's ``IdocInboundFault``); ``extra`` adds
    elements after ``Code`` and ``Text`` in its namespace.
    """

    code: StrEnum
    text: str
    http_status: int = 500
    """SOAP 1.1 answers every fault with 500; an outage answers 503."""
    existing_document_number: str | None = None
    detail: str = f"{{{NAMESPACE}}}SalesOrderProcessingFault"
    extra: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @property
    def fault_code(self) -> str:
        """Client: the request is at fault; Server: the ERP is."""
        is_server_side = self.code in (
            FaultCode.INJECTED,
            FaultCode.UNAVAILABLE,
            FaultCode.INTERNAL,
        )
        return "soap-env:Server" if is_server_side else "soap-env:Client"


def safe_parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads.
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
        )
        _parsers.parser = parser
    return parser


def read_request_payload(body: bytes) -> etree._Element:
    """The single element inside ``soap-env:Body``; a MALFORMED_REQUEST fault otherwise."""
    try:
        envelope = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as error:
        # libxml2 may stop an entity bomb on its own (amplification limit): say why.
        if DOCTYPE_MARK in body:
            raise SoapFault(FaultCode.MALFORMED_REQUEST, DTD_REFUSAL) from None
        raise SoapFault(
            FaultCode.MALFORMED_REQUEST, f"request is not well-formed XML: {error}"
        ) from None
    docinfo = envelope.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapFault(FaultCode.MALFORMED_REQUEST, DTD_REFUSAL)
    if envelope.tag != ENVELOPE:
        found = (
            "a SOAP 1.2 envelope"
            if envelope.tag.startswith(f"{{{SOAP12_ENVELOPE_NAMESPACE}}}")
            else envelope.tag
        )
        raise SoapFault(FaultCode.MALFORMED_REQUEST, f"expected a SOAP 1.1 Envelope, got {found}")
    body_element = envelope.find(BODY)
    payload = [] if body_element is None else [c for c in body_element if isinstance(c.tag, str)]
    if len(payload) != 1:
        raise SoapFault(
            FaultCode.MALFORMED_REQUEST,
            f"expected exactly one element in soap-env:Body, got {len(payload)}",
        )
    return payload[0]


def _envelope_with(content: etree._Element) -> bytes:
    envelope = etree.Element(ENVELOPE, nsmap=NSMAP)
    etree.SubElement(envelope, BODY).append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def render_reply(payload: etree._Element) -> bytes:
    return _envelope_with(payload)


def render_fault(fault: SoapFault) -> bytes:
    soap_fault = etree.Element(f"{{{SOAP11_ENVELOPE_NAMESPACE}}}Fault", nsmap=NSMAP)
    etree.SubElement(soap_fault, "faultcode").text = fault.fault_code
    etree.SubElement(soap_fault, "faultstring").text = fault.text
    detail = etree.SubElement(etree.SubElement(soap_fault, "detail"), fault.detail)
    namespace = fault.detail[1:].partition("}")[0]
    extra = list(fault.extra)
    if fault.existing_document_number:
        extra.append(("ExistingSalesOrderID", fault.existing_document_number))
    for name, value in [("Code", fault.code.value), ("Text", fault.text), *extra]:
        etree.SubElement(detail, f"{{{namespace}}}{name}").text = value
    return _envelope_with(soap_fault)
