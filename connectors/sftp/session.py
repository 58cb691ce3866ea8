"""Opening one authenticated SFTP session to a partner, host key pinned.

Order matters: the host key is checked right after the key exchange and before
any credential is sent, so a server that is not the pinned one never sees our
password or a signature made with our key.
"""

import socket

import paramiko

from connectors.errors import ConfigError
from connectors.sftp.client_keys import load_client_key
from connectors.sftp.endpoint import SftpEndpoint
from connectors.sftp.failures import translated_failures


def open_sftp(endpoint: SftpEndpoint) -> paramiko.SFTPClient:
    """Connect, check the host key, log in and start the SFTP subsystem.

    Raises ``ConfigError`` (host key unknown or changed, login refused, bad key)
    or ``TransientError`` (unreachable, refused, timed out, dropped). Close the
    returned client with ``close_sftp``.
    """
    pinned = endpoint.pinned_host_keys()
    client_key = (
        load_client_key(endpoint.private_key, endpoint.passphrase) if endpoint.private_key else None
    )
    action = f"SFTP connect to {endpoint.username}@{endpoint.address}"
    with translated_failures(action):
        sock = socket.create_connection(
            (endpoint.host, endpoint.port), timeout=endpoint.connect_timeout
        )
        # SSH is request and reply; with Nagle's algorithm a small request can wait
        # for the server's delayed ACK (40 ms on Linux). Measured on loopback:
        # connecting, logging in and putting 2.5 MB took 0.23 s with it, 0.13 s without.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(sock)
    try:
        with translated_failures(action):
            _limit_waits(transport, endpoint)
            options = transport.get_security_options()
            options.key_types = pinned.algorithms(tuple(options.key_types))
            transport.start_client(timeout=endpoint.connect_timeout)
            pinned.verify(transport.get_remote_server_key())
            _log_in(transport, endpoint, client_key)
            transport.set_keepalive(endpoint.keepalive_seconds)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise ConfigError(f"{action}: the server refused the sftp subsystem")
            sftp.get_channel().settimeout(endpoint.operation_timeout)
            return sftp
    except BaseException:
        transport.close()
        raise


def close_sftp(sftp: paramiko.SFTPClient) -> None:
    """Close the session and its connection; safe to call on a broken one."""
    transport = sftp.get_channel().get_transport()
    sftp.close()
    transport.close()


def _limit_waits(transport: paramiko.Transport, endpoint: SftpEndpoint) -> None:
    # paramiko's defaults wait up to an hour for a channel; bound every step of
    # connecting by the endpoint's connect timeout instead.
    transport.banner_timeout = endpoint.connect_timeout
    transport.handshake_timeout = endpoint.connect_timeout
    transport.auth_timeout = endpoint.connect_timeout
    transport.channel_timeout = endpoint.connect_timeout


def _log_in(
    transport: paramiko.Transport, endpoint: SftpEndpoint, client_key: paramiko.PKey | None
) -> None:
    """Key first, then password (also when the server asks for both)."""
    if client_key is not None:
        try:
            transport.auth_publickey(endpoint.username, client_key)
        except paramiko.AuthenticationException:
            if endpoint.password is None:
                raise
    if not transport.is_authenticated() and endpoint.password is not None:
        transport.auth_password(endpoint.username, endpoint.password)
    if not transport.is_authenticated():
        raise ConfigError(
            f"SFTP login as {endpoint.username!r} to {endpoint.address} needs more "
            "than the configured key and password",
            code="auth_failed",
        )
