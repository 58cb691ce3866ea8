"""Available-to-sell per channel SKU and location, its safety stock, and recompute work."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from .choices import RecomputeCause
from .rule import Components

CHANNEL = {"kind": PartnerKind.CHANNEL}


class SafetyStock(TimeStampedModel):
    """Units held back from channels at one of a channel's locations.

    A row with an empty ``channel_sku`` applies to every SKU at the location; a
    row naming a SKU replaces it for that SKU. No row means 0. Operations edit
    these in the admin; saving one recomputes the location's available-to-sell.
    """

    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", limit_choices_to=CHANNEL
    )
    channel_location = models.CharField(max_length=40)
    channel_sku = models.CharField(
        max_length=80, blank=True, help_text="Empty: every SKU at the location."
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(0)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_location", "channel_sku"], name="uniq_safety_stock"
            )
        ]

    def __str__(self):
        sku = self.channel_sku or "every SKU"
        return f"{self.channel}:{self.channel_location} {sku}: {self.quantity}"


class AvailabilityQuerySet(models.QuerySet):
    def publish_queue(self, channel_id: int, *, with_refused: bool = False):
        """Rows whose available-to-sell differs from what the channel was last sent, by id.

        Rows the channel refused last time (``publish_error``) wait until they
        change again, are retried (``with_refused``) or the daily refresh.
        """
        queue = self.filter(channel_id=channel_id, is_publish_pending=True)
        if not with_refused:
            queue = queue.filter(publish_error="")
        return queue.order_by("pk")


class Availability(models.Model):
    """The current available-to-sell of one channel SKU at one channel location.

    Written only by the recompute (``services.recompute``), with the components
    it came from. ``published_quantity`` is what the channel was last sent;
    ``is_publish_pending`` says the two differ, so only changes are published.
    """

    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", limit_choices_to=CHANNEL
    )
    channel_sku = models.CharField(max_length=80)
    channel_location = models.CharField(max_length=40)
    warehouse = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", null=True
    )
    material = models.CharField(max_length=48)
    stock_quantity = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, help_text="Latest 846 quantity; empty: never"
    )
    stock_as_of = models.DateTimeField(null=True)
    open_order_quantity = models.IntegerField(default=0)
    shipped_since_report = models.IntegerField(default=0)
    safety_stock = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    published_quantity = models.IntegerField(null=True)
    published_at = models.DateTimeField(null=True)
    is_publish_pending = models.BooleanField(default=False)
    publish_error = models.CharField(
        max_length=300, blank=True, help_text="Why the channel did not take the last quantity"
    )
    computed_at = models.DateTimeField()

    objects = AvailabilityQuerySet.as_manager()

    class Meta:
        verbose_name = "available to sell"
        verbose_name_plural = "available to sell"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_sku", "channel_location"], name="uniq_availability"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "id"],
                condition=Q(is_publish_pending=True),
                name="availability_publish_queue",
            ),
            models.Index(fields=["warehouse", "material"], name="availability_material"),
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_sku}@{self.channel_location}: {self.available}"

    @property
    def components(self) -> Components:
        return Components(
            self.stock_quantity,
            self.open_order_quantity,
            self.shipped_since_report,
            self.safety_stock,
        )


class RecomputeChunk(models.Model):
    """A bounded piece of available-to-sell to compute again: the subject of one transaction.

    Either a warehouse's ``materials`` (from an 846: every channel SKU mapped to
    them at every location the warehouse serves) or one channel location's
    ``skus``. At most ``RECOMPUTE_CHUNK`` of either, so one 846 of 100,000 items
    is a hundred short transactions, each its own task and commit.
    """

    cause = models.CharField(max_length=20, choices=RecomputeCause.choices)
    warehouse = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", null=True
    )
    materials = models.JSONField(default=list, blank=True)
    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", null=True
    )
    channel_location = models.CharField(max_length=40, blank=True)
    skus = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        if self.channel_id:
            return f"{self.cause}: {len(self.skus)} SKU(s) at {self.channel_location}"
        return f"{self.cause}: {len(self.materials)} material(s)"


class StaleAvailability(models.Model):
    """A channel SKU at a location whose available-to-sell an order or shipment changed.

    Written inside the order's (or the 945's) own database transaction, one
    cheap INSERT per SKU, so the mark exists exactly when the change does and
    order intake publishes nothing more. ``collect_stale_availability`` (every
    few seconds) turns the marks into recompute chunks, many orders per chunk.
    """

    channel = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    channel_location = models.CharField(max_length=40)
    channel_sku = models.CharField(max_length=80)
    cause = models.CharField(max_length=20, choices=RecomputeCause.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.channel_id}:{self.channel_sku}@{self.channel_location} ({self.cause})"
