"""The cost model on streets: people at their street nodes, minutes along the network.

A street grid (blocks of STEP degrees) written with pyosmium: district A (columns 0-2) holds
the site, district C (columns 3-5) is across the street from it, district B is an island
without a bridge. Minutes on the grid are counted in blocks by hand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from test_roads import BBOX, EAST_M, LAT0, LON0, NORTH_M, STEP, WALK_M_PER_MIN, grid, streets, write_osm

from coverage_map.accessibility import measure_access
from coverage_map.coverage import measure_coverage
from coverage_map.facilities import Facilities
from coverage_map.inventory import Inventory, load_catalogue, load_declared_totals
from coverage_map.road_costs import RoadCostModel
from coverage_map.roads import read_roads
from coverage_map.scales import Scale, apply_scales

HALF = STEP / 2
ISLAND_LON = LON0 + 0.02
PEOPLE = {"150101": 1000.0, "150102": 500.0, "150103": 2000.0}  # A, B (island), C


@pytest.fixture
def town(tmp_path):
    land_ids, land = grid(3, 6)
    island_ids, island = grid(2, 2, first_id=100, lon0=ISLAND_LON)
    path = write_osm(tmp_path / "town.osm.pbf", land | island, streets(land_ids) + streets(island_ids))
    network = read_roads(path, profile="walk", bbox=BBOX)
    districts = gpd.GeoDataFrame({
        "ubigeo": ["150101", "150102", "150103"], "name": ["A", "B", "C"],
    }, geometry=[
        box(LON0 - HALF, LAT0 - HALF, LON0 + 2 * STEP + HALF, LAT0 + 2 * STEP + HALF),
        box(ISLAND_LON - HALF, LAT0 - HALF, ISLAND_LON + STEP + HALF, LAT0 + STEP + HALF),
        box(LON0 + 2 * STEP + HALF, LAT0 - HALF, LON0 + 5 * STEP + HALF, LAT0 + 2 * STEP + HALF),
    ], crs="EPSG:4326")
    site = land[int(land_ids[1, 1])]  # in A, row 1, column 1
    points = pd.DataFrame({"service": ["HRT"], "ubigeo": ["150101"], "lat": [site[1]], "lon": [site[0]]})
    return districts, network, Facilities(points=points, columns={})


def hand_minutes(lon: float, lat: float) -> float:
    """Blocks from a land node to the site at row 1, column 1, walked along the grid."""
    rows, cols = round(abs(lat - (LAT0 + STEP)) / STEP), round(abs(lon - (LON0 + STEP)) / STEP)
    return (rows * NORTH_M + cols * EAST_M) / WALK_M_PER_MIN


def measured(districts, network, facilities, catchment: float):
    model = RoadCostModel(districts, network, cell_m=None)  # a demand point at every street node
    counts = pd.DataFrame({"service": "HRT", "ubigeo": ["150101"], "count": [1], "written": "", "source": "test"})
    inventory = Inventory(counts=counts, scope={"HRT": tuple(districts["ubigeo"])})
    coverage = measure_coverage(districts, inventory, load_catalogue(), load_declared_totals().iloc[0:0],
                                facilities=facilities, costs=model)
    scales = {"HRT": Scale("network", 10.0, "", "", catchment_min=catchment)}
    coverage = measure_access(apply_scales(coverage, scales), districts, scales, pd.DataFrame({"HRT": PEOPLE}),
                              facilities=facilities, costs=model)
    return model, coverage


def test_people_beyond_are_counted_at_their_street_nodes_by_hand(town):
    districts, network, facilities = town
    catchment = 3.5 * EAST_M / WALK_M_PER_MIN  # three and a half blocks east
    model, coverage = measured(districts, network, facilities, catchment)
    points = model.points
    lonlat = network.lonlat[points["node"].to_numpy()]
    on_land = points["ubigeo"] != "150102"
    minutes = np.where(on_land, [hand_minutes(*p) for p in lonlat], np.inf)
    people = points["ubigeo"].map(PEOPLE) * points["share"]
    expected_beyond = people[minutes > catchment].sum()
    summary = coverage.summary.loc["HRT"]
    assert 500 < expected_beyond < 3500  # the island, and part of C
    assert summary["people_beyond"] == round(expected_beyond)
    weighted = (people * minutes)[on_land].sum() / people[on_land].sum()
    assert summary["weighted_site_min"] == pytest.approx(weighted, rel=1e-5)
    assert "weighted_site_km" not in summary and summary["catchment_min"] == catchment
    assert model.point_costs(model.district_sites(pd.Series({"150101": 1}))).shape == (len(points), 1)


def test_an_island_reaches_no_site_and_never_falls_back_to_a_straight_line(town):
    districts, network, facilities = town
    _, coverage = measured(districts, network, facilities, 100.0)
    rows = coverage.table.set_index("ubigeo")
    assert rows.at["150102", "access"] == 0
    assert pd.isna(rows.at["150102", "nearest_site_min"]) and pd.isna(rows.at["150102", "nearest_min"])
    assert pd.isna(rows.at["150102", "nearest_district"])
    assert coverage.summary.at["HRT", "people_beyond"] == 500  # the island's people, whatever the catchment
    assert rows.at["150103", "nearest_district"] == "A" and rows.at["150103", "access"] > 0


def test_a_districts_minutes_are_its_peoples_mean(town):
    districts, network, facilities = town
    model, coverage = measured(districts, network, facilities, 100.0)
    points = model.points
    c = points[points["ubigeo"] == "150103"]
    lonlat = network.lonlat[c["node"].to_numpy()]
    mean = np.average([hand_minutes(*p) for p in lonlat], weights=c["share"])
    rows = coverage.table.set_index("ubigeo")
    assert rows.at["150103", "nearest_min"] == pytest.approx(mean, rel=1e-5)
    a = points[points["ubigeo"] == "150101"]
    own = np.average([hand_minutes(*p) for p in network.lonlat[a["node"].to_numpy()]], weights=a["share"])
    assert rows.at["150101", "nearest_district"] == "A"  # a host district is its own nearest...
    assert rows.at["150101", "nearest_min"] == pytest.approx(own, rel=1e-5) and own > 0  # ...at its people's minutes
    assert rows.at["150101", "nearest_km"] == 0  # the straight line beside them: a host at 0
