"""The one error a channel adapter raises for a payload it cannot map."""

from __future__ import annotations

from connectors.errors import PermanentError


class ChannelPayloadError(PermanentError):
    """The channel sent a payload that cannot become a canonical order.

    ``field`` is the JSON path of the offending value in the channel's own
    payload (``line_items[2].sku``, ``shipping_address.country_code``; ``""``
    for the payload as a whole), so an operator knows where to look. An
    adapter that reads independent parts of a payload reports every problem
    it found in one error: ``problems`` lists them as ``(field, problem)``
    pairs, the first of which is also ``field`` and ``problem``. Mapping the
    same payload again gives the same error: fix the payload, the shop or the
    channel's defaults, then replay.
    """

    code = "channel_payload"

    def __init__(self, field: str, problem: str, *, more: tuple[tuple[str, str], ...] = ()):
        self.problems = ((field, problem), *more)
        super().__init__("; ".join(f"{path or 'payload'}: {text}" for path, text in self.problems))
        self.field = field
        self.problem = problem

    @classmethod
    def combining(cls, errors: list[ChannelPayloadError]) -> ChannelPayloadError:
        """One error naming every problem of ``errors`` (at least one), in order."""
        (field, problem), *more = [found for error in errors for found in error.problems]
        return cls(field, problem, more=tuple(more))
