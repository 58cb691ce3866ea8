"""3PL fulfilment: warehouse settings, EDI interchanges, shipping orders, shipments, stock."""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from syncplatform.core.fields import EncryptedTextField
from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from .choices import AckState, Direction, InterchangeState, ShippingOrderStatus

WAREHOUSE = {"kind": PartnerKind.WAREHOUSE}


class WarehouseConfig(models.Model):
    """How we reach a 3PL (SFTP) and how we name each other on X12 envelopes.

    Folders are paths on the warehouse's SFTP server: ``outbound`` is where we
    put 940s and 997s, ``inbound`` where the warehouse puts 945/846/997; taken
    files move to ``archive`` or, when they failed, to ``error``. Secrets are
    encrypted at rest; the host key is pinned (a known_hosts line).
    """

    partner = models.OneToOneField(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="warehouse_config",
        limit_choices_to=WAREHOUSE,
    )
    sftp_host = models.CharField(max_length=200)
    sftp_port = models.PositiveIntegerField(default=22)
    sftp_username = models.CharField(max_length=100)
    sftp_password = EncryptedTextField(blank=True)
    sftp_private_key = EncryptedTextField(blank=True, help_text="OpenSSH/PEM private key text.")
    sftp_known_hosts = models.TextField(
        help_text="Pinned host key: one known_hosts line, e.g. '[host]:22 ssh-ed25519 AAAA…'."
    )
    outbound_folder = models.CharField(max_length=200, default="outbound")
    inbound_folder = models.CharField(max_length=200, default="inbound")
    archive_folder = models.CharField(max_length=200, default="archive")
    error_folder = models.CharField(max_length=200, default="error")
    inbound_pattern = models.CharField(
        max_length=60, default="*", help_text="Which inbound file names to take (fnmatch)."
    )
    settle_seconds = models.PositiveSmallIntegerField(
        default=2, help_text="A file is taken when size and mtime hold still this long."
    )
    our_isa_qualifier = models.CharField(max_length=2, default="ZZ")
    our_isa_id = models.CharField(max_length=15)
    our_gs_id = models.CharField(max_length=15, blank=True)
    their_isa_qualifier = models.CharField(max_length=2, default="ZZ")
    their_isa_id = models.CharField(max_length=15)
    their_gs_id = models.CharField(max_length=15, blank=True)
    x12_version = models.CharField(
        max_length=6, default="004010", choices=[("004010", "004010"), ("005010", "005010")]
    )
    usage_indicator = models.CharField(
        max_length=1, default="P", choices=[("P", "Production"), ("T", "Test")]
    )
    expects_997 = models.BooleanField(default=True)
    ack_due_minutes = models.PositiveIntegerField(default=60)

    def __str__(self):
        return f"warehouse config for {self.partner}"


