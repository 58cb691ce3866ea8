"""Splitting a large IDoc package into byte ranges that are read on their own.

Parsing is what bounds a catalog load: a million materials are gigabytes of
XML, and one reader runs on one core. ``plan_chunks(path)`` cuts a plain
package at IDOC start tags into ranges of about ``chunk_bytes`` (a scan at
memory speed: ``mmap`` and C-level searches, no parsing), each with the
position of its first IDoc and its first line in the file. A chunk is read
with ``read_materials(path, chunk=chunk)`` (or ``read_prices``): the same
records, positions, refusals and line numbers as reading the whole file,
so chunks can be read in parallel tasks, retried, and checkpointed by index.

How a range is read: the first chunk is the file's own beginning (its
prolog is checked as any file's, DOCTYPE refused), with the root's end tag
added after its last IDoc; a later chunk is preceded by the file's XML
declaration and root start tag, a line break and as many spaces as its
column in the file, and followed by the root's end tag unless it is the
last one, which ends with the file's own. The reader translates the lines
of its refusals and errors with ``ChunkStream.line_in_file`` (the line
breaks before the chunk are not sent: past 10,000,000 of them libxml2
refuses the text node they make).

When the file cannot be cut safely -- a SOAP envelope, comments, CDATA or
processing instructions after the root's start tag (they could hide an
``<IDOC`` that is not an element), or no IDOC found -- the plan is one chunk,
the whole file, read as before.
"""

from __future__ import annotations

import mmap
import os
import re
from dataclasses import dataclass

DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024
_IDOC_START = re.compile(rb"<IDOC[\s>]")
_ROOT_START = re.compile(rb"<([A-Za-z_][\w.\-]*)(?:\s[^>]*)?>")
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_UNSAFE_TO_CUT = (b"<!", b"<?")
_SOAP = b"Envelope"


@dataclass(frozen=True, slots=True)
class FileChunk:
    """Bytes ``start``-``end`` of a package: ``idocs`` IDocs from ``first_position`` on."""

    index: int  # 0-based
    start: int
    end: int
    first_position: int  # 1-based position of its first IDoc in the file
    first_line: int  # line and column of its first byte in the file
    first_column: int
    idocs: int
    is_last: bool
    is_whole_file: bool = False


def plan_chunks(path: str | os.PathLike, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> list[FileChunk]:
    """The chunks of the package at ``path``, in order, covering every IDoc once."""
    size = os.path.getsize(path)
    if size == 0:
        return [FileChunk(0, 0, 0, 1, 1, 1, 0, True, True)]
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        starts = _cut_points(data, size, chunk_bytes)
        if starts is None or len(starts) == 1:
            return [FileChunk(0, 0, size, 1, 1, 1, _count_idocs(data, 0, size), True, True)]
        starts[0] = 0  # the first chunk is the file's own beginning, prolog and all
        chunks = []
        position, line, previous = 1, 1, 0
        for index, (start, end) in enumerate(zip(starts, [*starts[1:], size], strict=True)):
            line += data[previous:start].count(b"\n")
            previous = start
            column = start - data.rfind(b"\n", 0, start)
            idocs = _count_idocs(data, start, end)
            chunks.append(FileChunk(index, start, end, position, line, column, idocs, end == size))
            position += idocs
        return chunks


def _cut_points(data: mmap.mmap, size: int, chunk_bytes: int) -> list[int] | None:
    """Offsets of the IDOC start tags that begin each chunk, or None when not safe to cut."""
    first = _IDOC_START.search(data)
    if first is None:
        return None
    frame = package_frame(data[: first.start()])
    if frame is None:
        return None
    if any(data.find(mark, len(frame[0]) + len(frame[1])) >= 0 for mark in _UNSAFE_TO_CUT):
        return None
    starts = [first.start()]
    while (target := starts[-1] + chunk_bytes) < size:
        found = _IDOC_START.search(data, target)
        if found is None:
            break
        starts.append(found.start())
    return starts


def package_frame(head: bytes) -> tuple[bytes, bytes, bytes] | None:
    """``(declaration, root start tag, root name)`` from the bytes before the first IDOC.

    The declaration is everything up to the end of ``<?xml ...?>`` (a byte
    order mark included), or empty. None when the head holds anything a
    plain package does not (a DOCTYPE, comments, a SOAP envelope).
    """
    if b"<!" in head:
        return None
    declaration = _DECLARATION.search(head)
    offset = declaration.end() if declaration else 0
    root = _ROOT_START.search(head, offset)
    if root is None or _SOAP in root.group(1) or root.start() != head.index(b"<", offset):
        return None
    declaration_bytes = head[:offset]
    between = head[offset : root.start()]
    if between.strip():
        return None
    return declaration_bytes + between, root.group(), root.group(1)


def _count_idocs(data: mmap.mmap, start: int, end: int) -> int:
    window = data[start:end]
    return sum(window.count(b"<IDOC" + tail) for tail in (b" ", b">", b"\n", b"\r", b"\t"))


class ChunkStream:
    """A file-like view of one chunk, framed so that it parses as a package of its own."""

    def __init__(self, path: str | os.PathLike, chunk: FileChunk):
        self.file = open(path, "rb")  # noqa: SIM115 -- closed by close(), the reader's ExitStack
        self.remaining = chunk.end - chunk.start
        self.pending: list[bytes] = []
        self.suffix = b""
        self.head_lines = 0  # lines of the stream before the chunk's first line
        self.first_line = 1  # the file's line of the chunk's first line
        if not chunk.is_whole_file:
            head = self.file.read(64 * 1024)
            found = _IDOC_START.search(head)
            frame = package_frame(head[: found.start()]) if found else None
            if frame is None:
                raise ValueError(f"{path} is not the file this chunk plan was made for")
            declaration, root, root_name = frame
            if chunk.index > 0:
                # The chunk starts on a line of its own, at its column in the file;
                # line_in_file() turns the lines after the head into the file's.
                # (Padding with the file's line breaks instead made a text node
                # libxml2 refuses past 10,000,000 lines: "Buffer size limit exceeded".)
                head = declaration.rstrip() + root + b"\n"
                self.pending = [head + b" " * (chunk.first_column - 1)]
                self.head_lines = head.count(b"\n")
                self.first_line = chunk.first_line
            if not chunk.is_last:
                self.suffix = b"</" + root_name + b">"
        self.file.seek(chunk.start)

    def read(self, size: int = -1) -> bytes:
        if self.pending:
            return self.pending.pop()
        if self.remaining > 0:
            block = self.file.read(min(self.remaining, size if size > 0 else self.remaining))
            self.remaining -= len(block)
            if block:
                return block
            self.remaining = 0
        suffix, self.suffix = self.suffix, b""
        return suffix

    def line_in_file(self, line: int | None) -> int | None:
        """The file's line for a line of this stream (None stays None)."""
        if line is None or line <= self.head_lines:
            return line  # the head, which is the file's own beginning
        return line - self.head_lines - 1 + self.first_line

    def close(self) -> None:
        self.file.close()
