"""The exact HTTP requests zeep sends for sales-order creates, recorded without sending them.

The ERP posting baseline replays these with raw ``requests``, so the SOAP
round trip it measures is byte for byte the platform's.
"""

from dataclasses import dataclass

import zeep
from zeep.wsdl.utils import etree_to_string

from connectors.erp.client import SETTINGS
from connectors.erp.messages import sales_order_message
from connectors.erp.models import SalesOrder
from connectors.erp.sales_order_service import BINDING, CREATE_OPERATION


@dataclass(frozen=True)
class RecordedRequest:
    body: bytes
    headers: dict[str, str]


class _Recorded(Exception):
    def __init__(self, request: RecordedRequest):
        super().__init__("recorded")
        self.request = request


class RecordingTransport(zeep.Transport):
    """Loads the WSDL normally; stops every call at the point zeep would POST it."""

    def post_xml(self, address, envelope, headers):
        raise _Recorded(RecordedRequest(etree_to_string(envelope), dict(headers)))


def record_create_requests(wsdl_url: str, orders: list[SalesOrder]) -> list[RecordedRequest]:
    """One recorded SalesOrderCreate request per order, in order."""
    client = zeep.Client(wsdl_url, transport=RecordingTransport(), settings=SETTINGS)
    # The address is never contacted: the transport stops before sending.
    service = client.create_service(BINDING, "http://127.0.0.1:9/sap/SalesOrder")
    recorded = []
    for order in orders:
        try:
            service[CREATE_OPERATION](SalesOrder=sales_order_message(order))
        except _Recorded as stop:
            recorded.append(stop.request)
        else:
            raise AssertionError("zeep sent a request past the recording transport")
    return recorded
