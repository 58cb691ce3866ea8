"""Benchmark: reconciliation reports over a million orders, CSV and XLSX.

CSV (measured): ``finance.services.write_report`` for every order of one
channel and period (``SYNC_BENCH_RECON_COUNT`` orders, default 1,000,000), run
in a child process as the batch worker runs it: the one set-based statement
through a server-side cursor, classification, summary and the CSV streamed
to a file. Its peak RSS is reported (target < 300 MB).

Baseline: a hand-written SQL query producing the same rows (the same facts
statement with the statuses worked out in SQL ``CASE``s) streamed out with
``COPY (...) TO STDOUT`` into a file by psycopg2, in the same run. The two
files are compared (row count and orders per status) before the ratio is
printed. Target: CSV <= 2x the baseline.

XLSX (measured): ``write_report`` writing only the XLSX (Summary, Exceptions,
All orders) for a period of 100,000 orders (a tenth of the seeded days, or
all when fewer are seeded). Baseline: the same rows fetched by the baseline
query and appended to a write-only openpyxl workbook (an Exceptions and an
All orders sheet) with the report's number formats (amounts and dates; a
styled ``WriteOnlyCell`` per formatted column, made once), saved. Target:
<= 1.3x. The same loop without number formats is also timed and its ratio
printed, for comparison.

Set-up (not timed): its own database ``$BENCH_RECON_DATABASE`` (default
``syncplatform_bench_recon``, the owner's URL), dropped, recreated, migrated;
a channel and an ERP partner; orders with two lines each, their ERP values,
shipped quantities, invoices (one invoice file), settlement lines (one
import) and failed ERP postings, all written with ``COPY``. Three percent of
the orders fall into each exception (``SEED_PLAN``), the rest match.

Run: ``make bench`` (or, with the servers' variables in the environment,
``.venv/bin/python bench/reconciliation.py``).
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repo, not bench/, on the path

from bench.report import Comparison, Target, announce  # noqa: E402
from bench.servers import PYTHON, REPO, child_env  # noqa: E402
from bench.stack import bench_database_url, manage, recreate_database  # noqa: E402

CSV_TARGET, XLSX_TARGET, RSS_LIMIT_MB = 2.0, 1.3, 300
XLSX_ORDERS = 100_000
DAYS = 100  # orders are spread evenly over this many days from FIRST_DAY
FIRST_DAY = date(2026, 8, 1)
AS_OF = date(2026, 12, 1)
COPY_ROWS = 50_000  # rows per COPY buffer while seeding
WORK_DIR = REPO / "var" / "bench" / "reconciliation"

# Per 100 orders (by id % 100): which history each gets; the rest are matched.
SEED_PLAN = {
    range(0, 3): "not_in_erp",
    range(3, 6): "erp_amount_differs",
    range(6, 9): "currency_differs",
    range(9, 12): "shipped_not_invoiced",
    range(12, 15): "invoiced_not_shipped",
    range(15, 18): "short_shipped_invoiced_in_full",
    range(18, 21): "invoiced_twice",
    range(21, 24): "settled_not_invoiced",
    range(24, 27): "not_settled_after_n_days",
    range(27, 30): "cancelled_but_invoiced",
    range(30, 33): "settled_amount_differs",
}
PLAN = ["matched"] * 100
for _ids, _status in SEED_PLAN.items():
    for _i in _ids:
        PLAN[_i] = _status


def say(message: str) -> None:
    print(message, flush=True)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("SYNC_MIGRATE_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "syncplatform.settings"
    import django

    django.setup()


# ---------------------------------------------------------------- set-up (not timed)


def day_of(order_id: int, count: int) -> date:
    return FIRST_DAY + timedelta(days=(order_id - 1) * DAYS // count)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    buffer, written = io.StringIO(), 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"

    def flush():
        buffer.seek(0)
        cursor.copy_expert(statement, buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        written += 1
        if written % COPY_ROWS == 0:
            flush()
    flush()
    return written


ORDER_COLUMNS = [
    "id", "created_at", "updated_at", "channel_id", "channel_order_number", "idempotency_scope",
    "idempotency_key", "request_sha256", "correlation_id", "status", "ordered_at", "currency",
    "customer_id", "customer_name", "customer_email", "ship_to_name", "ship_to_line1",
    "ship_to_line2", "ship_to_city", "ship_to_region", "ship_to_postal_code", "ship_to_country",
    "ship_to_phone", "fulfillment_location", "shipping_method", "shipping_amount", "subtotal",
    "tax_total", "discount_total", "grand_total", "erp_document_number", "erp_delivery_number",
    "posted_at", "erp_net_value", "erp_tax_value", "erp_currency",
]  # fmt: skip


def check_order_columns() -> None:
    """Exit clearly when the orders table grew a required column this seeder does not fill."""
    from django.apps import apps

    required = {
        f.column
        for f in apps.get_model("orders", "Order")._meta.concrete_fields
        if not f.null and not f.has_default() and f.column not in ORDER_COLUMNS
    }
    if required:
        sys.exit(f"bench/reconciliation.py: fill the new order columns {sorted(required)}")


def seed(count: int) -> None:
    from django.db import connection

    from syncplatform.partners.models import Partner

    check_order_columns()
    channel = Partner.objects.create(code="bench-web", name="Bench web", kind="channel")
    erp = Partner.objects.create(code="bench-erp", name="Bench ERP", kind="erp")
    now = datetime.now(UTC).isoformat()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(
            "INSERT INTO erpdocs_inboundidocfile (created_at, updated_at, erp_id, content_gzip, "
            "sha256, size, idoc_type, idoc_count, correlation_id, state, duplicate_docnums) "
            "VALUES (now(), now(), %s, '', %s, 0, 'INVOIC02', 0, '', 'applied', '[]') RETURNING id",
            [erp.pk, "1" * 64],
        )
        file_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO settlements_settlementimport (created_at, updated_at, channel_id, "
            "file_name, sha256, size, file_format, status, row_count, accepted_count, "
            "refused_count, matched_count, refused) VALUES (now(), now(), %s, 'bench.csv', %s, "
            "0, 'shopify', 'imported', 0, 0, 0, 0, '[]') RETURNING id",
            [channel.pk, "2" * 64],
        )
        import_id = cursor.fetchone()[0]
        started = time.monotonic()
        _copy(cursor, "orders_order", ORDER_COLUMNS, _orders(count, channel.pk, now))
        _copy(
            cursor,
            "orders_orderline",
            ["order_id", "line_number", "sku", "quantity", "unit_price", "tax_code",
             "tax_amount", "discount_amount", "quantity_shipped"],
            _lines(count),
        )  # fmt: skip
        _copy(
            cursor,
            "erpdocs_invoice",
            ["created_at", "updated_at", "erp_id", "file_id", "docnum", "invoice_number",
             "order_id", "sales_order_number", "delivery_number", "customer_order_number",
             "currency", "invoice_date", "net_total", "tax_total", "total_due", "control"],
            _invoices(count, erp.pk, file_id, now),
        )  # fmt: skip
        _copy(
            cursor,
            "settlements_settlementline",
            ["settlement_import_id", "line_number", "channel_id", "order_reference", "order_id",
             "kind", "provider_type", "gross", "fee", "net", "currency", "payout_date",
             "payout_id"],
            _settlements(count, import_id, channel.pk),
        )  # fmt: skip
        _copy(
            cursor,
            "audit_synctransaction",
            ["kind", "business_key", "correlation_id", "idempotency_key", "state", "attempts",
             "attempts_before_replay",
             "subject_id", "last_error_code", "last_error_message", "created_at", "updated_at"],
            _failed_postings(count, now),
        )  # fmt: skip
        cursor.execute(f"SELECT setval('orders_order_id_seq', {count})")
        say(f"seeded {count:,} orders by COPY in {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _orders(count, channel_id, now):
    for oid in range(1, count + 1):
        plan = PLAN[oid % 100]
        ordered_at = datetime.combine(day_of(oid, count), datetime.min.time()).replace(
            hour=12, tzinfo=UTC
        )
        in_erp = plan != "not_in_erp"
        erp_net = {"erp_amount_differs": "45.000000"}.get(plan, "50.000000")
        status = {"cancelled_but_invoiced": "cancelled", "not_in_erp": "received"}.get(
            plan, "shipped"
        )
        yield (
            oid, now, now, channel_id, f"B-{oid:08d}", "bench", f"k{oid}", "0" * 64, f"c{oid}",
            status, ordered_at.isoformat(), "USD", "C-1", "Pat Doe", "pat@example.com", "Pat Doe",
            "1 Main St", "", "Columbus", "OH", "43004", "US", "", "STORE-017", "GROUND", "5.00",
            "45.00", "5.00", "0.00", "55.00", f"45{oid:08d}" if in_erp else "", "", None,
            erp_net if in_erp else None, "5.000000" if in_erp else None,
            ("EUR" if plan == "currency_differs" else "USD") if in_erp else "",
        )  # fmt: skip


def _shipped(plan: str) -> tuple[int, int]:
    if plan in ("not_in_erp", "invoiced_not_shipped", "settled_not_invoiced"):
        return 0, 0
    if plan == "short_shipped_invoiced_in_full":
        return 1, 1
    return 1, 2


def _lines(count):
    for oid in range(1, count + 1):
        first, second = _shipped(PLAN[oid % 100])
        yield oid, 1, "SKU-A", 1, "15.00", "TX", "1.67", "0.00", first
        yield oid, 2, "SKU-B", 2, "15.00", "TX", "3.33", "0.00", second


def _invoices(count, erp_id, file_id, now):
    uninvoiced = ("not_in_erp", "shipped_not_invoiced", "settled_not_invoiced")
    for oid in range(1, count + 1):
        plan = PLAN[oid % 100]
        if plan in uninvoiced:
            continue
        day = day_of(oid, count) + timedelta(days=2)
        for copy in range(2 if plan == "invoiced_twice" else 1):
            yield (
                now, now, erp_id, file_id, f"{oid:015d}{copy}", f"9{oid:09d}{copy}", oid,
                f"45{oid:08d}", f"80{oid:08d}", f"SP-{oid:010d}", "USD", day, "50.00", "5.00",
                "55.00", "{}",
            )  # fmt: skip


def _settlements(count, import_id, channel_id):
    unsettled = ("not_in_erp", "not_settled_after_n_days", "shipped_not_invoiced")
    for oid in range(1, count + 1):
        plan = PLAN[oid % 100]
        if plan in unsettled:
            continue
        gross = "50.00" if plan == "settled_amount_differs" else "55.00"
        kind = "charge"
        yield (
            import_id, oid + 1, channel_id, f"B-{oid:08d}", oid, kind, "charge", gross, "1.90",
            f"{float(gross) - 1.90:.2f}", "USD", day_of(oid, count) + timedelta(days=3), "P-1",
        )  # fmt: skip
        if plan == "cancelled_but_invoiced":
            yield (
                import_id, count + oid + 1, channel_id, f"B-{oid:08d}", oid, "refund", "refund",
                "-55.00", "0.00", "-55.00", "USD", day_of(oid, count) + timedelta(days=4), "P-1",
            )  # fmt: skip


def _failed_postings(count, now):
    for oid in range(1, count + 1, 100):  # a third of the not_in_erp orders (id % 100 == 1)
        yield (
            "erp.order.post", f"B-{oid:08d}", f"c{oid}", "", "failed", 3, 0, oid,
            "mapping_missing", "no SKU mapping", now, now,
        )  # fmt: skip


# ---------------------------------------------------------------------- the sides


BASELINE_REASONS = [
    ("cancelled_but_invoiced", "f.status = 'cancelled' AND f.invoices > 0"),
    ("not_in_erp", "f.erp_number = '' AND f.status <> 'cancelled'"),
    (
        "currency_differs",
        "(f.erp_number <> '' AND f.erp_currency NOT IN ('', f.currency)) "
        "OR (f.invoice_low IS NOT NULL "
        "    AND (f.invoice_low <> f.currency OR f.invoice_high <> f.currency)) "
        "OR (f.settle_low IS NOT NULL "
        "    AND (f.settle_low <> f.currency OR f.settle_high <> f.currency))",
    ),
    (
        "erp_amount_differs",
        "f.erp_number <> '' AND f.erp_value IS NOT NULL AND f.erp_currency IN ('', f.currency) "
        "AND abs(f.total - f.erp_value) > 0.01",
    ),
    (
        "invoiced_twice",
        "f.invoices > 1 AND (f.invoices > f.deliveries OR f.invoiced > f.total + 0.01)",
    ),
    (
        "short_shipped_invoiced_in_full",
        "f.invoices > 0 AND f.shipped > 0 AND f.shipped < f.ordered "
        "AND f.invoiced >= f.total - 0.01",
    ),
    ("invoiced_not_shipped", "f.invoices > 0 AND f.shipped = 0"),
    ("shipped_not_invoiced", "f.invoices = 0 AND f.shipped > 0"),
    ("settled_not_invoiced", "f.invoices = 0 AND f.settlements > 0"),
    (
        "settled_amount_differs",
        "f.settlements > 0 AND f.settle_low = f.currency AND f.settle_high = f.currency AND "
        "abs(f.gross - CASE WHEN f.status = 'cancelled' THEN 0 ELSE f.total END) > 0.01",
    ),
    (
        "not_settled_after_n_days",
        "f.settlements = 0 AND f.status <> 'cancelled' AND %(as_of)s::date - f.order_date > 14",
    ),
]
FACT_NAMES = (
    "id, channel_id, number, order_date, status, erp_number, total, currency, erp_value, "
    "erp_currency, ordered, shipped, invoices, deliveries, invoiced, invoice_low, invoice_high, "
    "first_invoice, settlements, gross, fee, net, settle_low, settle_high, last_payout, failed_id"
)


def baseline_sql(scope) -> tuple[str, list]:
    """The same rows as the platform's CSV, in SQL alone (statuses as CASEs)."""
    from syncplatform.finance.services.matching import facts_sql

    facts, params = facts_sql(scope)
    reasons = ", ".join(
        f"CASE WHEN {condition} THEN '{name}' END" for name, condition in BASELINE_REASONS
    )
    base = "https://bench.example.com/admin"
    sql = f"""
SELECT f.id, p.code, f.number, 'SP-' || lpad(f.id::text, 10, '0'), f.erp_number, f.order_date,
       f.status, COALESCE(r.reasons[1], 'matched'), array_to_string(r.reasons[2:], ';'),
       f.currency, f.total, f.erp_currency, f.erp_value,
       f.total - CASE WHEN f.erp_number <> '' AND f.erp_value IS NOT NULL
                       AND f.erp_currency IN ('', f.currency) THEN f.erp_value ELSE 0 END,
       f.ordered, f.shipped,
       CASE WHEN f.ordered > 0 THEN round(f.total * f.shipped / f.ordered, 2) ELSE 0.00 END,
       f.invoices, f.invoiced, f.first_invoice, f.gross, f.fee, f.net, f.last_payout,
       CASE WHEN f.failed_id IS NOT NULL AND 'not_in_erp' = ANY(r.reasons)
            THEN 'operations can fix: the ERP posting failed (transaction ' || f.failed_id
                 || '); fix its cause (mapping, partner setting) and Retry now' ELSE '' END,
       CASE WHEN f.failed_id IS NOT NULL AND 'not_in_erp' = ANY(r.reasons)
            THEN '{base}/audit/synctransaction/' || f.failed_id || '/change/' ELSE '' END,
       '{base}/orders/order/' || f.id || '/change/'
FROM ({facts}) AS f({FACT_NAMES})
JOIN partners_partner p ON p.id = f.channel_id
CROSS JOIN LATERAL (SELECT array_remove(ARRAY[{reasons}], NULL) AS reasons) r
ORDER BY f.id"""  # noqa: S608 - our own text and the platform's statement
    return sql.replace("%(as_of)s", "%s"), [*params, *([scope.as_of] * sql.count("%(as_of)s"))]


