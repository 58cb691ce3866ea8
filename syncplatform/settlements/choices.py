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
    """How an import ended: all or nothing (see ``services.import_settlements``)."""

    IMPORTED = "imported", "Imported"
    REFUSED = "refused", "Refused (nothing imported)"


class DecimalSeparator(models.TextChoices):
    POINT = ".", "Point (1,234.56)"
    COMMA = ",", "Comma (1.234,56)"


class Delimiter(models.TextChoices):
    COMMA = ",", "Comma"
    SEMICOLON = ";", "Semicolon"
    TAB = "\t", "Tab"
