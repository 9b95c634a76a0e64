"""The analysis's tables as an Excel workbook (openpyxl): one sheet per table, readable as opened.

workbook_sheets gives the report's tables with raw values and headers in the run's language;
write_workbook writes any such tables.

Numbers are stored as numbers and NA as empty cells; the header row is bold, frozen and
filtered (an autofilter over the table), columns are as wide as their content (within
limits). The file's bytes depend only on its content: the document dates are given, and
the zip entries carry a fixed time. The run's workbook shows the date of the run (the day,
not the time), so two runs of the same inputs on the same day give the same bytes.

The workbook is written in openpyxl's write-only mode: openpyxl writes the package, the
styles and each sheet's layout and header row; the data rows, which are most of the time
(a national workbook has 190,000 cells), are formatted here as the same XML openpyxl
writes for them, and put into each sheet's XML when the zip is rewritten. A sheet holding
a value outside the plain types (text, numbers, booleans, empty) is written by openpyxl
cell by cell, as before.
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import __version__
from .costs import KM
from .coverage import UNKNOWN
from .formatting import cite, cite_origin
from .phrases import access_text, check_message, finding_source, group_label, minutes_note, roads_date, side_by_side, travelled
from .proposals import workbook_sheet as proposal_sheet
from .provenance import data_date, option_rows, source_rows
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
    rows = {}  # sheet file in the package -> its data rows as XML, written here
    for number, (name, frame) in enumerate(sheets.items(), start=1):
        rows[f"xl/worksheets/sheet{number}.xml"] = fill_sheet(workbook.create_sheet(title=name[:31]), frame)
    workbook.properties.creator = "coverage-map"
    workbook.properties.created = workbook.properties.modified = created
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # _stable_zip compresses
        ExcelWriter(workbook, archive).save()  # save_workbook() would stamp the current time
    Path(path).write_bytes(_stable_zip(buffer.getvalue(), rows))


def fill_sheet(sheet, frame: pd.DataFrame) -> bytes:
    """Write frame into an empty write-only sheet: a bold, wrapped header row that stays
    frozen and carries an autofilter, then the rows; widths fit the longest text of each
    column (header included) within [MIN_WIDTH, MAX_WIDTH], and columns with longer text wrap.

    Returns the data rows as XML for write_workbook to put in the sheet, or b"" when
    openpyxl wrote them (a value of another type than text, number or boolean).
    """
    headers = [str(name) for name in frame.columns]
    columns = [frame.iloc[:, index] for index in range(frame.shape[1])]
    values = [_cell_values(column) for column in columns]
    longest = [max(len(header), _longest_text(column_values)) for header, column_values in zip(headers, values)]
    # A write-only sheet streams its rows, so the layout goes in before the first row.
    sheet.freeze_panes = "A2"
    _print_setup(sheet)
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"
    for index, length in enumerate(longest, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, length + 2))
    sheet.append([_styled_cell(sheet, header, font=HEADER_FONT, alignment=WRAP_TOP) for header in headers])
    formats = [(_number_format(column), WRAP_TOP if length > MAX_WIDTH else None) for column, length in zip(columns, longest)]
    if len(frame) and all(_plain(column_values) for column_values in values):
        # one styled cell per column, in the order openpyxl would meet them in the first
        # row, registers the same styles with the same ids as writing every cell would
        styles = [_styled_cell(sheet, None, number_format=f, alignment=a).style_id if (f or a) else None
                  for f, a in formats]
        return _rows_xml(values, styles)
    cells = [_column_cells(sheet, column_values, f, a) for column_values, (f, a) in zip(values, formats)]
    for row in zip(*cells):
        sheet.append(row)
    return b""


def _print_setup(sheet) -> None:
    """Printed, a sheet is landscape, as wide as the page (as many pages tall as it takes) and
    repeats its header row on every page: LibreOffice printed 75 portrait pages with the
    columns split across them."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _plain(values: list) -> bool:
    """Whether every value is one _rows_xml writes as openpyxl does: empty, a boolean, an
    int, a finite float, or text that openpyxl keeps as text."""
    for value in values:
        kind = type(value)
        if value is None or kind is bool or kind is int:
            continue
        if kind is float:
            if not math.isfinite(value):
                return False
        elif kind is str:
            if (len(value) > 32767 or (len(value) > 1 and value[0] == "=") or value in ERROR_CODES
                    or ILLEGAL_CHARACTERS_RE.search(value)):
                return False
        else:
            return False
    return True


