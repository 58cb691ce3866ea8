"""send_shipping_orders: which orders become 940 sets, and what each set says."""

import gc
from decimal import Decimal

import pytest
from django.db import connection

from connectors.edi.envelope import read_interchanges
from connectors.edi.shipping import CarrierRouting, Party, Reference
from connectors.edi.w940 import ShippingOrder as ShippingOrderDocument
from connectors.edi.w940 import ShippingOrderLine, read_940
from connectors.errors import ConfigError
from syncplatform.audit.choices import TransactionState
from syncplatform.core.errors import NeedsPerson
from syncplatform.fulfillment.choices import (
    EDI_940_OUT,
    AckState,
    Direction,
    InterchangeState,
    ShippingOrderStatus,
)
from syncplatform.fulfillment.models import ControlNumberSequence, Interchange, ShippingOrder
from syncplatform.fulfillment.services import send_shipping_orders
from syncplatform.mappings.models import SkuMapping
from syncplatform.orders.models import Order
from tests.fulfillment.fulfillment_files import order_line, segments_of

UPLOAD_TASK = "syncplatform.audit.tasks.run_transaction_task"


def sent_documents(interchange: Interchange) -> list[ShippingOrderDocument]:
    [parsed] = read_interchanges(bytes(interchange.content))
    [group] = parsed.groups
    return [read_940(ts) for ts in group.transaction_sets]


def test_given_a_posted_order_routed_to_the_warehouse_when_sending_then_one_940_set_says_it_all(
    config, posted_order
):
    order = posted_order(
        "WEB-1",
        lines=[order_line(1, "TSHIRT-BLK-M", 2), order_line(2, "SOCKS-3PK", 3)],
    )

    interchange = send_shipping_orders(config.partner_id)

    assert sent_documents(interchange) == [
        ShippingOrderDocument(
            depositor_order_number=order.erp_reference,
            purchase_order_number="WEB-1",
            parties=(
                Party(
                    role="ST",
                    name="Pat Doe",
                    address_lines=("1 Main St",),
                    city="Columbus",
                    region="OH",
                    postal_code="43004",
                    country="US",
                ),
            ),
            references=(Reference("CO", order.erp_document_number),),
            carrier=CarrierRouting(
                scac="UPSN", routing="GROUND", transportation_method="M", payment_method="PP"
            ),
            lines=(
                ShippingOrderLine(
                    quantity=Decimal(2), unit="EA", sku="MAT-100200", sku_qualifier="VN",
                    line_number=1,
                ),
                ShippingOrderLine(
                    quantity=Decimal(3), unit="PK", sku="MAT-300500", sku_qualifier="VN",
                    line_number=2,
                ),
            ),
        )
    ]  # fmt: skip
    segments = segments_of(interchange.content)
    assert f"W05*N*{order.erp_reference}*WEB-1" in segments
    assert [s for s in segments if s.startswith(("W01*", "N9*LI*"))] == [
        "W01*2*EA**VN*MAT-100200",
        "N9*LI*1",
        "W01*3*PK**VN*MAT-300500",
        "N9*LI*2",
    ]


def test_given_orders_alike_in_part_when_sending_then_each_set_has_its_own_carrier_and_lines(
    config, posted_order
):
    """A batch builds each routing and each like line once; no order gets another's."""
    ground = posted_order(
        "WEB-A", lines=[order_line(1, "TSHIRT-BLK-M", 2), order_line(2, "SOCKS-3PK", 3)]
    )
    express = posted_order(
        "WEB-B", lines=[order_line(1, "TSHIRT-BLK-M", 2), order_line(2, "SOCKS-3PK", 1)]
    )
    Order.objects.filter(pk=express.pk).update(shipping_method="EXPRESS")  # no carrier mapping
    again_ground = posted_order("WEB-C", lines=[order_line(1, "SOCKS-3PK", 3)])

    documents = sent_documents(send_shipping_orders(config.partner_id))

    assert [d.depositor_order_number for d in documents] == [
        order.erp_reference for order in (ground, express, again_ground)
    ]
    assert [(d.carrier.scac, d.carrier.routing) for d in documents] == [
        ("UPSN", "GROUND"),
        ("", "EXPRESS"),
        ("UPSN", "GROUND"),
    ]
    assert [[(ln.line_number, ln.sku, ln.quantity) for ln in d.lines] for d in documents] == [
        [(1, "MAT-100200", 2), (2, "MAT-300500", 3)],
        [(1, "MAT-100200", 2), (2, "MAT-300500", 1)],
        [(1, "MAT-300500", 3)],
    ]