def run_baseline_csv(scope, path: Path) -> float:
    from django.db import connection

    from syncplatform.finance.services.files import HEADER

    sql, params = baseline_sql(scope)
    with connection.cursor() as cursor:
        statement = cursor.cursor.mogrify(sql, params).decode()
        started = time.monotonic()
        with open(path, "w", encoding="utf-8") as out:
            out.write(",".join(HEADER) + "\n")
            cursor.cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", out)
        return time.monotonic() - started


# This process's CPU seconds per baseline file: on a loaded machine a steadier figure than
# wall time (PostgreSQL's share, the same statement for both sides, is not in it).
CPU_SECONDS: dict[str, float] = {}


def run_baseline_xlsx(scope, path: Path, *, formats: bool = True) -> float:
    """The rows appended to a bare write-only workbook, with the report's number formats
    (``formats``: a styled ``WriteOnlyCell`` per formatted column, made once and given each
    row's value, openpyxl's documented way) or as plain values."""
    from django.db import connection, transaction
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from syncplatform.finance.services.files import COLUMNS, HEADER, number_format

    sql, params = baseline_sql(scope)
    started, cpu_started = time.monotonic(), time.process_time()
    workbook = Workbook(write_only=True)
    exceptions, all_orders = workbook.create_sheet("Exceptions"), workbook.create_sheet("All")
    # The seeded orders are all in USD: one format per column.
    styles = [number_format(kind, "USD") for _, kind, _ in COLUMNS]
    cells = {}
    for sheet in (exceptions, all_orders):
        sheet.append(HEADER)
        cells[sheet] = [None if style == "General" else WriteOnlyCell(sheet) for style in styles]
        for cell, style in zip(cells[sheet], styles, strict=True):
            if cell is not None:
                cell.number_format = style

    def append(sheet, row) -> None:
        if not formats:
            sheet.append(row)
            return
        values = []
        for value, cell in zip(row, cells[sheet], strict=True):
            if cell is None or value is None:
                values.append(value)
            else:
                cell.value = value
                values.append(cell)
        sheet.append(values)

    with transaction.atomic(), connection.chunked_cursor() as cursor:
        with connection.cursor() as settings_cursor:  # the platform's plan (see matching)
            settings_cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            for row in rows:
                append(all_orders, row)
                if row[7] != "matched":
                    append(exceptions, row)
    workbook.save(path)
    CPU_SECONDS[path.name] = time.process_time() - cpu_started
    return time.monotonic() - started


