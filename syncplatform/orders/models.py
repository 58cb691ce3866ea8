"""The canonical order: what every channel's payload becomes."""

import re
from decimal import Decimal
from typing import NamedTuple

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.core.models import TimeStampedModel
from syncplatform.core.prepared import save_fields
from syncplatform.partners.choices import PartnerKind

from .choices import OrderStatus

MONEY = {"max_digits": 14, "decimal_places": 2}
# What the ERP says an order is worth, as exactly as it says it (its Amount has
# 6 fraction digits): rounding it to cents here would hide the differences that
# reconciliation is there to find.
ERP_MONEY = {"max_digits": 28, "decimal_places": 6}
# The kind that posts an order to the ERP; declared with its handler (services).
ERP_ORDER_POST = "erp.order.post"
# The kind that makes an order of a webhook that was not a complete one; ditto.
CHANNEL_ORDER_INTAKE = "channel.order.intake"
# Our stable external reference for an order, in the ERP and in warehouse files
# (<= 35 characters, never reused): "SP-" and the order id in 10 digits.
ERP_REFERENCE_PATTERN = r"SP-(\d{10})"


def erp_reference_of(order_id: int) -> str:
    return f"SP-{order_id:010d}"


def order_id_of_reference(reference: str) -> int | None:
    """The order id in one of our references, or None when it is not one."""
    match = re.fullmatch(ERP_REFERENCE_PATTERN, reference)
    return int(match.group(1)) if match else None


class ErpOrderValue(NamedTuple):
    """An order's value in the ERP's confirmation: net (with shipping, without tax), tax."""

    net: Decimal
    tax: Decimal
    currency: str


