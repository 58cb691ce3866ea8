"""What one chunk of a catalog file holds once read, and how its counts add up."""

import logging
from dataclasses import dataclass, field, fields
from functools import partial

from connectors.idoc.errors import IdocError, RefusedRow
from connectors.idoc.fingerprints import ElidedIdoc

from .files import ChunkPlace, open_chunk

logger = logging.getLogger(__name__)


@dataclass
class ChunkCounts:
    """What a chunk (or a whole load) did; ``read`` counts every record, refused or not."""

    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    refused: int = 0
    listings_changed: int = 0

    def __iadd__(self, other: "ChunkCounts") -> "ChunkCounts":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


@dataclass
class ReadChunk:
    """The records of one chunk in file order, positions and lines already the file's.

    Records keep their position in the chunk (``place.position`` makes it the
    file's). ``elided``: IDocs read without their data segments because their
    digest was the stored one (``unchanged``); ``digests`` the data segments'
    digest of each IDoc by position in the chunk, when the chunk could be
    fingerprinted; ``holes`` the fingerprints of the elided IDocs.
    """

    records: list = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    elided: list[ElidedIdoc] = field(default_factory=list)
    digests: dict[int, bytes] = field(default_factory=dict)
    holes: list = field(default_factory=list)  # the elided IDocs' fingerprints (key, digest)

    @property
    def read(self) -> int:
        return len(self.records) + len(self.refused) + len(self.elided)


def read_planned_chunk(load, index: int, reader, holes=()) -> tuple[ReadChunk, ChunkPlace]:
    """Chunk ``index`` of ``load``'s stored file read with ``reader``, ``holes`` elided."""
    stream, place = open_chunk(load.stored_path, load.plan, load.size, index, holes)
    if holes:
        reader = partial(reader, elided=frozenset(hole.position for hole in holes))
    with stream:
        return read_chunk(stream, reader, place), place


def read_chunk(stream, reader, place: ChunkPlace) -> ReadChunk:
    """Read a chunk's document with ``reader`` (``read_materials`` or ``read_prices``).

    A problem with the file itself raises the reader's ``IdocError``, its
    position and line translated to the whole file's.
    """
    chunk = ReadChunk()
    try:
        for record in reader(stream):
            if isinstance(record, ElidedIdoc):
                chunk.elided.append(record)
            elif isinstance(record, RefusedRow):
                chunk.refused.append(
                    RefusedRow(
                        place.position(record.position),
                        record.docnum,
                        record.key,
                        record.segment,
                        record.field,
                        record.reason,
                        place.line(record.line),
                    )
                )
            else:
                chunk.records.append(record)
    except IdocError as error:
        error.position = place.position(error.position)
        error.line = place.line(error.line)
        error.args = (error.describe(),)
        raise
    return chunk


def refuse(record, segment: str, field_name: str, reason: str, place: ChunkPlace) -> RefusedRow:
    """A record the catalog refuses after the reader accepted it (an unknown unit)."""
    key = getattr(record, "number", "") or getattr(record, "material", "")
    return RefusedRow(
        place.position(record.position), record.docnum, key, segment, field_name, reason, None
    )
