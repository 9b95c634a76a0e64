"""E2SFCA access across district lines, checked against the formula written out here.

The oracle is the enhanced two-step floating catchment of Luo and Qi (2009) with a
Gaussian weight, computed by hand from the districts' points:

    R_j = S_j / sum_k P_k W(d_kj)        over districts k within the catchment of site j
    A_i = 1e5 * sum_j R_j W(d_ij)        over sites j within the catchment of district i
    W(d) = exp(-d^2 / (2 sigma^2)),  sigma = catchment / 2

The fixtures are small squares placed by hand (no real boundaries), so every distance is
known from the geometry alone.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from coverage_map.accessibility import e2sfca, measure_access
from coverage_map.coverage import measure_coverage
from coverage_map.facilities import Facilities
from coverage_map.inventory import Inventory, load_catalogue, load_declared_totals
from coverage_map.scales import Scale, apply_scales

UTM18S = "EPSG:32718"
KM = 1000.0


def squares(centres_km: dict[str, tuple[float, float]], side_km: float = 2.0) -> gpd.GeoDataFrame:
    """Districts as squares of side_km centred at (x, y) km, in UTM 18S around Lima."""
    x0, y0 = 280_000.0, 8_660_000.0  # about Lima's centre
    half = side_km * KM / 2
    geometry = [box(x0 + x * KM - half, y0 + y * KM - half, x0 + x * KM + half, y0 + y * KM + half)
                for x, y in centres_km.values()]
    frame = gpd.GeoDataFrame({"ubigeo": list(centres_km)}, geometry=geometry, crs=UTM18S).to_crs("EPSG:4326")
    frame["name"] = frame["ubigeo"]
    return frame


def weight(d_km: float, catchment_km: float) -> float:
    sigma = catchment_km / 2
    return math.exp(-d_km**2 / (2 * sigma**2)) if d_km <= catchment_km else 0.0


def hand_e2sfca(people: dict, sites: dict, km: dict, catchment_km: float) -> dict:
    """The formula, written out: people per district, sites' supply, km[(district, site)]."""
    ratio = {}
    for j, supply in sites.items():
        load = sum(p * weight(km[i, j], catchment_km) for i, p in people.items())
        ratio[j] = supply / load if load else 0.0
    return {i: 1e5 * sum(ratio[j] * weight(km[i, j], catchment_km) for j in sites) for i in people}


def hrt_coverage(districts: gpd.GeoDataFrame, hosts: dict[str, int], catchment_km: float):
    """HRT (a network service) counted in hosts, every other district of the fixture without one."""
    counts = pd.DataFrame({"service": "HRT", "ubigeo": list(hosts), "count": list(hosts.values()),
                           "written": "", "source": "test"})
    prefixes = tuple(districts["ubigeo"])
    inventory = Inventory(counts=counts, scope={"HRT": prefixes})
    coverage = measure_coverage(districts, inventory, load_catalogue(), load_declared_totals().iloc[0:0])
    scales = {"HRT": Scale("network", catchment_km, "", "")}
    return apply_scales(coverage, scales), scales


def by_district(coverage, column: str) -> pd.Series:
    rows = coverage.table[coverage.table["service"] == "HRT"]
    return rows.set_index("ubigeo")[column]


# 1. One site shared by two districts: a shelter in A serves B (4 km away) too; C, 14 km
# away, is beyond the 10 km catchment.

SHARED = {"150101": (0.0, 0.0), "150102": (4.0, 0.0), "150103": (14.0, 0.0)}
PEOPLE = {"150101": 1000.0, "150102": 3000.0, "150103": 500.0}


