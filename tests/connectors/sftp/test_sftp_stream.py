"""Streaming a large file from the real test sshd to a local file in bounded memory."""

import hashlib
import os
import tracemalloc
from dataclasses import replace

import pytest

from connectors.errors import PermanentError
from connectors.sftp import RemoteFolder, SftpClient
from connectors.sftp.client import STREAM_WINDOW

pytestmark = pytest.mark.usefixtures("empty_folders")

INBOUND = RemoteFolder.INBOUND
MEGABYTE = 1024 * 1024


def _drop(sshd, name: str, megabytes: int) -> str:
    """Write a file of distinct blocks into the inbound folder; returns its sha256."""
    digest = hashlib.sha256()
    with open(sshd.folder(INBOUND) / name, "wb") as out:
        for n in range(megabytes):
            block = hashlib.sha256(str(n).encode()).digest() * (MEGABYTE // 32)
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _peak_bytes(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_file_is_copied_whole_in_bounded_memory(sshd, endpoint, tmp_path):
    # given a 48 MB drop and a limit above it
    sha256 = _drop(sshd, "MATMAS_FULL.xml", 48)
    endpoint = replace(endpoint, max_file_bytes=64 * MEGABYTE)
    local = tmp_path / "copy.xml"

    # when it is streamed to a local file (memory traced across every thread)
    with SftpClient(endpoint) as client:
        fetched = []
        peak = _peak_bytes(
            lambda: fetched.append(client.fetch_to_file(INBOUND, "MATMAS_FULL.xml", local))
        )

    # then the copy is whole, its digest told, no temporary left, and memory stayed
    # within a few windows, a small fraction of the file
    assert fetched[0].sha256 == sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
    assert fetched[0].file.size == 48 * MEGABYTE == local.stat().st_size
    assert os.listdir(tmp_path) == ["copy.xml"]
    assert peak < 3 * STREAM_WINDOW < 48 * MEGABYTE / 3, f"peak {peak / MEGABYTE:.1f} MB"
    # and the file is still on the server (reading changes nothing)
    assert (sshd.folder(INBOUND) / "MATMAS_FULL.xml").exists()


def test_fetch_holds_the_whole_file_which_the_stream_does_not(sshd, endpoint, tmp_path):
    # given a 16 MB drop
    _drop(sshd, "big.xml", 16)
    endpoint = replace(endpoint, max_file_bytes=64 * MEGABYTE)

    # when it is read both ways
    with SftpClient(endpoint) as client:
        in_memory = _peak_bytes(lambda: client.fetch(INBOUND, "big.xml"))
        streamed = _peak_bytes(lambda: client.fetch_to_file(INBOUND, "big.xml", tmp_path / "b"))

    # then only the in-memory read grows with the file (what the measurement would catch)
    assert in_memory > 16 * MEGABYTE
    assert streamed < in_memory / 3


def test_a_file_over_the_limit_is_refused_and_leaves_nothing_local(sshd, endpoint, tmp_path):
    # given a 3 MB drop and a 2 MB limit
    _drop(sshd, "too_big.xml", 3)
    endpoint = replace(endpoint, max_file_bytes=2 * MEGABYTE)

    # when / then
    with SftpClient(endpoint) as client, pytest.raises(PermanentError) as refused:
        client.fetch_to_file(INBOUND, "too_big.xml", tmp_path / "copy.xml")
    assert refused.value.code == "file_too_large"
    assert os.listdir(tmp_path) == []


def test_a_file_that_is_gone_is_not_found_and_leaves_nothing_local(endpoint, tmp_path):
    with SftpClient(endpoint) as client, pytest.raises(PermanentError) as missing:
        client.fetch_to_file(INBOUND, "never_there.xml", tmp_path / "copy.xml")
    assert missing.value.code == "not_found"
    assert os.listdir(tmp_path) == []


def test_an_empty_file_and_a_repeat_give_the_same_copy(sshd, endpoint, tmp_path):
    # given an empty drop and a 1 MB one
    (sshd.folder(INBOUND) / "empty.xml").write_bytes(b"")
    sha256 = _drop(sshd, "one.xml", 1)

    # when each is fetched, the second twice to the same local path
    with SftpClient(endpoint) as client:
        empty = client.fetch_to_file(INBOUND, "empty.xml", tmp_path / "empty")
        client.fetch_to_file(INBOUND, "one.xml", tmp_path / "one")
        again = client.fetch_to_file(INBOUND, "one.xml", tmp_path / "one")

    # then
    assert (empty.file.size, empty.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert again.sha256 == sha256 == hashlib.sha256((tmp_path / "one").read_bytes()).hexdigest()
    assert sorted(os.listdir(tmp_path)) == ["empty", "one"]
