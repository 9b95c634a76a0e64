"""Service inventories: the catalogue, the embedded MIMP data and a user's own CSV.

An inventory gives, per service, the count in each district it lists. A service it
lists is taken as complete within its scope: a district of the scope that it does not
list has 0 of it (a known absence, a gap). A service it does not list has no district
data (unknown), which is never a gap.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path

import pandas as pd
from rapidfuzz import process

from .districts import Gazetteer, load_gazetteer, normalize_name
from .errors import InputError
from .tables import as_text, find_columns, read_table, shorten
from .texts import in_languages, listed

log = logging.getLogger(__name__)

#: The embedded inventory lists districts of Lima province (Lima Metropolitana) only.
EMBEDDED_SCOPE = ("1501",)
#: The embedded inventory's file, in the package's data folder.
EMBEDDED_FILE = "district_counts.csv"

_COLUMNS = {
    "ubigeo": ("ubigeo", "codigo ubigeo", "cod ubigeo", "iddist"),
    "district": ("district", "distrito", "nombre distrito", "name", "nombre"),
    "service": ("service", "servicio", "code", "codigo", "codigo servicio"),
    "count": ("count", "cantidad", "n", "nro", "numero", "total"),
}


def read_data_csv(name: str) -> pd.DataFrame:
    """A CSV shipped in the package's data folder, every column as text: a copy of its own,
    which the caller may change."""
    return _data_csv(name).copy()


@cache
def _data_csv(name: str) -> pd.DataFrame:
    with files("coverage_map.data").joinpath(name).open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def _service_key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", normalize_name(text))


@dataclass(frozen=True)
class Catalogue:
    """The services MIMP offers, with their names, programs and target groups."""

    services: pd.DataFrame  # indexed by code

    @cached_property
    def place_based(self) -> list[str]:
        return list(self.services.index[self.services["place_based"]])

    def resolve(self, text: str) -> str | None:
        """The code a service code, acronym or alias stands for, or None."""
        return self._keys.get(_service_key(text))

    def closest(self, text: str, limit: int = 3, *, place_based: bool = False) -> list[str]:
        """The acronyms (as every output writes them: CAR NNA) of the services whose code,
        acronym or alias is nearest text; of the place-based ones only, if asked."""
        keys = [k for k, code in self._keys.items() if not place_based or code in self.place_based]
        found = process.extract(_service_key(text), keys, limit=limit * 3)
        codes = list(dict.fromkeys(self._keys[k] for k, _, _ in found))[:limit]
        return [self.services.at[code, "acronym"] for code in codes]

    def district_typed(self, text: str) -> InputError | None:
        """Where a service is expected, a district typed instead: the error saying so, with the
        services' acronyms ("Chorrillos es un distrito; los servicios son ..."); else None."""
        gazetteer = load_gazetteer()
        ubigeo = gazetteer.lookup(text)
        if ubigeo is None:
            return None
        acronyms = [self.services.at[code, "acronym"] for code in self.place_based]
        return InputError("error_district_not_service", district=gazetteer.name(ubigeo), services=listed(acronyms))

    @cached_property
    def _keys(self) -> dict[str, str]:
        keys = {}
        for code, row in self.services.iterrows():
            for name in [code, row["acronym"], *filter(None, row["aliases"].split("|"))]:
                keys.setdefault(_service_key(name), code)
        return keys

    def label(self, code: str, lang: str) -> str:
        return self.services.at[code, f"name_{lang}"]


def load_catalogue() -> Catalogue:
    services = read_data_csv("services.csv")
    for column in ("place_based", "confidential"):
        services[column] = services[column].str.lower().eq("true")
    return Catalogue(services.set_index("code", drop=False))


@dataclass(frozen=True)
class Origin:
    """Where a service's district counts come from.

    kind is "embedded" (MIMP's summary, transcribed in data/), "inventory" (a user's
    counts) or "facilities" (a user's facility list); path is the file; section is, for
    the embedded data, the source document and its section ("000 I. AURORA 1.5").
    """

    kind: str
    path: str
    section: str = ""
    #: A facility list known by its title: "directory" (MIMP's Directorio Nacional), with
    #: its edition (the year); empty for any other file, named by its file name.
    document: str = ""
    edition: str = ""

    @property
    def embedded(self) -> bool:
        return self.kind == "embedded"


