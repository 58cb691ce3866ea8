"""Money for channel adapters: exact decimals in a currency's minor unit.

Amounts are ``Decimal`` from the moment they are read until they are written
out as strings; a JSON float is accepted only through its shortest text form
(what the channel actually wrote), never through binary arithmetic. An amount
with more decimals than its currency has is refused, not rounded: rounding
would make the canonical totals disagree with what the customer paid.

An amount's text is plain decimal notation, ``AMOUNT_TEXT``: ASCII digits, a
point, a leading ``-`` (so that a negative amount is refused as negative).
``Decimal()`` alone would also read whitespace, ``+``, ``_``, exponents and
other scripts' digits (``"١٩.٩٩"``), none of which a channel means as money.
Zeros past the minor unit (``"1000.00"`` in JPY) are still read: they change
nothing, and a genuine order must not be refused for its formatting.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

from connectors.channels.fields import PayloadField

# ISO 4217 currencies whose minor unit is not 1/100; everything else has 2 decimals.
MINOR_UNIT_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# Far above any real order, far below the 60 digits of working precision, so
# that sums and products of amounts and quantities are always exact.
MAX_AMOUNT = Decimal(10) ** 15
EXACT = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Overflow])


def read_currency(field: PayloadField) -> str:
    """An ISO 4217 alphabetic code (shape only: the platform checks the list)."""
    code = field.required_text()
    if not CURRENCY_CODE.fullmatch(code):
        raise field.error(f"not an ISO 4217 currency code: {code!r}"[:80])
    return code


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 for USD, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-MINOR_UNIT_EXPONENTS.get(currency, 2))


def read_amount(field: PayloadField, unit: Decimal, *, default: Decimal | None = None) -> Decimal:
    """A non-negative amount that is a whole number of ``unit``.

    Missing → ``default`` when one is given, else an error naming the field.
    """
    raw = field.value
    if raw is None and default is not None:
        return default
    amount = _decimal_or_none(raw)
    if amount is None:
        raise field.error(f"expected an amount as a decimal string, got {_describe(raw)}")
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise field.error(f"amount out of range: {_describe(raw)}")
    if amount < 0:
        raise field.error(f"negative amount: {_describe(raw)}")
    if amount != amount.quantize(unit, context=EXACT):
        raise field.error(f"{_describe(raw)} has more decimals than the currency allows ({unit})")
    return amount.quantize(unit, context=EXACT)


def sum_amounts(fields: list[PayloadField], unit: Decimal) -> Decimal:
    return sum((read_amount(field, unit) for field in fields), Decimal(0))


def format_amount(amount: Decimal, unit: Decimal) -> str:
    """The canonical string: exactly the currency's decimals, never ``-0``."""
    text = f"{amount.quantize(unit, context=EXACT):f}"
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def _decimal_or_none(raw: object) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        # Compare before converting: Decimal(huge int) is fine, its digits are not.
        return Decimal(raw) if abs(raw) < MAX_AMOUNT else Decimal("Infinity")
    if isinstance(raw, float):
        raw = repr(raw)  # the shortest text that reads back as the same float
    if not isinstance(raw, str) or len(raw) > 40 or not AMOUNT_TEXT.fullmatch(raw):
        return None
    return Decimal(raw)


def _describe(raw: object) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) >= MAX_AMOUNT:
        return "a very large number"
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."
