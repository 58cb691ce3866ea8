"""What is sold on which channel under which SKU, and whether the channel has it yet."""

from django.db import models

from syncplatform.partners.choices import PartnerKind

from ..choices import PublishState


class Listing(models.Model):
    """A material on a channel (channel and product give a channel SKU), derived by loads.

    A product is listed on a channel when one of its sales areas (E1MVKEM) is
    the channel config's sales org and distribution channel, not flagged
    deleted, and the product itself is not deleted; the channel SKU is the
    channel's SKU mapping of the material. A listing that stops qualifying is
    kept with ``is_listed`` False (to unpublish), never deleted.

    ``content_hash`` digests what the channel shows (product content, SKU,
    listed flag, price in force): a load that changes it sets
    ``publish_state`` to ``PENDING`` and stamps ``changed_at``; publication
    selects on ``(channel, publish_state, changed_at)``.
    """

    channel = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="listings"
    )
    channel_sku = models.CharField(max_length=80)
    is_listed = models.BooleanField(default=True)
    content_hash = models.BinaryField(max_length=32, editable=False)
    publish_state = models.CharField(
        max_length=10, choices=PublishState.choices, default=PublishState.PENDING
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["channel", "channel_sku"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "product"], name="uniq_listing"),
        ]
        indexes = [
            models.Index(
                fields=["channel", "publish_state", "changed_at"], name="listing_to_publish_idx"
            ),
            models.Index(fields=["channel", "channel_sku"], name="listing_sku_idx"),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.channel_sku}"
