"""Travel minutes along streets as the run's cost model: costs.CostModel with roads.

- demand: each district's people spread over the street nodes inside it (roads.demand_points:
  by street length, residential streets weighing more), so a big district is many points;
- sites: each site's point snapped to its nearest street node (roads.snap; the metres kept
  in `snapped_m`, a site farther than roads.SNAP_LIMIT_M flagged by the caller);
- cost: minutes from home to site along the network (travel.minutes_to, in the direction
  people travel); unreachable is inf, never a straight line. A site inside a district costs
  its people their minutes to it, not 0: the straight-line model's own-district rule stands
  in for the trip a single point per district cannot measure, which the streets now do.

A district's cost to a site (costs(): the nearest district, the gaps' distances) is the mean
of its demand points' minutes weighted by their people, over the points that reach the site;
people whose streets reach no site are counted at their points (point_costs()), beyond any
catchment.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from .costs import CostModel, Sites
from .formatting import number
from .roads import DEMAND_CELL_M, SNAP_LIMIT_M, RoadNetwork, demand_points, snap
from .texts import LANGUAGES, in_languages, listing, messages
from .travel import minutes_to, nearest_minutes


class RoadCostModel(CostModel):
    """Minutes along the streets of an OpenStreetMap extract from people's homes to sites."""

    unit = "min"

    def __init__(self, districts: gpd.GeoDataFrame, network: RoadNetwork,
                 context: gpd.GeoDataFrame | None = None, *, cell_m: float | None = DEMAND_CELL_M) -> None:
        super().__init__(districts, context)
        self.network = network
        #: The straight-line model of the same districts: the km shown beside the minutes.
        self.straight = CostModel(districts, context)
        #: The demand points (roads.demand_points: ubigeo, node, share), one per square of cell_m
        #: metres of a district (None: one per street node).
        self.points = demand_points(network, districts, cell_m=cell_m)
        position = pd.Series(np.arange(len(self.ubigeos)), index=self.ubigeos)
        self.point_district = position.reindex(self.points["ubigeo"]).to_numpy()
        self.point_share = self.points["share"].to_numpy(float)
        self.point_node = self.points["node"].to_numpy()
        self._to_lonlat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        #: The nearest-site search of each set of street nodes searched from (coverage and
        #: access ask it of the same sites): minutes and position per demand point.
        self._searched: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def located(self) -> np.ndarray:
        """Whether each district has people on the network (a street node inside it)."""
        return np.bincount(self.point_district, minlength=len(self.ubigeos)) > 0

    def site_nodes(self, sites: Sites) -> tuple[np.ndarray, np.ndarray]:
        """The street node each site is snapped to (-1 for a site without a point) and how far it is (m)."""
        lon, lat = self._to_lonlat.transform(sites.xy[:, 0], sites.xy[:, 1])
        return snap(self.network, np.column_stack([lon, lat]).reshape(-1, 2))

    def point_costs(self, sites: Sites, *, limit: float | None = None) -> np.ndarray:
        """Minutes from every demand point to every site; inf where the streets do not reach
        it (or take more than limit minutes: one search per site, cut there)."""
        nodes, _ = self.site_nodes(sites)
        minutes = np.full((len(self.point_node), len(nodes)), np.inf)
        placed = nodes >= 0
        if placed.any() and len(self.point_node):
            minutes[:, placed] = minutes_to(self.network, self.point_node, nodes[placed], limit=limit)
        return minutes

    def nearest(self, sites: Sites, *, points: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Minutes to the nearest site and its position, from each demand point (points) or
        district: one search from every site at once, without a limit. A district's minutes
        are its reaching people's mean, and its nearest site the one nearest to most of them;
        inf and -1 where none of its people reach a site, NaN and -1 off the network."""
        nodes, _ = self.site_nodes(sites)
        placed = np.flatnonzero(nodes >= 0)
        key = nodes[placed].tobytes()
        if key not in self._searched:
            self._searched[key] = nearest_minutes(self.network, self.point_node, nodes[placed])
        minutes, best = self._searched[key]
        best = np.where(best >= 0, placed[np.maximum(best, 0)] if len(placed) else -1, -1)  # back to sites' order
        if points:
            return minutes, best
        reached = np.isfinite(minutes)
        mean = self.per_district(np.where(reached, minutes, 0.0), weights=reached)
        share = pd.DataFrame({"district": self.point_district, "site": best, "share": self.point_share})
        share = share[share["site"] >= 0].groupby(["district", "site"])["share"].sum().reset_index()
        most = share.sort_values(["share", "site"], ascending=[False, True]).drop_duplicates("district")
        district_best = np.full(len(self.ubigeos), -1)
        district_best[most["district"].to_numpy()] = most["site"].to_numpy()
        mean = np.where(district_best >= 0, mean, np.inf)
        return np.where(self.located, mean, np.nan), district_best

    def costs(self, sites: Sites) -> np.ndarray:
        """Minutes from each district to each site: its reaching points' mean, weighted by their
        people; inf where none of its points reaches the site, NaN for a district off the network."""
        minutes = self.point_costs(sites)
        reached = np.isfinite(minutes)
        weight = self.point_share[:, None] * reached
        districts = len(self.ubigeos)
        total = np.zeros((districts, minutes.shape[1]))
        people = np.zeros((districts, minutes.shape[1]))
        np.add.at(total, self.point_district, np.where(reached, minutes, 0.0) * weight)
        np.add.at(people, self.point_district, weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            cost = np.where(people > 0, total / people, np.inf)
        cost[~self.located] = np.nan
        return cost


def road_findings(model: RoadCostModel, sites: dict[str, Sites], names: dict[str, str]) -> list[dict]:
    """The source checks (checks.COLUMNS) of the streets: each district without a street node
    inside it, and each service's site farther than SNAP_LIMIT_M from every street
    (sites: each service's, by code; names: district names by ubigeo)."""
    network = model.network
    where = network.name
    profile = in_languages(f"profile_{network.profile}")
    findings = [{"check": "roads_district_off", "service": "", "where": where, "source": where, "expected": ubigeo,
                 "found": "", **messages("check_roads_district_off", district=names.get(ubigeo, ubigeo),
                                         file=network.name, profile=profile)}
                for ubigeo in model.ubigeos[~model.located]]
    far: dict[tuple, list[str]] = {}  # one finding per point, naming every service there
    for service, found in sites.items():
        nodes, metres = model.site_nodes(found)
        lon, lat = model._to_lonlat.transform(found.xy[:, 0], found.xy[:, 1])
        for i in np.flatnonzero((nodes >= 0) & (metres > SNAP_LIMIT_M)):
            point = (found.ubigeo[i], round(lon[i], 5), round(lat[i], 5), round(metres[i]))
            far.setdefault(point, []).append(service)
    for (ubigeo, lon, lat, metres), services in far.items():
        findings.append({"check": "roads_far_site", "service": "", "where": where, "source": where,
                         "expected": f"{SNAP_LIMIT_M:.0f}", "found": str(metres),
                         **messages("check_roads_far_site", services={lang: listing(services, lang) for lang in LANGUAGES},
                                    district=names.get(ubigeo, ubigeo) or "—", lon=f"{lon:.5f}", lat=f"{lat:.5f}",
                                    metres={lang: number(metres, lang) for lang in LANGUAGES},
                                    file=network.name, limit=f"{SNAP_LIMIT_M:.0f}")})
    return findings
