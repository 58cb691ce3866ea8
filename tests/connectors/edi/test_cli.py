"""The operators' inspector: one line per file, exit 0/1, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from connectors.edi import write_945
from tests.connectors.edi.builders import REPO_ROOT, make_advice, make_envelope


def inspect(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connectors.edi", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "ok.edi"
    path.write_bytes(write_945([make_advice("A"), make_advice("B"), make_advice("C")],
                               make_envelope()))  # fmt: skip
    return path


def test_given_a_valid_file_when_validated_then_ok_with_counts_and_exit_0(good_file):
    result = inspect("validate", str(good_file))
    assert result.returncode == 0
    assert (
        result.stdout == f"{good_file}: OK - 1 interchange, 1 group, 3 transaction sets (945 x3)\n"
    )


def test_given_a_broken_file_when_validated_then_the_specific_error_and_exit_1(good_file, tmp_path):
    bad = tmp_path / "bad.edi"
    bad.write_bytes(good_file.read_bytes().replace(b"IEA*1*000000905", b"IEA*1*000000906"))
    result = inspect("validate", str(good_file), str(bad))
    assert result.returncode == 1
    ok_line, bad_line = result.stdout.splitlines()
    assert ok_line.endswith("OK - 1 interchange, 1 group, 3 transaction sets (945 x3)")
    assert bad_line.startswith(f"{bad}: ERROR - interchange 000000905, segment ")
    assert "(IEA), element IEA02: control number 000000906 does not match" in bad_line
    assert "Traceback" not in result.stderr


def test_given_a_bad_document_when_validated_then_the_set_segment_and_element_are_named(
    good_file, tmp_path
):
    bad = tmp_path / "doc.edi"
    bad.write_bytes(good_file.read_bytes().replace(b"W12*CC*2*2*0", b"W12*CC*2*Z*0", 1))
    result = inspect("validate", str(bad))
    assert result.returncode == 1
    assert "945 set 0001" in result.stdout and "element W1203" in result.stdout


def test_given_a_set_type_nobody_reads_when_validated_then_ok_says_envelope_only(tmp_path):
    path = tmp_path / "po.edi"
    data = write_945([make_advice("A"), make_advice("B")], make_envelope())
    path.write_bytes(data.replace(b"ST*945*0002~", b"ST*850*0002~"))
    result = inspect("validate", str(path))
    assert result.returncode == 0
    assert result.stdout == (
        f"{path}: OK - 1 interchange, 1 group, 2 transaction sets (850 x1, 945 x1); "
        "850: envelope only\n"
    )


def test_given_envelope_only_when_validated_then_every_set_type_is_envelope_only(good_file):
    result = inspect("validate", "--envelope-only", str(good_file))
    assert result.stdout == (
        f"{good_file}: OK - 1 interchange, 1 group, 3 transaction sets (945 x3); "
        "945: envelope only\n"
    )


def test_given_a_duplicate_set_control_number_when_validated_then_both_sets_are_named(
    good_file, tmp_path
):
    bad = tmp_path / "twice.edi"
    data = good_file.read_bytes().replace(b"ST*945*0002~", b"ST*945*0001~")
    bad.write_bytes(data.replace(b"*0002~", b"*0001~"))
    result = inspect("validate", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{bad}: ERROR - interchange 000000905, segment ")
    assert "(ST), element ST02: duplicate control number 0001: the set at segment 3 " in (
        result.stdout
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff\xfe garbage \x80",
        "ISA*00*\N{ROCKET}".encode(),
        b"ST*997*0001~SE*2*0001~",
        "ISA*00*          *00*          ".encode("cp037"),
    ],
)
def test_given_junk_when_validated_then_an_error_line_and_exit_1(tmp_path, content):
    path = tmp_path / "junk.edi"
    path.write_bytes(content)
    result = inspect("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: ERROR - interchange 1, segment 1 (ISA)")
    assert result.stderr == ""


def test_given_a_missing_file_or_a_directory_when_validated_then_errors_without_traceback(
    tmp_path,
):
    result = inspect("validate", str(tmp_path / "absent.edi"), str(tmp_path))
    assert result.returncode == 1
    missing, directory = result.stdout.splitlines()
    assert "cannot read the file" in missing and "cannot read the file" in directory
    assert result.stderr == ""


def test_given_help_when_asked_then_usage_documents_validate():
    result = inspect("validate", "--help")
    assert result.returncode == 0
    assert "FILE" in result.stdout and "Exit status 0" in result.stdout
    assert inspect("--help").returncode == 0
