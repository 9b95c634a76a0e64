import math

import pandas as pd
import pytest

from coverage_map.costs import distances_km, representative_points
from coverage_map.coverage import GAP, PRESENT, UNKNOWN, measure_coverage
from coverage_map.districts import load_gazetteer
from coverage_map.facilities import Facilities
from coverage_map.inventory import Inventory, load_catalogue, load_declared_totals

# Neighbouring grid squares are 0.02 degrees apart: at latitude 12 S that is about
# 0.02 * 111.32 * cos(12 deg) = 2.18 km east-west and 0.02 * 110.6 = 2.21 km north-south.
EAST_KM = 0.02 * 111.32 * math.cos(math.radians(12.2))


@pytest.fixture
def districts(grid_districts):
    grid = grid_districts()
    gazetteer = load_gazetteer()
    grid["ubigeo"] = grid["distrito"].map(gazetteer.lookup)
    grid["name"] = grid["distrito"]
    return grid


def inventory(rows, services):
    counts = pd.DataFrame(rows, columns=["service", "ubigeo", "count"]).assign(written="", source="test")
    return Inventory(counts=counts, scope=dict.fromkeys(services, ("1501",)))


def measure(districts, rows, services=("CIAM",)):
    return measure_coverage(districts, inventory(rows, services), load_catalogue(), load_declared_totals())


def test_three_states_present_gap_unknown(districts):
    coverage = measure(districts, [("CIAM", "150101", 2)])
    table = coverage.table.set_index(["service", "ubigeo"])
    assert table.loc[("CIAM", "150101"), "status"] == PRESENT
    assert table.loc[("CIAM", "150101"), "count"] == 2
    assert table.loc[("CIAM", "150102"), "status"] == GAP
    assert table.loc[("CIAM", "150102"), "count"] == 0
    cem = table.loc["CEM"]
    assert (cem["status"] == UNKNOWN).all() and cem["count"].isna().all() and cem["nearest_km"].isna().all()


def test_nearest_host_and_distance(districts):
    coverage = measure(districts, [("CIAM", "150101", 1), ("CIAM", "150107", 1)])
    table = coverage.table[coverage.table["service"] == "CIAM"].set_index("ubigeo")
    # Lima is square 0 and Chaclacayo square 6 of the first row; Ancón (square 1) is next to Lima
    assert table.at["150101", "nearest_km"] == 0 and table.at["150101", "nearest_district"] == "Lima"
    assert table.at["150102", "nearest_district"] == "Lima"
    assert table.at["150102", "nearest_km"] == pytest.approx(EAST_KM, abs=0.05)
    assert table.at["150106", "nearest_district"] == "Chaclacayo"  # square 5, next to square 6
    # Chorrillos (square 7) is straight north of Lima: one row up
    assert table.at["150108", "nearest_district"] == "Lima"
    assert table.at["150108", "nearest_km"] == pytest.approx(2.21, abs=0.05)


def test_a_district_without_geometry_keeps_its_status_but_has_no_distance(districts):
    districts.loc[districts["ubigeo"] == "150102", "geometry"] = None
    coverage = measure(districts, [("CIAM", "150101", 1)])
    ancon = coverage.table.set_index(["service", "ubigeo"]).loc[("CIAM", "150102")]
    assert ancon["status"] == GAP
    assert pd.isna(ancon["nearest_district"]) and math.isnan(ancon["nearest_km"])


def test_summary_counts_hosts_gaps_and_totals(districts):
    coverage = measure(districts, [("CIAM", "150101", 2), ("CIAM", "150102", 1)])
    ciam = coverage.summary.loc["CIAM"]
    assert (ciam["districts"], ciam["hosts"], ciam["gaps"], ciam["unknown"]) == (43, 2, 41, 0)
    assert (ciam["listed_total"], ciam["declared_total"]) == (3, 43)
    cem = coverage.summary.loc["CEM"]
    assert cem["unknown"] == 43 and pd.isna(cem["listed_total"]) and cem["declared_total"] == 65


def test_a_service_listed_nowhere_is_a_gap_everywhere(districts):
    coverage = measure(districts, [], services=("CIAM",))
    assert coverage.summary.at["CIAM", "gaps"] == 43
    assert coverage.table.loc[coverage.table["service"] == "CIAM", "nearest_district"].isna().all()


def test_matrix_and_gaps(districts):
    coverage = measure(districts, [("CIAM", "150101", 1)])
    matrix = coverage.matrix()
    assert list(matrix.columns[:3]) == ["ubigeo", "district", "CEM"]
    assert matrix.set_index("ubigeo").at["150101", "CIAM"] == 1
    assert len(coverage.gaps("CIAM")) == 42


def test_distances_are_symmetric_with_zero_diagonal(districts):
    points = representative_points(districts)
    km = distances_km(points, points)
    assert km.shape == (43, 43)
    assert (km.diagonal() == 0).all()
    assert (km == km.T).all()


def test_distances_to_facilities_use_their_points_and_a_shelters_district(districts):
    # one CIAM centre in Lima's square, at its south-west corner; one shelter-like site without
    # coordinates in Chaclacayo (square 6) stands at that district's representative point
    sites = pd.DataFrame({"service": ["CIAM", "CIAM"], "ubigeo": ["150101", "150107"],
                          "lat": [-12.2, float("nan")], "lon": [-77.1, float("nan")]})
    facilities = Facilities(points=sites, columns={})
    coverage = measure_coverage(districts, inventory([("CIAM", "150101", 1), ("CIAM", "150107", 1)], ["CIAM"]),
                                load_catalogue(), load_declared_totals(), facilities=facilities)
    table = coverage.table[coverage.table["service"] == "CIAM"].set_index("ubigeo")
    assert table.at["150101", "nearest_km"] == 0
    # Ancón's centre is 0.03 degrees east and 0.01 north of Lima's corner
    expected = math.hypot(0.03 * 111.32 * math.cos(math.radians(12.19)), 0.01 * 110.6)
    assert table.at["150102", "nearest_km"] == pytest.approx(expected, abs=0.05)
    assert table.at["150106", "nearest_district"] == "Chaclacayo"
    assert table.at["150106", "nearest_km"] == pytest.approx(EAST_KM, abs=0.05)


def test_distances_are_measured_in_the_utm_zone_of_the_area(districts):
    from coverage_map.boundaries import metric_crs

    assert metric_crs(districts) == "EPSG:32718"  # Lima, zone 18S
    assert metric_crs(districts.translate(xoff=5.5)) == "EPSG:32719"  # Arequipa, Puno
    assert metric_crs(districts.translate(xoff=-3.5)) == "EPSG:32717"  # Piura, Tumbes
