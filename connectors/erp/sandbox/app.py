"""The sandbox ERP as a WSGI application.

URLs, relative to where the application is mounted:

====== ================================= ==============================================
GET    ``/sap/SalesOrder?wsdl``          the WSDL; its soap:address is this server
POST   ``/sap/SalesOrder``               SOAP 1.1 (``text/xml``): both operations
GET    ``/_sandbox/health``              ``{"status": "ok"}``; never needs credentials
GET    ``/_sandbox/config``              the fault-injection settings (JSON)
POST   ``/_sandbox/config``              change some of them, e.g. ``{"outage": true}``
GET    ``/_sandbox/documents``           stored documents, newest first (JSON list);
                                         ``?external_reference=R`` for just that one
====== ================================= ==============================================

Every answer carries ``X-Sandbox-Process`` (the worker's pid) so tests can see
that several processes served them. With credentials configured, every URL but
health needs HTTP basic auth (401 otherwise).

Fault injection, shared by all processes through the store and read from it on
every call (about 10 microseconds, so no cache and no staleness):
``latency_ms`` is slept after a SOAP request is read and before it is handled;
``fault_rate`` is the share of valid creates refused with an INJECTED fault
(HTTP 500, nothing stored); ``outage`` answers every SOAP call and the WSDL with
503; ``timeout_after_commit_ms`` is slept after a create is committed and
before it is confirmed (the "ERP got it, the caller timed out" case).
"""

import base64
import binascii
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from urllib.parse import parse_qs

from connectors.erp.sales_order_service import SERVICE_PATH, FaultCode
from connectors.erp.sandbox.sales_orders import answer
from connectors.erp.sandbox.service_description import render_wsdl
from connectors.erp.sandbox.soap import CONTENT_TYPE as SOAP_CONTENT_TYPE
from connectors.erp.sandbox.soap import SoapFault, read_request_payload, render_fault, render_reply
from connectors.erp.sandbox.store import SandboxStore

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
CONFIG_MAX_BODY_BYTES = 4096
MAX_DELAY_MS = 600_000
HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class RequestTooLarge(Exception):
    pass


def json_reply(value, status: HTTPStatus = HTTPStatus.OK) -> Reply:
    return Reply(status, json.dumps(value).encode())


def text_reply(status: HTTPStatus, text: str, headers: tuple = ()) -> Reply:
    return Reply(status, text.encode(), "text/plain; charset=utf-8", headers)


def read_body(environ: dict, limit: int) -> bytes:
    """The request body; RequestTooLarge past ``limit`` bytes (declared or chunked)."""
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.isdigit():
        if int(declared) > limit:
            raise RequestTooLarge
        return environ["wsgi.input"].read(int(declared))
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge
    return body