def run_platform(kind: str, scope_args: list[str], path: Path, database_url: str) -> dict:
    """``write_report`` in a fresh child (a batch worker's shape); its seconds and peak RSS."""
    completed = subprocess.run(
        [PYTHON, __file__, "--child", kind, "--out", str(path), *scope_args],
        cwd=REPO,
        env=child_env(DATABASE_URL=database_url, SYNC_PUBLIC_URL="https://bench.example.com"),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"the platform's {kind} report failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child(kind: str, out: Path, channel_code: str, start: str, end: str) -> None:
    from syncplatform.finance.services import Scope, write_report
    from syncplatform.partners.models import Partner

    channel = Partner.objects.get(code=channel_code)
    scope = Scope((channel.pk,), date.fromisoformat(start), date.fromisoformat(end), as_of=AS_OF)
    started, cpu_started = time.monotonic(), time.process_time()
    result = write_report(scope, **{f"{kind}_path": out})
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": result.rows, "peak_mb": peak_mb}))


def statuses_of(path: Path) -> tuple[int, Counter]:
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        status = next(reader).index("status")
        counts = Counter(row[status] for row in reader)
    return sum(counts.values()), counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("csv", "xlsx"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--channel", default="bench-web")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--to", dest="end")
    parser.add_argument("--no-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument("--skip-xlsx", action="store_true", help="measure the CSV only")
    parser.add_argument("--skip-csv", action="store_true", help="measure the XLSX only")
    args = parser.parse_args()
    if args.child:
        setup_django(os.environ["DATABASE_URL"])
        child(args.child, args.out, args.channel, args.start, args.end)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL (postgres://...) missing: run under `make bench` (with-services.sh)")
    count = int(os.environ.get("SYNC_BENCH_RECON_COUNT", "1000000"))
    database_url = bench_database_url("BENCH_RECON_DATABASE", "syncplatform_bench_recon")
    if not args.no_seed:
        recreate_database(database_url)
        manage(database_url, "migrate", "--verbosity", "0")
    setup_django(database_url)
    if not args.no_seed:
        seed(count)
    from syncplatform.finance.services import Scope
    from syncplatform.partners.models import Partner

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    channel = Partner.objects.get(code="bench-web")
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    scope = Scope((channel.pk,), FIRST_DAY, last_day, as_of=AS_OF)
    scope_args = ["--from", str(FIRST_DAY), "--to", str(last_day)]

    csv_comparison = None
    if not args.skip_csv:
        say(f"CSV of {count:,} orders: baseline COPY, platform, baseline again")
        base_1 = run_baseline_csv(scope, WORK_DIR / "baseline.csv")
        platform = run_platform("csv", scope_args, WORK_DIR / "platform.csv", database_url)
        base_2 = run_baseline_csv(scope, WORK_DIR / "baseline.csv")
        baseline = min(base_1, base_2)
        rows_b, statuses_b = statuses_of(WORK_DIR / "baseline.csv")
        rows_p, statuses_p = statuses_of(WORK_DIR / "platform.csv")
        same = rows_b == rows_p == count and statuses_b == statuses_p
        say(f"orders per status: {dict(sorted(statuses_p.items()))}")
        say(f"baseline and platform rows agree: {same} ({rows_b:,} vs {rows_p:,})")
        ratio = platform["seconds"] / baseline
        say(
            f"CSV: platform {platform['seconds']:.1f} s (peak RSS {platform['peak_mb']:.0f} MB), "
            f"COPY {base_1:.1f} s and {base_2:.1f} s, ratio {ratio:.2f}x"
        )
        csv_comparison = Comparison(
            name="reconciliation",
            measured=f"{platform['seconds']:.1f} s for {rows_p:,} orders "
            f"({rows_p / platform['seconds']:,.0f}/s), peak RSS {platform['peak_mb']:.0f} MB",
            baseline=f"{baseline:.1f} s (SQL COPY TO STDOUT of the same rows)",
            ratio=ratio,
            targets=[
                Target(f"CSV <= {CSV_TARGET:g}x COPY", ratio <= CSV_TARGET),
                Target(f"peak RSS < {RSS_LIMIT_MB} MB", platform["peak_mb"] < RSS_LIMIT_MB),
                Target("same rows and statuses as the baseline", same),
            ],
        )
    if args.skip_xlsx:
        if csv_comparison is not None:
            announce(csv_comparison)
        return
    days = max(1, DAYS * min(XLSX_ORDERS, count) // count)
    xlsx_scope = Scope((channel.pk,), FIRST_DAY, FIRST_DAY + timedelta(days=days - 1), as_of=AS_OF)
    xlsx_args = ["--from", str(FIRST_DAY), "--to", str(xlsx_scope.period_to)]
    say(
        f"XLSX of the orders of {days} days: bare openpyxl with the report's number formats, "
        "platform, bare again, bare without formats"
    )
    bare_1 = run_baseline_xlsx(xlsx_scope, WORK_DIR / "baseline-1.xlsx")
    xlsx = run_platform("xlsx", xlsx_args, WORK_DIR / "platform.xlsx", database_url)
    bare_2 = run_baseline_xlsx(xlsx_scope, WORK_DIR / "baseline-2.xlsx")
    plain = run_baseline_xlsx(xlsx_scope, WORK_DIR / "baseline-plain.xlsx", formats=False)
    bare = min(bare_1, bare_2)
    ratio = xlsx["seconds"] / bare
    bare_cpu = min(CPU_SECONDS["baseline-1.xlsx"], CPU_SECONDS["baseline-2.xlsx"])
    plain_cpu = CPU_SECONDS["baseline-plain.xlsx"]
    say(
        f"XLSX: platform {xlsx['seconds']:.1f} s, bare with formats {bare_1:.1f} s and "
        f"{bare_2:.1f} s ({ratio:.2f}x), bare without formats {plain:.1f} s "
        f"({xlsx['seconds'] / plain:.2f}x); Python CPU: platform {xlsx['cpu']:.1f} s, bare "
        f"with formats {bare_cpu:.1f} s ({xlsx['cpu'] / bare_cpu:.2f}x), without "
        f"{plain_cpu:.1f} s ({xlsx['cpu'] / plain_cpu:.2f}x)"
    )
    announce(
        Comparison(
            name="reconciliation_xlsx",
            measured=f"{xlsx['seconds']:.1f} s for {xlsx['rows']:,} orders, "
            f"peak RSS {xlsx['peak_mb']:.0f} MB",
            baseline=f"{bare:.1f} s (bare write-only openpyxl loop of the same rows and number "
            f"formats; {plain:.1f} s without formats, {xlsx['seconds'] / plain:.2f}x)",
            ratio=ratio,
            targets=[Target(f"XLSX <= {XLSX_TARGET:g}x bare openpyxl", ratio <= XLSX_TARGET)],
        )
    )
    if csv_comparison is not None:
        announce(csv_comparison)  # last: the line `python -m bench` summarises


if __name__ == "__main__":
    main()
