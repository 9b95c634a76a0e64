"""coverage.geojson as written text: six decimals at most, one JSON type per property, RFC 7946."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geojson_pydantic import FeatureCollection
from shapely.geometry import MultiPolygon, Polygon

from coverage_map.export import geojson_geometries, write_csv, write_geojson

#: Every number inside a "coordinates" member (the properties hold no such arrays).
COORDINATES = re.compile(r'"coordinates":(\[[^"]*\])')
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
#: At most six decimals, no trailing zero after the point, no exponent, no "-0".
SIX_DECIMALS = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d{0,5}[1-9])?")


def numbers_in_coordinates(text: str) -> list[str]:
    return [n for block in COORDINATES.findall(text) for n in NUMBER.findall(block)]


def test_coordinates_are_written_with_six_decimals_as_text(tmp_path):
    # GEOS writes 17 significant digits: even the double nearest -11.572546 comes out long
    y = -11.572546
    assert shapely.to_geojson(shapely.Point(-77, y)) == '{"type":"Point","coordinates":[-77.0,-11.572546000000001]}'
    ring = [(-77.0, y), (-76.9999996, -11.0000004), (-76.5, -11.25), (-77.0, y)]  # clockwise
    layer = gpd.GeoDataFrame({"ubigeo": ["150101"]}, geometry=[Polygon(ring)], crs="EPSG:4326")
    write_geojson(layer, tmp_path / "c.geojson")
    text = (tmp_path / "c.geojson").read_text(encoding="utf-8")
    # reversed to counter-clockwise; zeros left by "%.6f" dropped, and the point with them
    expected = "[[[-77,-11.572546],[-76.5,-11.25],[-77,-11],[-77,-11.572546]]]"
    assert f'"geometry": {{"type":"Polygon","coordinates":{expected}}}' in text
    assert "crs" not in json.loads(text)


def test_formatting_matches_printf_for_many_values():
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.uniform(-82, -68, 500), rng.uniform(-1e-6, 1e-6, 50), np.round(rng.uniform(-20, 0, 50), 3)])
    ys = np.concatenate([rng.uniform(-19, 0, 500), rng.uniform(-1e-6, 1e-6, 50), [-12.0] * 50])
    text = geojson_geometries(shapely.points(xs, ys))
    for (x, y), written in zip(zip(xs, ys), text):
        point = json.loads(written)["coordinates"]
        assert point == [float(f"{x:.6f}"), float(f"{y:.6f}")]
        assert all(SIX_DECIMALS.fullmatch(n) for n in NUMBER.findall(written.split(":", 2)[2]))


def test_geometry_types_nulls_and_empties():
    geometries = [
        shapely.box(0, 0, 1, 1),
        None,
        MultiPolygon([shapely.box(0, 0, 1, 1), Polygon([(2, 2), (3, 2), (3, 3), (2, 2)], [[(2.6, 2.2), (2.8, 2.2), (2.8, 2.4), (2.6, 2.2)]])]),
        Polygon(),
        shapely.LineString([(0.5, 0.25), (1.125, 1.0000001)]),
    ]
    written = geojson_geometries(np.array(geometries, dtype=object))
    assert written[1] == "null"
    assert written[3] == '{"type":"Polygon","coordinates":[]}'
    assert written[4] == '{"type":"LineString","coordinates":[[0.5,0.25],[1.125,1]]}'
    for geometry, text in zip(geometries, written):
        if geometry is not None and not geometry.is_empty:
            assert shapely.from_geojson(text).equals_exact(geometry, 1e-6)


@pytest.fixture(scope="module")
def written(default_build):
    analysis, out = default_build
    return analysis, (out / "coverage.geojson").read_text(encoding="utf-8")


def test_every_coordinate_of_the_build_has_at_most_six_decimals(written):
    _, text = written
    numbers = numbers_in_coordinates(text)
    assert len(numbers) > 100_000  # the detailed boundaries of 43 districts, x and y
    assert [n for n in numbers if not SIX_DECIMALS.fullmatch(n)] == []


def test_the_build_is_valid_rfc7946(written):
    analysis, text = written
    collection = FeatureCollection.model_validate_json(text)  # structure, closed rings, positions
    assert len(collection.features) == 43
    raw = json.loads(text)
    assert "crs" not in raw
    for feature in raw["features"]:
        for polygon in shapely.geometry.shape(feature["geometry"]).geoms:
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)
    # the coordinates are the boundaries, to the sixth decimal
    written_shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in raw["features"]])
    original = analysis.districts.geometry.to_crs("EPSG:4326").to_numpy()
    assert shapely.equals_exact(shapely.normalize(written_shapes), shapely.normalize(original), 0.5e-6 + 1e-12).all()


def test_per_centre_and_counts_are_integers_or_null_in_every_feature(written):
    analysis, text = written
    features = json.loads(text)["features"]
    for suffix in ("_per_centre", "_people", "_count"):
        values = [v for f in features for k, v in f["properties"].items() if k.endswith(suffix)]
        assert values and {type(v) for v in values} <= {int, type(None)}, suffix
        # as text too: no "123.0" anywhere
        assert not re.search(rf'{suffix}": -?\d+\.\d', text), suffix
    table = analysis.coverage.table
    expected = table[table["service"] == "CAI"].set_index("ubigeo")["people_per_centre"]
    # CAI is metropolitan: one centre for the whole area is not divided by its host district's
    # men, so its people per centre are null everywhere, and such a property is left out
    assert expected.isna().all()
    assert not any("CAI_per_centre" in f["properties"] for f in features)
    assert all("CAI_count" in f["properties"] for f in features)
    hrt = {f["properties"]["ubigeo"]: f["properties"]["HRT_per_centre"] for f in features}
    assert hrt["150101"] is not None and hrt["150103"] is None  # a shelter in Lima, none in Ate


def test_csv_has_a_bom_for_excel_and_lf_line_ends(tmp_path):
    path = tmp_path / "gaps.csv"
    write_csv(pd.DataFrame({"district": ["Rímac"], "km": [5.4]}), path)
    assert path.read_bytes() == "\ufeffdistrict,km\nRímac,5.4\n".encode()


def test_no_property_of_the_build_is_null_in_every_feature(written):
    analysis, text = written
    features = json.loads(text)["features"]
    names = {name for feature in features for name in feature["properties"]}
    assert [name for name in sorted(names) if all(f["properties"].get(name) is None for f in features)] == []
    assert all(set(f["properties"]) == names for f in features)  # one schema for every feature
    # services without district data (CEM, CAR NNA, ...) have no properties at all
    assert {name.rsplit("_", 1)[0] for name in names if name.endswith("_count")} == set(analysis.coverage.mapped())
    assert "CEM_count" not in names and "CIAM_gap" in names


def test_a_property_null_in_every_feature_is_left_out(tmp_path):
    """A service no district has (every district a gap): no nearest host, no km to it; a
    GIS would read such a property as text."""
    layer = gpd.GeoDataFrame(
        {"ubigeo": ["150101", "150102"], "S_count": pd.array([0, 0], dtype="Int64"),
         "S_gap": pd.array([True, True], dtype="boolean"), "S_nearest": [None, None], "S_km": [np.nan, np.nan],
         "T_km": [np.nan, 1.5]},
        geometry=[Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(1, 0), (2, 0), (2, 1)])], crs="EPSG:4326")
    write_geojson(layer, tmp_path / "layer.geojson")
    features = json.loads((tmp_path / "layer.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"] for f in features] == [
        {"ubigeo": "150101", "S_count": 0, "S_gap": True, "T_km": None},
        {"ubigeo": "150102", "S_count": 0, "S_gap": True, "T_km": 1.5},
    ]
