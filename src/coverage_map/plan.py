"""Where to open the next sites of a service: location-allocation with the existing sites kept.

plan() chooses N new sites among candidate districts (or candidate points) with PySAL's
spopt models solved by PuLP's bundled CBC: the maximal covering location problem (MCLP:
the most target people within the service's catchment) or the p-median (the least
population-weighted distance to the nearest site). Demand is the service's target
population at the districts' representative points; the existing sites (facility points,
or the host districts' points) enter the model as one facility fixed open
(spopt's predefined_facilities_arr) whose distance to a district is the distance to its
nearest existing site: exactly the same optimum as one fixed facility per site, with
fewer columns.

The N-set is the optimum for N; ties between equally good sets go to the candidates that
alone do most for the other measure (distance for coverage, people for distance), then to
the first by ubigeo (see priority()). Its sites are then listed in order of marginal gain:
each is the one of the set that adds most given those before it. When the best single
addition over all candidates is not the first of the set, the plan says so.

spopt and PuLP are imported only here, inside the functions that solve, so that `build`
never pays for them (unless asked to plan); spopt's package __init__, which imports its
regionalisation tools and every model, is deferred until something else asks for it (see
defer_package_init). Each site's E2SFCA access before and after is measured with
accessibility.py's supply and function (access_steps).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from .accessibility import e2sfca, service_supply
from .boundaries import metric_crs
from .coverage import GAP, PRESENT, UNKNOWN, distances_km, representative_points
from .districts import normalize_name, normalize_ubigeo
from .errors import InputError
from .formatting import counted, listing, number, percent, plural
from .model import Analysis, Plan
from .projection import CENSUS_YEAR
from .tables import find_columns, read_csv
from .texts import texts

log = logging.getLogger(__name__)

OBJECTIVES = ("coverage", "distance")
#: Catchment of a network service until each service carries its own (km, straight line).
DEFAULT_CATCHMENT_KM = 10.0
#: One seat or team for the whole metropolitan area by design (issue 10): a district
#: without the seat is not a gap, so adding sites is refused unless forced. The run's
#: scales (analysis.scales) decide; these two lists only serve an analysis without them.
METROPOLITAN = ("OREDIS", "UA", "CAI", "SAU", "MI60", "CAN", "EDUCALLE", "SOCBEN")
#: Given to every municipality by law: each district should have its own.
MUNICIPAL = ("DEMUNA", "CIAM")
#: Up to this many client-site cells, spopt's PMedian.from_cost_matrix builds the model as
#: is; above, the same model is built with only the pairs that can matter (see _sparse_pmedian).
DENSE_PMEDIAN_CELLS = 20_000
#: Beyond this many pairs that can matter, the p-median is refused (minutes in PuLP and CBC).
MAX_PMEDIAN_PAIRS = 200_000
#: Below this many client-site cells, spopt's MCLP.from_cost_matrix builds the model as is;
#: above, the same model is built from spopt's parts with its coverage rows kept sparse.
DENSE_MCLP_CELLS = 200_000

_CANDIDATE_COLUMNS = {
    "ubigeo": ("ubigeo", "iddist", "cod ubigeo", "codigo ubigeo"),
    "district": ("district", "distrito", "nombre distrito"),
    "name": ("nombre", "name", "sitio", "site", "local"),
    "lat": ("lat", "latitud", "latitude", "coord y", "y"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "coord x", "x"),
}


@dataclass(frozen=True)
class Problem:
    """What the models are built from: one row per demand district, one column per candidate."""

    ubigeos: np.ndarray  # demand districts
    weights: np.ndarray  # target people (whole) per demand district
    existing_km: np.ndarray  # km from each demand district to its nearest existing site (0 in a host)
    candidate_km: np.ndarray  # demand districts x candidates, km (0 in the candidate's own district)
    candidates: pd.DataFrame  # ubigeo, district, name, lat, lon; sorted by ubigeo, name, point
    catchment_km: float
    left_out: tuple[str, ...] = ()  # candidate districts without geometry, named in the notes

    def evaluate(self, chosen) -> tuple[int, float]:
        """People within the catchment and population-weighted km with the chosen candidates open."""
        km = self.existing_km
        if len(chosen):
            km = np.minimum(km, self.candidate_km[:, list(chosen)].min(axis=1))
        covered = int(self.weights[km <= self.catchment_km].sum())
        return covered, float((self.weights * km).sum() / self.weights.sum())

    def singles(self) -> tuple[np.ndarray, np.ndarray]:
        """People covered and weighted km with each candidate alone added (vectors over candidates)."""
        km = np.minimum(self.existing_km[:, None], self.candidate_km)
        covered = (self.weights[:, None] * (km <= self.catchment_km)).sum(axis=0)
        return covered, (self.weights[:, None] * km).sum(axis=0) / self.weights.sum()


def plan(
    analysis: Analysis,
    service: str,
    *,
    add: int,
    objective: str = "coverage",
    candidates: str | Path | pd.DataFrame | None = None,
    catchment_km: float | None = None,
    force: bool = False,
) -> Plan:
    """Choose `add` new sites of service among candidates, keeping its existing sites.

    candidates: None (every district of the area without the service), a file or a frame
    of ubigeos or points (lat/lon). catchment_km: the service's catchment (default: the
    catalogue's, else 0 for a municipal service and 10 km otherwise). A metropolitan
    service is refused unless force. Raises InputError with one line for a request that
    cannot be answered.
    """
    if objective not in OBJECTIVES:
        msg = f"Unknown objective {objective!r}: use {' or '.join(OBJECTIVES)}."
        raise InputError(msg)
    code = _service(analysis, service)
    scale = service_scale(analysis, code)
    if scale == "metropolitan" and not force:
        msg = (f"{code} is a metropolitan service: one seat for the whole area by design, so a district "
               f"without it is not a gap; `coverage-map plan {code} --add N --force` plans new sites anyway.")
        raise InputError(msg)
    table = analysis.coverage.table
    rows = table[table["service"] == code].set_index("ubigeo")
    if (rows["status"] == UNKNOWN).all():
        msg = (f"{code} has no district data in this run (the source gives only a total): there are no sites "
               "to keep. Give its facilities with --facilities or its counts with --inventory.")
        raise InputError(msg)
    existing = _existing_sites(analysis, code, rows)
    if not len(existing):
        msg = f"{code} has no site in the area: nothing to keep and no catchment to measure from. Check its counts."
        raise InputError(msg)
    if analysis.population is None or code not in analysis.population:
        msg = (f"Planning {code} needs the target population per district: leave out --population none, "
               "or give a population file with --population.")
        raise InputError(msg)
    if catchment_km is None:
        catchment_km = service_catchment(analysis, code, scale)
    if catchment_km < 0:
        msg = f"The catchment must be 0 km or more, not {catchment_km:g}."
        raise InputError(msg)
    sites, left_out = _candidates(analysis, code, rows, candidates)
    if sites.empty:
        msg = (f"{code} is in every district of the area {analysis.area!r}: no district is left to propose; "
               "give candidate sites with --candidates.")
        raise InputError(msg)
    if add < 1 or add > len(sites):
        msg = (f"{add} new sites of {code}: choose between 1 and {len(sites)}, the number of candidate sites "
               f"({'given' if candidates is not None else 'districts of the area without it'}).")
        raise InputError(msg)
    problem = replace(_problem(analysis, code, rows, existing, sites, catchment_km), left_out=left_out)
    if not problem.weights.sum():
        msg = f"No one of {code}'s target population lives in the districts of the area: there is nothing to plan for."
        raise InputError(msg)
    log.debug("Planning %d new %s among %d candidates for %d districts (%s, catchment %g km)",
             add, code, len(sites), len(problem.ubigeos), objective, catchment_km)
    chosen = solve(problem, add, objective)
    access = access_steps(analysis, code, rows, problem, chosen)
    return _plan(analysis, code, problem, chosen, access, objective, scale, force, len(existing))


def service_scale(analysis: Analysis, code: str) -> str:
    """municipal, network or metropolitan: the run's (analysis.scales, once the catalogue
    carries scales), else our reading of the source (issue 10)."""
    scales = getattr(analysis, "scales", None) or {}
    if code in scales:
        return scales[code].kind
    if code in METROPOLITAN:
        return "metropolitan"
    return "municipal" if code in MUNICIPAL else "network"


def service_catchment(analysis: Analysis, code: str, scale: str) -> float:
    """The catchment the plan covers within, in km.

    A municipal service is planned district by district (each district should have its own,
    so a site covers its own district: 0 km) unless the run changed its catchment; any other
    takes the run's catchment for it, else 10 km.
    """
    given = (getattr(analysis, "scales", None) or {}).get(code)
    if scale == "municipal" and (given is None or getattr(given, "given_by", "catalogue") != "option"):
        return 0.0
    return float(given.catchment_km) if given is not None else DEFAULT_CATCHMENT_KM


def resolve_service(catalogue, service: str) -> str:
    """The code of a place-based service of the catalogue; one line naming the closest otherwise."""
    code = catalogue.resolve(service)
    if code is not None and code not in catalogue.place_based:
        msg = f"{code} is not a place-based service ({catalogue.label(code, 'en')}): it has no sites to plan."
        raise InputError(msg)
    if code is None:
        closest = ", ".join(catalogue.closest(service))
        msg = f"Unknown service {service!r} (closest: {closest}). See `coverage-map services`."
        raise InputError(msg)
    return code


def requested(catalogue, plans: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """(code, N) of each plan asked with --plan SERVICE:N (RunInputs.plans); one line naming
    the first bad request otherwise. Checked before anything is read."""
    found: list[tuple[str, int]] = []
    for service, given in plans:
        code = resolve_service(catalogue, service)
        if not given.isdigit() or int(given) < 1:
            msg = (f"--plan {service}:{given}".rstrip(":") + ": give the service and how many new sites, "
                   f"a whole number of 1 or more, e.g. --plan {code}:2.")
            raise InputError(msg)
        if code in dict(found):
            msg = f"--plan {code} is given twice: give each service once."
            raise InputError(msg)
        found.append((code, int(given)))
    return found


def plans_for(analysis: Analysis) -> tuple[Plan, ...]:
    """The plans the run asked for (RunInputs.plans), each with the command's defaults: the
    districts without the service as candidates, maximal coverage within its catchment."""
    return tuple(plan(analysis, code, add=n) for code, n in requested(analysis.catalogue, analysis.inputs.plans))


def _service(analysis: Analysis, service: str) -> str:
    code = resolve_service(analysis.catalogue, service)
    if code not in set(analysis.coverage.table["service"]):
        msg = f"{code} has no data in this run: give its counts with --inventory or its facilities with --facilities."
        raise InputError(msg)
    return code


def _existing_sites(analysis: Analysis, code: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The service's sites: its facilities (ubigeo, lat, lon) when given, else one per host district."""
    facilities = analysis.facilities
    if facilities is not None and code in set(facilities.points["service"]):
        return facilities.points.loc[facilities.points["service"] == code, ["ubigeo", "lat", "lon"]]
    hosts = rows.index[rows["status"] == PRESENT]
    return pd.DataFrame({"ubigeo": hosts, "lat": np.nan, "lon": np.nan})


