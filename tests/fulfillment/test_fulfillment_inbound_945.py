"""receive_file with 945 shipping advice: applied once, duplicates skipped, problems named."""

from datetime import date

from django.utils import timezone

from connectors.edi.ack997 import SetAck, read_997
from connectors.edi.envelope import read_interchanges
from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.fulfillment.choices import (
    EDI_945_IN,
    EDI_997_OUT,
    AckState,
    Direction,
    InterchangeState,
    ShippingOrderStatus,
)
from syncplatform.fulfillment.models import Interchange, Shipment
from syncplatform.fulfillment.services import (
    apply_inbound_file,
    receive_file,
    send_shipping_orders,
)
from syncplatform.orders.choices import OrderStatus
from tests.fulfillment.fulfillment_files import (
    file_945,
    order_line,
    outbound_997s,
    segments_of,
    shipping_advice,
)

TWO_LINES = [order_line(1, "TSHIRT-BLK-M", 2), order_line(2, "SOCKS-3PK", 3)]


def the_997(outbound):
    """The 997 we queued, read back from its stored bytes."""
    [parsed] = read_interchanges(bytes(outbound.content))
    return read_997(parsed.groups[0].transaction_sets[0])


def shipped_quantities(order) -> list[int]:
    return [line.quantity_shipped for line in order.lines.all()]


def test_given_a_sent_order_when_its_945_arrives_then_the_shipment_is_recorded_and_acknowledged(
    config, sent_orders
):
    [order] = sent_orders("WEB-1", lines=TWO_LINES)

    interchange = receive_file(config, "945_a.edi", file_945([shipping_advice(order)], 501))

    assert (interchange.direction, interchange.state) == (
        Direction.INBOUND,
        InterchangeState.APPLIED,
    )
    assert interchange.isa_control_number == "000000501"
    assert (interchange.group_control_numbers, interchange.set_control_numbers) == (
        ["501"],
        ["0001"],
    )
    assert interchange.set_types == ["945"]
    tx = interchange.transaction
    assert (tx.kind, tx.state) == (EDI_945_IN, TransactionState.SUCCEEDED)
    assert tx.events.last().message == "945_a.edi: applied 1 x 945"
    shipment = Shipment.objects.get()
    assert (shipment.shipping_order, shipment.interchange) == (order.shipping_order, interchange)
    assert (shipment.set_control_number, shipment.warehouse_shipment_id) == ("0001", "SHP-1")
    assert (shipment.ship_date, shipment.carrier_scac) == (date(2026, 11, 24), "UPSN")
    assert shipment.tracking_numbers == ["1Z999AA10123456781", "1Z999AA10123456782"]
    assert shipment.is_short is False
    assert [
        (ln.order_line.line_number, ln.quantity_ordered, ln.quantity_shipped)
        for ln in shipment.lines.order_by("order_line__line_number")
    ] == [(1, 2, 2), (2, 3, 3)]
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shipped_quantities(order) == [2, 3]
    assert order.shipping_order.status == ShippingOrderStatus.SHIPPED
    [ack_out] = outbound_997s(interchange)
    assert (ack_out.acknowledged_group, ack_out.isa_control_number) == ("501", "000000002")
    assert (ack_out.file_name, ack_out.set_types) == ("997_000000002.edi", ["997"])
    assert ack_out.ack_state == AckState.NOT_EXPECTED
    assert ack_out.transaction.kind == EDI_997_OUT
    ack = the_997(ack_out)
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("SW", "501", "A")
    assert ack.set_acks == (SetAck("945", "0001", "A"),)


def test_given_a_short_945_then_the_rest_when_received_then_partial_first_and_shipped_after(
    config, sent_orders
):
    [order] = sent_orders("WEB-SHORT", lines=TWO_LINES)

    receive_file(config, "945_1.edi", file_945([shipping_advice(order, shipped={1: 1, 2: 3})], 511))

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert order.shipping_order.status == ShippingOrderStatus.PARTIALLY_SHIPPED
    assert shipped_quantities(order) == [1, 3]
    first = Shipment.objects.get()
    assert first.is_short is True
    assert [(ln.quantity_ordered, ln.quantity_shipped) for ln in first.lines.all()] == [
        (2, 1),
        (3, 3),
    ]

    rest = shipping_advice(order, shipped={1: 1}, shipment_id="SHP-2")
    rest.lines = rest.lines[:1]
    receive_file(config, "945_2.edi", file_945([rest], 512))

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.shipping_order.status == ShippingOrderStatus.SHIPPED
    assert shipped_quantities(order) == [2, 3]
    assert Shipment.objects.count() == 2


