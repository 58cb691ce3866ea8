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
from collections.abc import Iterable, Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from operator import attrgetter
from typing import BinaryIO, NamedTuple

from connectors.idoc.control import DOCNUM_LENGTH, ControlRecord, control_fields
from connectors.idoc.control import SEGMENT as CONTROL_SEGMENT
from connectors.idoc.errors import (
    IdocError,
    IdocStructureError,
    InvalidValueError,
    MissingFieldError,
)
from connectors.idoc.package import SOAP_1_1
from connectors.idoc.segments import FieldValue, Idoc, Segment, _checked, _field_text
from connectors.idoc.values import parse_digits

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


class WrittenIdoc(NamedTuple):
    """An IDoc whose data segments a type's writer composed as text (``segment_text``),
    for ``write_idocs``: the same bytes as its ``Idoc``, without building segments."""

    control: ControlRecord
    segments_text: str


AnyIdoc = Idoc | WrittenIdoc


def write_idocs(idocs: Iterable[AnyIdoc], out: BinaryIO, *, soap: bool = False) -> int:
    """Stream ``idocs`` into ``out`` as one package; returns how many were written.

    All IDocs must share the type of the first (the package root). With
    ``soap`` the package is the body of a SOAP 1.1 envelope. The control
    record raises ``ConfigError`` when it cannot be sent; segments raise
    ``IdocError`` naming the IDoc, segment and field.
    """
    iterator = iter(idocs)
    first = _next(iterator, 1)
    if first is None:
        raise IdocStructureError("a package holds at least one IDoc")
    root = _name(first.control.extension_type or first.control.idoc_type, CONTROL_SEGMENT)
    out.write(DECLARATION + (SOAP_START if soap else b"") + f"<{root}>\n".encode())
    written = 0
    controls = ControlTexts()
    idoc = first
    while idoc is not None:
        written += 1
        out.write(idoc_text(idoc, root, written, controls).encode())
        idoc = _next(iterator, written + 1)
    out.write(f"</{root}>".encode() + (SOAP_END if soap else b"\n"))
    return written


def _next(iterator, position: int) -> AnyIdoc | None:
    """The next IDoc; an error building it names its position in the package."""
    try:
        return next(iterator, None)
    except IdocError as error:
        raise error.located(docnum="", position=position) from None


def package_bytes(idocs: Iterable[Idoc], *, soap: bool = False) -> bytes:
    """The package as bytes (``write_idocs`` into memory)."""
    out = io.BytesIO()
    write_idocs(idocs, out, soap=soap)
    return out.getvalue()


def idoc_text(idoc: AnyIdoc, root: str, position: int, controls: ControlTexts | None = None) -> str:
    """One ``<IDOC>`` element of a ``<root>`` package, ending with a line break.

    ``controls`` keeps the control records' text for the IDocs that follow
    (``write_idocs`` passes one per package).
    """
    control = idoc.control
    if root not in (control.idoc_type, control.extension_type):
        raise IdocStructureError(
            f"IDoc type {control.idoc_type} cannot join a <{root}> package",
            docnum=control.docnum,
            position=position,
        )
    try:
        parts = [(controls or ControlTexts()).text(control)]
        if isinstance(idoc, WrittenIdoc):
            parts.append(idoc.segments_text)
        else:
            for segment in idoc.segments:
                _append_segment(parts, segment)
    except IdocError as error:
        raise error.located(docnum=control.docnum, position=position) from None
    parts.append("\n</IDOC>\n")
    return "".join(parts)


_ALL_BUT_DOCNUM = attrgetter(
    *(field.name for field in dataclass_fields(ControlRecord) if field.name != "docnum")
)
_BEFORE_DOCNUM = frozenset({"TABNAM", "MANDT"})  # EDI_DC40's fields ahead of DOCNUM


class ControlTexts:
    """The EDI_DC40 text of a package's IDocs, composed once for all that share it.

    The IDocs of a package mostly differ only by DOCNUM: composing their
    control record field by field was a third of the writer's time on
    500-IDoc SHPCON packages. The text and the errors are those of
    ``control_fields``, in SAP's field order.
    """

    LIMIT = 64  # distinct control records kept (a resent IDoc has its own ARCKEY)

    def __init__(self):
        self._texts: dict[tuple, tuple[str, str]] = {}

    def text(self, control: ControlRecord) -> str:
        docnum = control.docnum
        if docnum and not (len(docnum) <= DOCNUM_LENGTH and docnum.isascii() and docnum.isdigit()):
            control_fields(control)  # raises the error a DOCNUM that cannot be sent gets
        key = _ALL_BUT_DOCNUM(control)
        texts = self._texts.get(key)
        if texts is None:
            if len(self._texts) >= self.LIMIT:
                self._texts.clear()
            texts = self._texts[key] = _control_texts(replace(control, docnum=""))
        before, after = texts
        return f"{before}<DOCNUM>{docnum}</DOCNUM>{after}" if docnum else before + after


def _control_texts(control: ControlRecord) -> tuple[str, str]:
    """The control record's text before and after where its DOCNUM goes."""
    fields = control_fields(control)
    before = ['<IDOC BEGIN="1">\n<EDI_DC40 SEGMENT="1">']
    after: list[str] = []
    _append_checked_fields(before, CONTROL_SEGMENT, (f for f in fields if f[0] in _BEFORE_DOCNUM))
    _append_checked_fields(
        after, CONTROL_SEGMENT, (f for f in fields if f[0] not in _BEFORE_DOCNUM)
    )
    after.append("</EDI_DC40>")
    return "".join(before), "".join(after)


def segment_text(
    name: str,
    fields: Iterable[tuple[str, FieldValue]],
    children: str = "",
    *,
    required: tuple[str, ...] = (),
    digits: Mapping[str, int] | None = None,
) -> str:
    """The text ``build_segment`` (same arguments) gives ``write_idocs``, composed directly.

    ``children`` is their text (``segment_text`` again). Raises what
    ``build_segment`` and the writer raise, naming the segment and field.
    """
    present: dict[str, str] = {}
    for field, value in fields:
        if value.__class__ is str:
            text = value
        else:
            text = "" if value is None else _field_text(name, field, value)
        if text:
            if digits and field in digits:
                _checked(parse_digits, text, name, field, digits[field])
            present[field] = text
        elif field in required:
            raise MissingFieldError("mandatory field is missing", segment=name, field=field)
    parts = [f'\n<{_name(name, name)} SEGMENT="1">']
    _append_fields(parts, name, present)
    parts.append(f"{children}</{name}>")
    return "".join(parts)


def _append_segment(parts: list[str], segment: Segment) -> None:
    name = _name(segment.name, segment.name)
    parts.append(f'\n<{name} SEGMENT="1">')
    _append_fields(parts, name, segment.fields)
    for child in segment.children:
        _append_segment(parts, child)
    parts.append(f"</{name}>")


def _append_fields(parts: list[str], segment: str, fields: Mapping[str, str]) -> None:
    """The fields' elements; the whole segment is checked at once, field by field only
    when a name is new or a value needs escaping (or cannot be written)."""
    if fields.keys() <= _known_names and not _SPECIAL.search("".join(fields.values())):
        parts.extend([f"<{field}>{value}</{field}>" for field, value in fields.items()])
    else:
        _append_checked_fields(parts, segment, fields.items())


def _append_checked_fields(
    parts: list[str], segment: str, fields: Iterable[tuple[str, str]]
) -> None:
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
