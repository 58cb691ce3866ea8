"""Pending postings to the ERP in packages: the scheduled send job and the package's send."""

import logging

from django.db import transaction

from syncplatform.audit.batches import build_batch, send_batch_file
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import Lane, RetryDefaults, Schedule, transaction_kind
from syncplatform.audit.runner import Outcome, run_transaction
from syncplatform.audit.services import resolve_transaction
from syncplatform.partners.choices import PartnerKind

from ..choices import ERP_IDOC_OUT, PackageState, PostingKind, PostingState
from ..models import Idoc, IdocConfig, IdocPackage, Posting
from .package_batch import PostingPackage

logger = logging.getLogger(__name__)

# An ERP outage is usually minutes: a package tries for about an hour, then a person looks.
PACKAGE_RETRIES = RetryDefaults(10, (15, 30, 60, 120, 300, 600, 900))


def send_idoc_postings(erp_id: int, *, limit: int | None = None) -> list[IdocPackage]:
    """The scheduled job: every pending posting of one ERP, in packages, each sent at once.

    Each package is built in one database transaction (postings locked with
    ``SKIP LOCKED``, so two runs never take one posting; DOCNUMs from the
    ERP's sequence; bytes and message id stored with the package's
    ``erp.idoc.out`` transaction) and then sent as that transaction's first
    attempt. When a send does not succeed (the ERP is down), the job stops:
    that package retries by its policy and the other postings wait for the
    next run. A job that dies after a commit leaves a ``received`` or
    ``processing`` transaction that the sweeper hands to a worker, which sends
    the same bytes under the same message id, so the ERP never posts twice.
    Returns the packages built.
    """
    config = IdocConfig.objects.select_related("partner").get(partner_id=erp_id)
    size = limit or config.package_size
    built: list[IdocPackage] = []
    for kind in PostingKind.values:
        while True:
            batch = PostingPackage(config, kind)
            package = build_batch(batch, size, publish=False)
            if package is None:
                break
            built.append(package)
            tx = run_transaction(
                package.transaction_id, lambda tx, b=batch, p=package: send_batch_file(b, p)
            )
            if tx is None or tx.state != TransactionState.SUCCEEDED:
                logger.info("%s: not sent now; the next packages wait", package.file_name)
                return built
    return built


@transaction_kind(
    ERP_IDOC_OUT,
    description="IDoc package to the ERP (SHPCON, WMMBXY)",
    lane=Lane.BATCH,
    subject="erpdocs.IdocPackage",
    retry=PACKAGE_RETRIES,
    schedule=Schedule(
        key=ERP_IDOC_OUT,
        job=send_idoc_postings,
        every_seconds=120,
        name="send IDoc postings to {partner}",
        per_partner=PartnerKind.ERP,
        description="Packages the ERP's pending postings (shipment confirmations, stock "
        "differences) and sends them.",
    ),
)
def send_idoc_package(tx: SyncTransaction) -> Outcome:
    """Send a stored package again (a retry, or after the job that built it died)."""
    package = IdocPackage.objects.get(pk=tx.subject_id)
    config = IdocConfig.objects.select_related("partner").get(partner_id=package.erp_id)
    return send_batch_file(PostingPackage(config, package.message_type), package)


def release_package(package_id: int, *, actor, reason: str) -> int:
    """Give up a package the ERP refused as a whole: its postings wait for the next package.

    Only for a package whose transaction failed (the ERP never took it, so
    none of its IDocs has an ERP number): the transaction is resolved with
    ``reason`` and each posting goes back to pending. Returns how many.
    """
    with transaction.atomic():
        package = IdocPackage.objects.select_for_update().get(pk=package_id)
        if package.state != PackageState.PENDING:
            raise ValueError(f"{package.file_name} was taken by the ERP; resend its postings")
        resolve_transaction(
            package.transaction_id, actor=actor, reason=f"postings released: {reason}"
        )
        current = Idoc.objects.filter(package=package, is_current=True)
        postings = Posting.objects.filter(
            pk__in=current.values("posting_id"), state=PostingState.PACKAGED
        )
        ids = list(postings.values_list("pk", flat=True))
        current.update(is_current=False)
        Posting.objects.filter(pk__in=ids).release()
    return len(ids)
