"""Amounts as finance reads them: at the currency's minor units, never rounded away."""

import csv
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from syncplatform.finance.models import ReconciliationReport
from syncplatform.finance.services import Scope, run_report, write_report
from syncplatform.finance.services.amounts import shown_amount
from syncplatform.finance.services.files import HEADER
from tests.finance.histories import history

NOV = (date(2026, 11, 1), date(2026, 11, 30))
AS_OF = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("100.000000", "USD", "100.00"),  # the ERP's six digits
        ("100", "EUR", "100.00"),
        ("0", "USD", "0.00"),
        ("-3.5", "USD", "-3.50"),
        ("1000.00", "JPY", "1000"),
        ("10.5", "KWD", "10.500"),
        ("7.25", "BHD", "7.250"),
        ("100.005000", "USD", "100.005"),  # more digits than a cent: all of them
        ("1000.50", "JPY", "1000.5"),
        ("1.234500", "KWD", "1.2345"),
        (None, "USD", ""),
    ],
)
def test_an_amount_is_shown_at_its_minor_units_unless_it_has_more_digits(value, currency, shown):
    assert shown_amount(value, currency) == shown


@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False),
    currency=st.sampled_from(["USD", "JPY", "KWD", "CLF", "XYZ"]),
)
def test_a_shown_amount_is_the_same_value(value, currency):
    assert Decimal(shown_amount(value, currency)) == value


def currencies_report(channel, erp):
    """USD with the ERP's six digits, USD a tenth of a cent off, JPY, KWD and JPY with a
    fractional ERP value; each order otherwise settled and invoiced (matched)."""
    h = lambda total, currency, erp_value="same": history(  # noqa: E731
        channel, erp, total=total, currency=currency, erp_value=erp_value,
        invoices=[(total, "D1", None, None)], settlements=[(total, "1.00", None)],
    )  # fmt: skip
    return {
        "usd": h("100.00", "USD"),
        "usd_odd": h("100.00", "USD", erp_value="100.005"),
        "jpy": h("1500.00", "JPY"),
        "kwd": h("12.50", "KWD"),
        "jpy_odd": h("1500.00", "JPY", erp_value="1500.4"),
    }


def test_report_files_show_amounts_at_minor_units_and_odd_ones_in_full(channel, erp, tmp_path):
    # given orders in USD, JPY and KWD, two of them with ERP values finer than the currency
    orders = currencies_report(channel, erp)
    scope = Scope((channel.pk,), *NOV, as_of=AS_OF)

    # when
    result = write_report(scope, csv_path=tmp_path / "r.csv", xlsx_path=tmp_path / "r.xlsx")

    # then the CSV writes each amount at its currency's minor units, or in full
    with open(tmp_path / "r.csv", newline="", encoding="utf-8") as stream:
        rows = {int(row["order_id"]): row for row in csv.DictReader(stream)}
    amounts = ("channel_total", "erp_value", "erp_difference", "shipped_value", "invoiced_value",
               "settled_gross", "settled_fee", "settled_net")  # fmt: skip
    shown = {key: tuple(rows[order.pk][name] for name in amounts) for key, order in orders.items()}
    assert shown == {
        "usd": ("100.00", "100.00", "0.00", "100.00", "100.00", "100.00", "1.00", "99.00"),
        "usd_odd": ("100.00", "100.005", "-0.005", "100.00", "100.00", "100.00", "1.00", "99.00"),
        "jpy": ("1500", "1500", "0", "1500", "1500", "1500", "1", "1499"),
        "kwd": ("12.500", "12.500", "0.000", "12.500", "12.500", "12.500", "1.000", "11.500"),
        "jpy_odd": ("1500", "1500.4", "-0.4", "1500", "1500", "1500", "1", "1499"),
    }
    # and the XLSX holds the same values, formatted by currency
    sheet = load_workbook(tmp_path / "r.xlsx")["All orders"]
    erp_value = HEADER.index("erp_value")
    channel_total = HEADER.index("channel_total")
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    formats = {
        key: (cells[order.pk][channel_total].number_format,
              cells[order.pk][erp_value].number_format)
        for key, order in orders.items()
    }  # fmt: skip
    assert formats == {
        "usd": ("#,##0.00####", "#,##0.00####"),
        "usd_odd": ("#,##0.00####", "#,##0.00####"),
        "jpy": ("#,##0", "#,##0"),
        "kwd": ("#,##0.000###", "#,##0.000###"),
        # a yen amount with decimals: the row's amounts show theirs
        "jpy_odd": ("#,##0.######", "#,##0.######"),
    }
    assert Decimal(str(cells[orders["usd_odd"].pk][erp_value].value)) == Decimal("100.005")
    # and the summary keeps the exact sums
    usd = next(g for g in result.summary["groups"] if g["currency"] == "USD")
    assert Decimal(usd["tie_out"]["erp_value"]) == Decimal("200.005")
    assert Decimal(usd["tie_out"]["differences_total"]) == Decimal("-0.005")


def test_the_report_page_and_summary_sheet_show_minor_units_and_tie_out_exactly(
    client, finance_user, channel, erp, reports_dir
):
    # given a report over the same orders, made as the batch job makes it
    currencies_report(channel, erp)
    report = ReconciliationReport.objects.create(
        period_from=NOV[0], period_to=NOV[1], requested_by=finance_user
    )
    report.channels.set([channel])
    run_report(report)
    report.refresh_from_db()

    # when finance opens its page
    client.force_login(finance_user)
    page = client.get(reverse("admin:finance_reconciliationreport_change", args=[report.pk]))
    text = page.content.decode()

    # then no amount shows the ERP's six digits; the odd tenth of a cent shows in full
    assert "000000" not in text
    assert "Channel total 200.00 = ERP value 200.005" in text
    assert "listed differences -0.005; unexplained 0.00." in text
    assert "Channel total 3000 = ERP value 3000.4" in text
    assert "Channel total 12.500 = ERP value 12.500" in text
    assert "The totals tie out." in text
    # and the XLSX summary formats the sums by currency
    workbook = load_workbook(reports_dir / report.xlsx_file.name)
    summary = {(r[1].value, r[2].value): r for r in workbook["Summary"].iter_rows(min_row=2)}
    channel_total, erp_value, difference = 4, 5, 6  # columns of the Summary sheet
    assert summary[("JPY", "total")][channel_total].number_format == "#,##0"
    assert summary[("JPY", "total")][erp_value].number_format == "#,##0.######"  # 3000.4
    assert summary[("KWD", "total")][erp_value].number_format == "#,##0.000###"
    assert summary[("USD", "total")][difference].value == pytest.approx(-0.005)
