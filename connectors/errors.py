"""The three ways a conversation with a partner can fail.

The transaction runner maps them to states: ``TransientError`` → retry later,
``PermanentError`` → failed (the partner refused; a person must look),
``ConfigError`` → failed (our set-up is wrong; a person must fix it).
"""


class ConnectorError(Exception):
    """Base class; ``code`` is a short machine-readable reason for the audit log."""

    code = "connector_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class TransientError(ConnectorError):
    """Try again later: timeouts, refused connections, 5xx, partner outage.

    ``may_have_reached_partner`` is True when the request may have been
    delivered before the failure (a read timeout after sending): the runner
    must ask the partner what happened before sending again.
    """

    code = "transient"

    def __init__(
        self, message: str, *, code: str | None = None, may_have_reached_partner: bool = False
    ):
        super().__init__(message, code=code)
        self.may_have_reached_partner = may_have_reached_partner


class PermanentError(ConnectorError):
    """The partner understood and refused the request; retrying will not help."""

    code = "permanent"


class ConfigError(ConnectorError):
    """Our configuration is wrong (bad URL, credentials, host key, folder)."""

    code = "config"