def test_given_the_same_bytes_under_another_name_when_received_then_duplicate_and_never_applied(
    config, sent_orders
):
    [order] = sent_orders("WEB-DUP")
    content = file_945([shipping_advice(order, shipped={1: 1})], 521)
    original = receive_file(config, "945_a.edi", content)

    copy = receive_file(config, "945_b.edi", content)

    assert copy.pk != original.pk
    assert (copy.state, copy.duplicate_of) == (InterchangeState.DUPLICATE, original)
    tx = copy.transaction
    assert tx.state == TransactionState.SUCCEEDED
    assert [e.kind for e in tx.events.all()] == [EventKind.RECEIVED, EventKind.SKIPPED]
    assert tx.events.last().message == (
        f"945_b.edi is a duplicate of 945_a.edi (interchange #{original.pk}, same content); "
        "recorded and skipped"
    )
    order.refresh_from_db()
    assert shipped_quantities(order) == [1]
    assert Shipment.objects.count() == 1
    assert outbound_997s(copy) == [] and len(outbound_997s(original)) == 1


def test_given_the_same_isa13_with_other_bytes_when_received_then_duplicate_and_never_applied(
    config, sent_orders
):
    [order] = sent_orders("WEB-ISA")
    original = receive_file(
        config, "945_a.edi", file_945([shipping_advice(order, shipped={1: 1})], 531)
    )
    changed = file_945([shipping_advice(order, shipment_id="SHP-OTHER")], 531)

    copy = receive_file(config, "945_a_resent.edi", changed)

    assert copy.sha256 != original.sha256
    assert (copy.state, copy.duplicate_of) == (InterchangeState.DUPLICATE, original)
    assert copy.transaction.state == TransactionState.SUCCEEDED
    assert copy.transaction.events.last().kind == EventKind.SKIPPED
    assert "same ISA13 000000531" in copy.transaction.events.last().message
    order.refresh_from_db()
    assert shipped_quantities(order) == [1]
    assert list(Shipment.objects.values_list("warehouse_shipment_id", flat=True)) == ["SHP-1"]


def test_given_our_own_leftover_when_received_again_then_it_is_returned_without_a_new_record(
    config, sent_orders
):
    [order] = sent_orders("WEB-LEFT")
    content = file_945([shipping_advice(order)], 541)
    first = receive_file(config, "945_left.edi", content)
    events = first.transaction.events.count()

    again = receive_file(config, "945_left.edi", content)

    assert again.pk == first.pk
    assert Interchange.objects.filter(direction=Direction.INBOUND).count() == 1
    assert again.transaction.events.count() == events
    assert Shipment.objects.count() == 1

    # Once the remote copy was moved, the same name and bytes are the partner sending it again.
    Interchange.objects.filter(pk=first.pk).update(remote_disposed_at=timezone.now())
    resent = receive_file(config, "945_left.edi", content)
    assert (resent.state, resent.duplicate_of_id) == (InterchangeState.DUPLICATE, first.pk)
    assert Shipment.objects.count() == 1


