"""receive_file with 846 inventory advice (stock positions) and 997 acknowledgments of our 940s."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncplatform.audit.choices import TransactionState
from syncplatform.fulfillment.choices import (
    EDI_846_IN,
    EDI_997_IN,
    AckState,
    Direction,
    InterchangeState,
    ShippingOrderStatus,
)
from syncplatform.fulfillment.models import Interchange, StockPosition
from syncplatform.fulfillment.services import receive_file
from syncplatform.mappings.models import SkuMapping
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from tests.fulfillment.fulfillment_files import (
    file_846,
    file_945,
    file_997,
    outbound_997s,
    segments_of,
    shipping_advice,
)


def stock(material: str) -> tuple:
    p = StockPosition.objects.get(material=material)
    return (p.quantity_available, p.quantity_on_hand, p.unit, p.as_of, p.interchange.file_name)


def test_given_an_846_when_received_then_stock_positions_carry_quantities_and_channel_skus(
    config, channel
):
    pos = Partner.objects.create(code="pos-shop", name="POS", kind=PartnerKind.CHANNEL)
    SkuMapping.objects.create(channel=pos, channel_sku="POS-TEE", erp_material="MAT-100200")

    interchange = receive_file(
        config,
        "846_1.edi",
        file_846(801, "20261123", [("MAT-100200", "140", "150"), ("MAT-999999", "5", "")]),
    )

    tx = interchange.transaction
    assert (tx.kind, tx.state) == (EDI_846_IN, TransactionState.SUCCEEDED)
    assert tx.events.last().message == "846_1.edi: applied 1 x 846"
    mapped = StockPosition.objects.get(material="MAT-100200")
    assert mapped.warehouse == config.partner
    assert mapped.channel_skus == ["demo-web:TSHIRT-BLK-M", "pos-shop:POS-TEE"]
    assert stock("MAT-100200") == (140, 150, "EA", datetime(2026, 11, 23, tzinfo=UTC), "846_1.edi")
    unmapped = StockPosition.objects.get(material="MAT-999999")
    assert unmapped.channel_skus == []
    assert (unmapped.quantity_available, unmapped.quantity_on_hand) == (5, None)
    [ack_out] = outbound_997s(interchange)
    assert [s for s in segments_of(ack_out.content) if s.startswith("AK")] == [
        "AK1*IB*801",
        "AK2*846*0001",
        "AK5*A",
        "AK9*A*1*1*1",
    ]


def test_given_a_newer_846_when_an_older_one_arrives_late_then_it_never_overwrites_it(config):
    receive_file(config, "846_new.edi", file_846(811, "20261124", [("MAT-100200", "120", "")]))

    late = receive_file(
        config,
        "846_old.edi",
        file_846(812, "20261122", [("MAT-100200", "99", ""), ("MAT-300500", "7", "")]),
    )

    assert late.transaction.state == TransactionState.SUCCEEDED
    assert stock("MAT-100200") == (
        120,
        None,
        "EA",
        datetime(2026, 11, 24, tzinfo=UTC),
        "846_new.edi",
    )
    # a material the newer report did not mention is still taken from the older one
    assert stock("MAT-300500") == (7, None, "EA", datetime(2026, 11, 22, tzinfo=UTC), "846_old.edi")

    receive_file(config, "846_next.edi", file_846(813, "20261125", [("MAT-100200", "80", "90")]))

    assert stock("MAT-100200") == (80, 90, "EA", datetime(2026, 11, 25, tzinfo=UTC), "846_next.edi")
    assert StockPosition.objects.count() == 2


def our_940(sent_orders, *numbers) -> Interchange:
    sent_orders(*numbers)
    return Interchange.objects.get(direction=Direction.OUTBOUND, set_types=["940"] * len(numbers))


@pytest.mark.parametrize(
    ("status", "set_statuses", "ack_state", "shipping_states"),
    [
        ("A", {"0001": "A", "0002": "A"}, AckState.ACCEPTED, ["accepted", "accepted"]),
        ("P", {"0001": "A", "0002": "R"}, AckState.PARTIALLY_ACCEPTED, ["accepted", "rejected"]),
        ("R", {"0001": "R", "0002": "R"}, AckState.REJECTED, ["rejected", "rejected"]),
        # Sets without an AK2 of their own follow their group (AK901).
        ("A", {}, AckState.ACCEPTED, ["accepted", "accepted"]),
        ("E", {"0002": "E"}, AckState.ACCEPTED, ["accepted", "accepted"]),
        ("A", {"0002": "R"}, AckState.ACCEPTED, ["accepted", "rejected"]),
        ("P", {"0002": "A"}, AckState.PARTIALLY_ACCEPTED, ["rejected", "accepted"]),
        ("R", {}, AckState.REJECTED, ["rejected", "rejected"]),
    ],
)
def test_given_our_940_when_its_997_arrives_then_interchange_and_shipping_orders_follow_it(
    config, sent_orders, status, set_statuses, ack_state, shipping_states
):
    ours = our_940(sent_orders, "WEB-A", "WEB-B")

    received = receive_file(config, "997_in.edi", file_997("1", 901, status, set_statuses))

    tx = received.transaction
    assert (tx.kind, tx.state) == (EDI_997_IN, TransactionState.SUCCEEDED)
    assert (received.state, received.set_types) == (InterchangeState.APPLIED, ["997"])
    ours.refresh_from_db()
    assert (ours.ack_state, ours.acknowledged_by) == (ack_state, received)
    assert [
        s.status for s in ours.shipping_orders.order_by("set_control_number")
    ] == shipping_states
    # never a 997 for a 997
    assert outbound_997s(received) == []
    assert not Interchange.objects.filter(direction=Direction.OUTBOUND, set_types=["997"]).exists()


def test_given_a_shipped_order_when_a_late_997_arrives_then_the_shipment_status_stays(
    config, sent_orders
):
    ours = our_940(sent_orders, "WEB-FAST")
    [shipping_order] = ours.shipping_orders.all()
    receive_file(config, "945_fast.edi", file_945([shipping_advice(shipping_order.order)], 905))

    receive_file(config, "997_late.edi", file_997("1", 906, "A", {"0001": "A"}))

    ours.refresh_from_db()
    shipping_order.refresh_from_db()
    assert ours.ack_state == AckState.ACCEPTED
    assert shipping_order.status == ShippingOrderStatus.SHIPPED


def test_given_a_997_for_a_group_we_never_sent_when_received_then_it_fails_naming_ak102(
    config, sent_orders
):
    ours = our_940(sent_orders, "WEB-X")

    received = receive_file(config, "997_stray.edi", file_997("999", 911, "A", {"0001": "A"}))

    tx = received.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_unmatched")
    assert tx.last_error_message == (
        "997_stray.edi: 997 AK102 group 999 is no interchange we sent to demo-3pl"
    )
    ours.refresh_from_db()
    assert ours.ack_state == AckState.PENDING
    assert outbound_997s(received) == []


def test_given_a_997_for_many_sets_then_its_statements_do_not_grow_with_the_sets(
    config, sent_orders
):
    """Shipping orders follow a 997 in bulk: 30 sets cost the statements 2 sets do."""
    statements = []
    for size in (2, 30):
        ours = our_940(sent_orders, *(f"WEB-{size}-{n}" for n in range(size)))
        verdicts = {f"{n:04d}": "R" if n % 2 == 0 else "A" for n in range(1, size + 1)}
        with CaptureQueriesContext(connection) as captured:
            receive_file(
                config,
                f"997_{size}.edi",
                file_997(ours.group_control_numbers[0], 910 + size, "P", verdicts),
            )
        statements.append(len(captured))
        statuses = dict(ours.shipping_orders.values_list("set_control_number", "status"))
        assert statuses == {
            number: ShippingOrderStatus.ACCEPTED if verdict == "A" else ShippingOrderStatus.REJECTED
            for number, verdict in verdicts.items()
        }

    assert statements[0] == statements[1]
