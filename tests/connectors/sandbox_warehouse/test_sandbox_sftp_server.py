"""The sandbox SFTP server over real sockets, driven by the project's SftpClient."""

import os
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest

from connectors.errors import ConfigError, PermanentError
from connectors.sandbox_warehouse import (
    SandboxSftpServer,
    SftpAccount,
    ensure_client_key,
    load_or_create_host_key,
)
from connectors.sftp import RemoteFolder, SftpClient
from connectors.sftp.session import close_sftp, open_sftp

OUTBOUND, INBOUND, ARCHIVE = RemoteFolder.OUTBOUND, RemoteFolder.INBOUND, RemoteFolder.ARCHIVE


@pytest.fixture
def raw_sftp(sandbox):
    """A plain paramiko SFTP session (host key pinned) for requests SftpClient never makes."""
    sftp = open_sftp(sandbox.endpoint)
    yield sftp
    close_sftp(sftp)


def test_given_a_put_when_done_then_the_file_is_whole_under_its_name_and_no_temporary_is_left(
    sandbox,
):
    body = os.urandom(300_000)  # several SFTP write requests

    with SftpClient(sandbox.endpoint) as client:
        receipt = client.put(OUTBOUND, "940_000000041.edi", body)

    assert receipt.was_already_present is False
    assert receipt.file.size == len(body)
    assert sorted(os.listdir(sandbox.folder(OUTBOUND))) == ["940_000000041.edi"]
    assert (sandbox.folder(OUTBOUND) / "940_000000041.edi").read_bytes() == body


def test_given_a_put_file_when_put_again_then_same_bytes_are_accepted_and_other_bytes_refused(
    sandbox,
):
    with SftpClient(sandbox.endpoint) as client:
        client.put(OUTBOUND, "940_1.edi", b"first")
        again = client.put(OUTBOUND, "940_1.edi", b"first")
        with pytest.raises(PermanentError) as refused:
            client.put(OUTBOUND, "940_1.edi", b"second")

    assert again.was_already_present is True
    assert refused.value.code == "name_taken"
    assert (sandbox.folder(OUTBOUND) / "940_1.edi").read_bytes() == b"first"
    assert not [name for name in os.listdir(sandbox.folder(OUTBOUND)) if name.startswith(".")]


def test_given_a_taken_target_when_renaming_onto_it_then_refused_and_both_files_unchanged(
    sandbox, raw_sftp
):
    outbound = sandbox.folder(OUTBOUND)
    (outbound / "a.edi").write_bytes(b"A")
    (outbound / "b.edi").write_bytes(b"B")

    with pytest.raises(OSError):
        raw_sftp.rename("outbound/a.edi", "outbound/b.edi")

    assert (outbound / "a.edi").read_bytes() == b"A"
    assert (outbound / "b.edi").read_bytes() == b"B"


def test_given_a_free_target_when_renaming_then_moved_and_posix_rename_may_replace(
    sandbox, raw_sftp
):
    outbound = sandbox.folder(OUTBOUND)
    (outbound / "a.edi").write_bytes(b"A")
    (outbound / "b.edi").write_bytes(b"B")

    raw_sftp.rename("/outbound/a.edi", "/outbound/c.edi")
    raw_sftp.posix_rename("/outbound/c.edi", "/outbound/b.edi")

    assert sorted(os.listdir(outbound)) == ["b.edi"]
    assert (outbound / "b.edi").read_bytes() == b"A"


def test_given_files_in_inbound_when_listed_fetched_and_moved_then_dot_files_stay_hidden(
    sandbox,
):
    inbound = sandbox.folder(INBOUND)
    (inbound / "945_000000007.edi").write_bytes(b"945 body")
    (inbound / "997_000000006.edi").write_bytes(b"997 body")
    (inbound / ".846_000000008.edi.tmp").write_bytes(b"half")
    (sandbox.folder(ARCHIVE) / "945_000000007.edi").write_bytes(b"an older file")

    with SftpClient(sandbox.endpoint) as client:
        listed = sorted(remote.name for remote in client.list_ready(INBOUND, "*.edi"))
        body = client.fetch(INBOUND, "945_000000007.edi")
        first = client.move("997_000000006.edi", INBOUND, ARCHIVE)
        second = client.move("945_000000007.edi", INBOUND, ARCHIVE)

    assert listed == ["945_000000007.edi", "997_000000006.edi"]
    assert body == b"945 body"
    assert first == "997_000000006.edi"
    assert second != "945_000000007.edi" and second.startswith("945_000000007.")
    assert (sandbox.folder(ARCHIVE) / second).read_bytes() == b"945 body"
    assert (sandbox.folder(ARCHIVE) / "945_000000007.edi").read_bytes() == b"an older file"
    assert os.listdir(inbound) == [".846_000000008.edi.tmp"]


def test_given_paths_climbing_out_when_used_then_they_stay_inside_the_root(
    sandbox, raw_sftp, tmp_path
):
    (tmp_path / "secret.txt").write_text("outside the root")  # root is tmp_path/root

    for path in ("../secret.txt", "/../secret.txt", "outbound/../../secret.txt", "/etc/passwd"):
        with pytest.raises(FileNotFoundError):
            raw_sftp.stat(path)
        with pytest.raises(FileNotFoundError):
            raw_sftp.open(path).read()
    with raw_sftp.open("../../escaped.txt", "w") as handle:
        handle.write(b"stays in")

    assert raw_sftp.normalize("../..") == "/"
    assert sorted(raw_sftp.listdir("..")) == sorted(raw_sftp.listdir("/"))
    assert (sandbox.root / "escaped.txt").read_bytes() == b"stays in"
    assert not (tmp_path / "escaped.txt").exists()
    assert (tmp_path / "secret.txt").read_text() == "outside the root"


