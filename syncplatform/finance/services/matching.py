"""Matching: what each order's sides say (one SQL statement) and which status that is (Python).

The facts of every order in scope come from one set-based statement: the
orders of the period and channels, with their lines, invoices, settlement
lines and failed ERP postings aggregated per order in CTEs, read through a
server-side cursor in chunks (``CHUNK_ROWS``). Memory stays bounded by a
chunk whatever the period holds; a million orders is one statement, not a
million lookups. ``classify`` is a pure function of one order's facts.

Amounts are ``Decimal`` from the database to the files (on SQLite, whose sums
are floats, they are re-read as decimals at their scale), written at their
currency's minor units unless they have more digits (``amounts``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone

from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import SyncTransaction
from syncplatform.erpdocs.models import Invoice
from syncplatform.orders.reads import reconciliation_sources
from syncplatform.settlements.choices import SettlementKind
from syncplatform.settlements.models import SettlementLine

from ..choices import PeriodBasis
from ..choices import ReconciliationStatus as S
from .amounts import DEFAULT_DIGITS, MINOR_UNITS, at_minor_units, minor_units_values_sql

# Rows fetched per round trip; 5,000 rows of ~30 columns is ~3 MB of Python objects.
CHUNK_ROWS = 5000
ZERO = Decimal("0")
CENT = Decimal("0.01")
# Settlement lines that move money for an order (a fee line or the payout itself does not).
ORDER_MONEY_KINDS = (
    SettlementKind.CHARGE,
    SettlementKind.REFUND,
    SettlementKind.ADJUSTMENT,
    SettlementKind.DISPUTE,
)


class OrderFacts(NamedTuple):
    """What the five sides say about one order. Money in the order's currency unless
    a ``*_currencies`` pair (lowest, highest code seen) says otherwise."""

    channel_total: Decimal
    currency: str
    is_cancelled: bool
    is_in_erp: bool  # the ERP gave the order a document number
    erp_value: Decimal | None  # net + tax as the ERP confirmed it; None: not reported
    erp_currency: str
    ordered_quantity: int
    shipped_quantity: int
    invoice_count: int
    invoiced_deliveries: int  # distinct delivery numbers billed
    invoiced_value: Decimal
    invoice_currencies: tuple[str | None, str | None]
    settlement_count: int
    settled_gross: Decimal
    settlement_currencies: tuple[str | None, str | None]
    age_days: int  # from the order date to the report's as-of date


class Rules(NamedTuple):
    tolerance: Decimal
    settlement_days: int


def _other_currency(currencies: tuple[str | None, str | None], currency: str) -> bool:
    low, high = currencies
    return low is not None and (low != currency or high != currency)


def classify(facts: OrderFacts, rules: Rules) -> tuple[str, ...]:
    """Every exception that holds for the order, highest priority first (see
    ``ReconciliationStatus``); an empty tuple means ``matched``."""
    f, tolerance = facts, rules.tolerance
    invoiced = f.invoice_count > 0
    same_erp_currency = f.erp_currency in ("", f.currency)
    reasons = []
    if f.is_cancelled and invoiced:
        reasons.append(S.CANCELLED_BUT_INVOICED)
    if not f.is_in_erp and not f.is_cancelled:
        reasons.append(S.NOT_IN_ERP)
    if (
        (f.is_in_erp and not same_erp_currency)
        or _other_currency(f.invoice_currencies, f.currency)
        or _other_currency(f.settlement_currencies, f.currency)
    ):
        reasons.append(S.CURRENCY_DIFFERS)
    if (
        f.is_in_erp
        and f.erp_value is not None
        and same_erp_currency
        and abs(f.channel_total - f.erp_value) > tolerance
    ):
        reasons.append(S.ERP_AMOUNT_DIFFERS)
    if f.invoice_count > 1 and (
        f.invoice_count > f.invoiced_deliveries or f.invoiced_value > f.channel_total + tolerance
    ):
        reasons.append(S.INVOICED_TWICE)
    if (
        invoiced
        and 0 < f.shipped_quantity < f.ordered_quantity
        and f.invoiced_value >= f.channel_total - tolerance
    ):
        reasons.append(S.SHORT_SHIPPED_INVOICED_IN_FULL)
    if invoiced and f.shipped_quantity == 0:
        reasons.append(S.INVOICED_NOT_SHIPPED)
    if not invoiced and f.shipped_quantity > 0:
        reasons.append(S.SHIPPED_NOT_INVOICED)
    if not invoiced and f.settlement_count > 0:
        reasons.append(S.SETTLED_NOT_INVOICED)
    expected_settled = ZERO if f.is_cancelled else f.channel_total
    if (
        f.settlement_count > 0
        and not _other_currency(f.settlement_currencies, f.currency)
        and abs(f.settled_gross - expected_settled) > tolerance
    ):
        reasons.append(S.SETTLED_AMOUNT_DIFFERS)
    if f.settlement_count == 0 and not f.is_cancelled and f.age_days > rules.settlement_days:
        reasons.append(S.NOT_SETTLED_AFTER_N_DAYS)
    return tuple(reasons)


def erp_value_counted(facts: OrderFacts) -> Decimal:
    """The ERP side of the tie-out: its value where it has one in the order's currency."""
    if (
        facts.is_in_erp
        and facts.erp_value is not None
        and facts.erp_currency in ("", facts.currency)
    ):
        return facts.erp_value
    return ZERO


