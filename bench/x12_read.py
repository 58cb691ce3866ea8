"""Benchmark: read a large file of 945s, the project's reader against pyx12.

Generates (in a temporary folder) a file of about ``--size-mb`` megabytes of
945 shipping advices with the project's own 945 writer -- several
interchanges, one group each, many sets -- then times, on the same file in
the same run:

* project: ``iter_interchanges`` (tokenize + envelope validation, one
  interchange at a time) and ``read_945`` on every set;
* pyx12: iterating ``pyx12.x12file.X12Reader`` segments (its plain reading
  API: tokenizing plus its own envelope checks, no maps).

Each reader runs ``--repeat`` times (default 3) and its best run counts.
Prints absolute MB/s for both (MB = 10**6 bytes, per CPU second of this
process, so that other work on a shared machine does not skew either side)
and the ratio (target >= 5x). Needs no Django; takes about two minutes at
50 MB, most of it in pyx12.
Run: ``.venv/bin/python bench/x12_read.py [--size-mb 50]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.edi import (
    CarrierRouting,
    EdiIdentity,
    Envelope,
    PackageMark,
    Party,
    QualifiedDate,
    Reference,
    ShippingAdvice,
    ShippingAdviceLine,
    iter_interchanges,
    read_945,
    write_945,
)

SETS_PER_INTERCHANGE = 2_000
SHIP_TO = Party(
    "ST", "Pat Doe", address_lines=("1 Main St",), city="Columbus", region="OH",
    postal_code="43004", country="US",
)  # fmt: skip
SHIP_FROM = Party("SF", "Sandbox Warehouse", "92", "WH01")
MEGABYTE = 1_000_000
TARGET_RATIO = 5


def advice(number: int) -> ShippingAdvice:
    """A 945 as a 3PL sends it: ship-to and ship-from, ship date, carrier, BOL, four
    lines with SSCC and tracking number, description and order line number, one short."""
    lines = tuple(
        ShippingAdviceLine.reporting(
            ordered=Decimal(4 + line),
            shipped=Decimal(4 + line - (line == 3)),
            unit="EA",
            upc=f"0{number % 10**10:010d}{line}",
            sku=f"SKU-{number % 997}-{line}",
        )
        for line in range(1, 5)
    )
    for line_number, line in enumerate(lines, start=1):
        line.line_number = line_number
        line.description = f"T-SHIRT BLACK SIZE {line_number}"
        line.package_marks = (  # the carton's SSCC-18 label and the parcel's tracking number
            PackageMark("GM", f"00{number:016d}{line_number}"),
            PackageMark("CP", f"1Z{number:012d}{line_number}"),
        )
    return ShippingAdvice(
        depositor_order_number=f"WEB-{number:08d}",
        shipped_on=date(2026, 11, 23),
        shipment_id=f"BOL{number:09d}",
        purchase_order_number=f"PO{number:08d}",
        carrier=CarrierRouting(scac="UPSN", routing="UPS GROUND", transportation_method="U"),
        parties=(SHIP_TO, SHIP_FROM),
        references=(Reference("BM", f"BOL{number:09d}"),),
        dates=(QualifiedDate("11", date(2026, 11, 23)),),
        lines=lines,
    )


def generate(path: Path, size_mb: float) -> tuple[int, int]:
    """Write interchanges of 945s until ``size_mb``; return (interchanges, sets)."""
    target = size_mb * MEGABYTE
    written = interchanges = sets = 0
    with path.open("wb") as out:
        while written < target:
            interchanges += 1
            envelope = Envelope(
                sender=EdiIdentity("ZZ", "SANDBOX3PL"),
                receiver=EdiIdentity("ZZ", "SYNCPLATFORM"),
                interchange_control_number=interchanges,
                group_control_number=interchanges,
                prepared_at=datetime(2026, 11, 23, 18, 30),
            )
            batch = [advice(sets + k) for k in range(SETS_PER_INTERCHANGE)]
            data = write_945(batch, envelope)
            out.write(data)
            written += len(data)
            sets += len(batch)
    return interchanges, sets


def read_with_project(path: Path) -> int:
    data = path.read_bytes()
    count = 0
    for interchange in iter_interchanges(data):
        for group in interchange.groups:
            for transaction_set in group.transaction_sets:
                read_945(transaction_set)
                count += 1
    return count


def read_with_pyx12(path: Path) -> int:
    from pyx12.x12file import X12Reader

    count = 0
    with X12Reader(str(path)) as reader:
        for segment in reader:
            if segment.get_seg_id() == "ST":
                count += 1
        reader.cleanup()
        errors = reader.pop_errors()
    if errors:
        raise SystemExit(f"pyx12 found errors in the generated file: {errors[:3]}")
    return count


def timed(function, path: Path, repeat: int) -> tuple[float, int]:
    """Best of ``repeat`` runs, in CPU seconds of this process.

    CPU time because on a shared machine wall time measures the neighbours; the
    best run because the first one also pays for growing the heap.
    """
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.process_time()
        count = function(path)
        best = min(best, time.process_time() - started)
    return best, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=50, help="file size (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader, best kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="x12-bench-") as folder:
        path = Path(folder) / "945s.edi"
        interchanges, sets = generate(path, args.size_mb)
        megabytes = path.stat().st_size / MEGABYTE
        print(f"file: {megabytes:.1f} MB, {interchanges} interchanges, {sets} 945 sets")
        project_seconds, project_sets = timed(read_with_project, path, args.repeat)
        pyx12_seconds, pyx12_sets = timed(read_with_pyx12, path, args.repeat)
    if project_sets != sets or pyx12_sets != sets:
        print(f"set counts differ: wrote {sets}, project {project_sets}, pyx12 {pyx12_sets}")
        return 1
    project_rate = megabytes / project_seconds
    pyx12_rate = megabytes / pyx12_seconds
    ratio = project_rate / pyx12_rate
    print(
        f"x12 read: project {project_rate:.1f} MB/s, pyx12 {pyx12_rate:.1f} MB/s, "
        f"ratio {ratio:.1f} x (target >= {TARGET_RATIO}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
