"""The file exchange with one warehouse over SFTP.

Use as a context manager; one instance is one SSH connection, not thread-safe::

    with SftpClient(endpoint) as sftp:
        sftp.put(RemoteFolder.OUTBOUND, "940_000123.edi", body)
        for remote in sftp.list_ready(RemoteFolder.INBOUND, "*.edi"):
            body = sftp.fetch(RemoteFolder.INBOUND, remote.name)
            sftp.move(remote.name, RemoteFolder.INBOUND, RemoteFolder.ARCHIVE)

Contracts:

- ``put`` never shows a half-written file under its final name and never
  overwrites: it writes ``.NAME.part`` in the same folder, then renames it with
  SFTP's standard RENAME, which refuses an existing target (on OpenSSH a
  race-free link + unlink). Repeating a put with the same bytes succeeds without
  writing (``was_already_present``); other bytes under a taken name are refused.
  If the warehouse took the file away between a put and its retry, the retry
  uploads it again: warehouses dedupe on the interchange control number.
- ``stage`` writes a coming put's temporary ahead of time, for a caller that
  has the bytes before it may show them (before its database commit, say): the
  ``put`` of the same bytes on this connection then only renames. A staged
  temporary whose put does not come is removed when the connection closes; one
  a crash leaves behind is replaced once stale, like any crashed upload's.
- ``list_ready`` returns only files that stopped changing (see ``read_lock``)
  and never dot-files, which hides our own and the partner's temporaries.
- ``fetch`` reads; it changes nothing and may be repeated. ``fetch_to_file``
  does the same into a local file in constant memory (a window of
  ``STREAM_WINDOW`` bytes), written as ``.NAME.part`` beside it and renamed
  into place once whole, so a local reader never sees half a file.
- ``move`` never overwrites: a taken name gets a UTC timestamp (``collision_name``).
  Repeating a move whose source is gone returns the name if a file of that name
  is in the destination (the earlier move); otherwise it is ``not_found``.

Errors (``connectors.errors``): ``ConfigError`` for our set-up (host key, login,
folders, an unsafe name we chose); ``PermanentError`` for the partner's data (a
name taken by other content, a listed file that vanished, is too large or has an
unsafe name); ``TransientError`` for everything worth retrying.
"""

import contextlib
import fnmatch
import hashlib
import os
import posixpath
import stat
import time
from datetime import UTC, datetime

import paramiko

from connectors.errors import ConfigError, PermanentError, TransientError
from connectors.sftp.endpoint import RemoteFolder, SftpEndpoint
from connectors.sftp.failures import translated_failures
from connectors.sftp.read_lock import old_enough, unchanged
from connectors.sftp.remote_files import FetchedFile, RemoteFile, UploadReceipt
from connectors.sftp.remote_names import (
    check_file_name,
    collision_name,
    is_hidden,
    upload_temporary_name,
)
from connectors.sftp.session import close_sftp, open_sftp

_MAX_COLLISION_ATTEMPTS = 20
# A streamed download asks for this much at a time, in pipelined 32 KiB reads
# (SFTP's usual packet): enough in flight to hide the round trip, and all the
# memory a download of any size holds.
STREAM_READ = 32 * 1024
STREAM_WINDOW = 128 * STREAM_READ


