"""Connecting to the real test sshd: pinned host keys, login, and outages."""

import socket
import threading
import time
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.hostkeys import HostKeyEntry, HostKeys

from connectors.errors import ConfigError, TransientError
from connectors.sftp import RemoteFolder, SftpClient, fingerprint

pytestmark = pytest.mark.usefixtures("empty_folders")


def _server_fingerprint(sshd) -> str:
    return fingerprint(HostKeyEntry.from_line(sshd.host_key_line).key)


def _fresh_public_key() -> str:
    """``ssh-ed25519 AAAA...`` of a key nobody uses: a changed server key."""
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def _client_key_as(sshd, private_format, encryption) -> str:
    key = serialization.load_ssh_private_key(sshd.client_key_path.read_bytes(), password=None)
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode()


def _can_list(endpoint) -> bool:
    with SftpClient(endpoint) as client:
        return client.list_ready(RemoteFolder.INBOUND) == []


def test_given_the_pinned_key_when_connecting_then_the_session_works(endpoint):
    assert _can_list(endpoint)


def test_given_the_key_pinned_as_a_hashed_or_bare_line_when_connecting_then_it_works(
    sshd, endpoint
):
    _, key_type, key_base64 = sshd.host_key_line.split()
    hashed = f"{HostKeys.hash_host(endpoint.address)} {key_type} {key_base64}"
    bare = f"{key_type} {key_base64} copied-from-the-partner"

    assert _can_list(replace(endpoint, known_hosts=f"# pinned 2026-11-23\n{hashed}\n"))
    assert _can_list(replace(endpoint, known_hosts=bare))


@pytest.mark.parametrize(
    "known_hosts",
    ["", "[127.0.0.1]:2222 {key}", "warehouse.example.com {key}"],
    ids=["nothing-pinned", "other-port", "other-host"],
)
def test_given_no_key_pinned_for_the_server_when_connecting_then_config_error_says_unknown(
    sshd, endpoint, known_hosts
):
    key = " ".join(sshd.host_key_line.split()[1:])
    unpinned = replace(endpoint, known_hosts=known_hosts.format(key=key))

    with pytest.raises(ConfigError) as refused:
        SftpClient(unpinned).connect()

    assert refused.value.code == "host_key_unknown"
    assert f"host key for {endpoint.address} is not pinned" in str(refused.value)
    assert _server_fingerprint(sshd) in str(refused.value)


def test_given_a_different_key_pinned_when_connecting_then_config_error_says_changed(
    sshd, endpoint
):
    other_key = _fresh_public_key()
    changed = replace(endpoint, known_hosts=f"{endpoint.address} {other_key}")

    with pytest.raises(ConfigError) as refused:
        SftpClient(changed).connect()

    message = str(refused.value)
    assert refused.value.code == "host_key_mismatch"
    assert f"host key for {endpoint.address} does not match the pinned key" in message
    assert f"got {_server_fingerprint(sshd)}" in message
    assert fingerprint(HostKeyEntry.from_line(f"x {other_key}").key) in message


def test_given_a_changed_host_key_and_a_wrong_login_then_the_host_key_is_refused_first(endpoint):
    changed = replace(
        endpoint,
        known_hosts=f"{endpoint.address} {_fresh_public_key()}",
        private_key=None,
        password="never sent to an unpinned server",
    )

    with pytest.raises(ConfigError) as refused:
        SftpClient(changed).connect()

    assert refused.value.code == "host_key_mismatch"


def test_given_a_client_key_the_server_does_not_know_when_connecting_then_config_error(
    endpoint,
):
    stranger = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )

    with pytest.raises(ConfigError) as refused:
        SftpClient(replace(endpoint, private_key=stranger.decode())).connect()

    assert refused.value.code == "auth_failed"
    assert "warehouse@" in str(refused.value)


def test_given_a_password_on_a_key_only_server_when_connecting_then_config_error(endpoint):
    with pytest.raises(ConfigError) as refused:
        SftpClient(replace(endpoint, private_key=None, password="guess")).connect()

    assert refused.value.code == "auth_failed"
    assert "guess" not in str(refused.value)


def test_given_the_client_key_encrypted_or_as_pkcs8_pem_when_connecting_then_it_works(
    sshd, endpoint
):
    encrypted = _client_key_as(
        sshd,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"correct horse"),
    )
    pkcs8 = _client_key_as(sshd, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    assert _can_list(replace(endpoint, private_key=encrypted, passphrase="correct horse"))
    assert _can_list(replace(endpoint, private_key=pkcs8))


@pytest.mark.parametrize("passphrase", [None, "wrong horse"])
def test_given_an_encrypted_key_without_its_passphrase_then_config_error_without_secrets(
    sshd, endpoint, passphrase
):
    encrypted = _client_key_as(
        sshd,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"correct horse"),
    )

    with pytest.raises(ConfigError) as refused:
        SftpClient(replace(endpoint, private_key=encrypted, passphrase=passphrase)).connect()

    assert refused.value.code == "bad_client_key"
    assert "horse" not in str(refused.value)
    assert "PRIVATE KEY" not in str(refused.value)


def test_given_sshd_stopped_when_connecting_then_transient_and_after_restart_it_works(
    sshd, endpoint
):
    stopped = sshd.run_script("stop")
    assert stopped.returncode == 0, stopped.stderr
    try:
        assert sshd.run_script("status").returncode == 1
        with pytest.raises(TransientError) as unreachable:
            SftpClient(endpoint).connect()
    finally:
        started = sshd.run_script("start")
    assert started.returncode == 0, started.stderr

    assert unreachable.value.code == "connection"
    assert endpoint.address in str(unreachable.value)
    assert f"export TEST_SFTP_HOST_KEY='{sshd.host_key_line}'" in started.stdout
    assert _can_list(endpoint), "the same endpoint (same pinned key) works after a restart"


class _LoopbackListener:
    """A TCP port on 127.0.0.1 that accepts connections and then either hangs up
    at once or says nothing: a server that is up but not speaking SSH."""

    def __init__(self, *, hang_up: bool):
        self.hang_up = hang_up
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.hang_up:
                conn.close()
            else:
                self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.parametrize("hang_up", [True, False], ids=["closes-at-once", "never-answers"])
def test_given_a_port_that_does_not_speak_ssh_when_connecting_then_transient_within_timeout(
    endpoint, hang_up
):
    listener = _LoopbackListener(hang_up=hang_up)
    try:
        silent = replace(endpoint, port=listener.port, connect_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TransientError) as failed:
            SftpClient(silent).connect()
        took = time.monotonic() - started
    finally:
        listener.close()

    assert took < 5
    assert failed.value.code in {"connection", "timeout"}


def test_given_a_closed_client_when_used_then_it_says_so_and_closing_again_is_harmless(
    endpoint,
):
    client = SftpClient(endpoint)
    client.connect()
    client.close()
    client.close()

    with pytest.raises(RuntimeError, match="not connected"):
        client.list_ready(RemoteFolder.INBOUND)


def test_when_connected_then_small_requests_go_out_at_once(endpoint):
    """TCP_NODELAY: no request waits for the server's delayed ACK (Nagle's algorithm)."""
    with SftpClient(endpoint) as client:
        sock = client._connection.get_channel().get_transport().sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
