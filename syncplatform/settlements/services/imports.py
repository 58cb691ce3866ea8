"""Import a payout file for a channel: all of it or none of it, streamed, once."""

import codecs
import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from django.db import IntegrityError, transaction

from syncplatform.orders.reads import order_ids_for_channel_references

from ..choices import ImportStatus
from ..models import SettlementImport, SettlementLine
from ..models.imports import MAX_REFUSED_KEPT
from .layouts import ColumnLayout, ParsedLine, layout_for, read_row

# Lines are inserted, and their orders looked up, this many at a time: memory
# stays bounded by the chunk, not the file.
CHUNK_ROWS = 2000
HASH_BLOCK = 1024 * 1024


class BadSettlementFile(Exception):
    """The file as a whole cannot be read (not UTF-8 text, no header, a column missing);
    nothing was imported and nothing is recorded."""


@dataclass
class ImportReport:
    """What became of a file. ``duplicate_of`` is the earlier import of the same bytes:
    then nothing was done. ``refused`` holds the first refused rows as ``(line, reason)``."""

    settlement_import: SettlementImport | None = None
    duplicate_of: SettlementImport | None = None
    accepted: int = 0
    matched: int = 0
    refused_count: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def is_refused(self) -> bool:
        return self.refused_count > 0


class _Refused(Exception):
    """Raised inside the import's transaction to roll every inserted line back."""


def import_settlements(
    channel,
    stream: BinaryIO,
    file_name: str,
    *,
    user=None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a payout CSV (a binary, seekable stream) as settlement lines of ``channel``.

    Read with the channel's ``SettlementFormat``, or as a Shopify Payments payout
    transactions export when it has none. All or nothing: when any row is
    refused, no line is kept and the import is recorded as refused with every
    reason (line numbers as an editor shows them, header = 1), so a corrected
    file can be imported whole without doubling the rows that were good. The
    same bytes already imported for the channel are a no-op reporting that
    import (sha256, held by a unique constraint, also against a concurrent
    upload of the same file). Rows are streamed through the csv module and
    inserted ``CHUNK_ROWS`` at a time, each chunk's order references matched
    in one query; ``on_progress(bytes read)`` is called after each chunk.
    Raises ``BadSettlementFile`` when the file cannot be read at all.
    """
    sha256, size = _sha256(stream)
    existing = _imported(channel, sha256)
    if existing:
        return ImportReport(duplicate_of=existing)
    layout = layout_for(channel)
    record = SettlementImport(
        channel=channel,
        file_name=file_name[:255],
        sha256=sha256,
        size=size,
        file_format=layout.name,
        imported_by=user if getattr(user, "pk", None) else None,
        status=ImportStatus.IMPORTED,
    )
    report = ImportReport(settlement_import=record)
    try:
        with transaction.atomic():
            record.save()
            _import_lines(record, layout, stream, report, on_progress)
            if report.is_refused:
                raise _Refused
            record.accepted_count, record.matched_count = report.accepted, report.matched
            record.save(update_fields=["accepted_count", "matched_count", "row_count"])
    except _Refused:
        _record_refusal(record, report)
    except IntegrityError:
        # The same file went in concurrently and committed first.
        existing = _imported(channel, sha256)
        if existing is None:
            raise
        return ImportReport(duplicate_of=existing)
    return report


def _sha256(stream: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    while block := stream.read(HASH_BLOCK):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    return digest.hexdigest(), size


def _imported(channel, sha256: str) -> SettlementImport | None:
    return SettlementImport.objects.filter(
        channel=channel, sha256=sha256, status=ImportStatus.IMPORTED
    ).first()


def _import_lines(record, layout, stream, report, on_progress) -> None:
    chunk: list[tuple[int, ParsedLine]] = []
    for line_number, parsed in _read(layout, stream, record, report):
        if report.is_refused:
            continue  # nothing more will be kept: only look for further bad rows
        chunk.append((line_number, parsed))
        if len(chunk) >= CHUNK_ROWS:
            _insert(record, chunk, report)
            chunk = []
            if on_progress:
                on_progress(stream.tell())
    if chunk and not report.is_refused:
        _insert(record, chunk, report)
    if on_progress:
        on_progress(stream.tell())


def _read(
    layout: ColumnLayout, stream: BinaryIO, record: SettlementImport, report: ImportReport
) -> Iterator[tuple[int, ParsedLine]]:
    """``(line number, parsed line)`` per good row; bad rows go to the report."""
    text = codecs.getreader("utf-8-sig")(stream, errors="strict")
    reader = csv.reader(text, delimiter=layout.delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise BadSettlementFile("the file is empty; expected a header row")
        names = [name.strip() for name in header]
        layout = _as_spelled_in(layout, names)
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # a blank line is no row
            record.row_count += 1
            try:
                if len(values) != len(names):
                    raise ValueError(f"{len(values)} fields where the header has {len(names)}")
                row = {name: value.strip() for name, value in zip(names, values, strict=True)}
                yield line, read_row(layout, row)
            except ValueError as reason:
                report.refused_count += 1
                if len(report.refused) < MAX_REFUSED_KEPT:
                    report.refused.append((line, str(reason)))
    except UnicodeDecodeError as error:
        raise BadSettlementFile(f"the file is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise BadSettlementFile(f"line {reader.line_num}: not CSV: {error}") from None


def _as_spelled_in(layout: ColumnLayout, names: list[str]) -> ColumnLayout:
    """The layout with each column as this file spells its header (case may differ);
    BadSettlementFile naming every column the file lacks."""
    spelled = {name.casefold(): name for name in names}
    missing = [h for h in layout.columns.values() if h.casefold() not in spelled]
    if missing:
        raise BadSettlementFile(
            f"the header has no column {', '.join(missing)}; the {layout.name} format reads"
            f" {', '.join(layout.columns.values())}"
        )
    return replace(
        layout, **{name: spelled[header.casefold()] for name, header in layout.columns.items()}
    )


def _insert(record: SettlementImport, chunk: list[tuple[int, ParsedLine]], report) -> None:
    references = {parsed.order_reference for _, parsed in chunk if parsed.order_reference}
    orders = order_ids_for_channel_references(record.channel_id, references)
    lines = [
        SettlementLine(
            settlement_import=record,
            line_number=line_number,
            channel_id=record.channel_id,
            order_id=orders.get(parsed.order_reference),
            **vars(parsed),
        )
        for line_number, parsed in chunk
    ]
    SettlementLine.objects.bulk_create(lines)
    report.accepted += len(lines)
    report.matched += sum(1 for line in lines if line.order_id)


def _record_refusal(record: SettlementImport, report: ImportReport) -> None:
    """The refused attempt, kept (without lines) so finance sees who tried what and why."""
    record.pk = None
    record._state.adding = True
    record.status = ImportStatus.REFUSED
    record.accepted_count = record.matched_count = 0
    record.refused_count = report.refused_count
    record.refused = [list(entry) for entry in report.refused]
    record.save()
    report.accepted = report.matched = 0
