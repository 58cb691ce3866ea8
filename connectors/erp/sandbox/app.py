"""The sandbox ERP as a WSGI application.

URLs, relative to where the application is mounted:

====== ================================= ==============================================
GET    ``/sap/SalesOrder?wsdl``          the WSDL; its soap:address is this server
POST   ``/sap/SalesOrder``               SOAP 1.1 (``text/xml``): both operations
POST   ``/sap/bc/srt/idoc``              IDoc package in a SOAP 1.1 envelope
POST   ``/sap/bc/idoc_xml``              IDoc package as plain XML (answer in JSON)
GET    ``/sap/bc/idoc_status``           ``?docnum=N...`` (or POST ``{"docnums": [...]}``):
                                         status per DOCNUM, with its history (JSON)
GET    ``/sap/bc/stock``                 ``?plant=P&material=M...`` (or POST
                                         ``{"plant", "materials"}``): stock (JSON)
GET    ``/_sandbox/health``              ``{"status": "ok"}``; never needs credentials
GET    ``/_sandbox/config``              fault injection and IDoc settings (JSON; the
                                         push password and API key shown as ``***``)
POST   ``/_sandbox/config``              change some, e.g. ``{"outage": true}``, or seed
                                         stock: ``{"stock": [...]}`` (see ``settings``)
GET    ``/_sandbox/documents``           stored sales orders, newest first (JSON list);
                                         ``?external_reference=R`` for just that one
GET    ``/_sandbox/idocs``               IDocs, newest first; ``?message_id=ID`` for one
                                         package's
GET    ``/_sandbox/invoices``            billing documents and their push state
GET    ``/_sandbox/stats``               requests in flight, peak concurrency, total
POST   ``/_sandbox/stats/reset``         start counting the peak and total again
====== ================================= ==============================================

The IDoc URLs are described in :mod:`connectors.erp.sandbox.idoc_endpoints`
and :mod:`connectors.erp.idoc_service`. Every answer carries
``X-Sandbox-Process`` (the worker's pid) so tests can see that several
processes served them. With credentials configured, every URL but health needs
HTTP basic auth (401 otherwise). Requests to every URL outside ``/_sandbox/``
are counted by :mod:`connectors.erp.sandbox.stats`.

Fault injection, shared by all processes through the store and read from it on
every call (about 10 microseconds, so no cache and no staleness):
``latency_ms`` is slept after a SOAP request is read and before it is handled;
``fault_rate`` is the share of valid creates refused with an INJECTED fault
(HTTP 500, nothing stored); ``outage`` answers every SOAP call and the WSDL with
503; ``timeout_after_commit_ms`` is slept after a create is committed and
before it is confirmed (the "ERP got it, the caller timed out" case).
``price_differences`` (per material) makes the ERP price an item away from
the NetPrice it was sent, so the confirmed TotalNetAmount differs from the
channel's (reconciliation's ``erp_amount_differs``). The IDoc
URLs take the same four (see ``idoc_endpoints``).
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
from dataclasses import asdict
from http import HTTPStatus

from connectors.erp import idoc_service
from connectors.erp.sales_order_service import SERVICE_PATH, FaultCode
from connectors.erp.sandbox.background import BackgroundWork
from connectors.erp.sandbox.idoc_endpoints import IdocEndpoints
from connectors.erp.sandbox.idoc_store import IdocStore
from connectors.erp.sandbox.sales_orders import answer
from connectors.erp.sandbox.service_description import render_wsdl
from connectors.erp.sandbox.settings import config_changes
from connectors.erp.sandbox.soap import CONTENT_TYPE as SOAP_CONTENT_TYPE
from connectors.erp.sandbox.soap import SoapFault, read_request_payload, render_fault, render_reply
from connectors.erp.sandbox.stats import ConcurrencyGauge
from connectors.erp.sandbox.store import SandboxStore
from connectors.erp.sandbox.wsgi_io import (
    Reply,
    RequestTooLarge,
    json_reply,
    query,
    read_body,
    text_reply,
)
from connectors.idoc import DEFAULT_MAX_BYTES as DEFAULT_MAX_PACKAGE_BYTES

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
CONFIG_MAX_BODY_BYTES = 8 * 1024 * 1024  # room to seed stock for many materials
HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


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
        max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES,
        gauge: ConcurrencyGauge | None = None,
    ):
        self.store = store
        self.idocs = IdocStore(store)
        self.idoc_endpoints = IdocEndpoints(store, self.idocs, max_package_bytes)
        self.max_body_bytes = max_body_bytes
        self.gauge = gauge or ConcurrencyGauge()
        self.background: BackgroundWork | None = None
        self._credentials = (
            None if username is None else (username.encode(), (password or "").encode())
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/_sandbox/"):
            reply = self.route(environ)
        else:
            with self.gauge.counting():
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
        idocs = self.idoc_endpoints
        routes = {
            ("GET", SERVICE_PATH): self.wsdl,
            ("POST", SERVICE_PATH): self.soap,
            ("POST", idoc_service.SOAP_INBOUND_PATH): idocs.soap_inbound,
            ("POST", idoc_service.XML_HTTP_INBOUND_PATH): idocs.xml_http_inbound,
            ("GET", idoc_service.STATUS_PATH): idocs.statuses,
            ("POST", idoc_service.STATUS_PATH): idocs.statuses,
            ("GET", idoc_service.STOCK_PATH): idocs.stock,
            ("POST", idoc_service.STOCK_PATH): idocs.stock,
            ("GET", "/_sandbox/config"): self.show_config,
            ("POST", "/_sandbox/config"): self.change_config,
            ("GET", "/_sandbox/documents"): self.documents,
            ("GET", "/_sandbox/idocs"): self.recent_idocs,
            ("GET", "/_sandbox/invoices"): self.invoices,
            ("GET", "/_sandbox/stats"): self.stats,
            ("POST", "/_sandbox/stats/reset"): self.reset_stats,
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
        if not any(name.lower() == "wsdl" for name in query(environ)):
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
        return json_reply(self._config())

    def change_config(self, environ: dict) -> Reply:
        try:
            body = read_body(environ, CONFIG_MAX_BODY_BYTES)
            changes = config_changes(json.loads(body or b"{}"))
        except RequestTooLarge:
            return text_reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "config body is too large")
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            return json_reply({"error": str(error)}, HTTPStatus.BAD_REQUEST)
        self.store.update_fault_injection(**changes.faults)
        self.idocs.update_settings(**changes.idoc)
        if changes.stock:
            self.idocs.seed_stock(changes.stock)
        if changes.price_differences:
            self.store.update_price_differences(changes.price_differences)
        return json_reply(self._config())

    def _config(self) -> dict:
        price_differences = {
            material: format(amount, "f")
            for material, amount in sorted(self.store.price_differences().items())
        }
        return {
            **asdict(self.store.fault_injection()),
            **self.idocs.settings().as_public_json(),
            "price_differences": price_differences,
        }

    def documents(self, environ: dict) -> Reply:
        parameters = query(environ)
        if "external_reference" in parameters:
            found = self.store.find_sales_order(parameters["external_reference"][0])
            documents = [] if found is None else [found]
        else:
            documents = self.store.list_sales_orders()
        return json_reply([document.as_json() for document in documents])

    def recent_idocs(self, environ: dict) -> Reply:
        message_id = (query(environ).get("message_id") or [None])[0]
        return json_reply(
            [idoc.as_json() for idoc in self.idocs.recent_idocs(message_id=message_id)]
        )

    def invoices(self, environ: dict) -> Reply:
        return json_reply(self.idocs.billing_documents())

    def stats(self, environ: dict) -> Reply:
        return json_reply(self.gauge.snapshot())

    def reset_stats(self, environ: dict) -> Reply:
        return json_reply(self.gauge.reset())


def create_app(
    store_path,
    username: str | None = None,
    password: str | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES,
    gauge: ConcurrencyGauge | None = None,
    runs_background_work: bool = True,
) -> SandboxErp:
    """A WSGI application for the sandbox ERP keeping its documents in ``store_path`` (SQLite).

    With ``username`` set, HTTP basic auth with ``username``/``password`` is required.
    ``gauge`` counts concurrent requests (pass one made before forking to count
    across processes). With ``runs_background_work``, a daemon thread of this
    process posts received IDocs and pushes invoices (``app.background``).
    """
    store = SandboxStore(store_path)
    app = SandboxErp(store, username, password, max_body_bytes, max_package_bytes, gauge)
    if runs_background_work:
        app.background = BackgroundWork(app.idocs).start()
    return app
