"""Write tables to an Excel workbook (openpyxl): one sheet per table, readable as opened.

Numbers are stored as numbers and NA as empty cells; the header row is bold and frozen,
columns are as wide as their content (within limits). The file's bytes depend only on
its content: the document dates are given, and the zip entries carry a fixed time.

The workbook is written in openpyxl's write-only mode, which streams rows instead of
keeping a cell object per value; only cells that carry a style are built as cells.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

#: Column width limits in characters: narrow codes stay readable, long messages wrap.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: The earliest time a zip entry can carry; any fixed value keeps the bytes stable.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

HEADER_FONT = Font(bold=True)
WRAP_TOP = Alignment(vertical="top", wrap_text=True)


def cell_value(value: object) -> object:
    """A value openpyxl stores natively: Python numbers, text, or None for NA."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, *, created: datetime) -> None:
    """Write one sheet per frame, in order, to the .xlsx file at path.

    Each sheet is named by its key (cut to Excel's 31 characters) and written by fill_sheet.
    created is the document's created and modified date, so equal input gives equal bytes.
    """
    workbook = Workbook(write_only=True)
    for name, frame in sheets.items():
        fill_sheet(workbook.create_sheet(title=name[:31]), frame)
    workbook.properties.creator = "coverage-map"
    workbook.properties.created = workbook.properties.modified = created
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # _stable_zip compresses
        ExcelWriter(workbook, archive).save()  # save_workbook() would stamp the current time
    Path(path).write_bytes(_stable_zip(buffer.getvalue()))


def fill_sheet(sheet, frame: pd.DataFrame) -> None:
    """Write frame into an empty write-only sheet: a bold, wrapped header row that stays
    frozen, then the rows; widths fit the longest text of each column (header included)
    within [MIN_WIDTH, MAX_WIDTH], and columns with longer text wrap."""
    headers = [str(name) for name in frame.columns]
    columns = [frame.iloc[:, index] for index in range(frame.shape[1])]
    values = [_cell_values(column) for column in columns]
    longest = [max(len(header), _longest_text(column_values)) for header, column_values in zip(headers, values)]
    # A write-only sheet streams its rows, so the layout goes in before the first row.
    sheet.freeze_panes = "A2"
    for index, length in enumerate(longest, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, length + 2))
    sheet.append([_styled_cell(sheet, header, font=HEADER_FONT, alignment=WRAP_TOP) for header in headers])
    cells = [
        _column_cells(sheet, column_values, _number_format(column), WRAP_TOP if length > MAX_WIDTH else None)
        for column, column_values, length in zip(columns, values, longest)
    ]
    for row in zip(*cells):
        sheet.append(row)


def _cell_values(column: pd.Series) -> list:
    """The column as values openpyxl stores natively (see cell_value)."""
    values = column.astype(object).where(column.notna(), None).tolist()
    if column.dtype.kind in "biuf" or isinstance(column.dtype, pd.StringDtype):
        return values  # already Python numbers or text
    return [cell_value(value) for value in values]


def _longest_text(values: list) -> int:
    """The length of the longest value as text, NA (None) left out."""
    # A plain loop: pandas' astype(str) is no faster here, and writes some values
    # (float32, dates at midnight) differently from str().
    return max((len(str(value)) for value in values if value is not None), default=0)


def _column_cells(sheet, values: list, number_format: str | None, alignment: Alignment | None) -> list:
    """values ready for sheet.append: as they are, or as cells with the number format and
    alignment if there are any (empty cells too, as in a formatted column)."""
    if number_format is None and alignment is None:
        return values
    return [_styled_cell(sheet, value, number_format=number_format, alignment=alignment) for value in values]


def _styled_cell(sheet, value: object, *, number_format: str | None = None,
                 alignment: Alignment | None = None, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    if number_format is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    if font is not None:
        cell.font = font
    return cell


def _number_format(column: pd.Series) -> str | None:
    """One decimal for measures (km, percentages), thousands grouped for counts."""
    if pd.api.types.is_float_dtype(column):
        return "0.0"
    if pd.api.types.is_integer_dtype(column):
        return "#,##0"
    return None


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every entry's time fixed, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
