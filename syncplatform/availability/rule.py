"""The available-to-sell rule, as one pure function (no database; unit-tested on its own)."""

import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Components:
    """What one (channel SKU, location)'s available-to-sell is made of.

    - ``stock``: the warehouse's latest 846 quantity of the SKU's ERP material
      (on hand, ``QTY*17``; the reported available quantity ``QTY*33`` when the
      report has no on-hand figure), or None when the warehouse never reported it;
    - ``open_orders``: quantity of the channel's open orders at the location not
      yet shipped (ordered - shipped per line);
    - ``shipped_since_report``: quantity the warehouse shipped for the channel's
      orders at the location on or after the report's date (or without a ship
      date): gone from the shelf, but still in the reported figure;
    - ``safety_stock``: held back at the location (``SafetyStock``).
    """

    stock: Decimal | None
    open_orders: int
    shipped_since_report: int
    safety_stock: int

    @property
    def available(self) -> int:
        return available_to_sell(self)


def available_to_sell(parts: Components) -> int:
    """Whole units a channel may sell: stock - open orders - shipped since the report - safety.

    Never negative: an oversold or unreported SKU is 0 (channels take a negative
    quantity as backorders we cannot promise). A fraction of a unit in the
    report is not a sellable unit, so the stock is rounded down.
    """
    if parts.stock is None:
        return 0
    sellable = (
        math.floor(parts.stock)
        - parts.open_orders
        - parts.shipped_since_report
        - parts.safety_stock
    )
    return max(sellable, 0)
