"""The report's files: a CSV and an XLSX (Summary, Exceptions, All orders) of the same rows.

Both are written as the rows stream by, so a million orders never sit in
memory: the CSV through ``csv.writer``, the XLSX through openpyxl's write-only
mode (each sheet goes to its own temporary file as rows are appended; the
summary sheet, shown first, is filled last). The CSV is the All orders sheet
row for row; the summary is derived from those rows (and shown on the report's
admin page). Files are written under a temporary name and renamed when
complete, with their sha256.
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

from .summary import SETTLEMENT_SUMS, SUMS

MONEY_FORMAT = "#,##0.00"
ERP_MONEY_FORMAT = "#,##0.00####"  # the ERP's six fraction digits, shown when not zero
DATE_FORMAT = "yyyy-mm-dd"
INTEGER_FORMAT = "0"

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
    ("erp_value", "erp_money", 15),
    ("erp_difference", "erp_money", 15),
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
# Integers keep Excel's General format: a styled cell costs openpyxl a cell object and a
# style lookup of its own, a quarter of the XLSX's time when every number had one.
FORMATS = {
    "money": MONEY_FORMAT,
    "erp_money": ERP_MONEY_FORMAT,
    "date": DATE_FORMAT,
}
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
        # One styled cell per formatted column, its value set for each row: a row is
        # written out when appended, so the cells can be used again for the next one.
        self.cells = {
            ws: [self._cell(ws, kind) for _, kind, _ in COLUMNS]
            for ws in (self.exceptions, self.all_orders)
        }

    def _rows_sheet(self, title: str):
        sheet = self.workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, (_, _, width) in enumerate(COLUMNS, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([self._header_cell(sheet, name) for name in HEADER])
        return sheet

    def _header_cell(self, sheet, value):
        cell = WriteOnlyCell(sheet, value)
        cell.font = Font(bold=True)
        return cell

    def _cell(self, sheet, kind: str):
        if kind not in FORMATS:
            return None
        cell = WriteOnlyCell(sheet)
        cell.number_format = FORMATS[kind]
        return cell

    def _append(self, sheet, row: Sequence) -> None:
        values = []
        for value, cell in zip(row, self.cells[sheet], strict=True):
            if cell is None or value is None or value == "":
                values.append(value)
            else:
                cell.value = value
                values.append(cell)
        sheet.append(values)

    def add(self, row: Sequence, is_exception: bool) -> None:
        self._append(self.all_orders, row)
        self.order_count += 1
        if is_exception:
            self._append(self.exceptions, row)
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
            lines = [*group["statuses"].items(), ("total", group["totals"])]
            for status, sums in lines:
                sheet.append(
                    [
                        group["channel"],
                        group["currency"],
                        status,
                        self._number(sheet, sums["orders"], INTEGER_FORMAT),
                        *[self._number(sheet, sums[name], MONEY_FORMAT) for name in shown],
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
            tie = group["tie_out"]
            sheet.append(
                [
                    group["channel"],
                    group["currency"],
                    self._number(sheet, tie["channel_total"], MONEY_FORMAT),
                    self._number(sheet, tie["erp_value"], ERP_MONEY_FORMAT),
                    self._number(sheet, tie["differences_total"], ERP_MONEY_FORMAT),
                    self._number(sheet, tie["unexplained"], ERP_MONEY_FORMAT),
                    "yes" if _is_zero(tie["unexplained"]) else "NO",
                ]
            )

    def _number(self, sheet, value, number_format: str):
        cell = WriteOnlyCell(sheet, Decimal(value) if isinstance(value, str) else value)
        cell.number_format = number_format
        return cell


def _is_zero(text: str) -> bool:
    return Decimal(text) == 0
