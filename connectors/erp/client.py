"""ErpClient: post sales orders to the SAP-style ERP over SOAP 1.1 (zeep) and find them again.

Contract for the transaction runner:

* :meth:`ErpClient.create_sales_order` is NOT idempotent by itself: each
  success is a new ERP document. What makes retries safe is our stable
  external reference: the ERP refuses a second document with the same
  reference (:class:`~connectors.erp.faults.DuplicateReferenceError` naming
  the first), and after a ``TransientError`` with ``may_have_reached_partner``
  the runner calls :meth:`ErpClient.find_sales_order` before posting again.
* :meth:`ErpClient.find_sales_order` is read-only; repeat it freely.
* Errors are only the three of :mod:`connectors.errors`; see
  :mod:`connectors.erp.faults` for which failure becomes which. The WSDL is
  loaded on the first call, so a first call can also fail because the WSDL
  cannot be loaded: connection refused or timed out and HTTP 5xx are
  ``TransientError`` (the ERP may simply be down); HTTP 401/403/404, a file that
  is not a WSDL, or a WSDL without both operations are ``ConfigError``.
"""

import threading
from urllib.parse import urlsplit, urlunsplit

import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault, TransportError
from zeep.exceptions import ValidationError as ZeepValidationError
from zeep.wsdl import Document
from zeep.wsdl.bindings.soap import Soap11Binding

from connectors.erp.faults import (
    error_for_fault,
    error_for_http_status,
    error_for_request_failure,
    redacted,
)
from connectors.erp.messages import check_external_reference, confirmation_from, sales_order_message
from connectors.erp.models import SalesOrder, SalesOrderConfirmation
from connectors.erp.sales_order_service import CREATE_OPERATION, QUERY_OPERATION
from connectors.errors import ConfigError, PermanentError, TransientError

SETTINGS = zeep.Settings(
    strict=True,
    xml_huge_tree=False,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
)
CONNECT_TIMEOUT_SECONDS = 5.0

_wsdl_documents: dict[str, Document] = {}
_wsdl_documents_lock = threading.Lock()


def endpoint_for(wsdl_url: str) -> str | None:
    """The SOAP endpoint implied by an ``http(s)://...?wsdl`` URL: the same URL minus ``wsdl``.

    Other query parameters (SAP's ``sap-client=100``) are kept. ``None`` for
    other WSDL locations (a local file): then the WSDL's own soap:address is used.
    """
    parts = urlsplit(wsdl_url)
    parameters = parts.query.split("&") if parts.query else []
    kept = [p for p in parameters if p.partition("=")[0].lower() != "wsdl"]
    if parts.scheme not in ("http", "https") or len(kept) == len(parameters):
        return None
    return urlunsplit(parts._replace(query="&".join(kept)))


def _load_wsdl(wsdl_url: str, transport: zeep.Transport) -> Document:
    where = redacted(wsdl_url)
    try:
        return Document(wsdl_url, transport, settings=SETTINGS)
    except requests.HTTPError as error:
        status = error.response.status_code
        if status >= 500 or status in (408, 429):
            raise error_for_http_status(status, wsdl_url) from error
        raise ConfigError(
            f"could not load the ERP WSDL: {where} answered HTTP {status}", code="erp_wsdl"
        ) from error
    except requests.RequestException as error:
        failure = error_for_request_failure(error, wsdl_url)
        if isinstance(failure, TransientError):
            raise TransientError(
                f"could not load the ERP WSDL: {failure}", code=failure.code
            ) from error
        raise failure from error
    except OSError as error:
        raise ConfigError(
            f"could not read the ERP WSDL {where}: {error}", code="erp_wsdl"
        ) from error
    except (zeep.exceptions.Error, etree.LxmlError, ValueError) as error:
        raise ConfigError(f"{where} is not a usable WSDL: {error}", code="erp_wsdl") from error


def wsdl_document(wsdl_url: str, transport: zeep.Transport) -> Document:
    """The parsed WSDL, loaded once per process per URL (failures are not cached)."""
    with _wsdl_documents_lock:
        if wsdl_url not in _wsdl_documents:
            _wsdl_documents[wsdl_url] = _load_wsdl(wsdl_url, transport)
        return _wsdl_documents[wsdl_url]


def _sales_order_binding(document: Document) -> str:
    """The name of the SOAP 1.1 binding that offers both operations."""
    for name, binding in document.bindings.items():
        if isinstance(binding, Soap11Binding) and {CREATE_OPERATION, QUERY_OPERATION} <= set(
            binding.all()
        ):
            return name
    raise ConfigError(
        f"the ERP WSDL has no SOAP 1.1 binding with {CREATE_OPERATION} and {QUERY_OPERATION}",
        code="erp_wsdl",
    )


