"""The SFTP requests of the sandbox server, answered on a confined local folder.

``ConfinedSftp`` is the ``paramiko.SFTPServerInterface`` the server installs
as its ``sftp`` subsystem; ``ServedFile`` is one open file. Every path goes
through :class:`ConfinedRoot`, so nothing outside the served folder can be
read, written, listed or linked to.

Behaviour a client can rely on (as with OpenSSH's sftp-server, protocol v3):

- RENAME never replaces: an existing target fails (``SSH_FX_FAILURE``). Files
  are renamed with link + unlink, which is atomic against a concurrent
  creator of the target; folders fall back to check-then-rename.
- ``posix-rename@openssh.com`` replaces the target, as its definition says.
- Only regular files are opened; links are never created (SYMLINK is
  unsupported) and READLINK answers only for targets inside the folder.
- Changing owner or group is refused; mode, size and times can be set.
"""

import errno
import functools
import os
import stat

import paramiko
from paramiko.sftp import SFTP_OK, SFTP_OP_UNSUPPORTED, SFTP_PERMISSION_DENIED

from connectors.sandbox_warehouse.confinement import ConfinedRoot

# One READ answers at most this much, whatever the client asks (clients ask 32 KiB).
_MAX_READ_BYTES = 256 * 1024
_DEFAULT_FILE_MODE = 0o644
_DEFAULT_FOLDER_MODE = 0o755
# link() fails with these where the file system cannot hard-link the source
# (a folder, or no hard links at all): fall back to check-then-rename.
_NO_LINK_ERRNOS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})


def _answered(operation):
    """Turn an ``OSError`` into the SFTP status code for its errno."""

    @functools.wraps(operation)
    def answer(*args):
        try:
            return operation(*args)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    return answer


class ServedFile(paramiko.SFTPHandle):
    """An open regular file, read and written at the offsets the client gives."""

    def __init__(self, descriptor: int, flags: int):
        super().__init__(flags)
        self._descriptor: int | None = descriptor
        self._appends = bool(flags & os.O_APPEND)

    def close(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)

    @_answered
    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self._open_descriptor(), min(length, _MAX_READ_BYTES), offset)

    @_answered
    def write(self, offset: int, data: bytes) -> int:
        descriptor = self._open_descriptor()
        view = memoryview(data)
        while view:  # a write may be partial; SFTP wants all or an error
            written = (
                os.write(descriptor, view) if self._appends else os.pwrite(descriptor, view, offset)
            )
            view, offset = view[written:], offset + written
        return SFTP_OK

    @_answered
    def stat(self) -> paramiko.SFTPAttributes:
        return paramiko.SFTPAttributes.from_stat(os.fstat(self._open_descriptor()))

    @_answered
    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return _apply_attributes(self._open_descriptor(), attr)

    def _open_descriptor(self) -> int:
        if self._descriptor is None:
            raise OSError(errno.EBADF, "file is closed")
        return self._descriptor


class ConfinedSftp(paramiko.SFTPServerInterface):
    """SFTP operations on ``root``; paramiko builds one per SFTP session."""

    def __init__(self, server: paramiko.ServerInterface, *args, root: ConfinedRoot, **kwargs):
        super().__init__(server, *args, **kwargs)
        self.root = root

    @_answered
    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> ServedFile:
        local = self.root.resolved(path)
        if os.path.lexists(local) and not stat.S_ISREG(os.lstat(local).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", path)
        mode = _DEFAULT_FILE_MODE if attr.st_mode is None else attr.st_mode & 0o777
        descriptor = os.open(local, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        handle = ServedFile(descriptor, flags)
        handle.filename = local
        return handle

    @_answered
    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes]:
        with os.scandir(self.root.resolved(path)) as entries:
            return [
                paramiko.SFTPAttributes.from_stat(entry.stat(follow_symlinks=False), entry.name)
                for entry in entries
            ]

    @_answered
    def stat(self, path: str) -> paramiko.SFTPAttributes:
        return paramiko.SFTPAttributes.from_stat(os.stat(self.root.resolved(path)))

    @_answered
    def lstat(self, path: str) -> paramiko.SFTPAttributes:
        return paramiko.SFTPAttributes.from_stat(os.lstat(self.root.entry(path)))

    @_answered
    def remove(self, path: str) -> int:
        os.remove(self.root.entry(path))
        return SFTP_OK

    @_answered
    def rename(self, oldpath: str, newpath: str) -> int:
        source, target = self.root.entry(oldpath), self.root.entry(newpath)
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, "target exists", newpath) from None
            os.rename(source, target)
            return SFTP_OK
        os.unlink(source)
        return SFTP_OK

    @_answered
    def posix_rename(self, oldpath: str, newpath: str) -> int:
        os.rename(self.root.entry(oldpath), self.root.entry(newpath))
        return SFTP_OK

    @_answered
    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        mode = _DEFAULT_FOLDER_MODE if attr.st_mode is None else attr.st_mode & 0o777
        os.mkdir(self.root.entry(path), mode)
        return SFTP_OK

    @_answered
    def rmdir(self, path: str) -> int:
        os.rmdir(self.root.entry(path))
        return SFTP_OK

    @_answered
    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return _apply_attributes(self.root.resolved(path), attr)

    def canonicalize(self, path: str) -> str:
        try:
            return self.root.virtual(path)
        except PermissionError:
            return "/"

    @_answered
    def readlink(self, path: str) -> str | int:
        link = self.root.entry(path)
        target = os.path.realpath(os.path.join(os.path.dirname(link), os.readlink(link)))
        virtual = self.root.virtual_of(target)
        return SFTP_PERMISSION_DENIED if virtual is None else virtual

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_OP_UNSUPPORTED


def _apply_attributes(target: int | str, attr: paramiko.SFTPAttributes) -> int:
    """Mode, size and times from ``attr`` on a descriptor or resolved path."""
    if attr.st_uid is not None or attr.st_gid is not None:
        return SFTP_PERMISSION_DENIED
    if attr.st_mode is not None:
        os.chmod(target, attr.st_mode & 0o7777)
    if attr.st_size is not None:
        os.truncate(target, attr.st_size)
    if attr.st_atime is not None and attr.st_mtime is not None:
        os.utime(target, (attr.st_atime, attr.st_mtime))
    return SFTP_OK
