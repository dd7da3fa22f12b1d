"""Spreadsheet output, written once: stream rows into an .xlsx without holding the workbook in memory."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.styles import Font


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "清单"):
    """Write header + rows to a temporary .xlsx file (write-only mode: constant memory); return the open file.

    ID numbers and phones are written as text so Excel does not turn them into 4.21223E+17.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31])
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for title in header:
        cell = WriteOnlyCell(ws, value=str(title))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append([_cell(v) for v in row])
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (handed to FileResponse, which closes it)
    wb.save(tmp)
    tmp.seek(0)
    return tmp


def xlsx_response(
    header: Sequence[str], rows: Iterable[Sequence], filename: str, *, sheet_title: str = "清单"
):
    """An HTTP download of the rows as an .xlsx file named `filename` (Chinese names are fine)."""
    handle = write_xlsx(header, rows, sheet_title=sheet_title)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
