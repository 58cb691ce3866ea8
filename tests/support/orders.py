"""Canonical order payloads for tests, built from the project's demo order."""

import copy
import json
from decimal import Decimal

from tests.support.processes import REPO

DEMO_ORDER = json.loads((REPO / "fixtures" / "demo" / "order.json").read_text())


def canonical_order(number: str = "WEB-100234", *, sku: str = "TSHIRT-BLK-M", **changes) -> dict:
    """The demo order under another number/SKU; totals stay consistent."""
    order = copy.deepcopy(DEMO_ORDER)
    order["channel_order_number"] = number
    order["lines"][0]["sku"] = sku
    order.update(changes)
    return order


def with_lines(order: dict, lines: list[dict]) -> dict:
    """Replace the lines and recompute the totals so they add up."""
    order = copy.deepcopy(order)
    order["lines"] = lines
    subtotal = sum(Decimal(ln["unit_price"]) * ln["quantity"] for ln in lines)
    tax = sum(Decimal(ln["tax_amount"]) for ln in lines)
    discount = sum(Decimal(ln.get("discount_amount", "0")) for ln in lines)
    shipping = Decimal(order["shipping"]["amount"])
    order["totals"] = {
        "subtotal": f"{subtotal:.2f}",
        "tax": f"{tax:.2f}",
        "shipping": f"{shipping:.2f}",
        "discount": f"{discount:.2f}",
        "grand_total": f"{subtotal + tax + shipping - discount:.2f}",
    }
    return order
