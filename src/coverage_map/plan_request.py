"""What a plan is asked: the service, how many new sites, the objective and the candidates.

check_request() turns `coverage-map plan SERVICE --add N` (or `build --plan SERVICE:N`) into a
Request, or refuses it with one InputError in the run's language: an unknown service, one
without sites or data, a metropolitan one without --force, no candidate left, N out of
range. The candidates are the districts of the area without the service, or a file or frame
of ubigeos, district names or points (read_candidates). The catchment and scale are the run's
(analysis.scales), in its unit (analysis.unit: straight-line km, or minutes along the streets
with --roads): a municipal service is planned district by district (0 km) in straight lines;
on the streets, within its catchment in minutes (a district's people are not at 0 from a
site in it there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .coverage import GAP, PRESENT, UNKNOWN
from .districts import normalize_name, normalize_ubigeo
from .errors import InputError
from .formatting import listing
from .costs import KM
from .model import Analysis
from .scales import METROPOLITAN, MUNICIPAL, OPTION
from .tables import find_columns, read_csv
from .texts import LANGUAGES, texts

OBJECTIVES = ("coverage", "distance")

_CANDIDATE_COLUMNS = {
    "ubigeo": ("ubigeo", "iddist", "cod ubigeo", "codigo ubigeo"),
    "district": ("district", "distrito", "nombre distrito"),
    "name": ("nombre", "name", "sitio", "site", "local"),
    "lat": ("lat", "latitud", "latitude", "coord y", "y"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "coord x", "x"),
}


@dataclass(frozen=True)
class Request:
    """A plan that can be answered: the service's rows, sites and candidates, checked."""

    code: str
    add: int
    objective: str
    scale: str  # municipal, network or metropolitan: the run's (analysis.scales)
    force: bool
    catchment: float  # what the plan covers within, in unit (0: each district by its own site)
    access_catchment: float  # what E2SFCA access is measured within: the run's, as elsewhere
    rows: pd.DataFrame  # the service's coverage rows, indexed by ubigeo
    existing: pd.DataFrame  # its sites: ubigeo, lat, lon (NaN: at the district's point)
    candidates: pd.DataFrame  # ubigeo, district, name, lat, lon; sorted by ubigeo, name, point
    left_out: tuple[str, ...] = ()  # candidate districts without geometry, named in the notes
    unit: str = KM  # of the catchments and costs: the run's (km, or min along the streets)


def check_request(analysis: Analysis, service: str, *, add: int, objective: str = "coverage",
                  candidates: str | Path | pd.DataFrame | None = None, catchment: float | None = None,
                  force: bool = False) -> Request:
    """The plan asked, checked against the run; an InputError naming the first reason it cannot be answered.
    catchment: in the run's unit (analysis.unit)."""
    if objective not in OBJECTIVES:
        raise InputError("error_plan_unknown_objective", objective=objective)
    code = _service(analysis, service)
    scale = analysis.scales[code]
    if scale.kind == METROPOLITAN and not force:
        raise InputError("error_plan_metropolitan", code=code)
    table = analysis.coverage.table
    rows = table[table["service"] == code].set_index("ubigeo")
    if (rows["status"] == UNKNOWN).all():
        raise InputError("error_plan_no_district_data", code=code)
    existing = _existing_sites(analysis, code, rows)
    if not len(existing):
        raise InputError("error_plan_no_site", code=code)
    if analysis.population is None or code not in analysis.population:
        raise InputError("error_plan_needs_population", code=code)
    unit = analysis.unit
    if catchment is None:
        # each district should have its own: a site covers its own district, unless the run says
        # otherwise; on the streets a site's own district is not at 0, so within the catchment
        own = scale.kind == MUNICIPAL and scale.given_by != OPTION and unit == KM
        catchment = 0.0 if own else float(scale.catchment(unit))
    if catchment < 0:
        raise InputError("error_plan_negative_catchment" if unit == KM else "error_plan_negative_catchment_min",
                         km=f"{catchment:g}")
    sites, left_out = _candidates(analysis, rows, candidates)
    if sites.empty:
        raise InputError("error_plan_no_candidates", code=code, area=analysis.area)
    if add < 1 or add > len(sites):
        if candidates is None:
            raise InputError("error_plan_add_districts", add=add, code=code, n=len(sites))
        raise InputError("error_plan_add_given", add=add, code=code, n=len(sites))
    return Request(code, add, objective, scale.kind, force, float(catchment), float(scale.catchment(unit)),
                   rows, existing, sites, left_out, unit)


def resolve_service(catalogue, service: str) -> str:
    """The code of a place-based service of the catalogue; one line naming the closest otherwise."""
    code = catalogue.resolve(service)
    if code is not None and code not in catalogue.place_based:
        raise InputError("error_plan_not_place_based", code=code,
                         name={lang: catalogue.label(code, lang) for lang in LANGUAGES})
    if code is None:
        raise catalogue.district_typed(service) or InputError(
            "error_plan_unknown_service", service=repr(service), closest=", ".join(catalogue.closest(service, place_based=True)))
    return code


