"""The contract of the ERP's SalesOrderProcessing_In SOAP service.

Shared by :mod:`connectors.erp.client` (the caller) and
:mod:`connectors.erp.sandbox` (the project's own server for it). The service is
described by ``sandbox/sales_order.wsdl``; this module holds the names both
sides must agree on and nothing that imports zeep or lxml.
"""

from enum import StrEnum
from pathlib import Path

NAMESPACE = "urn:syncplatform:sandbox-erp:SD-SLS"
SOAP11_ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"

WSDL_PATH = Path(__file__).resolve().parent / "sandbox" / "sales_order.wsdl"
"""The WSDL as a local file: usable offline with an explicit endpoint URL."""

SERVICE_PATH = "/sap/SalesOrder"
"""Where the sandbox answers SOAP POSTs; ``GET SERVICE_PATH?wsdl`` serves the WSDL."""

BINDING = f"{{{NAMESPACE}}}SalesOrderProcessing_In_SOAP11"
CREATE_OPERATION = "SalesOrderCreateRequestConfirmation_In"
QUERY_OPERATION = "SalesOrderByExternalReferenceQueryResponse_In"

EXTERNAL_REFERENCE_MAX_LENGTH = 35


class FaultCode(StrEnum):
    """``Code`` in a ``SalesOrderProcessingFault`` detail: why the ERP refused."""

    DUPLICATE_EXTERNAL_REFERENCE = "DUPLICATE_EXTERNAL_REFERENCE"
    """Permanent: the reference is taken; ``ExistingSalesOrderID`` names the document."""
    VALIDATION = "VALIDATION"
    """Permanent: a business or schema rule is broken; ``Text`` says which."""
    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    """Permanent: not a well-formed SOAP 1.1 message, or it carries a DTD."""
    UNKNOWN_OPERATION = "UNKNOWN_OPERATION"
    """Configuration: the body element is not an operation of this service."""
    INJECTED = "INJECTED"
    """Transient: sandbox fault injection (HTTP 500); nothing was stored."""
    UNAVAILABLE = "UNAVAILABLE"
    """Transient: the ERP is down (HTTP 503); nothing was stored."""
    INTERNAL = "INTERNAL"
    """Transient: an unexpected error inside the ERP; the outcome is unknown."""
