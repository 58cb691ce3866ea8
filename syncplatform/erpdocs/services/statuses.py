"""Asking the ERP how our IDocs ended: 53 posted, 51 not posted (a person must look)."""

import logging
from collections.abc import Iterable

from django.db import transaction

from connectors.erp.idoc_client import IdocStatus
from syncplatform.audit.choices import EventKind
from syncplatform.audit.models import TransactionEvent
from syncplatform.audit.registry import scheduled_job
from syncplatform.core.locks import try_exclusive
from syncplatform.orders.reads import order_labels
from syncplatform.partners.choices import PartnerKind

from ..choices import ERP_IDOC_STATUS, STATUS_NOT_POSTED, STATUS_POSTED, PostingState
from ..models import Idoc, IdocConfig, Posting
from .erp import idoc_client_for
from .postings import fail_posting

logger = logging.getLogger(__name__)

CHUNK = 1000  # IDocs asked about, and recorded, per round


@scheduled_job(
    ERP_IDOC_STATUS,
    every_seconds=60,
    name="ask {partner} for IDoc statuses",
    per_partner=PartnerKind.ERP,
    description="Asks the ERP how the IDocs it took ended: 53 posted, 51 not posted.",
)
def poll_idoc_statuses(erp_id: int) -> int:
    """Ask the ERP about every sent IDoc still waiting; returns how many reached 53 or 51.

    Idempotent: an IDoc whose status is already recorded changes nothing, and
    a 51 opens one failed transaction per IDoc however often it is seen. One
    poll per ERP runs at a time. ``TransientError`` (the ERP is down)
    propagates: the next scheduled poll asks again.
    """
    config = IdocConfig.objects.select_related("partner").get(partner_id=erp_id)
    with try_exclusive("idoc-status", erp_id) as is_ours:
        if not is_ours:
            logger.info("%s IDoc statuses: another poll is running", config.partner.code)
            return 0
        client = idoc_client_for(config)
        waiting = list(
            Idoc.objects.filter(
                is_current=True, posting__erp_id=erp_id, posting__state=PostingState.SENT
            )
            .exclude(erp_docnum="")
            .order_by("pk")
            .values_list("erp_docnum", "pk", "status")
        )
        settled = 0
        for start in range(0, len(waiting), CHUNK):
            chunk = {docnum: (pk, status) for docnum, pk, status in waiting[start : start + CHUNK]}
            settled += record_statuses(chunk, client.statuses(list(chunk)))
    return settled


def record_statuses(idocs: dict[str, tuple[int, str]], statuses: Iterable[IdocStatus]) -> int:
    """Record the statuses that changed (``idocs``: ERP DOCNUM -> (our IDoc row, its status
    as recorded)); returns how many IDocs reached 53 or 51."""
    changed = [s for s in statuses if s.status != idocs[s.docnum][1]]
    final = [s for s in changed if s.status in (STATUS_POSTED, STATUS_NOT_POSTED)]
    for status in (s for s in changed if s not in final):
        Idoc.objects.filter(pk=idocs[status.docnum][0]).update(
            status=status.status, status_text=status.text, status_at=status.status_at
        )
    for status in final:
        with transaction.atomic():
            _settle(Idoc.objects.select_for_update().get(pk=idocs[status.docnum][0]), status)
    return len(final)


def _settle(idoc: Idoc, status: IdocStatus) -> None:
    if idoc.status == status.status:
        return
    idoc.record_status(status.status, status.text, status.status_at)
    posting = Posting.objects.select_for_update().select_related("erp").get(pk=idoc.posting_id)
    if posting.state != PostingState.SENT or not idoc.is_current:
        return
    if status.status == STATUS_POSTED:
        posting.mark_posted()
        _note_on_failed(idoc, f"resent as IDoc {idoc.docnum} (ERP {idoc.erp_docnum}): posted")
        return
    tx = fail_posting(posting, "idoc_status_51", _failure_message(idoc, posting, status))
    Idoc.objects.filter(pk=idoc.pk).update(failure_transaction=tx)
    _note_on_failed(idoc, f"resent as IDoc {idoc.docnum} (ERP {idoc.erp_docnum}): 51 again")


def _failure_message(idoc: Idoc, posting: Posting, status: IdocStatus) -> str:
    what = f"{posting.get_kind_display()} {posting.reference}"
    if posting.order_id:
        what += f" for order {order_labels([posting.order_id])[posting.order_id]}"
    return (
        f"IDoc {idoc.docnum} (ERP IDoc {idoc.erp_docnum}, {what}) was not posted: "
        f"status 51: {status.text}"
    )


def _note_on_failed(idoc: Idoc, message: str) -> None:
    """Tell the failed IDoc's transaction how its resend ended (its history only grows)."""
    if idoc.resends_id is None:
        return
    failed = Idoc.objects.filter(pk=idoc.resends_id).values_list("failure_transaction", flat=True)
    tx_id = failed.first()
    if tx_id:
        TransactionEvent.objects.create(transaction_id=tx_id, kind=EventKind.NOTE, message=message)
