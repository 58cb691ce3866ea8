"""The simulated 3PL over real SFTP: 940s in, 997 + 945 (and 846s) out."""

import time
from datetime import UTC, datetime
from decimal import Decimal

from connectors.edi import (
    FunctionalAck,
    InventoryAdvice,
    ShippingAdvice,
    ShippingOrderLine,
    read_group,
    read_interchanges,
)
from connectors.sandbox_warehouse import StockedProduct, shipped_quantity
from connectors.sftp import RemoteFolder, SftpClient

OUTBOUND, INBOUND = RemoteFolder.OUTBOUND, RemoteFolder.INBOUND


def documents(content: bytes) -> list:
    """Every document of a file, read with connectors/edi; fails on any rejected set."""
    found = []
    for interchange in read_interchanges(content):
        for group in interchange.groups:
            for result in read_group(group):
                assert result.is_accepted, result.error
                found.append(result.document)
    return found


def fetch_only(client, wait_for_files, pattern: str) -> tuple[str, bytes]:
    (remote,) = wait_for_files(client, INBOUND, pattern)
    return remote.name, client.fetch(INBOUND, remote.name)


def test_given_a_940_when_put_then_a_997_accepts_its_group_and_a_945_ships_every_line_in_full(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse()
    order = make_order("SO-1001")

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000041.edi", make_940([order], control_number=41))
        ack_name, ack_file = fetch_only(client, wait_for_files, "997_*.edi")
        advice_name, advice_file = fetch_only(client, wait_for_files, "945_*.edi")

    (ack,) = documents(ack_file)
    assert isinstance(ack, FunctionalAck)
    assert (ack.functional_id, ack.group_control_number, ack.status) == ("OW", "41", "A")
    assert [(s.set_code, s.status) for s in ack.set_acks] == [("940", "A")]
    (advice,) = documents(advice_file)
    assert isinstance(advice, ShippingAdvice)
    assert advice.depositor_order_number == "SO-1001"
    assert advice.purchase_order_number == "WEB-SO-1001"
    assert advice.shipped_on == datetime.now(UTC).date()
    assert advice.carrier.scac == "UPSN"  # the 940's W66 carrier
    assert advice.party("ST").city == "Columbus"
    lines = advice.lines
    assert [(line.line_number, line.sku_qualifier, line.sku, line.upc, line.unit) for line in lines
            ] == [(1, "VN", "MAT-100200", "", "EA"), (2, "SK", "", "012345678905", "EA"),
                  (4, "VN", "MAT-300500", "", "PK")]  # fmt: skip
    assert [(line.quantity_ordered, line.quantity_shipped, line.status) for line in lines] == [
        (Decimal(2), Decimal(2), "CC"),
        (Decimal(1), Decimal(1), "CC"),
        (Decimal(3), Decimal(3), "CC"),
    ]
    tracking = {line.tracking_numbers for line in advice.lines}
    assert len(tracking) == 1 and all(tracking.pop())
    assert ack_name.startswith("997_") and advice_name.startswith("945_")
    assert sorted(path.name for path in sandbox.folder(OUTBOUND).iterdir()) == ["processed"]
    assert (sandbox.folder(OUTBOUND) / "processed" / "940_000000041.edi").exists()


def test_given_a_940_when_answered_then_replies_go_back_from_the_addressed_identities(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse()

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000042.edi", make_940([make_order()], 42, usage="T"))
        _, ack_file = fetch_only(client, wait_for_files, "997_*.edi")
        _, advice_file = fetch_only(client, wait_for_files, "945_*.edi")

    for content in (ack_file, advice_file):
        (interchange,) = read_interchanges(content)
        (group,) = interchange.groups
        assert (interchange.sender_qualifier, interchange.sender_id) == ("ZZ", "SANDBOX3PL")
        assert (interchange.receiver_qualifier, interchange.receiver_id) == ("ZZ", "SYNCPLATFORM")
        assert (group.application_sender, group.application_receiver) == ("SBX3PLAPP", "SYNCAPP")
        assert interchange.is_test is True
        assert group.version == "004010"
    numbers = {read_interchanges(content)[0].control_number for content in (ack_file, advice_file)}
    assert len(numbers) == 2


def test_given_a_long_ship_delay_when_the_997_is_there_then_the_945_is_not_yet(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse(ship_delay=30)

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000043.edi", make_940([make_order()], 43))
        wait_for_files(client, INBOUND, "997_*.edi")
        time.sleep(0.3)
        advices = client.list_ready(INBOUND, "945_*.edi")

    assert advices == []


def test_given_a_short_share_of_one_when_shipped_then_every_line_ships_one_unit_short(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse(short_share=1.0)

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000044.edi", make_940([make_order("SO-2001")], 44))
        _, advice_file = fetch_only(client, wait_for_files, "945_*.edi")

    (advice,) = documents(advice_file)
    assert [
        (line.quantity_ordered, line.quantity_shipped, line.quantity_difference, line.status)
        for line in advice.lines
    ] == [
        (Decimal(2), Decimal(1), Decimal(1), "CP"),
        (Decimal(1), Decimal(0), Decimal(1), "CP"),
        (Decimal(3), Decimal(2), Decimal(1), "CP"),
    ]


def test_given_a_partial_short_share_when_shipped_then_the_945_matches_the_prediction(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse(short_share=0.5)
    lines = tuple(
        ShippingOrderLine(Decimal(5), "EA", sku=f"MAT-{n}", sku_qualifier="VN", line_number=n)
        for n in range(1, 13)
    )
    order = make_order("SO-3001", lines=lines)

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000045.edi", make_940([order], 45))
        _, advice_file = fetch_only(client, wait_for_files, "945_*.edi")

    (advice,) = documents(advice_file)
    expected = [shipped_quantity("SO-3001", n, Decimal(5), 0.5) for n in range(1, 13)]
    assert [line.quantity_shipped for line in advice.lines] == expected
    assert Decimal(4) in expected and Decimal(5) in expected  # this order mixes both


def test_given_a_schedule_when_it_comes_round_then_an_846_lists_seen_and_seed_products(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse(
        short_share=1.0,
        inventory_every=0.4,
        seed_products=(StockedProduct(sku="MAT-999999", sku_qualifier="VN", unit="EA"),),
    )

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000046.edi", make_940([make_order("SO-4001")], 46))
        wait_for_files(client, INBOUND, "945_*.edi")
        time.sleep(0.5)  # one more inventory period, after the shipment
        reports = wait_for_files(client, INBOUND, "846_*.edi")
        content = client.fetch(INBOUND, reports[-1].name)

    (inventory,) = documents(content)
    assert isinstance(inventory, InventoryAdvice)
    assert inventory.warehouse.role == "WH"
    on_hand = {(item.sku, item.upc): item.quantity("33") for item in inventory.items}
    assert on_hand == {
        ("MAT-100200", ""): Decimal(99),  # 100 to start, 1 of 2 shipped (short share 1.0)
        ("", "012345678905"): Decimal(100),  # 0 of 1 shipped
        ("MAT-300500", ""): Decimal(98),
        ("MAT-999999", ""): Decimal(100),  # seed, never ordered
    }


def test_given_a_group_with_a_bad_set_when_answered_then_the_997_rejects_it_and_only_the_good_ships(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse()
    nameless = make_order("SO-5002", lines=(ShippingOrderLine(Decimal(1), "EA"),))

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000047.edi", make_940([make_order("SO-5001"), nameless], 47))
        _, ack_file = fetch_only(client, wait_for_files, "997_*.edi")
        _, advice_file = fetch_only(client, wait_for_files, "945_*.edi")

    (ack,) = documents(ack_file)
    assert ack.status == "P"
    assert (ack.sets_received, ack.sets_accepted) == (2, 1)
    accepted, rejected = ack.set_acks
    assert (accepted.status, rejected.status) == ("A", "R")
    assert rejected.segment_notes[0].segment_id == "W01"
    assert [advice.depositor_order_number for advice in documents(advice_file)] == ["SO-5001"]


def test_given_an_unreadable_file_when_put_then_it_is_rejected_without_a_reply(
    sandbox, start_warehouse
):
    warehouse = start_warehouse()

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_garbage.edi", b"this is not X12 at all")
    deadline = time.monotonic() + 5
    rejected = sandbox.folder(OUTBOUND) / "rejected" / "940_garbage.edi"
    while not rejected.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    warehouse.stop()

    assert rejected.read_bytes() == b"this is not X12 at all"
    assert list(sandbox.folder(INBOUND).iterdir()) == []


def test_given_the_same_interchange_twice_when_put_then_it_is_answered_and_shipped_once(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse()
    content = make_940([make_order("SO-6001")], 48)

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000048.edi", content)
        wait_for_files(client, INBOUND, "945_*.edi")
        client.put(OUTBOUND, "940_000000048.edi", content)  # a retried upload
        deadline = time.monotonic() + 5
        while (sandbox.folder(OUTBOUND) / "940_000000048.edi").exists():
            assert time.monotonic() < deadline, "the resent file was never read"
            time.sleep(0.05)
        time.sleep(0.4)  # past the ship delay
        names = sorted(remote.name[:3] for remote in client.list_ready(INBOUND))

    assert names == ["945", "997"]
    processed = sorted(p.name for p in (sandbox.folder(OUTBOUND) / "processed").iterdir())
    assert processed == ["940_000000048.edi", "940_000000048.edi.2"]


def test_given_a_broken_envelope_with_readable_headers_when_put_then_a_997_rejects_the_group(
    sandbox, start_warehouse, make_order, make_940, wait_for_files
):
    start_warehouse()
    content = make_940([make_order("SO-7001")], 49)
    se_count = content.split(b"\nSE*")[1].split(b"*")[0]
    broken = content.replace(b"\nSE*" + se_count + b"*", b"\nSE*99*")

    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_000000049.edi", broken)
        _, ack_file = fetch_only(client, wait_for_files, "997_*.edi")
        time.sleep(0.4)  # past the ship delay
        advices = client.list_ready(INBOUND, "945_*.edi")

    (ack,) = documents(ack_file)
    assert (ack.group_control_number, ack.status, ack.sets_accepted) == ("49", "R", 0)
    assert [(s.set_code, s.status) for s in ack.set_acks] == [("940", "R")]
    (interchange,) = read_interchanges(ack_file)
    assert (interchange.sender_id, interchange.receiver_id) == ("SANDBOX3PL", "SYNCPLATFORM")
    assert advices == []
    assert (sandbox.folder(OUTBOUND) / "rejected" / "940_000000049.edi").read_bytes() == broken
