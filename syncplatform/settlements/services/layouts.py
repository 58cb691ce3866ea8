"""Which column of a payout CSV holds what, and how its numbers and dates are written.

A ``ColumnLayout`` is plain data: the built-in Shopify Payments one, or the
one a channel's ``SettlementFormat`` saves. ``read_row`` turns one CSV row into
a ``ParsedLine`` or raises ``ValueError`` with the reason an operator reads.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..choices import SettlementKind
from ..models import SettlementFormat

MAX_AMOUNT = Decimal(10) ** 14  # the lines' DecimalField(16, 2)
CURRENCY = re.compile(r"[A-Z]{3}")
TEXT_LIMITS = {"order_reference": 80, "payout_id": 64, "provider_type": 40}
KINDS = frozenset(SettlementKind.values)  # .values builds a new list on every access


@dataclass(frozen=True)
class ColumnLayout:
    """Header texts of the columns to read ("" = the file has none) and the formats."""

    name: str
    order_reference: str
    gross: str
    payout_date: str
    fee: str = ""
    net: str = ""
    currency: str = ""
    payout_id: str = ""
    kind: str = ""
    default_currency: str = ""
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: str = "."
    delimiter: str = ","

    @property
    def columns(self) -> dict[str, str]:
        """``field: header text`` for every column this layout reads."""
        names = ("order_reference", "gross", "payout_date", "fee", "net", "currency")
        names += ("payout_id", "kind")
        return {name: getattr(self, name) for name in names if getattr(self, name)}


SHOPIFY_PAYMENTS = ColumnLayout(
    # The Shopify admin's Finance > Payouts > Export transactions file:
    # Transaction Date, Type, Order, Card Brand, Card Source, Payout Status,
    # Payout Date, Payout ID, Available On, Amount, Fee, Net, Checkout,
    # Payment Method Name, Presentment Amount, Presentment Currency, Currency
    # (newer files add VAT and Business Entity columns; columns are found by name).
    name="shopify_payments",
    order_reference="Order",
    gross="Amount",
    fee="Fee",
    net="Net",
    currency="Currency",
    payout_date="Payout Date",
    payout_id="Payout ID",
    kind="Type",
    # Exports seen in the wild write the payout date both ways.
    date_formats=("%Y-%m-%d", "%Y/%m/%d"),
)


def layout_for(channel) -> ColumnLayout:
    """The channel's saved column mapping, or Shopify Payments' when it has none."""
    try:
        saved = channel.settlement_format
    except SettlementFormat.DoesNotExist:
        return SHOPIFY_PAYMENTS
    return ColumnLayout(
        name=saved.name,
        order_reference=saved.order_reference_column,
        gross=saved.gross_column,
        payout_date=saved.payout_date_column,
        fee=saved.fee_column,
        net=saved.net_column,
        currency=saved.currency_column,
        payout_id=saved.payout_id_column,
        kind=saved.kind_column,
        default_currency=saved.default_currency,
        date_formats=(saved.date_format,),
        decimal_separator=saved.decimal_separator,
        delimiter=saved.delimiter,
    )


@dataclass(frozen=True)
class ParsedLine:
    order_reference: str
    kind: str
    provider_type: str
    gross: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    payout_date: date
    payout_id: str


def kind_of(provider_type: str, gross: Decimal) -> str:
    """Our kind for a provider's transaction type (Shopify's or any other's words)."""
    word = provider_type.strip().lower().replace(" ", "_").replace("-", "_")
    if not word:  # no type column: the sign says it
        return SettlementKind.CHARGE if gross >= 0 else SettlementKind.REFUND
    if word in KINDS:
        return word
    if word in ("sale", "payment", "capture"):
        return SettlementKind.CHARGE
    if "dispute" in word or "chargeback" in word:
        return SettlementKind.DISPUTE
    if word.endswith("fee") or word == "shipping_label":
        return SettlementKind.FEE
    if word in ("transfer", "withdrawal", "deposit"):
        return SettlementKind.PAYOUT
    return SettlementKind.OTHER


