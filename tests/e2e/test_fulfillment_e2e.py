"""3PL fulfilment through real servers: PostgreSQL, RabbitMQ, a Celery worker, OpenSSH sshd.

The test plays the warehouse: it reads our 940 from the SFTP root on disk and
drops 945/997/846 files into the inbound folder the way a warehouse would
(written under a dot-name, then renamed).
"""

import os
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from connectors.edi.ack997 import read_997
from connectors.edi.envelope import read_interchanges
from connectors.edi.shipping import CarrierRouting, PackageMark
from connectors.edi.w940 import read_940
from connectors.edi.w945 import ShippingAdvice, ShippingAdviceLine, write_945
from connectors.edi.writer import EdiIdentity, Envelope
from connectors.errors import TransientError
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import RetryPolicy, SyncTransaction
from syncplatform.audit.services import sweep_due_transactions
from syncplatform.fulfillment.choices import (
    EDI_940_OUT,
    EDI_997_OVERDUE,
    AckState,
    Direction,
    ShippingOrderStatus,
)
from syncplatform.fulfillment.models import Interchange, Shipment, StockPosition, WarehouseConfig
from syncplatform.fulfillment.services import (
    flag_overdue_acknowledgments,
    poll_warehouse,
    send_shipping_orders,
)
from syncplatform.orders.models import Order
from tests.support.api import post_order, wait_for_status
from tests.support.orders import canonical_order
from tests.support.processes import REPO, wait_until
from tests.support.sftp import pin_another_host_key

pytestmark = pytest.mark.e2e

WAREHOUSE_ID = EdiIdentity("ZZ", "DEMO3PL")
OUR_ID = EdiIdentity("ZZ", "SYNCPLATFORM")


def sftp_root() -> Path:
    root = os.environ.get("TEST_SFTP_ROOT")
    if not root:
        pytest.fail("fulfilment end-to-end tests need sshd: run them with `make test`")
    return Path(root)


@pytest.fixture
def warehouse(demo_channel):
    root = sftp_root()
    for folder in ("outbound", "inbound", "archive", "error"):
        for path in (root / folder).iterdir():
            path.unlink()
    partner = demo_channel.__class__.objects.get(code="demo-3pl")
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
        ack_due_minutes=30,
    )
    RetryPolicy.objects.update_or_create(
        kind=EDI_940_OUT,
        defaults={"max_attempts": 30, "delays_seconds": [1], "jitter_ratio": 0.0},
    )
    return partner


def files(folder: str, prefix: str = "") -> list[Path]:
    return sorted(
        p
        for p in (sftp_root() / folder).iterdir()
        if p.name.startswith(prefix) and not p.name.startswith(".")
    )


def drop_inbound(name: str, content: bytes) -> None:
    """Write the way a warehouse does: a dot-file first, renamed when complete."""
    temporary = sftp_root() / "inbound" / f".{name}.tmp"
    temporary.write_bytes(content)
    old = (datetime.now() - timedelta(minutes=5)).timestamp()
    os.utime(temporary, (old, old))  # long settled: taken on the first look
    temporary.rename(sftp_root() / "inbound" / name)


def warehouse_envelope(number: int) -> Envelope:
    return Envelope(
        sender=WAREHOUSE_ID,
        receiver=OUR_ID,
        interchange_control_number=number,
        group_control_number=number,
        prepared_at=datetime.now(UTC),
    )


def shipping_advice_for(order: Order, *, short_by: int = 0) -> ShippingAdvice:
    lines = tuple(
        ShippingAdviceLine(
            quantity_shipped=Decimal(line.quantity - short_by),
            unit="EA",
            quantity_ordered=Decimal(line.quantity),
            sku="MAT-100200",
            sku_qualifier="VN",
            line_number=line.line_number,
            package_marks=(PackageMark("CP", "1Z999AA10123456784"),),
        )
        for line in order.lines.all()
    )
    return ShippingAdvice(
        depositor_order_number=order.erp_reference,
        shipped_on=date.today(),
        shipment_id="SHP-1",
        carrier=CarrierRouting(scac="UPSN", transportation_method="M"),
        lines=lines,
    )


def file_outcomes() -> list[tuple[str, str, str]]:
    """(file, transaction state, last error) of every received file, for assertion messages."""
    return [
        (i.file_name, i.transaction.state, i.transaction.last_error_message)
        for i in Interchange.objects.filter(direction=Direction.INBOUND).select_related(
            "transaction"
        )
    ]


def posted_order(web_server, demo_channel, number: str) -> Order:
    accepted = post_order(
        web_server, demo_channel.api_key, canonical_order(number), f"k-{number}"
    ).json()
    wait_for_status(web_server, demo_channel.api_key, accepted["id"], "posted")
    return Order.objects.get(pk=accepted["id"])


def uploaded(interchange: Interchange) -> bool:
    tx = SyncTransaction.objects.get(pk=interchange.transaction_id)
    return tx.state == TransactionState.SUCCEEDED


