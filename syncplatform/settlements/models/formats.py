"""How one channel's payment provider lays out its payout CSV."""

import re

from django.core.exceptions import ValidationError
from django.db import models

from syncplatform.core.models import TimeStampedModel

from ..choices import DecimalSeparator, Delimiter
from .imports import CHANNEL


class SettlementFormat(TimeStampedModel):
    """The column mapping of a channel's payout files (one per channel).

    A channel without one is read as a Shopify Payments payout transactions
    export (``services.SHOPIFY_PAYMENTS``). Columns are named by their header
    text (case and surrounding spaces ignored). Optional columns left empty
    mean: ``fee`` 0; ``net`` = gross - fee; ``currency`` = ``default_currency``;
    ``kind`` every row a charge; ``payout_id`` none.
    """

    channel = models.OneToOneField(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="settlement_format",
        limit_choices_to=CHANNEL,
    )
    name = models.CharField(max_length=40, help_text="The provider, e.g. paypal, adyen.")
    order_reference_column = models.CharField(max_length=80)
    gross_column = models.CharField(max_length=80)
    fee_column = models.CharField(max_length=80, blank=True)
    net_column = models.CharField(max_length=80, blank=True)
    currency_column = models.CharField(max_length=80, blank=True)
    default_currency = models.CharField(
        max_length=3, blank=True, help_text="ISO 4217; used when there is no currency column."
    )
    payout_date_column = models.CharField(max_length=80)
    payout_id_column = models.CharField(max_length=80, blank=True)
    kind_column = models.CharField(max_length=80, blank=True)
    date_format = models.CharField(
        max_length=40,
        default="%Y-%m-%d",
        help_text="strftime codes, e.g. %d.%m.%Y; a time after the date is ignored.",
    )
    decimal_separator = models.CharField(
        max_length=1, choices=DecimalSeparator.choices, default=DecimalSeparator.POINT
    )
    delimiter = models.CharField(max_length=1, choices=Delimiter.choices, default=Delimiter.COMMA)

    class Meta:
        verbose_name = "settlement file format"

    def __str__(self):
        return f"{self.channel} ({self.name})"

    def clean(self):
        if not self.currency_column and not self.default_currency:
            raise ValidationError(
                {"default_currency": "Name a currency column or give a default currency."}
            )
        if self.default_currency and not re.fullmatch(r"[A-Z]{3}", self.default_currency):
            raise ValidationError({"default_currency": "Three capital letters (ISO 4217)."})
        if "%" not in self.date_format:
            raise ValidationError({"date_format": "strftime codes, e.g. %Y-%m-%d or %d.%m.%Y."})
