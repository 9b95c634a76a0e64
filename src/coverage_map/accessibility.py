"""Access across district lines: the enhanced two-step floating catchment (E2SFCA).

People do not stop at district lines: a centre in Comas serves Carabayllo. For every
service with known sites, PySAL's `access` package computes the E2SFCA with

- demand: each district's target population, at the cost model's demand point;
- supply: the service's sites (costs.sites_of: its facilities, those just outside the area
  included, or each host district's count);
- cost: the cost model's (costs.py: straight-line km, 0 to a site in the district itself);
- catchment: the service's (see scales), with the Gaussian weight
  ``access.weights.gaussian(catchment / 2)``: 1 at the site, 0.61 at half the catchment,
  0.14 at the catchment, nothing beyond.

Access is computed as sites per 100,000 target people (the raw figure of the GeoJSON and
GeoPackage, `S_access`) and shown to people as its inverse, target people per site within
reach (people_per_site: 4 000 000 where access is 0.025), with "no site within X km"
where it is 0; docs/methods.md argues the choice. Per service, also the target people
living farther than the catchment from the nearest site (people_beyond), the share living
within it (share_within) and the population-weighted mean cost to the nearest site.

Limits: a district's people are all placed at one point inside it, and distance is a
straight line, not a trip; a site is as large as any other (a count of 2 in a district
weighs twice).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .costs import CostModel, Sites, sites_of
from .coverage import UNKNOWN, Coverage, significant
from .scales import Scale

if TYPE_CHECKING:
    from .facilities import Facilities

log = logging.getLogger(__name__)

#: Access is expressed per this many target people.
PER_PEOPLE = 100_000
#: Significant digits of the people per site shown: the measure (one point per district,
#: straight lines) is not finer than that, and 3 keep neighbouring classes apart.
PER_SITE_DIGITS = 3


def people_per_site(access: float | pd.Series) -> float | pd.Series:
    """Target people per site within reach, PER_PEOPLE / access to PER_SITE_DIGITS significant
    digits; NaN where no site is within reach (access 0) or access was not measured."""
    if isinstance(access, pd.Series):
        return (PER_PEOPLE / access.astype(float).where(access > 0)).map(lambda v: significant(v, PER_SITE_DIGITS))
    return significant(PER_PEOPLE / access, PER_SITE_DIGITS) if access > 0 else np.nan


def e2sfca(demand: pd.Series, cost: np.ndarray, supply: np.ndarray, *, catchment: float) -> pd.Series:
    """E2SFCA access (sites per 100,000 people) at each demand point, with PySAL's `access`.

    demand: people per demand point (index: its id); cost: demand points x supply points
    (NaN where unknown); supply: sites at each supply point. A demand point with no site
    within the catchment has 0; one whose costs are all unknown (no location) has NaN.
    """
    from access import Access, weights  # only when access is measured: no cost for runs without population

    origin, dest = np.nonzero(cost <= catchment)  # access drops the rest anyway; NaN never qualifies
    ids = [f"site {j}" for j in range(len(supply))]
    pairs = pd.DataFrame({
        "origin": demand.index.to_numpy()[origin],
        "dest": np.asarray(ids, dtype=object)[dest],
        "cost": cost[origin, dest],
    })
    result = pd.Series(0.0, index=demand.index)
    if cost.shape[1]:
        result[np.isnan(cost).all(axis=1)] = np.nan
    if pairs.empty:
        return result
    # frames already indexed by id (index=True): access would otherwise set_index(inplace=True),
    # deprecated in pandas 3
    model = Access(
        demand_df=demand.rename("people").rename_axis("id").to_frame(), demand_index=True, demand_value="people",
        supply_df=pd.DataFrame({"sites": supply}, index=pd.Index(ids, name="id")), supply_index=True,
        supply_value="sites", cost_df=pairs, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    with warnings.catch_warnings():
        # the access releases that Python 3.10 gets fill NaN with a chained inplace fillna,
        # which pandas 2.x (the last on 3.10) still applies but warns about: not a planner's concern
        warnings.filterwarnings("ignore", category=FutureWarning, module="access")
        scores = model.enhanced_two_stage_fca(
            name="e2sfca", max_cost=catchment, weight_fn=weights.gaussian(catchment / 2)
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
    facilities: Facilities | None = None,
    costs: CostModel | None = None,
) -> Coverage:
    """Coverage with access: the table gains access and nearest_site_km, the summary
    people_beyond, share_within and weighted_site_km (null where not measured); access_measured
    names the services measured.

    targets: target population per district (ubigeo) and service, or None (no access then);
    facilities: the run's facility list, whose services are measured from their facilities
    (those just outside the area included); costs: the run's cost model (default:
    straight-line km between the districts' points). A service without district data (no
    known sites) has null access.
    """
    table, summary = coverage.table.copy(), coverage.summary.copy()
    costs = costs or CostModel(districts)
    unit = costs.unit
    table["access"] = np.nan
    table[f"nearest_site_{unit}"] = np.nan
    for column in ("people_beyond", "share_within", f"weighted_site_{unit}"):
        summary[column] = np.nan
    if targets is None:
        log.debug("Access across district lines not measured: it needs the population (--population).")
        return _typed(coverage, table, summary, measured=())
    ubigeos = costs.ubigeos
    measured = []
    for service, scale in scales.items():
        if service not in summary.index or service not in targets:
            continue
        mine = table["service"] == service
        rows = table[mine].set_index("ubigeo").reindex(ubigeos)
        if (rows["status"] == UNKNOWN).all():
            continue  # no known sites: access stays null
        sites = sites_of(costs, service, rows["count"], facilities)
        people = targets[service].reindex(ubigeos).astype(float)
        reach = service_reach(costs, sites, people, scale.catchment(unit))
        table.loc[mine, "access"] = table.loc[mine, "ubigeo"].map(reach.access)
        table.loc[mine, f"nearest_site_{unit}"] = table.loc[mine, "ubigeo"].map(reach.nearest)
        summary.loc[service, ["people_beyond", "share_within", f"weighted_site_{unit}"]] = reach.totals()
        measured.append(service)
    log.debug("Access across district lines (E2SFCA, PySAL access) for %d services: %s",
              len(measured), ", ".join(measured))
    return _typed(coverage, table, summary, measured=measured)


@dataclass(frozen=True)
class Reach:
    """What a service's sites give the people of each district, by the cost model."""

    access: pd.Series  # per district (ubigeo): E2SFCA, sites per 100,000 target people
    nearest: pd.Series  # per district: cost to the nearest site; inf where none is placed, NaN without a point
    point_people: np.ndarray  # target people at each demand point, NaN unknown
    point_nearest: np.ndarray  # cost from each demand point to its nearest site
    catchment: float

    def totals(self) -> tuple[float, float, float]:
        """People beyond the catchment, the share within it, the population-weighted mean cost."""
        return _reach(self.point_people, self.point_nearest, self.catchment)


