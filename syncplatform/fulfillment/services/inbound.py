"""Files warehouses send us: take them from SFTP, record each once, apply it, acknowledge it.

Life of an inbound file: it waits in the warehouse's ``inbound`` folder until
its size and mtime hold still; we download it, store it byte for byte as an
``Interchange`` with its own transaction (one database transaction), apply it,
and only then move the remote file to ``archive`` (applied, or a duplicate)
or ``error`` (failed). If the move fails (SFTP outage), the next poll finds the
file still there, recognises it by name and sha256 and only finishes the move:
nothing is applied twice and nothing is lost.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from connectors.edi.ack997 import build_997
from connectors.edi.envelope import read_interchanges
from connectors.edi.errors import EnvelopeError
from connectors.edi.group_reader import read_group
from connectors.edi.rejection import rejection_for_unreadable
from connectors.errors import ConfigError, PermanentError, TransientError
from connectors.sftp import RemoteFolder, SftpClient
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import (
    FileStandard,
    Lane,
    Schedule,
    transaction_kind,
)
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import open_failed_transaction, open_transaction
from syncplatform.core.locks import try_exclusive
from syncplatform.partners.choices import PartnerKind

from ..choices import EDI_FILE_IN, EDI_POLL, Direction, InterchangeState
from ..models import Interchange, WarehouseConfig
from .connections import sftp_endpoint_for, warehouse_reachable
from .outbound import FILE_RETRIES, queue_997

logger = logging.getLogger(__name__)

X12_FILES = FileStandard(
    "X12 from warehouses", lane=Lane.BATCH, subject="fulfillment.Interchange", retry=FILE_RETRIES
)


@dataclass
class ReceivedSet:
    """One transaction set of a received file, as a document's applier sees it.

    ``problems`` collects what the file names that we cannot match (an order we
    never sent), each a sentence naming file, set and element; the file's
    transaction then fails ``edi_unmatched`` after the rest is kept.
    """

    config: WarehouseConfig
    interchange: Interchange
    set_control_number: str
    problems: list[str]

    @property
    def warehouse(self):
        return self.config.partner


def poll_warehouse(warehouse_id: int) -> int:
    """Take every ready file from a warehouse's inbound folder; returns how many were taken.

    ``TransientError`` (the SFTP server is down) propagates: the files wait for
    the next poll. A file we cannot take (too large, an unsafe name) is
    reported as a failed poll transaction naming it and skipped, so it never
    blocks the files after it; ``ConfigError`` (host key, login, folders) is
    reported the same way and ends the poll.
    """
    config = WarehouseConfig.objects.select_related("partner").get(partner_id=warehouse_id)
    with try_exclusive("inbound-poll", warehouse_id) as is_ours:
        if not is_ours:
            logger.info("%s inbound: another poll is running; this one ends", config.partner.code)
            return 0
        try:
            return _poll(
                config, lambda error, name: report_poll_failure(config, error, file_name=name)
            )
        except ConfigError as error:
            report_poll_failure(config, error)
            return 0


def _poll(config: WarehouseConfig, report_file_error=None) -> int:
    taken = 0
    with SftpClient(sftp_endpoint_for(config)) as client:
        ready = client.list_ready(RemoteFolder.INBOUND, config.inbound_pattern)
        warehouse_reachable(config)
        for remote in ready:
            try:
                data = client.fetch(RemoteFolder.INBOUND, remote.name)
            except PermanentError as error:
                if error.code == "not_found":
                    # Taken since it was listed (by a poll from before the lock, or by hand).
                    logger.info("%s: gone from inbound before download; skipped", remote.name)
                    continue
                if report_file_error is None:
                    raise
                report_file_error(error, remote.name)
                continue
            _take(client, config, remote.name, data)
            taken += 1
    return taken


def report_poll_failure(config: WarehouseConfig, error, *, file_name: str = "") -> None:
    """One failed ``edi.inbound.poll`` transaction per open problem (not one per poll)."""
    business_key = f"{config.partner.code} inbound" + (f" {file_name}" if file_name else "")
    already_open = SyncTransaction.objects.filter(
        kind=EDI_POLL, business_key=business_key, state=TransactionState.FAILED
    ).exists()
    if already_open:
        logger.warning("%s: still failing: %s", business_key, error)
        return
    open_failed_transaction(
        kind=EDI_POLL,
        partner=config.partner,
        business_key=business_key,
        subject=config.partner,
        code=error.code,
        message=f"{business_key}: {error}",
    )


@transaction_kind(
    EDI_POLL,
    description="Polling a warehouse's inbound folder",
    lane=Lane.BATCH,
    subject="partners.Partner",
    retry=FILE_RETRIES,
    schedule=Schedule(
        key=EDI_POLL,
        job=poll_warehouse,
        every_seconds=60,
        name="poll {partner} inbound",
        per_partner=PartnerKind.WAREHOUSE,
        description="Takes the warehouse's ready files from its inbound folder.",
    ),
)
def retry_poll(tx: SyncTransaction) -> Outcome:
    """ "Retry now" on a failed poll: poll again; fails again while the cause remains."""
    config = WarehouseConfig.objects.select_related("partner").get(partner_id=tx.subject_id)
    with try_exclusive("inbound-poll", config.partner_id) as is_ours:
        if not is_ours:
            raise TransientError(f"{config.partner.code} inbound: another poll is running")
        taken = _poll(config)
    return Outcome(message=f"{config.partner.code} inbound polled: {taken} file(s) taken")


def _take(client, config, name, data) -> None:
    interchange = receive_file(config, name, data)
    destination = RemoteFolder.ERROR if _has_failed(interchange) else RemoteFolder.ARCHIVE
    client.move(name, RemoteFolder.INBOUND, destination)
    interchange.mark_disposed()


def receive_file(config: WarehouseConfig, file_name: str, data: bytes) -> Interchange:
    """Record a downloaded file once and apply it; a duplicate is recorded and skipped.

    A file we already hold under the same name and content whose remote copy
    was never moved is our own leftover, not a partner duplicate: it is
    returned as it is.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    leftover = (
        Interchange.objects.filter(
            partner=config.partner,
            direction=Direction.INBOUND,
            file_name=file_name,
            sha256=sha256,
            remote_disposed_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    if leftover:
        return leftover
    interchange = _record(config, file_name, data, sha256)
    if interchange.duplicate_of_id is None:
        run_transaction(interchange.transaction_id, apply_inbound_file)
        interchange.refresh_from_db()
    return interchange


def _record(config, file_name, data, sha256) -> Interchange:
    isa13 = _peek_isa13(data)
    kind = X12_FILES.kind_for_group(_peek_functional_id(data)) or EDI_FILE_IN
    try:
        with transaction.atomic():
            original = _original_of(config, sha256, isa13)
            return _store(config, file_name, data, sha256, isa13, kind, original)
    except IntegrityError:
        # Another poller stored the same file a moment ago: this copy is the duplicate.
        with transaction.atomic():
            original = _original_of(config, sha256, isa13)
            return _store(config, file_name, data, sha256, isa13, kind, original)


def _original_of(config, sha256, isa13) -> Interchange | None:
    """The file already received from this partner with this content or ISA13, if any."""
    return (
        Interchange.objects.filter(
            partner=config.partner, direction=Direction.INBOUND, duplicate_of__isnull=True
        )
        .filter(_same_file(sha256, isa13))
        .first()
    )


def _same_file(sha256, isa13):
    same = Q(sha256=sha256)
    return same | Q(isa_control_number=isa13) if isa13 else same


def _store(config, file_name, data, sha256, isa13, kind, original) -> Interchange:
    interchange = Interchange.objects.create(
        direction=Direction.INBOUND,
        partner=config.partner,
        file_name=file_name,
        sha256=sha256,
        content=data,
        isa_control_number=isa13,
        state=InterchangeState.DUPLICATE if original else InterchangeState.RECEIVED,
        duplicate_of=original,
    )
    if original:
        why = "same content" if original.sha256 == sha256 else f"same ISA13 {isa13}"
        message = (
            f"{file_name} is a duplicate of {original.file_name} "
            f"(interchange #{original.pk}, {why}); recorded and skipped"
        )
    else:
        message = f"{file_name} received from {config.partner.code} ({len(data)} bytes)"
    tx = open_transaction(
        kind=kind,
        partner=config.partner,
        business_key=file_name,
        correlation_id=f"interchange-{interchange.pk}",
        subject=interchange,
        message=message,
        publish=False,
    )
    if original:
        tx.skip(message)
    interchange.transaction = tx
    interchange.save(update_fields=["transaction"])
    return interchange


@X12_FILES.file_handler(EDI_FILE_IN, description="Unreadable or unknown file from a warehouse")
def apply_inbound_file(tx: SyncTransaction) -> Outcome:
    """Parse a stored file and apply every group; answer each group but a 997's with a 997.

    A broken envelope fails the transaction naming file, segment and element
    (and gets a rejecting 997 when its group header is readable). Sets with
    errors are rejected in the 997 and fail the transaction naming set,
    segment and element, while the file's good sets are kept; applying is
    idempotent, so a replay after a fix adds only what was missing. Each set
    is read and applied by the document type declared for it (``X12_FILES``).
    """
    interchange = Interchange.objects.select_related("partner").get(pk=tx.subject_id)
    config = WarehouseConfig.objects.get(partner=interchange.partner)
    data = bytes(interchange.content)
    try:
        parsed = read_interchanges(data)
    except EnvelopeError as error:
        return Outcome(
            message=f"{interchange.file_name}: rejected",
            apply=lambda error=error: _reject_unreadable(config, interchange, data, error),
            failure=(error.code, f"{interchange.file_name}: {error}"),
        )
    readers = X12_FILES.readers()
    problems: list[str] = []
    steps = []
    for parsed_interchange in parsed:
        for group in parsed_interchange.groups:
            results = read_group(group, readers)
            problems += [f"{interchange.file_name}: {r.error}" for r in results if r.error]
            steps.append((group, results))

    def apply():
        unmatched = _apply_all(config, interchange, parsed, steps)
        if not (problems or unmatched):
            return None
        interchange.mark_failed()
        code = "edi_document" if problems else "edi_unmatched"
        return (code, "; ".join(problems + unmatched))

    return Outcome(message=f"{interchange.file_name}: applied {_summary(parsed)}", apply=apply)


def _apply_all(config, interchange, parsed, steps) -> list[str]:
    """Apply every readable set and queue the 997s; returns what could not be matched."""
    unmatched: list[str] = []
    interchange.mark_applied(parsed)
    for group, results in steps:
        for result in results:
            declared = X12_FILES.get(result.transaction_set.code)
            if result.document is None or declared is None or declared.applier is None:
                continue
            received = ReceivedSet(
                config, interchange, result.transaction_set.control_number, unmatched
            )
            declared.applier(received, result.document)
        if group.functional_id != "FA" and not interchange.is_acknowledged(group.control_number):
            queue_997(config, build_997(group, results), interchange)
    return unmatched


def _reject_unreadable(config, interchange, data, error) -> None:
    interchange.mark_failed()
    ack = rejection_for_unreadable(data, error)
    if ack is not None and not interchange.is_acknowledged():
        queue_997(config, ack, interchange)


def _summary(parsed) -> str:
    counts: dict[str, int] = {}
    for i in parsed:
        for g in i.groups:
            for s in g.transaction_sets:
                counts[s.code] = counts.get(s.code, 0) + 1
    return ", ".join(f"{n} x {code}" for code, n in sorted(counts.items())) or "no sets"


def _has_failed(interchange: Interchange) -> bool:
    tx = interchange.transaction
    return tx is not None and tx.state == TransactionState.FAILED


def _peek_isa13(data: bytes) -> str:
    """ISA13 read cheaply for duplicate detection; "" when the ISA is unreadable."""
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:200]
    if not head.startswith(b"ISA") or len(head) < 4:
        return ""
    fields = head.split(head[3:4])
    if len(fields) > 13 and fields[13].strip().isdigit():
        return fields[13].strip().decode()
    return ""


def _peek_functional_id(data: bytes) -> str:
    """GS01 of the first group, read cheaply to choose the file's kind; "" when unreadable."""
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:400]
    if len(head) < 4:
        return ""
    separator = head[3:4]
    index = head.find(b"GS" + separator)
    return head[index + 3 : index + 5].decode("ascii", "replace") if index >= 0 else ""
