"""The sandbox ERP's IDoc inbound over real HTTP: numbers, repeats, refusals, faults, stats."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import etree

from connectors.erp.idoc_client import IdocClient
from connectors.errors import PermanentError, TransientError
from tests.connectors.erp.idoc_packages import (
    IDOC_DEFAULTS,
    a_message_id,
    create_sales_order,
    goods_movement,
    idoc_client,
    package,
    shipment_confirmation,
    wait_for_final,
)
from tests.support.processes import wait_until

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
IDOC_NS = "urn:syncplatform:sandbox-erp:IDOC"


@pytest.fixture
def idoc_erp(erp):
    erp.configure(**IDOC_DEFAULTS)
    yield erp
    erp.configure(**IDOC_DEFAULTS)


@pytest.fixture
def client(idoc_erp) -> IdocClient:
    with idoc_client(idoc_erp) as idoc_client_:
        yield idoc_client_


def post(erp, path: str, body: bytes, message_id: str | None = None) -> requests.Response:
    params = {"msgguid": message_id} if message_id else {}
    return requests.post(
        f"{erp.base_url}{path}", data=body, params=params, auth=erp.auth, timeout=10
    )


def soap_fault(response: requests.Response) -> tuple[str, str]:
    """(Code, Text) of the IdocInboundFault in a SOAP fault."""
    detail = etree.fromstring(response.content).find(
        f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/detail/{{{IDOC_NS}}}IdocInboundFault"
    )
    return detail.findtext(f"{{{IDOC_NS}}}Code"), detail.findtext(f"{{{IDOC_NS}}}Text")


def idoc_count(erp) -> int:
    return len(erp.get("/_sandbox/idocs").json())


def two_movements() -> tuple:
    """Two WMMBXY IDocs (sender DOCNUMs 41 and 42) for a material the ERP does not keep."""
    return (
        goods_movement([("701", "NOT-KEPT", "1000", "1")], number=41),
        goods_movement([("702", "NOT-KEPT", "1000", "1")], number=42),
    )


def two_idocs() -> bytes:
    return package(*two_movements())


def test_given_a_soap_package_then_it_answers_a_docnum_per_idoc_in_package_order(idoc_erp):
    response = post(idoc_erp, "/sap/bc/srt/idoc", package(*two_movements(), soap=True))

    assert response.status_code == 200
    body = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")
    confirmation = body.find(f"{{{IDOC_NS}}}IdocInboundConfirmation")
    idocs = confirmation.findall(f"{{{IDOC_NS}}}Idoc")
    numbers = [idoc.findtext(f"{{{IDOC_NS}}}DOCNUM") for idoc in idocs]
    assert [idoc.findtext(f"{{{IDOC_NS}}}SenderDOCNUM") for idoc in idocs] == [
        "0000000000000041",
        "0000000000000042",
    ]
    assert all(len(number) == 16 and number.isdigit() for number in numbers)
    assert int(numbers[1]) == int(numbers[0]) + 1


def test_given_a_plain_package_then_json_names_each_idoc_and_its_status_is_queryable(
    idoc_erp, client
):
    response = post(idoc_erp, "/sap/bc/idoc_xml", two_idocs(), a_message_id())

    answer = response.json()
    assert response.status_code == 200
    assert [(i["position"], i["idoc_type"], i["message_type"]) for i in answer["idocs"]] == [
        (1, "WMMBID02", "WMMBXY"),
        (2, "WMMBID02", "WMMBXY"),
    ]
    statuses = client.statuses([i["docnum"] for i in answer["idocs"]])
    assert [s.docnum for s in statuses] == [i["docnum"] for i in answer["idocs"]]
    assert all(s.status in ("64", "51") and s.sender_docnum for s in statuses)


def test_given_a_repeated_message_id_then_the_earlier_answer_and_nothing_new(idoc_erp, client):
    # given a package that was taken and posted
    order = create_sales_order(idoc_erp)
    shipment = package(shipment_confirmation(order.delivery_number, {10: "2", 20: "3"}))
    message_id = a_message_id()
    first = post(idoc_erp, "/sap/bc/idoc_xml", shipment, message_id)
    wait_for_final(client, [i["docnum"] for i in first.json()["idocs"]])
    count_before = idoc_count(idoc_erp)

    # when the same bytes come again under the same id, twice
    again = post(idoc_erp, "/sap/bc/idoc_xml", shipment, message_id)
    docnums = client.send_package(shipment, message_id)

    # then the first answer, and no new IDoc, status or billing document
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["X-Duplicate-Message"] == "true"
    assert docnums == [i["docnum"] for i in first.json()["idocs"]]
    assert idoc_count(idoc_erp) == count_before
    (status,) = client.statuses(docnums)
    assert status.is_posted and [h["status"] for h in _history(idoc_erp, docnums[0])] == [
        "50",
        "64",
        "53",
    ]
    invoices = [
        i
        for i in idoc_erp.get("/_sandbox/invoices").json()
        if i["delivery_number"] == order.delivery_number
    ]
    assert len(invoices) == 1


def _history(erp, docnum: str) -> list[dict]:
    (idoc,) = erp.get("/sap/bc/idoc_status", docnum=docnum).json()["idocs"]
    return idoc["history"]


def test_given_a_message_id_used_for_other_bytes_then_409_and_nothing_stored(idoc_erp, client):
    message_id = a_message_id()
    client.send_package(two_idocs(), message_id)
    count_before = idoc_count(idoc_erp)

    response = post(idoc_erp, "/sap/bc/idoc_xml", package(two_movements()[0]), message_id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "MESSAGE_ID_REUSED"
    assert idoc_count(idoc_erp) == count_before
    with pytest.raises(PermanentError) as refused:
        client.send_package(package(two_movements()[1]), message_id)
    assert refused.value.code == "erp_idoc_message_id_reused"


def test_given_malformed_xml_then_400_naming_line_and_column_and_nothing_stored(idoc_erp):
    count_before = idoc_count(idoc_erp)
    broken = two_idocs().replace(b"</E1MBXYH>", b"</E1MBXYH", 1)

    response = post(idoc_erp, "/sap/bc/idoc_xml", broken, a_message_id())

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "MALFORMED_REQUEST" and error["idoc_error"] == "idoc_malformed_xml"
    assert "not well-formed XML" in error["text"] and "line " in error["text"]
    assert idoc_count(idoc_erp) == count_before


def test_given_a_missing_mandatory_field_then_refused_naming_idoc_segment_and_field(idoc_erp):
    without_plant = two_idocs().replace(b"<WERKS>1000</WERKS>", b"", 1)

    response = post(idoc_erp, "/sap/bc/idoc_xml", without_plant)

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "INVALID_IDOC" and error["idoc_error"] == "idoc_missing_field"
    assert error["text"].startswith("IDoc 0000000000000041, segment E1MBXYI")
    assert "field WERKS" in error["text"]


def test_given_xml_errors_over_soap_then_a_soap_fault_naming_the_problem(idoc_erp):
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
    envelope = package(*two_movements(), soap=True)
    with_dtd = doctype + envelope.split(b"?>", 1)[1]
    count_before = idoc_count(idoc_erp)

    broken = post(idoc_erp, "/sap/bc/srt/idoc", envelope[:-40])
    dtd = post(idoc_erp, "/sap/bc/srt/idoc", with_dtd)
    not_soap = post(idoc_erp, "/sap/bc/srt/idoc", two_idocs())

    assert broken.status_code == 500
    code, text = soap_fault(broken)
    assert code == "MALFORMED_REQUEST" and "not well-formed XML" in text
    assert soap_fault(dtd)[0] == "MALFORMED_REQUEST" and "DOCTYPE" in soap_fault(dtd)[1]
    assert b"boom" not in dtd.content
    assert soap_fault(not_soap)[0] == "MALFORMED_REQUEST"
    assert soap_fault(not_soap)[1].endswith("<WMMBID02> is not a SOAP envelope")
    assert idoc_count(idoc_erp) == count_before


def test_given_an_outage_then_503_everywhere_and_the_client_retries_later(idoc_erp, client):
    idoc_erp.configure(outage=True)

    inbound = post(idoc_erp, "/sap/bc/idoc_xml", two_idocs(), a_message_id())
    soap = post(idoc_erp, "/sap/bc/srt/idoc", package(*two_movements(), soap=True))
    stock = idoc_erp.get("/sap/bc/stock", plant="1000")

    assert inbound.status_code == soap.status_code == stock.status_code == 503
    assert inbound.headers["Retry-After"] and soap_fault(soap)[0] == "UNAVAILABLE"
    with pytest.raises(TransientError) as unavailable:
        client.statuses(["0000000000100000"])
    assert unavailable.value.code == "erp_unavailable"


def test_given_fault_rate_one_then_injected_500_and_nothing_stored(idoc_erp, client):
    count_before = idoc_count(idoc_erp)
    idoc_erp.configure(fault_rate=1.0)

    with pytest.raises(TransientError) as injected:
        client.send_package(two_idocs(), a_message_id())

    assert injected.value.code == "erp_injected"
    assert not injected.value.may_have_reached_partner
    idoc_erp.configure(fault_rate=0.0)
    assert idoc_count(idoc_erp) == count_before


def test_given_latency_then_the_answer_waits_for_it(idoc_erp, client):
    idoc_erp.configure(latency_ms=300)

    started = time.monotonic()
    client.stock(["ANY"], "1000")
    idoc_erp.get("/sap/bc/idoc_status", docnum="0000000000100000")

    assert time.monotonic() - started >= 0.6


def test_given_a_commit_slower_than_the_timeout_then_a_resend_gets_the_same_numbers(idoc_erp):
    idoc_erp.configure(timeout_after_commit_ms=1500)
    message_id = a_message_id()
    impatient = IdocClient(idoc_erp.base_url, idoc_erp.username, idoc_erp.password, timeout=0.5)

    with pytest.raises(TransientError) as timed_out:
        impatient.send_package(two_idocs(), message_id)
    idoc_erp.configure(timeout_after_commit_ms=0)
    docnums = impatient.send_package(two_idocs(), message_id)

    assert timed_out.value.may_have_reached_partner
    listed = idoc_erp.get("/_sandbox/idocs", message_id=message_id).json()
    assert sorted(idoc["docnum"] for idoc in listed) == sorted(docnums)


def test_given_concurrent_requests_then_stats_count_their_peak(idoc_erp, client):
    # given no request in flight (an earlier test's may still be sleeping in the ERP)
    wait_until(lambda: idoc_erp.get("/_sandbox/stats").json()["in_flight"] == 0, timeout=5)
    requests.post(f"{idoc_erp.base_url}/_sandbox/stats/reset", auth=idoc_erp.auth, timeout=5)
    idoc_erp.configure(latency_ms=800)  # long enough for six requests to overlap

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: client.stock(["ANY"], "1000"), range(6)))
    stats = idoc_erp.get("/_sandbox/stats").json()

    assert stats["peak_concurrency"] == 6
    assert stats["requests"] == 6 and stats["in_flight"] == 0
