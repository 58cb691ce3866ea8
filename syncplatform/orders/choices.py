from django.db import models


class OrderStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    POSTED = "posted", "Posted to ERP"
    FAILED = "failed", "Failed"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    CANCELLED = "cancelled", "Cancelled"
