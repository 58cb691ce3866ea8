"""IdocClient: send IDoc packages to the ERP, ask for their statuses, read its stock.

Plain HTTP with ``requests`` against the ERP's IDoc XML-HTTP inbound and its
JSON status and stock queries (paths and shapes: :mod:`connectors.erp.idoc_service`).

Contract for the platform:

* :meth:`IdocClient.send_package` returns the DOCNUMs the ERP gave the IDocs,
  in package order. It is idempotent per ``message_id``: the ERP answers a
  repeated id with the same bytes with its earlier answer and stores nothing,
  so after any ``TransientError`` send the same bytes under the same id again.
  The same id with other bytes is refused (``PermanentError``, code
  ``erp_idoc_message_id_reused``). The IDocs are posted later; ask
  :meth:`IdocClient.statuses` how that went.
* :meth:`IdocClient.statuses` and :meth:`IdocClient.stock` are read-only.

Errors are only the three of :mod:`connectors.errors`:

=========================================== ==========================================
what happened                               error
=========================================== ==========================================
connection refused, connect timeout         TransientError
read timeout or connection lost after the   TransientError(may_have_reached_partner=True)
request was sent; HTTP 500 INTERNAL or
another 5xx without the ERP's error
HTTP 503/429/408; INJECTED                  TransientError
HTTP 400 (MALFORMED_REQUEST, INVALID_IDOC,  PermanentError with the ERP's text, code
INVALID_REQUEST), 409, 413                  ``erp_idoc_<its code in lower case>``
HTTP 401/403/404/405, TLS failure, bad URL, ConfigError
an answer that is not the expected JSON
=========================================== ==========================================

Messages name the URL, never the password.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import requests

from connectors.erp import idoc_service
from connectors.erp.faults import error_for_request_failure
from connectors.erp.idoc_service import FINAL_STATUSES, IdocFaultCode, IdocStatusCode
from connectors.errors import ConfigError, ConnectorError, PermanentError, TransientError

CONNECT_TIMEOUT_SECONDS = 5.0
QUERY_CHUNK = 5000  # DOCNUMs or materials per request; the ERP takes up to 100,000


@dataclass(frozen=True)
class IdocStatus:
    """The ERP's current status of one IDoc (SAP's status record)."""

    docnum: str
    """The ERP's 16-digit IDoc number, as ``send_package`` returned it."""
    status: str
    """SAP's status: 64 waiting, 53 posted, 51 not posted (inbound); 30, 03, 02 (outbound)."""
    text: str
    """The message for this status, e.g. ``Delivery 0080000007 does not exist`` for a 51."""
    status_at: datetime
    """When the status was set (timezone-aware)."""
    idoc_type: str
    message_type: str
    sender_docnum: str
    """EDI_DC40-DOCNUM as we sent it."""

    @property
    def is_posted(self) -> bool:
        return self.status == IdocStatusCode.POSTED

    @property
    def is_error(self) -> bool:
        return self.status in (IdocStatusCode.NOT_POSTED, IdocStatusCode.PORT_ERROR)

    @property
    def is_final(self) -> bool:
        """The ERP will not change this status by itself."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class StockLevel:
    """Unrestricted-use stock of a material in a plant, in the material's base ``unit``."""

    material: str
    plant: str
    quantity: Decimal
    unit: str


