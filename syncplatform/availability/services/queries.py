"""What a channel asks about its available-to-sell."""

from syncplatform.mappings.models import LocationMapping, SkuMapping
from syncplatform.partners.models import Partner

from ..models import Availability


class UnknownSku(LookupError):
    """The channel has no SKU of that name (no mapping in force, no figure stored)."""


class UnknownLocation(LookupError):
    """The channel has no location of that name."""


def availability_of(channel: Partner, sku: str, location: str | None = None) -> list[Availability]:
    """The SKU's stored figures per location (one location when given), by location.

    Raises ``UnknownSku``/``UnknownLocation`` for names the channel has no
    mapping (or figure) for; a known SKU never reported is an empty list.
    """
    rows = Availability.objects.filter(channel=channel, channel_sku=sku)
    if location is not None:
        if not _location_is_known(channel, location):
            raise UnknownLocation(location)
        rows = rows.filter(channel_location=location)
    found = list(rows.order_by("channel_location"))
    if (
        not found
        and not SkuMapping.objects.in_force().filter(channel=channel, channel_sku=sku).exists()
    ):
        raise UnknownSku(sku)
    return found


def _location_is_known(channel: Partner, location: str) -> bool:
    return (
        LocationMapping.objects.in_force()
        .filter(channel=channel, channel_location=location)
        .exists()
        or Availability.objects.filter(channel=channel, channel_location=location).exists()
    )
