"""The contract of the ERP's IDoc interfaces: inbound packages, status and stock queries.

Shared by :mod:`connectors.erp.idoc_client` (the caller) and
:mod:`connectors.erp.sandbox` (the project's own server for it), as
:mod:`connectors.erp.sales_order_service` is for sales orders. Nothing here
imports lxml or requests.

Inbound, as SAP takes IDoc packages (see :mod:`connectors.idoc.package`):

* ``POST SOAP_INBOUND_PATH``: a SOAP 1.1 envelope with the package in its
  Body (SAP's IDoc SOAP inbound, ``/sap/bc/srt/idoc``); answered with an
  ``IdocInboundConfirmation`` element or a SOAP fault with an
  ``IdocInboundFault`` detail (``Code``, ``Text``, ``IdocErrorCode``).
* ``POST XML_HTTP_INBOUND_PATH``: the package document itself (SAP's IDoc
  XML-HTTP inbound, ``/sap/bc/idoc_xml``); answered with JSON.

Both take ``?msgguid=<id>`` (the name SAP's plain HTTP adapter gives the
exactly-once message id): a repeated id with the same bytes gets the first
answer again, with header ``X-Duplicate-Message: true``, and stores nothing;
with other bytes it is refused (HTTP 409, MESSAGE_ID_REUSED). Without
``msgguid`` every POST is a new message (SAP's "best effort").

Statuses (``STATUS_PATH``) and stock (``STOCK_PATH``) answer JSON, to a GET
with query parameters or a POST with a JSON body (for long lists).
"""

from enum import StrEnum

NAMESPACE = "urn:syncplatform:sandbox-erp:IDOC"

SOAP_INBOUND_PATH = "/sap/bc/srt/idoc"
XML_HTTP_INBOUND_PATH = "/sap/bc/idoc_xml"
STATUS_PATH = "/sap/bc/idoc_status"
STOCK_PATH = "/sap/bc/stock"

MESSAGE_ID_PARAMETER = "msgguid"
MESSAGE_ID_PATTERN = r"[A-Za-z0-9._:\-]{1,100}"
DUPLICATE_HEADER = "X-Duplicate-Message"


class IdocFaultCode(StrEnum):
    """Why a package or query was refused: JSON ``error.code``, SOAP detail ``Code``."""

    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    """Permanent: not well-formed XML, a DTD, not a SOAP envelope, not JSON; ``text`` says where."""
    INVALID_IDOC = "INVALID_IDOC"
    """Permanent: an IDoc breaks IDoc-XML rules; ``text`` names the IDoc, segment and field."""
    TOO_LARGE = "TOO_LARGE"
    """Permanent (HTTP 413): the package is over the ERP's size limit."""
    INVALID_REQUEST = "INVALID_REQUEST"
    """Permanent: a bad message id or query parameter."""
    MESSAGE_ID_REUSED = "MESSAGE_ID_REUSED"
    """Permanent (HTTP 409): the message id was used for other bytes; nothing was stored."""
    INJECTED = "INJECTED"
    """Transient: sandbox fault injection (HTTP 500); nothing was stored."""
    UNAVAILABLE = "UNAVAILABLE"
    """Transient: the ERP is down (HTTP 503); nothing was stored."""
    INTERNAL = "INTERNAL"
    """Transient: an unexpected error inside the ERP; the outcome is unknown."""


class IdocStatusCode(StrEnum):
    """SAP's IDoc status values (table TEDS1) that the sandbox ERP sets."""

    # inbound to the ERP
    ADDED = "50"
    READY_FOR_APPLICATION = "64"
    NOT_POSTED = "51"
    POSTED = "53"
    # outbound from the ERP
    READY_FOR_DISPATCH = "30"
    PASSED_TO_PORT = "03"
    PORT_ERROR = "02"


STATUS_DESCRIPTIONS = {
    IdocStatusCode.ADDED: "IDoc added",
    IdocStatusCode.READY_FOR_APPLICATION: "IDoc ready to be transferred to application",
    IdocStatusCode.NOT_POSTED: "Application document not posted",
    IdocStatusCode.POSTED: "Application document posted",
    IdocStatusCode.READY_FOR_DISPATCH: "IDoc ready for dispatch (ALE service)",
    IdocStatusCode.PASSED_TO_PORT: "Data passed to port OK",
    IdocStatusCode.PORT_ERROR: "Error passing data to port",
}

FINAL_STATUSES = frozenset(
    {
        IdocStatusCode.NOT_POSTED,
        IdocStatusCode.POSTED,
        IdocStatusCode.PASSED_TO_PORT,
        IdocStatusCode.PORT_ERROR,
    }
)
"""Statuses the sandbox never changes again (SAP would, after a person reprocesses)."""
