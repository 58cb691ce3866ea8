"""How paramiko and socket failures become the three connector errors.

- ``ConfigError``: the server refused our login (wrong key, user or password),
  the account may not touch a folder, a configured folder does not exist, or the
  server cannot speak any algorithm we accept.
- ``TransientError``: the server could not be reached or the conversation broke
  (refused, reset, timed out, closed, protocol error) or the server reported a
  generic failure (disk full, quota): try again later.
- ``PermanentError`` is raised by the client itself where the partner's data is
  the problem (a file vanished, is too big, or a name is taken).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import paramiko

from connectors.errors import ConfigError, ConnectorError, TransientError


@contextmanager
def translated_failures(action: str, *, may_have_reached_partner: bool = False) -> Iterator[None]:
    """Run the block, re-raising any failure as a connector error about ``action``.

    ``may_have_reached_partner`` marks transient errors of steps whose effect may
    have happened on the server before the failure (a rename whose answer was lost).
    """
    try:
        yield
    except ConnectorError:
        raise
    except paramiko.AuthenticationException as exc:
        raise ConfigError(f"{action}: login refused ({exc})", code="auth_failed") from exc
    except paramiko.IncompatiblePeer as exc:
        raise ConfigError(f"{action}: no common algorithm ({exc})", code="incompatible") from exc
    except PermissionError as exc:
        raise ConfigError(f"{action}: permission denied ({exc})", code="permission") from exc
    except FileNotFoundError as exc:
        raise ConfigError(f"{action}: no such file or folder ({exc})", code="not_found") from exc
    except TimeoutError as exc:
        raise TransientError(
            f"{action}: timed out",
            code="timeout",
            may_have_reached_partner=may_have_reached_partner,
        ) from exc
    except (OSError, EOFError, paramiko.SSHException) as exc:
        raise TransientError(
            f"{action}: {_describe(exc)}",
            code="connection",
            may_have_reached_partner=may_have_reached_partner,
        ) from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, EOFError) or not text:
        return f"connection closed by the server ({exc.__class__.__name__})"
    return f"{text} ({exc.__class__.__name__})"
