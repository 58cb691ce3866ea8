"""IDoc-XML the ERP pushes to us, kept byte for byte, and the invoices it carried."""

import gzip
import io
from typing import BinaryIO

from django.db import models
from django.db.models import Q

from syncplatform.core.models import TimeStampedModel

from ..choices import InboundState
from .config import ERP

MONEY = {"max_digits": 16, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


class InboundIdocFile(TimeStampedModel):
    """One push of IDoc-XML from an ERP: the body as received, and its transaction.

    Unique per ``(erp, sha256)``: the same bytes again are recorded with
    ``duplicate_of`` set and never applied. IDocs already applied from another
    file (same DOCNUM) are skipped and listed in ``duplicate_docnums``.

    The body is kept gzip-compressed (``content_gzip``; ``sha256`` and ``size``
    are the body's as received, ``open_body()`` reads it back as a stream):
    IDoc-XML shrinks about tenfold, and neither the web process storing a
    25 MB push nor the worker reading it then holds the whole text at once
    (bench/idoc_posting.py: the web worker's peak RSS was 280 MB without).
    """

    erp = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=ERP
    )
    content_gzip = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    idoc_type = models.CharField(max_length=30, blank=True, help_text="As the package root says.")
    idoc_count = models.PositiveIntegerField(default=0)
    correlation_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=InboundState.choices, default=InboundState.RECEIVED, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    duplicate_docnums = models.JSONField(default=list, blank=True)
    transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "inbound IDoc file"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["erp", "sha256"],
                condition=Q(duplicate_of__isnull=True),
                name="uniq_inbound_idoc_sha256",
            )
        ]

    def __str__(self):
        return self.file_name

    @property
    def file_name(self) -> str:
        return f"{self.idoc_type or 'IDOC'}_in_{self.pk}.xml"

    def open_body(self) -> BinaryIO:
        """The body as received, decompressed as it is read."""
        return gzip.GzipFile(fileobj=io.BytesIO(bytes(self.content_gzip)), mode="rb")

    def mark_applied(self, idoc_count: int, duplicate_docnums: list[str]) -> None:
        """Read and applied; a file whose every IDoc was applied before is a duplicate."""
        is_duplicate = idoc_count and len(duplicate_docnums) == idoc_count
        self.state = InboundState.DUPLICATE if is_duplicate else InboundState.APPLIED
        self.idoc_count = idoc_count
        self.duplicate_docnums = duplicate_docnums
        self.save(update_fields=["state", "idoc_count", "duplicate_docnums", "updated_at"])

    def mark_failed(self) -> None:
        self.state = InboundState.FAILED
        self.save(update_fields=["state", "updated_at"])


class Invoice(TimeStampedModel):
    """A billing document the ERP sent as an INVOIC02, linked to our order and its delivery.

    Unique per ``(erp, docnum)``: an INVOIC02 applied once is never applied again.
    """

    erp = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=ERP
    )
    file = models.ForeignKey(InboundIdocFile, on_delete=models.PROTECT, related_name="invoices")
    docnum = models.CharField(max_length=16, help_text="The ERP's DOCNUM of the INVOIC02.")
    invoice_number = models.CharField(max_length=35, db_index=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoices", db_index=True
    )
    shipment_confirmation = models.ForeignKey(
        "erpdocs.Posting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        help_text="Our SHPCON for the delivery it bills.",
    )
    sales_order_number = models.CharField(max_length=35, blank=True)
    delivery_number = models.CharField(max_length=35, blank=True)
    customer_order_number = models.CharField(max_length=35, blank=True)
    currency = models.CharField(max_length=3)
    invoice_date = models.DateField(null=True, blank=True)
    net_total = models.DecimalField(**MONEY, null=True, blank=True)
    tax_total = models.DecimalField(**MONEY, null=True, blank=True)
    total_due = models.DecimalField(**MONEY, null=True, blank=True)
    control = models.JSONField(default=dict, help_text="The control record (EDI_DC40).")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["erp", "docnum"], name="uniq_invoice_docnum")
        ]

    def __str__(self):
        return f"invoice {self.invoice_number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    item_number = models.CharField(max_length=6)
    material = models.CharField(max_length=48, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit = models.CharField(max_length=10, blank=True)
    unit_price = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    net_value = models.DecimalField(**MONEY, null=True, blank=True)
    tax_amount = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "item_number"]

    def __str__(self):
        return f"{self.invoice} item {self.item_number}"
