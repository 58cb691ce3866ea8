"""One payout file as imported, and the settlement lines it carried."""

from django.conf import settings
from django.db import models

from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from ..choices import ImportStatus, SettlementKind

# Amounts as the orders hold them (two decimals); a provider figure with more is refused.
MONEY = {"max_digits": 16, "decimal_places": 2}
CHANNEL = {"kind": PartnerKind.CHANNEL}
MAX_REFUSED_KEPT = 1000  # a file of a million bad rows must not become a million-entry list


class SettlementImport(TimeStampedModel):
    """One payout file from a payment provider, imported for one channel, or refused.

    A file is imported whole or not at all. An imported file is unique per
    ``(channel, sha256)``: the same bytes again are a no-op reported as a
    duplicate of it. A refused one is kept with its reasons (who tried what)
    but holds no lines and blocks nothing: the same file can be tried again
    after the channel's format is fixed. ``refused`` lists the refused rows as
    ``[line number, reason]`` (the physical line in the file, header = line 1)
    as ``import_mappings`` reports them, the first ``MAX_REFUSED_KEPT`` of
    ``refused_count``. ``row_count`` = data rows read; ``accepted_count`` =
    lines stored (all rows of an imported file, none of a refused one).
    """

    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=CHANNEL
    )
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes in the file.")
    file_format = models.CharField(
        max_length=40, help_text="The column layout read: shopify_payments or the channel's own."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=20, choices=ImportStatus.choices, editable=False)
    row_count = models.PositiveIntegerField(default=0)
    accepted_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(
        default=0, help_text="Accepted lines whose order reference named one of our orders."
    )
    refused = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "settlement import"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sha256"],
                condition=models.Q(status=ImportStatus.IMPORTED),
                name="uniq_settlement_file",
            )
        ]

    def __str__(self):
        return (
            f"{self.file_name} ({self.created_at:%Y-%m-%d})" if self.created_at else self.file_name
        )


class SettlementLine(models.Model):
    """One transaction of a payout file: money the provider took in, gave back or kept.

    ``gross`` is what the customer paid (negative for a refund), ``fee`` what
    the provider kept (positive), ``net`` = what reaches the bank
    (``gross - fee`` when the file gives no net column). ``order_reference`` is
    the provider's text as it was in the file (Shopify: the order name,
    ``#1001``); ``order`` is the order it named, or None while it names none of
    ours (``services.match_settlement_lines`` links it later).
    """

    settlement_import = models.ForeignKey(
        SettlementImport, on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField(help_text="Physical line in the file (header = 1).")
    channel = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", limit_choices_to=CHANNEL
    )
    order_reference = models.CharField(max_length=80, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_lines",
    )
    kind = models.CharField(max_length=20, choices=SettlementKind.choices)
    provider_type = models.CharField(
        max_length=40, blank=True, help_text="The provider's own type, as in the file."
    )
    gross = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    payout_date = models.DateField()
    payout_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "settlement line"
        ordering = ["settlement_import_id", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement_import", "line_number"], name="uniq_settlement_line"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "order_reference"], name="settlement_line_reference"),
            models.Index(fields=["channel", "payout_date"], name="settlement_line_payout"),
        ]

    def __str__(self):
        return f"{self.kind} {self.order_reference or '-'} {self.net} {self.currency}"
