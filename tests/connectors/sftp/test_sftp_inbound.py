"""Polling, reading and archiving what the warehouse writes, against the real test sshd."""

import os
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import ConfigError, PermanentError
from connectors.sftp import RemoteFile, RemoteFolder, SftpClient
from connectors.sftp.remote_names import collision_name

pytestmark = pytest.mark.usefixtures("empty_folders")

INBOUND, ARCHIVE, ERROR = RemoteFolder.INBOUND, RemoteFolder.ARCHIVE, RemoteFolder.ERROR


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_given_a_file_still_being_appended_when_listed_then_not_ready_until_it_stops(
    sshd, endpoint
):
    growing = sshd.folder(INBOUND) / "945_0001.edi"
    growing.write_bytes(b"ISA*")
    stop = threading.Event()

    def warehouse_keeps_writing():
        with growing.open("ab") as stream:
            while not stop.is_set():
                stream.write(b"W4*more~")
                stream.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=warehouse_keeps_writing)
    writer.start()
    try:
        with SftpClient(replace(endpoint, settle_seconds=0.5)) as client:
            while_writing = client.list_ready(INBOUND)
            stop.set()
            writer.join()
            after_writing = client.list_ready(INBOUND)
    finally:
        stop.set()
        writer.join()

    assert while_writing == []
    assert [remote.name for remote in after_writing] == ["945_0001.edi"]
    assert after_writing[0].size == growing.stat().st_size


def test_given_only_old_files_when_listed_then_ready_at_once_without_settling(sshd, endpoint):
    old = sshd.folder(INBOUND) / "846_0001.edi"
    old.write_bytes(b"846 body")
    _age(old, 300)

    with SftpClient(replace(endpoint, settle_seconds=5, ready_age_seconds=120)) as client:
        started = time.monotonic()
        ready = client.list_ready(INBOUND)
        took = time.monotonic() - started

    assert ready == [RemoteFile("846_0001.edi", 8, int(old.stat().st_mtime))]
    assert took < 5, "waited for the settle interval although the file was old enough"


def test_given_a_young_file_and_an_age_rule_when_it_changes_between_looks_then_not_ready(
    sshd, endpoint
):
    young = sshd.folder(INBOUND) / "945_0002.edi"
    young.write_bytes(b"945")

    def warehouse_appends_once_during_the_settle():
        time.sleep(0.5)
        with young.open("ab") as stream:
            stream.write(b" more")

    with SftpClient(replace(endpoint, settle_seconds=2.0, ready_age_seconds=3600)) as client:
        writer = threading.Thread(target=warehouse_appends_once_during_the_settle)
        writer.start()
        ready = client.list_ready(INBOUND)
    writer.join()

    assert ready == []


def test_given_hidden_temporaries_directories_and_other_patterns_when_listed_then_only_matches(
    sshd, endpoint
):
    inbound = sshd.folder(INBOUND)
    for name in ("945_b.edi", "945_a.edi", "notes.txt", ".945_c.edi.part", ".945_d.edi"):
        (inbound / name).write_bytes(b"x")
    _age(inbound / "945_b.edi", 60)
    (inbound / "945_dir.edi").mkdir()
    try:
        with SftpClient(endpoint) as client:
            ready = client.list_ready(INBOUND, "945_*.edi")
    finally:
        (inbound / "945_dir.edi").rmdir()

    assert [remote.name for remote in ready] == ["945_b.edi", "945_a.edi"]  # oldest first


def test_given_a_ready_file_when_fetched_and_archived_then_bytes_match_and_it_moved(sshd, endpoint):
    body = os.urandom(300_000)
    (sshd.folder(INBOUND) / "945_0003.edi").write_bytes(body)

    with SftpClient(endpoint) as client:
        [remote] = client.list_ready(INBOUND)
        fetched = client.fetch(INBOUND, remote.name)
        archived_as = client.move(remote.name, INBOUND, ARCHIVE)

    assert fetched == body
    assert archived_as == "945_0003.edi"
    assert os.listdir(sshd.folder(INBOUND)) == []
    assert (sshd.folder(ARCHIVE) / "945_0003.edi").read_bytes() == body


def test_given_a_refused_file_when_moved_to_error_then_it_is_parked_there(sshd, endpoint):
    (sshd.folder(INBOUND) / "997_0001.edi").write_bytes(b"not x12")

    with SftpClient(endpoint) as client:
        parked_as = client.move("997_0001.edi", INBOUND, ERROR)

    assert parked_as == "997_0001.edi"
    assert os.listdir(sshd.folder(INBOUND)) == []
    assert (sshd.folder(ERROR) / "997_0001.edi").read_bytes() == b"not x12"