def _rows_xml(values: list[list], styles: list[int | None]) -> bytes:
    """The sheet's data rows (from row 2) as the XML openpyxl writes for them: a styled
    empty cell is written, an unstyled one left out, text inline and ASCII-escaped."""
    letters = [get_column_letter(index) for index in range(1, len(values) + 1)]
    templates = [(f'<c r="{letter}%d"' + (f' s="{style}"' if style else "")) for letter, style in zip(letters, styles)]
    out = io.StringIO()  # row by row: a list of every cell's text would hold 200,000 objects
    for row, cells in enumerate(zip(*values), start=2):
        parts = [f'<row r="{row}">']
        for template, style, value in zip(templates, styles, cells):
            if value is None:
                if style:
                    parts.append(template % row + ' t="n"></c>')
                continue
            kind = type(value)
            if kind is str:
                if not value:  # openpyxl writes an empty text as an empty cell of text type
                    parts.append(template % row + ' t="inlineStr"></c>')
                    continue
                space = ' xml:space="preserve"' if value != value.strip() else ""
                parts.append(f'{template % row} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>')
            elif kind is bool:
                parts.append(f'{template % row} t="b"><v>{int(value)}</v></c>')
            else:
                parts.append(f'{template % row} t="n"><v>{"%.16g" % value}</v></c>')
        parts.append("</row>")
        out.write("".join(parts))
    return out.getvalue().encode("ascii", "xmlcharrefreplace")


def _escape(text: str) -> str:
    """Text as lxml writes it in an element: markup characters and carriage returns escaped
    (the rest of non-ASCII becomes character references on encoding)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


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


def _stable_zip(data: bytes, rows: dict[str, bytes] | None = None) -> bytes:
    """The same archive with every entry's time fixed, so equal content gives equal bytes,
    and the given data rows put at the end of each sheet's data."""
    rows = rows or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if rows.get(info.filename):
                content = content.replace(b"</sheetData>", rows[info.filename] + b"</sheetData>", 1)
            target.writestr(entry, content)
    return out.getvalue()


def workbook_sheets(analysis: Analysis, *, lang: str) -> dict[str, pd.DataFrame]:
    """The report's tables with raw values and headers in lang, one per sheet, after a first
    sheet of sources, options and dates; with plans, the proposed sites after the gaps. Outside Lima Metropolitana there is no usage sheet
    (its figures are Lima's)."""
    labels = texts(lang)
    acronyms = analysis.catalogue.services["acronym"].to_dict()  # CAR NNA, not CAR_NNA
    matrix = analysis.coverage.matrix().rename(
        columns={"ubigeo": labels["ubigeo"], "district": labels["district"], **acronyms})
    sheets = {
        labels["sheet_about"]: _about_sheet(analysis, lang),
        labels["sheet_summary"]: _summary_sheet(analysis, lang),
        labels["sheet_matrix"]: matrix,
        labels["sheet_gaps"]: _gaps_sheet(analysis, lang),
        labels["sheet_plan"]: proposal_sheet(analysis, lang),
        labels["sheet_need"]: _need_sheet(analysis, lang),
        labels["sheet_checks"]: _checks_sheet(analysis, lang),
        labels["sheet_usage"]: _usage_sheet(analysis, lang),
        labels["sheet_indicators"]: _indicators_sheet(analysis, lang),
    }
    return {name: sheet for name, sheet in sheets.items() if sheet is not None}


