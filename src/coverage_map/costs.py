"""What separates people from sites: the one cost model that every measure reads.

- demand: where the target people are, as demand points, each in a district with a share of
  its people (point_district, point_share); today one point per district (its
  representative point, a point inside it), all of its people there;
- sites: where a service is given (sites_of): the facilities' points when a facility
  list gives the service (a confidential one, or one without coordinates, at its
  district's point; those just outside the area kept), else each host district's count
  at its point;
- cost: straight-line km between demand and site in the area's metric CRS (UTM), with one
  rule applied here and nowhere else: a district reaches a site that counts in it at cost
  0, wherever in the district the site's point lies.

The nearest district with a service (coverage.py) reads costs() (district x site); E2SFCA
access, the people beyond a catchment (accessibility.py) and the plan's models read
point_costs() (demand point x site) and weigh each point by its people; per_district()
brings a point's figures back to its district. Travel time on roads will change what a
cost is and where the demand points are here, and only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundaries import METRIC_CRS, metric_crs


@dataclass(frozen=True)
class Sites:
    """The supply points of a service: one row per point."""

    #: The district (ubigeo) each point counts in; None for a site outside the area.
    ubigeo: np.ndarray
    #: x, y in metres (NaN where unknown).
    xy: np.ndarray
    #: Sites at each point: 1 per facility, or a host district's count.
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.ubigeo)

    @property
    def in_area(self) -> np.ndarray:
        """Whether each point counts in a district of the area."""
        return np.array([u is not None for u in self.ubigeo], dtype=bool)

    def take(self, rows) -> Sites:
        """The sites at rows (a boolean mask or positions)."""
        return Sites(self.ubigeo[rows], self.xy[rows].reshape(-1, 2), self.weight[rows])

    def plus(self, other: Sites) -> Sites:
        """These sites and other's, in that order."""
        return Sites(np.concatenate([self.ubigeo, other.ubigeo]), np.vstack([self.xy, other.xy]),
                     np.concatenate([self.weight, other.weight]))


