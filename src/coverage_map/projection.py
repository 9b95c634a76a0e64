"""Target people for a year after the census: INEI's projected district totals, by the census structure.

INEI projects each district's total population for 30 June of every year (Cuadro Nº 01,
2018-2025) but not by sex or age. The people of a year are that total spread over the
district's 2017 census groups by sex and 5-year age group, in whole people that add up
exactly to the total (largest remainder); the target groups then follow as for the census
(population.population_from_groups). A district created after the census takes the
structure of the districts it was created from (the table's footnotes name them), else of
its province; a district in neither table has no people ("sin datos"), with a finding.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .formatting import listing
from .population import population_from_groups
from .texts import LANGUAGES, messages

log = logging.getLogger(__name__)

#: The year of the census whose structure by sex and age every projected year takes.
CENSUS_YEAR = 2017
#: Columns of the embedded projection extract besides one per year (2018 ... 2025).
EXTRACT_COLUMNS = ["ubigeo", "district", "created_from", "source"]
#: The sexes of a census group, as its columns.
SEXES = ("men", "women")

_UBIGEO = re.compile(r"^\d{6}$")
_MARKS = re.compile(r"(\d+)/")
_FOOTNOTE = re.compile(r"^(\d+)/\s+(.*)$", re.DOTALL)
#: "... se creo el distrito de Huipoca, proveniente de Padre Abad de la provincia ...": the
#: districts a new one comes from are named between "proveniente" and its province.
_ORIGIN = re.compile(r"proveniente(.*?)(?:,?\s+de\s+la\s+provincia|$)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Projection:
    """INEI's projected population per district and year, and where each new district came from.

    totals: one row per ubigeo, one column per year (int), NaN for a year before the district
    existed; names: its name as INEI writes it; created_from: for a district created after the
    census, the ubigeos of the districts its footnote names.
    """

    totals: pd.DataFrame
    names: pd.Series
    created_from: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.totals.columns]


def read_projection(path: Path) -> Projection:
    """INEI's Cuadro Nº 01 (.xlsx) or the extract of it that the package ships (.csv)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_projection_extract(path)
    return read_projection_workbook(path)


def read_projection_workbook(path: Path) -> Projection:
    """Parse INEI's Cuadro Nº 01: ubigeo in column A, name (with footnote marks such as
    'HUIPOCA 6/') in B, one column per year from the header row that holds the years, then
    the footnotes ('6/ Según Ley ... proveniente de Padre Abad de la provincia ...')."""
    sheet = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    codes = sheet.iloc[:, 0].map(lambda v: str(v).strip() if pd.notna(v) else "")
    year_row = next((i for i, row in sheet.iterrows() if _years(row)), None)
    if year_row is None:
        raise InputError("error_projection_layout", file=Path(path).name)
    years = _years(sheet.iloc[year_row])
    places = codes.str.match(_UBIGEO)
    districts = places & ~codes.str.endswith("00")
    written = sheet.iloc[:, 1].astype(str)
    names = written[places].str.replace(r"(\s*\d+/)+\s*$", "", regex=True).str.strip().set_axis(codes[places])
    totals = pd.DataFrame({year: pd.to_numeric(sheet.loc[districts, column], errors="coerce")
                           for column, year in years.items()}).astype(float)
    totals.index = pd.Index(codes[districts], name="ubigeo")
    notes = {m[1]: m[2] for text in codes[~places] if (m := _FOOTNOTE.match(text))}
    marks = {u: _MARKS.findall(w) for u, w in zip(totals.index, written[districts])}
    created = totals.index[totals.isna().any(axis=1)]
    created_from = {u: _origins(u, marks, names, notes) for u in created}
    log.debug("Read INEI's projection of %d districts for %s-%s from %s", len(totals), min(years.values()),
              max(years.values()), Path(path).name)
    return Projection(totals, names.rename("district"), {u: p for u, p in created_from.items() if p})


def _years(row: pd.Series) -> dict[int, int]:
    """The columns of a header row that hold years (column -> year), or {} for another row."""
    found = {i: int(v) for i, v in enumerate(row) if isinstance(v, (int, float)) and not pd.isna(v) and 1990 < v < 2100}
    return found if len(found) >= 2 else {}


def _origins(ubigeo: str, marks: dict[str, list[str]], names: pd.Series, notes: dict[str, str]) -> tuple[str, ...]:
    """The districts a new one was created from: those that share its footnote mark and are named
    in the footnote as where it comes from; else every district that shares the mark."""
    found: list[str] = []
    for mark in marks[ubigeo]:
        sharing = [u for u, m in marks.items() if mark in m and u != ubigeo]
        clause = _ORIGIN.search(notes.get(mark, ""))
        named = [u for u in sharing if clause and re.search(rf"\b{re.escape(_plain(names[u]))}\b", _plain(clause[1]))]
        found += named or sharing
    return tuple(dict.fromkeys(found))


def _plain(text: str) -> str:
    """Upper case without accents, for matching INEI's names against its own footnotes."""
    text = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).upper().split())


