"""Money as finance reads it: at the currency's minor units, never rounded.

The ERP confirms values with six fraction digits (``100.000000``); finance
reads ``100.00`` in USD, ``100`` in JPY, ``100.000`` in KWD (the minor units
of ISO 4217, the table the channel adapters read amounts with). A value with
more digits than its currency's minor unit (``100.005`` USD, an ERP that
prices below a cent) is shown with every digit it has: it is the tie-out's
evidence, and rounding it would hide the difference. Values are only ever
re-written at another scale, never changed: ``Decimal(shown) == value``.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.channels.money import MINOR_UNIT_EXPONENTS

DEFAULT_DIGITS = 2  # ISO 4217's minor unit of every currency not in the table
# The minor units that are not a cent.
MINOR_UNITS = {code: Decimal(1).scaleb(-digits) for code, digits in MINOR_UNIT_EXPONENTS.items()}


def minor_digits(currency: str) -> int:
    """Fraction digits of ``currency``'s minor unit: 2 (USD), 0 (JPY), 3 (KWD)."""
    return MINOR_UNIT_EXPONENTS.get(currency, DEFAULT_DIGITS)


def shown_amount(value: Decimal | str | None, currency: str) -> str:
    """``value`` as text at ``currency``'s minor units, or with all its digits if it has more;
    ``""`` for None."""
    if value is None:
        return ""
    value = Decimal(value)
    needed = -value.normalize().as_tuple().exponent
    return f"{value:.{max(minor_digits(currency), needed)}f}"


def at_minor_units(value: Decimal | None, currency: str) -> Decimal | None:
    """The same value, written at ``currency``'s minor units (or all its digits)."""
    return None if value is None else Decimal(shown_amount(value, currency))


def minor_units_values_sql() -> tuple[str, list]:
    """``(VALUES (code, digits), ...)`` of the currencies whose minor unit is not 2 digits,
    for SQL that joins it by currency code (``COALESCE(digits, 2)`` for the rest)."""
    rows = ", ".join("(%s, %s)" for _ in MINOR_UNIT_EXPONENTS)
    return f"(VALUES {rows})", [item for pair in MINOR_UNIT_EXPONENTS.items() for item in pair]
