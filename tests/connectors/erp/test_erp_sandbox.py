"""The sandbox ERP server through raw HTTP: WSDL, auth, hostile bodies, fault injection."""

import threading
import time
import uuid

import requests
from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "urn:syncplatform:sandbox-erp:SD-SLS"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
MAX_BODY_BYTES = 1024 * 1024  # the sandbox's default limit

CREATE_ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>{doctype}
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">
 <soap-env:Body>
  <n0:SalesOrderCreateRequest xmlns:n0="urn:syncplatform:sandbox-erp:SD-SLS">
   <n0:SalesOrder>
    <n0:ExternalReference>{reference}</n0:ExternalReference>
    <n0:SoldToParty>C778</n0:SoldToParty>
    <n0:ShipToParty><n0:Address>
      <n0:Name>Pat Doe</n0:Name><n0:StreetName>1 Main St</n0:StreetName>
      <n0:CityName>Columbus</n0:CityName><n0:CountryCode>US</n0:CountryCode>
    </n0:Address></n0:ShipToParty>
    <n0:CurrencyCode>USD</n0:CurrencyCode>
    <n0:OrderDate>2026-11-23</n0:OrderDate>
    <n0:ShippingCondition>01</n0:ShippingCondition>
    <n0:ShippingAmount>7.95</n0:ShippingAmount>
    <n0:Item>
     <n0:ItemID>10</n0:ItemID><n0:Material>TSHIRT-BLK-M</n0:Material>
     <n0:RequestedQuantity unitCode="EA">2</n0:RequestedQuantity><n0:Plant>1000</n0:Plant>
     <n0:NetPrice>19.99</n0:NetPrice><n0:TaxAmount>3.20</n0:TaxAmount>
     <n0:DiscountAmount>0</n0:DiscountAmount>
    </n0:Item>
   </n0:SalesOrder>
  </n0:SalesOrderCreateRequest>
 </soap-env:Body>
</soap-env:Envelope>"""

BILLION_LAUGHS = """
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""

EXTERNAL_ENTITY = """
<!DOCTYPE order [<!ENTITY secret SYSTEM "file:///etc/passwd">]>"""


def a_reference() -> str:
    return f"S-{uuid.uuid4().hex[:24]}"


def post_soap(erp, body: bytes | str, **options) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(
        erp.service_url, data=data, headers=SOAP_HEADERS, auth=erp.auth, timeout=10, **options
    )


def fault_of(response: requests.Response) -> tuple[str, str]:
    """(Code, Text) of the SalesOrderProcessingFault in a SOAP fault response."""
    envelope = etree.fromstring(response.content)
    detail = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/detail/")
    return (detail.findtext(f"{{{SERVICE_NS}}}Code"), detail.findtext(f"{{{SERVICE_NS}}}Text"))


def all_documents(erp) -> list[dict]:
    response = requests.get(f"{erp.base_url}/_sandbox/documents", auth=erp.auth, timeout=5)
    response.raise_for_status()
    return response.json()


def test_given_a_wsdl_request_then_the_wsdl_names_this_server_and_both_operations(erp):
    response = requests.get(erp.wsdl_url, auth=erp.auth, timeout=5)

    assert response.status_code == 200
    wsdl = etree.fromstring(response.content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == erp.service_url
    operations = {
        op.get("name") for op in wsdl.iterfind(".//{http://schemas.xmlsoap.org/wsdl/}portType/*")
    }
    assert {
        "SalesOrderCreateRequestConfirmation_In",
        "SalesOrderByExternalReferenceQueryResponse_In",
    } <= operations


def test_given_no_credentials_then_401_except_for_health(erp):
    denied = requests.get(erp.wsdl_url, timeout=5)
    wrong = requests.post(erp.service_url, data=b"<x/>", auth=(erp.username, "nope"), timeout=5)

    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"].startswith("Basic")
    assert wrong.status_code == 401
    assert requests.get(f"{erp.base_url}/_sandbox/health", timeout=5).json() == {"status": "ok"}


def test_given_a_valid_envelope_then_documents_are_numbered_in_sequence(erp):
    first, second = a_reference(), a_reference()

    for reference in (first, second):
        assert post_soap(erp, CREATE_ENVELOPE.format(doctype="", reference=reference)).ok

    (one,), (two,) = erp.documents(first), erp.documents(second)
    assert int(two["document_number"]) == int(one["document_number"]) + 1
    assert one["net_amount"] == "39.98" and one["item_count"] == 1


def test_given_an_entity_bomb_then_refused_without_expansion(erp):
    before = len(all_documents(erp))
    envelope = CREATE_ENVELOPE.format(doctype=BILLION_LAUGHS, reference="&lol9;")

    started = time.monotonic()
    response = post_soap(erp, envelope)

    assert time.monotonic() - started < 2
    assert response.status_code == 500
    code, text = fault_of(response)
    assert code == "MALFORMED_REQUEST" and "document type declaration" in text
    assert b"lollol" not in response.content
    assert len(all_documents(erp)) == before


def test_given_an_external_entity_then_refused_without_reading_the_file(erp):
    response = post_soap(erp, CREATE_ENVELOPE.format(doctype=EXTERNAL_ENTITY, reference="&secret;"))

    assert response.status_code == 500
    assert fault_of(response)[0] == "MALFORMED_REQUEST"
    assert b"root:" not in response.content


def test_given_a_body_over_the_limit_then_413(erp):
    oversized = b"<" + b"x" * MAX_BODY_BYTES + b"/>"

    assert post_soap(erp, oversized).status_code == 413


def test_given_a_chunked_body_over_the_limit_then_413(erp):
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 1))

    response = requests.post(
        erp.service_url, data=chunks, headers=SOAP_HEADERS, auth=erp.auth, timeout=10
    )

    assert response.status_code == 413


