"""The Excel workbook writer on small hand-made tables."""

from __future__ import annotations

import zipfile
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from openpyxl.worksheet.worksheet import Worksheet

from coverage_map.workbook import write_workbook

CREATED = datetime(2024, 6, 1)
LONG = "x" * 70


@pytest.fixture
def sheets() -> dict[str, pd.DataFrame]:
    table = pd.DataFrame({
        "Code": ["CEM", "DEMUNA", None],
        "km": [1.25, np.nan, 3.0],
        "Centres": pd.array([1, None, 1200], dtype="Int64"),
        "People": np.array([10, 20, 30], dtype="int64"),
        "Open": [True, False, True],
        "Note": ["short", LONG, None],
        "Mixed": pd.Series([np.int64(7), "text", np.float64(np.nan)], dtype=object),
    })
    return {"A sheet name longer than thirty-one characters": table, "Empty": table.iloc[:0]}


@pytest.fixture
def workbook(sheets, tmp_path) -> openpyxl.Workbook:
    write_workbook(sheets, tmp_path / "out.xlsx", created=CREATED)
    return openpyxl.load_workbook(tmp_path / "out.xlsx")


def test_one_sheet_per_frame_with_a_bold_wrapped_frozen_header(workbook):
    assert workbook.sheetnames == ["A sheet name longer than thirty", "Empty"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        header = sheet[1]
        assert [c.value for c in header] == ["Code", "km", "Centres", "People", "Open", "Note", "Mixed"]
        assert all(c.font.b and c.alignment.wrap_text and c.alignment.vertical == "top" for c in header)
    assert workbook["Empty"].max_row == 1


def test_values_are_python_numbers_and_na_is_empty(workbook):
    rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows == [
        ("CEM", 1.25, 1, 10, True, "short", 7),
        ("DEMUNA", None, None, 20, False, LONG, "text"),
        (None, 3.0, 1200, 30, True, None, None),
    ]
    assert isinstance(rows[0][2], int) and isinstance(rows[0][1], float)


def test_numeric_columns_get_number_formats_even_on_empty_cells(workbook):
    sheet = workbook.worksheets[0]
    assert {sheet.cell(row, 2).number_format for row in (2, 3, 4)} == {"0.0"}
    assert {sheet.cell(row, col).number_format for row in (2, 3, 4) for col in (3, 4)} == {"#,##0"}
    assert {sheet.cell(row, col).number_format for row in (2, 3, 4) for col in (1, 5, 6, 7)} == {"General"}
    assert not sheet["A2"].font.b


def test_widths_fit_the_longest_text_within_limits_and_long_text_wraps(workbook):
    sheet = workbook.worksheets[0]
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFG"}
    # Code: "DEMUNA" + 2 -> the minimum 8; km: "1.25"; Centres: header 7 + 2; Note: 70 -> 60
    assert widths == {"A": 8, "B": 8, "C": 9, "D": 8, "E": 8, "F": 60, "G": 8}
    assert all(sheet.cell(row, 6).alignment.wrap_text for row in (2, 3, 4))
    assert sheet.cell(3, 6).alignment.vertical == "top"
    assert not any(sheet.cell(row, col).alignment.wrap_text for row in (2, 3, 4) for col in (1, 2, 3, 4, 5, 7))


def test_a_long_header_wraps_its_column_too(tmp_path):
    header = "h" * 61
    write_workbook({"S": pd.DataFrame({header: [1.5]})}, tmp_path / "out.xlsx", created=CREATED)
    cell = openpyxl.load_workbook(tmp_path / "out.xlsx")["S"]["A2"]
    assert cell.alignment.wrap_text and cell.number_format == "0.0"


def test_equal_input_gives_equal_bytes_with_the_given_dates(sheets, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    write_workbook(sheets, first, created=CREATED)
    write_workbook({name: frame.copy() for name, frame in sheets.items()}, second, created=CREATED)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = openpyxl.load_workbook(first).properties
    assert properties.created == properties.modified == CREATED and properties.creator == "coverage-map"


def test_rows_formatted_here_are_the_bytes_openpyxl_writes(sheets, tmp_path, monkeypatch):
    """The fast row writer against openpyxl's own, cell by cell, on awkward text and numbers."""
    from coverage_map import workbook

    awkward = pd.DataFrame({
        "Text": ["a&b<c>d", " lead", "trail ", "ñandú 😀", "line\nbreak", "cr\rx", "", None, "#N/A but not an error"],
        "Float": [1.5, np.nan, 1e20, -0.0, 3.0, 1 / 3, 2.5e-7, 7.0, 123456789.123456789],
        "Int": pd.array([1, None, 3, 4, 5, 6, 7, 8, 2**40], dtype="Int64"),
        "Bool": [True, False, True, None, True, False, True, False, True],
        "Object": pd.Series([np.int64(7), "x", 2.5, None, True, "y", 1, np.float64(2), 3], dtype=object),
        "Long": [LONG] * 9,
    })
    cases = {**sheets, "Awkward": awkward, "Formula-like": pd.DataFrame({"a": ["=1+1", "b"]})}
    write_workbook(cases, tmp_path / "fast.xlsx", created=CREATED)
    monkeypatch.setattr(workbook, "_plain", lambda values: False)  # every sheet cell by cell
    write_workbook(cases, tmp_path / "openpyxl.xlsx", created=CREATED)
    assert (tmp_path / "fast.xlsx").read_bytes() == (tmp_path / "openpyxl.xlsx").read_bytes()
    read = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    assert [read["Awkward"][f"A{row}"].value for row in (3, 5, 7)] == [" lead", "ñandú 😀", "cr\rx"]
    assert read["Formula-like"]["A2"].value == "=1+1"  # openpyxl's own rule: a formula


def test_every_sheet_has_an_autofilter_over_its_table(workbook):
    assert [sheet.auto_filter.ref for sheet in workbook.worksheets] == ["A1:G4", "A1:G1"]


def test_every_sheet_prints_landscape_as_wide_as_the_page_with_its_header_on_each_page(workbook):
    """Issue 21: LibreOffice printed the workbook on 75 portrait pages, its columns split."""
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == Worksheet.PAPERSIZE_A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