@dataclass(frozen=True)
class Scope:
    """Which orders a report covers: a period (inclusive dates, in ``SYNC_TIME_ZONE``) by
    order date or by invoice date, one or more channels, and the date ages count to."""

    channel_ids: tuple[int, ...]
    period_from: date
    period_to: date
    basis: str = PeriodBasis.ORDER_DATE
    as_of: date = field(default_factory=timezone.localdate)


class ReconciledOrder(NamedTuple):
    """One order of the report: who it is, its facts, and its reasons (empty: matched)."""

    order_id: int
    channel_id: int
    channel_order_number: str
    order_date: date
    order_status: str
    erp_document_number: str
    facts: OrderFacts
    shipped_value: Decimal
    first_invoice_date: date | None
    settled_fee: Decimal
    settled_net: Decimal
    last_payout_date: date | None
    failed_posting_id: int | None
    reasons: tuple[str, ...]

    @property
    def status(self) -> str:
        return self.reasons[0] if self.reasons else S.MATCHED


def _tables() -> dict[str, str]:
    sources = reconciliation_sources()
    return {
        "orders": sources.order_table,
        "lines": sources.order_line_table,
        "invoices": Invoice._meta.db_table,
        "settlements": SettlementLine._meta.db_table,
        "transactions": SyncTransaction._meta.db_table,
    }