def test_given_links_leading_out_when_followed_then_refused_and_links_inside_work(
    sandbox, raw_sftp, tmp_path
):
    (tmp_path / "secret.txt").write_text("outside the root")
    outbound = sandbox.folder(OUTBOUND)
    (outbound / "to_secret").symlink_to(tmp_path / "secret.txt")
    (outbound / "to_outside").symlink_to(tmp_path)
    (sandbox.folder(INBOUND) / "note.txt").write_text("inside")
    (outbound / "to_note").symlink_to(sandbox.folder(INBOUND) / "note.txt")

    for path in ("outbound/to_secret", "outbound/to_outside/secret.txt"):
        with pytest.raises(PermissionError):
            raw_sftp.open(path).read()
    with pytest.raises(PermissionError):
        raw_sftp.open("outbound/to_outside/planted.txt", "w")
    with pytest.raises(PermissionError):
        raw_sftp.listdir("outbound/to_outside")
    with pytest.raises(PermissionError):
        raw_sftp.readlink("outbound/to_secret")
    with pytest.raises(OSError):
        raw_sftp.symlink("/etc/passwd", "outbound/new_link")

    assert raw_sftp.open("outbound/to_note").read() == b"inside"
    assert raw_sftp.readlink("outbound/to_note") == "/inbound/note.txt"
    assert raw_sftp.lstat("outbound/to_secret").st_size == len(str(tmp_path / "secret.txt"))
    raw_sftp.remove("outbound/to_secret")  # removes the link, not its target
    assert (tmp_path / "secret.txt").read_text() == "outside the root"
    assert not (tmp_path / "planted.txt").exists()
    assert not (outbound / "new_link").exists()


def test_given_folders_when_made_and_removed_over_sftp_then_the_disk_follows(sandbox, raw_sftp):
    raw_sftp.mkdir("outbound/batch")
    with raw_sftp.open("outbound/batch/x.edi", "w") as handle:
        handle.write(b"x")
    names = {entry.filename for entry in raw_sftp.listdir_attr("outbound")}
    with pytest.raises(OSError):
        raw_sftp.rmdir("outbound/batch")  # not empty
    raw_sftp.remove("outbound/batch/x.edi")
    raw_sftp.rmdir("outbound/batch")

    assert names == {"batch"}
    assert os.listdir(sandbox.folder(OUTBOUND)) == []


def test_given_an_unauthorized_key_or_user_when_connecting_then_login_is_refused(sandbox, tmp_path):
    stranger = tmp_path / "stranger_key"
    ensure_client_key(stranger)

    with pytest.raises(ConfigError) as wrong_key:
        SftpClient(replace(sandbox.endpoint, private_key=stranger.read_text())).connect()
    with pytest.raises(ConfigError) as wrong_user:
        SftpClient(replace(sandbox.endpoint, username="root")).connect()

    assert wrong_key.value.code == "auth_failed"
    assert wrong_user.value.code == "auth_failed"


def test_given_a_session_when_asking_for_a_command_then_only_sftp_is_served(raw_sftp):
    channel = raw_sftp.get_channel().get_transport().open_session()

    with pytest.raises(paramiko.SSHException):
        channel.exec_command("id")


def test_given_a_password_account_when_logging_in_then_only_the_right_password_works(
    tmp_path, sandbox
):
    account = SftpAccount("warehouse", (), password="s3cret-sandbox")
    with SandboxSftpServer(sandbox.root, load_or_create_host_key(sandbox.state), account) as server:
        endpoint = replace(
            sandbox.endpoint,
            port=server.port,
            known_hosts=server.known_hosts_line(),
            private_key=None,
            password="s3cret-sandbox",
        )
        with SftpClient(endpoint) as client:
            client.put(OUTBOUND, "by_password.edi", b"ok")
        with pytest.raises(ConfigError) as refused:
            SftpClient(replace(endpoint, password="guess")).connect()

    assert refused.value.code == "auth_failed"
    assert (sandbox.folder(OUTBOUND) / "by_password.edi").read_bytes() == b"ok"


def test_given_a_state_folder_when_the_server_restarts_then_the_pinned_host_key_still_matches(
    sandbox, tmp_path: Path
):
    pinned = sandbox.server.known_hosts_line()
    sandbox.server.stop()
    account = SftpAccount("warehouse", (ensure_client_key(sandbox.client_key_path),))

    with SandboxSftpServer(
        sandbox.root, load_or_create_host_key(sandbox.state), account
    ) as restarted:
        endpoint = replace(
            sandbox.endpoint,
            port=restarted.port,
            known_hosts=pinned.replace(f":{sandbox.server.port} ", f":{restarted.port} "),
        )
        with SftpClient(endpoint) as client:
            listed = client.list_ready(OUTBOUND)

    assert listed == []
    assert pinned.split()[1:] == restarted.known_hosts_line().split()[1:]
    assert (sandbox.state / "ssh_host_ed25519_key").stat().st_mode & 0o777 == 0o600
