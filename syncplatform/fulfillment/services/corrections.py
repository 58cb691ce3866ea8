"""Edit and replay: a failed inbound file replaced by a corrected upload, then applied again.

Only a received file whose transaction failed may be replaced, by a file of the
same kind (a 945 by a 945). In one database transaction the file's row takes
the corrected bytes and its transaction gets a note: who and when (the event's
actor and time), the two sha256s, the segments that differ (a unified diff)
and the original file itself, verbatim (base64 when it is not text). Events are
append-only, so the original is kept whatever happens to the row afterwards.
The file's transaction is then replayed ("Retry now") and the normal runner
applies the corrected file; applying is idempotent, so sets the original
already applied are not applied twice.
"""

import base64
import difflib
import hashlib
import json

from django.db import IntegrityError, transaction

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.services import replay_transaction

from ..choices import EDI_FILE_IN, Direction
from ..models import Interchange
from .inbound import X12_FILES, _peek_functional_id, _peek_isa13

DIFF_LINES_IN_MESSAGE = 12
# A corrected file is read into memory and its original copied into an event: warehouse
# files corrected by hand are a few KB; a feed of thousands of 945s is fixed at the source.
MAX_CORRECTED_FILE_BYTES = 5 * 1024 * 1024


class NotReplaceable(Exception):
    """The corrected upload was refused; the message says why in an operator's words."""


def failed_inbound_transaction(interchange: Interchange) -> SyncTransaction | None:
    """The file's transaction when the file is inbound and failed (it may be replaced)."""
    tx = interchange.transaction
    if interchange.direction != Direction.INBOUND or tx is None:
        return None
    return tx if tx.state == TransactionState.FAILED else None


def replace_inbound_file(interchange_id: int, data: bytes, *, actor, reason: str = "") -> str:
    """Replace a failed inbound file's bytes with ``data`` and replay it; returns the note.

    Raises ``NotReplaceable`` (nothing written) when the file is not a failed
    inbound one, ``data`` is empty, too large, the same bytes, another kind of
    document, or a file this partner already sent.
    """
    _check_size(data)
    with transaction.atomic():
        interchange = Interchange.objects.select_for_update().get(pk=interchange_id)
        tx = _failed_transaction(interchange)
        original = bytes(interchange.content)
        sha256 = hashlib.sha256(data).hexdigest()
        if sha256 == interchange.sha256:
            raise NotReplaceable("the upload is the same file, byte for byte")
        kind = X12_FILES.kind_for_group(_peek_functional_id(data)) or EDI_FILE_IN
        if kind != tx.kind:
            raise NotReplaceable(
                f"the upload reads as {kind}, the file it replaces as {tx.kind}: "
                "upload a corrected copy of the same document"
            )
        _store(interchange, data, sha256)
        note = (
            f"file replaced by a corrected upload by {actor}: sha256 {interchange_sha(original)} "
            f"→ {sha256[:12]}" + (f" ({reason})" if reason else "")
        )
        tx.events.create(
            kind=EventKind.NOTE,
            from_state=tx.state,
            to_state=tx.state,
            attempt=tx.attempts,
            actor=actor,
            message=f"{note}\n{_short_diff(original, data)}",
            excerpt=json.dumps(
                {
                    "file_name": interchange.file_name,
                    "original_sha256": hashlib.sha256(original).hexdigest(),
                    "corrected_sha256": sha256,
                    "diff": _diff(original, data),
                    "original": _verbatim(original),
                },
                ensure_ascii=False,
            ),
        )
        replay_transaction(tx.pk, actor=actor, reason=f"replay of the corrected file by {actor}")
    return note


def interchange_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _check_size(data: bytes) -> None:
    if not data:
        raise NotReplaceable("the upload is empty")
    check_upload_size(len(data))


def check_upload_size(size: int) -> None:
    if size > MAX_CORRECTED_FILE_BYTES:
        raise NotReplaceable(
            f"the upload is {size} bytes; a corrected file may be at most "
            f"{MAX_CORRECTED_FILE_BYTES} bytes"
        )


def _failed_transaction(interchange: Interchange) -> SyncTransaction:
    tx = failed_inbound_transaction(interchange)
    if tx is None:
        state = interchange.transaction.state if interchange.transaction else "no transaction"
        raise NotReplaceable(
            f"only a received file whose transaction failed can be replaced; "
            f"{interchange.file_name} is {interchange.get_direction_display()} and {state}"
        )
    return SyncTransaction.objects.select_for_update().get(pk=tx.pk)


def _store(interchange: Interchange, data: bytes, sha256: str) -> None:
    interchange.content = data
    interchange.sha256 = sha256
    interchange.isa_control_number = _peek_isa13(data)
    try:
        with transaction.atomic():
            interchange.save(
                update_fields=["content", "sha256", "isa_control_number", "updated_at"]
            )
    except IntegrityError:
        raise NotReplaceable(
            f"{interchange.partner} already sent a file with this content or ISA13 "
            f"{interchange.isa_control_number}: the upload would be a duplicate"
        ) from None


def _segments(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    terminator = text[105] if text.startswith("ISA") and len(text) > 106 else "\n"
    return [segment.strip() for segment in text.split(terminator) if segment.strip()]


def _diff(original: bytes, corrected: bytes) -> list[str]:
    return list(
        difflib.unified_diff(
            _segments(original), _segments(corrected), "original", "corrected", lineterm=""
        )
    )


def _short_diff(original: bytes, corrected: bytes) -> str:
    changed = [line for line in _diff(original, corrected)[2:] if line[:1] in "+-"]
    more = len(changed) - DIFF_LINES_IN_MESSAGE
    shown = changed[:DIFF_LINES_IN_MESSAGE] + ([f"… {more} more"] if more > 0 else [])
    return "\n".join(shown)


def _verbatim(data: bytes) -> str | dict:
    """The file as text when it is (PostgreSQL text holds no NUL), else base64."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        return {"base64": base64.b64encode(data).decode()}
    return text
