"""The canonical order: what every channel's payload becomes."""

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from syncplatform.audit.choices import TransactionKind, TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from .choices import OrderStatus

MONEY = {"max_digits": 14, "decimal_places": 2}


class Order(TimeStampedModel):
    """A channel's order, stored once.

    Idempotency is enforced by two unique constraints: ``(idempotency_scope,
    idempotency_key)`` (the scope is the API client, or the webhook channel) and
    ``(channel, channel_order_number)``. The first 202 is fully determined by
    the stored row (see ``services.first_response_body``), so a repeat of the
    same key and body gets exactly that response back.
    """

    # No separate index: the (channel, channel_order_number) constraint serves lookups.
    channel = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
        db_index=False,
    )
    channel_order_number = models.CharField(max_length=80)
    idempotency_scope = models.CharField(max_length=60)
    idempotency_key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    correlation_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEIVED, editable=False
    )
    ordered_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    customer_id = models.CharField(max_length=80)
    customer_name = models.CharField(max_length=120, blank=True)
    customer_email = models.CharField(max_length=254, blank=True)
    ship_to_name = models.CharField(max_length=120)
    ship_to_line1 = models.CharField(max_length=120)
    ship_to_line2 = models.CharField(max_length=120, blank=True)
    ship_to_city = models.CharField(max_length=80)
    ship_to_region = models.CharField(max_length=40, blank=True)
    ship_to_postal_code = models.CharField(max_length=20)
    ship_to_country = models.CharField(max_length=2)
    ship_to_phone = models.CharField(max_length=40, blank=True)
    fulfillment_location = models.CharField(max_length=40)
    shipping_method = models.CharField(max_length=40)
    shipping_amount = models.DecimalField(**MONEY)
    subtotal = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    grand_total = models.DecimalField(**MONEY)
    erp_document_number = models.CharField(max_length=20, blank=True, db_index=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], name="uniq_order_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["channel", "channel_order_number"], name="uniq_order_channel_number"
            ),
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_order_number}"

    @property
    def erp_reference(self) -> str:
        """Our stable external reference in the ERP (<= 35 chars, never reused)."""
        return f"SP-{self.pk:010d}"

    @cached_property
    def erp_transaction(self) -> SyncTransaction | None:
        """The transaction posting this order to the ERP (it points here by ``subject_id``)."""
        return (
            SyncTransaction.objects.filter(kind=TransactionKind.ERP_ORDER_POST, subject_id=self.pk)
            .order_by("pk")
            .first()
        )

    @property
    def public_status(self) -> str:
        """Status as channels see it: a failed posting shows as ``failed``."""
        tx = self.erp_transaction
        if (
            self.status == OrderStatus.RECEIVED
            and tx
            and tx.state in (TransactionState.FAILED, TransactionState.RESOLVED)
        ):
            return OrderStatus.FAILED
        return self.status

    def mark_posted(self, erp_document_number: str) -> None:
        self.erp_document_number = erp_document_number
        self.posted_at = timezone.now()
        self.status = OrderStatus.POSTED
        self.save(update_fields=["erp_document_number", "posted_at", "status", "updated_at"])


class OrderLine(models.Model):
    # The (order, line_number) constraint indexes this already.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    sku = models.CharField(max_length=80)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    tax_code = models.CharField(max_length=40)
    tax_amount = models.DecimalField(**MONEY)
    discount_amount = models.DecimalField(**MONEY)
    quantity_shipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="uniq_order_line_number")
        ]

    def __str__(self):
        return f"{self.order} line {self.line_number}"
