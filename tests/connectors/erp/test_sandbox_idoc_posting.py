"""The sandbox ERP posting IDocs after taking them: status 53 or 51 with SAP-like text."""

from decimal import Decimal

import pytest
import requests

from connectors.erp.idoc_client import IdocClient, StockLevel
from tests.connectors.erp.idoc_packages import (
    IDOC_DEFAULTS,
    a_message_id,
    create_sales_order,
    goods_movement,
    idoc_client,
    package,
    shipment_confirmation,
    wait_for_final,
)
from tests.support.processes import wait_until


@pytest.fixture
def idoc_erp(erp):
    erp.configure(**IDOC_DEFAULTS)
    yield erp
    erp.configure(**IDOC_DEFAULTS)


@pytest.fixture
def client(idoc_erp) -> IdocClient:
    with idoc_client(idoc_erp) as idoc_client_:
        yield idoc_client_


def post_and_wait(client: IdocClient, *documents):
    docnums = client.send_package(package(*documents), a_message_id())
    return wait_for_final(client, docnums)


def invoices_for(erp, delivery_number: str) -> list[dict]:
    return [
        invoice
        for invoice in erp.get("/_sandbox/invoices").json()
        if invoice["delivery_number"] == delivery_number
    ]


def test_given_a_goods_issue_then_53_naming_the_delivery_and_its_billing_document(idoc_erp, client):
    order = create_sales_order(idoc_erp)

    (status,) = post_and_wait(client, shipment_confirmation(order.delivery_number, {10: "2"}))

    assert status.status == "53"
    assert status.text.startswith(f"Goods issue posted for delivery {order.delivery_number}")
    (invoice,) = invoices_for(idoc_erp, order.delivery_number)
    assert f"billing document {invoice['billing_number']} created" in status.text
    assert invoice["push_state"] == "held"  # no platform URL is configured


def test_given_a_picked_quantity_above_the_order_then_51_and_a_fixed_resend_posts(idoc_erp, client):
    # given an order for 2 of item 10
    order = create_sales_order(idoc_erp)

    # when the warehouse confirms 5
    (refused,) = post_and_wait(client, shipment_confirmation(order.delivery_number, {10: "5"}))

    # then 51 with SAP's kind of text, and nothing billed
    assert refused.status == "51" and refused.is_error and refused.is_final
    assert refused.text == (
        f"Picked quantity 5 EA of item 000010 exceeds the delivery quantity 2 EA"
        f" (delivery {order.delivery_number})"
    )
    assert invoices_for(idoc_erp, order.delivery_number) == []
    # and a corrected resend, a new IDoc, posts
    (posted,) = post_and_wait(
        client, shipment_confirmation(order.delivery_number, {10: "2"}, number=2)
    )
    assert posted.is_posted


def test_given_an_unknown_delivery_then_51_naming_it(client):
    (status,) = post_and_wait(client, shipment_confirmation("89999999", {10: "1"}))

    assert (status.status, status.text) == ("51", "Delivery 89999999 does not exist")


def test_given_a_second_goods_issue_for_a_delivery_then_51(idoc_erp, client):
    order = create_sales_order(idoc_erp)
    post_and_wait(client, shipment_confirmation(order.delivery_number, {10: "1"}))

    (again,) = post_and_wait(client, shipment_confirmation(order.delivery_number, {10: "1"}))

    assert again.status == "51"
    assert f"Goods issue for delivery {order.delivery_number} has already been posted" in again.text
    assert len(invoices_for(idoc_erp, order.delivery_number)) == 1


@pytest.mark.parametrize(
    ("picked", "text"),
    [
        ({30: "1"}, "Item 000030 does not exist in delivery {delivery}"),
        (
            {10: "0", 20: "0"},
            "Delivery {delivery}: nothing picked, so no goods issue can be posted",
        ),
    ],
)
def test_given_a_bad_item_then_51_naming_it(idoc_erp, client, picked, text):
    order = create_sales_order(idoc_erp)

    (status,) = post_and_wait(client, shipment_confirmation(order.delivery_number, picked))

    assert (status.status, status.text) == ("51", text.format(delivery=order.delivery_number))


