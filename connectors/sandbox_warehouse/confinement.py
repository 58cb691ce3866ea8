"""One local folder served as the whole SFTP file system, with no way out.

Client paths are virtual: ``/`` is the served folder, and so is the login
directory, so ``outbound/x.edi`` and ``/outbound/x.edi`` name the same file.
``..`` stops at the top the way it does in a chroot: ``../etc/passwd`` is
``/etc/passwd`` inside the served folder, which does not exist.

Symbolic links are followed only while they stay inside the folder: every
path is resolved with ``realpath`` and refused (``PermissionError``, which
the SFTP layer answers with "permission denied") when it lands outside.
Operations on a name itself (lstat, remove, rename, mkdir) resolve only the
folder holding the name, so a link can be removed without being followed.
"""

import errno
import os
import posixpath


class ConfinedRoot:
    """Maps virtual SFTP paths to local paths inside ``folder``."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = os.path.realpath(folder)

    def virtual(self, client_path: str) -> str:
        """The normalised absolute virtual path: ``a//b/../c`` → ``/a/c``, ``..`` → ``/``."""
        self._refuse_nul(client_path)
        return posixpath.normpath("/" + client_path.lstrip("/"))

    def resolved(self, client_path: str) -> str:
        """Local path with every link resolved; ``PermissionError`` outside the folder."""
        local = os.path.realpath(self._joined(self.virtual(client_path)))
        self._check_inside(local, client_path)
        return local

    def entry(self, client_path: str) -> str:
        """Local path of the name itself: its folder resolved, its last part not followed.

        The top of the tree is the folder itself (it cannot be renamed or removed
        from inside: the SFTP layer refuses those with the OS's own error).
        """
        virtual = self.virtual(client_path)
        if virtual == "/":
            return self.folder
        parent, name = posixpath.split(virtual)
        local_parent = os.path.realpath(self._joined(parent))
        self._check_inside(local_parent, client_path)
        return os.path.join(local_parent, name)

    def virtual_of(self, local: str) -> str | None:
        """The virtual path of a resolved local path, or None when it is outside."""
        if not self._contains(local):
            return None
        relative = os.path.relpath(local, self.folder)
        return "/" if relative == "." else "/" + relative.replace(os.sep, "/")

    def _joined(self, virtual: str) -> str:
        return os.path.join(self.folder, virtual.lstrip("/"))

    def _contains(self, local: str) -> bool:
        return local == self.folder or local.startswith(self.folder.rstrip(os.sep) + os.sep)

    def _check_inside(self, local: str, client_path: str) -> None:
        if not self._contains(local):
            raise PermissionError(errno.EACCES, "outside the served folder", client_path)

    @staticmethod
    def _refuse_nul(client_path: str) -> None:
        if "\0" in client_path:
            raise PermissionError(errno.EACCES, "NUL in path", client_path)
