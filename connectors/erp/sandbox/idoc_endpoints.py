"""The sandbox ERP's IDoc URLs: inbound packages (SOAP and XML-HTTP), statuses, stock.

Inbound (``?msgguid=ID`` optional, see :mod:`connectors.erp.idoc_service`):
the whole package is read before anything is stored; a package with any bad
IDoc is refused whole, naming the IDoc, segment and field. Accepted IDocs get
their DOCNUMs at once (status 50, then 64) and are posted afterwards by
:mod:`connectors.erp.sandbox.background`.

Fault injection applies to all four: ``outage`` answers 503 and stores
nothing; ``latency_ms`` is slept once the request is read; ``fault_rate`` refuses
that share of valid requests with INJECTED (HTTP 500, nothing stored);
``timeout_after_commit_ms`` is slept after a new package is committed, before
the answer.
"""

import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

from lxml import etree

from connectors.erp.idoc_service import (
    DUPLICATE_HEADER,
    MESSAGE_ID_PARAMETER,
    MESSAGE_ID_PATTERN,
    NAMESPACE,
    IdocFaultCode,
)
from connectors.erp.sandbox.idoc_records import (
    IdocReceipt,
    MessageIdReused,
    ReceivedIdoc,
    idoc_id_for,
)
from connectors.erp.sandbox.idoc_store import IdocStore
from connectors.erp.sandbox.soap import CONTENT_TYPE as SOAP_CONTENT_TYPE
from connectors.erp.sandbox.soap import SoapFault, render_fault, render_reply
from connectors.erp.sandbox.store import FaultInjection, SandboxStore
from connectors.erp.sandbox.wsgi_io import (
    Reply,
    RequestTooLarge,
    json_reply,
    query,
    read_body,
)
from connectors.idoc import (
    IdocError,
    IdocStructureError,
    MalformedXmlError,
    PackageTooLargeError,
    UnsafeXmlError,
    read_package,
    unwrap_soap,
)

logger = logging.getLogger(__name__)

SOAP = "soap"
XML_HTTP = "xml-http"
QUERY_MAX_BYTES = 4 * 1024 * 1024
MAX_QUERY_VALUES = 100_000
FAULT_DETAIL = f"{{{NAMESPACE}}}IdocInboundFault"
_MESSAGE_ID = re.compile(MESSAGE_ID_PATTERN)


@dataclass(eq=False)
class Refusal(Exception):
    code: IdocFaultCode
    text: str
    http_status: HTTPStatus
    idoc_error: str = ""

    def as_json(self) -> dict:
        error = {"code": self.code.value, "text": self.text}
        if self.idoc_error:
            error["idoc_error"] = self.idoc_error
        return {"error": error}


