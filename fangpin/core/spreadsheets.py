"""Spreadsheets, written once: reading .xlsx/.xls/.csv into rows keyed by field, and streaming rows out to .xlsx.

Reading: headers are matched after normalisation (spaces of every width dropped, full-width characters folded,
required-field marks like "*" removed), so "身份证号码 ", "＊身份证号码" and "身份证号码*" are one column; each
column may also list the variants the national exports use. Problems with the file as a whole (empty, corrupt,
password-protected, the wrong sheet, unknown or missing headers) raise `SpreadsheetError` with a Chinese
message; problems with values are for the importer to collect row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import python_calamine
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


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


class SpreadsheetError(Exception):
    """The file cannot be read as the expected table; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """One expected column: the model field it fills, its Chinese header, accepted variants, whether required."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = field(default=())  # labels offered in the template's drop-down


def normalize_header(text: Any) -> str:
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "*＊").lower()


@dataclass
class Table:
    """A sheet's rows (spreadsheet row number, {field: raw value}) and the headers as the file wrote them."""

    headers: dict[str, str]  # field -> header text as written in the file
    rows: Iterator[tuple[int, dict[str, Any]]]


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Excel stores every number as a float; 2025.0 is the year 2025
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _csv_rows(handle: IO[bytes]) -> Iterator[list[Any]]:
    """CSV rows, decoded as they are read (UTF-8, or GB18030 when the first megabyte is not UTF-8)."""
    head = handle.read(1 << 20)
    if not head.strip():
        raise SpreadsheetError("文件是空的")
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of the sample
            encoding = "gb18030"
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise SpreadsheetError("文件中有无法识别的字符：请把 CSV 另存为 UTF-8 或 GB18030 编码") from None
    finally:
        text.detach()  # leave the caller's file open


def _workbook(handle: IO[bytes]):
    try:
        return python_calamine.CalamineWorkbook.from_filelike(handle)
    except python_calamine.PasswordError:
        raise SpreadsheetError("文件设有密码保护，请取消密码后再上传") from None
    except (
        python_calamine.CalamineError,
        python_calamine.ZipError,
        python_calamine.XmlError,
        ValueError,
        OSError,
    ):
        raise SpreadsheetError("文件已损坏或不是 Excel 文件，请用 Excel 打开检查后另存为 .xlsx") from None


def _sheet_rows(workbook, name: str) -> Iterator[list[Any]]:
    try:
        yield from workbook.get_sheet_by_name(name).iter_rows()
    except python_calamine.CalamineError:
        raise SpreadsheetError(f"工作表“{name}”已损坏，无法读取") from None


def open_table(
    source: str | Path | IO[bytes],
    columns: Sequence[Column],
    *,
    filename: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Open a spreadsheet and map its header row to `columns`; the rows are read lazily (constant memory).

    In a workbook, the named sheet, or else the first sheet whose header row fits (so a leading 说明 sheet is
    skipped); if none fits, the first sheet's problem is reported with the names of the sheets looked at.
    """
    if isinstance(source, str | Path):
        filename = filename or Path(source).name
        handle: IO[bytes] = open(source, "rb")  # noqa: SIM115 - the row iterator closes it
    else:
        handle = source
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise SpreadsheetError(f"不支持的文件类型“{suffix or '无扩展名'}”，请上传 .xlsx、.xls 或 .csv 文件")
    if suffix == ".csv":
        return _table(_csv_rows(handle), columns, handle if isinstance(source, str | Path) else None)
    workbook = _workbook(handle)
    names = list(workbook.sheet_names)
    if not names:
        raise SpreadsheetError("工作簿中没有工作表")
    if sheet is not None and sheet not in names:
        raise SpreadsheetError(f"找不到工作表“{sheet}”；文件中的工作表有：{'、'.join(names)}")
    first_problem = None
    for name in [sheet] if sheet else names:
        try:
            return _table(
                _sheet_rows(workbook, name), columns, handle if isinstance(source, str | Path) else None
            )
        except SpreadsheetError as exc:
            first_problem = first_problem or exc
    if len(names) > 1:
        raise SpreadsheetError(f"{first_problem.message}（已查看工作表：{'、'.join(names)}）")
    raise first_problem


def _table(raw: Iterator[list[Any]], columns: Sequence[Column], owned: IO[bytes] | None) -> Table:
    header_row = None
    header_line = 0
    for line_no, row in enumerate(raw, start=1):
        if any(str(v).strip() for v in row if v is not None):
            header_row, header_line = row, line_no
            break
    if header_row is None:
        raise SpreadsheetError("文件是空的：没有找到表头")
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup[normalize_header(name)] = column
    positions: dict[int, Column] = {}
    unknown, headers = [], {}
    for index, title in enumerate(header_row):
        if title is None or not str(title).strip():
            continue
        column = lookup.get(normalize_header(title))
        if column is None:
            unknown.append(str(title).strip())
        elif column.field in headers:
            raise SpreadsheetError(f"表头“{title}”重复：与“{headers[column.field]}”是同一列")
        else:
            positions[index] = column
            headers[column.field] = str(title).strip()
    if unknown:
        expected = "、".join(c.header for c in columns)
        raise SpreadsheetError(f"无法识别的表头：{'、'.join(unknown)}。可用的列：{expected}")
    missing = [c.header for c in columns if c.required and c.field not in headers]
    if missing:
        raise SpreadsheetError(f"缺少必填列：{'、'.join(missing)}")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for line, row in enumerate(raw, start=header_line + 1):
                values = {c.field: _cell(row[i]) if i < len(row) else "" for i, c in positions.items()}
                if any(v not in ("", None) for v in values.values()):
                    yield line, values
        finally:
            if owned is not None:
                owned.close()

    return Table(headers=headers, rows=rows())