def _wsdl_address(document: Document, binding_name: str) -> str | None:
    for service in document.services.values():
        for port in service.ports.values():
            if port.binding.name == binding_name:
                return port.binding_options.get("address")
    return None


def _session_with_environment(url: str) -> requests.Session:
    """A session with the proxy and CA settings the environment gives for ``url``, read now.

    requests reads them from ``os.environ`` on every call otherwise, which cost
    a third of a millisecond per SOAP call in a worker with a large environment
    (bench/erp_posting.py). A changed proxy variable takes effect with the next
    client, i.e. after the worker restarts or the endpoint is edited. The WSDL
    goes through the same proxy as ``url``; ``~/.netrc`` is not read (the
    credentials are the endpoint's).
    """
    probe = requests.Session()
    settings = probe.merge_environment_settings(url, {}, None, None, None)
    probe.close()
    session = requests.Session()
    session.trust_env = False
    session.proxies = settings["proxies"]
    session.verify = settings["verify"]
    return session


class ErpClient:
    """SOAP client for the ERP's SalesOrderProcessing_In service.

    ``wsdl_url`` is an ``http(s)`` URL (``.../sap/SalesOrder?wsdl``) or a local
    file. Calls go to ``endpoint_url`` when given, else to ``wsdl_url`` without
    its ``wsdl`` query parameter, else to the WSDL's soap:address. ``timeout``
    (seconds) bounds waiting for each answer; connecting is bounded by
    ``min(timeout, 5)``. One client keeps one HTTP session (connection reuse,
    basic auth) and may be shared by threads; build one per ERP per process.
    """

    def __init__(
        self,
        wsdl_url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        endpoint_url: str | None = None,
    ):
        for url in (wsdl_url, endpoint_url or ""):
            if urlsplit(url).password is not None or urlsplit(url).username is not None:
                raise ConfigError(
                    "ERP URLs must not carry credentials; pass username and password",
                    code="erp_url",
                )
        self.wsdl_url = wsdl_url
        self.endpoint_url = endpoint_url or endpoint_for(wsdl_url)
        self.timeout = timeout
        self._session = _session_with_environment(self.endpoint_url or wsdl_url)
        if username is not None:
            self._session.auth = (username, password or "")
        timeouts = (min(timeout, CONNECT_TIMEOUT_SECONDS), timeout)
        self._transport = zeep.Transport(
            session=self._session, timeout=timeouts, operation_timeout=timeouts
        )
        self._service = None
        self._address: str | None = None
        self._service_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ErpClient({self.wsdl_url!r}, endpoint_url={self.endpoint_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "ErpClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def create_sales_order(self, order: SalesOrder) -> SalesOrderConfirmation:
        """Create ``order`` in the ERP and return its confirmation: the document number
        and, when the ERP creates one at once, the delivery number.

        Not idempotent by itself; see the module docstring. Raises
        DuplicateReferenceError (a PermanentError) when the external reference
        is already used, naming the existing document.
        """
        check_external_reference(order.external_reference)
        result = self._call(CREATE_OPERATION, SalesOrder=sales_order_message(order))
        return confirmation_from(result)

    def find_sales_order(self, external_reference: str) -> SalesOrderConfirmation | None:
        """The ERP's sales order with this external reference, or None. Read-only."""
        check_external_reference(external_reference)
        result = self._call(
            QUERY_OPERATION,
            SalesOrderSelectionByExternalReference={"ExternalReference": external_reference},
        )
        return None if result is None else confirmation_from(result)

    def _bound_service(self):
        with self._service_lock:
            if self._service is None:
                document = wsdl_document(self.wsdl_url, self._transport)
                binding_name = _sales_order_binding(document)
                address = self.endpoint_url or _wsdl_address(document, binding_name)
                if not address:
                    raise ConfigError(
                        "no ERP endpoint: the WSDL has no soap:address; pass endpoint_url",
                        code="erp_url",
                    )
                client = zeep.Client(document, transport=self._transport, settings=SETTINGS)
                self._service = client.create_service(binding_name, address)
                self._address = address
            return self._service

    def _call(self, operation: str, **arguments):
        service = self._bound_service()
        try:
            return service[operation](**arguments)
        except Fault as fault:
            raise error_for_fault(fault) from fault
        except TransportError as error:
            raise error_for_http_status(error.status_code, self._address) from error
        except requests.RequestException as error:
            raise error_for_request_failure(error, self._address) from error
        except ZeepValidationError as error:
            raise PermanentError(
                f"the request does not fit the ERP WSDL: {error.message}",
                code="erp_invalid_request",
            ) from error
        except zeep.exceptions.Error as error:
            raise ConfigError(
                f"{redacted(self._address)} answered with something that is not the expected"
                f" SOAP response: {error.message}",
                code="erp_not_soap",
            ) from error
