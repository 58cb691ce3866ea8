from django.db import models

# Transaction kinds this app owns; each is declared with its handler in services.
AVAILABILITY_RECOMPUTE = "availability.recompute"
AVAILABILITY_PUBLISH = "availability.publish"


class RecomputeCause(models.TextChoices):
    """Why a part of the available-to-sell was computed again."""

    STOCK_REPORT = "stock_report", "846 stock report"
    ORDER = "order", "Order accepted"
    SHIPMENT = "shipment", "Shipment recorded"
    SAFETY_STOCK = "safety_stock", "Safety stock changed"
    MAPPING = "mapping", "SKU mapping changed"
    REFRESH = "refresh", "Scheduled refresh"
