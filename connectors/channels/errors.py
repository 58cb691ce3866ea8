"""The one error a channel adapter raises for a payload it cannot map."""

from connectors.errors import PermanentError


class ChannelPayloadError(PermanentError):
    """The channel sent a payload that cannot become a canonical order.

    ``field`` is the JSON path of the offending value in the channel's own
    payload (``line_items[2].sku``, ``shipping_address.country_code``; ``""``
    for the payload as a whole), so an operator knows where to look. Retrying
    the same payload gives the same error: fix the payload (or the shop) and
    replay.
    """

    code = "channel_payload"

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field or 'payload'}: {problem}")
        self.field = field
        self.problem = problem
