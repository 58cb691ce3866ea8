"""SSH keys of the sandbox: its host key, the client key it can mint, who may log in.

- The host key is an Ed25519 key in ``<state>/ssh_host_ed25519_key``, made on
  first start and reused after, so a client that pinned it keeps working.
- ``ensure_client_key(path)`` makes an Ed25519 key pair (``path`` and
  ``path.pub``, OpenSSH format, unencrypted, mode 0600) when it is missing,
  for the launcher of the embedded default; an existing pair is kept.
- Authorized keys are OpenSSH public key lines (``ssh-ed25519 AAAA... comment``,
  options before the key type are skipped), given as text or as a file.

Problems raise ``ConfigError`` that never quotes private key material.
"""

import base64
import binascii
import os
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from connectors.errors import ConfigError

HOST_KEY_FILE = "ssh_host_ed25519_key"
_KEY_TYPES = frozenset(
    identifier for key_class in paramiko.key_classes for identifier in key_class.identifiers()
)


def load_or_create_host_key(state_folder: Path) -> paramiko.PKey:
    """The server's host key, generated into ``state_folder`` the first time."""
    path = Path(state_folder) / HOST_KEY_FILE
    _create_key_pair(path, comment="sandbox-warehouse host key")
    return _load_private_key(path)


def ensure_client_key(path: Path) -> paramiko.PKey:
    """The client key pair at ``path`` (+ ``.pub``), made if missing; returns its public half."""
    path = Path(path)
    _create_key_pair(path, comment="sandbox-warehouse client")
    return _load_private_key(path)


def read_authorized_keys(source: str) -> tuple[paramiko.PKey, ...]:
    """Public keys from ``source``: key text (one or more lines) or the path of a file."""
    text = source
    first_word = source.strip().split(maxsplit=1)[0] if source.strip() else ""
    if first_word not in _KEY_TYPES:
        try:
            text = Path(source).read_text()
        except OSError as exc:
            raise ConfigError(
                f"authorized key {source!r} is neither a public key line nor a readable file "
                f"({exc.strerror})",
                code="bad_authorized_key",
            ) from None
    keys = tuple(
        _public_key(line, number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    if not keys:
        raise ConfigError(f"no public key in {source!r}", code="bad_authorized_key")
    return keys


def known_hosts_line(host: str, port: int, key: paramiko.PKey) -> str:
    """``[127.0.0.1]:8022 ssh-ed25519 AAAA...`` (plain ``host`` on port 22)."""
    address = host if port == 22 else f"[{host}]:{port}"
    return f"{address} {key.get_name()} {key.get_base64()}"


def public_key_line(key: paramiko.PKey, comment: str = "") -> str:
    return f"{key.get_name()} {key.get_base64()} {comment}".rstrip()


def _create_key_pair(path: Path, *, comment: str) -> None:
    """Write a new Ed25519 pair at ``path`` unless a private key is already there."""
    private_key = ed25519.Ed25519PrivateKey.generate()
    private_text = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public_text = private_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Exclusive create: two processes starting together keep the first key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as private_file:
        private_file.write(private_text)
    Path(f"{path}.pub").write_bytes(public_text + f" {comment}\n".encode())


def _load_private_key(path: Path) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ConfigError(
            f"cannot read the SSH key {path} ({exc.__class__.__name__})", code="bad_key_file"
        ) from None


def _public_key(line: str, number: int) -> paramiko.PKey:
    words = line.split()
    for index, word in enumerate(words[:-1]):
        if word in _KEY_TYPES:
            try:
                return paramiko.PKey.from_type_string(word, base64.b64decode(words[index + 1]))
            except (binascii.Error, ValueError, paramiko.SSHException) as exc:
                raise ConfigError(
                    f"authorized key line {number}: unreadable {word} key "
                    f"({exc.__class__.__name__})",
                    code="bad_authorized_key",
                ) from None
    raise ConfigError(
        f"authorized key line {number} is not 'KEYTYPE BASE64 [comment]'",
        code="bad_authorized_key",
    )