def read_row(layout: ColumnLayout, row: dict[str, str]) -> ParsedLine:
    """One data row (``header: value``, values stripped) as a line; ValueError says why not."""
    columns = layout.columns
    gross = _amount(layout, columns["gross"], row)
    fee = _amount(layout, columns["fee"], row) if "fee" in columns else Decimal(0)
    net = _amount(layout, columns["net"], row) if "net" in columns else gross - fee
    provider_type = row.get(columns.get("kind", ""), "")
    kind = kind_of(provider_type, gross)
    reference = row.get(columns["order_reference"], "")
    if not reference and kind in (SettlementKind.CHARGE, SettlementKind.REFUND):
        raise ValueError(f"{columns['order_reference']} is empty (a {kind} must name its order)")
    line = ParsedLine(
        order_reference=reference,
        kind=kind,
        provider_type=provider_type,
        gross=gross,
        fee=fee,
        net=net,
        currency=_currency(layout, row),
        payout_date=_date(layout, columns["payout_date"], row),
        payout_id=row.get(columns.get("payout_id", ""), ""),
    )
    for name, limit in TEXT_LIMITS.items():
        if len(getattr(line, name)) > limit:
            header = columns.get(name, name) if name != "provider_type" else columns["kind"]
            raise ValueError(f"{header} is longer than {limit} characters")
    return line


def _number_pattern(decimal_separator: str) -> re.Pattern:
    thousands = "." if decimal_separator == "," else ","
    d, t = re.escape(decimal_separator), re.escape(thousands)
    return re.compile(rf"[-+]?(\d+|\d{{1,3}}({t}\d{{3}})+)({d}\d+)?|[-+]?{d}\d+")


# An amount: digits, optionally grouped in thousands, optionally a fraction; per separator.
NUMBER = {separator: _number_pattern(separator) for separator in (".", ",")}


def _amount(layout: ColumnLayout, header: str, row: dict[str, str]) -> Decimal:
    text = row.get(header, "")
    if not text:
        raise ValueError(f"{header} is empty")
    if not NUMBER[layout.decimal_separator].fullmatch(text):
        separator = "point" if layout.decimal_separator == "." else "comma"
        raise ValueError(f"{header} {text!r} is not an amount (decimal {separator} expected)")
    thousands = "." if layout.decimal_separator == "," else ","
    try:
        amount = Decimal(text.replace(thousands, "").replace(layout.decimal_separator, "."))
    except InvalidOperation:  # never expected after the pattern; kept as a clear refusal
        raise ValueError(f"{header} {text!r} is not an amount") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{header} {text} has more than 2 decimal places")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"{header} {text} is too large")
    return amount.quantize(Decimal("0.01"))


def _currency(layout: ColumnLayout, row: dict[str, str]) -> str:
    if not layout.currency:
        return layout.default_currency
    text = row.get(layout.currency, "")
    if not text:
        raise ValueError(f"{layout.currency} is empty")
    if not CURRENCY.fullmatch(text.upper()):
        raise ValueError(f"{layout.currency} {text!r} is not a 3-letter ISO 4217 code")
    return text.upper()


def _date(layout: ColumnLayout, header: str, row: dict[str, str]) -> date:
    text = row.get(header, "")
    if not text:
        raise ValueError(f"{header} is empty")
    for date_format in layout.date_formats:
        # A time after the date (2026-09-01 10:00:00 -0400) is not the payout's business.
        words = len(date_format.split())
        for candidate in (text, " ".join(text.split()[:words]), text.partition("T")[0]):
            try:
                return datetime.strptime(candidate, date_format).date()
            except ValueError:
                continue
    expected = " or ".join(date_format for date_format in layout.date_formats)
    raise ValueError(f"{header} {text!r} is not a date ({expected})")
