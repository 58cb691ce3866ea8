"""A package as the body of a SOAP envelope, as SAP's IDoc SOAP inbound takes it.

SAP's abstract IDoc WSDLs (``INVOIC02.wsdl``...) declare one message part,
the unqualified element named after the IDoc type, document/literal: the
SOAP body holds exactly the package root of the XML-HTTP form::

    <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
      <soapenv:Header/><soapenv:Body><INVOIC02><IDOC BEGIN="1">...</IDOC></INVOIC02>
      </soapenv:Body></soapenv:Envelope>

The streaming reader (``iter_idocs``) reads envelopes (SOAP 1.1 and 1.2)
directly and the writer writes them (``soap=True``); these two functions are
for messages already in memory.
"""

from __future__ import annotations

from lxml import etree

from connectors.idoc.errors import IdocStructureError, PackageTooLargeError, UnsafeXmlError
from connectors.idoc.package import (
    DEFAULT_MAX_BYTES,
    PARSER_OPTIONS,
    is_soap_envelope,
    local_name,
    malformed_error,
)
from connectors.idoc.writing import DECLARATION, SOAP_END, SOAP_START


def wrap_in_soap(package: bytes) -> bytes:
    """A UTF-8 package (as ``write_idocs`` writes it) as the body of a SOAP 1.1 envelope."""
    body = package.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"<?xml"):
        body = body[body.index(b"?>") + 2 :].lstrip()
    return DECLARATION + SOAP_START + body.rstrip() + SOAP_END


def unwrap_soap(message: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The package inside a SOAP envelope, as a UTF-8 document of its own.

    Parses the whole message in memory under the reader's rules (no DTD, no
    entities, no network); large messages are better read with
    ``iter_idocs``, which streams envelopes too.
    """
    if len(message) > max_bytes:
        raise PackageTooLargeError(
            f"the message is larger than the limit of {max_bytes} bytes ({len(message)})"
        )
    options = {name: value for name, value in PARSER_OPTIONS.items() if name != "remove_blank_text"}
    try:
        root = etree.fromstring(message, etree.XMLParser(**options))
    except etree.XMLSyntaxError as error:
        raise malformed_error(error) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXmlError("the document declares a DOCTYPE; DTDs and entities are refused")
    if not is_soap_envelope(root.tag):
        raise IdocStructureError(
            f"<{local_name(root.tag)}> is not a SOAP envelope", line=root.sourceline
        )
    body = next((child for child in root if local_name(child.tag) == "Body"), None)
    package = None if body is None else next(iter(body), None)
    if package is None:
        raise IdocStructureError("the SOAP envelope has no package in its Body")
    package.tail = None
    return etree.tostring(package, encoding="UTF-8", xml_declaration=True)