def representative_points(districts: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> np.ndarray:
    """x, y in metres of a point inside each district (NaN where it has no geometry)."""
    points = districts.geometry.to_crs(crs).representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def distances_km(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Straight-line kilometres from each origin to each target point (NaN where either is unknown)."""
    return np.hypot(*(origins[:, None, :] - targets[None, :, :]).transpose(2, 0, 1)) / 1000


#: The units of a cost: straight-line km, or minutes along streets (road_costs.py).
KM, MIN = "km", "min"


class CostModel:
    """Straight-line km from each district's representative point to sites, in the area's UTM zone."""

    unit = KM

    def __init__(self, districts: gpd.GeoDataFrame, context: gpd.GeoDataFrame | None = None) -> None:
        self.crs = metric_crs(districts)
        #: The demand points' districts (ubigeo), in the districts' order.
        self.ubigeos = districts["ubigeo"].to_numpy()
        #: Each district's representative point (metres), NaN for a district without geometry.
        self.origins = representative_points(districts, self.crs)
        #: The demand points: the district of each (its position in ubigeos) and its share of
        #: the district's people. Here one per district, at its representative point.
        self.point_district = np.arange(len(self.ubigeos))
        self.point_share = np.ones(len(self.ubigeos))
        #: The points (metres) of the districts around the area (context: ubigeo, geometry),
        #: where a facility outside the area without a point of its own stands.
        around = context[context["ubigeo"].astype(bool)] if context is not None and len(context) else districts.iloc[0:0]
        around = around.drop_duplicates("ubigeo")
        self.around = pd.DataFrame(representative_points(around, self.crs), index=around["ubigeo"].to_numpy())
        #: The straight-line model of the same districts: this one (on roads, the km beside the minutes).
        self.straight = self

    @property
    def located(self) -> np.ndarray:
        """Whether each demand point has a location."""
        return ~np.isnan(self.origins).any(axis=1)

    def costs(self, sites: Sites) -> np.ndarray:
        """Cost from every demand point (rows, in the districts' order) to every site (columns):
        0 where the site counts in the demand point's district; NaN where either is unplaced."""
        cost = distances_km(self.origins, sites.xy)
        own = self.ubigeos[:, None] == sites.ubigeo[None, :]
        cost[own & self.located[:, None]] = 0.0
        return cost

    def point_costs(self, sites: Sites, *, limit: float | None = None) -> np.ndarray:
        """Cost from every demand point (rows) to every site (columns). With one point per
        district, the districts' costs. A cost beyond limit may be given as inf (roads cut
        their searches there); straight lines are all given."""
        return self.costs(sites)

    def nearest(self, sites: Sites, *, points: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The cost to the nearest site from each district (or demand point) and that site's
        position (see nearest_in)."""
        if points:
            return nearest_in(self.point_costs(sites), self.located[self.point_district])
        return nearest_in(self.costs(sites), self.located)

    def point_people(self, people: pd.Series) -> np.ndarray:
        """People at each demand point: its district's (people, by ubigeo; NaN unknown) times its share."""
        return people.reindex(self.ubigeos).to_numpy(float)[self.point_district] * self.point_share

    def per_district(self, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """A figure per demand point as one per district: the mean weighted by each point's share
        of the district's people (times weights, when given: 0 leaves a point out); NaN for a
        district without demand points."""
        share = self.point_share if weights is None else self.point_share * weights
        weighted = np.bincount(self.point_district, weights=share * values, minlength=len(self.ubigeos))
        shares = np.bincount(self.point_district, weights=share, minlength=len(self.ubigeos))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(shares > 0, weighted / shares, np.nan)

    def district_sites(self, counts: pd.Series) -> Sites:
        """Each host district's count (counts: by ubigeo; NA or 0 for none) at its point."""
        counts = counts.reindex(self.ubigeos).fillna(0).astype(float).to_numpy()
        hosts = counts > 0
        return Sites(self.ubigeos[hosts].astype(object), self.origins[hosts], counts[hosts])

    def facility_sites(self, points: pd.DataFrame, outside: pd.DataFrame | None = None) -> Sites:
        """One site per facility of points (ubigeo, lat, lon) at its point, or at its district's
        point when it has none (a shelter, no coordinates, or a point judged wrong); then one
        per facility of outside (ubigeo, lat, lon; outside the area) at its point, or at its
        district's when that district is one around the area (else it has no place)."""
        own = self._lonlat_xy(points)
        unplaced = np.isnan(own).any(axis=1)
        own[unplaced] = self.district_xy(points["ubigeo"])[unplaced]
        sites = Sites(points["ubigeo"].to_numpy().astype(object), own, np.ones(len(points)))
        if outside is not None and len(outside):
            beyond = self._lonlat_xy(outside)
            unplaced = np.isnan(beyond).any(axis=1)
            ubigeo = outside["ubigeo"] if "ubigeo" in outside else pd.Series(None, index=outside.index)
            beyond[unplaced] = self.around.reindex(ubigeo).to_numpy().reshape(-1, 2)[unplaced]
            placed = ~np.isnan(beyond).any(axis=1)
            sites = sites.plus(Sites(np.full(placed.sum(), None, dtype=object), beyond[placed], np.ones(placed.sum())))
        return sites

    def district_xy(self, ubigeos) -> np.ndarray:
        """x, y in metres of each district's point (NaN for a district not of the area)."""
        return pd.DataFrame(self.origins, index=self.ubigeos).reindex(list(ubigeos)).to_numpy().reshape(-1, 2)

    def district_lonlat(self, ubigeos) -> np.ndarray:
        """lon, lat of each district's point (NaN for a district not of the area): where a
        facility without a usable point is drawn, at the site the measures use."""
        xy = self.district_xy(ubigeos)
        points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=self.crs).to_crs("EPSG:4326")
        return np.column_stack([points.x.to_numpy(), points.y.to_numpy()]).reshape(-1, 2)

    def _lonlat_xy(self, frame: pd.DataFrame) -> np.ndarray:
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
        points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(self.crs)
        return np.column_stack([points.x.to_numpy(), points.y.to_numpy()]).reshape(-1, 2)


def nearest_in(cost: np.ndarray, located: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest cost of each row of cost (rows x sites) and its column: inf and -1 where
    no site is reached, NaN and -1 for a row without a location (located False)."""
    if not cost.shape[1]:
        return np.where(located, np.inf, np.nan), np.full(len(located), -1)
    cost = np.where(np.isnan(cost), np.inf, cost)
    best = cost.argmin(axis=1)  # ties go to the first site
    nearest = cost[np.arange(len(cost)), best]
    best = np.where(np.isinf(nearest) | ~located, -1, best)
    return np.where(located, nearest, np.nan), best


def sites_of(model: CostModel, service: str, counts: pd.Series, facilities=None) -> Sites:
    """A service's sites: its facilities (and those just outside the area) when the facility
    list (a Facilities) gives the service, else each host district's count (counts: by ubigeo)."""
    if facilities is not None and service in set(facilities.points["service"]):
        points = facilities.points[facilities.points["service"] == service]
        outside = facilities.outside[facilities.outside["service"] == service]
        return model.facility_sites(points, outside)
    return model.district_sites(counts)
