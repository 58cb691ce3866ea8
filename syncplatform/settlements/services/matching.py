"""Link settlement lines to the orders their references name, after the fact."""

from syncplatform.orders.reads import order_ids_for_channel_references

from ..models import SettlementLine
from .imports import CHUNK_ROWS


def match_settlement_lines(channel) -> int:
    """Link the channel's unlinked lines whose reference now names an order; the count linked.

    An import links what it can; a payout can arrive before its order does
    (or before a channel's numbers are fixed), so this runs again over what
    is left, a chunk at a time. Repeating it links nothing twice.
    """
    linked, after = 0, 0
    unlinked = SettlementLine.objects.filter(channel=channel, order__isnull=True).exclude(
        order_reference=""
    )
    while chunk := list(
        unlinked.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "order_reference")[:CHUNK_ROWS]
    ):
        after = chunk[-1][0]
        orders = order_ids_for_channel_references(channel.pk, {ref for _, ref in chunk})
        pks = [pk for pk, reference in chunk if reference in orders]
        for reference, order_id in orders.items():
            linked += unlinked.filter(pk__in=pks, order_reference=reference).update(
                order_id=order_id
            )
    return linked
