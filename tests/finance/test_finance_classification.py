"""The classification as a property: histories built from documented situations get exactly
the statuses the README's table gives them, by priority, and the totals always tie out."""

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from syncplatform.finance.choices import EXCEPTION_PRIORITY, ReconciliationStatus
from syncplatform.finance.services.matching import (
    OrderFacts,
    ReconciledOrder,
    Rules,
    classify,
    erp_value_counted,
)
from syncplatform.finance.services.summary import Summary

S = ReconciliationStatus
CENT = Decimal("0.01")
INVOICINGS = ("none", "full", "partial", "twice_same_delivery", "two_deliveries")


@st.composite
def situations(draw) -> dict:
    """One order's situation in the words of the README: cancelled or not, in the ERP at
    which value, shipped how much, invoiced how, settled how, how old."""
    ordered = draw(st.integers(1, 10))
    return {
        "total": draw(st.decimals(min_value=5, max_value=100_000, places=2)),
        "tolerance": draw(st.sampled_from([Decimal("0"), CENT, Decimal("0.05"), Decimal("1")])),
        "cancelled": draw(st.booleans()),
        "in_erp": draw(st.booleans()),
        "erp": draw(st.sampled_from(["exact", "within", "beyond", "unreported"])),
        "erp_currency": draw(st.sampled_from(["same", "blank", "other"])),
        "erp_delta": draw(st.integers(1, 10_000)),
        "ordered": ordered,
        "shipped": draw(st.sampled_from([0, ordered, max(1, ordered // 2)])),
        "invoicing": draw(st.sampled_from(INVOICINGS)),
        "invoice_currency_other": draw(st.booleans()),
        "settlement": draw(st.sampled_from(["none", "exact", "off"])),
        "settlement_currency_other": draw(st.booleans()),
        "settled_delta": draw(st.integers(1, 10_000)),
        "age": draw(st.integers(0, 60)),
        "settlement_days": draw(st.integers(1, 30)),
        "currency": draw(st.sampled_from(["USD", "CAD"])),
        "channel": draw(st.sampled_from([1, 2])),
    }


def facts_of(s: dict) -> tuple[OrderFacts, Rules]:
    total, tolerance, currency = s["total"], s["tolerance"], s["currency"]
    erp_value = {
        "exact": total,
        "within": total - tolerance,
        "beyond": total + tolerance + s["erp_delta"] * CENT,
        "unreported": None,
    }[s["erp"]]
    erp_currency = {"same": currency, "blank": "", "other": "EUR"}[s["erp_currency"]]
    count, deliveries, invoiced = {
        "none": (0, 0, Decimal("0")),
        "full": (1, 1, total),
        "partial": (1, 1, (total / 2).quantize(CENT)),
        "twice_same_delivery": (2, 1, total * 2),
        "two_deliveries": (2, 2, total),
    }[s["invoicing"]]
    invoice_currency = "EUR" if s["invoice_currency_other"] else currency
    expected_settled = Decimal("0") if s["cancelled"] else total
    settled = {
        "none": Decimal("0"),
        "exact": expected_settled,
        "off": expected_settled - tolerance - s["settled_delta"] * CENT,
    }[s["settlement"]]
    settle_currency = "EUR" if s["settlement_currency_other"] else currency
    facts = OrderFacts(
        channel_total=total,
        currency=currency,
        is_cancelled=s["cancelled"],
        is_in_erp=s["in_erp"],
        erp_value=erp_value if s["in_erp"] else None,
        erp_currency=erp_currency if s["in_erp"] else "",
        ordered_quantity=s["ordered"],
        shipped_quantity=s["shipped"],
        invoice_count=count,
        invoiced_deliveries=deliveries,
        invoiced_value=invoiced,
        invoice_currencies=(invoice_currency, invoice_currency) if count else (None, None),
        settlement_count=0 if s["settlement"] == "none" else 1,
        settled_gross=settled,
        settlement_currencies=(None, None)
        if s["settlement"] == "none"
        else (settle_currency, settle_currency),
        age_days=s["age"],
    )
    return facts, Rules(tolerance, s["settlement_days"])


def expected_reasons(s: dict) -> set[str]:
    """The README's table, situation by situation."""
    invoiced = s["invoicing"] != "none"
    in_full = s["invoicing"] in ("full", "twice_same_delivery", "two_deliveries")
    settled = s["settlement"] != "none"
    erp_other = s["in_erp"] and s["erp_currency"] == "other"
    reasons = {
        S.CANCELLED_BUT_INVOICED: s["cancelled"] and invoiced,
        S.NOT_IN_ERP: not s["in_erp"] and not s["cancelled"],
        S.CURRENCY_DIFFERS: erp_other
        or (invoiced and s["invoice_currency_other"])
        or (settled and s["settlement_currency_other"]),
        S.ERP_AMOUNT_DIFFERS: s["in_erp"] and not erp_other and s["erp"] == "beyond",
        S.INVOICED_TWICE: s["invoicing"] == "twice_same_delivery",
        S.SHORT_SHIPPED_INVOICED_IN_FULL: in_full and 0 < s["shipped"] < s["ordered"],
        S.INVOICED_NOT_SHIPPED: invoiced and s["shipped"] == 0,
        S.SHIPPED_NOT_INVOICED: not invoiced and s["shipped"] > 0,
        S.SETTLED_NOT_INVOICED: not invoiced and settled,
        S.SETTLED_AMOUNT_DIFFERS: s["settlement"] == "off" and not s["settlement_currency_other"],
        S.NOT_SETTLED_AFTER_N_DAYS: not settled
        and not s["cancelled"]
        and s["age"] > s["settlement_days"],
    }
    return {reason for reason, holds in reasons.items() if holds}


@settings(max_examples=500, deadline=None)
@given(situations())
def test_every_situation_gets_exactly_its_reasons_highest_priority_first(situation):
    facts, rules = facts_of(situation)
    reasons = classify(facts, rules)
    assert set(reasons) == expected_reasons(situation)
    assert list(reasons) == sorted(reasons, key=EXCEPTION_PRIORITY.index)
    assert len(set(reasons)) == len(reasons)


def reconciled(index: int, situation: dict) -> ReconciledOrder:
    facts, rules = facts_of(situation)
    return ReconciledOrder(
        index, situation["channel"], f"N{index}", None, "shipped", "", facts, Decimal("0"),
        None, Decimal("0"), facts.settled_gross, None, None, classify(facts, rules),
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(situations(), min_size=1, max_size=60))
def test_the_summary_ties_out_and_its_sums_are_the_orders_sums(situation_list):
    orders = [reconciled(i, s) for i, s in enumerate(situation_list)]
    summary = Summary({1: "shop-a", 2: "shop-b"})
    for order in orders:
        summary.add(order)
    result = summary.as_dict()
    assert result["ties_out"] is True
    expected = defaultdict(lambda: defaultdict(lambda: [0, Decimal("0"), Decimal("0")]))
    for order in orders:
        key = ({1: "shop-a", 2: "shop-b"}[order.channel_id], order.facts.currency)
        sums = expected[key][order.status]
        sums[0] += 1
        sums[1] += order.facts.channel_total
        sums[2] += erp_value_counted(order.facts)
    assert {(g["channel"], g["currency"]) for g in result["groups"]} == set(expected)
    for group in result["groups"]:
        statuses = expected[(group["channel"], group["currency"])]
        assert set(group["statuses"]) == set(statuses)
        for status, (count, channel_total, erp) in statuses.items():
            shown = group["statuses"][status]
            assert shown["orders"] == count
            assert Decimal(shown["channel_total"]) == channel_total
            assert Decimal(shown["erp_value"]) == erp
            assert Decimal(shown["difference"]) == channel_total - erp
        tie = group["tie_out"]
        assert Decimal(tie["channel_total"]) == Decimal(tie["erp_value"]) + Decimal(
            tie["differences_total"]
        )
        assert Decimal(tie["unexplained"]) == 0
        assert sum(Decimal(v) for v in tie["differences"].values()) == Decimal(
            tie["differences_total"]
        )


def test_several_exceptions_on_one_order_report_the_highest_and_list_the_rest():
    situation = {
        "total": Decimal("100.00"), "tolerance": CENT, "cancelled": False, "in_erp": True,
        "erp": "beyond", "erp_currency": "same", "erp_delta": 50, "ordered": 2, "shipped": 1,
        "invoicing": "twice_same_delivery", "invoice_currency_other": False,
        "settlement": "none", "settlement_currency_other": False, "settled_delta": 1,
        "age": 40, "settlement_days": 14, "currency": "USD", "channel": 1,
    }  # fmt: skip
    facts, rules = facts_of(situation)
    assert classify(facts, rules) == (
        S.ERP_AMOUNT_DIFFERS,
        S.INVOICED_TWICE,
        S.SHORT_SHIPPED_INVOICED_IN_FULL,
        S.NOT_SETTLED_AFTER_N_DAYS,
    )
    order = reconciled(1, situation)
    assert order.status == S.ERP_AMOUNT_DIFFERS


def test_a_difference_of_exactly_the_tolerance_still_matches():
    situation = {
        "total": Decimal("100.00"), "tolerance": Decimal("0.05"), "cancelled": False,
        "in_erp": True, "erp": "within", "erp_currency": "same", "erp_delta": 1, "ordered": 1,
        "shipped": 1, "invoicing": "full", "invoice_currency_other": False,
        "settlement": "exact", "settlement_currency_other": False, "settled_delta": 1, "age": 3,
        "settlement_days": 14, "currency": "USD", "channel": 1,
    }  # fmt: skip
    facts, rules = facts_of(situation)
    assert facts.channel_total - facts.erp_value == Decimal("0.05")
    assert classify(facts, rules) == ()
    assert reconciled(1, situation).status == S.MATCHED
