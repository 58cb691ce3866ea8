"""Uploads to the real test sshd: atomic, never overwriting, idempotent on retry."""

import hashlib
import os
import threading
import time
from dataclasses import replace

import pytest

from connectors.errors import ConfigError, PermanentError, TransientError
from connectors.sftp import RemoteFolder, SftpClient, SftpFolders

pytestmark = pytest.mark.usefixtures("empty_folders")

OUTBOUND = RemoteFolder.OUTBOUND


def outbound_files(sshd) -> dict[str, bytes]:
    """Every file in the outbound folder on disk, temporaries included: name to bytes."""
    folder = sshd.folder(OUTBOUND)
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_given_a_big_upload_when_watched_on_disk_and_over_sftp_then_final_name_is_only_complete(
    sshd, endpoint
):
    body = os.urandom(24 * 1024 * 1024)
    outbound = sshd.folder(OUTBOUND)
    failures: list[BaseException] = []

    def upload():
        try:
            with SftpClient(endpoint) as uploader:
                uploader.put(OUTBOUND, "940_big.edi", body)
        except BaseException as exc:
            failures.append(exc)

    partial_sizes_seen, final_sizes_seen, listed_sizes = set(), set(), set()
    with SftpClient(replace(endpoint, settle_seconds=0)) as watcher:
        thread = threading.Thread(target=upload)
        thread.start()
        while thread.is_alive():
            for entry in os.scandir(outbound):
                size = entry.stat().st_size
                if entry.name == ".940_big.edi.part":
                    partial_sizes_seen.add(size)
                elif entry.name == "940_big.edi":
                    final_sizes_seen.add(size)
            listed_sizes.update(remote.size for remote in watcher.list_ready(OUTBOUND))
        thread.join()

    assert not failures
    assert final_sizes_seen <= {len(body)}, "the final name showed a partial file on disk"
    assert listed_sizes <= {len(body)}, "a listing showed a partial file"
    assert any(0 < size < len(body) for size in partial_sizes_seen), "never saw the upload midway"
    assert sorted(os.listdir(outbound)) == ["940_big.edi"]
    assert (outbound / "940_big.edi").read_bytes() == body


def test_given_an_upload_when_done_then_receipt_describes_the_file_on_the_server(sshd, endpoint):
    body = b"ISA*00*...~IEA*1*000000001~"
    with SftpClient(endpoint) as client:
        receipt = client.put(OUTBOUND, "940_0001.edi", body)

    on_disk = sshd.folder(OUTBOUND) / "940_0001.edi"
    assert on_disk.read_bytes() == body
    assert receipt.file.name == "940_0001.edi"
    assert receipt.file.size == len(body)
    assert abs(receipt.file.mtime - on_disk.stat().st_mtime) < 1
    assert receipt.sha256 == hashlib.sha256(body).hexdigest()
    assert receipt.was_already_present is False


def test_given_an_uploaded_file_when_the_same_bytes_are_put_again_then_it_succeeds_unchanged(
    sshd, endpoint
):
    body = b"940 body"
    with SftpClient(endpoint) as client:
        first = client.put(OUTBOUND, "940_0002.edi", body)
    mtime_before = (sshd.folder(OUTBOUND) / "940_0002.edi").stat().st_mtime_ns
    time.sleep(1.1)  # SFTP mtimes are whole seconds: a rewrite would show

    with SftpClient(endpoint) as client:
        second = client.put(OUTBOUND, "940_0002.edi", body)

    assert second.was_already_present is True
    assert second.sha256 == first.sha256
    assert (sshd.folder(OUTBOUND) / "940_0002.edi").stat().st_mtime_ns == mtime_before
    assert os.listdir(sshd.folder(OUTBOUND)) == ["940_0002.edi"]


@pytest.mark.parametrize("other", [b"940 body, changed", b"940 BODY"], ids=["size", "bytes"])
def test_given_a_name_taken_by_other_content_when_put_then_permanent_error_and_untouched(
    sshd, endpoint, other
):
    (sshd.folder(OUTBOUND) / "940_0003.edi").write_bytes(b"940 body")

    with SftpClient(endpoint) as client, pytest.raises(PermanentError) as refused:
        client.put(OUTBOUND, "940_0003.edi", other)

    assert refused.value.code == "name_taken"
    assert "940_0003.edi" in str(refused.value)
    assert outbound_files(sshd) == {"940_0003.edi": b"940 body"}


def test_given_a_temporary_left_by_a_crashed_upload_when_put_again_then_it_is_replaced(
    sshd, endpoint
):
    leftover = sshd.folder(OUTBOUND) / ".940_0004.edi.part"
    leftover.write_bytes(b"half of a")
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))

    with SftpClient(replace(endpoint, stale_upload_seconds=600)) as client:
        receipt = client.put(OUTBOUND, "940_0004.edi", b"the whole file")

    assert receipt.was_already_present is False
    assert outbound_files(sshd) == {"940_0004.edi": b"the whole file"}


@pytest.mark.parametrize("leftover_bytes", [b"", b"the who", b"the whole file"])
def test_given_a_fresh_temporary_cut_off_from_the_same_bytes_when_put_then_replaced_at_once(
    sshd, endpoint, leftover_bytes
):
    # An earlier attempt of this upload lost its connection mid-write seconds ago.
    (sshd.folder(OUTBOUND) / ".940_0006.edi.part").write_bytes(leftover_bytes)

    with SftpClient(replace(endpoint, stale_upload_seconds=600)) as client:
        receipt = client.put(OUTBOUND, "940_0006.edi", b"the whole file")

    assert receipt.was_already_present is False
    assert outbound_files(sshd) == {"940_0006.edi": b"the whole file"}