def _candidates(analysis: Analysis, code: str, rows: pd.DataFrame, given) -> tuple[pd.DataFrame, tuple[str, ...]]:
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
    unplaced = sites["lat"].isna() & sites["ubigeo"].isin(districts.loc[districts.geometry.isna() | districts.geometry.is_empty, "ubigeo"])
    left_out = tuple(sorted(set(sites.loc[unplaced, "district"])))
    sites = sites[~unplaced].sort_values(["ubigeo", "name", "lat", "lon"], kind="stable").reset_index(drop=True)
    return sites[["ubigeo", "district", "name", "lat", "lon"]], left_out


def read_candidates(given, districts: gpd.GeoDataFrame, area: str) -> pd.DataFrame:
    """Candidates from a file or frame: a ubigeo or district column, or lat/lon points (and an
    optional name).

    A point counts in the district it falls in; a row outside the area is refused, named.
    """
    where = "candidates" if isinstance(given, pd.DataFrame) else f"Candidates file {given}"
    table = given.astype(str) if isinstance(given, pd.DataFrame) else read_csv(Path(given), what="Candidates file", option="--candidates")
    columns = find_columns(table.columns, _CANDIDATE_COLUMNS)
    has_points = {"lat", "lon"} <= columns.keys()
    if not (has_points or "ubigeo" in columns or "district" in columns):
        msg = (f"{where} needs a ubigeo, district (distrito) or lat/lon (latitud/longitud) column; "
               f"found: {', '.join(map(str, table.columns)) or 'none'}.")
        raise InputError(msg)
    name = table[columns["name"]].astype(str).str.strip() if "name" in columns else pd.Series("", index=table.index)
    lat = lon = np.full(len(table), np.nan)
    ubigeo = pd.Series(None, index=table.index, dtype=object)
    if "ubigeo" in columns:
        ubigeo = table[columns["ubigeo"]].map(normalize_ubigeo)
    elif "district" in columns:  # names as the boundaries spell them, accents and case aside
        by_name = {normalize_name(n): u for n, u in zip(districts["name"], districts["ubigeo"])}
        ubigeo = table[columns["district"]].map(lambda n: by_name.get(normalize_name(str(n))))
    if has_points:
        lat = pd.to_numeric(table[columns["lat"]].astype(str).str.replace(",", "."), errors="coerce").to_numpy(float)
        lon = pd.to_numeric(table[columns["lon"]].astype(str).str.replace(",", "."), errors="coerce").to_numpy(float)
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        inside = gpd.sjoin(points, districts[["ubigeo", "geometry"]].to_crs("EPSG:4326"), predicate="within")
        placed = inside.loc[~inside.index.duplicated(), "ubigeo"].reindex(table.index)
        ubigeo = placed.where(~np.isnan(lat), ubigeo)  # a row without a point: by its ubigeo
    outside = [f"row {i + 2}" + (f" ({n})" if n else "") for i, (u, n) in enumerate(zip(ubigeo, name))
               if u is None or pd.isna(u) or u not in set(districts["ubigeo"])]
    if outside:
        msg = f"{where}: {len(outside)} candidate(s) in no district of the area {area!r}: {listing(outside, limit=8)}."
        raise InputError(msg)
    sites = pd.DataFrame({"ubigeo": ubigeo.to_numpy(), "name": name.to_numpy(), "lat": lat, "lon": lon})
    if not has_points:
        sites = sites.drop_duplicates("ubigeo")
    return sites


