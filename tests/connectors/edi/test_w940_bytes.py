"""The 940 writer's exact bytes: unchanged from the segment-list writer it replaced.

``fixtures/awkward_940.edi`` was written by the earlier writer (segment lists
cleaned value by value) from ``awkward_orders()``; any change to the bytes
the warehouse receives shows up here, not only changes that fail to read back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.edi import (
    CarrierRouting,
    Party,
    QualifiedDate,
    Reference,
    ShippingOrder,
    ShippingOrderLine,
    write_940,
)
from tests.connectors.edi.builders import FIXTURES, make_envelope, make_order


def awkward_orders() -> list[ShippingOrder]:
    """Orders whose values need cleaning, or are empty, or fill every optional segment."""
    return [
        make_order("WEB-1"),
        ShippingOrder(
            depositor_order_number=" SP-0000000002 ",
            purchase_order_number="PO*77~8>9^0",
            status="R",
            parties=(
                Party(
                    "ST",
                    "Pat\nDoe\r",
                    "92",
                    "\tST-1",
                    additional_names=("c/o Lee", "Dock 4", "Gate\u00a0B"),
                    address_lines=("1 Main St*", " ", "Unit 5"),
                    city="Colum\x1cbus",
                    region="",
                    postal_code=" 43004",
                    country="US ",
                ),
                Party("BT", ""),
                Party("SF", "Warehouse", city="", country="CA"),
            ),
            references=(Reference("CO", "4500000001"), Reference("", ""), Reference("PO", "A*B")),
            dates=(QualifiedDate("10", date(2026, 11, 24)), QualifiedDate("02", date(987, 1, 2))),
            carrier=CarrierRouting(scac="", routing="GROUND\n", payment_method="PP"),
            lines=(
                ShippingOrderLine(Decimal("0.500"), "EA", upc="012345678905"),
                ShippingOrderLine(
                    Decimal("12"),
                    " KG ",
                    sku="Caf\u00e9~1KG",
                    sku_qualifier="VN",
                    line_number=7,
                    references=(Reference("LT", "LOT 9 "), Reference("", "x")),
                    description="Roasted > ground",
                ),
                ShippingOrderLine(Decimal("1E+1"), "", sku="", sku_qualifier="VN", line_number=0),
            ),
        ),
        ShippingOrder(depositor_order_number="", carrier=CarrierRouting()),
        ShippingOrder(depositor_order_number="SP-4"),
    ]


def test_given_awkward_orders_when_written_then_the_bytes_are_the_earlier_writers():
    written = write_940(awkward_orders(), make_envelope())
    assert written == (FIXTURES / "awkward_940.edi").read_bytes()


def test_given_a_5010_envelope_when_written_then_the_repetition_separator_is_cleaned_too():
    order = make_order()
    order.parties[0].name = "Pat^Doe"
    written = write_940([order], make_envelope(version="005010"))
    assert b"N1*ST*Pat Doe~" in written
