"""The report's files: a CSV and an XLSX (Summary, Exceptions, All orders) of the same rows.

Both are written as the rows stream by, so a million orders never sit in
memory: the CSV through ``csv.writer``, the XLSX through openpyxl's write-only
mode (each sheet goes to its own temporary file as rows are appended; the
summary sheet, shown first, is filled last). The CSV is the All orders sheet
row for row; the summary is derived from those rows (and shown on the report's
admin page). Files are written under a temporary name and renamed when
complete, with their sha256.

Amounts come in at their currency's minor units (``amounts``), so the CSV
writes them as they are; the XLSX formats them by the row's currency (two
decimals for USD, none for JPY), with optional digits that show an amount
that has more in full.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .amounts import MINOR_UNITS, minor_digits, shown_amount
from .summary import SETTLEMENT_SUMS, SUMS
from .xlsx_sheets import DATE, NUMBER, TEXT, OrderRowsSheet

DATE_FORMAT = "yyyy-mm-dd"
INTEGER_FORMAT = "0"
MAX_DIGITS = 6  # the ERP's fraction digits (orders.Order.erp_net_value): the most an amount has

# (header, kind, width): kind picks the XLSX number format.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("order_id", "int", 10),
    ("channel", "text", 12),
    ("channel_order_number", "text", 20),
    ("erp_reference", "text", 15),
    ("erp_document_number", "text", 14),
    ("order_date", "date", 11),
    ("order_status", "text", 16),
    ("status", "text", 28),
    ("other_reasons", "text", 30),
    ("currency", "text", 8),
    ("channel_total", "money", 13),
    ("erp_currency", "text", 8),
    ("erp_value", "money", 15),
    ("erp_difference", "money", 15),
    ("ordered_quantity", "int", 9),
    ("shipped_quantity", "int", 9),
    ("shipped_value", "money", 13),
    ("invoice_count", "int", 8),
    ("invoiced_value", "money", 13),
    ("first_invoice_date", "date", 11),
    ("settled_gross", "money", 13),
    ("settled_fee", "money", 11),
    ("settled_net", "money", 13),
    ("last_payout_date", "date", 11),
    ("operations_action", "text", 40),
    ("failed_transaction_url", "text", 30),
    ("order_url", "text", 30),
)
HEADER = tuple(name for name, _, _ in COLUMNS)
STATUS_COLUMN = HEADER.index("status")
CURRENCY_COLUMN = HEADER.index("currency")
MONEY_COLUMNS = tuple(i for i, (_, kind, _) in enumerate(COLUMNS) if kind == "money")
BINDING = {"int": NUMBER, "money": NUMBER, "date": DATE, "text": TEXT}
WHOLE_CURRENCIES = frozenset(code for code, unit in MINOR_UNITS.items() if unit == 1)
SUMMARY_HEADER = ("channel", "currency", "status", "orders", *SUMS)
TIE_OUT_HEADER = (
    "channel",
    "currency",
    "channel_total",
    "erp_value",
    "listed_differences",
    "unexplained",
    "ties_out",
)


def money_format(currency: str, value: Decimal | None = None) -> str:
    """The XLSX number format of an amount in ``currency``: its minor units, then optional
    digits up to the ERP's six (``#,##0.00####``), so an amount with more shows in full.
    A currency without decimals is ``#,##0``, or ``#,##0.######`` for a ``value`` that has
    some (optional digits alone would leave a trailing point on whole amounts)."""
    digits = minor_digits(currency)
    if digits == 0:
        return "#,##0.######" if value is not None and value % 1 else "#,##0"
    return "#,##0." + "0" * digits + "#" * max(0, MAX_DIGITS - digits)


def number_format(kind: str, currency: str, value: Decimal | None = None) -> str:
    """The number format of a cell of ``kind`` in a row of ``currency`` (General for text
    and integers: a styled cell costs openpyxl more, and they need none)."""
    if kind == "money":
        return money_format(currency, value)
    return DATE_FORMAT if kind == "date" else "General"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class CsvReportFile:
    """All orders as CSV (UTF-8, a header row, amounts as plain decimals, ISO dates)."""

    def __init__(self, path: Path):
        self.path, self.partial = path, path.with_name(path.name + ".part")
        self.stream = open(self.partial, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.writer(self.stream)
        self.writer.writerow(HEADER)

    def add(self, row: Sequence, is_exception: bool) -> None:
        self.writer.writerow(row)

    def close(self, summary: dict) -> str:
        self.stream.close()
        os.replace(self.partial, self.path)
        return sha256_of(self.path)

    def abort(self) -> None:
        self.stream.close()
        self.partial.unlink(missing_ok=True)


class XlsxReportFile:
    """Summary, Exceptions and All orders sheets: number and date formats, frozen
    header rows, autofilters. ``show_settlements`` False leaves settlement sums out
    of the summary (the rows always carry them; see the download permission)."""

    def __init__(self, path: Path):
        self.path, self.partial = path, path.with_name(path.name + ".part")
        self.workbook = Workbook(write_only=True)
        self.summary_sheet = self.workbook.create_sheet("Summary")
        self.exceptions = self._rows_sheet("Exceptions")
        self.all_orders = self._rows_sheet("All orders")
        self.exception_count = self.order_count = 0

    def _rows_sheet(self, title: str) -> OrderRowsSheet:
        sheet = OrderRowsSheet(
            self.workbook,
            title,
            kinds=[BINDING[kind] for _, kind, _ in COLUMNS],
            row_key=_format_key,
            number_formats=_row_formats,
        )
        self.workbook._add_sheet(sheet)  # what create_sheet does with its own class
        sheet.freeze_panes = "A2"
        for index, (_, _, width) in enumerate(COLUMNS, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([self._header_cell(sheet, name) for name in HEADER])
        return sheet

    def _header_cell(self, sheet, value):
        cell = WriteOnlyCell(sheet, value)
        cell.font = Font(bold=True)
        return cell

    def add(self, row: Sequence, is_exception: bool) -> None:
        self.all_orders.append_order(row)
        self.order_count += 1
        if is_exception:
            self.exceptions.append_order(row)
            self.exception_count += 1

    def close(self, summary: dict, *, show_settlements: bool = True) -> str:
        last = get_column_letter(len(COLUMNS))
        self.all_orders.auto_filter.ref = f"A1:{last}{self.order_count + 1}"
        self.exceptions.auto_filter.ref = f"A1:{last}{self.exception_count + 1}"
        self._write_summary(summary, show_settlements)
        self.workbook.save(self.partial)
        os.replace(self.partial, self.path)
        return sha256_of(self.path)

    def abort(self) -> None:
        self.partial.unlink(missing_ok=True)

    def _write_summary(self, summary: dict, show_settlements: bool) -> None:
        sheet = self.summary_sheet
        sheet.freeze_panes = "A2"
        for index, width in enumerate((12, 8, 30, 9, *[15] * len(SUMS)), 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        shown = [s for s in SUMS if show_settlements or s not in SETTLEMENT_SUMS]
        sheet.append([self._header_cell(sheet, h) for h in (*SUMMARY_HEADER[:4], *shown)])
        rows = 1
        for group in summary["groups"]:
            currency = group["currency"]
            lines = [*group["statuses"].items(), ("total", group["totals"])]
            for status, sums in lines:
                sheet.append(
                    [
                        group["channel"],
                        currency,
                        status,
                        self._number(sheet, sums["orders"], INTEGER_FORMAT),
                        *[self._money(sheet, sums[name], currency) for name in shown],
                    ]
                )
                rows += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(4 + len(shown))}{rows}"
        sheet.append([])
        sheet.append(
            [self._header_cell(sheet, "Tie-out: channel total = ERP value + listed differences")]
        )
        sheet.append([self._header_cell(sheet, h) for h in TIE_OUT_HEADER])
        for group in summary["groups"]:
            tie, currency = group["tie_out"], group["currency"]
            sheet.append(
                [
                    group["channel"],
                    currency,
                    *[
                        self._money(sheet, tie[name], currency)
                        for name in ("channel_total", "erp_value", "differences_total")
                    ],
                    self._money(sheet, tie["unexplained"], currency),
                    "yes" if Decimal(tie["unexplained"]) == 0 else "NO",
                ]
            )

    def _money(self, sheet, text: str, currency: str):
        """A summary amount (stored exactly, as text) at its currency's minor units."""
        value = Decimal(shown_amount(text, currency))
        return self._number(sheet, value, money_format(currency, value))

    def _number(self, sheet, value, number_format: str):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = number_format
        return cell


def _format_key(row: Sequence):
    """Rows of a currency share their cells, but for an amount with decimals in a currency
    without them (rare: then its row's amounts get the format with optional digits)."""
    currency = row[CURRENCY_COLUMN]
    if currency in WHOLE_CURRENCIES and any(
        row[i] is not None and row[i] % 1 for i in MONEY_COLUMNS
    ):
        return currency, "fractions"
    return currency


def _row_formats(key) -> tuple[str | None, ...]:
    currency, fractions = (key, None) if isinstance(key, str) else (key[0], Decimal("0.5"))
    return tuple(
        None if kind in ("int", "text") else number_format(kind, currency, fractions)
        for _, kind, _ in COLUMNS
    )