def _problem(analysis: Analysis, code: str, rows: pd.DataFrame, existing: pd.DataFrame,
             sites: pd.DataFrame, catchment_km: float) -> Problem:
    districts = analysis.districts
    crs = metric_crs(districts)
    origins = representative_points(districts, crs)  # as the coverage model measures from
    ubigeos = districts["ubigeo"].to_numpy()
    weights = analysis.population[code].reindex(ubigeos).fillna(0).round().to_numpy()
    known = ~np.isnan(origins).any(axis=1) & (weights > 0)  # no geometry or nobody: no demand
    hosts = rows["status"].reindex(ubigeos).eq(PRESENT).to_numpy()
    existing_km = distances_km(origins, _site_xy(existing, origins, ubigeos, crs))
    existing_km = np.where(np.isnan(existing_km), np.inf, existing_km).min(axis=1)
    existing_km = np.where(hosts, 0.0, existing_km)  # as in the coverage model: a host is at 0 km
    site_xy = _site_xy(sites, origins, ubigeos, crs)
    candidate_km = distances_km(origins, site_xy)
    candidate_km[ubigeos[:, None] == sites["ubigeo"].to_numpy()[None, :]] = 0.0  # a site's own district
    candidate_km = np.where(np.isnan(candidate_km), np.inf, candidate_km)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(site_xy[:, 0], site_xy[:, 1])
    sites = sites.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))  # where the model put each site
    return Problem(ubigeos[known], weights[known], existing_km[known], candidate_km[known], sites, catchment_km)


