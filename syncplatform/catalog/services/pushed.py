"""MATMAS05 and COND_A04 pushed to the IDoc endpoint become catalog loads.

The ERP's push endpoint (``erpdocs``) stores every body and picks the file's
transaction kind from the IDoc types declared in ``IDOC_FILES``. Catalog
declares its two types there with their own kind, ``catalog.idoc.in``, whose
handler hands the stored body to a catalog load of the ERP's push source:
streamed into the catalog folder, planned and loaded in chunks like a
dropped file, never applied in the push's one database transaction.
"""

from connectors.errors import ConfigError
from connectors.idoc.cond_a04 import IDOC_TYPE as COND_A04
from connectors.idoc.matmas05 import IDOC_TYPE as MATMAS05
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.registry import DocumentType, Lane, RetryDefaults, transaction_kind
from syncplatform.audit.runner import Outcome
from syncplatform.erpdocs.models import InboundIdocFile
from syncplatform.erpdocs.services.inbound import IDOC_FILES

from ..choices import CATALOG_IDOC_IN, LoadOrigin
from ..models import CatalogSource
from .loads import queue_load


@transaction_kind(
    CATALOG_IDOC_IN,
    description="Material master or prices pushed by the ERP, handed to a catalog load",
    lane=Lane.BATCH,
    subject="erpdocs.InboundIdocFile",
    retry=RetryDefaults(5, (30, 120, 600)),
)
def load_pushed_idocs(tx: SyncTransaction) -> Outcome:
    """Queue the pushed body as a load of the source that accepts this ERP's pushes.

    ``ConfigError`` (the transaction fails; "Retry now" after adding the
    source) when no active source of the IDoc type accepts pushes from the ERP.
    Repeating it is harmless: the same body again is a duplicate load.
    """
    file = InboundIdocFile.objects.select_related("erp").get(pk=tx.subject_id)
    source = CatalogSource.objects.filter(
        partner=file.erp, kind=file.idoc_type, accepts_push=True, is_active=True
    ).first()
    if source is None:
        raise ConfigError(
            f"{file.file_name}: no active catalog source of type {file.idoc_type} accepts "
            f"pushes from {file.erp.code}; add one (Catalog > Catalog sources) and retry",
            code="no_catalog_source",
        )
    with file.open_body() as body:
        load = queue_load(source, body.read, file_name=file.file_name, origin=LoadOrigin.PUSH)
    return Outcome(
        message=f"{file.file_name}: catalog load #{load.pk} of {source.code} ({load.status})",
        apply=lambda: file.mark_applied(load.total, []),
    )


def _never_applied_here(received, documents) -> None:
    raise RuntimeError("catalog IDocs are loaded in chunks by catalog.idoc.in, not applied")


for _idoc_type in (MATMAS05, COND_A04):
    # The applier only marks the type as taken (so the push gets the kind above);
    # the reader is not used: a catalog load streams the stored body itself.
    IDOC_FILES.register(
        DocumentType(
            _idoc_type,
            reader=lambda idoc: idoc,
            applier=_never_applied_here,
            kind=CATALOG_IDOC_IN,
            describe=lambda document: "catalog IDoc",
        )
    )
