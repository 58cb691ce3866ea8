"""Fingerprints of IDocs taken from their raw bytes, so unchanged ones need not be converted.

A delta of a master-data extract resends mostly what the platform already
holds, and reading an IDoc (parsing its segments, converting them) is what a
load spends its time on. ``fingerprint_idocs(path, start, end, context)``
scans a byte range of a package with C-level searches, no parsing, and gives
for each IDoc its key (the first ``<MATNR>`` value, stripped) and a digest of
its *data segments*: the bytes after the control record's ``</EDI_DC40>`` up
to ``</IDOC>``. The control record is left out because SAP numbers and stamps
every IDoc of every extract anew (DOCNUM, CREDAT, CRETIM). ``context`` is
hashed first: the caller puts there what changes the meaning of the same
bytes (the package's XML declaration and root tag, its reader's version, the
configuration that decides what it accepts).

A caller that finds a digest equal to the one it stored for that key when it
last wrote the record reads the range with those IDocs' data segments
*elided* (``ElidedRange``: each replaced by as many line breaks as it held,
so every later line number is the file's) and tells the typed reader which
positions are elided (``read_materials(..., elided=...)``), which yields an
``ElidedIdoc`` for each. Every IDoc's control record is still parsed and
checked, and so is the package around it.

Safe by construction or not at all: the scan returns None (read everything)
when the range holds comments, CDATA or processing instructions (``<!``,
``<?``: they could hide tags), or when any IDoc is not ``<IDOC ...>``,
its control record, data segments and ``</IDOC>`` in that order. Without
them text cannot hold ``<``, so every tag found is a tag. Nothing is kept
between calls; memory is one block of the file and one small tuple per IDoc.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import blake2b

BLOCK = 1024 * 1024  # the window scanned at a time; memory is about three of it
DIGEST_SIZE = 16
_IDOC_START = re.compile(rb"<IDOC[\s>/]")
_IDOC_END = b"</IDOC>"
_CONTROL_END = b"</EDI_DC40>"
_UNSAFE = (b"<!", b"<?")


@dataclass(frozen=True, slots=True)
class IdocFingerprint:
    """IDoc ``position`` (1-based in the range) and its data segments' place and digest."""

    position: int
    key: str  # first <key_tag> value in the data segments, stripped; "" when none
    digest: bytes
    data_start: int  # file offset just after </EDI_DC40>
    data_end: int  # file offset of </IDOC>
    line_breaks: int  # b"\n" in the data segments


@dataclass(frozen=True, slots=True)
class ElidedIdoc:
    """An IDoc read with its data segments elided: its control record was read and sound."""

    position: int
    docnum: str


def fingerprint_idocs(
    path: str | os.PathLike,
    start: int,
    end: int,
    context: bytes,
    *,
    key_tag: bytes = b"MATNR",
) -> list[IdocFingerprint] | None:
    """Each IDoc in bytes ``start``-``end`` of ``path``, in order; None when not safe to elide.

    The range must begin at an IDOC start tag (as a chunk plan's ranges do)
    and end where the next one begins or the package's end tag does.
    """
    key = re.compile(b"<" + key_tag + b">([^<]*)</" + key_tag + b">")
    found: list[IdocFingerprint] = []
    offset = start  # file offset of ``window[0]``
    window = b""
    with open(path, "rb") as file:
        file.seek(start)
        remaining = end - start
        while True:
            block = file.read(min(BLOCK, remaining)) if remaining > 0 else b""
            remaining -= len(block)
            window += block
            if any(mark in window for mark in _UNSAFE):
                return None
            if not block:  # after the last IDoc only blank text may follow
                return None if window.strip() else found
            cut = window.rfind(_IDOC_END)
            if cut >= 0:
                cut += len(_IDOC_END)
                if not _scan(window[:cut], offset, context, key, found):
                    return None
                window = window[cut:]
                offset += cut


def _scan(data: bytes, offset: int, context: bytes, key, found: list[IdocFingerprint]) -> bool:
    """Fingerprint the whole IDocs in ``data``; False when one is not shaped as expected."""
    at = 0
    for match in _IDOC_START.finditer(data):
        begin = match.start()
        if begin < at or data[at:begin].strip():
            return False  # something but blank text between IDocs
        control_end = data.find(_CONTROL_END, begin)
        idoc_end = data.find(_IDOC_END, begin)
        if control_end < 0 or idoc_end < 0 or control_end > idoc_end:
            return False
        data_start = control_end + len(_CONTROL_END)
        segments = data[data_start:idoc_end]
        if b"<IDOC" in segments or b"EDI_DC40" in segments:
            return False
        digest = blake2b(context, digest_size=DIGEST_SIZE)
        digest.update(segments)
        value = key.search(segments)
        found.append(
            IdocFingerprint(
                len(found) + 1,
                value.group(1).decode("utf-8", "replace").strip() if value else "",
                digest.digest(),
                offset + data_start,
                offset + idoc_end,
                segments.count(b"\n"),
            )
        )
        at = idoc_end + len(_IDOC_END)
    return not data[at:].strip()


class ElidedRange:
    """Byte pieces read as one stream: ``(start, end)`` ranges of a file and literal bytes.

    ``pieces_with_holes`` makes the pieces of a range with some IDocs' data
    segments replaced by their line breaks. Reads never cross a piece, which
    a parser's ``read(size)`` accepts.
    """

    def __init__(self, path: str | os.PathLike, pieces: Iterable[tuple[int, int] | bytes]):
        self.file = open(path, "rb")  # noqa: SIM115 -- closed by close()
        self.pieces = iter(pieces)
        self.remaining = 0
        self.literal = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        self.file.close()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        while not self.remaining and not self.literal:
            piece = next(self.pieces, None)
            if piece is None:
                return b""
            if isinstance(piece, bytes):
                self.literal = piece
            elif piece[1] > piece[0]:
                self.file.seek(piece[0])
                self.remaining = piece[1] - piece[0]
        if self.literal:
            out, self.literal = self.literal[:size], self.literal[size:]
            return out
        out = self.file.read(min(size, self.remaining))
        self.remaining = 0 if not out else self.remaining - len(out)
        return out


def pieces_with_holes(
    start: int, end: int, holes: Iterable[IdocFingerprint]
) -> Iterable[tuple[int, int] | bytes]:
    """Range ``start``-``end`` with each hole's data segments replaced by its line breaks."""
    at = start
    for hole in holes:
        yield (at, hole.data_start)
        if hole.line_breaks:
            yield b"\n" * hole.line_breaks
        at = hole.data_end
    yield (at, end)