def _site_xy(sites: pd.DataFrame, origins: np.ndarray, ubigeos: np.ndarray, crs: str) -> np.ndarray:
    """x, y in metres of sites: their own point, else their district's representative point."""
    own = np.column_stack(Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)))
    fallback = pd.DataFrame(origins, index=ubigeos).reindex(sites["ubigeo"]).to_numpy()
    return np.where(np.isnan(own), fallback, own)


def solve(problem: Problem, add: int, objective: str = "coverage") -> list[int]:
    """The best set of `add` candidates (indices), in order of marginal gain.

    The set is spopt's optimum; among optimal sets, the one with the least sum of priority
    ranks. The order is greedy within the set (ties by ubigeo).
    """
    with warnings.catch_warnings():
        # spopt 0.7 builds its models with PuLP 3's API, which PuLP 3.3 marks deprecated for 4.0
        warnings.filterwarnings("ignore", message=r"(?s).*PuLP 4\.0", category=DeprecationWarning)
        chosen = _solve_mclp(problem, add) if objective == "coverage" else _solve_pmedian(problem, add)
    return _order(problem, chosen, objective)


def _key(covered: int, weighted: float, objective: str) -> tuple:
    """Larger is better: people covered then distance for coverage, the reverse for distance."""
    return (covered, -round(weighted, 9)) if objective == "coverage" else (-round(weighted, 9), covered)


def _order(problem: Problem, chosen: list[int], objective: str) -> list[int]:
    ordered, left = [], sorted(chosen)
    while left:
        best = max(left, key=lambda j: (_key(*problem.evaluate([*ordered, j]), objective), -j))
        ordered.append(best)
        left.remove(best)
    return ordered


#: spopt's packages whose __init__ imports every model and the regionalisation tools with
#: them (libpysal, pointpats, scikit-learn, networkx, matplotlib's pyplot): 1.5 to 2 s, more
#: than the rest of `plan`, of which the MCLP module needs nothing.
SPOPT_PACKAGES = ("spopt", "spopt.locate")


def _import_spopt(module: str = "spopt.locate.coverage"):
    """pulp, a module of spopt's location models and spopt's model builder, imported here
    only: `build` never pays for them."""
    import importlib

    import pulp

    defer_package_init(SPOPT_PACKAGES)
    return pulp, importlib.import_module(module), importlib.import_module("spopt.locate.base").FacilityModelBuilder


