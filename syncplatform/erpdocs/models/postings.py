"""What we post to the ERP as IDocs, the packages they travel in, and 846 stock comparisons."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from syncplatform.core.models import TimeStampedModel

from ..choices import (
    ComparisonState,
    PackageState,
    PostingKind,
    PostingState,
)
from .config import ERP


class InvalidPostingTransition(Exception):
    pass


class PostingQuerySet(models.QuerySet):
    """Transitions of many postings at once (a package is 500 of them)."""

    def pending(self, erp, kind: str):
        return self.filter(erp=erp, kind=kind, state=PostingState.PENDING)

    def mark_packaged(self) -> int:
        return self.filter(state=PostingState.PENDING).update(
            state=PostingState.PACKAGED, updated_at=timezone.now()
        )

    def release(self) -> int:
        """Out of a package the ERP never took: pending again."""
        return self.filter(state=PostingState.PACKAGED).update(
            state=PostingState.PENDING, updated_at=timezone.now()
        )

    def mark_sent(self) -> int:
        return self.filter(state=PostingState.PACKAGED).update(
            state=PostingState.SENT, updated_at=timezone.now()
        )

    def mark_posted(self) -> int:
        now = timezone.now()
        return self.filter(state=PostingState.SENT).update(
            state=PostingState.POSTED, posted_at=now, updated_at=now
        )


class Posting(TimeStampedModel):
    """One thing the ERP must post from us, sent as an IDoc: a shipment's goods issue
    (SHPCON) or a stock difference from an 846 (WMMBXY).

    ``document`` is what the IDoc will say (built when the posting is made;
    operations may correct it before a resend). A posting is made once per
    shipment and once per stock difference (unique constraints), travels in
    one package at a time (``Idoc.is_current`` is unique per posting), and
    after a status 51 is sent again only as a new IDoc that references the
    failed one (``resend_of``).
    """

    # Not indexed alone: posting_pending_idx starts with it. Every package moves
    # 500 postings' state twice, and each index costs each of those row updates.
    erp = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=ERP,
        db_index=False,
    )
    kind = models.CharField(max_length=10, choices=PostingKind.choices)
    state = models.CharField(
        max_length=20, choices=PostingState.choices, default=PostingState.PENDING, editable=False
    )
    reference = models.CharField(
        max_length=120, help_text="Delivery number, or the 846 file and material."
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="idoc_postings",
    )
    shipment = models.OneToOneField(
        "fulfillment.Shipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    stock_line = models.OneToOneField(
        "erpdocs.StockComparisonLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posting",
        editable=False,
    )
    delivery_number = models.CharField(
        max_length=20, blank=True, help_text="SHPCON: E1EDL20-VBELN, the ERP's delivery."
    )
    document = models.JSONField(default=dict, help_text="What the IDoc says (see services).")
    resend_of = models.ForeignKey(
        "erpdocs.Idoc",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,  # posting_resend_idx: only the few resends are indexed
        help_text="The failed IDoc the next one sends again.",
    )
    posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PostingQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["erp", "kind", "state"], name="posting_pending_idx"),
            models.Index(
                fields=["resend_of"],
                name="posting_resend_idx",
                condition=models.Q(resend_of__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.reference}"

    @property
    def current_idoc(self) -> "Idoc | None":
        return self.idocs.filter(is_current=True).first()

    # --- transitions ---------------------------------------------------------
    def mark_posted(self) -> None:
        self._move((PostingState.SENT,), PostingState.POSTED, posted_at=timezone.now())

    def mark_failed(self) -> None:
        """The ERP refused its IDoc (51), or it cannot be built: a person must look."""
        self._move(
            (PostingState.PENDING, PostingState.PACKAGED, PostingState.SENT), PostingState.FAILED
        )

    def requeue(self) -> None:
        """After a fix: pending again; the next package sends it as a new IDoc
        that references the failed one."""
        failed = self.current_idoc
        if failed is not None:
            Idoc.objects.filter(pk=failed.pk).update(is_current=False)
        self._move((PostingState.FAILED,), PostingState.PENDING, resend_of=failed)

    def _move(self, allowed, to_state, **fields) -> None:
        if self.state not in allowed:
            raise InvalidPostingTransition(f"posting {self.pk} is {self.state}, not {allowed}")
        self.state = to_state
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["state", "updated_at", *fields])


class IdocPackage(TimeStampedModel):
    """One package of IDocs of one type sent to an ERP, kept byte for byte.

    The bytes and the message id are fixed when the package is built: every
    attempt sends exactly them, and the ERP answers a repeated message id with
    its first answer, so a package is never posted twice.
    """

    erp = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=ERP
    )
    idoc_type = models.CharField(max_length=30)
    message_type = models.CharField(max_length=30)
    first_docnum = models.CharField(max_length=16, help_text="Our DOCNUM of its first IDoc.")
    idoc_count = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=100, unique=True)
    control = models.JSONField(
        default=dict,
        help_text="The control record (EDI_DC40) its IDocs share; each has its own DOCNUM "
        "(and ARCKEY, when it resends a failed one).",
    )
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=PackageState.choices, default=PackageState.PENDING, editable=False
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "IDoc package"
        ordering = ["-id"]

    def __str__(self):
        return self.file_name

    @property
    def file_name(self) -> str:
        return f"{self.idoc_type}_{self.first_docnum}.xml"

    def mark_sent(self) -> None:
        """The ERP took the package: its postings await their status."""
        self.state = PackageState.SENT
        self.sent_at = timezone.now()
        self.save(update_fields=["state", "sent_at", "updated_at"])
        Posting.objects.filter(idocs__package=self, idocs__is_current=True).mark_sent()


class Idoc(models.Model):
    """One IDoc we sent: its control record, the number the ERP gave it, its ERP status."""

    package = models.ForeignKey(IdocPackage, on_delete=models.PROTECT, related_name="idocs")
    position = models.PositiveIntegerField()
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="idocs")
    docnum = models.CharField(max_length=16, help_text="Ours: EDI_DC40-DOCNUM.")
    erp_docnum = models.CharField(max_length=16, blank=True, help_text="The ERP's number.")
    status = models.CharField(max_length=2, blank=True, help_text="SAP status: 53 ok, 51 error.")
    status_text = models.TextField(blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    resends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The failed IDoc this one sends again.",
    )
    failure_transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "IDoc"
        ordering = ["package_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["package", "position"], name="uniq_idoc_position"),
            # A posting travels in one package at a time: the database says so.
            models.UniqueConstraint(
                fields=["posting"], condition=Q(is_current=True), name="uniq_current_idoc"
            ),
        ]

    def __str__(self):
        return f"IDoc {self.docnum}"

    @property
    def control(self) -> dict[str, str]:
        """Its control record as sent (EDI_DC40, SAP's field names and order)."""
        fields = {**self.package.control, "DOCNUM": self.docnum}
        if self.resends_id:
            fields["ARCKEY"] = f"RESEND {self.resends.docnum}"
        return fields

    def record_status(self, status: str, text: str, at) -> None:
        self.status, self.status_text, self.status_at = status, text, at
        self.save(update_fields=["status", "status_text", "status_at"])


class StockComparison(TimeStampedModel):
    """An 846 snapshot of one warehouse beside the ERP's stock of its plant."""

    erp = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=ERP
    )
    warehouse = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    interchange = models.ForeignKey(
        "fulfillment.Interchange", on_delete=models.PROTECT, related_name="+"
    )
    plant = models.CharField(max_length=10, blank=True)
    storage_location = models.CharField(max_length=10, blank=True)
    materials = models.JSONField(default=list, help_text="The materials the 846 reported.")
    tolerance = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    state = models.CharField(
        max_length=20,
        choices=ComparisonState.choices,
        default=ComparisonState.PENDING,
        editable=False,
    )
    compared_at = models.DateTimeField(null=True, blank=True, editable=False)
    transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interchange", "erp"], name="uniq_stock_comparison_per_846"
            )
        ]

    def __str__(self):
        return f"stock of {self.warehouse} vs {self.erp} ({self.interchange})"

    def mark_compared(self, tolerance) -> None:
        self.state = ComparisonState.COMPARED
        self.tolerance = tolerance
        self.compared_at = timezone.now()
        self.save(update_fields=["state", "tolerance", "compared_at", "updated_at"])


class StockComparisonLine(models.Model):
    """One material: the warehouse's quantity, the ERP's, and the difference (846 - ERP)."""

    comparison = models.ForeignKey(StockComparison, on_delete=models.CASCADE, related_name="lines")
    material = models.CharField(max_length=48)
    unit = models.CharField(max_length=10, blank=True)
    warehouse_quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    erp_quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    difference = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    is_above_tolerance = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["material"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "material"], name="uniq_stock_comparison_line"
            )
        ]

    def __str__(self):
        return f"{self.material}: {self.difference}"
