"""receive_file with a broken envelope: failed naming file, segment and element; maybe a 997."""

import pytest

from connectors.edi.ack997 import SetAck, read_997
from connectors.edi.envelope import read_interchanges
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.runner import run_transaction
from syncplatform.audit.services import replay_transaction
from syncplatform.fulfillment.choices import EDI_945_IN, EDI_FILE_IN, InterchangeState
from syncplatform.fulfillment.models import Interchange, Shipment
from syncplatform.fulfillment.services import apply_inbound_file, receive_file
from syncplatform.orders.choices import OrderStatus
from tests.fulfillment.fulfillment_files import (
    file_945,
    outbound_997s,
    segments_of,
    shipping_advice,
)


def broken(content: bytes, segment: str, replacement: str) -> bytes:
    text = content.decode()
    assert text.count(segment + "~") == 1, f"{segment} is not unique in the file"
    return text.replace(segment + "~", replacement + "~").encode()


def the_997(outbound):
    [parsed] = read_interchanges(bytes(outbound.content))
    return read_997(parsed.groups[0].transaction_sets[0])


def test_given_a_wrong_se01_when_received_then_failed_naming_it_and_the_group_is_rejected(
    config, sent_orders, operator
):
    [order] = sent_orders("WEB-SE01")
    content = broken(file_945([shipping_advice(order)], 601), "SE*9*0001", "SE*8*0001")

    interchange = receive_file(config, "945_se01.edi", content)

    tx = interchange.transaction
    assert (tx.kind, tx.state, tx.last_error_code) == (
        EDI_945_IN,
        TransactionState.FAILED,
        "edi_envelope",
    )
    assert tx.last_error_message == (
        "945_se01.edi: interchange 000000601, segment 11 (SE), element SE01: "
        "count 8 does not match the 9 segments from ST to SE"
    )
    assert interchange.state == InterchangeState.FAILED
    assert Shipment.objects.count() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.POSTED
    [rejection] = outbound_997s(interchange)
    assert rejection.acknowledged_group == "601"
    ack = the_997(rejection)
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("SW", "601", "R")
    assert (ack.sets_included, ack.sets_received, ack.sets_accepted) == (1, 1, 0)
    assert ack.set_acks == (SetAck("945", "0001", "R", ("4",)),)  # AK5 4: segment count
    assert ack.error_codes == ()

    replay_transaction(tx.pk, actor=operator, reason="check again")
    run_transaction(tx.pk, apply_inbound_file)

    tx.refresh_from_db()
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_envelope")
    assert outbound_997s(interchange) == [rejection]  # still one 997 for the group


def test_given_a_wrong_se02_in_the_second_set_then_that_set_gets_ak5_3_and_the_first_ak5_5(
    config, sent_orders
):
    first, second = sent_orders("WEB-S1", "WEB-S2")
    content = broken(
        file_945([shipping_advice(first), shipping_advice(second)], 611), "SE*9*0002", "SE*9*0003"
    )

    interchange = receive_file(config, "945_se02.edi", content)

    tx = interchange.transaction
    assert tx.last_error_code == "edi_envelope"
    assert tx.last_error_message.startswith(
        "945_se02.edi: interchange 000000611, segment 20 (SE), element SE02: "
    )
    assert Shipment.objects.count() == 0  # nothing of a broken file is applied
    ack = the_997(outbound_997s(interchange)[0])
    assert ack.status == "R"
    assert ack.set_acks == (
        SetAck("945", "0001", "R", ("5",)),
        SetAck("945", "0002", "R", ("3",)),  # AK5 3: control number mismatch
    )


def test_given_a_ge02_mismatch_when_received_then_failed_naming_ge02_and_ak9_says_4(
    config, sent_orders
):
    [order] = sent_orders("WEB-GE02")
    content = broken(file_945([shipping_advice(order)], 621), "GE*1*621", "GE*1*622")

    interchange = receive_file(config, "945_ge02.edi", content)

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_envelope")
    assert tx.last_error_message == (
        "945_ge02.edi: interchange 000000621, segment 12 (GE), element GE02: "
        "control number 622 does not match GS06 621"
    )
    [rejection] = outbound_997s(interchange)
    ack = the_997(rejection)
    assert (ack.group_control_number, ack.status, ack.error_codes) == ("621", "R", ("4",))
    assert ack.set_acks == (SetAck("945", "0001", "R", ("5",)),)
    assert [s for s in segments_of(rejection.content) if s.startswith("AK9")] == ["AK9*R*1*1*0*4"]


@pytest.mark.parametrize("content", [b"this is not an X12 file at all\n", b"", b"\x00\xff\xfe"])
def test_given_garbage_bytes_when_received_then_failed_naming_the_file_and_no_997(config, content):
    interchange = receive_file(config, "junk.txt", content)

    tx = interchange.transaction
    assert (tx.kind, tx.state, tx.last_error_code) == (
        EDI_FILE_IN,
        TransactionState.FAILED,
        "edi_envelope",
    )
    assert tx.last_error_message.startswith("junk.txt: interchange 1, segment 1 (ISA): no ISA")
    assert interchange.state == InterchangeState.FAILED
    assert interchange.isa_control_number == ""
    assert outbound_997s(interchange) == []
    assert not Interchange.objects.filter(set_types=["997"]).exists()


def test_given_a_file_with_an_isa_but_no_readable_gs_when_received_then_no_997(config):
    content = (
        b"ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
        b"00401*000000631*0*P*>~ST*945*0001~W06*F*SP-1*20261124~SE*3*0001~IEA*1*000000631~"
    )

    interchange = receive_file(config, "945_nogs.edi", content)

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_envelope")
    assert tx.last_error_message.startswith("945_nogs.edi: interchange 000000631, segment 2 (ST)")
    assert outbound_997s(interchange) == []
