"""The analysis's tables as an Excel workbook (openpyxl): one sheet per table, readable as opened.

workbook_sheets gives the report's tables with raw values and headers in the run's language;
write_workbook writes any such tables.

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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from .coverage import UNKNOWN
from .formatting import cite
from .inventory import load_indicators, load_usage
from .phrases import check_message, group_label
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis

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


def workbook_sheets(analysis: Analysis, *, lang: str) -> dict[str, pd.DataFrame]:
    """The report's tables with raw values and headers in lang, one per sheet. Outside Lima
    Metropolitana there is no usage sheet (its figures are Lima's)."""
    labels = texts(lang)
    matrix = analysis.coverage.matrix().rename(columns={"ubigeo": labels["ubigeo"], "district": labels["district"]})
    sheets = {
        labels["sheet_summary"]: _summary_sheet(analysis, lang),
        labels["sheet_matrix"]: matrix,
        labels["sheet_gaps"]: _gaps_sheet(analysis, lang),
        labels["sheet_need"]: _need_sheet(analysis, lang),
        labels["sheet_checks"]: _checks_sheet(analysis, lang),
        labels["sheet_usage"]: _usage_sheet(analysis, lang),
        labels["sheet_indicators"]: _indicators_sheet(analysis, lang),
    }
    return {name: sheet for name, sheet in sheets.items() if sheet is not None}


def _summary_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, summary = texts(lang), analysis.coverage.summary
    sheet = pd.DataFrame({
        labels["code"]: summary.index, labels["service"]: summary.index.map(lambda c: analysis.catalogue.label(c, lang)),
        labels["col_districts"]: summary["districts"], labels["hosts"]: summary["hosts"],
        labels["gaps"]: summary["gaps"], labels["col_unknown"]: summary["unknown"],
        labels["col_listed"]: summary["listed_total"],
    })
    if analysis.lima_figures:
        sheet[labels["declared"]] = summary["declared_total"]
    if analysis.population is not None:
        sheet[labels["target_group"]] = [group_label(analysis, c, lang) for c in summary.index]
        sheet[labels["target_people"]] = summary["target_population"]
        sheet[labels["unserved"]] = summary["unserved_population"]
        sheet[labels["col_served_share"]] = (100 * summary["served_share"]).round(1)
        sheet[labels["col_weighted_km"]] = summary["weighted_km"]
    return sheet


def _gaps_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, gaps = texts(lang), analysis.coverage.gaps()
    sheet = pd.DataFrame({
        labels["code"]: gaps["service"], labels["service"]: gaps["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["ubigeo"]: gaps["ubigeo"], labels["district"]: gaps["district"],
        labels["col_nearest_ubigeo"]: gaps["nearest_ubigeo"], labels["nearest"]: gaps["nearest_district"],
        labels["col_km"]: gaps["nearest_km"],
    })
    if analysis.population is not None:
        sheet[labels["target_people"]] = gaps["target_population"]
    return sheet


def _need_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    """Every district of every service with district data: its target population and the people per centre."""
    if analysis.population is None:
        return None
    labels, table = texts(lang), analysis.coverage.table
    rows = table[table["status"] != UNKNOWN]
    return pd.DataFrame({
        labels["code"]: rows["service"], labels["service"]: rows["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["ubigeo"]: rows["ubigeo"], labels["district"]: rows["district"],
        labels["col_status"]: rows["status"].map(lambda s: labels[f"status_{s}"]), labels["centres"]: rows["count"],
        labels["target_people"]: rows["target_population"], labels["per_centre"]: rows["people_per_centre"],
        labels["nearest"]: rows["nearest_district"], labels["col_km"]: rows["nearest_km"],
    })


def _checks_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, checks = texts(lang), analysis.checks
    return pd.DataFrame({
        labels["col_check"]: checks["check"], labels["code"]: checks["service"],
        labels["finding"]: [check_message(analysis, row, lang) for _, row in checks.iterrows()],
        labels["where"]: checks["where"].map(lambda w: cite(w, lang)),
        labels["col_expected"]: checks["expected"].map(_maybe_int), labels["col_found"]: checks["found"].map(_maybe_int),
    })


def _usage_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    if not analysis.lima_figures:
        return None
    labels, usage = texts(lang), load_usage()
    return pd.DataFrame({
        labels["code"]: usage["service"], labels["service"]: usage["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["col_period"]: usage["period"], labels["col_value"]: usage["value"],
        labels["unit"]: usage[f"unit_{lang}"], labels["source"]: usage["source"].map(lambda s: cite(s, lang)),
    })


def _indicators_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, indicators = texts(lang), load_indicators()
    return pd.DataFrame({
        labels["code"]: indicators["code"], labels["service"]: indicators[f"service_{lang}"],
        labels["indicator"]: indicators[f"indicator_{lang}"], labels["col_2021"]: indicators["result_2021"],
        labels["col_2022"]: indicators["result_2022"], labels["change"]: indicators["change_pp"],
        labels["lima_service" if analysis.lima_figures else "related_service"]:
            indicators["related_service"].map(lambda c: analysis.catalogue.label(c, lang) if c else None),
        labels["source"]: indicators["source"].map(lambda s: cite(s, lang)),
    })


def _maybe_int(value: object) -> object:
    """Checks hold numbers and words in one column: numbers go to Excel as numbers."""
    if isinstance(value, str) and value.isdigit() and len(value) < 6:
        return int(value)  # a ubigeo (six digits, 070107) stays text
    return value


def data_time() -> datetime:
    """The end of the latest usage period: the workbook's date, so its bytes do not change."""
    latest = max(load_usage()["period"])
    return datetime.strptime(latest if "-" in latest else f"{latest}-12", "%Y-%m")