def test_given_a_945_for_an_order_not_sent_when_received_then_unmatched_until_fixed_and_replayed(
    config, posted_order, operator
):
    order = posted_order("WEB-EARLY")  # posted, but its 940 has not gone out yet
    interchange = receive_file(config, "945_early.edi", file_945([shipping_advice(order)], 551))

    tx = interchange.transaction
    assert (tx.kind, tx.state, tx.last_error_code) == (
        EDI_945_IN,
        TransactionState.FAILED,
        "edi_unmatched",
    )
    assert tx.last_error_message == (
        f"945_early.edi 945 set 0001: W0602 depositor order '{order.erp_reference}' "
        "is no shipping order we sent to demo-3pl"
    )
    assert Shipment.objects.count() == 0
    [ack_out] = outbound_997s(interchange)
    assert the_997(ack_out).status == "A"  # the file itself is sound

    send_shipping_orders(config.partner_id)
    replay_transaction(tx.pk, actor=operator, reason="940 sent now")
    run_transaction(tx.pk, apply_inbound_file)
    assert run_transaction(tx.pk, apply_inbound_file) is None  # a second delivery: nothing

    tx.refresh_from_db()
    assert tx.state == TransactionState.SUCCEEDED
    assert tx.attempts == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shipped_quantities(order) == [2]
    assert Shipment.objects.count() == 1
    assert outbound_997s(interchange) == [ack_out]  # one 997 per group, even on replay


def broken_second_w12(content: bytes) -> bytes:
    """The same file with units shipped (W1203) of the second set's W12 made non-numeric."""
    text = content.decode()
    w12 = next(s for s in segments_of(content) if s.startswith("W12*"))
    second = text.index(w12, text.index(w12) + 1)
    parts = w12.split("*")
    parts[3] = "X2"
    return (text[:second] + "*".join(parts) + text[second + len(w12) :]).encode()


def test_given_a_group_with_a_good_and_a_bad_set_when_received_then_good_applied_bad_rejected(
    config, sent_orders, operator
):
    good, bad = sent_orders("WEB-GOOD", "WEB-BAD")
    content = broken_second_w12(file_945([shipping_advice(good), shipping_advice(bad)], 561))

    interchange = receive_file(config, "945_mixed.edi", content)

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_document")
    assert tx.last_error_message.startswith(
        "945_mixed.edi: interchange 000000561, group 561, 945 set 0002 (ST at segment 12): "
        "segment 17 (W12, #6 in the set), element W1203: "
    )
    assert tx.last_error_message.endswith("'X2' is not a number")
    assert [s.shipping_order.order for s in Shipment.objects.all()] == [good]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (OrderStatus.SHIPPED, OrderStatus.POSTED)
    [ack_out] = outbound_997s(interchange)
    ack = the_997(ack_out)
    assert (ack.status, ack.sets_included, ack.sets_received, ack.sets_accepted) == ("P", 2, 2, 1)
    assert ack.set_acks[0] == SetAck("945", "0001", "A")
    rejected = ack.set_acks[1]
    assert (rejected.set_code, rejected.control_number, rejected.status) == ("945", "0002", "R")
    assert rejected.error_codes == ("5",)
    [note] = rejected.segment_notes
    assert (note.segment_id, note.position) == ("W12", 6)
    assert [(e.position, e.bad_value) for e in note.elements] == [(3, "X2")]
    assert [s for s in segments_of(ack_out.content) if s.startswith("AK")] == [
        "AK1*SW*561",
        "AK2*945*0001",
        "AK5*A",
        "AK2*945*0002",
        "AK3*W12*6**8",
        "AK4*3**6*X2",
        "AK5*R*5",
        "AK9*P*2*2*1",
    ]

    replay_transaction(tx.pk, actor=operator, reason="try again")
    run_transaction(tx.pk, apply_inbound_file)

    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_document")
    assert Shipment.objects.count() == 1  # the good set is not applied twice
    good.refresh_from_db()
    assert shipped_quantities(good) == [2]
    assert outbound_997s(interchange) == [ack_out]


def test_given_a_945_line_that_matches_no_order_line_when_received_then_unmatched_names_it(
    config, sent_orders
):
    [order] = sent_orders("WEB-ODD")
    advice = shipping_advice(order)
    advice.lines[0].line_number = 7
    advice.lines[0].sku = "MAT-999999"

    interchange = receive_file(config, "945_odd.edi", file_945([advice], 571))

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_unmatched")
    assert tx.last_error_message == (
        "945_odd.edi 945 set 0001: W12 line 1 (MAT-999999) matches no line of order WEB-ODD"
    )
    assert Shipment.objects.count() == 0