def _period_bounds(scope: Scope) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(scope.period_from, time.min, tzinfo=zone)
    end = datetime.combine(scope.period_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _scope_sql(scope: Scope) -> tuple[str, list]:
    """The orders in scope as a WHERE clause over ``o`` (the orders table)."""
    t = _tables()
    channels = ", ".join(["%s"] * len(scope.channel_ids))
    if scope.basis == PeriodBasis.INVOICE_DATE:
        where = (
            f"o.channel_id IN ({channels}) AND EXISTS (SELECT 1 FROM {t['invoices']} i "  # noqa: S608
            "WHERE i.order_id = o.id AND i.invoice_date >= %s AND i.invoice_date <= %s)"
        )
        return where, [*scope.channel_ids, scope.period_from, scope.period_to]
    where = f"o.channel_id IN ({channels}) AND o.ordered_at >= %s AND o.ordered_at < %s"
    return where, [*scope.channel_ids, *_period_bounds(scope)]


def _order_date_sql() -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "(o.ordered_at AT TIME ZONE %s)::date", [settings.TIME_ZONE]
    return "date(o.ordered_at)", []  # SQLite stores UTC; the embedded default runs in UTC


def facts_sql(scope: Scope) -> tuple[str, list]:
    """The one statement: a row per order in scope (columns as ``ReconciledOrder`` reads
    them), by order id. Public so the benchmark's bare baseline can start from it."""
    t = _tables()
    where, where_params = _scope_sql(scope)
    order_date, date_params = _order_date_sql()
    money_kinds = ", ".join(["%s"] * len(ORDER_MONEY_KINDS))
    sources = reconciliation_sources()
    money, units_joins, units_params = _minor_units_sql()
    # Only table names (from the models) are formatted in; every value is a parameter.
    sql = f"""
WITH line_totals AS (
  SELECT l.order_id, SUM(l.quantity) AS ordered, SUM(l.quantity_shipped) AS shipped
  FROM {t["lines"]} l JOIN {t["orders"]} o ON o.id = l.order_id
  WHERE {where} GROUP BY l.order_id
), invoice_totals AS (
  SELECT i.order_id, COUNT(*) AS n, COUNT(DISTINCT i.delivery_number) AS deliveries,
         SUM(COALESCE(i.total_due, COALESCE(i.net_total, 0) + COALESCE(i.tax_total, 0))) AS value,
         MIN(i.currency) AS low, MAX(i.currency) AS high, MIN(i.invoice_date) AS first_date
  FROM {t["invoices"]} i JOIN {t["orders"]} o ON o.id = i.order_id
  WHERE {where} GROUP BY i.order_id
), settlement_totals AS (
  SELECT m.order_id, COUNT(*) AS n, SUM(m.gross) AS gross, SUM(m.fee) AS fee,
         SUM(m.net) AS net, MIN(m.currency) AS low, MAX(m.currency) AS high,
         MAX(m.payout_date) AS last_payout
  FROM {t["settlements"]} m JOIN {t["orders"]} o ON o.id = m.order_id
  WHERE {where} AND m.kind IN ({money_kinds}) GROUP BY m.order_id
), failed_postings AS (
  SELECT x.subject_id AS order_id, MAX(x.id) AS transaction_id
  FROM {t["transactions"]} x JOIN {t["orders"]} o ON o.id = x.subject_id
  WHERE {where} AND x.kind = %s AND x.state = %s GROUP BY x.subject_id
)
SELECT o.id, o.channel_id, o.channel_order_number, {order_date}, o.status,
       o.erp_document_number, {money("o.grand_total")}, o.currency,
       {money("o.erp_net_value + o.erp_tax_value", "me")}, o.erp_currency,
       COALESCE(lt.ordered, 0), COALESCE(lt.shipped, 0),
       COALESCE(it.n, 0), COALESCE(it.deliveries, 0), {money("COALESCE(it.value, 0)")},
       it.low, it.high, it.first_date,
       COALESCE(st.n, 0), {money("COALESCE(st.gross, 0)")}, {money("COALESCE(st.fee, 0)")},
       {money("COALESCE(st.net, 0)")}, st.low, st.high, st.last_payout, fp.transaction_id
FROM {t["orders"]} o
LEFT JOIN line_totals lt ON lt.order_id = o.id
LEFT JOIN invoice_totals it ON it.order_id = o.id
LEFT JOIN settlement_totals st ON st.order_id = o.id
LEFT JOIN failed_postings fp ON fp.order_id = o.id{units_joins}
WHERE {where}
ORDER BY o.id"""  # noqa: S608
    # Each aggregate filters the orders itself (no shared CTE): the planner then knows
    # order ids are unique, where a CTE's missing statistics made it expect billions of
    # rows and spend seconds JIT-compiling for them.
    params = [
        *where_params,
        *where_params,
        *where_params,
        *ORDER_MONEY_KINDS,
        *where_params,
        sources.erp_post_kind,
        TransactionState.FAILED,
        *date_params,
        *units_params,
        *where_params,
    ]
    return sql, params


def _minor_units_sql() -> tuple[Callable[..., str], str, list]:
    """``(money(expression, units="mu"), joins, their params)``: money columns come out at
    their currency's minor units (``mu``: the order's; ``me``: the ERP's currency, else the
    order's), or at the scale their digits need where that is more: the same values,
    written as the files show them (``amounts``), so no row is re-formatted in Python.
    On SQLite (the embedded default's small data) Python does it as it reads the row."""
    if connection.vendor != "postgresql":
        return (lambda expression, units="mu": expression), "", []
    values, params = minor_units_values_sql()
    joins = (
        f"\nLEFT JOIN {values} AS mu(currency, digits) ON mu.currency = o.currency"
        f"\nLEFT JOIN {values} AS me(currency, digits)"
        " ON me.currency = COALESCE(NULLIF(o.erp_currency, ''), o.currency)"
    )

    def money(expression: str, units: str = "mu") -> str:
        digits = f"COALESCE({units}.digits, {DEFAULT_DIGITS})"
        return f"round({expression}, GREATEST({digits}, min_scale({expression})))"

    return money, joins, [*params, *params]


def count_orders(scope: Scope) -> int:
    """How many orders the report will have (its progress bar's total)."""
    where, params = _scope_sql(scope)
    with connection.cursor() as cursor:
        sql = f"SELECT COUNT(*) FROM {_tables()['orders']} o WHERE {where}"  # noqa: S608
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def reconciled_orders(scope: Scope, rules_for) -> Iterator[ReconciledOrder]:
    """Every order in scope, classified, by order id; ``rules_for(channel_id, currency)``
    gives the ``Rules`` to judge it by. Streams through a server-side cursor: one
    statement, one snapshot of all five sides."""
    sql, params = facts_sql(scope)
    cancelled = reconciliation_sources().cancelled_status
    as_of = scope.as_of
    is_sqlite = connection.vendor == "sqlite"
    with connection.chunked_cursor() as cursor:
        _execute_for_every_row(cursor, sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            for row in rows:
                if is_sqlite:
                    row = _decimals_from_sqlite(row)
                yield _reconcile(row, cancelled, as_of, rules_for)


def _execute_for_every_row(cursor, sql: str, params: list) -> None:
    """Run the statement on a server-side cursor planned for all its rows.

    Outside a transaction (a batch worker) Django declares the cursor WITH HOLD:
    PostgreSQL runs the statement in one snapshot and keeps its result on the
    server, and the report's own writes (progress, the job's lease, exceptions)
    commit as they happen, so the admin shows the progress. A cursor is planned
    for its first 10 % of rows by default (nested loops over indexes); every row
    is read here, so it is planned for all of them: measured 2x faster.
    """
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    with connection.cursor() as settings_cursor:
        settings_cursor.execute("SET cursor_tuple_fraction = 1.0")
        try:
            cursor.execute(sql, params)
        finally:
            settings_cursor.execute("RESET cursor_tuple_fraction")


def _reconcile(row, cancelled: str, as_of: date, rules_for) -> ReconciledOrder:
    (order_id, channel_id, number, order_date, status, erp_number, total, currency,
     erp_value, erp_currency, ordered, shipped, invoices, deliveries, invoiced,
     invoice_low, invoice_high, first_invoice, settlements, gross, fee, net,
     settle_low, settle_high, last_payout, failed_id) = row  # fmt: skip
    facts = OrderFacts(
        total,
        currency,
        status == cancelled,
        erp_number != "",
        erp_value,
        erp_currency,
        ordered,
        shipped,
        invoices,
        deliveries,
        invoiced,
        (invoice_low, invoice_high),
        settlements,
        gross,
        (settle_low, settle_high),
        (as_of - order_date).days,
    )
    unit = MINOR_UNITS.get(currency, CENT)
    shipped_value = (total * shipped / ordered).quantize(unit) if ordered else ZERO.quantize(unit)
    return ReconciledOrder(
        order_id,
        channel_id,
        number,
        order_date,
        status,
        erp_number,
        facts,
        shipped_value,
        first_invoice,
        fee,
        net,
        last_payout,
        failed_id,
        classify(facts, rules_for(channel_id, currency)),
    )


# Columns of a facts row that are money (SQLite returns floats for sums) and dates (text).
_MONEY_COLUMNS = {6: CENT, 8: Decimal("0.000001"), 14: CENT, 19: CENT, 20: CENT, 21: CENT}
_DATE_COLUMNS = (3, 17, 24)
_CURRENCY, _ERP_VALUE, _ERP_CURRENCY = 7, 8, 9


def _decimals_from_sqlite(row) -> tuple:
    row = list(row)
    for index, scale in _MONEY_COLUMNS.items():
        if row[index] is not None:
            currency = row[_CURRENCY]
            if index == _ERP_VALUE:
                currency = row[_ERP_CURRENCY] or currency
            row[index] = at_minor_units(Decimal(str(row[index])).quantize(scale), currency)
    for index in _DATE_COLUMNS:
        if isinstance(row[index], str):
            row[index] = date.fromisoformat(row[index][:10])
    return tuple(row)
