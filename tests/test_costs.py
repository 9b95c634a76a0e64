"""One cost model: every measure of distance reads costs.CostModel, and they agree.

The nearest district (coverage), E2SFCA access, the people beyond a catchment and the
plan all take their costs from the same model; a district reaches a site that counts in it
at cost 0, wherever in the district the site's point lies.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from coverage_map.costs import CostModel, distances_km, sites_of
from coverage_map.pipeline import analyse


@pytest.fixture(scope="module")
def directory_run(seeded_cache, shared_data):
    """Lima with MIMP's 2026 directory as the facility list (CEM, HRT, CAI, ... by point)."""
    return analyse(cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json")


def test_a_site_in_a_district_costs_it_nothing_wherever_its_point_is():
    # three 0.05-degree squares side by side (about 5.4 km each way)
    cells = [box(-77.1 + 0.05 * i, -12.1, -77.05 + 0.05 * i, -12.05) for i in range(3)]
    districts = gpd.GeoDataFrame({"ubigeo": ["150101", "150102", "150103"], "name": ["Lima", "Ancón", "Ate"]},
                                 geometry=cells, crs="EPSG:4326")
    model = CostModel(districts)
    lima = cells[0].bounds  # a point at Lima's south-west corner, far from its centre
    points = pd.DataFrame({"service": ["CEM"], "ubigeo": ["150101"], "lat": [lima[1]], "lon": [lima[0]]})
    sites = model.facility_sites(points)
    cost = model.costs(sites)
    assert cost[0, 0] == 0
    straight = distances_km(model.origins, sites.xy)
    assert straight[0, 0] > 1  # the corner is more than a km from Lima's point
    assert cost[1:, 0] == pytest.approx(straight[1:, 0])  # other districts: the straight line


def test_nearest_is_the_minimum_of_the_cost_row(directory_run):
    analysis = directory_run
    model, table = analysis.costs, analysis.coverage.table
    for service in ("CEM", "HRT", "CAI", "CIAM", "UPE"):
        rows = table[table["service"] == service].set_index("ubigeo").reindex(model.ubigeos)
        sites = sites_of(model, service, rows["count"], analysis.facilities)
        cost = np.where(np.isnan(model.costs(sites)), np.inf, model.costs(sites))
        row_min = np.where(cost.shape[1] > 0, cost.min(axis=1, initial=np.inf), np.inf)
        site_km = rows["nearest_site_km"].to_numpy(float)
        assert np.allclose(np.nan_to_num(site_km, nan=np.inf), row_min), service  # exact: files round
        in_area = cost[:, sites.in_area].min(axis=1, initial=np.inf)
        host_km = rows["nearest_km"].to_numpy(float)
        assert np.allclose(np.nan_to_num(host_km, nan=np.inf), in_area), service


def test_a_host_district_always_has_access_and_a_site_within_reach(directory_run):
    """Lurín hosts two CEM whose points lie more than 10 km from Lurín's representative point:
    it reaches them at 0 km, so it has access and none of its women are beyond the catchment."""
    table = directory_run.coverage.table
    hosts = table[(table["status"] == "present") & table["access"].notna()]
    assert len(hosts) > 100
    assert (hosts["access"] > 0).all(), hosts.loc[hosts["access"] <= 0, ["service", "district"]]
    assert (hosts["nearest_site_km"] == 0).all()
    lurin = table[(table["service"] == "CEM") & (table["district"] == "Lurín")].iloc[0]
    assert lurin["count"] == 2 and lurin["nearest_km"] == 0 and lurin["nearest_site_km"] == 0
    assert lurin["access"] > 0


def test_people_beyond_are_those_whose_nearest_site_lies_beyond_the_catchment(directory_run):
    analysis = directory_run
    table, summary = analysis.coverage.table, analysis.coverage.summary
    for service in ("CEM", "HRT", "UPE", "CAI"):
        rows = table[table["service"] == service]
        catchment = analysis.scales[service].catchment_km
        beyond = rows.loc[~(rows["nearest_site_km"] <= catchment), "target_population"].sum()
        assert summary.at[service, "people_beyond"] == pytest.approx(beyond, abs=len(rows) / 2), service
        # whoever has no site within the catchment has no access, and the other way round
        reached = rows["nearest_site_km"] <= catchment
        assert ((rows["access"] > 0) == reached).all(), service


@pytest.mark.parametrize("service", ["CEM", "HRT", "UPE"])
def test_the_plans_coverage_before_any_site_is_the_access_figures_reach(directory_run, service):
    """The plan's models count the same sites (those just outside the area included) at the
    same costs as the access figures: before any new site, the people it counts within the
    catchment are those the summary counts within it."""
    from coverage_map.plan import plan

    analysis = directory_run
    proposal = plan(analysis, service, add=1)
    summary = analysis.coverage.summary.loc[service]
    assert proposal.catchment == analysis.scales[service].catchment_km
    within = proposal.target_population - summary["people_beyond"]
    districts = len(analysis.districts)
    assert proposal.covered_before == pytest.approx(within, abs=districts / 2)  # people rounded per district


def test_people_are_measured_at_demand_points_and_brought_back_to_their_district():
    """A district split into demand points (as roads will do): half of B's people 5 km from the
    site, half 15 km; with a 10 km catchment half of them are beyond it, and B's access is the
    mean of its points'."""
    from coverage_map.accessibility import e2sfca, service_reach

    cells = [box(-77.1 + 0.05 * i, -12.1, -77.05 + 0.05 * i, -12.05) for i in range(2)]
    districts = gpd.GeoDataFrame({"ubigeo": ["150101", "150102"], "name": ["A", "B"]}, geometry=cells, crs="EPSG:4326")

    class SplitB(CostModel):
        def __init__(self, frame):
            super().__init__(frame)
            self.point_district = np.array([0, 1, 1])
            self.point_share = np.array([1.0, 0.5, 0.5])

        def point_costs(self, sites, *, limit=None):
            return np.array([[0.0], [5.0], [15.0]])

    model = SplitB(districts)
    sites = model.district_sites(pd.Series({"150101": 1}))
    people = pd.Series({"150101": 1000.0, "150102": 2000.0})
    reach = service_reach(model, sites, people, 10.0)
    beyond, share, weighted = reach.totals()
    assert beyond == 1000 and share == pytest.approx(2000 / 3000)
    assert weighted == pytest.approx((1000 * 5 + 1000 * 15) / 3000)
    points = e2sfca(pd.Series([1000.0, 1000.0, 1000.0]), model.point_costs(sites), np.array([1.0]), catchment=10.0)
    assert reach.access["150102"] == pytest.approx((points[1] + points[2]) / 2)
    assert points[2] == 0 and reach.access["150101"] == pytest.approx(points[0])
    assert reach.nearest["150102"] == pytest.approx(10.0)  # the people-weighted mean of 5 and 15