def test_one_site_shared_by_two_districts_matches_the_formula():
    districts = squares(SHARED)
    coverage, scales = hrt_coverage(districts, {"150101": 1}, 10.0)
    targets = pd.DataFrame({"HRT": PEOPLE})
    coverage = measure_access(coverage, districts, scales, targets)

    km = {(i, "A"): math.dist(SHARED[i], SHARED["150101"]) for i in SHARED}
    expected = hand_e2sfca(PEOPLE, {"A": 1.0}, km, 10.0)
    # by hand: R = 1 / (1000 * 1 + 3000 * exp(-16 / 50)); A's access R * 1e5, B's R * W(4) * 1e5
    r = 1 / (1000 + 3000 * math.exp(-16 / 50))
    assert expected["150101"] == pytest.approx(1e5 * r)
    assert expected["150102"] == pytest.approx(1e5 * r * math.exp(-16 / 50))
    access = by_district(coverage, "access")
    for ubigeo, value in expected.items():
        assert access[ubigeo] == pytest.approx(value, abs=1e-3), ubigeo
    assert access["150103"] == 0  # beyond the catchment: no access, but measured
    assert coverage.access_measured == {"HRT"}

    summary = coverage.summary.loc["HRT"]
    assert summary["people_beyond"] == 500
    assert summary["share_within"] == pytest.approx(4000 / 4500, abs=1e-4)
    assert summary["weighted_site_km"] == pytest.approx((3000 * 4 + 500 * 14) / 4500, abs=0.05)
    assert by_district(coverage, "nearest_site_km").to_dict() == pytest.approx(
        {"150101": 0.0, "150102": 4.0, "150103": 14.0}, abs=0.05)


def test_sharing_a_site_lowers_the_access_of_both_districts():
    """The point of the method: a site counted once, shared by the people within reach."""
    districts = squares(SHARED)
    coverage, scales = hrt_coverage(districts, {"150101": 1}, 10.0)
    alone = measure_access(coverage, districts, scales, pd.DataFrame({"HRT": {**PEOPLE, "150102": 0.0}}))
    shared = measure_access(coverage, districts, scales, pd.DataFrame({"HRT": PEOPLE}))
    assert by_district(alone, "access")["150101"] == pytest.approx(1e5 / 1000, abs=1e-3)
    assert by_district(shared, "access")["150101"] < by_district(alone, "access")["150101"]


# 2. A site across the area's edge: the area is A and B; a facility 3 km east of B, outside
# the area, serves B (and A, 9 km away) within the 10 km catchment, beside a facility in A.

EDGE = {"150101": (0.0, 0.0), "150102": (6.0, 0.0)}
OUTSIDE_KM = (9.0, 0.0)


def lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    point = gpd.GeoSeries(gpd.points_from_xy([280_000 + x_km * KM], [8_660_000 + y_km * KM]), crs=UTM18S)
    point = point.to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def facilities(points: pd.DataFrame, outside: pd.DataFrame | None = None) -> Facilities:
    """A facility list of points (service, ubigeo, lat, lon) and those outside the area."""
    if outside is None:
        outside = pd.DataFrame(columns=["service", "lat", "lon"])
    return Facilities(points=points, columns={}, outside=outside)


def test_a_site_across_the_areas_edge_serves_it_within_the_catchment():
    districts = squares(EDGE)
    inside_lon, inside_lat = lonlat(0.0, 1.0)  # in A, 1 km north of its centre
    out_lon, out_lat = lonlat(*OUTSIDE_KM)
    sites = pd.DataFrame({"service": ["HRT"], "ubigeo": ["150101"], "lat": [inside_lat], "lon": [inside_lon]})
    outside = pd.DataFrame({"service": ["HRT"], "lat": [out_lat], "lon": [out_lon]})
    coverage, scales = hrt_coverage(districts, {"150101": 1}, 10.0)
    people = {"150101": 2000.0, "150102": 1000.0}
    targets = pd.DataFrame({"HRT": people})

    with_edge = measure_access(coverage, districts, scales, targets, facilities=facilities(sites, outside))
    without = measure_access(coverage, districts, scales, targets, facilities=facilities(sites))

    site_points = {"in": (0.0, 1.0), "out": OUTSIDE_KM}
    km = {(i, j): math.dist(EDGE[i], site_points[j]) for i in EDGE for j in site_points}
    km["150101", "in"] = 0.0  # A reaches the site inside it at no cost (costs.py)
    expected = hand_e2sfca(people, {"in": 1.0, "out": 1.0}, km, 10.0)
    access = by_district(with_edge, "access")
    for ubigeo, value in expected.items():
        assert access[ubigeo] == pytest.approx(value, abs=1e-3), ubigeo
    alone = hand_e2sfca(people, {"in": 1.0}, km, 10.0)
    assert by_district(without, "access").to_dict() == pytest.approx(alone, abs=1e-3)
    assert access["150102"] > by_district(without, "access")["150102"]
    # B is 3 km from the outside site, 6.1 km from A's
    assert by_district(with_edge, "nearest_site_km")["150102"] == pytest.approx(3.0, abs=0.05)
    assert with_edge.summary.at["HRT", "people_beyond"] == 0