def _about_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    """What the figures are and where they come from: the date of the run and of the data,
    every source (title, version, licence, short sha256) and the options."""
    labels = texts(lang)
    periods = sorted(analysis.usage["period"].unique())
    rows = [
        (labels["kind_date"], labels["run_date"], analysis.created.date().isoformat(), None, None, None, None),
        (labels["kind_date"], labels["data_date"], data_date(analysis, periods, lang), None, None, None, None),
        (labels["kind_source"], labels["tool_version"], f"coverage-map {__version__}", None, None, None, None),
    ]
    roads = analysis.roads
    sources = source_rows(analysis, lang)
    if roads is not None:  # the streets the minutes were measured along: OpenStreetMap's, with its attribution
        rows.insert(2, (labels["kind_date"], labels["roads_date"], roads_date(roads, lang), None, None, None, None))
    rows += [(labels["kind_source"], row["role"], row["title"] or None, row["file"], row["version"] or None,
              row["license"] or None, row["sha"]) for row in sources]
    options = [(row["option"], row["value"]) for row in option_rows(analysis, lang)]
    if roads is not None:
        options += [(labels["opt_profile"], travelled(roads, lang)),
                    (labels["opt_costs"], minutes_note(roads, lang))]
    rows += [(labels["kind_option"], option, value, None, None, None, None) for option, value in options]
    columns = ["col_kind", "col_item", "value", "file", "version", "license", "col_sha256"]
    return pd.DataFrame(rows, columns=[labels[c] for c in columns])


def _summary_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, summary = texts(lang), analysis.coverage.summary
    sheet = pd.DataFrame({
        labels["code"]: summary.index, labels["service"]: summary.index.map(lambda c: analysis.catalogue.label(c, lang)),
    }, index=summary.index)  # the columns below align on the service
    if "scale" in summary:  # each service's scale decides what counts as its gap
        sheet[labels["scale"]] = summary["scale"].map(lambda scale: labels[f"scale_{scale}"])
        sheet[labels["catchment" if analysis.unit == KM else "col_catchment_min"]] = summary[f"catchment_{analysis.unit}"]
    sheet[labels["col_districts"]] = summary["districts"]
    sheet[labels["hosts"]] = summary["hosts"]
    sheet[labels["gaps"]] = summary["gaps"]
    if "without_site" in summary:
        sheet[labels["col_without_site"]] = summary["without_site"]
    sheet[labels["col_unknown"]] = summary["unknown"]
    sheet[labels["col_listed"]] = summary["listed_total"]
    if analysis.lima_figures:
        sheet[labels["declared"]] = summary["declared_total"]
    if analysis.population is not None:
        sheet[labels["target_group"]] = [group_label(analysis, c, lang) for c in summary.index]
        sheet[labels["target_people"]] = summary["target_population"]
        sheet[labels["unserved"]] = summary["unserved_population"]
        sheet[labels["col_served_share"]] = (100 * summary["served_share"]).round(1)  # once, from the exact share
        weighted = analysis.coverage.rounded().summary[f"weighted_{analysis.unit}"]
        sheet[labels["col_weighted_km" if analysis.unit == KM else "col_weighted_min"]] = weighted
        if analysis.coverage.access_measured:  # access (E2SFCA) and the catchment
            sheet[labels["col_people_beyond"]] = summary["people_beyond"]
            sheet[labels["col_share_within"]] = (100 * summary["share_within"]).round(1)
    # where each service's counts come from; both sources where a user's file replaced the summary's
    sheet[labels["source"]] = [" · ".join(filter(None, [cite_origin(analysis.origin(c), lang), side_by_side(analysis, c, lang)]))
                               for c in summary.index]
    return sheet


