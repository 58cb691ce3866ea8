"""IDoc-XML the ERP pushes: stored byte for byte once, then applied by a batch transaction.

The endpoint only stores (``receive_idoc_file``) and answers; the file's
transaction, on the batch lane, reads the package with the connector's
streaming reader (no DTDs, no entities, no network, size-limited) and hands
the IDocs of each declared type to its applier (``idoc_documents/``). A file
that cannot be read, or holds a type nobody declared, fails with the
connector's error naming the IDoc, segment and field; nothing of it is applied.
"""

import gzip
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from itertools import islice

from django.db import IntegrityError, transaction

from connectors.idoc import IdocError, iter_idocs, read_idoc
from syncplatform.audit.choices import EventKind
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import FileStandard, Lane, RetryDefaults
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_transaction

from ..choices import ERP_IDOC_IN, InboundState
from ..conf import max_inbound_idoc_bytes
from ..models import IdocConfig, InboundIdocFile

logger = logging.getLogger(__name__)

IDOC_FILES = FileStandard(
    "IDocs from the ERP",
    lane=Lane.BATCH,
    subject="erpdocs.InboundIdocFile",
    retry=RetryDefaults(5, (30, 120, 600)),
)
"""The IDoc types the ERP sends us. Unlike X12 sets, an IDoc type's applier takes a
chunk of its documents at once: ``applier(received: ReceivedIdocs, documents: list)``
(``APPLY_CHUNK`` at a time, in package order), inside the file's final database
transaction; it must be idempotent (by DOCNUM) and report what it cannot match in
``received.problems``."""

APPLY_CHUNK = 1000  # documents per applier call: one round of bulk writes


@dataclass
class ReceivedIdocs:
    """A received file as an IDoc type's applier sees it."""

    config: IdocConfig
    file: InboundIdocFile
    problems: list[str] = field(default_factory=list)
    duplicate_docnums: list[str] = field(default_factory=list)
    applied: int = 0

    @property
    def erp(self):
        return self.config.partner


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class PushedBody:
    """A pushed body, read as a stream: gzip-compressed, with the hash and size of the
    bytes as received and their first 4 KB."""

    content_gzip: bytes
    sha256: str
    size: int
    head: bytes

    @property
    def is_blank(self) -> bool:
        return self.size <= len(self.head) and not self.head.strip()

    @classmethod
    def read(cls, read, *, limit: int, chunk: int = 1 << 20) -> "PushedBody":
        """From ``read(n)`` until it returns b""; ``BodyTooLarge`` past ``limit`` bytes."""
        digest, size, head = hashlib.sha256(), 0, b""
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as packer:
            while piece := read(chunk):
                size += len(piece)
                if size > limit:
                    raise BodyTooLarge(f"the body is larger than {limit} bytes")
                if len(head) < 4096:
                    head += piece[: 4096 - len(head)]
                digest.update(piece)
                packer.write(piece)
        return cls(out.getvalue(), digest.hexdigest(), size, head)

    @classmethod
    def of(cls, data: bytes) -> "PushedBody":
        return cls.read(io.BytesIO(data).read, limit=len(data))


def receive_idoc_file(
    config: IdocConfig, body: PushedBody | bytes, correlation_id: str
) -> InboundIdocFile:
    """Store a pushed body once and queue it; the same bytes again are a recorded duplicate.

    The file row and its transaction commit together (the transaction is
    published after the commit); a duplicate's transaction is closed at once
    as skipped. Concurrent pushes of the same bytes are settled by the unique
    constraint on ``(erp, sha256)``.
    """
    if isinstance(body, bytes):
        body = PushedBody.of(body)
    idoc_type = peek_idoc_type(body.head)
    declared = IDOC_FILES.get(idoc_type)
    kind = declared.kind if declared and declared.applier else ERP_IDOC_IN
    try:
        with transaction.atomic():
            return _store(config, body, idoc_type, kind, correlation_id)
    except IntegrityError:
        with transaction.atomic():
            return _store(config, body, idoc_type, kind, correlation_id)


