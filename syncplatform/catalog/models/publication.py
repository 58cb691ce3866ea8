"""What a channel's shop has of our listings: Shopify's ids, what it last accepted, and runs.

Written only by ``services/publication``. A listing's ``ListingPublication``
holds the ids Shopify gave its product, variant and inventory item, and the
listing ``content_hash`` the shop last accepted (``published_hash``): a
listing whose hash equals it is not sent again. ``sending_hash`` is set, and
committed, before a create leaves for the shop, and cleared in the database
transaction that records the answer; a row that still has it after a crash
was maybe created, so it is looked up by SKU before anything is created.
"""

from django.db import models
from django.db.models import Q

from syncplatform.partners.choices import PartnerKind


class PublicationStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    # A chunk failed for good or an operator resolved it: the run is over, and the
    # listings it did not reach stay pending for the channel's next run.
    INCOMPLETE = "incomplete", "Ended early (a chunk failed or was resolved)"


class ListingPublication(models.Model):
    """One listing in its channel's shop; ``error_*`` name the field the shop refused last."""

    listing = models.OneToOneField(
        "catalog.Listing", on_delete=models.CASCADE, primary_key=True, related_name="publication"
    )
    product_gid = models.CharField(max_length=80, blank=True)
    variant_gid = models.CharField(max_length=80, blank=True)
    inventory_item_gid = models.CharField(max_length=80, blank=True)
    is_active_in_shop = models.BooleanField(default=False)
    published_hash = models.BinaryField(max_length=32, null=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    sending_hash = models.BinaryField(max_length=32, null=True, editable=False)
    sending_at = models.DateTimeField(null=True, blank=True)
    error_field = models.CharField(max_length=120, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["variant_gid"], name="listing_pub_variant_idx")]

    def __str__(self):
        return f"listing {self.listing_id} in the shop as {self.variant_gid or '(not created)'}"


class PublicationRun(models.Model):
    """One publication of a channel's pending listings, done in chunks.

    Each chunk is a ``catalog.publish`` transaction; ``checkpoint`` is the
    highest listing id whose answer is recorded, so a chunk redone after a
    crash starts after it. Runs of one channel never overlap (constraint).
    """

    channel = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
    )
    status = models.CharField(
        max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.RUNNING
    )
    cutoff = models.DateTimeField(help_text="Listings changed up to this time are in the run.")
    chunk_size = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(default=0)
    checkpoint = models.PositiveBigIntegerField(default=0, help_text="Last listing id recorded.")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unpublished_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    recovered_count = models.PositiveIntegerField(
        default=0, help_text="Found in the shop by SKU after a crash instead of created again."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel"],
                condition=Q(status=PublicationStatus.RUNNING),
                name="uniq_running_publication",
            )
        ]

    def __str__(self):
        return f"publication #{self.pk} of channel {self.channel_id}"


class ShopLocation(models.Model):
    """A platform location code and the shop's location id it is published to."""

    channel = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    location_code = models.CharField(max_length=40)
    location_gid = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "location_code"], name="uniq_shop_location")
        ]

    def __str__(self):
        return f"{self.location_code} -> {self.location_gid}"
