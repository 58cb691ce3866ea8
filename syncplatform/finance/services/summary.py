"""The summary of a report: counts and sums per channel, currency and status, and the tie-out.

The tie-out is the proof finance signs: per channel and currency, the sum of
the channel totals equals the sum of the ERP values plus the differences the
report lists, status by status. The ERP side counts an order's ERP value only
where it has one in the order's currency (an order not in the ERP, or in
another currency, lists its whole channel total as its difference).
"""

from __future__ import annotations

from ..choices import ReconciliationStatus
from .amounts import shown_amount
from .matching import ZERO, ReconciledOrder, erp_value_counted

# Sums kept per status, in the order the summary shows them.
SUMS = (
    "channel_total",
    "erp_value",
    "difference",
    "shipped_value",
    "invoiced_value",
    "settled_gross",
    "settled_fee",
    "settled_net",
)
SETTLEMENT_SUMS = ("settled_gross", "settled_fee", "settled_net")


class Summary:
    """Accumulates a report's orders; ``as_dict()`` is what the report row stores
    (amounts as decimal strings) and the XLSX summary sheet shows."""

    def __init__(self, channel_codes: dict[int, str]):
        self.channel_codes = channel_codes
        # (channel code, currency) -> status -> [count, *sums]
        self.groups: dict[tuple[str, str], dict[str, list]] = {}

    def add(self, order: ReconciledOrder) -> None:
        facts = order.facts
        key = (self.channel_codes[order.channel_id], facts.currency)
        statuses = self.groups.setdefault(key, {})
        sums = statuses.get(order.status)
        if sums is None:
            sums = statuses[order.status] = [0] + [ZERO] * len(SUMS)
        erp = erp_value_counted(facts)
        sums[0] += 1
        sums[1] += facts.channel_total
        sums[2] += erp
        sums[3] += facts.channel_total - erp
        sums[4] += order.shipped_value
        sums[5] += facts.invoiced_value
        sums[6] += facts.settled_gross
        sums[7] += order.settled_fee
        sums[8] += order.settled_net

    def as_dict(self) -> dict:
        """``{"groups": [{"channel", "currency", "statuses": {status: {...}},
        "totals": {...}, "tie_out": {...}}], "ties_out": bool}``."""
        groups, ties_out = [], True
        for (channel, currency), statuses in sorted(self.groups.items()):
            ordered = [s for s in ReconciliationStatus.values if s in statuses]
            totals = [sum(statuses[s][i] for s in ordered) for i in range(len(SUMS) + 1)]
            check = totals[1] - (totals[2] + totals[3])
            ties_out = ties_out and check == 0
            groups.append(
                {
                    "channel": channel,
                    "currency": currency,
                    "statuses": {s: _named(statuses[s]) for s in ordered},
                    "totals": _named(totals),
                    "tie_out": {
                        "channel_total": str(totals[1]),
                        "erp_value": str(totals[2]),
                        "differences": {s: str(statuses[s][3]) for s in ordered},
                        "differences_total": str(totals[3]),
                        "unexplained": str(check),
                    },
                }
            )
        return {"groups": groups, "ties_out": ties_out}


def _named(values: list) -> dict:
    return {"orders": values[0], **{name: str(v) for name, v in zip(SUMS, values[1:], strict=True)}}


def shown_summary(summary: dict) -> dict:
    """``summary`` (``Summary.as_dict()``) as finance reads it: every amount at its
    currency's minor units, or in full where it has more digits (``amounts``). The
    stored summary keeps the exact sums; this only re-writes them."""
    groups = []
    for group in summary["groups"]:
        currency = group["currency"]

        def money(sums: dict, currency=currency) -> dict:
            return {k: v if k == "orders" else shown_amount(v, currency) for k, v in sums.items()}

        tie = group["tie_out"]
        groups.append(
            {
                **group,
                "statuses": {status: money(sums) for status, sums in group["statuses"].items()},
                "totals": money(group["totals"]),
                "tie_out": {
                    **money({k: v for k, v in tie.items() if k != "differences"}),
                    "differences": money(tie["differences"]),
                },
            }
        )
    return {**summary, "groups": groups}