class Order(TimeStampedModel):
    """A channel's order, stored once.

    Idempotency is enforced by two unique constraints: ``(idempotency_scope,
    idempotency_key)`` (the scope is the API client, or the webhook channel) and
    ``(channel, channel_order_number)``. The first 202 is fully determined by
    the stored row (see ``api.views.intake_body``), so a repeat of the
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
    # What the channel shows people as the order's name where that is not its number:
    # Shopify's ``name`` ("#1001"), which its payout exports use as the order reference.
    # "" when the channel sent none. Not unique (a shop may change its name format).
    channel_order_name = models.CharField(max_length=80, blank=True, default="", db_default="")
    idempotency_scope = models.CharField(max_length=60)
    idempotency_key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    correlation_id = models.CharField(max_length=64)
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
    erp_document_number = models.CharField(max_length=20, blank=True)
    # The outbound delivery the ERP created with the sales order (SAP's immediate
    # delivery); the shipment confirmation (SHPCON IDoc) names it.
    erp_delivery_number = models.CharField(max_length=20, blank=True)
    # The order's value as the ERP confirmed it (SAP's TotalNetAmount, TotalTaxAmount
    # and the document currency): net is items less discounts plus shipping, without
    # tax, so erp_net_value + erp_tax_value is what grand_total should be. None (and
    # "" for the currency) for orders posted before the ERP reported it, or when the
    # ERP gave no value (a duplicate refusal whose lookup answered none).
    erp_net_value = models.DecimalField(**ERP_MONEY, null=True, blank=True)
    erp_tax_value = models.DecimalField(**ERP_MONEY, null=True, blank=True)
    erp_currency = models.CharField(max_length=3, blank=True)
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
        indexes = [
            # Settlement matching looks orders up by name; partial, so orders without
            # one (every REST channel's) cost intake no index write.
            models.Index(
                fields=["channel", "channel_order_name"],
                name="order_channel_name",
                condition=~models.Q(channel_order_name=""),
            ),
            # Exact look-ups only: without db_index's "_like" twin, which every
            # intake and every posting wrote for LIKE prefixes nobody searches.
            models.Index(fields=["correlation_id"], name="order_correlation_idx"),
            models.Index(fields=["erp_document_number"], name="order_erp_document_idx"),
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_order_number}"

    @property
    def erp_reference(self) -> str:
        """Our stable external reference in the ERP (see ``erp_reference_of``)."""
        return erp_reference_of(self.pk)

    @cached_property
    def erp_transaction(self) -> SyncTransaction | None:
        """The transaction posting this order to the ERP (the first one about it)."""
        postings = SyncTransaction.objects.about(self).filter(kind=ERP_ORDER_POST)
        return postings.order_by("pk").first()

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

    # --- transitions ---------------------------------------------------------
    def hold_erp_value(self, erp_value: ErpOrderValue | None) -> None:
        """Keep what the ERP confirmed the order at; saved by ``mark_posted``. None: unknown."""
        if erp_value is not None:
            self.erp_net_value, self.erp_tax_value = erp_value.net, erp_value.tax
            self.erp_currency = erp_value.currency

    def mark_posted(self, erp_document_number: str, erp_delivery_number: str = "") -> None:
        """Posted as ``erp_document_number``, with the value ``hold_erp_value`` kept, if any."""
        self.erp_document_number = erp_document_number
        self.erp_delivery_number = erp_delivery_number
        self.posted_at = timezone.now()
        self.status = OrderStatus.POSTED
        save_fields(  # core.prepared: every posting runs it; the ORM rebuilt it each time
            self,
            [
                "erp_document_number",
                "erp_delivery_number",
                "erp_net_value",
                "erp_tax_value",
                "erp_currency",
                "posted_at",
                "status",
                "updated_at",
            ],
        )

    def mark_shipped(self, lines: list["OrderLine"]) -> None:
        """After a shipment: ``shipped`` once every line is complete, else partially."""
        complete = all(line.quantity_shipped >= line.quantity for line in lines)
        self.status = OrderStatus.SHIPPED if complete else OrderStatus.PARTIALLY_SHIPPED
        self.save(update_fields=["status", "updated_at"])

    @property
    def is_shipped(self) -> bool:
        return self.status == OrderStatus.SHIPPED


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
        # Available-to-sell reads open quantities by SKU (orders.reads.open_quantities): an
        # order's 3 SKUs went from a scan of the channel's orders (~180 ms at 300,000
        # orders) to an index lookup (~18 ms), measured with EXPLAIN ANALYZE.
        indexes = [models.Index(fields=["sku"], name="orderline_sku_idx")]

    def __str__(self):
        return f"{self.order} line {self.line_number}"

    def add_shipped(self, quantity: int) -> None:
        self.quantity_shipped += quantity
        self.save(update_fields=["quantity_shipped"])


class ChannelOrderReceipt(TimeStampedModel):
    """One signed order webhook from a channel, kept byte for byte as it arrived.

    Every delivery whose signature holds and whose body is JSON is stored here
    before anything decides whether it is a complete order. It is then an
    order at once (``order``), or it waits with a ``channel.order.intake``
    transaction that names every gap and makes the order when retried after
    the fix (``services.receive_channel_order``, ``take_in_channel_order``).

    Idempotency, held by the database:

    - ``(channel, webhook_id)`` is unique: a redelivery finds its receipt and
      gets the first answer again;
    - one first receipt per ``(channel, channel_order_number)``: the same order
      under another webhook id (a second subscription, a resend) is stored as a
      ``duplicate_of`` the first, with no transaction of its own;
    - the order is unique per channel and channel order number (``Order``), so
      however often a receipt is retried it makes one order and one posting.
    """

    # No separate index: the (channel, webhook_id) constraint serves lookups.
    channel = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
        db_index=False,
    )
    webhook_id = models.CharField(max_length=255, help_text="X-Shopify-Webhook-Id")
    channel_order_number = models.CharField(
        max_length=80, blank=True, help_text="The order id in the body; blank when it has none."
    )
    api_version = models.CharField(
        max_length=20, blank=True, help_text="X-Shopify-API-Version the body was written in"
    )
    correlation_id = models.CharField(max_length=64, db_index=True)
    body = models.BinaryField(help_text="The request body exactly as received.")
    body_sha256 = models.CharField(max_length=64)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        help_text="The first receipt of the same channel order.",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "webhook_id"], name="uniq_receipt_webhook_id"
            ),
            models.UniqueConstraint(
                fields=["channel", "channel_order_number"],
                condition=models.Q(duplicate_of__isnull=True) & ~models.Q(channel_order_number=""),
                name="uniq_receipt_first_per_order",
            ),
        ]

    def __str__(self):
        return f"receipt {self.pk}: {self.channel} order {self.channel_order_number or '?'}"

    @property
    def first_receipt(self) -> "ChannelOrderReceipt":
        """The receipt that carries this channel order's intake (itself, or the one it repeats)."""
        return self.duplicate_of or self

    # --- transitions ---------------------------------------------------------
    def attach(self, order: Order) -> None:
        """Record the order this receipt is (made now, or found by its number)."""
        self.order = order
        self.save(update_fields=["order", "updated_at"])
