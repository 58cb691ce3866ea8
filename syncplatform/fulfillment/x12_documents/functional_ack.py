"""997 functional acknowledgment: the warehouse accepted or rejected a file we sent."""

from connectors.edi.ack997 import FunctionalAck, read_997

from ..choices import EDI_997_IN, AckState, Direction
from ..models import Interchange
from ..services.inbound import X12_FILES, ReceivedSet

ACK_STATES = {
    "A": AckState.ACCEPTED,
    "E": AckState.ACCEPTED,
    "P": AckState.PARTIALLY_ACCEPTED,
    "R": AckState.REJECTED,
}


def describe(ack: FunctionalAck) -> str:
    return (
        f"997: group {ack.group_control_number} ({ack.functional_id}) {ack.status}, "
        f"{ack.sets_accepted}/{ack.sets_included} set(s) accepted"
    )


@X12_FILES.document(
    "997",
    group_id="FA",
    kind=EDI_997_IN,
    description="997 acknowledgment from a warehouse",
    reader=read_997,
    describe=describe,
)
def record_acknowledgment(received: ReceivedSet, ack: FunctionalAck) -> None:
    warehouse = received.warehouse
    # AK102 names the group we sent; our GS06 is always our ISA13 (one number per file).
    acknowledged = Interchange.objects.filter(
        partner=warehouse,
        direction=Direction.OUTBOUND,
        isa_control_number=f"{int(ack.group_control_number):09d}"
        if ack.group_control_number.isdigit()
        else ack.group_control_number,
    ).first()
    if acknowledged is None:
        received.problems.append(
            f"{received.interchange.file_name}: 997 AK102 group {ack.group_control_number} "
            f"is no interchange we sent to {warehouse.code}"
        )
        return
    state = ACK_STATES.get(ack.status, AckState.REJECTED)
    acknowledged.mark_acknowledged(state, by=received.interchange)
    _follow_acknowledgment(acknowledged, ack)


def _follow_acknowledgment(acknowledged: Interchange, ack: FunctionalAck) -> None:
    """Mark the interchange's waiting shipping orders accepted or rejected, set by set.

    Two UPDATEs, whatever the number of sets: a 997 for a 10,000-order 940 saved
    10,000 rows one by one before. The sets whose own AK5 departs from the
    group's verdict are the exceptions; every other set follows the group.
    """
    by_default = ack.accepts_unlisted_sets
    exceptions = [a.control_number for a in ack.set_acks if a.is_accepted != by_default]
    waiting = acknowledged.shipping_orders
    waiting.filter(set_control_number__in=exceptions).mark_acknowledged(is_accepted=not by_default)
    waiting.exclude(set_control_number__in=exceptions).mark_acknowledged(is_accepted=by_default)
