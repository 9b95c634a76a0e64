"""Reading users' tables: CSV (the encodings and separators Peruvian files come in),
Excel workbooks and JSON records, with column names given in Spanish or English.

A file that cannot be read ends in one InputError naming the file, what is wrong with
it and how to save it so that it reads.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .districts import normalize_name
from .errors import InputError
from .texts import in_languages, listed

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: The first bytes of an .xlsx/.ods (a zip) and of an old .xls (OLE2), whatever the file is named.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"


#: The kinds of users' files, as messages name them: the catalogue key of each one's noun.
FILE_NOUNS = {
    "facilities": "error_file_facilities",
    "inventory": "error_file_inventory",
    "population": "error_file_population",
    "boundary": "error_file_boundary",
    "candidates": "error_file_candidates",
    "roads": "error_roads_file",
    "speeds": "error_roads_speeds_file",
}


def file_named(what: str) -> dict[str, dict[str, str]]:
    """The values {what} and {What} (sentence-initial) of a message about a file of the kind
    what: a key of FILE_NOUNS ('facilities', 'inventory', 'population', 'boundary', ...)."""
    noun = in_languages(FILE_NOUNS[what])
    return {"what": noun, "What": {lang: text[:1].upper() + text[1:] for lang, text in noun.items()}}


def _require_file(path: Path, what: str, option: str) -> None:
    if not path.exists():
        raise InputError("error_file_not_found", path=path, option=option, **file_named(what))
    if not path.is_file():
        raise InputError("error_file_is_folder", path=path, option=option, **file_named(what))


def _one_line(exc: BaseException) -> str:
    """A library's error message on one line, without a trailing period."""
    return " ".join(str(exc).split()).rstrip(".") or type(exc).__name__


def read_text(path: Path, *, what: str, option: str) -> tuple[str, str]:
    """Decode a text file written as UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1/cp1252."""
    _require_file(path, what, option)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("error_file_empty", path=path, **file_named(what))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" as Excel saves it
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def _refuse_binary(text: str, path: Path, what: str) -> None:
    """A text that holds NUL bytes is not a CSV: a workbook or a compressed file renamed."""
    if "\x00" in text:
        raise InputError("error_file_binary", path=path, **file_named(what))


def read_csv(path: Path, *, what: str, option: str = "") -> pd.DataFrame:
    """Every cell as text, from a CSV separated by commas, semicolons or tabs.

    Rows keep the number a spreadsheet gives them (the header is row 1, index 0 is row 2):
    blank lines are dropped without renumbering what follows.
    """
    text, encoding = read_text(path, what=what, option=option)
    _refuse_binary(text, path, what)
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    _refuse_long_rows(text, sep, path, what)
    try:
        with warnings.catch_warnings():  # rows with empty fields past the header's: nothing is lost
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                skip_blank_lines=False, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        raise _unreadable_csv(exc, path, what) from exc
    _refuse_bad_header(table, path, what)
    table = table[(table != "").any(axis=1)]  # blank lines, keeping the rows' numbers
    log.debug("Read %d rows from %s (%s, separator %r)", len(table), path, encoding, sep)
    return table


def _refuse_long_rows(text: str, sep: str, path: Path, what: str) -> None:
    """Rows with more values than the header has names: pandas would take the first as an
    index or drop the last. Usually a separator inside a value that is not quoted."""
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        header = next(reader, [])
        long = [(reader.line_num, len(row)) for row in reader if len(row) > len(header) and any(row[len(header):])]
    except csv.Error as exc:
        raise _unreadable_csv(exc, path, what) from exc
    if long:
        rows = listed([in_languages("error_item_row_values", row=line, n=n) for line, n in long], word=None, limit=5)
        raise InputError("error_csv_long_row" if len(long) == 1 else "error_csv_long_rows", path=path, rows=rows,
                         names=len(header), sep=repr(sep), **file_named(what))


def _unreadable_csv(exc: Exception, path: Path, what: str) -> InputError:
    """A CSV the parser refuses, with the parser's own words."""
    return InputError("error_csv_unreadable", path=path, detail=_one_line(exc), **file_named(what))


