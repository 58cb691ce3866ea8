"""Streaming holds one IDoc at a time: 20,000 invoices written and read in bounded memory.

``tracemalloc`` sees what Python allocates (the dataclasses, lxml's element
proxies) but not libxml2's own tree, which is C memory. So the second test
writes and reads packages in child processes and compares their peak RSS
for 2,000 and 20,000 invoices: a writer that buffered the package, or a
reader whose tree is not cleared as it goes, would grow with it.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from dataclasses import replace
from decimal import Decimal

from connectors.idoc import (
    Amount,
    DocumentReference,
    Invoice,
    InvoiceItem,
    InvoiceTotal,
    format_docnum,
    read_package,
    write_invoic02,
)
from tests.connectors.idoc.builders import REPO_ROOT, make_control

INVOICES = 20_000
MB = 1024 * 1024


def invoices(count: int, base: Invoice):
    for number in range(1, count + 1):
        control = replace(base.control, docnum=format_docnum(number))
        yield replace(base, control=control, invoice_number=f"{90_000_000 + number:010d}")


def small_invoice() -> Invoice:
    """An invoice with the few segments an intake needs (keeps tracemalloc's run short)."""
    return Invoice(
        control=make_control("INVOIC02", "INVOIC", direction="1"),
        invoice_number="0090000000",
        currency="USD",
        references=(DocumentReference("002", "0000012345"),),
        items=(
            InvoiceItem("000010", Decimal(2), "EA", amounts=(Amount("003", Decimal("39.98")),)),
        ),
        totals=(InvoiceTotal("011", Decimal("43.18"), "USD"),),
    )


def test_given_20000_invoices_when_streamed_then_python_memory_stays_bounded(tmp_path):
    path = tmp_path / "invoices.xml"
    with path.open("wb") as out:
        write_invoic02(invoices(INVOICES, small_invoice()), out)
    count, total = 0, Decimal(0)

    tracemalloc.start()
    try:
        for invoice in read_package(path):
            count += 1
            total += invoice.total_due
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (count, total) == (INVOICES, Decimal("43.18") * INVOICES)
    assert path.stat().st_size > 10 * MB
    assert peak < 1 * MB


CHILD = """
import resource, sys
from connectors.idoc import read_package, write_invoic02
from tests.connectors.idoc.builders import make_invoice
from tests.connectors.idoc.test_idoc_memory import invoices
action, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if action == "write":
    with open(path, "wb") as out:
        done = write_invoic02(invoices(count, make_invoice()), out)
else:
    done = sum(1 for _ in read_package(path, max_bytes=10**9))
print(done, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(action: str, path, count: int) -> int:
    """Peak RSS in bytes of a fresh process writing or reading ``count`` invoices at ``path``."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, action, str(path), str(count)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
        check=True,
    )
    done, kilobytes = result.stdout.split()
    assert int(done) == count
    return int(kilobytes) * 1024


def test_given_a_ten_times_larger_package_then_peak_rss_writing_and_reading_stays_the_same(
    tmp_path,
):
    paths = {count: tmp_path / f"invoices_{count}.xml" for count in (INVOICES // 10, INVOICES)}
    writing = {count: peak_rss("write", path, count) for count, path in paths.items()}
    reading = {count: peak_rss("read", path, count) for count, path in paths.items()}

    assert paths[INVOICES].stat().st_size > 30 * MB
    # a package held whole would add its size (writing) or hundreds of MB of tree (reading)
    for peaks in (writing, reading):
        growth = peaks[INVOICES] - peaks[INVOICES // 10]
        assert growth < 16 * MB, {count: peak // MB for count, peak in peaks.items()}
