from django.db import models


class PartnerKind(models.TextChoices):
    CHANNEL = "channel", "Sales channel"
    ERP = "erp", "ERP"
    WAREHOUSE = "warehouse", "Warehouse (3PL)"