def _store(config, body: PushedBody, idoc_type, kind, correlation_id) -> InboundIdocFile:
    sha256 = body.sha256
    original = InboundIdocFile.objects.filter(
        erp=config.partner, sha256=sha256, duplicate_of__isnull=True
    ).first()
    file = InboundIdocFile.objects.create(
        erp=config.partner,
        content_gzip=body.content_gzip,
        sha256=sha256,
        size=body.size,
        idoc_type=idoc_type,
        correlation_id=correlation_id,
        state=InboundState.DUPLICATE if original else InboundState.RECEIVED,
        duplicate_of=original,
    )
    if original:
        message = (
            f"{file.file_name} is a duplicate of {original.file_name} (same sha256 "
            f"{sha256[:12]}…); recorded and not applied"
        )
    else:
        message = f"{file.file_name} pushed by {config.partner.code} ({body.size} bytes)"
    file.transaction = open_transaction(
        kind=kind,
        partner=config.partner,
        business_key=file.file_name,
        correlation_id=correlation_id,
        subject=file,
        message=message,
        publish=original is None,
    )
    if original:
        file.transaction.skip(message)
    file.save(update_fields=["transaction"])
    return file


_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s/>]")
_ENVELOPE = {b"Envelope", b"Header", b"Body"}


def peek_idoc_type(data: bytes) -> str:
    """The package root's name (the IDoc type), read cheaply to choose the file's kind.

    "" when it cannot be seen in the first 4 KB; the reader decides properly later.
    """
    for match in _START_TAG.finditer(data[:4096]):
        name = match.group(1)
        if name not in _ENVELOPE:
            return name.decode("ascii", "replace")[:30]
    return ""


@IDOC_FILES.file_handler(
    ERP_IDOC_IN, description="IDoc-XML from the ERP (unreadable, or of a type nobody reads)"
)
def apply_idoc_file(tx: SyncTransaction) -> Outcome:
    """Read the whole package, then apply each declared type's IDocs in chunks.

    Reading happens here, outside any database transaction; only the writes
    run in the runner's final one. Re-running after a fix is safe: appliers
    skip what they applied before (by DOCNUM).
    """
    file = InboundIdocFile.objects.select_related("erp").get(pk=tx.subject_id)
    config = IdocConfig.objects.select_related("partner").get(partner_id=file.erp_id)
    readers = IDOC_FILES.readers()
    try:
        documents = [
            (idoc.control.idoc_type, read_idoc(idoc, readers))
            for idoc in iter_idocs(file.open_body(), max_bytes=max_inbound_idoc_bytes())
        ]
    except IdocError as error:
        return Outcome(
            message=f"{file.file_name}: refused",
            apply=file.mark_failed,
            failure=(error.code, f"{file.file_name}: {error}"),
        )
    received = ReceivedIdocs(config, file)

    def apply():
        _apply_all(received, documents)
        file.mark_applied(len(documents), received.duplicate_docnums)
        if received.duplicate_docnums:
            _note(tx, received)
        if received.problems:
            file.mark_failed()
            return ("erp_unmatched", "; ".join(received.problems[:20]) + _more(received))
        return None

    return Outcome(message=_summary(file, documents), apply=apply)


def _apply_all(received: ReceivedIdocs, documents: list[tuple[str, object]]) -> None:
    by_type: dict[str, list] = {}
    for idoc_type, document in documents:
        by_type.setdefault(idoc_type, []).append(document)
    for idoc_type, typed in by_type.items():
        declared = IDOC_FILES.get(idoc_type)
        if declared is None or declared.applier is None:
            received.problems.append(f"{len(typed)} {idoc_type} IDoc(s): nobody applies them")
            continue
        iterator = iter(typed)
        while chunk := list(islice(iterator, APPLY_CHUNK)):
            declared.applier(received, chunk)


def _note(tx: SyncTransaction, received: ReceivedIdocs) -> None:
    """Duplicates are recorded in the history: applied before, so not applied again."""
    shown = ", ".join(received.duplicate_docnums[:20])
    more = len(received.duplicate_docnums) - 20
    tx.events.create(
        kind=EventKind.NOTE,
        message=f"{len(received.duplicate_docnums)} IDoc(s) were applied before (same DOCNUM) "
        f"and are not applied again: {shown}" + (f" and {more} more" if more > 0 else ""),
    )


def _summary(file: InboundIdocFile, documents: list[tuple[str, object]]) -> str:
    counts: dict[str, int] = {}
    for idoc_type, _ in documents:
        counts[idoc_type] = counts.get(idoc_type, 0) + 1
    what = ", ".join(f"{n} x {t}" for t, n in sorted(counts.items())) or "no IDocs"
    return f"{file.file_name}: read and applied {what}"


def _more(received: ReceivedIdocs) -> str:
    extra = len(received.problems) - 20
    return f"; and {extra} more" if extra > 0 else ""
