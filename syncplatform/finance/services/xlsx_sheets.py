"""Write-only sheets of report rows, written through cells made once per column.

openpyxl's write-only ``append`` takes plain values, or a styled ``WriteOnlyCell``
object per value. For the object, it first tries to bind it as a value (a
``ValueError`` caught), then makes a new cell for the values after it; every
styled cell has its style looked up again when written, and every date its
number format parsed. A report row has a dozen formatted cells (amounts and
dates), so that was a third of the XLSX's time.

``OrderRowsSheet.append_order`` writes a row through one cell per column, made
when the sheet first meets the row's currency: its number format (and style
id) fixed, given each row's value in turn (a row is written out as it is
appended, so the cells serve the next one). Numbers and dates are bound as
such; text still goes through openpyxl's checks (length, illegal characters).
Empty values are no cell. The header and any other row go through openpyxl
as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


class FormattedCell(Cell):
    """A cell whose number format is set once: its style id is looked up once, not per write."""

    __slots__ = ("_style_id",)

    def __init__(self, sheet, column: int, number_format: str):
        super().__init__(sheet, column=column, row=1)
        self.number_format = number_format
        self._style_id = sheet.parent._cell_styles.add(self._style)

    @property
    def style_id(self) -> int:
        return self._style_id

    @property
    def has_style(self) -> bool:
        return True


class _OrderRow(tuple):
    """A row ``append`` hands to ``OrderRowsSheet`` (any other row is openpyxl's)."""


# How a column's value is bound to its cell: numbers and dates directly, text checked.
NUMBER, DATE, TEXT = "n", "d", "s"


class OrderRowsSheet(WriteOnlyWorksheet):
    """A write-only sheet whose order rows go through cells made once per kind of row.

    ``row_key(row)`` names a row's kind (its currency, say) and ``number_formats(key)``
    the number format of each column for that kind (None: General); ``kinds`` says how
    each column's values are bound (``NUMBER``, ``DATE``, ``TEXT``).
    """

    def __init__(
        self,
        parent,
        title: str,
        *,
        kinds: Sequence[str],
        row_key: Callable[[Sequence], Hashable],
        number_formats: Callable[[Hashable], Sequence[str | None]],
    ):
        super().__init__(parent, title)
        self._kinds = tuple(kinds)
        self._row_key = row_key
        self._number_formats = number_formats
        self._cells: dict[Hashable, list[Cell]] = {}

    def append_order(self, row: Sequence) -> None:
        self.append(_OrderRow(row))

    def _values_to_row(self, values, row_idx):
        if type(values) is not _OrderRow:
            return super()._values_to_row(values, row_idx)
        return self._order_cells(values, row_idx)

    def _order_cells(self, values: _OrderRow, row_idx: int):
        key = self._row_key(values)
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = self._make_cells(self._number_formats(key))
        for value, cell, kind in zip(values, cells, self._kinds, strict=True):
            if value is None or value == "":
                continue
            if kind is TEXT:
                cell.value = value
            else:
                cell._value, cell.data_type = value, kind
            cell.row = row_idx
            yield cell

    def _make_cells(self, formats: Sequence[str | None]) -> list[Cell]:
        return [
            Cell(self, column=column) if number_format is None
            else FormattedCell(self, column, number_format)
            for column, number_format in enumerate(formats, 1)
        ]  # fmt: skip