@dataclass(frozen=True)
class Inventory:
    """District counts per service, and where each service's listing is complete."""

    counts: pd.DataFrame  # service, ubigeo, count, written, source
    scope: dict[str, tuple[str, ...]]  # service -> ubigeo prefixes its listing covers
    origin: dict[str, Origin] = field(default_factory=dict)  # service -> where its counts come from

    def merge(self, other: Inventory) -> Inventory:
        """This inventory with the services of other replacing its own."""
        kept = self.counts[~self.counts["service"].isin(other.scope)]
        return Inventory(
            counts=pd.concat([kept, other.counts], ignore_index=True),
            scope={**self.scope, **other.scope},
            origin={**self.origin, **other.origin},
        )

    def within(self, ubigeos: pd.Series) -> Inventory:
        """Only the counts of the districts ubigeos, and the services whose scope reaches them
        (the embedded inventory is Lima Metropolitana's, whatever the area)."""
        counts = self.counts[self.counts["service"].notna() & self.counts["ubigeo"].isin(ubigeos)]
        scope = {s: p for s, p in self.scope.items() if ubigeos.str.startswith(p).any()}
        return Inventory(counts.reset_index(drop=True), scope, {s: o for s, o in self.origin.items() if s in scope})


def load_embedded_inventory(catalogue: Catalogue, gazetteer: Gazetteer) -> Inventory:
    """The district counts transcribed from MIMP's Lima summary (seed 000)."""
    rows = read_data_csv(EMBEDDED_FILE)
    counts = _parse_rows(rows, f"data/{EMBEDDED_FILE}", catalogue, gazetteer, cite=rows["source"])
    services = counts["service"].unique()
    log.debug("Embedded inventory: %d district counts of %d services", len(counts), len(services))
    sections = counts.groupby("service")["source"].first()
    return Inventory(
        counts=counts,
        scope=dict.fromkeys(services, EMBEDDED_SCOPE),
        origin={s: Origin("embedded", f"data/{EMBEDDED_FILE}", sections[s]) for s in services},
    )


def load_declared_totals() -> pd.DataFrame:
    """Totals the source declares per service, whether or not it lists districts; parts
    holds a declared split by kind of site ("regular=25|police=40" for CEM), as parsed by
    declared_parts."""
    totals = read_data_csv("declared_totals.csv")
    totals["declared_total"] = pd.to_numeric(totals["declared_total"]).astype("Int64")
    totals["parts"] = totals["parts"].fillna("")
    return totals.set_index("service", drop=False)


def declared_parts(text: str) -> dict[str, int]:
    """'regular=25|police=40' as {'regular': 25, 'police': 40} ({} for '')."""
    return {kind: int(n) for kind, _, n in (part.partition("=") for part in text.split("|") if part)}


def read_inventory(
    path: Path, *, catalogue: Catalogue, gazetteer: Gazetteer, scope: tuple[str, ...]
) -> Inventory:
    """Read a user's inventory (CSV, Excel or JSON records): ubigeo or district name, service code, count.

    Every problem in the file is reported at once, each with its row and field.
    """
    path = Path(path)
    table = read_table(path, what="inventory", option="--inventory")
    rows = _rename_columns(table.apply(as_text) if len(table.columns) else table, path)
    if rows.empty:
        raise InputError("error_inventory_no_rows", path=path)
    cite = pd.Series([f"{path.name}, row {i + 2}" for i in rows.index], index=rows.index)
    counts = _parse_rows(rows, str(path), catalogue, gazetteer, cite=cite)
    services = counts["service"].unique()
    return Inventory(counts, dict.fromkeys(services, scope), dict.fromkeys(services, Origin("inventory", str(path))))


