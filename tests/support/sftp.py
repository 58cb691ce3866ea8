"""The test sshd's environment variables, and a host key it does not have."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# Set by deploy/local/sshd.sh (and so by `make test`) for the loopback OpenSSH server.
SFTP_VARIABLES = (
    "TEST_SFTP_HOST",
    "TEST_SFTP_PORT",
    "TEST_SFTP_USER",
    "TEST_SFTP_KEY",
    "TEST_SFTP_HOST_KEY",
    "TEST_SFTP_ROOT",
)


def pin_another_host_key(config) -> str:
    """Pin a fresh key for ``config``'s SFTP server, as if its key had changed; the old pin."""
    pinned = config.sftp_known_hosts
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    config.sftp_known_hosts = f"[{config.sftp_host}]:{config.sftp_port} {other}"
    config.save()
    return pinned
