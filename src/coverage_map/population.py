"""Population per district: INEI REDATAM crosstab exports (Excel) or a plain CSV.

Both give one row per ubigeo with the populations the catalogue's target groups need:
total, men, women, 0-14, 15-19, 60 and over, 0-17 and 18 and over. The census has 5-year
age groups only, so 0-17 is estimated as 0-14 plus 3/5 of 15-19 (the usual interpolation).
The default population is an extract of the census for Lima and Callao shipped with the
package (data/census_2017_lima_callao.csv, made by scripts/make_census_extract.py).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .districts import normalize_ubigeo
from .errors import MESSAGE_ITEMS, InputError
from .formatting import number
from .tables import file_named, find_columns, read_csv, shorten
from .texts import LANGUAGES, in_languages, listed

log = logging.getLogger(__name__)

COLUMNS = ["total", "men", "women", "age_0_14", "age_15_19", "age_60_plus", "age_0_17", "age_18_plus",
           "women_18_plus", "men_18_plus"]
#: A census age group of a district: 5-year groups, the last one open (age_to empty).
GROUP_COLUMNS = ["ubigeo", "district", "age_from", "age_to", "men", "women", "total"]
#: More people than any district can hold: Peru counted 29.4 million in the 2017 census and its
#: largest district (San Juan de Lurigancho) about 1.1 million. A count above it is a typo or a
#: damaged cell, and would overflow the whole-number columns the measures are kept in.
MAX_DISTRICT_POPULATION = 100_000_000
#: Share of the 15-19 group taken as under 18 (ages 15, 16 and 17: 3 of its 5 years).
SHARE_15_19_UNDER_18 = 0.6

#: The population each target group of the catalogue is measured against.
TARGET_POPULATION = {
    "women": "women",
    "adult_women": "women_18_plus",
    "older_adults": "age_60_plus",
    "children": "age_0_17",
    "aggressors": "men_18_plus",
    "disability": "total",  # the census table has no disability count
    "all": "total",
}

#: Where a population table lacks a group's own column, the nearest it has (else the total).
NEAREST_COLUMN = {"women_18_plus": "women", "men_18_plus": "men"}

_AREA = re.compile(r"^AREA\s*#\s*(\d{5,6})\s*$")
_AGES = re.compile(r"^de\s+(\d+)\s+a\s+(?:(\d+)\s+años|m[aá]s)$", re.IGNORECASE)

_CSV_COLUMNS = {
    "ubigeo": ("ubigeo", "iddist", "codigo"),
    "total": ("total", "population", "poblacion", "pob total", "poblacion total"),
    "men": ("men", "hombres", "hombre", "varones"),
    "women": ("women", "mujeres", "mujer"),
    "age_0_14": ("age 0 14", "0 14", "pob 0 14"),
    "age_15_19": ("age 15 19", "15 19", "pob 15 19"),
    "age_60_plus": ("age 60 plus", "60 mas", "60", "pob 60 mas", "adultos mayores"),
    "age_0_17": ("age 0 17", "0 17", "pob 0 17", "ninos", "nna"),
}


def _number(value: object) -> float:
    """A REDATAM cell: an int, a float, text with spaces as thousands separator, or '-' (0)."""
    if isinstance(value, (int, float)) and not pd.isna(value):
        return float(value)
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if text in ("-", ""):
        return 0.0
    return float(text.replace(",", ""))


def read_redatam_groups(path: Path) -> pd.DataFrame:
    """Parse a REDATAM crosstab of 5-year age groups by sex, one block per district.

    Each block is headed 'AREA # <ubigeo>' in column B (the place's name in column C); its
    rows give the age group in column B and men, women and total in C, D and E; a 'Total'
    row closes it. Returns one row per district and age group present in the file:
    ubigeo, district, age_from, age_to (empty for the open group), men, women, total.
    """
    try:
        sheet = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    except Exception as exc:  # calamine raises its own types for damaged or cut files
        detail = " ".join(str(exc).split()).rstrip(".")
        raise InputError("error_population_workbook_unreadable", path=path, detail=detail) from exc
    if sheet.shape[1] < 5:
        raise InputError("error_population_layout_columns", path=path)
    labels = [str(v).strip() if pd.notna(v) else "" for v in sheet.iloc[:, 1]]
    places = [str(v).strip() if pd.notna(v) else "" for v in sheet.iloc[:, 2]]
    values = sheet.iloc[:, 2:5].to_numpy()
    rows: list[tuple] = []
    block: list[tuple] | None = None
    ubigeo = district = ""
    for row, label in enumerate(labels, start=1):
        if area := _AREA.match(label):
            ubigeo, district = area.group(1).zfill(6), places[row - 1].rpartition("distrito:")[2].strip()
            block = []
            continue
        if block is None:
            continue
        if ages := _AGES.match(label):
            men, women, total = _numbers(values[row - 1], path, row)
            high = int(ages.group(2)) if ages.group(2) else None
            block.append((ubigeo, district, int(ages.group(1)), high, men, women, total))
        elif label.lower() == "total":
            men, women, total = _numbers(values[row - 1], path, row)
            if abs(men + women - total) > 0.5 or abs(sum(r[-1] for r in block) - total) > 0.5:
                raise InputError("error_population_total_mismatch", path=path, row=row, ubigeo=ubigeo,
                                 total=f"{total:.0f}")
            rows += block
            block = None
    if not rows:
        raise InputError("error_population_layout_blocks", path=path)
    groups = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    groups["age_to"] = groups["age_to"].astype("Int64")
    return groups


def population_from_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """The target-group populations per ubigeo (COLUMNS) from men, women and total by age group.

    The census has 5-year groups only: 0-17 is 0-14 plus 3/5 of 15-19 and 18 and over is
    2/5 of 15-19 plus every group from 20 (ages spread evenly within the group); women and
    men 18 and over likewise, from the groups by sex.
    """
    by = groups.groupby("ubigeo", sort=False)
    low = groups["age_from"]
    part = {
        "age_0_14": groups["total"].where(low < 15, 0.0),
        "age_15_19": groups["total"].where(low == 15, 0.0),
        "age_20_plus": groups["total"].where(low >= 20, 0.0),
        "age_60_plus": groups["total"].where(low >= 60, 0.0),
    }
    for sex in ("women", "men"):
        part[f"{sex}_15_19"] = groups[sex].where(low == 15, 0.0)
        part[f"{sex}_20_plus"] = groups[sex].where(low >= 20, 0.0)
    frame = pd.DataFrame(
        {
            "total": by["total"].sum(),
            "men": by["men"].sum(),
            "women": by["women"].sum(),
            **{name: values.groupby(groups["ubigeo"], sort=False).sum() for name, values in part.items()},
        }
    ).astype(float)
    frame["age_0_17"] = frame["age_0_14"] + SHARE_15_19_UNDER_18 * frame["age_15_19"]
    for prefix in ("age", "women", "men"):
        frame[f"{prefix}_18_plus"] = frame[f"{prefix}_20_plus"] + (1 - SHARE_15_19_UNDER_18) * frame[f"{prefix}_15_19"]
    return frame.rename_axis("ubigeo")[COLUMNS]


def read_redatam(path: Path) -> pd.DataFrame:
    """Population per ubigeo (COLUMNS) from a REDATAM crosstab of age groups by sex."""
    frame = population_from_groups(read_redatam_groups(path))
    log.debug("Read the population of %d districts from %s (REDATAM)", len(frame), path)
    return frame


def is_census_extract(path: Path) -> bool:
    """Whether path is a census extract written by scripts/make_census_extract.py."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = next((line for line in f if not line.startswith("#")), "")
    return header.strip().split(",") == GROUP_COLUMNS


def read_census_extract(path: Path) -> pd.DataFrame:
    """Population per ubigeo (COLUMNS) from a census extract (one row per district and age group).

    The frame's attrs say which areas the extract covers (its ubigeo prefixes), so that a
    run elsewhere can name the source that covers it.
    """
    frame = population_from_groups(read_census_groups(path))
    frame.attrs["extract_prefixes"] = sorted({u[:4] for u in frame.index})
    log.debug("Read the population of %d districts from %s (census extract)", len(frame), path.name)
    return frame


def _numbers(cells, path: Path, row: int) -> tuple[float, float, float]:
    """Men, women and total of a REDATAM row; a cell that is not a count names its row."""
    try:
        numbers = tuple(_number(v) for v in cells)
    except ValueError:
        numbers = ()
    if len(numbers) != 3 or not all(np.isfinite(n) and n >= 0 for n in numbers):
        written = ", ".join(repr(v) for v in cells)
        raise InputError("error_population_cells_not_counts", path=path, row=row, cells=written)
    if max(numbers) > MAX_DISTRICT_POPULATION:
        raise InputError("error_population_cells_too_large", path=path, row=row,
                         cells=", ".join(repr(v) for v in cells), limit=_limit())
    return numbers


def _limit() -> dict[str, str]:
    """MAX_DISTRICT_POPULATION as each language writes it."""
    return {lang: number(MAX_DISTRICT_POPULATION, lang) for lang in LANGUAGES}


def read_population_csv(path: Path) -> pd.DataFrame:
    """A CSV with a ubigeo column and one or more population columns (at least the total)."""
    table = read_csv(path, what="population", option="--population")
    found = find_columns(table.columns, _CSV_COLUMNS)
    if "ubigeo" not in found or "total" not in found:
        raise InputError("error_population_columns", path=path,
                         found=listed([shorten(c) for c in table.columns], word=None, limit=12))
    if table.empty:
        raise InputError("error_population_no_rows", path=path)
    table = table[list(found.values())].set_axis(list(found), axis=1)
    problems = []  # (row, message by language), reported together in row order
    codes = table["ubigeo"].map(normalize_ubigeo)
    rows = table.index + 2  # as a spreadsheet numbers them: blank lines were dropped, not renumbered
    for i in np.flatnonzero(codes.isna()):
        problems.append((rows[i], in_languages("error_item_population_code", row=rows[i],
                                               ubigeo=repr(table["ubigeo"].iloc[i]))))
    for i in np.flatnonzero(codes.duplicated(keep="first") & codes.notna()):
        first = rows[np.flatnonzero(codes == codes.iloc[i])[0]]
        problems.append((rows[i], in_languages("error_item_population_again", row=rows[i], ubigeo=codes.iloc[i],
                                               first=first)))
    numbers = table.drop(columns="ubigeo").apply(lambda c: pd.to_numeric(c.str.replace(" ", ""), errors="coerce"))
    for column in numbers:
        values = numbers[column]
        for i in np.flatnonzero(values.isna() | (values < 0) | ~np.isfinite(values.fillna(0))
                                | (values > MAX_DISTRICT_POPULATION)):
            written = table[column].iloc[i]
            key = "error_item_population_not_a_count"
            if "," in written:
                key = "error_item_population_comma"
            elif values.iloc[i] > MAX_DISTRICT_POPULATION and np.isfinite(values.iloc[i]):
                key = "error_item_population_too_large"
            problems.append((rows[i], in_languages(key, row=rows[i], column=found[column], value=repr(written),
                                                   limit=_limit())))
    if problems:
        problems.sort(key=lambda p: p[0])
        shown = listed([problem for _, problem in problems[:10]], word=None, sep="; ")
        if len(problems) > 10:
            raise InputError("error_population_problems_more", path=path, problems=shown, n=len(problems) - 10)
        raise InputError("error_population_problems", path=path, problems=shown)
    frame = numbers.set_index(codes.rename("ubigeo"))
    if "age_0_17" not in frame and {"age_0_14", "age_15_19"} <= set(frame):
        frame["age_0_17"] = frame["age_0_14"] + SHARE_15_19_UNDER_18 * frame["age_15_19"]
    return frame.reindex(columns=COLUMNS)


def read_population(path: Path) -> pd.DataFrame:
    """Population per ubigeo from a REDATAM workbook (.xlsx, .xls) or a CSV."""
    path = Path(path)
    if not path.is_file():
        raise InputError("error_file_not_found", path=path, option="--population", **file_named("population"))
    if path.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods"):
        return read_redatam(path)
    if is_census_extract(path):
        return read_census_extract(path)
    return read_population_csv(path)


def target_column(population: pd.DataFrame, target_group: str) -> str:
    """The column a target group is measured against: its own, else the nearest the
    population table has (women for women 18 and over), else the total."""
    column = TARGET_POPULATION.get(target_group, "total")
    for candidate in (column, NEAREST_COLUMN.get(column)):
        if candidate in population and not population[candidate].isna().all():
            return candidate
    return "total"


def target_population(population: pd.DataFrame, target_group: str) -> pd.Series:
    """The population of a target group per ubigeo (see target_column)."""
    return population[target_column(population, target_group)]


def targets_for(
    population: pd.DataFrame, districts: pd.DataFrame, services: pd.DataFrame, *, where: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Target population per district (rows, ubigeo) and place-based service (columns), and
    the population column each service is measured against.

    Every district of the area must be in the population table; the missing are named.
    """
    missing = districts.loc[~districts["ubigeo"].isin(population.index)]
    if len(missing):
        names = listed([f"{n} ({u})" for u, n in zip(missing["ubigeo"], missing["name"])], limit=MESSAGE_ITEMS)
        if "extract_prefixes" in population.attrs:  # the embedded default covers Lima and Callao only
            raise InputError("error_population_extract_lacks", file=Path(where).name, n=len(missing), districts=names,
                             prefixes=", ".join(population.attrs["extract_prefixes"]))
        raise InputError("error_population_lacks", path=where, n=len(missing), districts=names)
    rows = population.loc[districts["ubigeo"]]
    columns = {code: target_column(rows, group) for code, group in services["target_group"].items()}
    return pd.DataFrame({code: rows[column] for code, column in columns.items()}), columns


def read_census_groups(path: Path) -> pd.DataFrame:
    """The census groups (GROUP_COLUMNS) of a REDATAM workbook or of a census extract."""
    if Path(path).suffix.lower() == ".csv":
        return pd.read_csv(path, comment="#", dtype={"ubigeo": str, "district": str}, encoding="utf-8")
    return read_redatam_groups(path)


def read_groups_cached(path: Path, sidecar: Path) -> pd.DataFrame:
    """read_census_groups, keeping the parsed groups in sidecar (a CSV) for the next run.

    Only for files pinned by sha256 (the registered sources): the sidecar's name carries
    the hash, so a different file never reuses it.
    """
    if sidecar.is_file():
        kept = pd.read_csv(sidecar, dtype={"ubigeo": str, "district": str})
        if list(kept.columns) == GROUP_COLUMNS:  # one kept by an older version is parsed again
            log.debug("Read the census groups of %s from the cache (%s)", path.name, sidecar.name)
            return kept
    groups = read_census_groups(path)
    partial = sidecar.with_suffix(".part")
    groups.to_csv(partial, index=False)
    partial.replace(sidecar)
    return groups
