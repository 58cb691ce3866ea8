"""IDoc packages: several IDocs in one XML message, read as a stream.

A package is what SAP's IDoc XML-HTTP inbound takes and its XML port writes::

    <DELVRY07>
      <IDOC BEGIN="1"><EDI_DC40 SEGMENT="1">...</EDI_DC40><E1EDL20 SEGMENT="1">...</IDOC>
      <IDOC BEGIN="1">...</IDOC>
    </DELVRY07>

The root is the IDoc type (or its extension, CIMTYP); every IDOC in it has
that type. SAP's IDoc SOAP inbound (``/sap/bc/srt/idoc``) takes the same
package as the body of a SOAP envelope (see ``soap``). ``iter_idocs`` reads
both shapes; the writer (``writing``) writes either.

Reading (``iter_idocs``) parses with lxml ``iterparse`` -- no DTD loading,
no network, no entity substitution, libxml2's size limits on -- and refuses a
document that declares a DOCTYPE at all (libxml2's docinfo once the first
IDOC is parsed; the first chunk's bytes when libxml2 gives up inside the
DTD before that, as it does on entity bombs). It yields one ``Idoc`` at a time
and clears each from the tree once read, so memory stays at one IDoc
whatever the package size. ``max_bytes`` is counted while the bytes are read,
so an endless stream is stopped at the limit. Reading raises only
``IdocError`` subclasses and, for a path, ``OSError``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import count
from typing import BinaryIO

from lxml import etree

from connectors.idoc.control import SEGMENT as CONTROL_SEGMENT
from connectors.idoc.control import ControlRecord, read_control, sound_docnum
from connectors.idoc.errors import (
    IdocError,
    IdocStructureError,
    MalformedXmlError,
    PackageTooLargeError,
    UnsafeXmlError,
)
from connectors.idoc.segments import Idoc, Segment

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SOAP_1_1 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_1_2 = "http://www.w3.org/2003/05/soap-envelope"
_SOAP_NAMESPACES = (SOAP_1_1, SOAP_1_2)
PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "remove_blank_text": True,
}

Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO


def iter_idocs(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Idoc]:
    """Each IDoc of a package (plain or SOAP-wrapped), in order, one at a time.

    ``source`` is the package's bytes, a path, or a binary file object.
    """
    with ExitStack() as stack:
        if isinstance(source, bytes | bytearray | memoryview):
            stream = io.BytesIO(source)
        elif isinstance(source, str | os.PathLike):
            stream = stack.enter_context(open(source, "rb"))
        else:
            stream = source
        yield from _PackageReader(_LimitedStream(stream, max_bytes)).idocs()


class _LimitedStream:
    """A binary stream that refuses to give more than ``max_bytes``."""

    def __init__(self, stream: BinaryIO, max_bytes: int):
        self.stream = stream
        self.max_bytes = max_bytes
        self.bytes_read = 0
        self.head = b""  # the first chunk, where a DOCTYPE would be

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        if not self.bytes_read:
            self.head = chunk
        self.bytes_read += len(chunk)
        if self.bytes_read > self.max_bytes:
            raise PackageTooLargeError(
                f"the package is larger than the limit of {self.max_bytes} bytes "
                f"(refused after reading {self.bytes_read})"
            )
        return chunk

    def declares_doctype(self) -> bool:
        return any(mark in self.head for mark in _DOCTYPE_MARKS)


_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


class _PackageReader:
    def __init__(self, stream: _LimitedStream):
        self.stream = stream
        self.root: etree._Element | None = None
        self.package: etree._Element | None = None  # the element holding the IDOCs

    def idocs(self) -> Iterator[Idoc]:
        position = 0
        # Only IDOC elements surface in Python; libxml2 builds everything below them.
        events = etree.iterparse(self.stream, events=("end",), tag="IDOC", **PARSER_OPTIONS)
        try:
            for _, element in events:
                if self.root is None:
                    self._check_document(element)
                position += 1
                idoc = self._idoc(element, position)
                self._forget(element)
                yield idoc
        except etree.XMLSyntaxError as error:
            if self.stream.declares_doctype():
                # libxml2 may stop inside the DTD (entity amplification) before any event
                raise UnsafeXmlError(
                    "the document declares a DOCTYPE; DTDs and entity declarations are refused"
                ) from None
            raise malformed_error(error) from None
        if position == 0:
            self._check_document(events.root)
            raise IdocStructureError(f"no IDOC element in the document (root <{self.root.tag}>)")
        self._check_no_strays(self.package, None)

    def _check_document(self, first: etree._Element) -> None:
        tree = first.getroottree()
        if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
            raise UnsafeXmlError(
                f"the document declares a DOCTYPE ({tree.docinfo.doctype}); "
                "DTDs and entity declarations are refused"
            )
        self.root = tree.getroot()

    def _idoc(self, element: etree._Element, position: int) -> Idoc:
        package = element.getparent()
        if self.package is None:
            self._check_package(package, element)
        elif package is not self.package:
            raise IdocStructureError(
                "IDOC element outside the package root", position=position, line=element.sourceline
            )
        self._check_no_strays(package, element)
        children = list(element)
        if not children or children[0].tag != CONTROL_SEGMENT:
            raise IdocStructureError(
                "the IDOC does not begin with its control record",
                position=position,
                segment=CONTROL_SEGMENT,
                line=element.sourceline,
            )
        dc40 = children[0]
        fields = {child.tag: (child.text or "").strip() for child in dc40 if len(child) == 0}
        try:
            control = read_control(fields, dc40.sourceline)
            self._check_type(control, dc40.sourceline)
            numbers = count(1)
            segments = tuple(_segment(child, numbers) for child in children[1:])
        except IdocError as error:
            raise error.located(docnum=sound_docnum(fields), position=position) from None
        return Idoc(control, segments, position, element.sourceline)

    def _check_package(self, package: etree._Element | None, idoc: etree._Element) -> None:
        if package is None:
            raise IdocStructureError(
                "IDOC is the document root; IDoc-XML puts it in a root named after the IDoc type",
                position=1,
                line=idoc.sourceline,
            )
        body = package.getparent()
        is_plain = package is self.root
        is_soap = (
            body is not None
            and local_name(body.tag) == "Body"
            and body.getparent() is self.root
            and is_soap_envelope(self.root.tag)
        )
        if not (is_plain or is_soap):
            raise IdocStructureError(
                f"IDOC inside <{local_name(package.tag)}>, which is neither the package root "
                "nor the package in a SOAP body",
                position=1,
                line=idoc.sourceline,
            )
        self.package = package

    def _check_type(self, control: ControlRecord, line: int | None) -> None:
        root = local_name(self.package.tag)
        if root not in (control.idoc_type, control.extension_type):
            raise IdocStructureError(
                f"IDoc type {control.idoc_type} in a <{root}> package",
                segment=CONTROL_SEGMENT,
                field="IDOCTYP",
                line=line,
            )

    def _check_no_strays(self, package: etree._Element, idoc: etree._Element | None) -> None:
        """Everything before ``idoc`` (or all, at the end) in the package must be an IDOC."""
        for child in package:
            if child is idoc:
                return
            if child.tag != "IDOC":
                raise IdocStructureError(
                    f"<{local_name(child.tag)}> in the package where only IDOC elements belong",
                    line=child.sourceline,
                )

    @staticmethod
    def _forget(element: etree._Element) -> None:
        """Drop the IDoc just read (and anything before it) from the tree."""
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]


def _segment(element: etree._Element, numbers: Iterator[int]) -> Segment:
    number = next(numbers)
    fields = {}
    children = []
    for child in element:
        if len(child) or child.get("SEGMENT") is not None:
            children.append(_segment(child, numbers))
        else:
            fields[child.tag] = (child.text or "").strip()
    return Segment(local_name(element.tag), fields, tuple(children), number, element.sourceline)


def malformed_error(error: etree.XMLSyntaxError) -> MalformedXmlError:
    # libxml2 sometimes reports a generic "no element found" while its log has the cause
    entry = error.error_log.last_error if error.error_log else None
    if entry is not None and entry.message:
        detail, line, column = entry.message.strip(), entry.line, entry.column
    else:
        detail = (error.msg or str(error)).split(", line ")[0]
        line, column = error.position
    return MalformedXmlError(f"not well-formed XML: {detail}", line=line or None, column=column)


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def is_soap_envelope(tag: str) -> bool:
    return local_name(tag) == "Envelope" and tag[1:].partition("}")[0] in _SOAP_NAMESPACES
