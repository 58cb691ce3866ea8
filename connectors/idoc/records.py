"""Record-at-a-time reading of large master-data packages (MATMAS05, COND_A04).

The generic reader (``package.iter_idocs``) turns every segment into a
``Segment`` with a field dict, which a typed reader then converts again: for
a million materials the Segments alone cost more than reading the records
here does (measured: ``iter_idocs`` 1.2-1.3x the CPU of ``read_materials``
on a generated MATMAS05 file, before any conversion). ``iter_records`` keeps the
package reader's streaming and every one of its checks (no DOCTYPE or
entities, well-formed or ``MalformedXmlError`` with line and column, IDOCs
only in the package root, one IDoc type per package) and hands each IDOC's
lxml element to a ``convert`` function of the typed module, which reads the
fields of each segment it needs in one pass over the segment's children
(``fields_of``; a ``findtext`` per field cost three times as much) and
returns its records. The element is cleared afterwards, so
memory stays at one IDoc whatever the file size.

A record that cannot be accepted is a ``RefusedRow``, not an exception: the
converter raises ``Refusal`` for it and the reader yields the row in the
record's place. Problems with the file itself (XML, package structure, a
foreign IDoc type) raise the package reader's ``IdocError`` subclasses.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing
from dataclasses import replace
from datetime import date

from lxml import etree

from connectors.idoc.chunks import ChunkStream, FileChunk
from connectors.idoc.control import DOCNUM_LENGTH
from connectors.idoc.control import SEGMENT as CONTROL_SEGMENT
from connectors.idoc.errors import IdocError, IdocStructureError, RefusedRow
from connectors.idoc.package import Source, _LimitedStream, _PackageReader

# Master-data files are one large file per full load (a million materials is
# gigabytes); the 50 MB default of pushed packages would refuse them.
CATALOG_MAX_BYTES = 64 * 1024**3


class Refusal(Exception):
    """Raised by a converter for the record being read; becomes a ``RefusedRow``."""

    def __init__(self, segment: str, field: str, reason: str, line: int | None = None):
        super().__init__(reason)
        self.segment = segment
        self.field = field
        self.reason = reason
        self.line = line
        self.key = ""  # set by the converter once it knows the record's key

    def row(self, position: int, docnum: str) -> RefusedRow:
        return RefusedRow(
            position, docnum, self.key, self.segment, self.field, self.reason, self.line
        )


Element = etree._Element
_CONTROL_FIELDS = ("DOCNUM", "IDOCTYP", "CIMTYP")
Convert = Callable[[Element, int, str], Iterable[object]]


def iter_records(
    source: Source,
    idoc_type: str,
    convert: Convert,
    *,
    max_bytes: int = CATALOG_MAX_BYTES,
    chunk: FileChunk | None = None,
) -> Iterator[object]:
    """The records ``convert(idoc_element, position, docnum)`` returns, IDoc by IDoc.

    ``source`` is bytes, a path or a binary file object; with ``chunk`` (from
    ``chunks.plan_chunks``) a path, of which only that chunk is read. Every
    IDoc must be of ``idoc_type`` (or an extension of it, CIMTYP), else the
    whole file is refused with ``IdocStructureError``.
    """
    if chunk is not None:
        if not isinstance(source, str | os.PathLike):
            raise TypeError("a chunk is read from the file's path")
        yield from _read_chunk(source, chunk, idoc_type, convert, max_bytes)
        return
    with ExitStack() as stack:
        if isinstance(source, bytes | bytearray | memoryview):
            stream = io.BytesIO(source)
        elif isinstance(source, str | os.PathLike):
            stream = stack.enter_context(open(source, "rb"))
        else:
            stream = source
        reader = _RecordReader(_LimitedStream(stream, max_bytes), idoc_type, convert, 0)
        for records in reader.idocs():
            yield from records


def _read_chunk(
    path: str | os.PathLike, chunk: FileChunk, idoc_type: str, convert: Convert, max_bytes: int
) -> Iterator[object]:
    """One chunk's records, their positions and lines (refusals, errors) the file's."""
    with closing(ChunkStream(path, chunk)) as stream:
        skipped = chunk.first_position - 1
        reader = _RecordReader(_LimitedStream(stream, max_bytes), idoc_type, convert, skipped)
        line_in_file = stream.line_in_file
        try:
            for records in reader.idocs():
                for record in records:
                    if isinstance(record, RefusedRow) and record.line is not None:
                        record = replace(record, line=line_in_file(record.line))
                    yield record
        except IdocError as error:
            error.line = line_in_file(error.line)
            error.args = (error.describe(),)
            raise


class _RecordReader(_PackageReader):
    """The package reader with the per-IDoc step replaced by ``convert``."""

    def __init__(self, stream: _LimitedStream, idoc_type: str, convert: Convert, skipped: int):
        super().__init__(stream)
        self.idoc_type = idoc_type
        self.convert = convert
        self.skipped = skipped  # IDocs before the chunk being read

    def _idoc(self, element: Element, position: int) -> Iterable[object]:
        position += self.skipped
        package = element.getparent()
        if self.package is None:
            self._check_package(package, element)
        elif package is not self.package:
            raise IdocStructureError(
                "IDOC element outside the package root", position=position, line=element.sourceline
            )
        if element.getprevious() is not None:
            self._check_no_strays(package, element)
        control = element[0] if len(element) else None
        if control is None or control.tag != CONTROL_SEGMENT:
            raise IdocStructureError(
                "the IDOC does not begin with its control record",
                position=position,
                segment=CONTROL_SEGMENT,
                line=element.sourceline,
            )
        # the three fields needed, in one C-level pass over EDI_DC40
        header = {field.tag: field.text for field in control.iterchildren(*_CONTROL_FIELDS)}
        docnum = (header.get("DOCNUM") or "").strip()
        self._check_idoc_type(control, header, docnum, position)
        if docnum and not (docnum.isascii() and docnum.isdigit() and len(docnum) <= DOCNUM_LENGTH):
            reason = f"DOCNUM {docnum!r} is not a number of at most {DOCNUM_LENGTH} digits"
            line = control.sourceline
            return (RefusedRow(position, "", "", CONTROL_SEGMENT, "DOCNUM", reason, line),)
        try:
            return self.convert(element, position, docnum)
        except Refusal as refusal:
            return (refusal.row(position, docnum),)

    def _check_idoc_type(self, control: Element, header: dict, docnum: str, position: int) -> None:
        idoc_type = (header.get("IDOCTYP") or "").strip()
        extension = (header.get("CIMTYP") or "").strip()
        if idoc_type != self.idoc_type:
            raise IdocStructureError(
                f"IDoc type {idoc_type or '(empty)'} in a file read as {self.idoc_type}",
                docnum=docnum,
                position=position,
                segment=CONTROL_SEGMENT,
                field="IDOCTYP",
                line=control.sourceline,
            )
        root = self.package.tag.rpartition("}")[2]
        if root not in (idoc_type, extension):
            raise IdocStructureError(
                f"IDoc type {idoc_type} in a <{root}> package",
                docnum=docnum,
                position=position,
                segment=CONTROL_SEGMENT,
                field="IDOCTYP",
                line=control.sourceline,
            )


Fields = dict[str, str | None]


def fields_of(segment: Element) -> Fields:
    """A segment's fields by name, read in one pass over its children.

    Child segments land in it too (as None or blank); callers only look up
    field names. One pass costs a third of a ``findtext`` per wanted field.
    """
    return {child.tag: child.text for child in segment}


def text(fields: Fields, name: str) -> str:
    """A field's value with SAP's padding stripped; "" when absent."""
    value = fields.get(name)
    return value.strip() if value else ""


def required(fields: Fields, name: str, segment: Element) -> str:
    value = fields.get(name)
    if value and (value := value.strip()):
        return value
    raise Refusal(segment.tag, name, f"{name} is empty", segment.sourceline)


_GTIN_LENGTHS = (8, 12, 13, 14)


def gtin(fields: Fields, name: str, segment: Element) -> str:
    """An EAN/UPC/GTIN field, checked: 8, 12, 13 or 14 digits with a right check digit.

    Empty is "" (a unit need not have a barcode). A wrong one is refused,
    because a channel would list the product under a barcode no scanner
    reads.
    """
    value = fields.get(name)
    if not value or not (value := value.strip()):
        return ""
    if not (value.isascii() and value.isdigit() and len(value) in _GTIN_LENGTHS):
        reason = f"{name} {value!r}: not a GTIN (8, 12, 13 or 14 digits)"
        raise Refusal(segment.tag, name, reason, segment.sourceline)
    expected = gtin_check_digit(value[:-1])
    if ord(value[-1]) - 48 != expected:
        reason = f"{name} {value}: check digit should be {expected}"
        raise Refusal(segment.tag, name, reason, segment.sourceline)
    return value


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for the digits before it (weights 3,1,3,... from the right)."""
    digits = body.encode()
    odd = sum(digits[-1::-2]) - 48 * len(digits[-1::-2])  # weight 3, from the right
    even = sum(digits[-2::-2]) - 48 * len(digits[-2::-2])
    return -(3 * odd + even) % 10


def day(fields: Fields, name: str, segment: Element, *, is_required: bool = False) -> date | None:
    """A DATS field ``YYYYMMDD``; empty or ``00000000`` is None (refused when required)."""
    value = fields.get(name)
    value = value.strip() if value else ""
    if not value or value == "00000000":
        if is_required:
            raise Refusal(segment.tag, name, f"{name} is empty", segment.sourceline)
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        reason = f"{name} {value!r} is not a date YYYYMMDD"
        raise Refusal(segment.tag, name, reason, segment.sourceline) from None
