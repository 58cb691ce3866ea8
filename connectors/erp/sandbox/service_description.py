"""The WSDL the sandbox serves, and the XML schema it checks requests against.

Both come from ``sales_order.wsdl`` (the project's own file): the schema is the
WSDL's ``types`` section, so the server enforces exactly what it publishes.
"""

import copy
import threading
from functools import cache

from lxml import etree

from connectors.erp.sales_order_service import WSDL_PATH

XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"

_schemas = threading.local()


@cache
def _wsdl() -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    return etree.parse(str(WSDL_PATH), parser)


def render_wsdl(service_url: str) -> bytes:
    """The WSDL with ``soap:address`` pointing at ``service_url``."""
    document = copy.deepcopy(_wsdl())
    for address in document.iter(f"{{{WSDL_SOAP}}}address"):
        address.set("location", service_url)
    return etree.tostring(document, xml_declaration=True, encoding="utf-8")


def request_schema() -> etree.XMLSchema:
    """The message schema, compiled once per thread (a validator keeps per-call error state)."""
    schema = getattr(_schemas, "schema", None)
    if schema is None:
        schema = etree.XMLSchema(_wsdl().find(f".//{{{XSD}}}schema"))
        _schemas.schema = schema
    return schema