def defer_package_init(names: Sequence[str]) -> None:
    """Register packages not imported yet without running their __init__ (in order: parent
    first), so that a submodule imports alone.

    Nothing is patched: each package is the module its own spec makes, and its submodules
    load from its __path__ as usual. The first time anything else is asked of it (spopt's
    __version__, `from spopt.locate import PMedian`), its __init__ runs in full, once, in the
    same module object: later imports of spopt see the complete package and the same
    submodules.
    """
    import importlib.util
    import sys

    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        package = importlib.util.module_from_spec(spec)  # __path__ and __spec__, no code run
        package.__getattr__ = _run_init_on_first_use(package, spec)
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)


def _run_init_on_first_use(package, spec):
    def __getattr__(attribute: str):
        # PEP 562: called only for a name the module lacks (never __path__, which it has)
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, attribute)

    return __getattr__


def _solver():
    import pulp

    return pulp.PULP_CBC_CMD(msg=False, threads=1)


def _solve_mclp(problem: Problem, add: int) -> list[int]:
    """spopt's MCLP with the existing sites as one facility fixed open; then the least rank sum."""
    pulp, spopt_coverage, Builder = _import_spopt()
    MCLP = spopt_coverage.MCLP
    covers = problem.candidate_km <= problem.catchment_km
    # a district the existing sites already reach, or no candidate can, is the same in every
    # solution: left out of the model
    open_ = (problem.existing_km > problem.catchment_km) & covers.any(axis=1)
    if not open_.any():  # nobody to gain: the first candidates by priority
        return sorted(np.argsort(priority(problem, "coverage"), kind="stable")[:add].tolist())
    weights, cost, fixed = _model_arrays(problem, open_)
    if cost.size <= DENSE_MCLP_CELLS:
        model = MCLP.from_cost_matrix(cost, weights, service_radius=problem.catchment_km,
                                      p_facilities=add + 1, predefined_facilities_arr=fixed, name="mclp")
    else:
        model = _sparse_mclp(pulp, MCLP, Builder, cost, weights, problem.catchment_km, add + 1, fixed)
    model.solve(_solver(), results=False)
    covered = pulp.value(model.problem.objective)
    # among the optimal sets (weights are whole people), the least sum of priority ranks
    model.problem += pulp.lpSum(float(w) * y for w, y in zip(weights, model.cli_vars)) >= covered - 0.5
    model.problem.sense = pulp.LpMinimize
    model.problem.setObjective(pulp.lpSum(float(r) * x for r, x in zip(priority(problem, "coverage"), model.fac_vars[1:])))
    model.solve(_solver(), results=False)
    return [j for j, x in enumerate(model.fac_vars[1:]) if x.value() > 0.5]


def priority(problem: Problem, objective: str) -> np.ndarray:
    """Each candidate's rank (1 = first) for breaking ties between equally good sets: by what it
    alone does for the other measure (distance for coverage, people covered for distance), then
    by ubigeo. Among optimal sets, the one with the least sum of ranks is chosen."""
    covered, weighted = problem.singles()
    order = np.lexsort((np.arange(len(covered)), -covered if objective == "distance" else np.round(weighted, 9)))
    ranks = np.empty(len(order), dtype=int)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def _sparse_mclp(pulp, MCLP, Builder, cost, weights, radius, p, fixed):
    """spopt's MCLP.from_cost_matrix, with each coverage row summing only the sites that reach it.

    The dense rows (every site, most with a zero coefficient) take minutes to write and read
    for all of Peru; the model is the same.
    """
    n_cli, n_fac = cost.shape
    model = MCLP("mclp", pulp.LpProblem("mclp", pulp.LpMaximize))
    Builder.add_facility_integer_variable(model, range(n_fac), "x[{i}]")
    Builder.add_client_integer_variable(model, range(n_cli), "y[{i}]")
    model.aij = (cost <= radius).astype(float)
    model.problem += pulp.lpSum(float(w) * y for w, y in zip(weights, model.cli_vars))
    Builder.add_predefined_facility_constraint(model, fixed)
    x = model.fac_vars
    for i, y in enumerate(model.cli_vars):
        model.problem += pulp.lpSum(x[j] for j in np.flatnonzero(model.aij[i])) >= y
    Builder.add_facility_constraint(model, p)
    return model