class SftpClient:
    """One connection to ``endpoint``; every path stays inside its configured folders."""

    def __init__(self, endpoint: SftpEndpoint):
        self.endpoint = endpoint
        self._sftp: paramiko.SFTPClient | None = None
        self._staged: dict[str, str] = {}  # temporary path: sha256 of the bytes staged there

    def __enter__(self) -> "SftpClient":
        self.connect()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection (see ``session.open_sftp`` for its errors)."""
        if self._sftp is None:
            self._sftp = open_sftp(self.endpoint)

    def close(self) -> None:
        """Remove temporaries staged and never put, then close the connection; idempotent."""
        if self._sftp is not None:
            for temporary in self._staged:
                self._forget_temporary(temporary)
            self._staged.clear()
            sftp, self._sftp = self._sftp, None
            close_sftp(sftp)

    def put(self, folder: RemoteFolder | str, name: str, data: bytes) -> UploadReceipt:
        """Upload ``data`` as ``folder/name``, atomically and without overwriting.

        Idempotent for the same bytes. Raises ``ConfigError`` for an unsafe
        ``name``, ``PermanentError`` (``name_taken``) when other bytes already
        have the name, ``TransientError`` (``upload_in_progress``) while another
        upload of the name is still writing its temporary.
        """
        check_file_name(name, refuse_with=ConfigError)
        final = self._path(folder, name)
        temporary = self._path(folder, upload_temporary_name(name))
        digest = hashlib.sha256(data).hexdigest()
        action = f"SFTP upload of {name} to {folder}"
        staged_digest = self._staged.pop(temporary, None)
        with translated_failures(action):
            existing = self._stat(final)
            staged = staged_digest == digest and existing is None
            if staged_digest is not None and not staged:
                self._forget_temporary(temporary)  # other bytes staged, or the file is there
            if existing is not None:
                return self._receipt_for_existing(final, name, data, digest)
            if not staged or self._stat(temporary) is None:  # unless taken away since staged
                self._write_temporary(temporary, name, data)
            # Read before the rename: a quick partner may take the file the moment it
            # appears, and a stat after the rename would then fail a good upload.
            uploaded = self._remote_file(temporary, name)
        with translated_failures(action, may_have_reached_partner=True):
            try:
                self._connection.rename(temporary, final)
            except OSError as exc:
                if self._stat(final) is None:
                    if isinstance(exc, FileNotFoundError):
                        raise TransientError(
                            f"{action}: the temporary vanished before the rename",
                            code="upload_lost",
                        ) from exc
                    raise
                # Another upload of the same name won the race; ours is not needed.
                self._connection.remove(temporary)
                return self._receipt_for_existing(final, name, data, digest)
            return UploadReceipt(uploaded, digest, was_already_present=False)

    def stage(self, folder: RemoteFolder | str, name: str, data: bytes) -> None:
        """Write ``data`` as the temporary of a coming ``put(folder, name, data)``.

        Nothing shows under ``name`` until that put, which then only renames.
        Raises as ``put`` does; a failed stage leaves nothing staged, and the
        put writes the file itself.
        """
        check_file_name(name, refuse_with=ConfigError)
        temporary = self._path(folder, upload_temporary_name(name))
        with translated_failures(f"SFTP staging of {name} in {folder}"):
            self._write_temporary(temporary, name, data)
        self._staged[temporary] = hashlib.sha256(data).hexdigest()

    def list_ready(self, folder: RemoteFolder | str, pattern: str = "*") -> list[RemoteFile]:
        """Files in ``folder`` matching ``pattern`` (case-sensitive fnmatch) that are ready.

        Ready: unchanged across two looks ``settle_seconds`` apart, or older than
        ``ready_age_seconds``. Oldest first. Sleeps ``settle_seconds`` only when a
        file is not old enough. Changes nothing on the server.
        """
        directory = self.endpoint.folders.path_of(folder)
        with translated_failures(f"SFTP listing of {folder}"):
            first_look = self._look(directory, pattern)
            ready = {
                remote.name: remote
                for remote in old_enough(
                    first_look, now=time.time(), age=self.endpoint.ready_age_seconds
                )
            }
            waiting = [remote for remote in first_look if remote.name not in ready]
            if waiting:
                time.sleep(self.endpoint.settle_seconds)
                second_look = self._look(directory, pattern)
                ready.update((remote.name, remote) for remote in unchanged(waiting, second_look))
        return sorted(ready.values(), key=lambda remote: (remote.mtime, remote.name))

    def fetch(self, folder: RemoteFolder | str, name: str) -> bytes:
        """The whole content of ``folder/name``; read-only, repeatable.

        ``PermanentError``: the name is unsafe (``unsafe_name``), the file is gone
        (``not_found``) or larger than ``max_file_bytes`` (``file_too_large``).
        """
        check_file_name(name, refuse_with=PermanentError)
        path = self._path(folder, name)
        with translated_failures(f"SFTP download of {name} from {folder}"):
            try:
                content = self._read_limited(path)
            except FileNotFoundError:
                raise PermanentError(f"{name} is no longer in {folder}", code="not_found") from None
        if content is None:
            raise PermanentError(
                f"{name} in {folder} is larger than the {self.endpoint.max_file_bytes}-byte limit",
                code="file_too_large",
            )
        return content

    def fetch_to_file(
        self, folder: RemoteFolder | str, name: str, local_path: str | os.PathLike
    ) -> FetchedFile:
        """Copy ``folder/name`` to ``local_path``, holding at most ``STREAM_WINDOW`` bytes.

        Read-only on the server and repeatable (the local file is replaced).
        The copy is written to ``.NAME.part`` in ``local_path``'s folder and
        renamed over ``local_path`` only when whole; on any error it is removed.
        Raises as ``fetch`` does: ``PermanentError`` for an unsafe name
        (``unsafe_name``), a file gone (``not_found``) or larger than
        ``max_file_bytes`` (``file_too_large``, found while reading if it grew).
        """
        check_file_name(name, refuse_with=PermanentError)
        path = self._path(folder, name)
        local_path = os.fspath(local_path)
        partial = os.path.join(os.path.dirname(local_path) or ".", upload_temporary_name(name))
        try:
            with translated_failures(f"SFTP download of {name} from {folder}"):
                try:
                    fetched = self._stream_to(path, name, partial)
                except FileNotFoundError:
                    raise PermanentError(
                        f"{name} is no longer in {folder}", code="not_found"
                    ) from None
            if fetched is None:
                raise PermanentError(
                    f"{name} in {folder} is larger than the "
                    f"{self.endpoint.max_file_bytes}-byte limit",
                    code="file_too_large",
                )
            os.replace(partial, local_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(partial)
            raise
        return fetched

    def move(
        self, name: str, from_folder: RemoteFolder | str, to_folder: RemoteFolder | str
    ) -> str:
        """Move ``name`` between two configured folders; return its name there.

        Never overwrites: when the name is taken in ``to_folder`` the file gets
        ``collision_name`` (a UTC timestamp before the extension). ``PermanentError``
        for an unsafe name or a source that is gone (``not_found``).
        """
        check_file_name(name, refuse_with=PermanentError)
        if self.endpoint.folders.path_of(from_folder) == self.endpoint.folders.path_of(to_folder):
            raise ConfigError(f"cannot move {name} from {from_folder} to itself", code="bad_folder")
        source = self._path(from_folder, name)
        moved_at = datetime.now(UTC)
        action = f"SFTP move of {name} from {from_folder} to {to_folder}"
        with translated_failures(action, may_have_reached_partner=True):
            for attempt in range(_MAX_COLLISION_ATTEMPTS):
                target_name = name if attempt == 0 else collision_name(name, moved_at, attempt)
                if self._rename_if_free(source, self._path(to_folder, target_name)):
                    return target_name
                if self._stat(source) is None:
                    if attempt == 0 and self._stat(self._path(to_folder, name)) is not None:
                        return name  # an earlier attempt of this move got there
                    raise PermanentError(f"{name} is no longer in {from_folder}", code="not_found")
        raise TransientError(f"{action}: every collision name was taken", code="name_collision")

    @property
    def _connection(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("SftpClient is not connected: use it as a context manager")
        return self._sftp

    def _path(self, folder: RemoteFolder | str, name: str) -> str:
        return posixpath.join(self.endpoint.folders.path_of(folder), name)

    def _stat(self, path: str) -> paramiko.SFTPAttributes | None:
        try:
            return self._connection.stat(path)
        except FileNotFoundError:
            return None

    def _remote_file(self, path: str, name: str) -> RemoteFile:
        attributes = self._connection.stat(path)
        return RemoteFile(name=name, size=attributes.st_size or 0, mtime=attributes.st_mtime or 0)

    def _look(self, directory: str, pattern: str) -> list[RemoteFile]:
        return [
            RemoteFile(name=entry.filename, size=entry.st_size or 0, mtime=entry.st_mtime or 0)
            for entry in self._connection.listdir_attr(directory)
            if stat.S_ISREG(entry.st_mode or 0)
            and not is_hidden(entry.filename)
            and fnmatch.fnmatchcase(entry.filename, pattern)
        ]

    def _read_limited(self, path: str) -> bytes | None:
        """The file's bytes, or None when it is over ``max_file_bytes``."""
        limit = self.endpoint.max_file_bytes
        with self._connection.open(path, "r") as handle:
            size = handle.stat().st_size or 0
            if size > limit:
                return None
            handle.prefetch(size)
            content = handle.read(limit + 1)  # the file may have grown since stat
        return content if len(content) <= limit else None

    def _stream_to(self, path: str, name: str, partial: str) -> FetchedFile | None:
        """Write the remote file to ``partial`` a window at a time; None when over the limit."""
        limit = self.endpoint.max_file_bytes
        digest, written = hashlib.sha256(), 0
        with self._connection.open(path, "r") as handle:
            attributes = handle.stat()
            size = attributes.st_size or 0
            if size > limit:
                return None
            with open(partial, "wb") as out:
                # Pipelined windows (readv) only within the size stat gave: a read
                # past the end would leave paramiko's prefetch waiting for it.
                while written < size:
                    end = min(written + STREAM_WINDOW, size)
                    window = [
                        (offset, min(STREAM_READ, end - offset))
                        for offset in range(written, end, STREAM_READ)
                    ]
                    for block in handle.readv(window):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
                    if written < end:
                        break  # the file shrank while we read it: take what is there
                # Then plain reads until the end, in case the file grew since stat.
                handle.seek(written)
                while block := handle.read(STREAM_READ):
                    digest.update(block)
                    out.write(block)
                    written += len(block)
                    if written > limit:
                        return None
        return FetchedFile(
            RemoteFile(name=name, size=written, mtime=attributes.st_mtime or 0),
            digest.hexdigest(),
        )

    def _rename_if_free(self, source: str, target: str) -> bool:
        """Standard RENAME; False when the source is gone or the target is taken."""
        try:
            self._connection.rename(source, target)
        except OSError:
            if self._stat(source) is None or self._stat(target) is not None:
                return False
            raise  # e.g. the destination folder is missing
        return True

    def _receipt_for_existing(
        self, path: str, name: str, data: bytes, digest: str
    ) -> UploadReceipt:
        remote = self._remote_file(path, name)
        if remote.size == len(data):
            with self._connection.open(path, "r") as handle:
                handle.prefetch(remote.size)
                if hashlib.sha256(handle.read()).hexdigest() == digest:
                    return UploadReceipt(remote, digest, was_already_present=True)
        raise PermanentError(
            f"{name} already exists on the server with other content; not overwriting",
            code="name_taken",
        )

    def _write_temporary(self, temporary: str, name: str, data: bytes) -> None:
        """Write ``data`` to the temporary with an exclusive create.

        Exclusive, so two uploads of one name can never interleave their bytes.
        A leftover temporary is replaced when nobody touched it for
        ``stale_upload_seconds`` (a crashed upload's), or at once when it holds
        a beginning of these very bytes: an earlier attempt at this same upload
        that a broken connection cut off. Waiting for that one to go stale would
        hold a retried 940 back for minutes, and replacing it is harmless even
        if that attempt were still writing, since both write the same bytes.
        """
        try:
            handle = self._connection.open(temporary, "wx")
        except OSError:
            leftover = self._stat(temporary)
            if leftover is None:
                raise
            idle = time.time() - (leftover.st_mtime or 0)
            if idle < self.endpoint.stale_upload_seconds and not self._holds_beginning_of(
                temporary, leftover.st_size, data
            ):
                raise TransientError(
                    f"another upload of {name} is in progress "
                    f"({posixpath.basename(temporary)} written {idle:.0f} s ago)",
                    code="upload_in_progress",
                ) from None
            self._connection.remove(temporary)
            handle = self._connection.open(temporary, "wx")
        try:
            with handle:
                handle.set_pipelined(True)
                handle.write(data)
        except BaseException:
            self._forget_temporary(temporary)
            raise
        written = self._connection.stat(temporary).st_size
        if written != len(data):
            self._forget_temporary(temporary)
            raise TransientError(
                f"upload of {name} wrote {written} of {len(data)} bytes", code="short_write"
            )

    def _holds_beginning_of(self, path: str, size: int | None, data: bytes) -> bool:
        """True when the remote file's bytes are a prefix of ``data`` (an empty file is)."""
        if size is None or size > len(data):
            return False
        if size == 0:
            return True
        with self._connection.open(path, "r") as handle:
            handle.prefetch(size)
            return handle.read(size) == data[:size]

    def _forget_temporary(self, temporary: str) -> None:
        """Best effort: if the connection is gone, the stale-temporary rule cleans up."""
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            self._connection.remove(temporary)