def _gaps_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, gaps, summary = texts(lang), analysis.coverage.rounded().gaps(), analysis.coverage.summary
    sheet = pd.DataFrame({
        labels["code"]: gaps["service"], labels["service"]: gaps["service"].map(lambda c: analysis.catalogue.label(c, lang)),
    })
    if "scale" in summary:
        sheet[labels["scale"]] = gaps["service"].map(summary["scale"]).map(lambda scale: labels[f"scale_{scale}"])
    sheet[labels["ubigeo"]] = gaps["ubigeo"]
    sheet[labels["district"]] = gaps["district"]
    sheet[labels["col_nearest_ubigeo"]] = gaps["nearest_ubigeo"]
    sheet[labels["nearest"]] = gaps["nearest_district"]
    sheet = sheet.assign(**_cost_columns(analysis, gaps, lang))
    if analysis.population is not None:
        sheet[labels["target_people"]] = gaps["target_population"]
        if analysis.coverage.access_measured:
            sheet[labels["col_access"]] = _access_cells(analysis, gaps, lang)
    return sheet


def _need_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    """Every district of every service with district data: its target population and the people per centre."""
    if analysis.population is None:
        return None
    labels, table = texts(lang), analysis.coverage.rounded().table
    rows = table[table["status"] != UNKNOWN]
    sheet = pd.DataFrame({
        labels["code"]: rows["service"], labels["service"]: rows["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["ubigeo"]: rows["ubigeo"], labels["district"]: rows["district"],
        labels["col_status"]: rows["status"].map(lambda s: labels[f"status_{s}"]), labels["centres"]: rows["count"],
        labels["target_people"]: rows["target_population"], labels["per_centre"]: rows["people_per_centre"],
        labels["nearest"]: rows["nearest_district"], **_cost_columns(analysis, rows, lang),
    })
    if analysis.coverage.access_measured:
        sheet[labels["col_access"]] = _access_cells(analysis, rows, lang)
    return sheet


def _access_cells(analysis: Analysis, rows: pd.DataFrame, lang: str) -> list:
    """Access as the map reads it: target people per site within reach, a number; where no
    site is within the catchment, the words saying so; empty where not measured."""
    unit = analysis.unit
    return [None if pd.isna(access) else per_site if access > 0
            else access_text(access, analysis.scales[service].catchment(unit), lang, cost_unit=unit)
            for service, access, per_site in zip(rows["service"], rows["access"], rows["people_per_site"])]


def _cost_columns(analysis: Analysis, rows: pd.DataFrame, lang: str) -> dict[str, pd.Series]:
    """The distance to the nearest site under its heading: km; with --roads the minutes along
    the streets, and the straight-line km beside them, said to be so."""
    labels = texts(lang)
    if analysis.unit == KM:
        return {labels["col_km"]: rows["nearest_km"]}
    return {labels["col_min"]: rows[f"nearest_{analysis.unit}"], labels["col_straight_km"]: rows["nearest_km"]}


def _checks_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, checks = texts(lang), analysis.checks
    return pd.DataFrame({
        labels["col_check"]: checks["check"].map(lambda kind: labels.get(f"kind_{kind}", kind)),
        labels["code"]: checks["service"],
        labels["finding"]: [check_message(analysis, row, lang) for _, row in checks.iterrows()],
        labels["where"]: [finding_source(analysis, row, lang) for _, row in checks.iterrows()],
        labels["col_expected"]: checks["expected"].map(_maybe_int), labels["col_found"]: checks["found"].map(_maybe_int),
    })


def _usage_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    if not analysis.lima_figures:
        return None
    labels, usage = texts(lang), analysis.usage
    return pd.DataFrame({
        labels["code"]: usage["service"], labels["service"]: usage["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["col_period"]: usage["period"], labels["col_value"]: usage["value"],
        labels["unit"]: usage[f"unit_{lang}"], labels["source"]: usage["source"].map(lambda s: cite(s, lang)),
    })


def _indicators_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, indicators = texts(lang), analysis.indicators
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