def test_posted_order_goes_out_as_940_and_the_945_ships_it_with_a_997_back(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    order = posted_order(web_server, demo_channel, "FUL-1")

    interchange = send_shipping_orders(warehouse.pk)
    wait_until(lambda: uploaded(interchange), timeout=30, what="the 940 upload")

    [sent] = files("outbound", "940_")
    assert sent.read_bytes() == bytes(interchange.content)
    [group] = read_interchanges(sent.read_bytes())[0].groups
    [shipping_order] = [read_940(ts) for ts in group.transaction_sets]
    assert shipping_order.depositor_order_number == order.erp_reference
    assert shipping_order.purchase_order_number == "FUL-1"
    assert [(ln.sku, ln.quantity) for ln in shipping_order.lines] == [("MAT-100200", 2)]
    interchange.refresh_from_db()
    assert interchange.ack_state == AckState.PENDING and interchange.ack_due_by is not None

    drop_inbound(
        "945_000000501.edi", write_945([shipping_advice_for(order)], warehouse_envelope(501))
    )
    assert poll_warehouse(warehouse.pk) == 1

    order.refresh_from_db()
    assert order.status == "shipped"
    assert [ln.quantity_shipped for ln in order.lines.all()] == [2]
    shipment = Shipment.objects.get()
    assert shipment.tracking_numbers == ["1Z999AA10123456784"]
    assert shipment.carrier_scac == "UPSN" and not shipment.is_short
    assert [p.name for p in files("archive")] == ["945_000000501.edi"]
    assert files("inbound") == []

    ack_out = Interchange.objects.get(direction=Direction.OUTBOUND, set_types=["997"])
    wait_until(lambda: uploaded(ack_out), timeout=30, what="the 997 upload")
    [ack_file] = files("outbound", "997_")
    [ack_group] = read_interchanges(ack_file.read_bytes())[0].groups
    ack = read_997(ack_group.transaction_sets[0])
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("SW", "501", "A")


def test_duplicate_945_changes_nothing_and_is_recorded(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    order = posted_order(web_server, demo_channel, "FUL-DUP")
    send_shipping_orders(warehouse.pk)
    content = write_945([shipping_advice_for(order, short_by=1)], warehouse_envelope(601))

    drop_inbound("945_a.edi", content)
    poll_warehouse(warehouse.pk)
    drop_inbound("945_b.edi", content)  # the warehouse sends it again under another name
    poll_warehouse(warehouse.pk)

    order.refresh_from_db()
    assert order.status == "partially_shipped", file_outcomes()
    assert [ln.quantity_shipped for ln in order.lines.all()] == [1]
    assert Shipment.objects.get().is_short
    duplicate = Interchange.objects.get(file_name="945_b.edi")
    assert duplicate.duplicate_of.file_name == "945_a.edi"
    assert duplicate.transaction.state == TransactionState.SUCCEEDED
    assert "duplicate of 945_a.edi" in duplicate.transaction.events.last().message
    assert sorted(p.name for p in files("archive")) == ["945_a.edi", "945_b.edi"]


def test_malformed_945_goes_to_error_with_a_failed_transaction_and_a_rejecting_997(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    order = posted_order(web_server, demo_channel, "FUL-BAD")
    send_shipping_orders(warehouse.pk)
    good = write_945([shipping_advice_for(order)], warehouse_envelope(701)).decode()
    se = next(s for s in good.split("~") if s.strip().startswith("SE*"))
    bad = good.replace(se, se.replace("SE*", "SE*99", 1)).encode()  # wrong segment count

    drop_inbound("945_bad.edi", bad)
    poll_warehouse(warehouse.pk)

    [failed] = Interchange.objects.filter(file_name="945_bad.edi")
    tx = failed.transaction
    assert tx.state == TransactionState.FAILED
    assert tx.last_error_code == "edi_envelope"
    assert "945_bad.edi" in tx.last_error_message
    assert "(SE)" in tx.last_error_message and "SE01" in tx.last_error_message
    assert [p.name for p in files("error")] == ["945_bad.edi"]
    assert Shipment.objects.count() == 0
    order.refresh_from_db()
    assert order.status == "posted"
    rejection = Interchange.objects.get(acknowledges=failed)
    wait_until(lambda: uploaded(rejection), timeout=30, what="the rejecting 997 upload")
    [ack_group] = read_interchanges(bytes(rejection.content))[0].groups
    ack = read_997(ack_group.transaction_sets[0])
    assert ack.status == "R" and ack.set_acks[0].status == "R"
    assert ack.set_acks[0].error_codes == ("4",)


def test_a_file_still_being_written_is_not_taken(warehouse, demo_channel):
    growing = sftp_root() / "inbound" / "945_growing.edi"
    growing.write_bytes(b"ISA*00*")
    writer = subprocess.Popen(
        ["bash", "-c", f"for i in $(seq 1 12); do printf x >> {growing}; sleep 0.25; done"]
    )
    try:
        assert poll_warehouse(warehouse.pk) == 0
    finally:
        writer.wait(10)
    assert growing.exists()
    assert Interchange.objects.count() == 0


def test_changed_host_key_is_refused_and_nothing_is_sent(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    posted_order(web_server, demo_channel, "FUL-HOSTKEY")
    pin_another_host_key(WarehouseConfig.objects.get(partner=warehouse))

    interchange = send_shipping_orders(warehouse.pk)
    tx = interchange.transaction
    wait_until(
        lambda: SyncTransaction.objects.get(pk=tx.pk).state == TransactionState.FAILED,
        timeout=30,
        what="the upload to fail",
    )
    tx.refresh_from_db()
    assert tx.last_error_code == "host_key_mismatch"
    assert files("outbound") == []


def test_sshd_stopped_and_restarted_mid_run_loses_nothing(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    order = posted_order(web_server, demo_channel, "FUL-OUTAGE")
    sshd = [str(REPO / "deploy/local/sshd.sh")]
    sshd_env = {**os.environ, "SYNC_SSHD_PORT": os.environ["TEST_SFTP_PORT"]}
    subprocess.run([*sshd, "stop"], check=True, capture_output=True, env=sshd_env)
    try:
        interchange = send_shipping_orders(warehouse.pk)
        wait_until(
            lambda: (
                SyncTransaction.objects.get(pk=interchange.transaction_id).state
                == TransactionState.RETRYING
            ),
            timeout=30,
            what="the upload to be retrying",
        )
        drop_inbound(
            "945_out.edi", write_945([shipping_advice_for(order)], warehouse_envelope(801))
        )
        with pytest.raises(TransientError) as outage:
            poll_warehouse(warehouse.pk)
        assert outage.value.code == "connection"
        assert (sftp_root() / "inbound" / "945_out.edi").exists()
    finally:
        subprocess.run([*sshd, "start"], check=True, capture_output=True, env=sshd_env)

    wait_until(
        lambda: sweep_due_transactions() is not None and uploaded(interchange),
        timeout=60,
        what="the 940 upload after sshd is back",
    )
    assert len(files("outbound", "940_")) == 1
    assert poll_warehouse(warehouse.pk) == 1
    order.refresh_from_db()
    assert order.status == "shipped", file_outcomes()
    assert Shipment.objects.count() == 1


def test_997_marks_our_940_accepted_and_a_missing_997_becomes_a_failed_transaction(
    warehouse, demo_channel, web_server, erp, start_worker
):
    start_worker(queues="realtime,batch")
    posted_order(web_server, demo_channel, "FUL-ACK-1")
    first = send_shipping_orders(warehouse.pk)
    posted_order(web_server, demo_channel, "FUL-ACK-2")
    second = send_shipping_orders(warehouse.pk)
    wait_until(lambda: uploaded(first) and uploaded(second), timeout=30, what="uploads")
    number = int(first.isa_control_number)
    drop_inbound(
        "997_in.edi",
        (
            f"ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
            f"00401*000000901*0*P*>~GS*FA*DEMO3PL*SYNCPLATFORM*20261123*1200*901*X*004010~"
            f"ST*997*0001~AK1*OW*{number}~AK2*940*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*901~"
            f"IEA*1*000000901~"
        ).encode(),
    )

    poll_warehouse(warehouse.pk)

    first.refresh_from_db()
    assert first.ack_state == AckState.ACCEPTED
    assert first.shipping_orders.get().status == ShippingOrderStatus.ACCEPTED
    Interchange.objects.filter(pk=second.pk).update(ack_due_by=timezone.now() - timedelta(1))
    assert flag_overdue_acknowledgments() == 1
    assert flag_overdue_acknowledgments() == 0
    second.refresh_from_db()
    assert second.ack_state == AckState.OVERDUE
    overdue = SyncTransaction.objects.get(kind=EDI_997_OVERDUE)
    assert overdue.state == TransactionState.FAILED
    assert second.file_name in overdue.last_error_message


def test_846_updates_stock_positions_mapped_back_to_channel_skus(warehouse, demo_channel):
    drop_inbound(
        "846_in.edi",
        (
            b"ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
            b"00401*000000902*0*P*>~GS*IB*DEMO3PL*SYNCPLATFORM*20261123*1200*902*X*004010~"
            b"ST*846*0001~BIA*00*SI*INV-1*20261123~LIN**VN*MAT-100200~QTY*33*140*EA~QTY*17*150*EA~"
            b"LIN**VN*MAT-999999~QTY*33*5*EA~SE*8*0001~GE*1*902~IEA*1*000000902~"
        ),
    )

    poll_warehouse(warehouse.pk)

    mapped = StockPosition.objects.get(material="MAT-100200")
    assert mapped.channel_skus == ["demo-web:TSHIRT-BLK-M"]
    assert (mapped.quantity_available, mapped.quantity_on_hand) == (140, 150)
    unmapped = StockPosition.objects.get(material="MAT-999999")
    assert unmapped.channel_skus == [] and unmapped.quantity_available == 5
    assert Interchange.objects.get(file_name="846_in.edi").transaction.state == "succeeded"
    assert Interchange.objects.filter(acknowledged_group="902").count() == 1