def _rename_columns(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The columns we use, under our names; other columns are left out."""
    found = find_columns(rows.columns, _COLUMNS)
    names = {"service": "error_column_service", "count": "error_column_count"}
    missing = [in_languages(key) for column, key in names.items() if column not in found]
    if "ubigeo" not in found and "district" not in found:
        missing.append(in_languages("error_column_place"))
    if missing:
        columns = [repr(shorten(c)) for c in rows.columns]
        raise InputError("error_inventory_columns", path=path, missing=listed(missing),
                         found=listed(columns, word=None) if columns else in_languages("none"))
    return pd.DataFrame({ours: rows.iloc[:, list(rows.columns).index(theirs)] for ours, theirs in found.items()})


def _parse_rows(
    rows: pd.DataFrame, where: str, catalogue: Catalogue, gazetteer: Gazetteer, *, cite: pd.Series
) -> pd.DataFrame:
    # each distinct service and place is resolved once: a national file repeats them by the thousand
    services = rows["service"].map({s: catalogue.resolve(s) for s in rows["service"].unique()})
    count = rows["count"].str.strip()
    district = rows["district"] if "district" in rows else pd.Series("", index=rows.index)
    place = rows["ubigeo"].where(rows["ubigeo"] != "", district) if "ubigeo" in rows else district
    ubigeos = place.map({p: gazetteer.lookup(p) for p in place.unique()})
    whole = count.str.fullmatch(r"\d+")
    bad = services.isna() | ~services.isin(catalogue.place_based) | ~whole | ubigeos.isna()
    problems = [problem for i in rows.index[bad] for problem in _row_problems(
        i + 2, rows.at[i, "service"], services[i], count[i], place[i], ubigeos[i], catalogue, gazetteer)]
    counts = pd.DataFrame({
        "service": services, "ubigeo": ubigeos, "count": count, "written": district.where(district != "", place),
        "source": cite, "row": rows.index + 2,
    })
    if not problems:
        repeated = counts[counts.duplicated(["service", "ubigeo"], keep=False)]
        for (service, ubigeo), group in repeated.groupby(["service", "ubigeo"]):
            twice = listed([in_languages("error_item_row", row=r) for r in group["row"]])
            problems.append(in_languages("error_item_count_twice", rows=twice, service=service,
                                         district=gazetteer.name(ubigeo)))
    if problems:
        # a district's explanation ends its own sentence; the list ends with a period either way
        ended = {lang: text if text.endswith(".") else text + "." for lang, text in listed(problems, word=None, sep="; ").items()}
        raise InputError("error_inventory_problem" if len(problems) == 1 else "error_inventory_problems",
                         where=where, n=len(problems), problems=ended)
    counts["count"] = counts["count"].astype("int64")
    return counts.drop(columns="row").reset_index(drop=True)


def _row_problems(row, written, service, count, place, ubigeo, catalogue, gazetteer) -> list:
    """What is wrong with one row of an inventory (its number in the file), field by field, in every language."""
    problems = []
    if service is None or pd.isna(service):
        problems.append(in_languages("error_item_unknown_service", row=row, written=repr(written),
                                     closest=", ".join(catalogue.closest(written))))
    elif service not in catalogue.place_based:
        problems.append(in_languages("error_item_not_place_based", row=row, written=repr(written), service=service))
    if not re.fullmatch(r"\d+", count):
        problems.append(in_languages("error_item_count_not_whole", row=row, count=repr(count)))
    if ubigeo is None or pd.isna(ubigeo):
        problems.append(gazetteer.explain(place, where=in_languages("error_item_row_district", row=row)))
    return problems


def load_usage() -> pd.DataFrame:
    """Usage figures per service for 2022 and January 2023 (service, period, value, units)."""
    usage = read_data_csv("usage.csv")
    usage["value"] = usage["value"].astype("int64")
    return usage


def load_indicators() -> pd.DataFrame:
    """The PNMNNA 2030 national indicators (seed 004); a '-' in the source is NA, not 0."""
    indicators = read_data_csv("indicators.csv")
    for column in ("result_2021", "result_2022", "change_pp"):
        indicators[column] = pd.to_numeric(indicators[column].replace("", None)).astype("Float64")
    return indicators
