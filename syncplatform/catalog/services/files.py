"""Catalog files on disk: stored once with their hash and plan, read back one chunk at a time.

A million-material MATMAS05 is one XML document of gigabytes. To make each
chunk its own task without parsing everything before it again, the file is
planned while it is stored: one pass that hashes it and finds, with a byte
search, the offset and line of every ``chunk_size``-th ``<IDOC`` start tag,
the bytes before the first IDOC (XML declaration and package root) and after
the last (the closing tags). A chunk is then read as a small document of its
own: the head, the chunk's byte range, the tail (``open_chunk``). The reader
sees the same prologue, root and DOCTYPE checks as for the whole file, and
``ChunkPlace`` turns its positions and lines back into the file's.
"""

import hashlib
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from connectors.idoc.fingerprints import ElidedRange, IdocFingerprint, pieces_with_holes

BLOCK = 4 * 1024 * 1024
_IDOC_START = re.compile(rb"<IDOC[\s>/]")
_IDOC_END = re.compile(rb"</IDOC\s*>")
_CARRY = 32  # longer than any tag the two patterns match


def catalog_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "catalog"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int
    plan: dict

    @property
    def total(self) -> int:
        return self.plan["idocs"]


class _Planner:
    """Finds the chunk starts in a stream fed block by block (see the module docstring)."""

    def __init__(self, chunk_size: int):
        self.chunk_size = chunk_size
        self.offset = 0  # bytes fed before the current block
        self.line = 1  # line at ``offset``
        self.carry = b""
        self.idocs = 0
        self.last_start = -1
        self.last_end = 0
        self.chunks: list[list[int]] = []  # [byte offset, line, first position]

    def feed(self, block: bytes) -> None:
        data = self.carry + block
        base = self.offset - len(self.carry)
        for match in _IDOC_START.finditer(data):
            at = base + match.start()
            if at <= self.last_start:
                continue  # seen in the previous block's carry
            self.last_start = at
            if self.idocs % self.chunk_size == 0:
                self.chunks.append([at, self._line_at(data, base, at), self.idocs + 1])
            self.idocs += 1
        for match in _IDOC_END.finditer(data):
            self.last_end = max(self.last_end, base + match.end())
        self.line += block.count(b"\n")
        self.offset += len(block)
        self.carry = data[-_CARRY:]

    def _line_at(self, data: bytes, base: int, at: int) -> int:
        if at >= self.offset:
            return self.line + data.count(b"\n", self.offset - base, at - base)
        return self.line - data.count(b"\n", at - base, self.offset - base)

    def plan(self) -> dict:
        if not self.chunks:  # no IDOC at all: one chunk, the whole document
            return {"idocs": 0, "head_end": self.offset, "tail_start": self.offset, "chunks": []}
        return {
            "idocs": self.idocs,
            "head_end": self.chunks[0][0],
            # An unclosed last IDOC: the last chunk runs to the end, where the reader fails.
            "tail_start": self.last_end if self.last_end > self.last_start else self.offset,
            "chunks": self.chunks,
        }


def store_file(
    read: Callable[[int], bytes], *, chunk_size: int, folder: Path | None = None
) -> StoredFile:
    """Copy a stream (``read(n)`` until b"") into the catalog folder, hashing and planning it.

    The file is named by its sha256, so storing the same bytes twice keeps one copy.
    """
    folder = folder or catalog_folder()
    digest, planner = hashlib.sha256(), _Planner(chunk_size)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", delete=False) as out:
        try:
            while block := read(BLOCK):
                digest.update(block)
                planner.feed(block)
                out.write(block)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    sha256 = digest.hexdigest()
    path = folder / f"{sha256}.xml"
    Path(out.name).replace(path)
    return StoredFile(path, sha256, planner.offset, planner.plan())


def store_path(path: str | Path, *, chunk_size: int) -> StoredFile:
    with open(path, "rb") as handle:
        return store_file(handle.read, chunk_size=chunk_size)


@dataclass(frozen=True)
class ChunkPlace:
    """Where chunk ``index`` of a planned file sits, to translate the reader's numbers."""

    index: int
    first_position: int  # the chunk's first IDoc in the file, 1-based
    first_line: int  # the file line of the chunk's first byte
    head_lines: int  # newlines in the head the chunk is read behind

    def position(self, in_chunk: int | None) -> int | None:
        return None if in_chunk is None else in_chunk + self.first_position - 1

    def line(self, in_chunk: int | None) -> int | None:
        if in_chunk is None or in_chunk <= self.head_lines:
            return in_chunk  # inside the head, which is the file's own beginning
        return in_chunk - self.head_lines - 1 + self.first_line


def chunk_ranges(plan: dict, size: int, index: int) -> list[tuple[int, int]]:
    """The byte ranges that make chunk ``index`` a document: head, the chunk, tail."""
    chunks = plan["chunks"]
    if not chunks:
        return [(0, size)]
    start, end = chunk_span(plan, index)
    return [(0, plan["head_end"]), (start, end), (plan["tail_start"], size)]


def chunk_span(plan: dict, index: int) -> tuple[int, int]:
    """The bytes of chunk ``index``'s IDocs, from its first IDOC start tag (a planned file)."""
    chunks = plan["chunks"]
    start = chunks[index][0]
    end = chunks[index + 1][0] if index + 1 < len(chunks) else plan["tail_start"]
    return start, end


def open_chunk(
    path: str | Path, plan: dict, size: int, index: int, holes: Iterable[IdocFingerprint] = ()
) -> tuple[ElidedRange, ChunkPlace]:
    """A stream of chunk ``index`` as a document of its own (close it), and its place.

    ``holes``: IDocs of the chunk whose data segments are left out (replaced
    by their line breaks; see ``connectors.idoc.fingerprints``).
    """
    chunks = plan["chunks"]
    if not chunks:
        return ElidedRange(path, [(0, size)]), ChunkPlace(index, 1, 1, 0)
    with open(path, "rb") as handle:
        head = handle.read(plan["head_end"])
    first_position, first_line = chunks[index][2], chunks[index][1]
    place = ChunkPlace(index, first_position, first_line, head.count(b"\n"))
    start, end = chunk_span(plan, index)
    pieces = [
        (0, plan["head_end"]),
        *pieces_with_holes(start, end, holes),
        (plan["tail_start"], size),
    ]
    return ElidedRange(path, pieces), place
