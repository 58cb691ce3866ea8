"""The available-to-sell rule on its own: stock less open orders, recent shipments and safety."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncplatform.availability.rule import Components, available_to_sell


@pytest.mark.parametrize(
    ("stock", "open_orders", "shipped", "safety", "expected"),
    [
        (Decimal("10"), 0, 0, 0, 10),
        (Decimal("10"), 3, 0, 0, 7),
        (Decimal("10"), 3, 2, 0, 5),
        (Decimal("10"), 3, 2, 1, 4),
        (Decimal("10.999"), 0, 0, 0, 10),  # a fraction of a unit is not sellable
        (Decimal("4"), 3, 0, 2, 0),  # oversold: floor 0, never negative
        (Decimal("0"), 0, 0, 0, 0),
        (None, 0, 0, 0, 0),  # never reported: nothing to sell
        (None, 5, 0, 0, 0),
    ],
)
def test_available_to_sell(stock, open_orders, shipped, safety, expected):
    assert available_to_sell(Components(stock, open_orders, shipped, safety)) == expected


@given(
    stock=st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False),
    open_orders=st.integers(0, 10**6),
    shipped=st.integers(0, 10**6),
    safety=st.integers(0, 10**6),
)
def test_available_to_sell_is_never_negative_and_never_above_the_stock(
    stock, open_orders, shipped, safety
):
    available = available_to_sell(Components(stock, open_orders, shipped, safety))
    assert 0 <= available <= stock
    assert available == max(int(stock) - open_orders - shipped - safety, 0)