def test_given_not_xml_or_soap12_then_malformed_request_faults(erp):
    soap12 = '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'

    not_xml, wrong_version = post_soap(erp, "hello"), post_soap(erp, soap12)

    assert fault_of(not_xml)[0] == "MALFORMED_REQUEST"
    assert fault_of(wrong_version) == (
        "MALFORMED_REQUEST",
        "expected a SOAP 1.1 Envelope, got a SOAP 1.2 envelope",
    )


def test_given_an_unknown_body_element_then_unknown_operation_fault(erp):
    envelope = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<n0:SalesOrderCancelRequest xmlns:n0="{SERVICE_NS}"/></s:Body></s:Envelope>'
    )

    assert fault_of(post_soap(erp, envelope))[0] == "UNKNOWN_OPERATION"


def test_given_a_reference_over_35_characters_then_validation_fault_naming_the_element(erp):
    response = post_soap(erp, CREATE_ENVELOPE.format(doctype="", reference="R" * 36))

    code, text = fault_of(response)
    assert response.status_code == 500
    assert code == "VALIDATION" and "ExternalReference" in text


def test_given_an_outage_then_soap_and_wsdl_answer_503(erp):
    erp.set_faults(outage=True)

    soap = post_soap(erp, CREATE_ENVELOPE.format(doctype="", reference=a_reference()))
    wsdl = requests.get(erp.wsdl_url, auth=erp.auth, timeout=5)

    assert soap.status_code == 503 and soap.headers["Retry-After"]
    assert fault_of(soap)[0] == "UNAVAILABLE"
    assert wsdl.status_code == 503


def test_given_a_config_change_then_every_worker_process_sees_it(erp):
    erp.set_faults(latency_ms=123, fault_rate=0.25)
    expected = {
        "latency_ms": 123,
        "fault_rate": 0.25,
        "outage": False,
        "timeout_after_commit_ms": 0,
    }

    # Fresh connections spread over the worker processes (the kernel balances accepts).
    answers = [
        requests.get(f"{erp.base_url}/_sandbox/config", auth=erp.auth, timeout=5) for _ in range(40)
    ]

    assert len({answer.headers["X-Sandbox-Process"] for answer in answers}) >= 2
    assert all(answer.json().items() >= expected.items() for answer in answers)


def test_given_invalid_config_then_400_naming_the_setting(erp):
    def post(body):
        return requests.post(f"{erp.base_url}/_sandbox/config", json=body, auth=erp.auth, timeout=5)

    assert post({"fault_rate": 1.5}).json() == {"error": "invalid value for fault_rate: 1.5"}
    assert post({"latency_ms": "10"}).status_code == 400
    assert post({"outage": 1}).status_code == 400
    assert post({"speed": 1}).json() == {"error": "unknown setting 'speed'"}
    assert (
        requests.get(f"{erp.base_url}/_sandbox/config", auth=erp.auth, timeout=5).json()[
            "fault_rate"
        ]
        == 0.0
    )


def test_given_create_app_in_another_wsgi_server_then_erp_client_can_use_it(tmp_path):
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from connectors.erp.client import ErpClient
    from connectors.erp.sandbox import create_app

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    app = create_app(tmp_path / "embedded.sqlite", "embed", "embed-pw")
    with make_server("127.0.0.1", 0, app, handler_class=QuietHandler) as server:
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        try:
            port = server.server_address[1]
            client = ErpClient(
                f"http://127.0.0.1:{port}/sap/SalesOrder?WSDL", "embed", "embed-pw", timeout=5
            )
            reference = a_reference()
            created = requests.post(
                f"http://127.0.0.1:{port}/sap/SalesOrder",
                data=CREATE_ENVELOPE.format(doctype="", reference=reference).encode(),
                headers=SOAP_HEADERS,
                auth=("embed", "embed-pw"),
                timeout=5,
            )

            assert created.status_code == 200
            found = client.find_sales_order(reference)
            assert found is not None and found.document_number == "0000010000"
        finally:
            server.shutdown()
