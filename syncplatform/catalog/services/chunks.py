"""What one chunk of a catalog file holds once read, and how its counts add up."""

import logging
from dataclasses import dataclass, field, fields

from connectors.idoc.errors import IdocError, RefusedRow

from .files import ChunkPlace

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
    """The records of one chunk in file order, positions and lines already the file's."""

    records: list = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.records) + len(self.refused)


def read_chunk(stream, reader, place: ChunkPlace) -> ReadChunk:
    """Read a chunk's document with ``reader`` (``read_materials`` or ``read_prices``).

    A problem with the file itself raises the reader's ``IdocError``, its
    position and line translated to the whole file's.
    """
    chunk = ReadChunk()
    try:
        for record in reader(stream):
            if isinstance(record, RefusedRow):
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
