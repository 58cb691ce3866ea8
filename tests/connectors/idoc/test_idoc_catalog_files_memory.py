"""Catalog files stream both ways: generating and reading hold one IDoc, whatever the count.

``tracemalloc`` sees what Python allocates (the records, lxml's element
proxies), not libxml2's tree, which is C memory: so the reading test also
runs the reader in child processes and compares their peak RSS for 2,000
and 20,000 materials.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import pytest

from connectors.idoc.catalog_files import generate_matmas
from connectors.idoc.matmas05 import Material, read_materials
from tests.connectors.idoc.builders import REPO_ROOT

MATERIALS = 20_000
MB = 1024 * 1024


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    path = tmp_path_factory.mktemp("memory") / "large.xml"
    with path.open("wb") as out:
        generate_matmas(out, MATERIALS, seed=1)
    return path


def test_generating_materials_holds_one_at_a_time(tmp_path):
    path = tmp_path / "matmas.xml"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            result = generate_matmas(out, 5_000, seed=1, changed_fraction=0.01)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.idocs == 5_000
    assert path.stat().st_size > 10 * MB  # ~3 KB a material: the file is far larger than the peak
    assert peak < 2 * MB  # one material and a write buffer of 100 IDocs


def test_reading_20000_materials_holds_one_at_a_time(large):
    path = large
    tracemalloc.start()
    try:
        count = sum(isinstance(row, Material) for row in read_materials(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == MATERIALS
    assert peak < 1 * MB


READ_AND_REPORT_RSS = """
import resource, sys
from connectors.idoc.matmas05 import read_materials
count = sum(1 for _ in read_materials(sys.argv[1]))
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_the_reader_process_does_not_grow_with_the_file(tmp_path, large):
    small = tmp_path / "small.xml"
    with small.open("wb") as out:
        generate_matmas(out, 2_000, seed=1)

    def peak_kb(path) -> int:
        result = subprocess.run(
            [sys.executable, "-c", READ_AND_REPORT_RSS, str(path)],
            capture_output=True, text=True, cwd=REPO_ROOT, timeout=600, check=True,
        )  # fmt: skip
        count, rss = result.stdout.split()
        assert int(count) in (2_000, MATERIALS)
        return int(rss)

    # a reader that kept its tree would hold ~60 MB more for the large file
    assert peak_kb(large) < peak_kb(small) + 8 * 1024
