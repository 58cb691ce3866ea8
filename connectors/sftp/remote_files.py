"""What the SFTP client tells its callers about files on the partner's server."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteFile:
    """A regular file in one remote folder.

    ``size`` is in bytes; ``mtime`` is the server's modification time in whole
    seconds since the epoch (SFTP version 3 carries no fractions).
    """

    name: str
    size: int
    mtime: int


@dataclass(frozen=True)
class UploadReceipt:
    """The outcome of one upload.

    ``sha256`` is the hex digest of the bytes now under ``file.name``.
    ``was_already_present`` is True when an identical file was already there
    (a retried upload) and nothing was written.
    """

    file: RemoteFile
    sha256: str
    was_already_present: bool


@dataclass(frozen=True)
class FetchedFile:
    """A file copied from the server: ``file.size`` bytes with hex digest ``sha256``."""

    file: RemoteFile
    sha256: str
