"""The operators' inspector: a line per file and per IDoc, exit 0/1, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from connectors.idoc import delvry07_idoc, package_bytes, wrap_in_soap
from tests.connectors.idoc.builders import REPO_ROOT, make_delivery


def inspect(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connectors.idoc", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "ok.xml"
    path.write_bytes(
        package_bytes([delvry07_idoc(make_delivery(1)), delvry07_idoc(make_delivery(2))])
    )
    return path


def test_given_a_valid_package_when_validated_then_ok_and_a_line_per_idoc_and_exit_0(good_file):
    result = inspect("validate", str(good_file))

    assert result.returncode == 0
    assert result.stdout == (
        f"{good_file}: OK - 2 IDocs\n"
        "  IDoc 0000000000000001: DELVRY07 / SHPCON, 10 segments\n"
        "  IDoc 0000000000000002: DELVRY07 / SHPCON, 10 segments\n"
    )
    assert result.stderr == ""


def test_given_a_soap_message_and_no_idocs_option_when_validated_then_one_line(good_file, tmp_path):
    soap = tmp_path / "soap.xml"
    soap.write_bytes(wrap_in_soap(good_file.read_bytes()))

    result = inspect("validate", "--no-idocs", str(soap))

    assert (result.returncode, result.stdout) == (0, f"{soap}: OK - 2 IDocs\n")


def test_given_a_bad_package_when_validated_then_the_specific_error_and_exit_1(good_file, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(good_file.read_bytes().replace(b"<LFIMG>2</LFIMG>", b"<LFIMG>two</LFIMG>", 1))

    result = inspect("validate", str(good_file), str(bad))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{good_file}: OK - 2 IDocs"
    assert lines[3] == (
        f"{bad}: ERROR - IDoc 0000000000000001, segment E1EDL24 #5, field LFIMG, line 9: "
        "'two' is not a number"
    )
    assert len(lines) == 4
    assert "Traceback" not in result.stderr


def test_given_an_unknown_type_when_validated_then_refused_unless_control_only(good_file, tmp_path):
    other = tmp_path / "orders.xml"
    other.write_bytes(good_file.read_bytes().replace(b"DELVRY07", b"ORDERS05"))

    full = inspect("validate", str(other))
    control_only = inspect("validate", "--control-only", str(other))

    assert full.returncode == 1
    assert "IDoc type ORDERS05 is not one this platform reads" in full.stdout
    assert control_only.returncode == 0
    assert "IDoc 0000000000000002: ORDERS05 / SHPCON, 10 segments" in control_only.stdout


def test_given_a_size_limit_when_the_file_is_larger_then_refused(good_file):
    result = inspect("validate", "--max-bytes", "100", str(good_file))

    assert result.returncode == 1
    assert "ERROR - the package is larger than the limit of 100 bytes" in result.stdout


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff\xfe garbage \x80", b"<DELVRY07><IDOC>", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'],
    ids=["empty", "binary", "truncated", "doctype"],
)
def test_given_junk_when_validated_then_an_error_line_and_exit_1(tmp_path, content):
    path = tmp_path / "junk.xml"
    path.write_bytes(content)

    result = inspect("validate", str(path))

    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: ERROR - ")
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_given_a_missing_file_or_a_directory_when_validated_then_errors_without_traceback(
    tmp_path,
):
    result = inspect("validate", str(tmp_path / "absent.xml"), str(tmp_path))

    assert result.returncode == 1
    missing, directory = result.stdout.splitlines()
    assert "cannot read the file" in missing and "cannot read the file" in directory
    assert result.stderr == ""


def test_given_help_when_asked_then_usage_documents_validate():
    result = inspect("validate", "--help")

    assert result.returncode == 0
    assert "FILE" in result.stdout and "Exit status 0" in result.stdout
    assert inspect("--help").returncode == 0