def _model_arrays(problem: Problem, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demand weights and costs of the districts in open_, the existing sites as facility 0
    (fixed open, spopt's predefined_facilities_arr), then the candidates."""
    cost = np.column_stack([problem.existing_km[open_], problem.candidate_km[open_]])
    fixed = np.zeros(cost.shape[1], dtype=int)
    fixed[0] = 1
    return problem.weights[open_], cost, fixed


def _solve_pmedian(problem: Problem, add: int) -> list[int]:
    """spopt's p-median with the existing sites as one facility fixed open; then the least rank sum."""
    pulp, p_median, Builder = _import_spopt("spopt.locate.p_median")  # pointpats and libpysal: only here
    # a district no candidate is nearer to than its existing site keeps it whatever is chosen
    open_ = (problem.candidate_km < problem.existing_km[:, None]).any(axis=1)
    if not open_.any():
        return sorted(np.argsort(priority(problem, "distance"), kind="stable")[:add].tolist())
    weights, cost, fixed = _model_arrays(problem, open_)
    if cost.size <= DENSE_PMEDIAN_CELLS:
        model = p_median.PMedian.from_cost_matrix(cost, weights, p_facilities=add + 1, predefined_facilities_arr=fixed)
    else:
        model = _sparse_pmedian(pulp, p_median.PMedian, Builder, cost, weights, add + 1, fixed)
    model.solve(_solver(), results=False)
    total = pulp.value(model.problem.objective)
    # among the optimal sets (within CBC's precision), the least sum of priority ranks
    model.problem += model.problem.objective <= total + 1e-7 * max(total, 1.0)
    model.problem.setObjective(pulp.lpSum(float(r) * x for r, x in zip(priority(problem, "distance"), model.fac_vars[1:])))
    model.solve(_solver(), results=False)
    return [j for j, x in enumerate(model.fac_vars[1:]) if x.value() > 0.5]


def _sparse_pmedian(pulp, PMedian, Builder, cost, weights, p, fixed):
    """spopt's PMedian.from_cost_matrix with a district assignable only to the existing sites
    (column 0, always open) and to the candidates nearer than them.

    The same optimum: a district is served by its nearest open site, and the existing one
    is never farther than a candidate left out. The dense model has a variable and an
    opening row per district and candidate: hours for all of Peru.
    """
    allowed = cost < cost[:, [0]]
    allowed[:, 0] = True
    pairs = int(allowed.sum())
    if pairs > MAX_PMEDIAN_PAIRS:
        msg = (f"The p-median has {pairs:,} district-candidate pairs, more than the {MAX_PMEDIAN_PAIRS:,} it "
               "solves in reasonable time: use --objective coverage, a smaller area or --candidates.")
        raise InputError(msg)
    n_cli, n_fac = cost.shape
    aij = weights[:, None] * cost
    model = PMedian("p-median", pulp.LpProblem("p-median", pulp.LpMinimize), aij, weights.sum())
    Builder.add_facility_integer_variable(model, range(n_fac), "y[{i}]")
    y = model.fac_vars
    rows = [np.flatnonzero(allowed[i]) for i in range(n_cli)]
    z = [{j: pulp.LpVariable(f"z[{i}_{j}]", lowBound=0, upBound=1, cat=pulp.LpInteger) for j in row}
         for i, row in enumerate(rows)]
    model.problem += pulp.lpSum(float(aij[i, j]) * var for i, row in enumerate(z) for j, var in row.items())
    Builder.add_predefined_facility_constraint(model, fixed)
    Builder.add_facility_constraint(model, p)
    for row in z:
        model.problem += pulp.lpSum(row.values()) == 1  # assignment
        for j, var in row.items():
            model.problem += var <= y[j]  # opening
    return model


def access_catchment(analysis: Analysis, code: str) -> float:
    """The km within which the plan measures E2SFCA access: the service's catchment as the
    run measures access (a municipal service's 3 km, not the plan's 0 km)."""
    scales = getattr(analysis, "scales", None) or {}
    return float(scales[code].catchment_km) if code in scales else DEFAULT_CATCHMENT_KM


def access_steps(analysis: Analysis, code: str, rows: pd.DataFrame, problem: Problem,
                 chosen: list[int]) -> pd.DataFrame:
    """What each chosen site, added to those before it, does to E2SFCA access (accessibility.py).

    One row per site in order: access_districts (districts whose access rises), access_before
    and access_after (their population-weighted mean access, sites per 100,000 target people).
    The supply is the run's (facilities, else host districts' counts) plus one site per
    proposal at its point; adding a site never lowers access elsewhere (E2SFCA's site ratios
    depend on the demand around each site only).
    """
    districts = analysis.districts
    crs = metric_crs(districts)
    ubigeos = districts["ubigeo"].to_numpy()
    origins = representative_points(districts, crs)
    facilities = analysis.facilities
    given = facilities is not None and code in set(facilities.points["service"])
    supply, supply_xy = service_supply(code, rows.reindex(ubigeos), origins, crs,
                                       sites=facilities.points if given else None,
                                       outside=facilities.outside if given else None)
    people = analysis.population[code].reindex(ubigeos).fillna(0).to_numpy(float)
    demand = pd.Series(people, index=ubigeos)
    new_xy = _site_xy(problem.candidates.iloc[chosen], origins, ubigeos, crs)
    catchment = access_catchment(analysis, code)
    steps = []
    before = e2sfca(demand, origins, supply, supply_xy, catchment_km=catchment).to_numpy()
    for rank in range(1, len(chosen) + 1):
        added = pd.Series(1.0, index=[f"proposal {k}" for k in range(rank)])
        after = e2sfca(demand, origins, pd.concat([supply, added]), np.vstack([supply_xy, new_xy[:rank]]),
                       catchment_km=catchment).to_numpy()
        gaining = after > before + 1e-12  # NaN (no point) never gains
        steps.append({"access_districts": int(gaining.sum()),
                      "access_before": _weighted_mean(before[gaining], people[gaining]),
                      "access_after": _weighted_mean(after[gaining], people[gaining])})
        before = after
    return pd.DataFrame(steps, columns=["access_districts", "access_before", "access_after"])


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Mean of values weighted by people (plain where nobody lives there); NaN for none."""
    if not len(values):
        return np.nan
    mean = np.average(values, weights=weights) if weights.sum() else values.mean()
    return round(float(mean), 4)


def _plan(analysis: Analysis, code: str, problem: Problem, chosen: list[int], access: pd.DataFrame,
          objective: str, scale: str, force: bool, existing: int) -> Plan:
    lang = analysis.lang
    text = texts(lang)
    confidential = bool(analysis.catalogue.services.at[code, "confidential"])
    total = int(problem.weights.sum())
    covered_before, weighted_before = problem.evaluate([])
    rows, previous = [], covered_before
    for rank in range(1, len(chosen) + 1):
        covered, weighted = problem.evaluate(chosen[:rank])
        site = problem.candidates.iloc[chosen[rank - 1]]
        rows.append({"service": code, "rank": rank, "ubigeo": site["ubigeo"], "district": site["district"],
                     "newly_covered": covered - previous, "covered_after": covered,
                     "share_covered_after": round(covered / total, 4), "weighted_km_after": round(weighted, 2),
                     **access.iloc[rank - 1].to_dict(),
                     "name": site["name"], "lon": site["lon"], "lat": site["lat"]})
        previous = covered
    proposals = pd.DataFrame(rows).astype({"access_districts": int})
    if confidential:
        proposals = proposals.drop(columns=["name", "lat", "lon"])
    column = analysis.population_columns.get(code, "total")
    census = _census(analysis, text)
    plan = Plan(
        service=code, name=analysis.catalogue.label(code, lang), objective=objective,
        catchment_km=problem.catchment_km, proposals=proposals, target_population=total,
        covered_before=covered_before, weighted_km_before=round(weighted_before, 2), existing_sites=existing,
        candidates=len(problem.candidates), confidential=confidential, crs=metric_crs(analysis.districts),
        population_group=text[f"noun_{column}"], census=census, access_catchment_km=access_catchment(analysis, code),
    )
    return replace(plan, notes=tuple(_notes(plan, problem, chosen, objective, scale, force, lang)))


def _census(analysis: Analysis, text: dict) -> str:
    source = analysis.population_source
    if analysis.population_projected:
        return text["plan_projection"].format(year=analysis.population_year, census=CENSUS_YEAR)
    if source is not None and "2017" in source.name:
        return text["plan_census"]
    population = analysis.file("population")
    return text["plan_file"].format(name=population.path.name if population else "?")


def _notes(plan: Plan, problem: Problem, chosen: list[int], objective: str, scale: str, force: bool,
           lang: str) -> list[str]:
    text = texts(lang)
    notes = [text[plural(len(chosen), "plan_order_one", "plan_order")].format(n=len(chosen))]
    if problem.left_out:
        notes.append(text["plan_left_out"].format(districts=listing(problem.left_out, lang=lang, limit=8)))
    covered, weighted = problem.singles()
    keys = [(_key(int(c), float(w), objective), -j) for j, (c, w) in enumerate(zip(covered, weighted))]
    best = max(range(len(keys)), key=keys.__getitem__)
    if chosen and best != chosen[0]:
        site = problem.candidates.iloc[best]
        notes.append(text["plan_best_single"].format(
            district=site["district"], ubigeo=site["ubigeo"], newly=people(int(covered[best]) - plan.covered_before, lang),
            weighted=number(weighted[best], lang, 2), n=len(chosen)))
    idle = plan.proposals.loc[plan.proposals["newly_covered"] == 0, "district"].tolist()
    if idle and objective == "coverage":
        notes.append(text[plural(len(idle), "plan_no_gain_one", "plan_no_gain")].format(districts=listing(idle, lang)))
    if scale == "municipal" and plan.catchment_km == 0:
        notes.append(text["plan_municipal"].format(group=plan.population_group))
    notes.append(text["plan_access_note"].format(km=km_text(plan.access_catchment_km, lang)))
    if scale == "metropolitan" and force:
        notes.append(text["plan_forced"])
    if plan.confidential:
        notes.append(text["plan_confidential"])
    notes += [text["plan_limit_points"].format(crs=plan.crs),
              text["plan_limit_census"].format(group=plan.population_group, census=plan.census),
              text["plan_limit_capacity"]]
    return notes


def people(n: int, lang: str) -> str:
    """A whole number as the language writes it (65 389, 65,389)."""
    return number(n, lang)


#: Texts that name the catchment, and their form for a plan district by district (0 km).
OWN_DISTRICT = {
    "plan_objective_coverage": "plan_objective_coverage_own",
    "plan_newly": "plan_newly_own",
    "plan_within": "plan_within_own",
    "plan_chart_covered": "plan_chart_covered_own",
}


def reach_text(plan: Plan, key: str, lang: str) -> str:
    """A text naming the plan's catchment ('Nuevas personas a ≤ 10 km'), or its own-district
    form for a plan district by district (0 km): 'Nuevas personas con sede en su distrito'."""
    text = texts(lang)
    if plan.catchment_km == 0 and key in OWN_DISTRICT:
        return text[OWN_DISTRICT[key]]
    return text[key].format(km=km_text(plan.catchment_km, lang))


def summary_lines(plan: Plan, lang: str) -> list[str]:
    """The plan's title, its state before and after, in the run's language."""
    text = texts(lang)
    objective = reach_text(plan, f"plan_objective_{plan.objective}", lang)
    share = lambda n: percent(100 * n / plan.target_population, lang) if plan.target_population else "-"  # noqa: E731
    lines = [
        text["plan_title"].format(name=plan.name, code=plan.service, objective=objective,
                                  sites=counted(len(plan.proposals), "plan_new_sites", lang)),
        text["plan_before"].format(covered=people(plan.covered_before, lang), total=people(plan.target_population, lang),
                              share=share(plan.covered_before), within=reach_text(plan, "plan_within", lang),
                              weighted=number(plan.weighted_km_before, lang, 2),
                              sites=counted(plan.existing_sites, "plan_existing_sites", lang),
                              candidates=counted(plan.candidates, "plan_candidates", lang)),
    ]
    if len(plan.proposals):
        last = plan.proposals.iloc[-1]
        lines.append(text["plan_after"].format(covered=people(int(last["covered_after"]), lang),
                                          share=share(int(last["covered_after"])),
                                          weighted=number(last["weighted_km_after"], lang, 2)))
    return lines


def terminal_table(plan: Plan, lang: str):
    """The curve of gains as a rich Table titled with the plan, and the lines to print under it
    (the state before and after, then the notes)."""
    from rich.table import Table

    title, *state = summary_lines(plan, lang)
    table = Table(title=title, title_justify="left")
    for key, justify in (("plan_rank", "right"), ("plan_ubigeo", "left"), ("plan_district", "left"),
                         ("plan_newly", "right"), ("plan_covered", "right"), ("plan_km", "right"),
                         ("plan_access_short", "right")):
        table.add_column(reach_text(plan, key, lang), justify=justify)
    for row in plan.proposals.itertuples():
        table.add_row(str(row.rank), row.ubigeo, row.district, people(row.newly_covered, lang),
                      people(row.covered_after, lang), number(row.weighted_km_after, lang, 2),
                      f"{row.access_districts}: {access_change(row.access_before, row.access_after, lang)}")
    return table, [*state, *plan.notes]


def access_change(before: float, after: float, lang: str) -> str:
    """'0,45 → 1,92' (sites per 100,000 target people; three decimals below 1); '—' when no
    district gains."""
    if pd.isna(before) or pd.isna(after):
        return "—"
    decimals = 2 if after >= 1 else 3
    return f"{number(before, lang, decimals)} → {number(after, lang, decimals)}"


def km_text(value: float, lang: str) -> str:
    """A catchment: '10', '7,5' (no decimals when whole)."""
    return number(value, lang, 1 if value % 1 else 0)


def write_plan(plans: Plan | Sequence[Plan], folder: Path, *, lang: str) -> Path:
    """plan.csv in folder: each plan's title, state and notes as `#` lines, then one row per
    proposed site, plan after plan, in order (a confidential service's without name and point)."""
    plans = [plans] if isinstance(plans, Plan) else list(plans)
    path = Path(folder) / "plan.csv"
    header = "".join(f"# {line}\n" for plan in plans for line in [*summary_lines(plan, lang), *plan.notes])
    table = pd.concat([plan.proposals for plan in plans], ignore_index=True)
    # a confidential service's rows stay without a point even beside a public one's
    public = [c for c in ("name", "lon", "lat") if c in table]
    body = table[[c for c in table if c not in public] + public].to_csv(index=False, lineterminator="\n")
    path.write_text(header + body, encoding="utf-8-sig", newline="\n")
    return path
