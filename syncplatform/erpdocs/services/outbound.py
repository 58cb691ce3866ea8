"""Pending postings to the ERP in packages: the scheduled send job and the package's send."""

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, transaction

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
    that package retries by its policy, one built meanwhile is sent by the
    sweeper, and the other postings wait for the next run. A job that dies
    after a commit leaves a ``received`` or ``processing`` transaction that
    the sweeper hands to a worker, which sends the same bytes under the same
    message id, so the ERP never posts twice. Returns the packages built.

    The next package is built while the ERP takes the last one (a second
    thread sends; one package in flight at a time): measured on 500-IDoc
    packages, building one costs about as much as the ERP's answer to it, so
    the two overlap instead of adding up.
    """
    config = IdocConfig.objects.select_related("partner").get(partner_id=erp_id)
    size = limit or config.package_size
    built: list[IdocPackage] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="idoc-send") as sender:
        try:
            in_flight: Future | None = None
            for kind in PostingKind.values:
                while True:
                    batch = PostingPackage(config, kind)
                    package = build_batch(batch, size, publish=False)
                    if in_flight is not None and not in_flight.result():
                        # The ERP did not take the last one. This one, if any, is stored
                        # with a received transaction: the sweeper sends it. The rest wait.
                        return [*built, package] if package else built
                    in_flight = None
                    if package is None:
                        break
                    built.append(package)
                    in_flight = sender.submit(_first_attempt, batch, package)
            if in_flight is not None:
                in_flight.result()
        finally:
            # The sending thread's own connection (a lambda: resolved in that thread).
            sender.submit(lambda: connection.close()).result()
    return built


def _first_attempt(batch: PostingPackage, package: IdocPackage) -> bool:
    """Send a package just built, as its transaction's first attempt; whether it was sent."""
    tx = run_transaction(package.transaction_id, lambda tx: send_batch_file(batch, package))
    if tx is None or tx.state != TransactionState.SUCCEEDED:
        logger.info("%s: not sent now; the packages after it wait", package.file_name)
        return False
    return True


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