def read_projection_extract(path: Path) -> Projection:
    """The embedded extract (scripts/make_projection_extract.py): ubigeo, district, one column
    per year (empty before the district existed), created_from (ubigeos joined by '|'), source."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("ubigeo")
    years = [c for c in table.columns if c.isdigit()]
    totals = table[years].apply(pd.to_numeric, errors="coerce").set_axis([int(y) for y in years], axis=1)
    created_from = {u: tuple(p.split("|")) for u, p in table["created_from"].items() if p}
    return Projection(totals.astype(float), table["district"], created_from)


def largest_remainder(quotas: pd.Series, by: pd.Series) -> pd.Series:
    """Whole numbers from quotas that add up, within each group of by, to the rounded sum of its
    quotas: each gets its floor, and the units left go to the largest remainders (ties: first)."""
    floor = np.floor(quotas)
    remainder = quotas - floor
    left = (quotas.groupby(by).transform("sum").round() - floor.groupby(by).transform("sum")).round()
    order = remainder.groupby(by).rank(method="first", ascending=False)
    return (floor + (order <= left)).astype(int)


def project_groups(groups: pd.DataFrame, totals: pd.Series) -> pd.DataFrame:
    """groups (population.GROUP_COLUMNS) of each district of totals, scaled to its total: men and
    women of each age group in whole people that add up exactly to the total. A district whose
    groups hold no one cannot be scaled and is left out."""
    groups = groups[groups["ubigeo"].isin(totals.index)]
    long = groups.melt(id_vars=["ubigeo", "district", "age_from", "age_to"], value_vars=list(SEXES),
                       var_name="sex", value_name="people")
    counted = long.groupby("ubigeo")["people"].transform("sum")
    long = long[counted > 0].copy()
    long["people"] = largest_remainder(long["people"] / counted * long["ubigeo"].map(totals), long["ubigeo"])
    wide = long.pivot_table(index=["ubigeo", "district", "age_from"], columns="sex", values="people", sort=False,
                            aggfunc="sum").reset_index()
    wide = wide.merge(groups[["ubigeo", "age_from", "age_to"]], on=["ubigeo", "age_from"])
    wide["total"] = wide["men"] + wide["women"]
    return wide[groups.columns].astype({"men": float, "women": float, "total": float})


@dataclass(frozen=True)
class Structure:
    """The census groups of the districts asked for, and how each district without its own got them."""

    groups: pd.DataFrame
    #: district -> the districts (or the province, as its 4-digit prefix) whose structure it took
    borrowed: dict[str, tuple[str, ...]]
    #: districts of neither the census nor the projection's footnotes: no people
    missing: tuple[str, ...]


def structure_for(groups: pd.DataFrame, ubigeos: list[str], created_from: dict[str, tuple[str, ...]]) -> Structure:
    """The census groups of ubigeos: a district the census lacks takes those of the districts it
    was created from (summed), else of its province, else it is missing."""
    counted = set(groups["ubigeo"])
    parts, borrowed, missing = [groups[groups["ubigeo"].isin(ubigeos)]], {}, []
    for ubigeo in (u for u in ubigeos if u not in counted):
        parents = tuple(p for p in created_from.get(ubigeo, ()) if p in counted)
        donors = groups[groups["ubigeo"].isin(parents)] if parents else groups[groups["ubigeo"].str[:4] == ubigeo[:4]]
        if donors.empty:
            missing.append(ubigeo)
            continue
        summed = donors.groupby(["age_from"], sort=True).agg({"age_to": "first", "men": "sum", "women": "sum",
                                                               "total": "sum"}).reset_index()
        parts.append(summed.assign(ubigeo=ubigeo, district="")[groups.columns])
        borrowed[ubigeo] = parents or (ubigeo[:4],)
    return Structure(pd.concat(parts, ignore_index=True), borrowed, tuple(missing))


@dataclass(frozen=True)
class People:
    """The population (population.COLUMNS) of a set of districts in a year and in the census year,
    and the districts that took another's structure or have no people."""

    table: pd.DataFrame
    census: pd.DataFrame
    year: int
    borrowed: dict[str, tuple[str, ...]]
    missing: tuple[str, ...]


def people_of(groups: pd.DataFrame, ubigeos: list[str], *, year: int, projection: Projection | None) -> People:
    """The population of ubigeos in year: the census's own (CENSUS_YEAR), else INEI's projected
    totals by the census structure. A district without figures is NaN, and named as missing."""
    census = population_from_groups(groups[groups["ubigeo"].isin(ubigeos)]).reindex(ubigeos)
    borrowed: dict[str, tuple[str, ...]] = {}
    table = census
    if year != CENSUS_YEAR:
        structure = structure_for(groups, ubigeos, projection.created_from)
        totals = projection.totals[year].reindex(ubigeos).dropna()
        table = population_from_groups(project_groups(structure.groups, totals)).reindex(ubigeos)
        borrowed = {u: p for u, p in structure.borrowed.items() if u in totals.index}
    missing = tuple(table.index[table["total"].isna()])
    return People(table.rename_axis("ubigeo"), census.rename_axis("ubigeo"), year, borrowed, missing)


def population_findings(people: People, names: dict[str, str], projection: Projection | None, where: str) -> list[dict]:
    """The source checks (checks.COLUMNS) of a district whose people took another's structure,
    and of a district without people; names: the area's district names by ubigeo."""
    def place(code: str) -> str:
        if len(code) == 4:  # a province: its districts' structure
            return projection.names.get(f"{code}00", code).title() if projection is not None else code
        return names.get(code) or (projection.names.get(code, code).title() if projection is not None else code)

    findings = []
    for ubigeo, parents in people.borrowed.items():
        kind = "population_province" if len(parents[0]) == 4 else "population_borrowed"
        findings.append({"check": kind, "service": "", "where": where, "source": where, "expected": ubigeo,
                         "found": "|".join(parents),
                         **messages(f"check_{kind}", district=place(ubigeo), ubigeo=ubigeo, census=CENSUS_YEAR,
                                    year=people.year,
                                    parents={lang: listing([place(p) for p in parents], lang) for lang in LANGUAGES})})
    for ubigeo in people.missing:
        findings.append({"check": "population_missing", "service": "", "where": where, "source": where,
                         "expected": ubigeo, "found": "",
                         **messages("check_population_missing", district=place(ubigeo), ubigeo=ubigeo,
                                    census=CENSUS_YEAR, year=people.year)})
    return findings