def requested(catalogue, plans: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """(code, N) of each plan asked with --plan SERVICE:N (RunInputs.plans); one line naming
    the first bad request otherwise. Checked before anything is read."""
    found: list[tuple[str, int]] = []
    for service, given in plans:
        code = resolve_service(catalogue, service)
        if not given.isdigit() or int(given) < 1:
            raise InputError("error_plan_bad_count", given=f"{service}:{given}".rstrip(":"), code=code)
        if code in dict(found):
            raise InputError("error_plan_twice", code=code)
        found.append((code, int(given)))
    return found


def _service(analysis: Analysis, service: str) -> str:
    code = resolve_service(analysis.catalogue, service)
    if code not in set(analysis.coverage.table["service"]):
        raise InputError("error_plan_no_data", code=code)
    return code


def _existing_sites(analysis: Analysis, code: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The service's sites: its facilities (ubigeo, lat, lon) when given, else one per host district."""
    facilities = analysis.facilities
    if facilities is not None and code in set(facilities.points["service"]):
        return facilities.points.loc[facilities.points["service"] == code, ["ubigeo", "lat", "lon"]]
    hosts = rows.index[rows["status"] == PRESENT]
    return pd.DataFrame({"ubigeo": hosts, "lat": np.nan, "lon": np.nan})


def _candidates(analysis: Analysis, rows: pd.DataFrame, given) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Candidate sites (ubigeo, district, name, lat, lon), sorted by ubigeo then name and point,
    and the districts of those left out for lack of a geometry."""
    districts = analysis.districts
    names = dict(zip(districts["ubigeo"], districts["name"]))
    if given is None:
        gaps = rows.index[rows["status"] == GAP]
        sites = pd.DataFrame({"ubigeo": gaps, "name": "", "lat": np.nan, "lon": np.nan})
    else:
        sites = read_candidates(given, districts, analysis.area)
    sites = sites.assign(district=sites["ubigeo"].map(names))
    # a district without geometry has no point to measure from: it cannot be a site
    shapeless = districts.loc[districts.geometry.isna() | districts.geometry.is_empty, "ubigeo"]
    unplaced = sites["lat"].isna() & sites["ubigeo"].isin(shapeless)
    left_out = tuple(sorted(set(sites.loc[unplaced, "district"])))
    sites = sites[~unplaced].sort_values(["ubigeo", "name", "lat", "lon"], kind="stable").reset_index(drop=True)
    return sites[["ubigeo", "district", "name", "lat", "lon"]], left_out


def read_candidates(given, districts: gpd.GeoDataFrame, area: str) -> pd.DataFrame:
    """Candidates from a file or frame: a ubigeo or district column, or lat/lon points (and an
    optional name).

    A point counts in the district it falls in; a row outside the area is refused, named.
    """
    if isinstance(given, pd.DataFrame):
        table, source = given.astype(str), {"es": "La tabla de candidatos", "en": "The candidates table"}
    else:
        table, source = read_csv(Path(given), what="candidates", option="--candidates"), f"--candidates {given}"
    columns = find_columns(table.columns, _CANDIDATE_COLUMNS)
    has_points = {"lat", "lon"} <= columns.keys()
    if not (has_points or "ubigeo" in columns or "district" in columns):
        raise InputError("error_plan_candidate_columns", source=source,
                         found=", ".join(map(str, table.columns)) or "-")
    name = table[columns["name"]].astype(str).str.strip() if "name" in columns else pd.Series("", index=table.index)
    lat = lon = np.full(len(table), np.nan)
    ubigeo = pd.Series(None, index=table.index, dtype=object)
    if "ubigeo" in columns:
        ubigeo = table[columns["ubigeo"]].map(normalize_ubigeo)
    elif "district" in columns:  # names as the boundaries spell them, accents and case aside
        by_name = {normalize_name(n): u for n, u in zip(districts["name"], districts["ubigeo"])}
        ubigeo = table[columns["district"]].map(lambda n: by_name.get(normalize_name(str(n))))
    if has_points:
        lat, lon = (pd.to_numeric(table[columns[axis]].astype(str).str.replace(",", "."), errors="coerce")
                    .to_numpy(float) for axis in ("lat", "lon"))
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        inside = gpd.sjoin(points, districts[["ubigeo", "geometry"]].to_crs("EPSG:4326"), predicate="within")
        placed = inside.loc[~inside.index.duplicated(), "ubigeo"].reindex(table.index)
        ubigeo = placed.where(~np.isnan(lat), ubigeo)  # a row without a point: by its ubigeo
    outside = [(i + 2, n) for i, (u, n) in enumerate(zip(ubigeo, name))
               if u is None or pd.isna(u) or u not in set(districts["ubigeo"])]
    if outside:
        raise InputError("error_plan_candidates_outside", source=source, n=len(outside), area=area,
                         rows={lang: _rows(outside, lang) for lang in LANGUAGES})
    sites = pd.DataFrame({"ubigeo": ubigeo.to_numpy(), "name": name.to_numpy(), "lat": lat, "lon": lon})
    if not has_points:
        sites = sites.drop_duplicates("ubigeo")
    return sites


def _rows(rows: list[tuple[int, str]], lang: str) -> str:
    """'row 2 (Cusco), row 5': the rows of a file, as a message names them."""
    row = texts(lang)["error_plan_row"]
    return listing([row.format(n=n) + (f" ({name})" if name else "") for n, name in rows], lang, limit=8)
