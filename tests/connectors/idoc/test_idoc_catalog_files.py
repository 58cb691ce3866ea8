"""Generated catalog files: realistic segments, deterministic, exact deltas, bad rows on demand."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from connectors.idoc import iter_idocs
from connectors.idoc.catalog_files import (
    BadRow,
    Change,
    ean13,
    generate_conda04,
    generate_matmas,
    material_number,
    pick_changes,
)
from connectors.idoc.cond_a04 import Price, read_prices
from connectors.idoc.errors import RefusedRow
from connectors.idoc.matmas05 import Material, read_materials
from tests.connectors.idoc.builders import REPO_ROOT

COUNT = 300
NO_LIMIT = 1 << 40


def matmas(count: int = COUNT, **options) -> tuple[bytes, object]:
    out = io.BytesIO()
    result = generate_matmas(out, count, **{"seed": 1, **options})
    return out.getvalue(), result


def conda04(count: int = COUNT, **options) -> tuple[bytes, object]:
    out = io.BytesIO()
    result = generate_conda04(out, count, **{"seed": 1, **options})
    return out.getvalue(), result


@pytest.fixture(scope="module")
def base():
    return matmas()[0]


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_materials(base):
    again, _ = matmas()
    other, _ = matmas(seed=2)

    assert again == base
    assert other != base
    assert [m.number for m in read_materials(other)] == [m.number for m in read_materials(base)]


def test_every_segment_a_matmas05_carries_is_there_in_realistic_numbers(base):
    # when
    idocs = list(iter_idocs(base, max_bytes=NO_LIMIT))
    # then
    assert len(idocs) == COUNT
    assert [idoc.control.docnum for idoc in idocs[:2]] == ["0000000000000001", "0000000000000002"]
    for idoc in idocs:
        control = idoc.control
        assert (control.idoc_type, control.message_type, control.direction) == (
            "MATMAS05",
            "MATMAS",
            "1",
        )
        assert (control.sender_partner, control.client, control.status) == (
            "ERPCLNT100",
            "100",
            "30",
        )
        (maram,) = idoc.segments
        assert maram.name == "E1MARAM"
        usual = {"MSGFN", "MATNR", "ERSDA", "MTART", "MBRSH", "MATKL", "MEINS", "BRGEW", "GEWEI"}
        assert usual <= set(maram.fields)
        counts = Counter(child.name for child in maram.children)
        assert 2 <= counts["E1MAKTM"] <= 3
        assert 2 <= counts["E1MARMM"] <= 3  # the base unit and 1-2 alternative units
        assert 1 <= counts["E1MVKEM"] <= 3
        assert 1 <= counts["E1MARCM"] <= 3
        for unit in maram.each("E1MARMM"):
            assert {"MEINH", "UMREZ", "UMREN", "EAN11"} <= set(unit.fields)
            assert unit.each("E1MEANM")[0].fields["HPEAN"] == "X"
        assert {"VKORG", "VTWEG", "DWERK"} <= set(maram.each("E1MVKEM")[0].fields)
        assert {"WERKS", "EKGRP", "DISMM"} <= set(maram.each("E1MARCM")[0].fields)
    # and the spread covers each case at least once
    shapes = Counter(
        (len(idoc.segments[0].each("E1MAKTM")), len(idoc.segments[0].each("E1MVKEM")))
        for idoc in idocs
    )
    assert {languages for languages, _ in shapes} == {2, 3}
    assert {areas for _, areas in shapes} == {1, 2, 3}


def test_every_generated_material_is_accepted_with_valid_eans(base):
    materials = list(read_materials(base))

    assert all(isinstance(m, Material) for m in materials)
    assert [m.number for m in materials[:2]] == [material_number(1), material_number(2)]
    assert materials[0].number == "000000000010000001"
    eans = [ean for m in materials for unit in m.units for ean in unit.eans]
    assert len(eans) == len(set(eans)) > 2 * COUNT
    assert all(unit.main_ean == unit.eans[0] for m in materials for unit in m.units)
    assert {m.base_unit for m in materials} == {"EA"}


def test_a_delta_changes_exactly_the_chosen_materials_and_says_how(base):
    # given
    delta, result = matmas(seed=7, base_seed=1, changed_fraction=0.1)
    # when
    before = {m.number: m for m in read_materials(base)}
    after = {m.number: m for m in read_materials(delta)}
    # then
    changed = {
        position
        for position in range(1, COUNT + 1)
        if before[material_number(position)].content_hash()
        != after[material_number(position)].content_hash()
    }
    assert len(result.changes) == 30
    assert changed == set(result.changes)
    assert result.changes == pick_changes(COUNT, 0.1, 7)
    assert set(Counter(result.changes.values())) == set(Change)
    for position, kind in result.changes.items():
        old, new = before[material_number(position)], after[material_number(position)]
        if kind is Change.DESCRIPTION:
            assert new.descriptions != old.descriptions and new.units == old.units
        elif kind is Change.EAN:
            assert new.units[0].main_ean != old.units[0].main_ean
            assert new.descriptions == old.descriptions
        else:
            assert new.deleted and not old.deleted


def test_the_price_delta_changes_the_prices_of_the_same_materials():
    base_prices, _ = conda04()
    delta_prices, result = conda04(seed=7, base_seed=1, changed_fraction=0.1)
    before = list(read_prices(base_prices))
    after = list(read_prices(delta_prices))

    assert all(isinstance(price, Price) for price in before)
    assert [p.material for p in after] == [p.material for p in before]
    changed = {p.material for p, q in zip(before, after, strict=True) if p != q}
    assert changed == {material_number(position) for position in result.changes}
    for old, new in zip(before, after, strict=True):
        kind = result.changes.get(int(old.material) - 10_000_000)
        if kind is Change.DELETED:
            assert new.deleted and new.amount == old.amount
        elif kind is not None:
            assert new.amount == old.amount + Decimal(1)
    assert {p.currency for p in before} == {"EUR", "USD"}
    assert {(p.sales_org, p.distribution_channel) for p in before} == {
        ("1000", "10"),
        ("1000", "20"),
        ("2000", "10"),
    }


@pytest.mark.parametrize(
    ("bad", "segment", "field", "reason"),
    [
        (BadRow.MISSING_MATNR, "E1MARAM", "MATNR", "MATNR is empty"),
        (BadRow.BAD_EAN, "E1MARAM", "EAN11", "EAN11 2000000000504: check digit should be 3"),
        (BadRow.BAD_DATE, "E1MVKEM", "VMSTD", "VMSTD '20251301' is not a date YYYYMMDD"),
    ],
)
def test_a_spoiled_material_is_refused_for_its_reason(bad, segment, field, reason):
    data, result = matmas(20, bad_rows={5: bad})

    rows = list(read_materials(data))

    assert result.bad_rows == {5: bad}
    refused = [row for row in rows if isinstance(row, RefusedRow)]
    assert [(r.position, r.segment, r.field, r.reason) for r in refused] == [
        (5, segment, field, reason)
    ]
    assert ean13(20, 5, 0) == "2000000000503"  # the good one
    assert len(rows) == 20


def test_an_unknown_unit_is_left_for_the_catalog_to_refuse():
    data, _ = matmas(20, bad_rows={4: BadRow.UNKNOWN_UNIT})

    rows = list(read_materials(data))

    assert all(isinstance(row, Material) for row in rows)
    assert rows[3].units[1].unit == "ZZ9"
    assert all(unit.unit != "ZZ9" for row in rows if row.position != 4 for unit in row.units)


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (BadRow.MISSING_CURRENCY, "KONWA", "KONWA is empty"),
        (BadRow.BAD_DATE, "DATAB", "DATAB '20251301' is not a date YYYYMMDD"),
        (BadRow.MISSING_MATNR, "MATNR", "MATNR is empty"),
    ],
)
def test_a_spoiled_price_is_refused_for_its_reason(bad, field, reason):
    data, _ = conda04(20, bad_rows={5: bad})

    rows = list(read_prices(data))

    refused = [row for row in rows if isinstance(row, RefusedRow)]
    assert [(r.field, r.reason) for r in refused] == [(field, reason)]
    first_of_material_5 = next(
        index
        for index, row in enumerate(rows)
        if row is refused[0] or (isinstance(row, Price) and row.material == material_number(5))
    )
    assert rows[first_of_material_5] is refused[0]


def test_a_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match=r"changed_fraction 1\.5 is not between 0 and 1"):
        matmas(10, changed_fraction=1.5)


def test_the_command_writes_the_file_and_lists_the_changes(tmp_path):
    out = tmp_path / "delta.xml"

    result = subprocess.run(
        [sys.executable, "-m", "connectors.idoc", "generate-matmas", "--count", "50",
         "--seed", "3", "--base-seed", "1", "--changed-fraction", "0.1",
         "--bad", "2:bad_ean", "--list-changes", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False,
    )  # fmt: skip

    changes = pick_changes(50, 0.1, 3)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{out}: 50 MATMAS05 IDocs for 50 materials, 5 changed, 1 spoiled",
        *(f"{position},{kind}" for position, kind in changes.items()),
    ]
    expected, _ = matmas(
        50, seed=3, base_seed=1, changed_fraction=0.1, bad_rows={2: BadRow.BAD_EAN}
    )
    assert out.read_bytes() == expected


def test_the_command_refuses_an_unknown_bad_row_kind(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "connectors.idoc", "generate-conda04", "--count", "5",
         "--bad", "2:nope", str(tmp_path / "x.xml")],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "'2:nope' is not POSITION:KIND with KIND one of missing_matnr" in result.stderr
    assert not (tmp_path / "x.xml").exists()
