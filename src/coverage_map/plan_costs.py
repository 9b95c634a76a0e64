"""Every cost a plan measures with, read from the run's cost model (costs.py): the only
module of planning that touches sites and costs.

- problem_for(): demand (target people per district), the cost from each district to its
  nearest existing site and to each candidate, for the models;
- access_costs(): the demand, the existing sites and the candidates of the E2SFCA access
  before and after each proposed site, as accessibility.py measures it for the run.

The existing sites are the ones the access figures count (costs.sites_of: the facilities,
those just outside the area included, else the host districts), and a district reaches a
site inside it at 0 (a host, a candidate's own district): the cost model's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Transformer

from .costs import Sites, sites_of
from .location_models import Problem
from .model import Analysis
from .plan_request import Request


def existing_sites(analysis: Analysis, request: Request) -> Sites:
    """The service's sites as the run's access figures count them."""
    costs = analysis.costs
    return sites_of(costs, request.code, request.rows["count"].reindex(costs.ubigeos), analysis.facilities)


def problem_for(analysis: Analysis, request: Request) -> Problem:
    """The models' demand and costs: one row per district with a point and target people, one
    column per candidate, and each district's cost to its nearest existing site.

    The candidates come back with the point the model put each at (lon, lat): their own, else
    their district's representative point.
    """
    costs = analysis.costs
    ubigeos = costs.ubigeos[costs.point_district]  # the district of each demand point
    weights = np.nan_to_num(costs.point_people(analysis.population[request.code]))  # exact: rounded when written
    known = costs.located[costs.point_district] & (weights > 0)  # no geometry or nobody: no demand
    existing, _ = costs.nearest(existing_sites(analysis, request), points=True)
    candidates = costs.facility_sites(request.candidates)
    candidate_cost = costs.point_costs(candidates)
    candidate_cost = np.where(np.isnan(candidate_cost), np.inf, candidate_cost)
    lon, lat = Transformer.from_crs(costs.crs, "EPSG:4326", always_xy=True).transform(
        candidates.xy[:, 0], candidates.xy[:, 1])
    sites = request.candidates.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))
    return Problem(ubigeos[known], weights[known], existing[known], candidate_cost[known], sites,
                   request.catchment_km, request.left_out)


@dataclass(frozen=True)
class AccessCosts:
    """What E2SFCA access reads (accessibility.e2sfca): the demand at the cost model's demand
    points, and the costs from them to the run's sites and to each candidate."""

    demand: pd.Series  # target people per demand point
    district: np.ndarray  # the district (ubigeo) of each demand point
    supply: np.ndarray  # sites at each existing supply point
    supply_cost: np.ndarray  # demand points x existing supply points
    candidate_cost: np.ndarray  # demand points x candidates, in the order of Problem.candidates
    catchment: float


def access_costs(analysis: Analysis, request: Request) -> AccessCosts:
    """The run's demand and sites of the service, and the candidates, for the access each proposal adds."""
    costs = analysis.costs
    people = np.nan_to_num(costs.point_people(analysis.population[request.code]))
    sites = existing_sites(analysis, request)
    return AccessCosts(pd.Series(people, index=np.arange(len(people))), costs.ubigeos[costs.point_district],
                       sites.weight, costs.point_costs(sites),
                       costs.point_costs(costs.facility_sites(request.candidates)), request.access_catchment_km)
