"""A report over order histories on PostgreSQL: one per status, the files cell by cell."""

import csv
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from syncplatform.finance.services import Scope, write_report
from syncplatform.finance.services.files import COLUMNS, HEADER, number_format
from tests.finance.histories import history

NOV = (date(2026, 11, 1), date(2026, 11, 30))
AS_OF = date(2026, 12, 6)
INV = ("100.00", "D1", None, None)
PAID = ("100.00", "3.20", None)


def one_of_each(channel, erp) -> dict[str, object]:
    """An order per status (the key), plus one with several exceptions."""
    h = lambda **kw: history(channel, erp, **kw)  # noqa: E731
    return {
        "matched": h(invoices=[INV], settlements=[PAID]),
        "cancelled_but_invoiced": h(status="cancelled", invoices=[INV], settlements=[PAID]),
        "not_in_erp": h(in_erp=False, shipped=0, status="received", failed_posting=True),
        "currency_differs": h(erp_currency="EUR", invoices=[INV], settlements=[PAID]),
        "erp_amount_differs": h(erp_value="99.50", invoices=[INV], settlements=[PAID]),
        "invoiced_twice": h(invoices=[INV, INV], settlements=[PAID]),
        "short_shipped_invoiced_in_full": h(shipped=1, invoices=[INV], settlements=[PAID]),
        "invoiced_not_shipped": h(shipped=0, invoices=[INV], settlements=[PAID]),
        "shipped_not_invoiced": h(settlements=[]),
        "settled_not_invoiced": h(shipped=0, settlements=[PAID]),
        "settled_amount_differs": h(invoices=[INV], settlements=[("90.00", "3.00", None)]),
        "not_settled_after_n_days": h(invoices=[INV]),
        # ERP amount differs AND invoiced twice AND not settled: the first wins.
        "several": h(erp_value="80.00", invoices=[INV, INV], ordered_on=date(2026, 11, 2)),
    }


def test_every_status_lands_in_both_files_with_the_same_rows(channel, erp, tmp_path):
    # given
    orders = one_of_each(channel, erp)
    history(channel, erp, ordered_on=date(2026, 10, 31))  # outside the period
    scope = Scope((channel.pk,), *NOV, as_of=AS_OF)
    # when
    result = write_report(scope, csv_path=tmp_path / "r.csv", xlsx_path=tmp_path / "r.xlsx")
    # then
    with open(tmp_path / "r.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == result.rows == len(orders)
    by_id = {int(row["order_id"]): row for row in rows}
    for expected, order in orders.items():
        row = by_id[order.pk]
        if expected == "several":
            assert row["status"] == "erp_amount_differs"
            assert row["other_reasons"] == "invoiced_twice;not_settled_after_n_days"
        else:
            assert row["status"] == expected, (expected, row)
    failed = by_id[orders["not_in_erp"].pk]
    assert failed["operations_action"].startswith("operations can fix: the ERP posting failed")
    assert failed["failed_transaction_url"].startswith(
        "https://sync.example.com/admin/audit/synctransaction/"
    )
    assert (
        failed["order_url"]
        == f"https://sync.example.com/admin/orders/order/{orders['not_in_erp'].pk}/change/"
    )
    assert by_id[orders["erp_amount_differs"].pk]["erp_difference"] == "0.50"
    assert result.summary["ties_out"] is True

    workbook = load_workbook(tmp_path / "r.xlsx")
    assert workbook.sheetnames == ["Summary", "Exceptions", "All orders"]
    all_orders = workbook["All orders"]
    assert [c.value for c in all_orders[1]] == list(HEADER)
    assert all_orders.freeze_panes == "A2"
    assert all_orders.auto_filter.ref == f"A1:AA{len(orders) + 1}"
    sheet_rows = list(all_orders.iter_rows(min_row=2))
    for cells, row in zip(sheet_rows, rows, strict=True):
        for cell, (name, kind, _) in zip(cells, COLUMNS, strict=True):
            text = row[name]
            if cell.value is None:
                assert text == "", (name, text)
            elif kind == "date":
                assert cell.value.date().isoformat() == text, name
                assert cell.number_format == "yyyy-mm-dd"
            elif kind == "money":
                assert Decimal(str(cell.value)) == Decimal(text), name
                assert cell.number_format == number_format(kind, row["currency"]), name
            elif kind == "int":
                assert cell.value == int(text), name
                assert cell.number_format == "General"
            else:
                assert cell.value == text, name
    exceptions = workbook["Exceptions"]
    assert exceptions.freeze_panes == "A2"
    statuses = [cells[HEADER.index("status")].value for cells in exceptions.iter_rows(min_row=2)]
    assert sorted(statuses) == sorted(r["status"] for r in rows if r["status"] != "matched")
    assert exceptions.auto_filter.ref == f"A1:AA{len(statuses) + 1}"
