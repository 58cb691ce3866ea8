"""Shared checks for channel adapter tests: the project's fixtures and the canonical rules."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_fixture(name: str) -> dict:
    """A fresh copy of a project-written payload in ``fixtures/``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def check_canonical_totals(order: dict) -> None:
    """Assert the rules ``POST /api/v1/orders`` applies to every canonical order."""
    lines = order["lines"]
    totals = {name: Decimal(amount) for name, amount in order["totals"].items()}
    assert [line["line_number"] for line in lines] == list(range(1, len(lines) + 1))
    assert all(type(line["quantity"]) is int and line["quantity"] > 0 for line in lines)
    assert totals["subtotal"] == sum(
        (line["quantity"] * Decimal(line["unit_price"]) for line in lines), Decimal(0)
    )
    assert totals["tax"] == sum((Decimal(line["tax_amount"]) for line in lines), Decimal(0))
    assert totals["discount"] == sum(
        (Decimal(line["discount_amount"]) for line in lines), Decimal(0)
    )
    assert totals["shipping"] == Decimal(order["shipping"]["amount"])
    assert totals["grand_total"] == (
        totals["subtotal"] + totals["tax"] + totals["shipping"] - totals["discount"]
    )
    money = [order["shipping"]["amount"], *order["totals"].values()]
    for line in lines:
        money += [line["unit_price"], line["tax_amount"], line["discount_amount"]]
    assert all(isinstance(amount, str) and not amount.startswith("-") for amount in money)


@pytest.fixture
def usd_order() -> dict:
    """Tax-exclusive US web order: 2 lines, line and shipping discounts, taxed shipping."""
    return read_fixture("shopify_orders_create_usd.json")


@pytest.fixture
def eur_order() -> dict:
    """Tax-inclusive Dutch order with a POS location_id, a guest buyer, taxed shipping."""
    return read_fixture("shopify_orders_create_eur_taxes_included.json")


@pytest.fixture(scope="session")
def canonical_totals_hold():
    return check_canonical_totals


@pytest.fixture(scope="session")
def fixture_reader():
    return read_fixture
