"""The sandbox SFTP server: SSH on a loopback port, one user, one served folder.

::

    server = SandboxSftpServer(root, host_key, SftpAccount("warehouse", keys))
    server.start()                      # binds; server.port is the real port
    print(server.known_hosts_line())    # what the client pins
    ...
    server.stop()

Each connection gets its own thread (and paramiko's transport thread). The
account logs in with an authorized public key, or with its password when one
is set; no other user, no shell, no exec, no port forwarding: only the
``sftp`` subsystem on a ``session`` channel. A connection that has not opened
a channel within ``login_grace_seconds`` of connecting is closed.
"""

import contextlib
import hmac
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from connectors.sandbox_warehouse.confinement import ConfinedRoot
from connectors.sandbox_warehouse.keys import known_hosts_line
from connectors.sandbox_warehouse.sftp_files import ConfinedSftp

log = logging.getLogger(__name__)

_ACCEPT_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class SftpAccount:
    """The one user: name, authorized public keys, optional password."""

    username: str
    authorized_keys: tuple[paramiko.PKey, ...]
    password: str | None = field(default=None, repr=False)

    def authorizes(self, key: paramiko.PKey) -> bool:
        return any(
            key.get_name() == allowed.get_name() and key.asbytes() == allowed.asbytes()
            for allowed in self.authorized_keys
        )

    def accepts_password(self, password: str) -> bool:
        return self.password is not None and hmac.compare_digest(
            password.encode(), self.password.encode()
        )


class _Gatekeeper(paramiko.ServerInterface):
    """Who may log in and which channels they may open (paramiko asks per request)."""

    def __init__(self, account: SftpAccount, peer: str):
        self.account = account
        self.peer = peer

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password" if self.account.password is not None else "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == self.account.username and self.account.authorizes(key):
            return paramiko.AUTH_SUCCESSFUL
        log.info("refused key %s for %r from %s", key.fingerprint, username, self.peer)
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str) -> int:
        if username == self.account.username and self.account.accepts_password(password):
            return paramiko.AUTH_SUCCESSFUL
        log.info("refused password for %r from %s", username, self.peer)
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class SandboxSftpServer:
    """Serves ``root`` over SFTP on ``host:port`` (port 0: any free port) until stopped."""

    def __init__(
        self,
        root: Path,
        host_key: paramiko.PKey,
        account: SftpAccount,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_connections: int = 32,
        login_grace_seconds: float = 60.0,
    ):
        self.root = ConfinedRoot(root)
        self.host_key = host_key
        self.account = account
        self.host = host
        self.requested_port = port
        self.login_grace_seconds = login_grace_seconds
        self._slots = threading.BoundedSemaphore(max_connections)
        self._listener: socket.socket | None = None
        self._port: int | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()
        self._transports: set[paramiko.Transport] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> "SandboxSftpServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after ``start``; still known after ``stop``)."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    def known_hosts_line(self) -> str:
        return known_hosts_line(self.host, self.port, self.host_key)

    def start(self) -> None:
        """Bind and start accepting; raises ``OSError`` when the port is taken."""
        listener = socket.create_server((self.host, self.requested_port), reuse_port=False)
        listener.settimeout(_ACCEPT_POLL_SECONDS)
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._accepting = threading.Thread(
            target=self._accept_connections, name="sandbox-sftp-accept", daemon=True
        )
        self._accepting.start()
        log.info("SFTP serving %s on %s:%d", self.root.folder, self.host, self.port)

    def stop(self) -> None:
        """Stop accepting and close every connection; idempotent."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        if self._accepting is not None:
            self._accepting.join()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()

    def _accept_connections(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            if not self._slots.acquire(blocking=False):
                log.warning("refusing %s: too many connections", address)
                connection.close()
                continue
            threading.Thread(
                target=self._serve_connection,
                args=(connection, f"{address[0]}:{address[1]}"),
                name=f"sandbox-sftp-{address[1]}",
                daemon=True,
            ).start()

    def _serve_connection(self, connection: socket.socket, peer: str) -> None:
        connection.settimeout(None)
        transport = paramiko.Transport(connection)
        try:
            with self._lock:
                self._transports.add(transport)
            self._converse(transport, peer)
        finally:
            transport.close()
            with self._lock:
                self._transports.discard(transport)
            self._slots.release()

    def _converse(self, transport: paramiko.Transport, peer: str) -> None:
        """Handshake, wait for the first channel, then until the client leaves."""
        transport.banner_timeout = self.login_grace_seconds
        transport.handshake_timeout = self.login_grace_seconds
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, ConfinedSftp, root=self.root)
        try:
            transport.start_server(server=_Gatekeeper(self.account, peer))
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.info("SSH handshake with %s failed: %s", peer, exc)
            return
        # Hold every accepted channel until the client leaves: paramiko closes a
        # channel whose last reference goes away, even with the SFTP session on it.
        channels = []
        deadline = time.monotonic() + self.login_grace_seconds
        while transport.is_active() and not self._stopping.is_set():
            # Short waits: accept() is not woken when a refused client hangs up.
            channel = transport.accept(timeout=_ACCEPT_POLL_SECONDS)
            if channel is not None:
                channels.append(channel)
            elif not channels and time.monotonic() >= deadline:
                log.info("closing %s: no channel opened", peer)
                return