class IdocClient:
    """Client for the ERP's IDoc interfaces at ``base_url`` (``http://host:port``).

    ``timeout`` (seconds) bounds waiting for each answer; connecting is bounded
    by ``min(timeout, 5)``. One client keeps one HTTP session (connection
    reuse, basic auth) and may be shared by threads.
    """

    def __init__(
        self,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"ERP URL {base_url!r} is not an http(s) URL", code="erp_url")
        if parts.username is not None or parts.password is not None:
            raise ConfigError(
                "ERP URLs must not carry credentials; pass username and password",
                code="erp_url",
            )
        self.base_url = base_url.rstrip("/")
        self._timeouts = (min(timeout, CONNECT_TIMEOUT_SECONDS), timeout)
        self._session = requests.Session()
        if username is not None:
            self._session.auth = (username, password or "")

    def __repr__(self) -> str:
        return f"IdocClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "IdocClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send_package(self, package: bytes, message_id: str) -> list[str]:
        """Post an IDoc-XML package; the ERP's DOCNUM for each IDoc, in package order.

        ``message_id``: 1 to 100 of ``A-Z a-z 0-9 . _ : -``, unique per package
        (the package's own id in our records). See the module docstring for
        repeats and errors.
        """
        answer = self._post(
            idoc_service.XML_HTTP_INBOUND_PATH,
            data=package,
            params={idoc_service.MESSAGE_ID_PARAMETER: message_id},
            headers={"Content-Type": "application/xml"},
        )
        try:
            return [str(idoc["docnum"]) for idoc in answer["idocs"]]
        except (KeyError, TypeError) as error:
            raise self._unexpected(idoc_service.XML_HTTP_INBOUND_PATH, error) from None

    def statuses(self, docnums: Iterable[str]) -> list[IdocStatus]:
        """The current status of each IDoc, in the order asked; unknown DOCNUMs are left out."""
        asked = list(docnums)
        found: dict[str, IdocStatus] = {}
        for start in range(0, len(asked), QUERY_CHUNK):
            chunk = asked[start : start + QUERY_CHUNK]
            answer = self._post(idoc_service.STATUS_PATH, json={"docnums": chunk})
            try:
                found.update((s.docnum, s) for s in map(_idoc_status, answer["idocs"]))
            except (KeyError, TypeError, ValueError) as error:
                raise self._unexpected(idoc_service.STATUS_PATH, error) from None
        return [found[docnum] for docnum in asked if docnum in found]

    def stock(self, materials: Iterable[str], plant: str) -> dict[str, StockLevel]:
        """Stock of these materials in ``plant``, by material; ones the ERP does not keep
        there are left out."""
        asked = sorted(set(materials))
        found: dict[str, StockLevel] = {}
        for start in range(0, len(asked), QUERY_CHUNK):
            chunk = asked[start : start + QUERY_CHUNK]
            answer = self._post(idoc_service.STOCK_PATH, json={"plant": plant, "materials": chunk})
            try:
                found.update((s.material, s) for s in map(_stock_level, answer["stock"]))
            except (KeyError, TypeError, InvalidOperation) as error:
                raise self._unexpected(idoc_service.STOCK_PATH, error) from None
        return found

    def _post(self, path: str, **arguments) -> dict:
        url = self.base_url + path
        try:
            response = self._session.post(url, timeout=self._timeouts, **arguments)
        except requests.RequestException as error:
            raise error_for_request_failure(error, url) from error
        if response.status_code != 200:
            raise error_for_answer(response, url)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ConfigError(
                f"{url} answered HTTP 200 without a JSON object; is this the ERP's IDoc service?",
                code="erp_not_json",
            )
        return answer

    def _unexpected(self, path: str, error: Exception) -> ConfigError:
        return ConfigError(
            f"{self.base_url}{path} answered with JSON of another shape"
            f" ({type(error).__name__}: {error}); is this the ERP's IDoc service?",
            code="erp_not_json",
        )


def _idoc_status(value: dict) -> IdocStatus:
    return IdocStatus(
        docnum=value["docnum"],
        status=value["status"],
        text=value["text"],
        status_at=datetime.fromisoformat(value["status_at"]),
        idoc_type=value["idoc_type"],
        message_type=value["message_type"],
        sender_docnum=value["sender_docnum"],
    )


def _stock_level(value: dict) -> StockLevel:
    return StockLevel(value["material"], value["plant"], Decimal(value["quantity"]), value["unit"])


def error_for_answer(response: requests.Response, url: str) -> ConnectorError:
    """The error for an answer other than 200, from the ERP's ``error.code`` when it sent one."""
    status = response.status_code
    code, text = _refusal(response)
    where = f"{url} answered HTTP {status}"
    if code in (IdocFaultCode.INJECTED, IdocFaultCode.UNAVAILABLE):
        return TransientError(f"{where}: {text}", code=f"erp_{code.lower()}")
    if code == IdocFaultCode.INTERNAL:
        return TransientError(
            f"{where}: {text}", code="erp_internal", may_have_reached_partner=True
        )
    if code is not None:
        return PermanentError(f"the ERP refused it: {text}", code=f"erp_idoc_{code.lower()}")
    if status in (401, 403):
        return ConfigError(f"{where}: the ERP refused our credentials", code="erp_auth")
    if status in (404, 405):
        return ConfigError(f"{where}: no IDoc service there; check the URL", code="erp_url")
    if status in (408, 429, 503):
        return TransientError(f"{where}: the ERP is busy or down", code="erp_unavailable")
    if status >= 500:
        return TransientError(
            f"{where}: server error", code="erp_server_error", may_have_reached_partner=True
        )
    if 400 <= status < 500:
        return PermanentError(f"{where}: the ERP refused the request", code="erp_refused")
    return ConfigError(f"{where}; is this the ERP's IDoc service?", code="erp_not_json")


def _refusal(response: requests.Response) -> tuple[IdocFaultCode | None, str]:
    """(code, text) of the ERP's ``{"error": {"code", "text"}}``, or (None, "")."""
    try:
        error = response.json()["error"]
        return IdocFaultCode(error["code"]), str(error["text"])
    except (ValueError, KeyError, TypeError):
        return None, ""
