"""Access across district lines: the enhanced two-step floating catchment (E2SFCA).

People do not stop at district lines: a centre in Comas serves Carabayllo. For every
service with known sites, PySAL's `access` package computes the E2SFCA with

- demand: each district's target population, at its representative point;
- supply: the sites: the facilities' points when a facility list gives the service (a
  confidential one, or one without coordinates, at its district's point; facilities just
  outside the area kept), else each host district's count at its representative point;
- cost: straight-line km between the points, in the area's UTM zone;
- catchment: the service's (see scales), with the Gaussian weight
  ``access.weights.gaussian(catchment / 2)``: 1 at the site, 0.61 at half the catchment,
  0.14 at the catchment, nothing beyond.

Access is given as sites per 100,000 target people. Per service, also the target people
living farther than the catchment from the nearest site (people_beyond), the share living
within it (share_within) and the population-weighted mean km to the nearest site.

Limits: a district's people are all placed at one point inside it, and distance is a
straight line, not a trip; a site is as large as any other (a count of 2 in a district
weighs twice).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundaries import metric_crs
from .coverage import PRESENT, UNKNOWN, Coverage, distances_km, representative_points
from .scales import Scale

log = logging.getLogger(__name__)

#: Access is expressed per this many target people.
PER_PEOPLE = 100_000


def e2sfca(
    demand: pd.Series, demand_xy: np.ndarray, supply: pd.Series, supply_xy: np.ndarray, *, catchment_km: float
) -> pd.Series:
    """E2SFCA access (sites per 100,000 people) at each demand point, with PySAL's `access`.

    demand: people per demand point (index: its id), at demand_xy (metres, rows in the same
    order); supply: sites per supply point, at supply_xy. A demand point with no site within
    the catchment has 0; one without a location (NaN) has NaN.
    """
    from access import Access, weights  # only when access is measured: no cost for runs without population

    km = distances_km(demand_xy, supply_xy)
    origin, dest = np.nonzero(km <= catchment_km)  # access drops the rest anyway; NaN never qualifies
    cost = pd.DataFrame({
        "origin": demand.index.to_numpy()[origin],
        "dest": supply.index.to_numpy()[dest],
        "km": km[origin, dest],
    })
    result = pd.Series(0.0, index=demand.index)
    result[np.isnan(demand_xy).any(axis=1)] = np.nan
    if cost.empty:
        return result
    # frames already indexed by id (index=True): access would otherwise set_index(inplace=True),
    # deprecated in pandas 3
    model = Access(
        demand_df=demand.rename("people").rename_axis("id").to_frame(), demand_index=True, demand_value="people",
        supply_df=supply.rename("sites").rename_axis("id").to_frame(), supply_index=True, supply_value="sites",
        cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="km",
    )
    with warnings.catch_warnings():
        # the access releases that Python 3.10 gets fill NaN with a chained inplace fillna,
        # which pandas 2.x (the last on 3.10) still applies but warns about: not a planner's concern
        warnings.filterwarnings("ignore", category=FutureWarning, module="access")
        scores = model.enhanced_two_stage_fca(
            name="e2sfca", max_cost=catchment_km, weight_fn=weights.gaussian(catchment_km / 2)
        )["e2sfca_sites"]
    scores = scores.replace([np.inf, -np.inf], np.nan)  # a site whose catchment holds nobody
    reached = scores.dropna()
    result[reached.index] = reached * PER_PEOPLE
    return result


def measure_access(
    coverage: Coverage,
    districts: gpd.GeoDataFrame,
    scales: Mapping[str, Scale],
    targets: pd.DataFrame | None,
    *,
    sites: pd.DataFrame | None = None,
    outside: pd.DataFrame | None = None,
) -> Coverage:
    """Coverage with access: the table gains access and nearest_site_km, the summary
    people_beyond, share_within and weighted_site_km (null where not measured); access_measured
    names the services measured.

    targets: target population per district (ubigeo) and service, or None (no access then);
    sites: facilities of the area (service, ubigeo, lat, lon) for the services they give;
    outside: facilities outside the area (service, lat, lon), which serve it within the catchment.
    A service without district data (no known sites) has null access.
    """
    table, summary = coverage.table.copy(), coverage.summary.copy()
    table["access"] = np.nan
    table["nearest_site_km"] = np.nan
    for column in ("people_beyond", "share_within", "weighted_site_km"):
        summary[column] = np.nan
    if targets is None:
        log.debug("Access across district lines not measured: it needs the population (--population).")
        return _typed(table, summary, measured=())
    crs = metric_crs(districts)
    ubigeos = districts["ubigeo"].to_numpy()
    origins = representative_points(districts, crs)
    given = set(sites["service"]) if sites is not None else set()
    measured = []
    for service, scale in scales.items():
        if service not in summary.index or service not in targets:
            continue
        mine = table["service"] == service
        rows = table[mine].set_index("ubigeo").reindex(ubigeos)  # in the order of origins
        status = rows["status"].to_numpy()
        if (status == UNKNOWN).all():
            continue  # no known sites: access stays null
        supply, supply_xy = service_supply(service, rows, origins, crs, sites=sites if service in given else None,
                                           outside=outside)
        people = targets[service].reindex(ubigeos).astype(float)
        demand = pd.Series(people.fillna(0).to_numpy(), index=ubigeos)
        access = e2sfca(demand, origins, supply, supply_xy, catchment_km=scale.catchment_km)
        nearest = _nearest_km(origins, supply_xy)
        table.loc[mine, "access"] = table.loc[mine, "ubigeo"].map(access)
        table.loc[mine, "nearest_site_km"] = table.loc[mine, "ubigeo"].map(pd.Series(nearest, index=ubigeos))
        summary.loc[service, ["people_beyond", "share_within", "weighted_site_km"]] = _reach(
            people.to_numpy(), nearest, scale.catchment_km
        )
        measured.append(service)
    if outside is not None and not outside.empty:
        log.debug("Access: %d facilities outside the area are sites too, counted within their catchment", len(outside))
    log.debug("Access across district lines (E2SFCA, PySAL access) for %d services: %s",
             len(measured), ", ".join(measured))
    return _typed(table, summary, measured=measured)


def service_supply(
    service: str,
    rows: pd.DataFrame,
    origins: np.ndarray,
    crs: str,
    *,
    sites: pd.DataFrame | None = None,
    outside: pd.DataFrame | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """A service's sites for the E2SFCA: how many at each supply point, and the points (metres).

    rows: the service's coverage rows indexed by ubigeo, in the order of origins (the
    districts' points). With sites (facilities: service, ubigeo, lat, lon), one site per
    facility at its point (one without a point at its district's), and those of outside with a
    point; else each host district's count at its point.
    """
    ubigeos = rows.index.to_numpy()
    if sites is not None:
        own = sites[sites["service"] == service]
        # a facility without a point (a shelter, or no coordinates) at its district's point
        fallback = pd.DataFrame(origins, index=ubigeos).reindex(own["ubigeo"]).to_numpy()
        supply_xy = np.where(np.isnan(own[["lat"]].to_numpy()), fallback, _points(own, crs))
        if outside is not None and not outside.empty:
            beyond = outside[(outside["service"] == service) & outside["lat"].notna()]
            supply_xy = np.vstack([supply_xy, _points(beyond, crs)])
        return pd.Series(1.0, index=[f"site {i}" for i in range(len(supply_xy))]), supply_xy
    hosts = (rows["status"] == PRESENT).to_numpy()
    counts = rows["count"].fillna(0).astype(float).to_numpy()
    return pd.Series(counts[hosts], index=[f"district {u}" for u in ubigeos[hosts]]), origins[hosts]


def _points(frame: pd.DataFrame, crs: str) -> np.ndarray:
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326").to_crs(crs)
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()]).reshape(-1, 2)


def _nearest_km(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """km from each origin to its nearest target; inf where there is none, NaN where the origin has no point."""
    if not len(targets):
        nearest = np.full(len(origins), np.inf)
    else:
        km = distances_km(origins, targets)
        nearest = np.where(np.isnan(km), np.inf, km).min(axis=1)
    return np.where(np.isnan(origins).any(axis=1), np.nan, nearest)


def _reach(people: np.ndarray, nearest: np.ndarray, catchment_km: float) -> tuple[float, float, float]:
    """people beyond the catchment of the nearest site, the share within it, and the
    population-weighted mean km to the nearest site (districts without a point left out)."""
    located = ~np.isnan(nearest) & ~np.isnan(people)
    people, nearest = people[located], nearest[located]
    total = people.sum()
    beyond = people[nearest > catchment_km].sum()
    finite = np.isfinite(nearest)
    weighted = (people[finite] * nearest[finite]).sum() / people[finite].sum() if people[finite].sum() else np.nan
    share = (total - beyond) / total if total else np.nan
    return beyond, share, weighted


def _typed(table: pd.DataFrame, summary: pd.DataFrame, *, measured: Iterable[str]) -> Coverage:
    table["access"] = table["access"].astype(float).round(4)
    table["nearest_site_km"] = table["nearest_site_km"].astype(float).replace(np.inf, np.nan).round(1)
    summary["people_beyond"] = summary["people_beyond"].astype(float).round().astype("Int64")
    summary["share_within"] = summary["share_within"].astype(float).round(4)
    summary["weighted_site_km"] = summary["weighted_site_km"].astype(float).round(1)
    return Coverage(table=table, summary=summary, access_measured=frozenset(measured))