class ControlNumberSequence(models.Model):
    """Per-partner X12 control numbers (ISA13 and GS06); each number is handed out once."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="+")
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.partner}: {self.last_value}"


class Interchange(TimeStampedModel):
    """One X12 file in or out, kept byte for byte.

    Inbound files are unique per ``(partner, sha256)`` and per ``(partner, ISA13)``;
    a second copy is recorded with ``duplicate_of`` set and is never applied.
    """

    direction = models.CharField(max_length=3, choices=Direction.choices)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    isa_control_number = models.CharField(max_length=9, blank=True)
    group_control_numbers = models.JSONField(default=list)
    set_control_numbers = models.JSONField(default=list)
    set_types = models.JSONField(default=list)
    state = models.CharField(max_length=20, choices=InterchangeState.choices)
    ack_state = models.CharField(
        max_length=20, choices=AckState.choices, default=AckState.NOT_EXPECTED
    )
    ack_due_by = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledges = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a 997 we sent: the received interchange it acknowledges.",
    )
    acknowledged_group = models.CharField(max_length=9, blank=True)
    remote_disposed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the remote copy was moved to archive/error."
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "direction", "sha256"],
                condition=Q(duplicate_of__isnull=True, direction=Direction.INBOUND),
                name="uniq_inbound_interchange_sha256",
            ),
            models.UniqueConstraint(
                fields=["partner", "direction", "isa_control_number"],
                condition=Q(duplicate_of__isnull=True) & ~Q(isa_control_number=""),
                name="uniq_interchange_isa13",
            ),
        ]
        indexes = [models.Index(fields=["ack_state", "ack_due_by"], name="ic_ack_due_idx")]

    def __str__(self):
        return f"{self.direction} {self.file_name}"

    # --- queries -------------------------------------------------------------
    def is_acknowledged(self, group_control_number: str | None = None) -> bool:
        """Whether we already queued a 997 for this received file (or one of its groups)."""
        ours = Interchange.objects.filter(acknowledges=self)
        if group_control_number is not None:
            ours = ours.filter(acknowledged_group=group_control_number)
        return ours.exists()

    # --- transitions ---------------------------------------------------------
    def mark_applied(self, parsed) -> None:
        """A received file was read: record its control numbers and set types."""
        self.isa_control_number = parsed[0].control_number if parsed else ""
        sets = [s for i in parsed for g in i.groups for s in g.transaction_sets]
        self.group_control_numbers = [g.control_number for i in parsed for g in i.groups]
        self.set_control_numbers = [s.control_number for s in sets]
        self.set_types = [s.code for s in sets]
        self.state = InterchangeState.APPLIED
        self.save()

    def mark_failed(self) -> None:
        self.state = InterchangeState.FAILED
        self.save(update_fields=["state", "updated_at"])

    def mark_disposed(self) -> None:
        """The remote copy of a received file was moved to archive or error."""
        self.remote_disposed_at = timezone.now()
        Interchange.objects.filter(pk=self.pk).update(remote_disposed_at=self.remote_disposed_at)

    def mark_sent(self, ack_due_minutes: int) -> None:
        """An outbound file reached the warehouse; its shipping orders are sent with it."""
        self.state = InterchangeState.SENT
        if self.ack_state == AckState.PENDING:
            self.ack_due_by = timezone.now() + timedelta(minutes=ack_due_minutes)
        self.save(update_fields=["state", "ack_due_by", "updated_at"])
        self.shipping_orders.mark_sent()

    def mark_acknowledged(self, ack_state: str, by: "Interchange") -> None:
        self.ack_state = ack_state
        self.acknowledged_by = by
        self.save(update_fields=["ack_state", "acknowledged_by", "updated_at"])

    def mark_overdue(self) -> bool:
        """Awaiting a 997 past its due time: now overdue. False if it moved on meanwhile."""
        moved = Interchange.objects.filter(pk=self.pk, ack_state=AckState.PENDING).update(
            ack_state=AckState.OVERDUE, updated_at=timezone.now()
        )
        if moved:
            self.ack_state = AckState.OVERDUE
        return bool(moved)


class ShippingOrderQuerySet(models.QuerySet):
    """Status transitions of many shipping orders at once (a 940 batch is 10,000 of them)."""

    def waiting(self):
        return self.filter(status__in=(ShippingOrderStatus.PENDING, ShippingOrderStatus.SENT))

    def mark_sent(self) -> int:
        return self.filter(status=ShippingOrderStatus.PENDING).update(
            status=ShippingOrderStatus.SENT, updated_at=timezone.now()
        )

    def mark_acknowledged(self, *, is_accepted: bool) -> int:
        status = ShippingOrderStatus.ACCEPTED if is_accepted else ShippingOrderStatus.REJECTED
        return self.waiting().update(status=status, updated_at=timezone.now())


class ShippingOrder(TimeStampedModel):
    """An order sent to a warehouse as one 940 transaction set.

    Its warehouse is its interchange's partner: the file went there. (No column
    of its own: a 940 batch writes 10,000 of these, and each column with a
    foreign key cost one more key check per row.)
    """

    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="shipping_order"
    )
    interchange = models.ForeignKey(
        Interchange, on_delete=models.PROTECT, related_name="shipping_orders"
    )
    set_control_number = models.CharField(max_length=9)
    status = models.CharField(
        max_length=20, choices=ShippingOrderStatus.choices, default=ShippingOrderStatus.PENDING
    )

    objects = ShippingOrderQuerySet.as_manager()

    def __str__(self):
        return f"940 for {self.order}"

    def mark_shipped(self, *, is_complete: bool) -> None:
        self.status = (
            ShippingOrderStatus.SHIPPED if is_complete else ShippingOrderStatus.PARTIALLY_SHIPPED
        )
        self.save(update_fields=["status", "updated_at"])

    @property
    def warehouse(self):
        return self.interchange.partner


class Shipment(TimeStampedModel):
    """What a warehouse reported shipped in one 945 transaction set."""

    shipping_order = models.ForeignKey(
        ShippingOrder, on_delete=models.PROTECT, related_name="shipments"
    )
    interchange = models.ForeignKey(Interchange, on_delete=models.PROTECT, related_name="shipments")
    set_control_number = models.CharField(max_length=9)
    warehouse_shipment_id = models.CharField(max_length=60, blank=True)
    ship_date = models.DateField(null=True, blank=True)
    carrier_scac = models.CharField(max_length=10, blank=True)
    tracking_numbers = models.JSONField(default=list)
    is_short = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interchange", "set_control_number"], name="uniq_shipment_per_set"
            )
        ]

    def __str__(self):
        return f"shipment {self.warehouse_shipment_id or self.pk} for {self.shipping_order.order}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines"
    )
    quantity_ordered = models.DecimalField(max_digits=12, decimal_places=3)
    quantity_shipped = models.DecimalField(max_digits=12, decimal_places=3)

    def __str__(self):
        return f"{self.order_line}: {self.quantity_shipped}"


class StockPosition(models.Model):
    """Latest stock a warehouse reported (846) for one of its items.

    ``material`` is the product id the warehouse uses (our ERP material);
    ``channel_skus`` are the channel SKUs mapped to it (empty when unmapped).
    """

    warehouse = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", limit_choices_to=WAREHOUSE
    )
    material = models.CharField(max_length=48)
    channel_skus = models.JSONField(default=list)
    quantity_on_hand = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    quantity_available = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    unit = models.CharField(max_length=10, blank=True)
    as_of = models.DateTimeField()
    interchange = models.ForeignKey(Interchange, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "material"], name="uniq_stock_position")
        ]

    def __str__(self):
        return f"{self.warehouse}:{self.material}"
