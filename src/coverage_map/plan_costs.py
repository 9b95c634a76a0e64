"""Every cost a plan measures with, read from the run's cost model (costs.py): the only
module of planning that touches sites and costs.

- plan_costs(): for the models, demand (target people per demand point), the cost from each
  point to its nearest existing site and to each candidate; for the access steps, the same
  demand, existing sites and candidates as accessibility.py measures them for the run. Each
  cost matrix is measured once (on roads, each is a set of shortest-path searches).

The existing sites are the ones the access figures count (costs.sites_of: the facilities,
those just outside the area included, else the host districts), and a district reaches a
site inside it at 0 (a host, a candidate's own district): the cost model's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Transformer

from .costs import Sites, nearest_in, sites_of
from .location_models import Problem
from .model import Analysis
from .plan_request import Request


def existing_sites(analysis: Analysis, request: Request) -> Sites:
    """The service's sites as the run's access figures count them."""
    costs = analysis.costs
    return sites_of(costs, request.code, request.rows["count"].reindex(costs.ubigeos), analysis.facilities)


def plan_costs(analysis: Analysis, request: Request) -> tuple[Problem, AccessCosts]:
    """The models' Problem and the access steps' costs, each cost matrix measured once: from
    every demand point to the existing sites and to every candidate.

    The Problem has one row per demand point with a location and target people, one column
    per candidate, each point's cost to its nearest existing site, and the candidates with the
    point the model put each at (lon, lat): their own, else their district's representative point.
    Costs are in the run's unit; on roads each candidate's search is a full one (not cut at
    the catchment): the weighted minutes of every plan, the p-median and the tie-break between
    equally good sets read every point's minutes to every candidate.
    """
    costs = analysis.costs
    people = np.nan_to_num(costs.point_people(analysis.population[request.code]))  # exact: rounded when written
    districts = costs.ubigeos[costs.point_district]  # the district of each demand point
    located = costs.located[costs.point_district]
    sites = existing_sites(analysis, request)
    supply_cost = costs.point_costs(sites)
    candidates = costs.facility_sites(request.candidates)
    candidate_cost = costs.point_costs(candidates)
    access = AccessCosts(pd.Series(people, index=np.arange(len(people))), districts, sites.weight, supply_cost,
                         candidate_cost, request.access_catchment)
    existing, _ = nearest_in(supply_cost, located)
    known = located & (people > 0)  # no geometry or nobody: no demand
    lon, lat = Transformer.from_crs(costs.crs, "EPSG:4326", always_xy=True).transform(
        candidates.xy[:, 0], candidates.xy[:, 1])
    placed = request.candidates.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))
    reachable = np.where(np.isnan(candidate_cost), np.inf, candidate_cost)
    problem = Problem(districts[known], people[known], existing[known], reachable[known], placed,
                      request.catchment, request.left_out)
    return problem, access


def problem_for(analysis: Analysis, request: Request) -> Problem:
    """The models' Problem alone (see plan_costs)."""
    return plan_costs(analysis, request)[0]


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
