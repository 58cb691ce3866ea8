from django.db import models

# Transaction kinds this app owns; each is declared with its handler in services.
ERP_IDOC_OUT = "erp.idoc.out"
ERP_IDOC_POSTING = "erp.idoc.posting"
ERP_IDOC_STATUS = "erp.idoc.status"
ERP_STOCK_COMPARE = "erp.stock.compare"
ERP_IDOC_IN = "erp.idoc.in"
ERP_INVOICE_IN = "erp.invoice.in"


class PostingKind(models.TextChoices):
    """What the ERP is to post; the value is the IDoc's message type (EDI_DC40-MESTYP)."""

    SHIPMENT_CONFIRMATION = "SHPCON", "Shipment confirmation (DELVRY07)"
    GOODS_MOVEMENT = "WMMBXY", "Stock difference (WMMBID02)"


class PostingState(models.TextChoices):
    PENDING = "pending", "Pending (next package)"
    PACKAGED = "packaged", "In a package being sent"
    SENT = "sent", "Sent (awaiting ERP status)"
    POSTED = "posted", "Posted by the ERP (53)"
    FAILED = "failed", "Failed (needs a person)"


# The ERP holds it and has not said how it ended.
AWAITING_ERP = (PostingState.PACKAGED, PostingState.SENT)
TERMINAL = (PostingState.POSTED,)
NEEDS_PERSON = (PostingState.FAILED,)


class PackageState(models.TextChoices):
    PENDING = "pending", "Stored, not yet taken by the ERP"
    SENT = "sent", "Taken by the ERP"


class InboundState(models.TextChoices):
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate (not applied)"


class ComparisonState(models.TextChoices):
    PENDING = "pending", "Waiting for the ERP's stock"
    COMPARED = "compared", "Compared"


# SAP's IDoc statuses the platform acts on (inbound to the ERP).
STATUS_POSTED = "53"
STATUS_NOT_POSTED = "51"
