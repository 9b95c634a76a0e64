"""A run with --roads: the options, the box read, catchments in minutes, the refusals, and a
city whose north has no streets (its people beyond every catchment, never a straight line)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import LIMA_BOX, write_street_grid

from coverage_map.cli import main
from coverage_map.errors import InputError
from coverage_map.inventory import load_catalogue
from coverage_map.pipeline import analyse
from coverage_map.roads import EARTH_RADIUS_M, reach_box
from coverage_map.scales import DEFAULT_CATCHMENT_MIN, pairs, service_scales

#: The south of the grid only: the streets end at this latitude (south of Carabayllo,
#: Puente Piedra, Ancón and Santa Rosa).
SOUTH_EDGE = -11.90


@pytest.fixture(scope="module")
def south_only(tmp_path_factory, seeded_cache):
    """A run on a street grid covering Lima south of SOUTH_EDGE."""
    box = (LIMA_BOX[0], LIMA_BOX[1], LIMA_BOX[2], SOUTH_EDGE)
    path = write_street_grid(tmp_path_factory.mktemp("south") / "south.osm.pbf", box)
    return analyse(cache=seeded_cache, roads=path)


def test_catchments_in_minutes_per_scale_and_from_the_option():
    scales = service_scales(load_catalogue(), catchments=pairs(["CEM=45min", "UPE=20 min"]), unit="min")
    assert scales["CEM"].catchment("min") == 45 and scales["CEM"].catchment_km == 10  # km untouched
    assert scales["UPE"].catchment("min") == 20 and scales["HRT"].catchment("min") == DEFAULT_CATCHMENT_MIN["network"]
    assert scales["CIAM"].catchment("min") == 30 and scales["OREDIS"].catchment("min") == 90
    with pytest.raises(InputError) as refused:
        service_scales(load_catalogue(), catchments=pairs(["CEM=-5min"]), unit="min")
    assert "CEM=-5min" in refused.value.text("es") and "30min" in refused.value.text("es")
    # a catchment in the other unit would go unused: refused, saying which unit the run measures in
    with pytest.raises(InputError) as refused:
        service_scales(load_catalogue(), catchments=pairs(["HRT=12"]), unit="min")
    assert "HRT=12" in refused.value.text("es") and "HRT=45min" in refused.value.text("es")
    with pytest.raises(InputError) as refused:
        service_scales(load_catalogue(), catchments=pairs(["HRT=45min"]))
    assert "--roads" in refused.value.text("en") and "HRT=5" in refused.value.text("en")


def test_the_box_read_is_the_area_widened_by_the_farthest_walk(grid_districts):
    districts = grid_districts(["Lima", "Breña"])
    west, south, east, north = districts.total_bounds
    box = reach_box(districts, 90, profile="walk")
    margin_m = 90 / 60 * 4.8 * 1000  # 7.2 km: an hour and a half on foot
    assert (north - south) + 2 * np.degrees(margin_m / EARTH_RADIUS_M) == pytest.approx(box[3] - box[1], rel=1e-9)
    assert box[0] < west and box[2] > east
    assert reach_box(districts, 90, profile="drive")[3] - north > 8 * (box[3] - north)  # 40 km/h on expressways


def test_a_run_on_streets_measures_in_minutes_and_keeps_the_straight_line_beside(roads_build):
    analysis, _ = roads_build
    assert analysis.unit == "min" and analysis.roads.name == "lima.osm.pbf" and analysis.roads.profile == "walk"
    table, summary = analysis.coverage.table, analysis.coverage.summary
    assert {"nearest_min", "nearest_km", "nearest_site_min"} <= set(table) and "nearest_site_km" not in table
    assert {"catchment_min", "weighted_min", "weighted_site_min"} <= set(summary) and "catchment_km" not in summary
    assert summary.at["HRT", "catchment_min"] == 60 and summary.at["CIAM", "catchment_min"] == 30
    hrt = table[table["service"] == "HRT"].set_index("district")
    # on an even grid, the districts far from every shelter in a straight line are far on foot too
    gaps = hrt[hrt["count"] == 0]
    assert gaps["nearest_min"].corr(gaps["nearest_km"], method="spearman") > 0.9
    assert hrt.at["Ancón", "nearest_min"] > 3 * 60  # the north is hours on foot from every shelter
    assert 0 < hrt.at["Lima", "nearest_min"] < 60  # a host district is at its people's minutes, not 0


def test_without_roads_nothing_is_in_minutes(default_build):
    analysis, _ = default_build
    assert analysis.unit == "km" and analysis.roads is None
    assert not [c for c in (*analysis.coverage.table, *analysis.coverage.summary) if c.endswith("_min")]


def test_districts_without_streets_get_no_minutes_a_finding_and_count_beyond(south_only):
    analysis = south_only
    north = analysis.districts.to_crs("EPSG:4326").representative_point().y > SOUTH_EDGE + 0.02
    names = set(analysis.districts.loc[north.to_numpy(), "name"])
    assert {"Ancón", "Santa Rosa"} <= names
    findings = analysis.checks[analysis.checks["check"] == "roads_district_off"]
    off = set(findings["expected"].map(dict(zip(analysis.districts["ubigeo"], analysis.districts["name"]))))
    assert {"Ancón", "Santa Rosa"} <= off
    assert findings["message_es"].str.contains("south.osm.pbf").all()
    hrt = analysis.coverage.table[analysis.coverage.table["service"] == "HRT"].set_index("district")
    assert hrt.loc[sorted(off), "nearest_min"].isna().all()  # never a straight line instead
    assert hrt.loc[sorted(off), "nearest_km"].notna().all()  # which stays beside, as such
    people_off = hrt.loc[sorted(off), "target_population"].sum()
    assert analysis.coverage.summary.at["HRT", "people_beyond"] >= people_off > 0


@pytest.mark.parametrize("lang, words", [("es", "no se puede leer como OpenStreetMap"),
                                         ("en", "cannot be read as OpenStreetMap")])
def test_a_file_that_is_not_openstreetmap_is_refused_in_one_line(tmp_path, seeded_cache, lang, words):
    bad = tmp_path / "lima.osm.pbf"
    bad.write_text("ubigeo,name\n150101,Lima\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--roads", str(bad), "--cache-dir", str(seeded_cache),
                                       "--lang", lang])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith(("Error", "error"))]
    assert len(errors) == 1 and words in errors[0] and "lima.osm.pbf" in errors[0]


def test_an_extract_of_elsewhere_is_refused_with_the_cut_to_make(tmp_path, seeded_cache):
    cusco = write_street_grid(tmp_path / "cusco.osm.pbf", (-72.0, -13.6, -71.9, -13.5), step=0.01)
    result = CliRunner().invoke(main, ["validate", "--roads", str(cusco), "--cache-dir", str(seeded_cache)])
    assert result.exit_code == 2 and "osmium extract --bbox" in result.output and "cusco.osm.pbf" in result.output
