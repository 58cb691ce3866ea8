"""Read lock for files a partner is still writing.

SFTP has no locks, and many warehouses write their files in place under the
final name. A file is therefore taken only when it has stopped changing: its
size and mtime are the same in two listings taken a settle interval apart, or
its mtime is already older than a configured age.
"""

from collections.abc import Iterable

from connectors.sftp.remote_files import RemoteFile


def old_enough(files: Iterable[RemoteFile], *, now: float, age: float | None) -> list[RemoteFile]:
    """Files whose mtime is at least ``age`` seconds before ``now`` (none if ``age`` is None)."""
    if age is None:
        return []
    return [remote for remote in files if now - remote.mtime >= age]


def unchanged(
    first_look: Iterable[RemoteFile], second_look: Iterable[RemoteFile]
) -> list[RemoteFile]:
    """Files present in both looks with the same size and mtime.

    A file that grew, shrank, was touched, appeared or disappeared between the
    looks is left for the next poll.
    """
    second_by_name = {remote.name: remote for remote in second_look}
    return [remote for remote in first_look if second_by_name.get(remote.name) == remote]
