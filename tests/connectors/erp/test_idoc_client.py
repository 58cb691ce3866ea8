"""IdocClient's contract against canned HTTP answers: which answer becomes which error."""

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from connectors.erp.idoc_client import IdocClient
from connectors.erp.messages import confirmation_from
from connectors.errors import ConfigError, PermanentError, TransientError
from tests.support.processes import free_port


class CannedErp:
    """Answers every POST with ``status``, ``body`` after ``delay`` seconds; keeps the requests."""

    def __init__(self):
        self.status, self.body, self.delay = 200, b"{}", 0.0
        self.requests: list[tuple[str, bytes]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                canned.requests.append(
                    (self.path, self.rfile.read(int(self.headers["Content-Length"])))
                )
                time.sleep(canned.delay)
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Length", str(len(canned.body)))
                    self.end_headers()
                    self.wfile.write(canned.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as the timeout test means it to

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        serving = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serving.start()

    def answer(self, status: int, document=None, *, body: bytes | None = None) -> None:
        self.status = status
        self.body = body if body is not None else json.dumps(document).encode()


@pytest.fixture
def canned():
    server = CannedErp()
    yield server
    server.server.shutdown()


@pytest.fixture
def client(canned) -> IdocClient:
    with IdocClient(canned.url, "user", "secret", timeout=1) as idoc_client:
        yield idoc_client


def refusal(code: str, text: str = "text from the ERP") -> dict:
    return {"error": {"code": code, "text": text}}


def test_given_an_answer_then_docnums_in_order_and_the_message_id_in_the_url(canned, client):
    canned.answer(200, {"idocs": [{"docnum": "0000000000100007"}, {"docnum": "0000000000100008"}]})

    docnums = client.send_package(b"<DELVRY07/>", "pkg-42")

    assert docnums == ["0000000000100007", "0000000000100008"]
    assert canned.requests == [("/sap/bc/idoc_xml?msgguid=pkg-42", b"<DELVRY07/>")]


def test_given_statuses_then_in_the_order_asked_and_unknown_left_out(canned, client):
    def status(docnum: str, code: str) -> dict:
        return {
            "docnum": docnum,
            "status": code,
            "text": "t",
            "status_at": "2026-11-24T09:15:00.000001+00:00",
            "idoc_type": "DELVRY07",
            "message_type": "SHPCON",
            "sender_docnum": "0000000000000001",
        }

    canned.answer(200, {"idocs": [status("0000000000000001", "53"), status("2", "51")]})

    first, second = client.statuses(["2", "0000000000000001", "3"])

    assert (first.docnum, first.status, first.is_error) == ("2", "51", True)
    assert second.is_posted and second.status_at == datetime(2026, 11, 24, 9, 15, 0, 1, UTC)


def test_given_stock_then_by_material(canned, client):
    canned.answer(
        200, {"stock": [{"material": "A", "plant": "1000", "quantity": "2.5", "unit": "KG"}]}
    )

    stock = client.stock(["A", "B"], "1000")

    assert stock["A"].quantity == Decimal("2.5") and list(stock) == ["A"]
    assert json.loads(canned.requests[0][1]) == {"plant": "1000", "materials": ["A", "B"]}


@pytest.mark.parametrize(
    ("status", "document", "error_class", "code", "may_have_reached"),
    [
        (400, refusal("INVALID_IDOC"), PermanentError, "erp_idoc_invalid_idoc", None),
        (400, refusal("MALFORMED_REQUEST"), PermanentError, "erp_idoc_malformed_request", None),
        (409, refusal("MESSAGE_ID_REUSED"), PermanentError, "erp_idoc_message_id_reused", None),
        (413, refusal("TOO_LARGE"), PermanentError, "erp_idoc_too_large", None),
        (500, refusal("INJECTED"), TransientError, "erp_injected", False),
        (503, refusal("UNAVAILABLE"), TransientError, "erp_unavailable", False),
        (500, refusal("INTERNAL"), TransientError, "erp_internal", True),
        (502, None, TransientError, "erp_server_error", True),
        (429, None, TransientError, "erp_unavailable", False),
        (401, None, ConfigError, "erp_auth", None),
        (404, None, ConfigError, "erp_url", None),
        (422, None, PermanentError, "erp_refused", None),
    ],
)
def test_given_an_answer_other_than_200_then_its_error(
    canned, client, status, document, error_class, code, may_have_reached
):
    canned.answer(status, document) if document else canned.answer(status, body=b"<html/>")

    with pytest.raises(error_class) as raised:
        client.send_package(b"<DELVRY07/>", "pkg-1")

    assert type(raised.value) is error_class and raised.value.code == code
    if document:
        assert "text from the ERP" in str(raised.value)
    if may_have_reached is not None:
        assert raised.value.may_have_reached_partner is may_have_reached


@pytest.mark.parametrize("body", [b"<html/>", b"[]", b'{"idocs": [{"no": 1}]}'])
def test_given_200_that_is_not_the_expected_json_then_config_error(canned, client, body):
    canned.answer(200, body=body)

    with pytest.raises(ConfigError) as raised:
        client.send_package(b"<DELVRY07/>", "pkg-1")

    assert raised.value.code == "erp_not_json"


def test_given_no_answer_in_time_then_transient_that_may_have_reached_the_erp(canned, client):
    canned.delay = 1.5

    with pytest.raises(TransientError) as raised:
        client.send_package(b"<DELVRY07/>", "pkg-1")

    assert raised.value.may_have_reached_partner


def test_given_nobody_listening_then_transient_that_did_not_reach_the_erp():
    client = IdocClient(f"http://127.0.0.1:{free_port()}", timeout=1)

    with pytest.raises(TransientError) as raised:
        client.statuses(["1"])

    assert not raised.value.may_have_reached_partner and raised.value.code == "erp_unreachable"


@pytest.mark.parametrize("url", ["ftp://erp.example", "http://user:pw@erp.example", "erp:8001"])
def test_given_a_bad_url_then_config_error_without_the_password(url):
    with pytest.raises(ConfigError) as raised:
        IdocClient(url)

    assert "pw" not in str(raised.value)


def test_given_a_confirmation_without_delivery_then_delivery_number_is_empty():
    summary = SimpleNamespace(
        SalesOrderID="0000010000",
        ExternalReference="SP-0000000001",
        CreationDateTime=datetime(2026, 11, 23, tzinfo=UTC),
        ItemCount=1,
        NetAmount=Decimal("1"),
        CurrencyCode="USD",
        DeliveryID=None,
    )

    assert confirmation_from(summary).delivery_number == ""
