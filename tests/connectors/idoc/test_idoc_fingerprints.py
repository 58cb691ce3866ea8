"""IDoc fingerprints from raw bytes, and reading a package with some IDocs' data segments elided."""

from __future__ import annotations

import pytest

from connectors.idoc.catalog_files import BadRow, generate_matmas, material_number
from connectors.idoc.errors import RefusedRow
from connectors.idoc.fingerprints import (
    ElidedIdoc,
    ElidedRange,
    fingerprint_idocs,
    pieces_with_holes,
)
from connectors.idoc.matmas05 import Material, read_materials

COUNT = 40


def _write(path, **options):
    with path.open("wb") as out:
        generate_matmas(out, COUNT, **{"seed": 1, **options})
    return path


def _span(path) -> tuple[int, int]:
    data = path.read_bytes()
    return data.index(b"<IDOC"), data.rindex(b"</IDOC>") + len(b"</IDOC>")


def _prints(path, context=b"ctx"):
    return fingerprint_idocs(path, *_span(path), context)


def test_each_idoc_has_its_material_number_and_the_digest_of_its_data_segments(tmp_path):
    prints = _prints(_write(tmp_path / "a.xml"))

    assert [p.position for p in prints] == list(range(1, COUNT + 1))
    assert [p.key for p in prints] == [material_number(n) for n in range(1, COUNT + 1)]
    assert len({p.digest for p in prints}) == COUNT


def test_the_digest_ignores_the_control_record_and_follows_data_and_context(tmp_path):
    base = _prints(_write(tmp_path / "a.xml"))
    renumbered = _prints(_write(tmp_path / "b.xml", first_docnum=1001))
    delta_file = tmp_path / "c.xml"
    with delta_file.open("wb") as out:
        changed = generate_matmas(out, COUNT, seed=2, base_seed=1, changed_fraction=0.1).changes

    delta = _prints(delta_file)

    assert [p.digest for p in renumbered] == [p.digest for p in base]
    assert {p.position for p, q in zip(base, delta, strict=True) if p.digest != q.digest} == set(
        changed
    )
    assert _prints(tmp_path / "a.xml", b"other units")[0].digest != base[0].digest


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: data.replace(b"</E1MAKTM>", b"</E1MAKTM><!-- note -->", 1),
        lambda data: data.replace(b"<MAKTX>", b"<MAKTX><![CDATA[x]]>", 1),
        lambda data: data.replace(b"</E1MAKTM>", b"</E1MAKTM><?pi x?>", 1),
        lambda data: data.replace(b"</IDOC>", b"", 1),  # an IDOC left open
    ],
)
def test_a_range_that_cannot_be_cut_safely_has_no_fingerprints(tmp_path, spoil):
    path = _write(tmp_path / "a.xml")
    path.write_bytes(spoil(path.read_bytes()))

    assert _prints(path) is None


def test_elided_idocs_are_read_as_such_with_every_other_record_and_line_unchanged(tmp_path):
    # given a file with a refused material after the IDocs that will be elided
    path = _write(tmp_path / "a.xml", bad_rows={30: BadRow.BAD_EAN})
    prints = _prints(path)
    holes = [p for p in prints if p.position in {2, 3, 10, 29}]
    start, end = _span(path)
    size = path.stat().st_size

    # when the file is read with their data segments elided
    pieces = [(0, start), *pieces_with_holes(start, end, holes), (end, size)]
    with ElidedRange(path, pieces) as stream:
        records = list(read_materials(stream, elided={2, 3, 10, 29}))

    # then they are ElidedIdocs, and everything else is what reading all of it gives
    whole = list(read_materials(path))
    assert [r.position for r in records if isinstance(r, ElidedIdoc)] == [2, 3, 10, 29]
    assert [r for r in records if not isinstance(r, ElidedIdoc)] == [
        r for r in whole if r.position not in {2, 3, 10, 29}
    ]
    refused = [r for r in records if isinstance(r, RefusedRow)]
    assert [(r.position, r.line) for r in refused] == [
        (r.position, r.line) for r in whole if isinstance(r, RefusedRow)
    ]
    assert all(isinstance(r, Material) for r in records if r.position == 1)