def test_given_another_upload_writing_the_temporary_when_put_then_transient_and_left_alone(
    sshd, endpoint
):
    in_progress = sshd.folder(OUTBOUND) / ".940_0005.edi.part"
    in_progress.write_bytes(b"being written")

    busy_endpoint = replace(endpoint, stale_upload_seconds=600)
    with SftpClient(busy_endpoint) as client, pytest.raises(TransientError) as busy:
        client.put(OUTBOUND, "940_0005.edi", b"the whole file")

    assert busy.value.code == "upload_in_progress"
    assert outbound_files(sshd) == {".940_0005.edi.part": b"being written"}


@pytest.mark.parametrize(
    "name",
    ["../escaped.edi", "..", "sub/940.edi", "sub\\940.edi", ".hidden", "-rf", "nul\0byte", ""],
)
def test_given_an_unsafe_name_when_put_then_config_error_and_nothing_written(sshd, endpoint, name):
    with SftpClient(endpoint) as client, pytest.raises(ConfigError) as refused:
        client.put(OUTBOUND, name, b"x")

    assert refused.value.code == "unsafe_name"
    assert not (sshd.root / "escaped.edi").exists()
    assert all(not any(sshd.folder(folder).iterdir()) for folder in RemoteFolder)


def test_given_a_folder_that_is_not_configured_when_put_then_config_error(endpoint):
    with SftpClient(endpoint) as client, pytest.raises(ConfigError) as refused:
        client.put("../../etc", "940.edi", b"x")

    assert refused.value.code == "bad_folder"


def test_given_a_configured_folder_missing_on_the_server_when_put_then_config_error(endpoint):
    missing = replace(endpoint, folders=SftpFolders(outbound="no-such-folder"))

    with SftpClient(missing) as client, pytest.raises(ConfigError) as refused:
        client.put(OUTBOUND, "940.edi", b"x")

    assert refused.value.code == "not_found"


def test_given_a_partner_that_takes_the_file_at_once_when_put_then_the_upload_still_succeeds(
    sshd, endpoint
):
    data = b"ISA*taken the moment it appears~"
    with SftpClient(endpoint) as client:
        real_rename = client._connection.rename

        def rename_then_partner_takes_it(source, destination):
            real_rename(source, destination)
            client._connection.remove(destination)  # the warehouse picked it up already

        client._connection.rename = rename_then_partner_takes_it
        receipt = client.put(OUTBOUND, "940_fast.edi", data)

    assert receipt.file.name == "940_fast.edi"
    assert receipt.file.size == len(data)
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()
    assert not receipt.was_already_present
    assert [p.name for p in sshd.folder(OUTBOUND).iterdir()] == []


def test_given_a_staged_file_when_put_then_it_appears_by_rename_only(sshd, endpoint):
    outbound = sshd.folder(OUTBOUND)
    with SftpClient(endpoint) as client:
        client.stage(OUTBOUND, "940_0010.edi", b"the whole file")
        staged = outbound / ".940_0010.edi.part"
        assert os.listdir(outbound) == [staged.name]  # nothing under the final name yet
        assert staged.read_bytes() == b"the whole file"
        inode = staged.stat().st_ino

        receipt = client.put(OUTBOUND, "940_0010.edi", b"the whole file")

    assert receipt.was_already_present is False and receipt.file.size == 14
    assert os.listdir(outbound) == ["940_0010.edi"]
    assert (outbound / "940_0010.edi").stat().st_ino == inode  # renamed, not written again


def test_given_a_staged_file_never_put_when_the_connection_closes_then_it_is_removed(
    sshd, endpoint
):
    with SftpClient(endpoint) as client:
        client.stage(OUTBOUND, "940_0011.edi", b"a batch that was rolled back")
        assert os.listdir(sshd.folder(OUTBOUND)) == [".940_0011.edi.part"]

    assert os.listdir(sshd.folder(OUTBOUND)) == []


def test_given_other_bytes_staged_when_put_then_the_put_bytes_are_the_file(sshd, endpoint):
    with SftpClient(endpoint) as client:
        client.stage(OUTBOUND, "940_0012.edi", b"staged bytes")
        client.put(OUTBOUND, "940_0012.edi", b"the bytes put")

    assert outbound_files(sshd) == {"940_0012.edi": b"the bytes put"}


def test_given_a_staged_file_taken_away_when_put_then_it_is_written_again(sshd, endpoint):
    with SftpClient(endpoint) as client:
        client.stage(OUTBOUND, "940_0013.edi", b"the whole file")
        (sshd.folder(OUTBOUND) / ".940_0013.edi.part").unlink()

        receipt = client.put(OUTBOUND, "940_0013.edi", b"the whole file")

    assert receipt.was_already_present is False
    assert outbound_files(sshd) == {"940_0013.edi": b"the whole file"}


def test_given_a_staged_file_already_uploaded_when_put_then_already_there_and_stage_removed(
    sshd, endpoint
):
    with SftpClient(endpoint) as client:
        client.put(OUTBOUND, "940_0014.edi", b"the whole file")
        client.stage(OUTBOUND, "940_0014.edi", b"the whole file")

        receipt = client.put(OUTBOUND, "940_0014.edi", b"the whole file")

    assert receipt.was_already_present is True
    assert os.listdir(sshd.folder(OUTBOUND)) == ["940_0014.edi"]


def test_given_an_unsafe_name_when_staged_then_config_error_and_nothing_written(sshd, endpoint):
    with SftpClient(endpoint) as client, pytest.raises(ConfigError) as refused:
        client.stage(OUTBOUND, "../escaped.edi", b"x")

    assert refused.value.code == "unsafe_name"
    assert os.listdir(sshd.folder(OUTBOUND)) == []
