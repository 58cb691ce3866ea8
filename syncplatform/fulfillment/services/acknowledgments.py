"""Outbound files whose 997 did not arrive in time become visible exceptions."""

from django.db import transaction
from django.utils import timezone

from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.audit.services import open_failed_transaction
from syncplatform.core.errors import NeedsPerson

from ..choices import EDI_997_OVERDUE, AckState, Direction
from ..models import Interchange
from .outbound import FILE_RETRIES


class AcknowledgmentMissing(NeedsPerson):
    code = "ack_overdue"


def flag_overdue_acknowledgments() -> int:
    """Mark sent files whose 997 is past due and open a failed transaction for each.

    The transaction names the file, when it was sent and when the 997 was due,
    so it shows up in the admin's failed list; "retry now" checks again and
    succeeds once the 997 has arrived. Returns how many were flagged.
    """
    flagged = 0
    overdue = Interchange.objects.filter(
        direction=Direction.OUTBOUND, ack_state=AckState.PENDING, ack_due_by__lt=timezone.now()
    )
    for interchange in overdue.select_related("partner").order_by("pk"):
        with transaction.atomic():
            if not interchange.mark_overdue():
                continue
            open_failed_transaction(
                kind=EDI_997_OVERDUE,
                partner=interchange.partner,
                business_key=interchange.file_name,
                subject=interchange,
                code=AcknowledgmentMissing.code,
                message=_overdue_message(interchange),
            )
        flagged += 1
    return flagged


def _overdue_message(interchange: Interchange) -> str:
    return (
        f"no 997 from {interchange.partner.code} for {interchange.file_name} "
        f"(ISA13 {interchange.isa_control_number}), due by "
        f"{interchange.ack_due_by:%Y-%m-%d %H:%M %Z}"
    )


@transaction_kind(
    EDI_997_OVERDUE,
    description="Expected 997 not received in time",
    lane=Lane.BATCH,
    subject="fulfillment.Interchange",
    retry=FILE_RETRIES,
    schedule=Schedule(
        key=EDI_997_OVERDUE,
        job=flag_overdue_acknowledgments,
        every_seconds=60,
        name="flag overdue 997s",
        description="Sent files whose 997 is past due become failed transactions.",
    ),
)
def check_acknowledgment(tx: SyncTransaction) -> Outcome:
    """Replay of an overdue exception: succeeds once the 997 has arrived."""
    interchange = Interchange.objects.get(pk=tx.subject_id)
    if interchange.ack_state in (AckState.OVERDUE, AckState.PENDING):
        raise AcknowledgmentMissing(_overdue_message(interchange) + "; still missing")
    return Outcome(message=f"{interchange.file_name} acknowledged: {interchange.ack_state}")