def test_when_sending_then_the_interchange_shipping_order_and_upload_job_are_stored(
    config, posted_order, published, django_capture_on_commit_callbacks
):
    order = posted_order("WEB-2")

    with django_capture_on_commit_callbacks(execute=True):
        interchange = send_shipping_orders(config.partner_id)

    interchange.refresh_from_db()
    assert (interchange.direction, interchange.file_name) == (
        Direction.OUTBOUND,
        "940_000000001.edi",
    )
    assert interchange.isa_control_number == "000000001"
    assert interchange.group_control_numbers == ["1"]
    assert (interchange.set_control_numbers, interchange.set_types) == (["0001"], ["940"])
    assert (interchange.state, interchange.ack_state) == (
        InterchangeState.PENDING,
        AckState.PENDING,
    )
    assert interchange.ack_due_by is None  # due once it is uploaded, not before
    segments = segments_of(interchange.content)
    assert segments[0].split("*")[13] == "000000001"
    assert segments[1].split("*")[6] == "1" and segments[1].startswith("GS*OW*SYNCPLATFORM*DEMO3PL")
    shipping_order = ShippingOrder.objects.get()
    assert (shipping_order.order, shipping_order.warehouse) == (order, config.partner)
    assert (shipping_order.interchange, shipping_order.set_control_number) == (interchange, "0001")
    assert shipping_order.status == ShippingOrderStatus.PENDING
    tx = interchange.transaction
    assert (tx.kind, tx.state, tx.subject_id) == (
        EDI_940_OUT,
        TransactionState.RECEIVED,
        interchange.pk,
    )
    assert tx.business_key == "940_000000001.edi"
    assert published == [(UPLOAD_TASK, [tx.pk])]


def test_given_orders_for_another_warehouse_or_not_posted_when_sending_then_only_ours_go(
    config, other_config, posted_order
):
    ours = posted_order("WEB-OURS", location="WEB-DC")
    posted_order("WEB-EAST", location="STORE-099")
    posted_order("WEB-NOT-POSTED", post=False)
    posted_order("WEB-UNROUTED", location="STORE-404")

    interchange = send_shipping_orders(config.partner_id)

    assert [d.purchase_order_number for d in sent_documents(interchange)] == ["WEB-OURS"]
    assert list(ShippingOrder.objects.values_list("order_id", flat=True)) == [ours.pk]
    assert send_shipping_orders(config.partner_id) is None
    east = send_shipping_orders(other_config.partner_id)
    assert [d.purchase_order_number for d in sent_documents(east)] == ["WEB-EAST"]
    assert east.isa_control_number == "000000001"  # each partner has its own sequence
    assert segments_of(east.content)[1].startswith("GS*OW*SYNCPLATFORM*EAST3PL*")


def test_given_an_order_already_sent_when_sending_again_then_it_is_not_sent_twice(
    config, posted_order
):
    posted_order("WEB-ONCE")
    first = send_shipping_orders(config.partner_id)
    second_order = posted_order("WEB-LATER")

    second = send_shipping_orders(config.partner_id)

    assert [d.purchase_order_number for d in sent_documents(second)] == ["WEB-LATER"]
    assert second.isa_control_number == "000000002" != first.isa_control_number
    assert ShippingOrder.objects.get(interchange=second).order == second_order


def test_given_five_orders_and_a_limit_of_two_when_sending_then_batches_of_two_two_one(
    config, posted_order
):
    orders = [posted_order(f"WEB-B{n}") for n in range(5)]

    batches = [send_shipping_orders(config.partner_id, limit=2) for _ in range(4)]

    assert batches[3] is None
    assert [[d.purchase_order_number for d in sent_documents(b)] for b in batches[:3]] == [
        ["WEB-B0", "WEB-B1"],
        ["WEB-B2", "WEB-B3"],
        ["WEB-B4"],
    ]
    assert [b.isa_control_number for b in batches[:3]] == ["000000001", "000000002", "000000003"]
    assert batches[0].set_control_numbers == ["0001", "0002"]
    assert [
        (s.order_id, s.interchange_id, s.set_control_number)
        for s in ShippingOrder.objects.order_by("order_id")
    ] == [
        (orders[0].pk, batches[0].pk, "0001"),
        (orders[1].pk, batches[0].pk, "0002"),
        (orders[2].pk, batches[1].pk, "0001"),
        (orders[3].pk, batches[1].pk, "0002"),
        (orders[4].pk, batches[2].pk, "0001"),
    ]


def test_given_nothing_waiting_when_sending_then_nothing_is_stored_and_no_number_is_used(config):
    assert send_shipping_orders(config.partner_id) is None
    assert Interchange.objects.count() == 0
    assert not ControlNumberSequence.objects.filter(last_value__gt=0).exists()


