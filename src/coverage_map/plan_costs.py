"""Every point and distance a plan measures with, in one place: the only module of planning
that places districts and sites or measures km.

- problem_for(): demand (target people at the districts' representative points), the km
  from each district to its nearest existing site and to each candidate, for the models;
- access_points(): the demand and supply of the E2SFCA access before and after each
  proposed site, as accessibility.py measures it for the run.

A district reaches a site inside it at 0 km (a host, a candidate's own district), as in the
coverage model. Straight lines in the area's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Transformer

from .accessibility import service_supply
from .boundaries import metric_crs
from .coverage import PRESENT, distances_km, representative_points
from .location_models import Problem
from .model import Analysis
from .plan_request import Request


def problem_for(analysis: Analysis, request: Request) -> Problem:
    """The models' demand and costs: one row per district with a point and target people, one
    column per candidate, and each district's km to its nearest existing site.

    The candidates come back with the point the model put each at (lon, lat): their own, else
    their district's representative point.
    """
    districts = analysis.districts
    crs = metric_crs(districts)
    origins = representative_points(districts, crs)  # as the coverage model measures from
    ubigeos = districts["ubigeo"].to_numpy()
    weights = analysis.population[request.code].reindex(ubigeos).fillna(0).round().to_numpy()
    known = ~np.isnan(origins).any(axis=1) & (weights > 0)  # no geometry or nobody: no demand
    hosts = request.rows["status"].reindex(ubigeos).eq(PRESENT).to_numpy()
    existing_km = distances_km(origins, site_xy(request.existing, origins, ubigeos, crs))
    existing_km = np.where(np.isnan(existing_km), np.inf, existing_km).min(axis=1)
    existing_km = np.where(hosts, 0.0, existing_km)  # a host reaches its own site at 0 km
    sites = request.candidates
    xy = site_xy(sites, origins, ubigeos, crs)
    candidate_km = distances_km(origins, xy)
    candidate_km[ubigeos[:, None] == sites["ubigeo"].to_numpy()[None, :]] = 0.0  # a site's own district
    candidate_km = np.where(np.isnan(candidate_km), np.inf, candidate_km)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    sites = sites.assign(lon=np.round(lon, 6), lat=np.round(lat, 6))
    return Problem(ubigeos[known], weights[known], existing_km[known], candidate_km[known], sites,
                   request.catchment_km, request.left_out)


@dataclass(frozen=True)
class AccessPoints:
    """What E2SFCA access reads (accessibility.e2sfca): demand at the districts' points, the
    run's supply, and each candidate's point; metres in the area's metric CRS."""

    demand: pd.Series  # target people per district (index: ubigeo)
    demand_xy: np.ndarray
    supply: pd.Series  # sites per supply point
    supply_xy: np.ndarray
    candidate_xy: np.ndarray  # in the order of Problem.candidates
    catchment_km: float


def access_points(analysis: Analysis, request: Request, problem: Problem) -> AccessPoints:
    """The run's demand and supply of the service (its facilities, else its host districts'
    counts), and the candidates' points, for the access each proposal adds."""
    districts = analysis.districts
    crs = metric_crs(districts)
    ubigeos = districts["ubigeo"].to_numpy()
    origins = representative_points(districts, crs)
    facilities = analysis.facilities
    given = facilities is not None and request.code in set(facilities.points["service"])
    supply, supply_xy = service_supply(request.code, request.rows.reindex(ubigeos), origins, crs,
                                       sites=facilities.points if given else None,
                                       outside=facilities.outside if given else None)
    people = analysis.population[request.code].reindex(ubigeos).fillna(0).to_numpy(float)
    return AccessPoints(pd.Series(people, index=ubigeos), origins, supply, supply_xy,
                        site_xy(problem.candidates, origins, ubigeos, crs), request.access_catchment_km)


def site_xy(sites: pd.DataFrame, origins: np.ndarray, ubigeos: np.ndarray, crs: str) -> np.ndarray:
    """x, y in metres of sites: their own point, else their district's representative point."""
    own = np.column_stack(Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)))
    fallback = pd.DataFrame(origins, index=ubigeos).reindex(sites["ubigeo"]).to_numpy()
    return np.where(np.isnan(own), fallback, own)
