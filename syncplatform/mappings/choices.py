from django.db import models


class CodeType(models.TextChoices):
    TAX = "tax", "Tax code"
    UNIT = "unit", "Unit of measure"
    CARRIER = "carrier", "Carrier"
    PAYMENT = "payment", "Payment method"
    SHIPPING_METHOD = "shipping_method", "Shipping method"


class MappingKind(models.TextChoices):
    """The kinds ``import_mappings`` and the admin export understand."""

    SKU = "sku", "SKU"
    LOCATION = "location", "Location"
    CUSTOMER = "customer", "Customer"
    CODE = "code", "Code"