def test_given_picking_without_goods_issue_then_53_and_nothing_billed(idoc_erp, client):
    order = create_sales_order(idoc_erp)
    picking = shipment_confirmation(order.delivery_number, {10: "2"}, goods_issue=False)

    (status,) = post_and_wait(client, picking)

    assert status.is_posted and "picking confirmed" in status.text
    assert invoices_for(idoc_erp, order.delivery_number) == []


def test_given_goods_movements_then_stock_changes_and_unknown_material_is_51(idoc_erp, client):
    # given 100 of SOCK-RED in plant 1000
    idoc_erp.configure(stock=[{"material": "SOCK-RED", "plant": "1000", "quantity": "100"}])

    # when a gain, a loss, a movement for a material the ERP does not keep, and a deficit come
    gain_and_loss = goods_movement(
        [("701", "SOCK-RED", "1000", "7"), ("702", "SOCK-RED", "1000", "2")]
    )
    unknown = goods_movement([("701", "SOCK-BLUE", "1000", "1")], number=2)
    deficit = goods_movement([("702", "SOCK-RED", "1000", "500")], number=3)
    posted, not_kept, too_much = post_and_wait(client, gain_and_loss, unknown, deficit)

    # then
    assert posted.is_posted and posted.text.startswith("Material document ")
    assert (not_kept.status, not_kept.text) == (
        "51",
        "Material SOCK-BLUE is not maintained in plant 1000",
    )
    assert too_much.status == "51"
    assert (
        too_much.text == "Deficit of unrestricted-use stock 395 EA: material SOCK-RED, plant 1000"
    )
    assert client.stock(["SOCK-RED", "SOCK-BLUE"], "1000") == {
        "SOCK-RED": StockLevel("SOCK-RED", "1000", Decimal("105"), "EA")
    }


def test_given_a_goods_issue_then_the_kept_stock_goes_down(idoc_erp, client):
    idoc_erp.configure(stock=[{"material": "MUG-WHT", "plant": "1000", "quantity": "40"}])
    order = create_sales_order(idoc_erp)

    post_and_wait(client, shipment_confirmation(order.delivery_number, {10: "2", 20: "3"}))

    assert client.stock(["MUG-WHT"], "1000")["MUG-WHT"].quantity == Decimal("37")


def test_given_a_processing_delay_then_64_until_it_has_passed(idoc_erp, client):
    idoc_erp.configure(processing_delay_ms=1500)
    order = create_sales_order(idoc_erp)

    (docnum,) = client.send_package(
        package(shipment_confirmation(order.delivery_number, {10: "1"})), a_message_id()
    )

    (waiting,) = client.statuses([docnum])
    assert waiting.status == "64" and not waiting.is_final
    assert waiting.text == "IDoc ready to be transferred to application"
    wait_until(lambda: client.statuses([docnum])[0].is_posted, timeout=10, interval=0.1)


def test_given_stock_queries_then_json_by_material_and_unknown_left_out(idoc_erp):
    idoc_erp.configure(
        stock=[
            {"material": "CAP-GRY", "plant": "2000", "quantity": "12.5", "unit": "KG"},
            {"material": "CAP-GRY", "plant": "3000", "quantity": 4},
        ]
    )

    answer = idoc_erp.get("/sap/bc/stock", plant="2000", material=["CAP-GRY", "NONE"]).json()
    missing_plant = idoc_erp.get("/sap/bc/stock", material="CAP-GRY")

    assert answer == {
        "plant": "2000",
        "stock": [{"material": "CAP-GRY", "plant": "2000", "quantity": "12.5", "unit": "KG"}],
    }
    assert missing_plant.status_code == 400
    assert missing_plant.json()["error"]["text"] == "plant is required"


def test_given_bad_stock_seed_then_400_naming_the_row(idoc_erp):
    response = requests.post(
        f"{idoc_erp.base_url}/_sandbox/config",
        json={"stock": [{"material": "A", "plant": "1000", "quantity": 1.5}]},
        auth=idoc_erp.auth,
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json() == {"error": "stock[1]: quantity must be a decimal string or an integer"}
