"""Pinned SSH host keys: the only server keys we ever accept.

A partner's host key is pinned in its endpoint as known_hosts lines. There is no
trust-on-first-use: a server whose key is not pinned, or whose key differs from
the pinned one, is refused with a ``ConfigError`` that says which, and shows the
fingerprint the server presented so an operator can check it with the partner.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

import paramiko
from paramiko.hostkeys import HostKeyEntry, HostKeys, InvalidHostKey

from connectors.errors import ConfigError

# Host key algorithms a pinned key of each type is negotiated with. paramiko no
# longer offers SHA-1 "ssh-rsa" signatures, so an RSA key is asked for as SHA-2.
_ALGORITHMS_FOR_KEY_TYPE = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256")}
_KEY_TYPES = frozenset(
    identifier for key_class in paramiko.key_classes for identifier in key_class.identifiers()
)


def fingerprint(key: paramiko.PKey) -> str:
    """``ssh-ed25519 SHA256:...``, as ``ssh-keygen -lf`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return f"{key.get_name()} SHA256:{base64.b64encode(digest).decode().rstrip('=')}"


@dataclass(frozen=True)
class PinnedHostKeys:
    """The keys pinned for one server address (``host`` or ``[host]:port``)."""

    address: str
    keys: tuple[paramiko.PKey, ...]

    @classmethod
    def parse(cls, known_hosts: str, *, address: str) -> "PinnedHostKeys":
        """Keep the keys of the lines that name ``address`` (plain or hashed).

        A line without host names (``ssh-ed25519 AAAA... [comment]``) pins its key
        for ``address``. Blank lines and ``#`` comments are ignored; a line that
        cannot be read raises ``ConfigError`` with its line number.
        """
        keys = []
        for number, line in enumerate(known_hosts.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.split()[0] in _KEY_TYPES:
                line = f"{address} {line}"
            entry = _read_line(line, number)
            if any(_names(pattern, address) for pattern in entry.hostnames):
                keys.append(entry.key)
        return cls(address=address, keys=tuple(keys))

    def algorithms(self, offered: tuple[str, ...]) -> list[str]:
        """Host key algorithms to offer: the pinned types first, then the rest.

        The rest stay on the list so a server without the pinned key type still
        completes the handshake and is refused with the key it actually has.
        """
        first: list[str] = []
        for key in self.keys:
            for algorithm in _ALGORITHMS_FOR_KEY_TYPE.get(key.get_name(), (key.get_name(),)):
                if algorithm in offered and algorithm not in first:
                    first.append(algorithm)
        return first + [algorithm for algorithm in offered if algorithm not in first]

    def verify(self, server_key: paramiko.PKey) -> None:
        """Return if ``server_key`` is pinned; raise ``ConfigError`` otherwise.

        Codes: ``host_key_unknown`` when nothing is pinned for this address,
        ``host_key_mismatch`` when something else is pinned (a changed key: a
        re-installed server, or someone in the middle).
        """
        got = fingerprint(server_key)
        if not self.keys:
            raise ConfigError(
                f"host key for {self.address} is not pinned (got {got}); check the "
                "fingerprint with the partner and add its known_hosts line to the endpoint",
                code="host_key_unknown",
            )
        if any(_same_key(server_key, pinned) for pinned in self.keys):
            return
        expected = ", ".join(fingerprint(pinned) for pinned in self.keys)
        raise ConfigError(
            f"host key for {self.address} does not match the pinned key "
            f"(got {got}, pinned {expected}); refusing to connect",
            code="host_key_mismatch",
        )


def _names(pattern: str, address: str) -> bool:
    """True when a known_hosts host field names ``address`` (plain or ``|1|`` hashed)."""
    if pattern.startswith("|1|"):
        return hmac.compare_digest(HostKeys.hash_host(address, pattern), pattern)
    return pattern == address


def _same_key(one: paramiko.PKey, other: paramiko.PKey) -> bool:
    return one.get_name() == other.get_name() and one.asbytes() == other.asbytes()


def _read_line(line: str, number: int) -> HostKeyEntry:
    if line.startswith("@"):
        raise ConfigError(
            f"known_hosts line {number}: markers (@cert-authority, @revoked) are not supported",
            code="bad_known_hosts",
        )
    try:
        entry = HostKeyEntry.from_line(line, lineno=number)
    except (InvalidHostKey, paramiko.SSHException, ValueError, binascii.Error) as exc:
        raise ConfigError(
            f"known_hosts line {number} has an unreadable key ({exc.__class__.__name__})",
            code="bad_known_hosts",
        ) from None
    if entry is None:
        raise ConfigError(
            f"known_hosts line {number} is not 'HOSTS KEYTYPE BASE64KEY' with a known key type",
            code="bad_known_hosts",
        )
    return entry
