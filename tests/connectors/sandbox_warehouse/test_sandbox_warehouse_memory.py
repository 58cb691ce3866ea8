"""What the simulated warehouse remembers: counters, pending shipments, cancellations.

These drive ``run_once`` with a hand-moved clock on files put straight on
disk, so timing is exact; the SFTP path is covered by the flow tests.
"""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from connectors.edi import FunctionalAck, build_997, read_group, read_interchanges, write_997
from connectors.edi.writer import EdiIdentity, Envelope
from connectors.errors import ConfigError
from connectors.sandbox_warehouse import (
    SimulatedWarehouse,
    WarehouseSettings,
    is_short_line,
    prepare_root,
    shipped_quantity,
)


class HandClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def warehouse_at(tmp_path, clock, **settings) -> SimulatedWarehouse:
    return SimulatedWarehouse(
        tmp_path / "root",
        tmp_path / "state",
        WarehouseSettings(ship_delay=5, inventory_every=0, **settings),
        clock=clock,
    )


def inbound_names(tmp_path) -> list[str]:
    return sorted(path.name for path in (tmp_path / "root" / "inbound").iterdir())


def drop(tmp_path, name: str, content: bytes) -> None:
    prepare_root(tmp_path / "root")
    (tmp_path / "root" / "outbound" / name).write_bytes(content)


def test_given_a_restart_when_answering_again_then_control_numbers_continue(
    tmp_path, make_order, make_940
):
    clock = HandClock()
    first = warehouse_at(tmp_path, clock)
    drop(tmp_path, "940_a.edi", make_940([make_order("SO-1")], 51))
    first.run_once()
    clock.now += 5
    first.run_once()

    second = warehouse_at(tmp_path, clock)
    drop(tmp_path, "940_b.edi", make_940([make_order("SO-2")], 52))
    second.run_once()

    assert inbound_names(tmp_path) == [
        "945_000000002.edi",
        "997_000000001.edi",
        "997_000000003.edi",
    ]


def test_given_a_pending_shipment_when_the_warehouse_restarts_then_it_still_ships_on_time(
    tmp_path, make_order, make_940
):
    clock = HandClock()
    drop(tmp_path, "940_a.edi", make_940([make_order("SO-1")], 53))
    warehouse_at(tmp_path, clock).run_once()

    restarted = warehouse_at(tmp_path, clock)
    clock.now += 4.9
    restarted.run_once()
    before_due = inbound_names(tmp_path)
    clock.now += 0.1
    restarted.run_once()

    assert before_due == ["997_000000001.edi"]
    assert inbound_names(tmp_path) == ["945_000000002.edi", "997_000000001.edi"]


def test_given_a_cancellation_before_the_ship_time_when_due_then_the_order_is_not_shipped(
    tmp_path, make_order, make_940
):
    clock = HandClock()
    warehouse = warehouse_at(tmp_path, clock)
    drop(tmp_path, "940_a.edi", make_940([make_order("SO-1"), make_order("SO-2")], 54))
    warehouse.run_once()
    clock.now += 1
    drop(tmp_path, "940_b.edi", make_940([make_order("SO-1", status="F")], 55))
    warehouse.run_once()
    clock.now += 10
    warehouse.run_once()

    names = inbound_names(tmp_path)
    assert names == ["945_000000003.edi", "997_000000001.edi", "997_000000002.edi"]
    advice_file = tmp_path / "root" / "inbound" / "945_000000003.edi"
    (interchange,) = read_interchanges(advice_file.read_bytes())
    shipped = [
        result.document.depositor_order_number for result in read_group(interchange.groups[0])
    ]
    assert shipped == ["SO-2"]


def test_given_a_997_from_the_platform_when_read_then_it_is_filed_and_not_answered(
    tmp_path, make_order, make_940
):
    clock = HandClock()
    warehouse = warehouse_at(tmp_path, clock)
    (our_945_group,) = read_interchanges(make_940([make_order()], 56))[0].groups
    platform = EdiIdentity("ZZ", "SYNCPLATFORM")
    ack = write_997(
        build_997(our_945_group, read_group(our_945_group)),
        Envelope(platform, EdiIdentity("ZZ", "SANDBOX3PL"), 57, 57, datetime(2026, 11, 23, 11, 0)),
    )
    drop(tmp_path, "997_000000057.edi", ack)

    warehouse.run_once()
    clock.now += 10
    warehouse.run_once()

    assert inbound_names(tmp_path) == []
    assert (tmp_path / "root" / "outbound" / "processed" / "997_000000057.edi").exists()
    assert isinstance(read_group(read_interchanges(ack)[0].groups[0])[0].document, FunctionalAck)


def test_given_an_order_number_when_short_lines_are_picked_then_the_pick_is_repeatable():
    keys = range(1, 2001)

    picked = [is_short_line("SO-77", key, 0.2) for key in keys]

    assert picked == [is_short_line("SO-77", key, 0.2) for key in keys]
    assert 0.17 < sum(picked) / len(picked) < 0.23
    assert not any(is_short_line("SO-77", key, 0.0) for key in keys)
    assert all(is_short_line("SO-77", key, 1.0) for key in keys)
    assert picked != [is_short_line("SO-78", key, 0.2) for key in keys]


def test_given_a_short_line_when_its_quantity_is_computed_then_one_unit_less_never_below_zero():
    assert shipped_quantity("SO-1", 1, Decimal("3"), 1.0) == Decimal(2)
    assert shipped_quantity("SO-1", 1, Decimal("0.5"), 1.0) == Decimal(0)
    assert shipped_quantity("SO-1", 1, Decimal("3"), 0.0) == Decimal(3)


def test_given_the_settings_when_a_share_is_out_of_range_then_they_are_refused():
    with pytest.raises(ConfigError):
        WarehouseSettings(short_share=1.5)
    with pytest.raises(ConfigError):
        replace(WarehouseSettings(), ship_delay=-1)
