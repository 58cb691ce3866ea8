"""File names on the partner's server: which are safe, and the names we derive.

Every name we pass to the server is one plain file name inside a configured
folder, so a name can never climb out of it. Refused: empty names, names with
``/``, ``\\`` (a separator on Windows-backed servers), NUL or other control
characters, names starting with ``.`` (hidden: ``..``, and our own upload
temporaries) or ``-`` (read as an option by the tools people use on these
folders), and names over 255 characters.
"""

from datetime import datetime

from connectors.errors import ConnectorError

PART_SUFFIX = ".part"
_MAX_NAME_LENGTH = 255


def check_file_name(name: str, *, refuse_with: type[ConnectorError]) -> str:
    """Return ``name`` when it is safe; raise ``refuse_with`` otherwise.

    Callers choose the error: a name we chose (an upload) is our ``ConfigError``;
    a name the partner's listing gave us is the partner's ``PermanentError``.
    """
    problem = _problem_with(name)
    if problem:
        raise refuse_with(f"refusing SFTP file name {name!r}: {problem}", code="unsafe_name")
    return name


def _problem_with(name: str) -> str | None:
    if not isinstance(name, str) or not name:
        return "empty"
    if len(name) > _MAX_NAME_LENGTH:
        return f"longer than {_MAX_NAME_LENGTH} characters"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "contains a control character"
    if name.startswith("."):
        return "hidden names (starting with '.') are reserved"
    if name.startswith("-"):
        return "starts with '-'"
    return None


def is_hidden(name: str) -> bool:
    """Dot-files, including our ``.NAME.part`` upload temporaries: never listed."""
    return name.startswith(".")


def upload_temporary_name(name: str) -> str:
    """``940_0001.edi`` is written as ``.940_0001.edi.part`` and then renamed.

    The leading dot hides it from the warehouse (which must ignore dot-files)
    and from our own listings; one fixed name per file lets a retry find and
    replace what a crashed upload left behind.
    """
    return f".{name}{PART_SUFFIX}"


def collision_name(name: str, moved_at: datetime, attempt: int) -> str:
    """Destination name when ``name`` is taken: a UTC timestamp before the extension.

    ``945_77.edi`` moved at 2026-11-23 10:15:00 UTC becomes
    ``945_77.20261123T101500Z.edi``; ``attempt`` > 1 appends ``-2``, ``-3``...
    for files moved within the same second.
    """
    stem, dot, extension = name.rpartition(".")
    if not stem:
        stem, dot, extension = name, "", ""
    stamp = moved_at.strftime("%Y%m%dT%H%M%SZ")
    if attempt > 1:
        stamp = f"{stamp}-{attempt}"
    return f"{stem}.{stamp}{dot}{extension}"