def test_a_site_beyond_the_catchment_across_the_edge_serves_nobody():
    districts = squares(EDGE)
    out_lon, out_lat = lonlat(30.0, 0.0)
    outside = pd.DataFrame({"service": ["HRT"], "lat": [out_lat], "lon": [out_lon]})
    sites = pd.DataFrame({"service": ["HRT"], "ubigeo": ["150101"], "lat": [np.nan], "lon": [np.nan]})
    coverage, scales = hrt_coverage(districts, {"150101": 1}, 10.0)
    targets = pd.DataFrame({"HRT": {"150101": 2000.0, "150102": 1000.0}})
    with_far = measure_access(coverage, districts, scales, targets, facilities=facilities(sites, outside))
    without = measure_access(coverage, districts, scales, targets, facilities=facilities(sites))
    pd.testing.assert_frame_equal(with_far.table, without.table)


def test_e2sfca_on_points_without_a_location_or_a_site_in_reach():
    demand = pd.Series([100.0, 100.0, 100.0], index=["a", "b", "c"])
    cost = np.array([[0.0], [np.nan], [50.0]])  # b has no location
    access = e2sfca(demand, cost, np.array([2.0]), catchment=10.0)
    assert access["a"] == pytest.approx(2 / 100 * 1e5)
    assert np.isnan(access["b"]) and access["c"] == 0


def test_without_population_access_is_not_measured(caplog):
    districts = squares(SHARED)
    coverage, scales = hrt_coverage(districts, {"150101": 1}, 10.0)
    with caplog.at_level("DEBUG", logger="coverage_map"):
        measured = measure_access(coverage, districts, scales, None)
    assert measured.table["access"].isna().all() and measured.summary["people_beyond"].isna().all()
    assert measured.access_measured == frozenset()
    assert "needs the population" in caplog.text


# 3. End to end: a facility list whose CEM in Callao serves Lima's western districts.


def test_a_facility_just_outside_the_area_serves_its_access(seeded_cache, tmp_path):
    from coverage_map.pipeline import analyse

    rows = [
        "tipo,nombre,ubigeo,lat,lon",
        "CEM,CEM Lima,150101,-12.0464,-77.0428",
        "CEM,CEM Bellavista,070102,-12.0620,-77.1150",  # Callao: outside Lima Metropolitana
    ]
    path = tmp_path / "cem.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    inside_only = tmp_path / "cem_lima.csv"
    inside_only.write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")

    both = analyse(cache=seeded_cache, facilities=path)
    lima_only = analyse(cache=seeded_cache, facilities=inside_only)
    assert both.facilities.outside[["service"]].to_dict("list") == {"service": ["CEM"]}
    assert both.facilities.left_out == 1
    # it counts in no district of the area, but serves it
    assert both.coverage.summary.at["CEM", "hosts"] == 1 == lima_only.coverage.summary.at["CEM", "hosts"]
    access = {a: x.coverage.table.query("service == 'CEM'").set_index("district") for a, x in
              (("both", both), ("lima", lima_only))}
    assert access["both"].at["San Miguel", "access"] > access["lima"].at["San Miguel", "access"]
    assert access["both"].at["San Miguel", "nearest_site_km"] < access["lima"].at["San Miguel", "nearest_site_km"]
    far = "Pucusana"  # 60 km away from both: untouched
    assert access["both"].at[far, "access"] == access["lima"].at[far, "access"] == 0