def test_given_a_sku_mapping_that_vanished_when_sending_then_needs_person_names_the_sku(
    config, posted_order
):
    posted_order("WEB-GONE", lines=[order_line(1, "HOODIE-GRY-M", 1)])
    posted_order("WEB-FINE")
    SkuMapping.objects.filter(channel_sku="HOODIE-GRY-M").update(is_active=False)

    with pytest.raises(NeedsPerson) as refused:
        send_shipping_orders(config.partner_id)

    assert "sku HOODIE-GRY-M" in str(refused.value)
    assert "TSHIRT-BLK-M" not in str(refused.value)
    assert Interchange.objects.count() == 0 and ShippingOrder.objects.count() == 0
    SkuMapping.objects.filter(channel_sku="HOODIE-GRY-M").update(is_active=True)
    assert send_shipping_orders(config.partner_id).isa_control_number == "000000001"


def test_given_a_partner_on_005010_when_sending_then_isa12_is_00501_and_gs08_005010(
    config, posted_order
):
    config.x12_version = "005010"
    config.usage_indicator = "T"
    config.save()
    posted_order("WEB-5010")

    interchange = send_shipping_orders(config.partner_id)

    isa, gs = segments_of(interchange.content)[:2]
    assert isa.split("*")[11:16] == ["^", "00501", "000000001", "0", "T"]
    assert gs.split("*")[8] == "005010"
    [parsed] = read_interchanges(bytes(interchange.content))
    assert (parsed.version, parsed.groups[0].version, parsed.is_test) == ("00501", "005010", True)


def test_given_a_partner_that_sends_no_997_when_sending_then_no_acknowledgment_is_awaited(
    config, posted_order
):
    config.expects_997 = False
    config.save()
    posted_order("WEB-NO-997")

    interchange = send_shipping_orders(config.partner_id)

    assert interchange.ack_state == AckState.NOT_EXPECTED


@pytest.mark.parametrize("path", ["this database's", "portable"])
def test_given_orders_when_sending_then_each_shipping_order_names_the_set_that_carries_it(
    config, posted_order, path, monkeypatch
):
    """PostgreSQL stores the batch with array parameters; other databases (SQLite,
    the embedded default) use the ORM. ``portable`` forces the ORM path here too."""
    if path == "portable":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    orders = [
        posted_order(f"WEB-S{n}", lines=[order_line(1, "SOCKS-3PK", n + 1)]) for n in range(12)
    ]

    interchange = send_shipping_orders(config.partner_id)

    by_set = {
        s.set_control_number: s
        for s in ShippingOrder.objects.filter(interchange=interchange).select_related("order")
    }
    assert list(by_set) == interchange.set_control_numbers == [f"{n:04d}" for n in range(1, 13)]
    assert (
        [by_set[number].order.erp_reference for number in interchange.set_control_numbers]
        == [d.depositor_order_number for d in sent_documents(interchange)]
        == [order.erp_reference for order in orders]
    )
    assert {(s.status, s.interchange.partner_id) for s in by_set.values()} == {
        (ShippingOrderStatus.PENDING, config.partner_id)
    }
    assert all(s.created_at and s.updated_at for s in by_set.values())


def test_given_an_envelope_the_writer_refuses_when_sending_then_nothing_is_stored(
    config, posted_order
):
    """The 940 is written in a second thread; its error still undoes the whole batch."""
    config.their_isa_qualifier = ""  # ISA07 must be 1-2 characters
    config.save()
    posted_order("WEB-BAD-ENVELOPE")

    with pytest.raises(ConfigError):
        send_shipping_orders(config.partner_id)

    assert Interchange.objects.count() == 0 and ShippingOrder.objects.count() == 0
    assert not ControlNumberSequence.objects.filter(last_value__gt=0).exists()


@pytest.mark.parametrize("collector_on", [True, False])
def test_when_sending_then_the_cycle_collector_pauses_for_the_batch_and_is_as_before_after(
    config, posted_order, monkeypatch, collector_on
):
    from syncplatform.fulfillment.services import shipping_order_batch

    paused_during = []
    real_documents = shipping_order_batch.shipping_order_documents

    def documents_noting_the_collector(orders):
        paused_during.append(not gc.isenabled())
        return real_documents(orders)

    monkeypatch.setattr(
        shipping_order_batch, "shipping_order_documents", documents_noting_the_collector
    )
    posted_order("WEB-GC")
    was_on = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        assert send_shipping_orders(config.partner_id) is not None
        assert paused_during == [True]
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was_on else gc.disable)()
