"""Which ERP failure becomes which connector error (pure functions, no server)."""

import pytest
import requests
from lxml import etree
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError
from zeep.exceptions import Fault

from connectors.erp.client import endpoint_for
from connectors.erp.faults import (
    DuplicateReferenceError,
    error_for_fault,
    error_for_http_status,
    error_for_request_failure,
    redacted,
)
from connectors.erp.sales_order_service import NAMESPACE
from connectors.errors import ConfigError, PermanentError, TransientError

URL = "http://erp.example:8001/sap/SalesOrder"


def a_fault(code: str | None, existing: str | None = None, faultcode="soap-env:Client") -> Fault:
    detail = etree.Element("detail")
    if code is not None:
        body = etree.SubElement(detail, f"{{{NAMESPACE}}}SalesOrderProcessingFault")
        etree.SubElement(body, f"{{{NAMESPACE}}}Code").text = code
        etree.SubElement(body, f"{{{NAMESPACE}}}Text").text = "text from the ERP"
        if existing:
            etree.SubElement(body, f"{{{NAMESPACE}}}ExistingSalesOrderID").text = existing
    return Fault("text from the ERP", code=faultcode, detail=detail)


@pytest.mark.parametrize(
    ("code", "error_class", "may_have_reached"),
    [
        ("VALIDATION", PermanentError, None),
        ("MALFORMED_REQUEST", PermanentError, None),
        ("SOME_NEW_BUSINESS_RULE", PermanentError, None),
        ("UNKNOWN_OPERATION", ConfigError, None),
        ("INJECTED", TransientError, False),
        ("UNAVAILABLE", TransientError, False),
        ("INTERNAL", TransientError, True),
    ],
)
def test_given_a_coded_fault_then_its_error(code, error_class, may_have_reached):
    error = error_for_fault(a_fault(code))

    assert type(error) is error_class
    assert "text from the ERP" in str(error)
    if may_have_reached is not None:
        assert error.may_have_reached_partner is may_have_reached


def test_given_a_duplicate_fault_then_duplicate_error_with_the_existing_number():
    error = error_for_fault(a_fault("DUPLICATE_EXTERNAL_REFERENCE", existing="0000010007"))

    assert isinstance(error, DuplicateReferenceError)
    assert error.existing_document_number == "0000010007"


def test_given_faults_without_our_detail_then_faultcode_decides():
    client_side = error_for_fault(a_fault(None, faultcode="soap-env:Client"))
    server_side = error_for_fault(a_fault(None, faultcode="soap-env:Server"))

    assert type(client_side) is PermanentError
    assert isinstance(server_side, TransientError) and server_side.may_have_reached_partner


@pytest.mark.parametrize(
    ("status", "error_class", "may_have_reached"),
    [
        (401, ConfigError, None),
        (403, ConfigError, None),
        (404, ConfigError, None),
        (503, TransientError, False),
        (429, TransientError, False),
        (500, TransientError, True),
        (502, TransientError, True),
        (413, PermanentError, None),
        (400, PermanentError, None),
        (200, ConfigError, None),
    ],
)
def test_given_an_http_status_without_soap_then_its_error(status, error_class, may_have_reached):
    error = error_for_http_status(status, URL)

    assert type(error) is error_class
    assert f"HTTP {status}" in str(error)
    if may_have_reached is not None:
        assert error.may_have_reached_partner is may_have_reached


def test_given_a_refused_connection_then_transient_not_reached():
    refused = requests.ConnectionError(
        MaxRetryError(None, URL, NewConnectionError(None, "Connection refused"))
    )

    error = error_for_request_failure(refused, URL)

    assert isinstance(error, TransientError) and not error.may_have_reached_partner


def test_given_a_reset_or_read_timeout_after_sending_then_transient_maybe_reached():
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))

    for failure in (reset, requests.ReadTimeout()):
        error = error_for_request_failure(failure, URL)
        assert isinstance(error, TransientError) and error.may_have_reached_partner


def test_given_a_url_with_credentials_then_messages_leave_them_out():
    error = error_for_http_status(500, "http://sync:hunter2@erp.example:8001/sap/SalesOrder")

    assert "hunter2" not in str(error) and "erp.example:8001" in str(error)
    assert redacted("http://u:p@h/x?wsdl") == "http://h/x?wsdl"


@pytest.mark.parametrize(
    ("wsdl_url", "endpoint"),
    [
        ("http://h:8001/sap/SalesOrder?wsdl", "http://h:8001/sap/SalesOrder"),
        ("https://h/sap/bc/srt/x?WSDL&sap-client=100", "https://h/sap/bc/srt/x?sap-client=100"),
        ("http://h/service.wsdl", None),
        ("/srv/erp/sales_order.wsdl", None),
    ],
)
def test_given_a_wsdl_url_then_the_endpoint_is_that_url_without_wsdl(wsdl_url, endpoint):
    assert endpoint_for(wsdl_url) == endpoint
