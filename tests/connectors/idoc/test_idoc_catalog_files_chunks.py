"""A catalog file cut into chunks reads, chunk by chunk, exactly as the whole file does."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from connectors.idoc import MalformedXmlError, UnsafeXmlError
from connectors.idoc.catalog_files import BadRow, generate_conda04, generate_matmas
from connectors.idoc.chunks import plan_chunks
from connectors.idoc.cond_a04 import read_prices
from connectors.idoc.matmas05 import read_materials

COUNT = 400


@pytest.fixture(scope="module")
def matmas_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("chunks") / "matmas.xml"
    with path.open("wb") as out:
        generate_matmas(out, COUNT, seed=1, bad_rows={150: BadRow.BAD_EAN, 333: BadRow.BAD_DATE})
    return path


def read_in_chunks(read, path, chunk_bytes):
    return [row for chunk in plan_chunks(path, chunk_bytes) for row in read(path, chunk=chunk)]


def test_the_chunks_cover_every_idoc_once_in_order(matmas_path):
    chunks = plan_chunks(matmas_path, 64 * 1024)

    assert len(chunks) > 10
    assert chunks[0].start == 0 and chunks[-1].end == matmas_path.stat().st_size
    assert all(a.end == b.start for a, b in pairwise(chunks))
    assert sum(chunk.idocs for chunk in chunks) == COUNT
    assert [c.first_position for c in chunks[1:]] == [
        sum(c.idocs for c in chunks[:n]) + 1 for n in range(1, len(chunks))
    ]
    assert [c.is_last for c in chunks] == [False] * (len(chunks) - 1) + [True]


def test_materials_read_in_chunks_equal_the_whole_file_refusals_and_lines_included(matmas_path):
    whole = list(read_materials(matmas_path))

    chunked = read_in_chunks(read_materials, matmas_path, 64 * 1024)

    assert chunked == whole
    refused = [row for row in chunked if not hasattr(row, "number")]
    assert [(row.position, row.field) for row in refused] == [(150, "EAN11"), (333, "VMSTD")]
    assert all(row.line > 1000 for row in refused)


def test_prices_read_in_chunks_equal_the_whole_file(tmp_path):
    path = tmp_path / "cond.xml"
    with path.open("wb") as out:
        generate_conda04(out, COUNT, seed=2, bad_rows={200: BadRow.MISSING_CURRENCY})

    assert read_in_chunks(read_prices, path, 32 * 1024) == list(read_prices(path))


def test_an_error_in_a_later_chunk_names_the_files_line_and_column(matmas_path, tmp_path):
    data = matmas_path.read_bytes()
    at = data.index(b"<MATKL>", len(data) * 3 // 4)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(data[:at] + b"<MATKL>x</MATKX>" + data[at + len(b"<MATKL>") :])
    with pytest.raises(MalformedXmlError) as whole:
        list(read_materials(broken))

    with pytest.raises(MalformedXmlError) as chunked:
        read_in_chunks(read_materials, broken, 64 * 1024)

    assert (chunked.value.line, chunked.value.column) == (whole.value.line, whole.value.column)
    assert whole.value.line == data[:at].count(b"\n") + 1


def test_an_idoc_that_starts_mid_line_keeps_its_column(tmp_path):
    path = tmp_path / "one_line.xml"
    with path.open("wb") as out:
        generate_matmas(out, 30, seed=1, bad_rows={25: BadRow.MISSING_MATNR})
    path.write_bytes(path.read_bytes().replace(b"</IDOC>\n<IDOC", b"</IDOC>   <IDOC"))

    assert read_in_chunks(read_materials, path, 8 * 1024) == list(read_materials(path))


@pytest.mark.parametrize(
    "change",
    [
        (b"<MATMAS05>", b"<!-- exported by ERP --><MATMAS05>"),
        (b"</E1MARAM>", b"<!-- <IDOC> --></E1MARAM>"),
        (b"<MATKL>", b"<?pi <IDOC>?><MATKL>"),
    ],
)
def test_a_file_that_cannot_be_cut_safely_is_one_chunk(change, tmp_path):
    path = tmp_path / "commented.xml"
    with path.open("wb") as out:
        generate_matmas(out, 60, seed=1)
    path.write_bytes(path.read_bytes().replace(*change))

    (chunk,) = plan_chunks(path, 4 * 1024)

    assert chunk.is_whole_file and chunk.idocs >= 60
    assert len(list(read_materials(path, chunk=chunk))) == 60


def test_a_doctype_is_refused_whatever_the_chunking(tmp_path):
    path = tmp_path / "doctype.xml"
    with path.open("wb") as out:
        generate_matmas(out, 40, seed=1)
    path.write_bytes(
        path.read_bytes().replace(b"<MATMAS05>", b'<!DOCTYPE MATMAS05 [<!ENTITY e "x">]><MATMAS05>')
    )

    (chunk,) = plan_chunks(path, 4 * 1024)
    with pytest.raises(UnsafeXmlError):
        list(read_materials(path, chunk=chunk))


def test_a_chunk_is_read_from_a_path_only(matmas_path):
    chunk = plan_chunks(matmas_path)[0]

    with pytest.raises(TypeError, match="a chunk is read from the file's path"):
        list(read_materials(matmas_path.read_bytes(), chunk=chunk))


def test_a_chunk_past_line_ten_million_names_the_files_lines(matmas_path, tmp_path):
    # given: a chunk of a file whose lines before it number 12,000,000 more
    # (libxml2 refused the 1,000,000-material file's chunk 127 when the chunk
    # was padded with the line breaks before it: "Buffer size limit exceeded")
    data = matmas_path.read_bytes()
    at = data.index(b"<MATKL>", len(data) * 3 // 4)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(data[:at] + b"<MATKL>x</MATKX>" + data[at + len(b"<MATKL>") :])
    chunks = plan_chunks(matmas_path, 64 * 1024)
    late = replace(chunks[3], first_line=chunks[3].first_line + 12_000_000)
    with pytest.raises(MalformedXmlError) as whole:
        list(read_materials(broken))
    (broken_chunk,) = [c for c in plan_chunks(broken, 64 * 1024) if c.start <= at < c.end]

    # when
    rows = list(read_materials(matmas_path, chunk=late))
    with pytest.raises(MalformedXmlError) as chunked:
        list(
            read_materials(
                broken, chunk=replace(broken_chunk, first_line=broken_chunk.first_line + 12_000_000)
            )
        )

    # then: the same rows and error, 12,000,000 lines further down
    expected = list(read_materials(matmas_path, chunk=chunks[3]))
    assert [getattr(row, "number", None) for row in rows] == [
        getattr(row, "number", None) for row in expected
    ]
    assert (chunked.value.line, chunked.value.column) == (
        whole.value.line + 12_000_000,
        whole.value.column,
    )
    assert f"line {whole.value.line + 12_000_000}" in str(chunked.value)


def test_a_refusal_past_line_ten_million_names_the_files_line(tmp_path):
    path = tmp_path / "late.xml"
    with path.open("wb") as out:
        generate_matmas(out, 60, seed=1, bad_rows={50: BadRow.BAD_EAN})
    (refused_whole,) = [row for row in read_materials(path) if not hasattr(row, "number")]
    chunk = next(
        c
        for c in plan_chunks(path, 8 * 1024)
        if c.first_position <= 50 < c.first_position + c.idocs
    )
    assert chunk.index > 0

    rows = list(
        read_materials(path, chunk=replace(chunk, first_line=chunk.first_line + 12_000_000))
    )

    (refused,) = [row for row in rows if not hasattr(row, "number")]
    assert refused == replace(refused_whole, line=refused_whole.line + 12_000_000)
