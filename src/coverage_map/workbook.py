"""Write tables to an Excel workbook (openpyxl): one sheet per table, readable as opened.

Numbers are stored as numbers and NA as empty cells; the header row is bold and frozen,
columns are as wide as their content (within limits). The file's bytes depend only on
its content: the document dates are given, and the zip entries carry a fixed time.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

#: Column width limits in characters: narrow codes stay readable, long messages wrap.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: The earliest time a zip entry can carry; any fixed value keeps the bytes stable.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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


def fill_sheet(sheet, frame: pd.DataFrame) -> None:
    """Header, rows, widths, number formats and the frozen first row."""
    sheet.append([str(c) for c in frame.columns])
    for record in frame.itertuples(index=False):
        sheet.append([cell_value(v) for v in record])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        texts = [str(column)] + [str(v) for v in frame[column] if not pd.isna(v)]
        sheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, max(map(len, texts)) + 2))
        number_format = _number_format(frame[column])
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        if max(map(len, texts)) > MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _number_format(column: pd.Series) -> str | None:
    """One decimal for measures (km, percentages), thousands grouped for counts."""
    if pd.api.types.is_float_dtype(column):
        return "0.0"
    if pd.api.types.is_integer_dtype(column):
        return "#,##0"
    return None


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path, *, created: datetime) -> None:
    """One sheet per frame, named by its key (Excel allows 31 characters)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        fill_sheet(workbook.create_sheet(title=name[:31]), frame)
    workbook.properties.creator = "coverage-map"
    workbook.properties.created = workbook.properties.modified = created
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()  # save_workbook() would stamp the current time
    Path(path).write_bytes(_stable_zip(buffer.getvalue()))


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every entry's time fixed, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