def fault_injection_changes(document) -> dict:
    """Check a ``POST /_sandbox/config`` body; ValueError names what is wrong."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    changes = {}
    for name, value in document.items():
        if name == "outage":
            is_valid = isinstance(value, bool)
        elif name == "fault_rate":
            is_valid = type(value) in (int, float) and 0 <= value <= 1
        elif name in ("latency_ms", "timeout_after_commit_ms"):
            is_valid = type(value) is int and 0 <= value <= MAX_DELAY_MS
        else:
            raise ValueError(f"unknown setting {name!r}")
        if not is_valid:
            raise ValueError(f"invalid value for {name}: {value!r}")
        changes[name] = value
    return changes


def service_url(environ: dict) -> str:
    """This server's SOAP endpoint as the caller reached it (for the WSDL's soap:address)."""
    host = environ.get("HTTP_HOST", "")
    if not HOST_HEADER.fullmatch(host):
        host = f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    scheme = environ.get("wsgi.url_scheme", "http")
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}{SERVICE_PATH}"


class SandboxErp:
    """The WSGI callable; see the module docstring for its URLs."""

    def __init__(
        self,
        store: SandboxStore,
        username: str | None,
        password: str | None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ):
        self.store = store
        self.max_body_bytes = max_body_bytes
        self._credentials = (
            None if username is None else (username.encode(), (password or "").encode())
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        reply = self.route(environ)
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            ("X-Sandbox-Process", str(os.getpid())),
            *reply.headers,
        ]
        start_response(f"{reply.status.value} {reply.status.phrase}", headers)
        return [reply.body]

    def route(self, environ: dict) -> Reply:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/_sandbox/health":
            return json_reply({"status": "ok"})
        if not self.is_authorised(environ):
            return text_reply(
                HTTPStatus.UNAUTHORIZED,
                "authentication required",
                (("WWW-Authenticate", 'Basic realm="sandbox-erp"'),),
            )
        routes = {
            ("GET", SERVICE_PATH): self.wsdl,
            ("POST", SERVICE_PATH): self.soap,
            ("GET", "/_sandbox/config"): self.show_config,
            ("POST", "/_sandbox/config"): self.change_config,
            ("GET", "/_sandbox/documents"): self.documents,
        }
        if (method, path) in routes:
            return routes[(method, path)](environ)
        if any(path == known_path for _, known_path in routes):
            return text_reply(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}")
        return text_reply(HTTPStatus.NOT_FOUND, f"no such resource: {path}")

    def is_authorised(self, environ: dict) -> bool:
        if self._credentials is None:
            return True
        scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, separator, password = base64.b64decode(encoded, validate=True).partition(b":")
        except binascii.Error:
            return False
        expected_user, expected_password = self._credentials
        # Compare both parts every time so timing does not tell which one was wrong.
        is_user = hmac.compare_digest(user, expected_user)
        is_password = hmac.compare_digest(password, expected_password)
        return bool(separator) and is_user and is_password

    def wsdl(self, environ: dict) -> Reply:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if not any(name.lower() == "wsdl" for name in query):
            return text_reply(HTTPStatus.BAD_REQUEST, f"GET {SERVICE_PATH}?wsdl for the WSDL")
        if self.store.fault_injection().outage:
            return text_reply(HTTPStatus.SERVICE_UNAVAILABLE, "the ERP is down (sandbox outage)")
        return Reply(HTTPStatus.OK, render_wsdl(service_url(environ)), SOAP_CONTENT_TYPE)

    def soap(self, environ: dict) -> Reply:
        faults = self.store.fault_injection()
        try:
            if faults.outage:
                raise SoapFault(
                    FaultCode.UNAVAILABLE, "the ERP is down (sandbox outage)", http_status=503
                )
            payload = read_request_payload(read_body(environ, self.max_body_bytes))
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            return Reply(
                HTTPStatus.OK, render_reply(answer(self.store, payload, faults)), SOAP_CONTENT_TYPE
            )
        except RequestTooLarge:
            return text_reply(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body is larger than {self.max_body_bytes} bytes",
            )
        except SoapFault as fault:
            return self.fault_reply(fault)
        except Exception:
            logger.exception("sandbox ERP failed to answer a SOAP request")
            return self.fault_reply(SoapFault(FaultCode.INTERNAL, "internal error in the ERP"))

    def fault_reply(self, fault: SoapFault) -> Reply:
        status = HTTPStatus(fault.http_status)
        headers = (("Retry-After", "5"),) if status == HTTPStatus.SERVICE_UNAVAILABLE else ()
        return Reply(status, render_fault(fault), SOAP_CONTENT_TYPE, headers)

    def show_config(self, environ: dict) -> Reply:
        return json_reply(asdict(self.store.fault_injection()))

    def change_config(self, environ: dict) -> Reply:
        try:
            body = read_body(environ, CONFIG_MAX_BODY_BYTES)
            changes = fault_injection_changes(json.loads(body or b"{}"))
        except RequestTooLarge:
            return text_reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "config body is too large")
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            return json_reply({"error": str(error)}, HTTPStatus.BAD_REQUEST)
        return json_reply(asdict(self.store.update_fault_injection(**changes)))

    def documents(self, environ: dict) -> Reply:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "external_reference" in query:
            found = self.store.find_sales_order(query["external_reference"][0])
            documents = [] if found is None else [found]
        else:
            documents = self.store.list_sales_orders()
        return json_reply([document.as_json() for document in documents])


def create_app(
    store_path,
    username: str | None = None,
    password: str | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> SandboxErp:
    """A WSGI application for the sandbox ERP keeping its documents in ``store_path`` (SQLite).

    With ``username`` set, HTTP basic auth with ``username``/``password`` is required.
    """
    return SandboxErp(SandboxStore(store_path), username, password, max_body_bytes)
