"""Amounts in channel payloads (connectors.channels.money): plain ASCII decimals only.

``Decimal()`` reads whitespace, ``+``, ``_``, exponents and other scripts'
digits; a channel adapter must not, or an amount nobody meant becomes an order.
"""

from decimal import Decimal

import pytest

from connectors.channels.errors import ChannelPayloadError
from connectors.channels.fields import PayloadField
from connectors.channels.money import minor_unit, read_amount

CENT = minor_unit("USD")


@pytest.mark.parametrize(
    "raw",
    ["١٩.٩٩", " 19.99 ", "19.99\n", "+19.99", "1_000", "1e3", "19.", ".99", "Infinity", ""],
)
def test_given_an_amount_that_is_not_plain_ascii_decimal_then_refused_naming_it(raw):
    with pytest.raises(ChannelPayloadError) as refused:
        read_amount(PayloadField(raw, "line_items[0].price"), CENT)

    assert refused.value.field == "line_items[0].price"
    assert refused.value.problem.startswith("expected an amount as a decimal string")


@pytest.mark.parametrize(
    ("raw", "unit", "amount"),
    [
        ("19.99", CENT, Decimal("19.99")),
        ("0", CENT, Decimal("0.00")),
        (19.99, CENT, Decimal("19.99")),  # a JSON number: its shortest text
        (20, CENT, Decimal("20.00")),
        ("1000.00", minor_unit("JPY"), Decimal(1000)),  # zeros past the minor unit change nothing
        ("1.005", minor_unit("KWD"), Decimal("1.005")),
    ],
)
def test_given_a_plain_decimal_amount_then_read_exactly(raw, unit, amount):
    read = read_amount(PayloadField(raw, "total_price"), unit)

    assert read == amount
    assert read.as_tuple().exponent == unit.as_tuple().exponent


def test_given_a_negative_amount_then_refused_as_negative():
    with pytest.raises(ChannelPayloadError, match="negative amount"):
        read_amount(PayloadField("-1.00", "total_discounts"), CENT)
