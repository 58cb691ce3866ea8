"""Our private key for logging in to a partner, from the text the platform stores.

Accepts OpenSSH (``BEGIN OPENSSH PRIVATE KEY``) and PEM (PKCS#1, SEC1, PKCS#8)
keys of type Ed25519, ECDSA or RSA, encrypted or not. Errors never quote the
key or the passphrase.
"""

import io

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from connectors.errors import ConfigError

_OPENSSH_HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----"
_KEY_CLASSES = (
    (ed25519.Ed25519PrivateKey, paramiko.Ed25519Key),
    (ec.EllipticCurvePrivateKey, paramiko.ECDSAKey),
    (rsa.RSAPrivateKey, paramiko.RSAKey),
)


def load_client_key(key_text: str, passphrase: str | None) -> paramiko.PKey:
    """Parse ``key_text`` into a paramiko key; ``ConfigError`` when it cannot be used."""
    loaded = _decrypt(key_text, passphrase)
    for crypto_class, key_class in _KEY_CLASSES:
        if isinstance(loaded, crypto_class):
            # paramiko reads Ed25519 only in OpenSSH format, so hand it every
            # key in that format, already decrypted.
            openssh_text = loaded.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            ).decode()
            return key_class.from_private_key(io.StringIO(openssh_text))
    raise ConfigError(
        f"SFTP private key type {type(loaded).__name__} is not supported "
        "(use Ed25519, ECDSA or RSA)",
        code="bad_client_key",
    )


def _decrypt(key_text: str, passphrase: str | None):
    data = key_text.strip().encode() + b"\n"
    password = passphrase.encode() if passphrase else None
    load = (
        serialization.load_ssh_private_key
        if key_text.lstrip().startswith(_OPENSSH_HEADER)
        else serialization.load_pem_private_key
    )
    try:
        return load(data, password=password)
    except TypeError:
        # cryptography's way of saying the passphrase is missing or superfluous
        problem = "needs a passphrase" if password is None else "is not encrypted"
        raise ConfigError(f"SFTP private key {problem}", code="bad_client_key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(
            "SFTP private key could not be read: wrong passphrase, or not an "
            "OpenSSH/PEM private key",
            code="bad_client_key",
        ) from None
