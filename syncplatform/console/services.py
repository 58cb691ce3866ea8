"""Console use cases: act on a failure group, retry what a new mapping unblocks, roll up.

Every retry and resolve goes through the audit services, so each is an event
in the transaction's history with who did it and why, and the retried work
runs through the normal runner.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from syncplatform.audit import registry
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import InvalidTransition, SyncTransaction
from syncplatform.audit.registry import scheduled_job
from syncplatform.audit.services import replay_transaction, resolve_transaction

from .causes import missing_entries
from .groups import FailureGroup
from .rollup import roll_up_recent_hours

logger = logging.getLogger(__name__)


@dataclass
class GroupResult:
    """What a group action did: the ids it moved and the ids that had moved on already."""

    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def retry_group(group: FailureGroup, *, actor) -> GroupResult:
    """ "Retry all in this group": each failed one is replayed, with the group named."""
    result = GroupResult()
    for tx_id in group.transaction_ids:
        try:
            replay_transaction(tx_id, actor=actor, reason=f"retry all: {group.cause.title}")
            result.done.append(tx_id)
        except InvalidTransition:
            result.skipped.append(tx_id)
    return result


def resolve_group(group: FailureGroup, *, actor, reason: str) -> GroupResult:
    """ "Resolve all with a reason": each failed one is closed, the reason in its history."""
    if not reason.strip():
        raise InvalidTransition("resolving needs a reason")
    result = GroupResult()
    for tx_id in group.transaction_ids:
        try:
            resolve_transaction(tx_id, actor=actor, reason=reason)
            result.done.append(tx_id)
        except InvalidTransition:
            result.skipped.append(tx_id)
    return result


def retry_blocked_by_mapping(
    channel_id: int, entry: str, *, added_by: AbstractBaseUser | None
) -> list[int]:
    """Replay the channel's ``mapping_missing`` failures that name ``entry`` ("sku A").

    Called when that mapping is added (or comes into force). The history of each
    says which mapping and who added it. A failure that still misses something
    else fails again naming only that. Returns the replayed ids.
    """
    candidates = SyncTransaction.objects.filter(
        state=TransactionState.FAILED, last_error_code="mapping_missing", partner_id=channel_id
    ).values_list("pk", "last_error_message")
    who = added_by.get_username() if added_by is not None else "an import without a user"
    reason = f"retried because mapping {entry} was added by {who}"
    replayed = []
    for tx_id, message in candidates:
        if entry not in missing_entries(message):
            continue
        try:
            with transaction.atomic():
                replay_transaction(tx_id, actor=added_by, reason=reason)
            replayed.append(tx_id)
        except InvalidTransition:
            pass  # someone retried or resolved it meanwhile: nothing left to do
    if replayed:
        logger.info("mapping %s unblocked transactions %s", entry, replayed)
    return replayed


@scheduled_job(
    "console.rollup",
    every_seconds=60,
    name="roll up the dashboard's hourly figures",
    lane=registry.Lane.BATCH,
    description="Recomputes the last hours' per-kind and shipment figures the console's "
    "charts draw (syncplatform/console/rollup.py).",
)
def roll_up_dashboard_figures() -> int:
    return roll_up_recent_hours()