def test_given_the_name_taken_in_archive_when_moved_then_timestamped_and_both_kept(sshd, endpoint):
    (sshd.folder(ARCHIVE) / "945_0004.edi").write_bytes(b"yesterday's")
    (sshd.folder(INBOUND) / "945_0004.edi").write_bytes(b"today's")
    (sshd.folder(INBOUND) / "945_0005.edi").write_bytes(b"also today's")
    (sshd.folder(ARCHIVE) / "945_0005.edi").write_bytes(b"old")

    with SftpClient(endpoint) as client:
        first = client.move("945_0004.edi", INBOUND, ARCHIVE)
        second = client.move("945_0005.edi", INBOUND, ARCHIVE)

    assert re.fullmatch(r"945_0004\.\d{8}T\d{6}Z\.edi", first)
    assert re.fullmatch(r"945_0005\.\d{8}T\d{6}Z\.edi", second)
    assert (sshd.folder(ARCHIVE) / "945_0004.edi").read_bytes() == b"yesterday's"
    assert (sshd.folder(ARCHIVE) / first).read_bytes() == b"today's"
    assert (sshd.folder(ARCHIVE) / second).read_bytes() == b"also today's"
    assert os.listdir(sshd.folder(INBOUND)) == []


def test_given_the_timestamped_names_taken_too_when_moved_then_a_counter_is_added(sshd, endpoint):
    archive = sshd.folder(ARCHIVE)
    (archive / "945_0006.edi").write_bytes(b"first")
    now = datetime.now(UTC)
    for second in range(-1, 30):  # every stamp the move could pick in the next half minute
        moment = now + timedelta(seconds=second)
        for attempt in (1, 2):
            (archive / collision_name("945_0006.edi", moment, attempt)).write_bytes(b"taken")
    (sshd.folder(INBOUND) / "945_0006.edi").write_bytes(b"newest")

    with SftpClient(endpoint) as client:
        moved_as = client.move("945_0006.edi", INBOUND, ARCHIVE)

    assert re.fullmatch(r"945_0006\.\d{8}T\d{6}Z-3\.edi", moved_as)
    assert (archive / moved_as).read_bytes() == b"newest"
    assert (archive / "945_0006.edi").read_bytes() == b"first"


def test_given_a_move_already_done_when_repeated_then_it_returns_the_name(sshd, endpoint):
    (sshd.folder(INBOUND) / "945_0007.edi").write_bytes(b"945")

    with SftpClient(endpoint) as client:
        first = client.move("945_0007.edi", INBOUND, ARCHIVE)
        again = client.move("945_0007.edi", INBOUND, ARCHIVE)

    assert first == again == "945_0007.edi"
    assert os.listdir(sshd.folder(ARCHIVE)) == ["945_0007.edi"]


def test_given_a_file_nobody_has_when_fetched_or_moved_then_permanent_not_found(endpoint):
    with SftpClient(endpoint) as client:
        with pytest.raises(PermanentError) as fetch_refused:
            client.fetch(INBOUND, "945_gone.edi")
        with pytest.raises(PermanentError) as move_refused:
            client.move("945_gone.edi", INBOUND, ARCHIVE)

    assert fetch_refused.value.code == move_refused.value.code == "not_found"


def test_given_a_file_over_the_size_limit_when_fetched_then_permanent_error(sshd, endpoint):
    (sshd.folder(INBOUND) / "846_big.edi").write_bytes(b"x" * 2048)

    with SftpClient(replace(endpoint, max_file_bytes=1024)) as client:
        with pytest.raises(PermanentError) as refused:
            client.fetch(INBOUND, "846_big.edi")
        at_limit = replace(endpoint, max_file_bytes=2048)
    with SftpClient(at_limit) as client:
        fetched = client.fetch(INBOUND, "846_big.edi")

    assert refused.value.code == "file_too_large"
    assert fetched == b"x" * 2048


@pytest.mark.parametrize("name", ["../outbound/940.edi", "..", "a/b", "a\\b", "-x", ".hidden"])
def test_given_an_unsafe_listed_name_when_fetched_or_moved_then_permanent_error(
    sshd, endpoint, name
):
    (sshd.folder(RemoteFolder.OUTBOUND) / "940.edi").write_bytes(b"ours")

    with SftpClient(endpoint) as client:
        with pytest.raises(PermanentError) as fetch_refused:
            client.fetch(INBOUND, name)
        with pytest.raises(PermanentError) as move_refused:
            client.move(name, INBOUND, ARCHIVE)

    assert fetch_refused.value.code == move_refused.value.code == "unsafe_name"
    assert (sshd.folder(RemoteFolder.OUTBOUND) / "940.edi").read_bytes() == b"ours"
    assert os.listdir(sshd.folder(ARCHIVE)) == []


def test_given_the_same_folder_twice_when_moved_then_config_error(sshd, endpoint):
    (sshd.folder(INBOUND) / "945_0008.edi").write_bytes(b"945")

    with SftpClient(endpoint) as client, pytest.raises(ConfigError):
        client.move("945_0008.edi", INBOUND, "inbound")

    assert os.listdir(sshd.folder(INBOUND)) == ["945_0008.edi"]
