"""Files the simulated warehouse puts down and takes away, on the local disk.

``deliver`` makes a file appear whole under its final name: the bytes go to
a dot-temporary in the same folder (which every SFTP poller ignores), are
flushed to disk, and are then hard-linked to the final name -- atomic like a
rename, but refusing an existing name instead of replacing it.
``set_aside`` moves a file into a sub-folder without overwriting anything.
"""

import os
from pathlib import Path


def deliver(folder: Path, name: str, content: bytes) -> Path:
    """Write ``folder/name`` atomically; ``FileExistsError`` if the name is taken."""
    final = folder / name
    temporary = folder / f".{name}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, final)
    finally:
        temporary.unlink()
    return final


def set_aside(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder`` (made if missing); a taken name gets ``.2``, ``.3``..."""
    folder.mkdir(exist_ok=True)
    candidate, attempt = folder / path.name, 1
    while True:
        try:
            os.link(path, candidate)
        except FileExistsError:
            attempt += 1
            candidate = folder / f"{path.name}.{attempt}"
            continue
        path.unlink()
        return candidate
