"""Outbound interchange rows: a file we send, stored before it is sent, with its transaction."""

import hashlib

from syncplatform.audit.services import open_transaction

from ..choices import Direction, InterchangeState
from ..models import Interchange


def store_outbound(
    config, file_name, content, number, set_types, kind, *, ack, note="", publish=True, **fields
) -> Interchange:
    interchange = Interchange.objects.create(
        direction=Direction.OUTBOUND,
        partner=config.partner,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        isa_control_number=f"{number:09d}",
        group_control_numbers=[str(number)],
        set_control_numbers=[f"{i:04d}" for i in range(1, len(set_types) + 1)],
        set_types=set_types,
        state=InterchangeState.PENDING,
        ack_state=ack,
        **fields,
    )
    interchange.transaction = open_transaction(
        kind=kind,
        partner=config.partner,
        business_key=file_name,
        correlation_id=f"interchange-{interchange.pk}",
        subject=interchange,
        message=f"{file_name} ({len(set_types)} set(s)) queued for {config.partner.code}"
        + (f"; {note}" if note else ""),
        publish=publish,
    )
    interchange.save(update_fields=["transaction"])
    return interchange
