"""Available-to-sell end to end: an 846, an order, a shipment, each changing the shop's stock.

Real servers: PostgreSQL, RabbitMQ with Celery workers (batch: recompute and
publication; realtime: the ERP posting), gunicorn for the REST API, OpenSSH
sshd for the warehouse's files, the sandbox ERP and the sandbox shop over
HTTP. The test plays the warehouse (files dropped in the SFTP inbound folder,
taken by the fulfilment poll) and the beat (it runs the 5-second job that
collects what orders and shipments marked).
"""

import dataclasses
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from syncplatform.availability.models import Availability
from syncplatform.availability.services import collect_stale_availability
from syncplatform.catalog.services.publication import start_publication
from syncplatform.fulfillment.models import WarehouseConfig
from syncplatform.fulfillment.services import poll_warehouse, send_shipping_orders
from syncplatform.orders.models import Order
from syncplatform.partners.models import ChannelConfig, Partner
from tests.catalog.publication_fixtures import make_listing, run_publication_chunks
from tests.connectors.sandbox_shop.shop_process import running_sandbox_shop
from tests.fulfillment.fulfillment_files import (
    OUR_ID,
    WAREHOUSE_ID,
    file_846,
    file_945,
    order_line,
    shipping_advice,
)
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order, with_lines
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("availability-e2e-shop")
    with running_sandbox_shop(log_dir, "--location", "WEB-DC", "--location", "STORE-017") as shop:
        yield shop


def sftp_root() -> Path:
    root = os.environ.get("TEST_SFTP_ROOT")
    if not root:
        pytest.fail("availability end-to-end tests need sshd: run them with `make test`")
    return Path(root)


@pytest.fixture
def warehouse(demo_channel) -> Partner:
    """demo-3pl on the test sshd, its folders emptied."""
    root = sftp_root()
    for folder in ("outbound", "inbound", "archive", "error"):
        for path in (root / folder).iterdir():
            path.unlink()
    partner = Partner.objects.get(code="demo-3pl")
    WarehouseConfig.objects.create(
        partner=partner,
        sftp_host=os.environ["TEST_SFTP_HOST"],
        sftp_port=int(os.environ["TEST_SFTP_PORT"]),
        sftp_username=os.environ["TEST_SFTP_USER"],
        sftp_private_key=Path(os.environ["TEST_SFTP_KEY"]).read_text(),
        sftp_known_hosts=os.environ["TEST_SFTP_HOST_KEY"],
        settle_seconds=1,
        our_isa_id=OUR_ID.id,
        their_isa_id=WAREHOUSE_ID.id,
    )
    return partner


@pytest.fixture
def shop(shop_server, demo_channel):
    """demo-web publishes to the sandbox shop, where its T-shirt is listed (no stock yet)."""
    shop_server.reset()
    ChannelConfig.objects.filter(partner=demo_channel).update(
        shop_url=shop_server.url,
        shop_access_token=shop_server.token,
        sales_org="1000",
        distribution_channel="10",
    )
    make_listing(demo_channel, "MAT-100200", sku="TSHIRT-BLK-M")
    assert start_publication(demo_channel.pk) is not None
    run_publication_chunks()
    return shop_server


def drop_inbound(name: str, content: bytes) -> None:
    """Write the way a warehouse does: a dot-file first, renamed when complete."""
    temporary = sftp_root() / "inbound" / f".{name}.tmp"
    temporary.write_bytes(content)
    settled = (datetime.now() - timedelta(minutes=5)).timestamp()
    os.utime(temporary, (settled, settled))
    temporary.rename(sftp_root() / "inbound" / name)


def deliver(warehouse: Partner, name: str, content: bytes) -> None:
    drop_inbound(name, content)
    assert poll_warehouse(warehouse.pk) == 1


def shop_shows(shop, location: str, quantity: int, *, collect: bool = False) -> None:
    """Wait until the shop's T-shirt shows ``quantity`` at ``location`` and we recorded it."""

    def shown():
        if collect:
            collect_stale_availability()  # the beat's 5-second job
        (variant,) = shop.variants()
        in_shop = variant["quantities"].get(location, {}).get("available")
        recorded = Availability.objects.filter(
            channel_sku="TSHIRT-BLK-M", channel_location=location, published_quantity=quantity
        )
        return in_shop == quantity and recorded.exists()

    wait_until(shown, timeout=60, interval=0.3, what=f"{quantity} at {location} in the shop")


def stored(location: str = "STORE-017") -> tuple:
    row = Availability.objects.get(channel_sku="TSHIRT-BLK-M", channel_location=location)
    return (
        row.stock_quantity,
        row.open_order_quantity,
        row.shipped_since_report,
        row.available,
        row.published_quantity,
    )


def test_an_846_then_an_order_then_a_shipment_each_change_the_published_stock(
    demo_channel, warehouse, shop, web_server, start_worker
):
    start_worker("batch", "batch")
    start_worker("realtime", "realtime")

    # an 846 taken from the warehouse's SFTP folder: 10 T-shirts on hand on 20 November
    deliver(warehouse, "846_701.edi", file_846(701, "20261120", [("MAT-100200", "10", "10")]))
    shop_shows(shop, "STORE-017", 10)
    shop_shows(shop, "WEB-DC", 10)
    assert stored() == (10, 0, 0, 10, 10)

    # an order for 3 at STORE-017 through the REST API
    order = with_lines(
        canonical_order("AVL-1", fulfillment_location="STORE-017"),
        [order_line(1, "TSHIRT-BLK-M", 3)],
    )
    response = post_order(web_server, demo_channel.api_key, order, "avl-1")
    assert response.status_code == 202, response.text
    shop_shows(shop, "STORE-017", 7, collect=True)
    assert stored() == (10, 3, 0, 7, 7)
    assert stored("WEB-DC")[3] == 10  # another location of the same warehouse: untouched

    # the ERP takes it, a 940 goes out; the warehouse ships on the 21st and reports 7 on the
    # 22nd before its 945 arrives: the order still looks open, so 4 (never more than is there)
    wait_for_status(web_server, demo_channel.api_key, response.json()["id"], "posted")
    assert send_shipping_orders(warehouse.pk)
    deliver(warehouse, "846_702.edi", file_846(702, "20261122", [("MAT-100200", "7", "7")]))
    shop_shows(shop, "STORE-017", 4)
    assert stored() == (7, 3, 0, 4, 4)

    # the 945 (shipped on the 21st, before that report): the order is no longer open
    stored_order = Order.objects.get(channel_order_number="AVL-1")
    advice = dataclasses.replace(shipping_advice(stored_order), shipped_on=date(2026, 11, 21))
    deliver(warehouse, "945_703.edi", file_945([advice], 703))
    shop_shows(shop, "STORE-017", 7, collect=True)
    assert stored() == (7, 0, 0, 7, 7)

    # a channel that asks instead gets the same figure from the API
    answer = requests.get(
        f"{web_server}/api/v1/availability",
        params={"sku": "TSHIRT-BLK-M", "location": "STORE-017"},
        headers={"Authorization": f"Bearer {demo_channel.api_key}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["available"] == 7
    # one stock call per change: 10, 7, 4, 7 (the first for both locations at once)
    assert shop.stats()["mutation.inventorySetQuantities"] == 4
