"""What we need to know to talk to one partner's SFTP server.

Both dataclasses validate themselves on construction and raise ``ConfigError``
naming the bad field, so a wrong partner set-up fails when it is loaded, not in
the middle of a file transfer. Secrets (password, private key, passphrase) are
left out of ``repr`` so they never reach a log line or an audit event.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from connectors.errors import ConfigError
from connectors.sftp.host_keys import PinnedHostKeys


class RemoteFolder(StrEnum):
    """The four logical folders of a warehouse exchange.

    ``OUTBOUND``: files we send (940 shipping orders, our 997s).
    ``INBOUND``: files the warehouse sends us (945, 846, its 997s).
    ``ARCHIVE``: inbound files we processed. ``ERROR``: inbound files we refused.
    """

    OUTBOUND = "outbound"
    INBOUND = "inbound"
    ARCHIVE = "archive"
    ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class SftpFolders:
    """Server-side path of each logical folder, as the partner laid them out.

    Paths are relative to the login directory (or absolute on the server); the
    client never touches any other folder.
    """

    outbound: str = "outbound"
    inbound: str = "inbound"
    archive: str = "archive"
    error: str = "error"

    def __post_init__(self):
        paths = [self.path_of(folder) for folder in RemoteFolder]
        for folder, path in zip(RemoteFolder, paths, strict=True):
            _check_folder_path(folder, path)
        if len(set(paths)) != len(paths):
            raise ConfigError(f"SFTP folders must be distinct, got {paths}", code="bad_folder")

    def path_of(self, folder: RemoteFolder | str) -> str:
        """Server path of a logical folder; ``ConfigError`` for an unknown folder."""
        try:
            return getattr(self, RemoteFolder(folder).value)
        except ValueError:
            known = ", ".join(f.value for f in RemoteFolder)
            raise ConfigError(
                f"unknown SFTP folder {folder!r} (one of {known})", code="bad_folder"
            ) from None


def _check_folder_path(folder: RemoteFolder, path: str) -> None:
    parts = path.replace("\\", "/").split("/")
    if not path or "\0" in path or ".." in parts:
        raise ConfigError(f"SFTP folder {folder.value} has a bad path {path!r}", code="bad_folder")


@dataclass(frozen=True, kw_only=True)
class SftpEndpoint:
    """One partner's SFTP server and how we log in and poll there.

    ``private_key`` is the key text (OpenSSH or PEM, optionally encrypted with
    ``passphrase``), not a path: the platform stores it encrypted. Give a key, a
    password, or both (the key is tried first).

    ``known_hosts`` holds one or more known_hosts lines pinning the server's host
    key (``[host]:port ssh-ed25519 AAAA...``; a bare ``ssh-ed25519 AAAA...`` pins
    that key for this endpoint). Unknown keys are never accepted.

    Times are seconds. ``connect_timeout`` bounds TCP connect, SSH handshake and
    authentication; ``operation_timeout`` bounds each wait for the server during
    an SFTP request; ``keepalive_seconds`` sends SSH keep-alives (0: off).

    Read lock for inbound files: a file is ready when its size and mtime did not
    change across two looks ``settle_seconds`` apart, or, when
    ``ready_age_seconds`` is set, as soon as its mtime is that old (this compares
    the server's mtime with our clock, so it assumes the clocks roughly agree).

    ``stale_upload_seconds``: an upload temporary (``.NAME.part``) untouched for
    this long is taken to be left over by a crashed upload and is replaced. It
    must exceed ``operation_timeout``: a live upload that stalls longer than that
    fails, so it touches its temporary more often than this.
    ``max_file_bytes``: larger inbound files are refused rather than read.
    """

    host: str
    username: str
    port: int = 22
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    known_hosts: str = ""
    folders: SftpFolders = field(default_factory=SftpFolders)
    connect_timeout: float = 15.0
    operation_timeout: float = 60.0
    keepalive_seconds: int = 30
    settle_seconds: float = 2.0
    ready_age_seconds: float | None = None
    stale_upload_seconds: float = 300.0
    max_file_bytes: int = 64 * 1024 * 1024

    def __post_init__(self):
        if not self.host or not self.username:
            raise ConfigError("SFTP endpoint needs a host and a username", code="bad_endpoint")
        if not 0 < self.port < 65536:
            raise ConfigError(f"SFTP port {self.port} is out of range", code="bad_endpoint")
        if not self.private_key and self.password is None:
            raise ConfigError("SFTP endpoint needs a private key or a password", code="no_auth")
        for name in ("connect_timeout", "operation_timeout", "stale_upload_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"SFTP {name} must be positive", code="bad_endpoint")
        if self.stale_upload_seconds <= self.operation_timeout:
            raise ConfigError(
                "SFTP stale_upload_seconds must exceed operation_timeout", code="bad_endpoint"
            )
        if self.keepalive_seconds < 0 or self.settle_seconds < 0 or self.max_file_bytes <= 0:
            raise ConfigError("SFTP keepalive/settle/max size out of range", code="bad_endpoint")
        self.pinned_host_keys()  # a malformed known_hosts fails here, at load time

    @property
    def address(self) -> str:
        """The name known_hosts uses for this server: ``host`` or ``[host]:port``."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"

    def pinned_host_keys(self) -> PinnedHostKeys:
        return PinnedHostKeys.parse(self.known_hosts, address=self.address)
