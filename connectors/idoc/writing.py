"""Writing packages: one IDoc at a time into a binary file.

``write_idocs(idocs, out, soap=False)`` writes the XML declaration, the
package root (the first IDoc's type, or its extension), then each IDoc as it
comes from the iterable, each segment starting a line so that errors found
later point at distinct lines, and closes the root. Memory holds one IDoc's
text, whatever the package size.

The text is composed here rather than through lxml elements: an element and
a proxy per field cost about twenty times more, and the outbound IDoc jobs
write tens of thousands of them per run. What makes that safe is small and
checked: names must be XML names, values are escaped (``& < >`` and the
carriage return, which XML would otherwise turn into a line feed), and a
character XML cannot carry at all (most control characters) is refused with
``InvalidValueError`` naming the IDoc, the segment and the field. The reader
reads every byte written here back to the same ``Idoc`` (the property tests
check it).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from itertools import chain
from typing import BinaryIO

from connectors.idoc.control import SEGMENT as CONTROL_SEGMENT
from connectors.idoc.control import control_fields
from connectors.idoc.errors import IdocError, IdocStructureError, InvalidValueError
from connectors.idoc.package import SOAP_1_1
from connectors.idoc.segments import Idoc, Segment

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
SOAP_START = (
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_1_1}"><soapenv:Header/><soapenv:Body>'.encode()
)
SOAP_END = b"</soapenv:Body></soapenv:Envelope>\n"

_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_known_names: set[str] = set()


def write_idocs(idocs: Iterable[Idoc], out: BinaryIO, *, soap: bool = False) -> int:
    """Stream ``idocs`` into ``out`` as one package; returns how many were written.

    All IDocs must share the type of the first (the package root). With
    ``soap`` the package is the body of a SOAP 1.1 envelope. The control
    record raises ``ConfigError`` when it cannot be sent; segments raise
    ``IdocError`` naming the IDoc, segment and field.
    """
    iterator = iter(idocs)
    first = next(iterator, None)
    if first is None:
        raise IdocStructureError("a package holds at least one IDoc")
    root = _name(first.control.extension_type or first.control.idoc_type, CONTROL_SEGMENT)
    out.write(DECLARATION + (SOAP_START if soap else b"") + f"<{root}>\n".encode())
    written = 0
    for idoc in chain([first], iterator):
        written += 1
        out.write(idoc_text(idoc, root, written).encode())
    out.write(f"</{root}>".encode() + (SOAP_END if soap else b"\n"))
    return written


def package_bytes(idocs: Iterable[Idoc], *, soap: bool = False) -> bytes:
    """The package as bytes (``write_idocs`` into memory)."""
    out = io.BytesIO()
    write_idocs(idocs, out, soap=soap)
    return out.getvalue()


def idoc_text(idoc: Idoc, root: str, position: int) -> str:
    """One ``<IDOC>`` element of a ``<root>`` package, ending with a line break."""
    control = idoc.control
    if root not in (control.idoc_type, control.extension_type):
        raise IdocStructureError(
            f"IDoc type {control.idoc_type} cannot join a <{root}> package",
            docnum=control.docnum,
            position=position,
        )
    parts = ['<IDOC BEGIN="1">\n<EDI_DC40 SEGMENT="1">']
    try:
        _append_fields(parts, CONTROL_SEGMENT, control_fields(control))
        parts.append("</EDI_DC40>")
        for segment in idoc.segments:
            _append_segment(parts, segment)
    except IdocError as error:
        raise error.located(docnum=control.docnum, position=position) from None
    parts.append("\n</IDOC>\n")
    return "".join(parts)


def _append_segment(parts: list[str], segment: Segment) -> None:
    name = _name(segment.name, segment.name)
    parts.append(f'\n<{name} SEGMENT="1">')
    _append_fields(parts, name, segment.fields.items())
    for child in segment.children:
        _append_segment(parts, child)
    parts.append(f"</{name}>")


def _append_fields(parts: list[str], segment: str, fields: Iterable[tuple[str, str]]) -> None:
    for field, value in fields:
        if _SPECIAL.search(value):
            value = _escaped(value, segment, field)
        if field not in _known_names:
            _name(field, segment)
        parts.append(f"<{field}>{value}</{field}>")


def _escaped(value: str, segment: str, field: str) -> str:
    bad = _NOT_XML.search(value)
    if bad:
        raise InvalidValueError(
            f"character U+{ord(bad.group()):04X} cannot be carried by XML",
            segment=segment,
            field=field,
        )
    return value.translate(_ESCAPES)


def _name(name: str, segment: str) -> str:
    if name not in _known_names:
        if not _NAME.fullmatch(name):
            raise InvalidValueError(f"{name!r} is not an XML element name", segment=segment)
        _known_names.add(name)
    return name