def read_excel(path: Path, *, what: str, option: str = "") -> pd.DataFrame:
    """The first sheet of a workbook; row 1 is the header. Cells keep their types."""
    _require_file(path, what, option)
    try:
        table = pd.read_excel(path, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises its own types, and ValueError/OSError for damaged files
        raise InputError("error_excel_unreadable", path=path, detail=_one_line(exc), **file_named(what)) from exc
    table.columns = _unique(["" if str(c).startswith("Unnamed: ") else str(c) for c in table.columns])
    _refuse_bad_header(table, path, what)
    table = table.dropna(how="all")
    log.debug("Read %d rows from %s (Excel)", len(table), path)
    return table


def read_json_records(path: Path, *, what: str, option: str = "") -> pd.DataFrame:
    """A JSON list of records (objects), or an object holding such a list (e.g. {"servicios": [...]})."""
    text, _ = read_text(path, what=what, option=option)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1
        raise InputError("error_json_cut_short" if cut else "error_json_invalid", path=path, detail=exc.msg,
                         line=exc.lineno, column=exc.colno, **file_named(what)) from exc
    except RecursionError as exc:
        raise InputError("error_json_too_deep", path=path, **file_named(what)) from exc
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        raise InputError("error_json_not_records", path=path, **file_named(what))
    bad = [i for i, record in enumerate(data) if not isinstance(record, dict)]
    if bad:
        records = listed([in_languages("error_item_record", record=i + 1) for i in bad], word=None, limit=5)
        raise InputError("error_json_not_object" if len(bad) == 1 else "error_json_not_objects", path=path, records=records, **file_named(what))
    table = pd.DataFrame.from_records(data)
    table.columns = _unique([str(c) for c in table.columns])
    log.debug("Read %d records from %s (JSON)", len(table), path)
    return table


def read_table(path: Path, *, what: str, option: str = "") -> pd.DataFrame:
    """Rows of a users' table: CSV, Excel (.xlsx, .xls, .ods) or JSON records.

    Decided by the file's first bytes where they tell (a workbook saved with a .csv name
    still reads), else by its suffix. CSV cells are text; Excel and JSON cells keep their types.
    """
    _require_file(path, what, option)
    with open(path, "rb") as f:
        head = f.read(8)
    suffix = path.suffix.lower()
    if head.startswith((_ZIP_MAGIC, _OLE2_MAGIC)) or suffix in EXCEL_SUFFIXES:
        return read_excel(path, what=what, option=option)
    if suffix == ".json":
        return read_json_records(path, what=what, option=option)
    return read_csv(path, what=what, option=option)


def _refuse_bad_header(table: pd.DataFrame, path: Path, what: str) -> None:
    """A table must have at least one named column to be read."""
    if table.shape[1] == 0:
        raise InputError("error_table_no_columns", path=path, **file_named(what))


def _unique(names: list[str]) -> list[str]:
    """Column names made unique as pandas does for CSV: a repeated 'x' becomes 'x.1'."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        new = name
        while new in seen:
            seen[name] += 1
            new = f"{name}.{seen[name]}"
        seen[new] = 0
        unique.append(new)
    return unique


def shorten(value: object, width: int = 40) -> str:
    """A value of a user's file for a one-line message: at most width characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


#: Control characters: a workbook cannot hold them and a page would not show them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def as_text(values: pd.Series) -> pd.Series:
    """Cells as text the way a person wrote them: 2.0 read from Excel is '2', empty is ''."""

    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return without_controls(str(value)).strip()

    return values.map(text)


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def parse_decimal(value: object) -> float | None:
    """A number written with a decimal point or a decimal comma (-12,0464 as a Spanish-locale
    spreadsheet writes it); NaN for an empty cell, None for text that is not a number."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            return None
        return number if math.isfinite(number) else None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return np.nan
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", "."))


def find_columns(columns, aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Our column name -> the table's, matching names regardless of case, accents and punctuation."""
    found = {}
    for c in columns:
        found.setdefault(normalize_name(str(c)).lower(), c)  # the first of duplicated names wins
    matches = {}
    for column, names in aliases.items():
        original = next((found[n] for n in names if n in found), None)
        if original is not None:
            matches[column] = original
    return matches
