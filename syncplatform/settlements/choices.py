from django.db import models


class SettlementKind(models.TextChoices):
    """What a settlement line is; reconciliation sums charges less refunds per order."""

    CHARGE = "charge", "Charge (money in for an order)"
    REFUND = "refund", "Refund (money back to the customer)"
    ADJUSTMENT = "adjustment", "Adjustment"
    DISPUTE = "dispute", "Dispute or chargeback"
    FEE = "fee", "Fee without an order (billing, labels...)"
    PAYOUT = "payout", "Payout to the bank (the transfer itself)"
    OTHER = "other", "Other (see the provider's type)"


class ImportStatus(models.TextChoices):
    """How an import ended. Files are imported in one database transaction, so
    there is no half-imported state to show."""

    IMPORTED = "imported", "Imported (every row)"
    PARTIAL = "partial", "Imported, some rows refused"
    REFUSED = "refused", "Every row refused"


class DecimalSeparator(models.TextChoices):
    POINT = ".", "Point (1,234.56)"
    COMMA = ",", "Comma (1.234,56)"


class Delimiter(models.TextChoices):
    COMMA = ",", "Comma"
    SEMICOLON = ";", "Semicolon"
    TAB = "\t", "Tab"