def refusal_for(error: IdocError) -> Refusal:
    if isinstance(error, PackageTooLargeError):
        return Refusal(IdocFaultCode.TOO_LARGE, str(error), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    code = (
        IdocFaultCode.MALFORMED_REQUEST
        if isinstance(error, MalformedXmlError | UnsafeXmlError)
        else IdocFaultCode.INVALID_IDOC
    )
    return Refusal(code, str(error), HTTPStatus.BAD_REQUEST, error.code)


def receipt_json(receipt: IdocReceipt) -> dict:
    return {
        "message_id": receipt.message_id,
        "received_at": receipt.received_at,
        "idocs": [
            {
                "position": idoc.position,
                "docnum": idoc.docnum,
                "sender_docnum": idoc.sender_docnum,
                "idoc_type": idoc.idoc_type,
                "message_type": idoc.message_type,
            }
            for idoc in receipt.idocs
        ],
    }


def receipt_element(receipt: IdocReceipt) -> etree._Element:
    """``IdocInboundConfirmation``: MessageID, ReceivedAt, then one Idoc per IDoc in order."""
    confirmation = etree.Element(
        f"{{{NAMESPACE}}}IdocInboundConfirmation", nsmap={"idoc": NAMESPACE}
    )
    for name, value in (("MessageID", receipt.message_id), ("ReceivedAt", receipt.received_at)):
        if value:
            etree.SubElement(confirmation, f"{{{NAMESPACE}}}{name}").text = value
    for idoc in receipt.idocs:
        element = etree.SubElement(confirmation, f"{{{NAMESPACE}}}Idoc")
        for name, value in (
            ("Position", str(idoc.position)),
            ("DOCNUM", idoc.docnum),
            ("SenderDOCNUM", idoc.sender_docnum),
            ("IDOCTYP", idoc.idoc_type),
            ("MESTYP", idoc.message_type),
        ):
            etree.SubElement(element, f"{{{NAMESPACE}}}{name}").text = value
    return confirmation


class IdocEndpoints:
    """The handlers behind the IDoc URLs; each takes the WSGI environ and returns a Reply."""

    def __init__(self, store: SandboxStore, idocs: IdocStore, max_package_bytes: int):
        self.store = store
        self.idocs = idocs
        self.max_package_bytes = max_package_bytes

    def soap_inbound(self, environ: dict) -> Reply:
        try:
            receipt = self._receive(environ, SOAP)
        except Refusal as refusal:
            return self._soap_fault(refusal)
        return Reply(
            HTTPStatus.OK,
            render_reply(receipt_element(receipt)),
            SOAP_CONTENT_TYPE,
            _duplicate_header(receipt),
        )

    def xml_http_inbound(self, environ: dict) -> Reply:
        try:
            receipt = self._receive(environ, XML_HTTP)
        except Refusal as refusal:
            return _json_refusal(refusal)
        return json_reply(receipt_json(receipt), headers=_duplicate_header(receipt))

    def statuses(self, environ: dict) -> Reply:
        """``GET ?docnum=N&docnum=M`` or ``POST {"docnums": [...]}``: each IDoc's status."""
        return self._query(environ, "docnum", "docnums", self._statuses)

    def stock(self, environ: dict) -> Reply:
        """``GET ?plant=P&material=M...`` or ``POST {"plant": P, "materials": [...]}``."""
        return self._query(environ, "material", "materials", self._stock)

    # -- inbound -----------------------------------------------------------

    def _receive(self, environ: dict, transport: str) -> IdocReceipt:
        try:
            faults = self._faults_before()
            message_id = _message_id(environ)
            body = self._body(environ, self.max_package_bytes)
            _sleep_latency(faults)
            package = self._package(body) if transport == SOAP else body
            idocs = list(self._received_idocs(package))
            _maybe_inject(faults)
            receipt = self.idocs.receive(
                message_id=message_id,
                body_sha256=hashlib.sha256(body).hexdigest(),
                transport=transport,
                package=package,
                idocs=idocs,
                processing_delay=timedelta(milliseconds=self.idocs.settings().processing_delay_ms),
            )
        except IdocError as error:
            raise refusal_for(error) from None
        except MessageIdReused:
            raise Refusal(
                IdocFaultCode.MESSAGE_ID_REUSED,
                f"message id {message_id} was used for another package; nothing was stored",
                HTTPStatus.CONFLICT,
            ) from None
        except Refusal:
            raise
        except Exception:
            logger.exception("sandbox ERP failed to take an IDoc package")
            raise Refusal(
                IdocFaultCode.INTERNAL,
                "internal error in the ERP",
                HTTPStatus.INTERNAL_SERVER_ERROR,
            ) from None
        if faults.timeout_after_commit_ms and not receipt.is_duplicate:
            time.sleep(faults.timeout_after_commit_ms / 1000)
        return receipt

    def _package(self, envelope: bytes) -> bytes:
        """The package in a SOAP envelope; anything but an envelope is a malformed request."""
        try:
            return unwrap_soap(envelope, max_bytes=self.max_package_bytes)
        except (IdocStructureError, UnsafeXmlError) as error:
            raise Refusal(
                IdocFaultCode.MALFORMED_REQUEST, str(error), HTTPStatus.BAD_REQUEST, error.code
            ) from None

    def _received_idocs(self, package: bytes) -> Iterator[ReceivedIdoc]:
        documents = read_package(package, max_bytes=self.max_package_bytes)
        for position, document in enumerate(documents, start=1):
            control = document.control
            yield ReceivedIdoc(position, control.idoc_type, control.message_type, control.docnum)

    def _soap_fault(self, refusal: Refusal) -> Reply:
        status = refusal.http_status
        if status not in (HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
            status = HTTPStatus.INTERNAL_SERVER_ERROR  # SOAP 1.1 answers faults with 500
        extra = (("IdocErrorCode", refusal.idoc_error),) if refusal.idoc_error else ()
        fault = SoapFault(refusal.code, refusal.text, status, detail=FAULT_DETAIL, extra=extra)
        return Reply(status, render_fault(fault), SOAP_CONTENT_TYPE, _retry_after(status))

    # -- queries -----------------------------------------------------------

    def _query(self, environ: dict, name: str, json_name: str, answer: Callable) -> Reply:
        try:
            faults = self._faults_before()
            parameters = self._query_parameters(environ, name, json_name)
            _sleep_latency(faults)
            _maybe_inject(faults)
            return json_reply(answer(parameters))
        except Refusal as refusal:
            return _json_refusal(refusal)
        except Exception:
            logger.exception("sandbox ERP failed to answer an IDoc query")
            return _json_refusal(
                Refusal(IdocFaultCode.INTERNAL, "internal error in the ERP", HTTPStatus(500))
            )

    def _query_parameters(self, environ: dict, name: str, json_name: str) -> dict:
        """``{json_name: [...] or None, "plant": ...}`` from the query string or a JSON body."""
        if environ["REQUEST_METHOD"] == "GET":
            parameters = query(environ)
            values = parameters.get(name)
            document = {json_name: values, "plant": (parameters.get("plant") or [None])[0]}
        else:
            try:
                document = json.loads(self._body(environ, QUERY_MAX_BYTES) or b"{}")
            except ValueError:
                raise _bad_request(IdocFaultCode.MALFORMED_REQUEST, "body is not JSON") from None
            if not isinstance(document, dict):
                raise _bad_request(IdocFaultCode.MALFORMED_REQUEST, "expected a JSON object")
        values = document.get(json_name)
        if values is not None and (
            not isinstance(values, list)
            or len(values) > MAX_QUERY_VALUES
            or not all(isinstance(value, str) for value in values)
        ):
            raise _bad_request(
                IdocFaultCode.INVALID_REQUEST,
                f"{json_name} must be a list of at most {MAX_QUERY_VALUES} strings",
            )
        return {**document, json_name: values}

    def _statuses(self, parameters: dict) -> dict:
        docnums = parameters["docnums"] or []
        found = self.idocs.idocs(docnums)
        known = {idoc_id_for(idoc.docnum) for idoc in found}
        return {
            "idocs": [idoc.as_json() for idoc in found],
            "unknown": [docnum for docnum in docnums if idoc_id_for(docnum) not in known],
        }

    def _stock(self, parameters: dict) -> dict:
        plant = parameters.get("plant")
        if not isinstance(plant, str) or not plant:
            raise _bad_request(IdocFaultCode.INVALID_REQUEST, "plant is required")
        levels = self.idocs.stock(plant, parameters["materials"])
        return {"plant": plant, "stock": [level.as_json() for level in levels]}

    # -- shared ------------------------------------------------------------

    def _faults_before(self) -> FaultInjection:
        """The fault injection now; Refusal during an outage."""
        faults = self.store.fault_injection()
        if faults.outage:
            raise Refusal(
                IdocFaultCode.UNAVAILABLE,
                "the ERP is down (sandbox outage)",
                HTTPStatus.SERVICE_UNAVAILABLE,
            )
        return faults

    def _body(self, environ: dict, limit: int) -> bytes:
        try:
            return read_body(environ, limit)
        except RequestTooLarge:
            raise Refusal(
                IdocFaultCode.TOO_LARGE,
                f"request body is larger than {limit} bytes",
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            ) from None


def _message_id(environ: dict) -> str | None:
    values = query(environ).get(MESSAGE_ID_PARAMETER)
    if values is None:
        return None
    if len(values) != 1 or not _MESSAGE_ID.fullmatch(values[0]):
        raise _bad_request(
            IdocFaultCode.INVALID_REQUEST,
            f"{MESSAGE_ID_PARAMETER} must be given once, 1 to 100 of A-Z a-z 0-9 . _ : -",
        )
    return values[0]


def _sleep_latency(faults: FaultInjection) -> None:
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)


def _maybe_inject(faults: FaultInjection) -> None:
    if faults.fault_rate and random.random() < faults.fault_rate:
        raise Refusal(
            IdocFaultCode.INJECTED,
            "injected fault: nothing was stored, try again",
            HTTPStatus.INTERNAL_SERVER_ERROR,
        )


def _bad_request(code: IdocFaultCode, text: str) -> Refusal:
    return Refusal(code, text, HTTPStatus.BAD_REQUEST)


def _json_refusal(refusal: Refusal) -> Reply:
    return json_reply(refusal.as_json(), refusal.http_status, _retry_after(refusal.http_status))


def _retry_after(status: HTTPStatus) -> tuple:
    return (("Retry-After", "5"),) if status == HTTPStatus.SERVICE_UNAVAILABLE else ()


def _duplicate_header(receipt: IdocReceipt) -> tuple:
    return ((DUPLICATE_HEADER, "true"),) if receipt.is_duplicate else ()
