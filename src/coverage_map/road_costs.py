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
from .roads import RoadNetwork, demand_points, snap
from .travel import minutes_to


class RoadCostModel(CostModel):
    """Minutes along the streets of an OpenStreetMap extract from people's homes to sites."""

    unit = "min"

    def __init__(self, districts: gpd.GeoDataFrame, network: RoadNetwork) -> None:
        super().__init__(districts)
        self.network = network
        points = demand_points(network, districts)
        position = pd.Series(np.arange(len(self.ubigeos)), index=self.ubigeos)
        self.point_district = position.reindex(points["ubigeo"]).to_numpy()
        self.point_share = points["share"].to_numpy(float)
        self.point_node = points["node"].to_numpy()
        self._to_lonlat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)

    @property
    def located(self) -> np.ndarray:
        """Whether each district has people on the network (a street node inside it)."""
        return np.bincount(self.point_district, minlength=len(self.ubigeos)) > 0

    def site_nodes(self, sites: Sites) -> tuple[np.ndarray, np.ndarray]:
        """The street node each site is snapped to (-1 for a site without a point) and how far it is (m)."""
        lon, lat = self._to_lonlat.transform(sites.xy[:, 0], sites.xy[:, 1])
        return snap(self.network, np.column_stack([lon, lat]).reshape(-1, 2))

    def point_costs(self, sites: Sites) -> np.ndarray:
        """Minutes from every demand point to every site; inf where the streets do not reach it."""
        nodes, _ = self.site_nodes(sites)
        minutes = np.full((len(self.point_node), len(nodes)), np.inf)
        placed = nodes >= 0
        if placed.any() and len(self.point_node):
            minutes[:, placed] = minutes_to(self.network, self.point_node, nodes[placed])
        return minutes

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
