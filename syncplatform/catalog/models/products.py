"""ERP materials as the catalog keeps them: products, their units and barcodes, and prices.

Rows are written by loads only (``services/loads``), set-based, and only when
the record's content hash (computed by the IDoc reader over everything but its
position in the file) differs from the stored one. A deleted material stays,
flagged ``is_deleted``: its listings are unpublished, not forgotten.
"""

from django.db import models


class Product(models.Model):
    """One ERP material (MATMAS05 E1MARAM and what hangs below it).

    ``descriptions`` maps a language (SPRAS_ISO, else SPRAS) to MAKTX;
    ``sales_areas`` is a list of ``{"VKORG", "VTWEG", "LVORM", "VMSTA"}`` (E1MVKEM,
    LVORM a boolean), ``plants`` of ``{"WERKS", "LVORM"}`` (E1MARCM); listings
    derive from the sales areas (``services/listings``).
    """

    number = models.CharField(max_length=40, unique=True, help_text="MATNR as the ERP sends it.")
    material_type = models.CharField(max_length=4, blank=True)
    material_group = models.CharField(max_length=9, blank=True)
    base_unit = models.CharField(max_length=3)
    is_deleted = models.BooleanField(default=False)
    descriptions = models.JSONField(default=dict)
    sales_areas = models.JSONField(default=list)
    plants = models.JSONField(default=list)
    content_hash = models.BinaryField(max_length=32, editable=False)
    raw_hash = models.BinaryField(
        max_length=16,
        null=True,
        editable=False,
        help_text="Digest of the IDoc's data segments (and the load's context) this row was "
        "last written or confirmed from; a later IDoc with the same digest is not read again.",
    )
    last_load = models.ForeignKey(
        "catalog.CatalogLoad", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return self.number

    def description(self, language: str = "EN") -> str:
        return self.descriptions.get(language) or next(iter(self.descriptions.values()), "")


class ProductUnit(models.Model):
    """A unit of measure of a product (E1MARMM): ``numerator``/``denominator`` base units."""

    # no index of its own: uniq_product_unit (product, unit) starts with it
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="units", db_index=False
    )
    unit = models.CharField(max_length=3)
    numerator = models.PositiveIntegerField(default=1)
    denominator = models.PositiveIntegerField(default=1)
    main_ean = models.CharField(max_length=18, blank=True)

    class Meta:
        ordering = ["product", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="uniq_product_unit")
        ]

    def __str__(self):
        return f"{self.product_id} {self.unit}"


class Barcode(models.Model):
    """An EAN/GTIN of a product unit (E1MARMM EAN11 and E1MEANM); check digits verified."""

    # no index of its own: uniq_unit_barcode (unit, ean) starts with it
    unit = models.ForeignKey(
        ProductUnit, on_delete=models.CASCADE, related_name="barcodes", db_index=False
    )
    ean = models.CharField(max_length=18, db_index=True)
    is_main = models.BooleanField(default=False)

    class Meta:
        ordering = ["unit", "ean"]
        constraints = [models.UniqueConstraint(fields=["unit", "ean"], name="uniq_unit_barcode")]

    def __str__(self):
        return self.ean


class Price(models.Model):
    """A condition record (COND_A04): the price of a material in a sales area for a period.

    Keyed by condition type, sales area, material and ``valid_from``; the
    material need not be loaded yet (prices and materials arrive separately).
    """

    condition_type = models.CharField(max_length=4)
    sales_org = models.CharField(max_length=4)
    distribution_channel = models.CharField(max_length=2)
    material = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=15, decimal_places=4)
    currency = models.CharField(max_length=5)
    per = models.PositiveIntegerField(default=1)
    unit = models.CharField(max_length=3, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField()
    is_deleted = models.BooleanField(default=False)
    content_hash = models.BinaryField(max_length=32, editable=False)
    last_load = models.ForeignKey(
        "catalog.CatalogLoad", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "condition_type",
                    "sales_org",
                    "distribution_channel",
                    "material",
                    "valid_from",
                ],
                name="uniq_price_record",
            )
        ]
        indexes = [
            models.Index(
                fields=["material", "sales_org", "distribution_channel"], name="price_area_idx"
            )
        ]

    def __str__(self):
        area = f"{self.sales_org}/{self.distribution_channel}"
        return f"{self.material} {area} {self.amount} {self.currency}"
