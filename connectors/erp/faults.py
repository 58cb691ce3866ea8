"""How a failed conversation with the ERP becomes one of the three connector errors.

=========================================== ==========================================
what happened                               error
=========================================== ==========================================
connection refused, connect timeout         TransientError
connection reset or read timeout after the  TransientError(may_have_reached_partner=True)
request was sent; HTTP 500/502/504 without
a SOAP fault; fault INTERNAL
HTTP 503/429/408; faults UNAVAILABLE,       TransientError
INJECTED
fault DUPLICATE_EXTERNAL_REFERENCE          DuplicateReferenceError (a PermanentError)
faults VALIDATION, MALFORMED_REQUEST, any   PermanentError with the ERP's fault text
other business fault; HTTP 413 and other 4xx
HTTP 401/403/404/405, TLS failure, bad URL, ConfigError
an answer that is not SOAP, fault
UNKNOWN_OPERATION
=========================================== ==========================================

Messages name the URL without credentials and never carry the password.
"""

from urllib.parse import urlsplit, urlunsplit

import requests
from lxml import etree
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from zeep.exceptions import Fault

from connectors.erp.sales_order_service import NAMESPACE, FaultCode
from connectors.errors import ConfigError, ConnectorError, PermanentError, TransientError

FAULT_DETAIL = f"{{{NAMESPACE}}}SalesOrderProcessingFault"


class DuplicateReferenceError(PermanentError):
    """The ERP already holds a sales order with this external reference.

    After an ambiguous failure this is the good news: the earlier attempt
    reached the ERP, and ``existing_document_number`` is its document.
    """

    code = "erp_duplicate_reference"

    def __init__(self, message: str, *, existing_document_number: str):
        super().__init__(message)
        self.existing_document_number = existing_document_number


def redacted(url: str) -> str:
    """``url`` without user name and password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _fault_detail(fault: Fault) -> tuple[str | None, str | None]:
    """(Code, ExistingSalesOrderID) from the fault detail, when the ERP sent one."""
    detail = fault.detail.find(FAULT_DETAIL) if isinstance(fault.detail, etree._Element) else None
    if detail is None:
        return None, None
    return (
        detail.findtext(f"{{{NAMESPACE}}}Code"),
        detail.findtext(f"{{{NAMESPACE}}}ExistingSalesOrderID"),
    )


def error_for_fault(fault: Fault) -> ConnectorError:
    """The error for a SOAP fault the ERP answered with."""
    code, existing_document_number = _fault_detail(fault)
    text = f"ERP fault {code or fault.code}: {fault.message}"
    if code == FaultCode.DUPLICATE_EXTERNAL_REFERENCE and existing_document_number:
        return DuplicateReferenceError(text, existing_document_number=existing_document_number)
    if code in (FaultCode.INJECTED, FaultCode.UNAVAILABLE):
        return TransientError(text, code=f"erp_{code.lower()}")
    if code == FaultCode.INTERNAL:
        return TransientError(text, code="erp_internal", may_have_reached_partner=True)
    if code == FaultCode.UNKNOWN_OPERATION:
        return ConfigError(text, code="erp_unknown_operation")
    if code is not None:
        return PermanentError(text, code=f"erp_{code.lower()}")
    if fault.code and fault.code.lower().endswith("client"):
        return PermanentError(text, code="erp_fault")
    # A server fault without our detail: the ERP may have stored something first.
    return TransientError(text, code="erp_server_fault", may_have_reached_partner=True)


def error_for_http_status(status: int, url: str) -> ConnectorError:
    """The error for an HTTP answer that carried no SOAP envelope."""
    where = f"{redacted(url)} answered HTTP {status}"
    if status in (401, 403):
        return ConfigError(f"{where}: the ERP refused our credentials", code="erp_auth")
    if status in (404, 405):
        return ConfigError(f"{where}: no SOAP service there; check the URL", code="erp_url")
    if status in (408, 429, 503):
        return TransientError(f"{where}: the ERP is busy or down", code="erp_unavailable")
    if status >= 500:
        return TransientError(
            f"{where}: server error", code="erp_server_error", may_have_reached_partner=True
        )
    if status == 413:
        return PermanentError(f"{where}: the request is too large", code="erp_request_too_large")
    if 400 <= status < 500:
        return PermanentError(f"{where}: the ERP refused the request", code="erp_refused")
    return ConfigError(f"{where} without a SOAP envelope; is this the ERP?", code="erp_not_soap")


def _is_connect_failure(error: requests.ConnectionError) -> bool:
    """True when the connection was never made, so the request cannot have arrived."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectTimeout) or isinstance(
        reason, NewConnectionError | ConnectTimeoutError
    )


def error_for_request_failure(error: requests.RequestException, url: str) -> ConnectorError:
    """The error for an HTTP exchange that failed below HTTP (no status to look at)."""
    where = redacted(url)
    if isinstance(error, requests.exceptions.SSLError):
        return ConfigError(f"TLS with {where} failed; check the certificate", code="erp_tls")
    if isinstance(
        error,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return ConfigError(f"invalid ERP URL {where}", code="erp_url")
    if isinstance(error, requests.ConnectionError) and _is_connect_failure(error):
        kind = (
            "timed out connecting to"
            if isinstance(error, requests.ConnectTimeout)
            else ("could not connect to")
        )
        return TransientError(f"{kind} {where}; the ERP may be down", code="erp_unreachable")
    if isinstance(error, requests.ReadTimeout):
        return TransientError(
            f"no answer from {where} in time; the request may have been processed",
            code="erp_timeout",
            may_have_reached_partner=True,
        )
    return TransientError(
        f"connection to {where} failed after sending ({type(error).__name__});"
        " the request may have been processed",
        code="erp_connection_lost",
        may_have_reached_partner=True,
    )