def service_reach(costs: CostModel, sites: Sites, people: pd.Series, catchment: float) -> Reach:
    """Access, nearest site and reach of sites for people (by ubigeo): measured at the cost
    model's demand points, each weighed by its people, then brought back to districts."""
    point_people = costs.point_people(people)
    demand = pd.Series(np.nan_to_num(point_people), index=np.arange(len(point_people)))
    # on roads, one search per site cut at the catchment, and one from every site at once for the nearest
    cost = costs.point_costs(sites, limit=catchment)
    access = e2sfca(demand, cost, sites.weight, catchment=catchment).to_numpy()
    located = costs.located[costs.point_district]
    point_nearest, _ = costs.nearest(sites, points=True)
    access = costs.per_district(np.where(located, access, np.nan))
    nearest = costs.per_district(point_nearest)
    return Reach(pd.Series(access, index=costs.ubigeos), pd.Series(nearest, index=costs.ubigeos),
                 point_people, point_nearest, catchment)


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


def _typed(coverage: Coverage, table: pd.DataFrame, summary: pd.DataFrame, *, measured: Iterable[str]) -> Coverage:
    """Typed and exact: people whole, the rest unrounded (the files round them: Coverage.rounded);
    people_per_site, a figure to read, is rounded once from the exact access."""
    nearest, weighted = coverage.cost_columns["nearest_site_km"], coverage.cost_columns["weighted_site_km"]
    table["access"] = table["access"].astype(float)
    table["people_per_site"] = people_per_site(table["access"]).round().astype("Int64")
    table[nearest] = table[nearest].astype(float).replace(np.inf, np.nan)
    summary["people_beyond"] = summary["people_beyond"].astype(float).round().astype("Int64")
    summary["share_within"] = summary["share_within"].astype(float)
    summary[weighted] = summary[weighted].astype(float)
    return replace(coverage, table=table, summary=summary, access_measured=frozenset(measured))
