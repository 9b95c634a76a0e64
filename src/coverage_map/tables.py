"""Reading users' tables: the encodings and separators Peruvian files come in, and
column names given in Spanish or English.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

from .districts import normalize_name
from .errors import InputError

log = logging.getLogger(__name__)


def read_text(path: Path, *, what: str = "File", option: str = "") -> tuple[str, str]:
    """Decode a text file written as UTF-8 (with or without BOM) or Latin-1/cp1252."""
    if not path.is_file():
        where = f" given to {option}" if option else ""
        msg = f"{what} not found: {path}. Check the path{where}."
        raise InputError(msg)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def read_csv(path: Path, *, what: str, option: str = "") -> pd.DataFrame:
    """Every cell as text, from a CSV separated by commas, semicolons or tabs."""
    text, encoding = read_text(path, what=what, option=option)
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"Cannot read {what.lower()} {path} as CSV: {exc}. Save it as CSV (comma or semicolon)."
        raise InputError(msg) from exc
    log.info("Read %d rows from %s (%s, separator %r)", len(table), path, encoding, sep)
    return table


def find_columns(columns, aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Our column name -> the table's, matching names regardless of case, accents and punctuation."""
    found = {normalize_name(str(c)).lower(): c for c in columns}
    matches = {}
    for column, names in aliases.items():
        original = next((found[n] for n in names if n in found), None)
        if original is not None:
            matches[column] = original
    return matches
