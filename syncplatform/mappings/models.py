"""Cross-references from a channel's codes to the ERP's, edited by operations.

Every change is kept by django-simple-history (who, when, before/after). A
mapping applies when it is active and today lies inside its optional validity.
"""

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from .choices import CodeType


class MappingQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None):
        """Active rows whose validity window contains ``on`` (default: today)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            is_active=True,
        )


class Mapping(TimeStampedModel):
    channel = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
    )
    is_active = models.BooleanField(default=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects = MappingQuerySet.as_manager()

    class Meta:
        abstract = True


class SkuMapping(Mapping):
    """Channel SKU → ERP material number and sales unit."""

    channel_sku = models.CharField(max_length=80)
    erp_material = models.CharField(max_length=40)
    erp_unit = models.CharField(max_length=10, default="EA")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "SKU mapping"
        constraints = [
            models.UniqueConstraint(fields=["channel", "channel_sku"], name="uniq_sku_mapping")
        ]
        # The other direction, material -> channel SKU: catalog listings and
        # available-to-sell join on it for every chunk of a load or an 846.
        indexes = [
            models.Index(fields=["channel", "erp_material"], name="sku_mapping_material_idx")
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_sku} → {self.erp_material}"


class LocationMapping(Mapping):
    """Channel store/location → ERP plant and storage location (and the 3PL serving it)."""

    channel_location = models.CharField(max_length=40)
    erp_plant = models.CharField(max_length=10)
    erp_storage_location = models.CharField(max_length=10, blank=True)
    warehouse = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.WAREHOUSE},
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_location"], name="uniq_location_mapping"
            )
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_location} → {self.erp_plant}"


class CustomerMapping(Mapping):
    """Channel customer id → ERP sold-to party."""

    channel_customer_id = models.CharField(max_length=80)
    erp_sold_to = models.CharField(max_length=20)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_customer_id"], name="uniq_customer_mapping"
            )
        ]

    def __str__(self):
        return f"{self.channel}:{self.channel_customer_id} → {self.erp_sold_to}"


class CodeMapping(Mapping):
    """Channel code → ERP code for taxes, units, carriers, payment and shipping methods."""

    code_type = models.CharField(max_length=20, choices=CodeType.choices)
    channel_code = models.CharField(max_length=40)
    erp_code = models.CharField(max_length=20)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "code_type", "channel_code"], name="uniq_code_mapping"
            )
        ]

    def __str__(self):
        return f"{self.channel}:{self.code_type}:{self.channel_code} → {self.erp_code}"


class MappingStamp(models.Model):
    """One row whose ``stamp`` changes with every change to any mapping table.

    Database triggers (migration 0003) write a new random stamp in the same
    database transaction as the change, whoever makes it: the admin,
    ``import_mappings``, a catalog load's bulk insert, an ``update()``, a
    delete. Readers that keep mappings in memory (``services.resolve_order_mappings``)
    compare the stamp once per use and drop what they hold when it differs.
    Random rather than a counter, so a table emptied and refilled (tests flush
    the database) can never show a stamp seen before. No row yet: ``None``.
    """

    stamp = models.CharField(max_length=32)

    def __str__(self):
        return self.stamp
