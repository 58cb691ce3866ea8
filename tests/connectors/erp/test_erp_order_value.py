"""The order value in the ERP's confirmation (TotalNetAmount, TotalTaxAmount): sandbox and client.

Over HTTP against the real sandbox ERP (see conftest.py), plus the store's
upgrade of a file written before the value existed.
"""

import sqlite3
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from lxml import etree

from connectors.erp.client import ErpClient
from connectors.erp.messages import confirmation_from
from connectors.erp.sales_order_service import NAMESPACE
from connectors.erp.sandbox.sales_orders import _summary
from connectors.erp.sandbox.store import SandboxStore
from tests.connectors.erp.test_erp_client import a_reference, an_item, an_order

# an_order(): 2 x 19.99 - 1.00 and 1.5 x 19.99 - 1.00 (items), 7.95 shipping, 3.20 tax each.
ITEMS_NET = Decimal("38.98") + Decimal("28.985")
EXPECTED_NET = ITEMS_NET + Decimal("7.95")
EXPECTED_TAX = Decimal("6.40")


@pytest.fixture
def client(erp) -> ErpClient:
    with ErpClient(erp.wsdl_url, erp.username, erp.password, timeout=5) as erp_client:
        yield erp_client


def a_material() -> str:
    return f"MAT-{uuid.uuid4().hex[:12]}"


def test_the_confirmation_carries_net_with_shipping_and_tax_as_decimals(client):
    confirmation = client.create_sales_order(an_order(a_reference()))

    assert confirmation.total_net_amount == EXPECTED_NET
    assert confirmation.total_tax_amount == EXPECTED_TAX
    assert isinstance(confirmation.total_net_amount, Decimal)
    assert confirmation.currency == "USD"
    # NetAmount keeps its old meaning (items only) for callers that read it.
    assert confirmation.net_amount == ITEMS_NET


def test_the_lookup_by_reference_returns_the_same_value(client):
    reference = a_reference()
    client.create_sales_order(an_order(reference))

    found = client.find_sales_order(reference)

    assert (found.total_net_amount, found.total_tax_amount) == (EXPECTED_NET, EXPECTED_TAX)


def test_a_price_difference_moves_the_net_value_of_that_material_only(client, erp):
    # given the ERP prices one material 0.013 a unit above what it is sent
    material = a_material()
    config = erp.configure(price_differences={material: "0.013"})
    assert config["price_differences"][material] == "0.013"
    order = an_order(a_reference(), an_item(10), an_item(20, material, "3"))

    # when
    confirmation = client.create_sales_order(order)

    # then 3 x 0.013 more, rounded half up to the WSDL's 6 places (nothing to round here)
    untouched = 2 * (Decimal("2") * Decimal("19.99") - 1) + Decimal("19.99") + Decimal("7.95")
    assert confirmation.total_net_amount == untouched + Decimal("0.039")
    assert confirmation.total_tax_amount == EXPECTED_TAX


def test_a_price_difference_of_zero_clears_it(client, erp):
    material = a_material()
    erp.configure(price_differences={material: "-0.50"})
    config = erp.configure(price_differences={material: "0"})
    assert material not in config["price_differences"]

    confirmation = client.create_sales_order(an_order(a_reference(), an_item(10, material, "1")))

    assert confirmation.total_net_amount == Decimal("19.99") - 1 + Decimal("7.95")


@pytest.mark.parametrize(
    ("differences", "error"),
    [
        ({"M1": 0.01}, "price_differences['M1']: expected a decimal string, got 0.01"),
        ({"M1": "abc"}, "price_differences['M1']: expected a decimal string, got 'abc'"),
        ({"M1": "0.0000001"}, "price_differences['M1']: at most 6 fraction digits"),
        ({"": "1"}, "price_differences['']: the material must be 1 to 40 characters"),
        (["M1"], "price_differences must be an object"),
    ],
)
def test_bad_price_differences_are_refused_and_nothing_changes(erp, differences, error):
    material = a_material()
    erp.configure(price_differences={material: "0.25"})

    response = requests.post(
        f"{erp.base_url}/_sandbox/config",
        json={"price_differences": differences, "outage": True},
        auth=erp.auth,
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    config = erp.get("/_sandbox/config").json()
    assert config["price_differences"][material] == "0.25"
    assert config["outage"] is False


def test_a_store_file_from_before_gets_the_columns_and_its_orders_have_no_value(tmp_path):
    # given a store file with the sales_order table as it was before the value
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE sales_order (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " external_reference TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
            " sold_to TEXT NOT NULL, currency TEXT NOT NULL, item_count INTEGER NOT NULL,"
            " net_amount TEXT NOT NULL, request_xml BLOB NOT NULL)"
        )
        connection.execute(
            "INSERT INTO sales_order (external_reference, created_at, sold_to, currency,"
            " item_count, net_amount, request_xml)"
            " VALUES ('SP-OLD', '2026-01-02T03:04:05+00:00', 'C1', 'USD', 1, '10', x'00')"
        )
    connection.close()

    # when the sandbox opens it
    store = SandboxStore(path)

    # then the old order reads without a value and its summary leaves the elements out
    old = store.find_sales_order("SP-OLD")
    assert (old.total_net_amount, old.total_tax_amount) == (None, None)
    parent = etree.Element("root")
    _summary(parent, old)
    assert parent.find(f".//{{{NAMESPACE}}}TotalNetAmount") is None
    # and a new order stores its value in the added columns
    new = store.insert_sales_order(
        external_reference="SP-NEW",
        sold_to="C1",
        currency="EUR",
        item_count=1,
        net_amount=Decimal("10"),
        request_xml=b"<x/>",
        total_net_amount=Decimal("12.5"),
        total_tax_amount=Decimal("2.375"),
    )
    assert store.find_sales_order("SP-NEW").total_tax_amount == Decimal("2.375")
    assert new.total_net_amount == Decimal("12.5")


def test_the_client_reads_a_summary_without_the_value_as_none():
    summary = SimpleNamespace(
        SalesOrderID="0000010000",
        ExternalReference="SP-0000000001",
        CreationDateTime=datetime(2026, 1, 2, tzinfo=UTC),
        ItemCount=1,
        NetAmount=Decimal("10"),
        CurrencyCode="USD",
        DeliveryID=None,
        TotalNetAmount=None,
        TotalTaxAmount=None,
    )

    confirmation = confirmation_from(summary)

    assert (confirmation.total_net_amount, confirmation.total_tax_amount) == (None, None)
