"""A warehouse's SFTP endpoint, X12 envelope and control numbers, from its configuration."""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F

from connectors.edi.writer import EdiIdentity, Envelope
from connectors.sftp import SftpEndpoint, SftpFolders
from syncplatform.audit.models import SyncTransaction

from ..choices import EDI_940_OUT, EDI_997_OUT
from ..models import ControlNumberSequence, WarehouseConfig

# What a retrying upload failed with when all it needs is the server answering again.
UNREACHABLE_CODES = ("connection", "timeout", "upload_in_progress")


def sftp_endpoint_for(config: WarehouseConfig) -> SftpEndpoint:
    return SftpEndpoint(
        host=config.sftp_host,
        port=config.sftp_port,
        username=config.sftp_username,
        password=config.sftp_password or None,
        private_key=config.sftp_private_key or None,
        known_hosts=config.sftp_known_hosts,
        folders=SftpFolders(
            outbound=config.outbound_folder,
            inbound=config.inbound_folder,
            archive=config.archive_folder,
            error=config.error_folder,
        ),
        settle_seconds=config.settle_seconds,
    )


def warehouse_reachable(config: WarehouseConfig) -> int:
    """Bring forward the warehouse's uploads that were only waiting for its SFTP server.

    Called when a session with the server has just worked. Their backoff grows
    to minutes during an outage; without this, a 940 cut off by a short
    outage would wait out its whole delay after the server came back.
    Returns how many were brought forward.
    """
    return SyncTransaction.objects.filter(
        partner_id=config.partner_id,
        kind__in=(EDI_940_OUT, EDI_997_OUT),
        last_error_code__in=UNREACHABLE_CODES,
    ).bring_forward(f"the SFTP server of {config.partner.code} answered again")


def next_control_number(partner) -> int:
    """The next ISA13/GS06 for this partner; never the same number twice.

    The increment is one UPDATE, so concurrent batch runs serialise on the
    sequence row and each gets its own number. Call inside the transaction
    that stores the interchange: a rolled-back run gives its number back.
    """
    with transaction.atomic():
        sequence, _ = ControlNumberSequence.objects.get_or_create(partner=partner)
        ControlNumberSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + 1)
        sequence.refresh_from_db()
    return sequence.last_value


def envelope_for(config: WarehouseConfig, control_number: int) -> Envelope:
    """Our envelope to this warehouse: we send, they receive."""
    return Envelope(
        sender=EdiIdentity(config.our_isa_qualifier, config.our_isa_id, config.our_gs_id),
        receiver=EdiIdentity(config.their_isa_qualifier, config.their_isa_id, config.their_gs_id),
        interchange_control_number=control_number,
        group_control_number=control_number,
        prepared_at=datetime.now(UTC),
        usage=config.usage_indicator,
        version=config.x12_version,
    )
