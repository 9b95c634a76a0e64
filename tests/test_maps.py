"""The map page: classification, escaping, offline, languages, geometry and size."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import html5lib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, Polygon

from coverage_map.cli import main
from coverage_map.errors import InputError
from coverage_map.maps import basemap_tiles, map_data, render_map, script_json

HOSTILE = "</script><img src=x onerror=\"document.title='XSS'\">"
#: Strings inside Leaflet that look like URLs but are never fetched (an XML namespace, and
#: the link of Leaflet's default attribution prefix, which the page turns off).
INERT_URLS = {"http://www.w3.org/2000/svg", "https://leafletjs.com"}


@pytest.fixture(scope="module")
def analysis(default_build):
    return default_build[0]


@pytest.fixture(scope="module")
def page(default_build) -> str:
    return (default_build[1] / "map.html").read_text(encoding="utf-8")


def embedded(html: str) -> dict:
    """The JSON data block of a page, as the browser's parser sees it."""
    document = html5lib.parse(html, namespaceHTMLElements=False)
    block = document.find(".//script[@id='cm-data']")
    return json.loads(block.text)


# ---- what the page holds ---------------------------------------------------------------


def test_layers_hold_the_seed_coverage(page):
    data = embedded(page)
    names = [d["name"] for d in data["districts"]]
    assert len(names) == 43 and len(data["layers"]) == 17

    def districts_with(code, status):
        return sorted(n for n, s in zip(names, data["layers"][code]["status"]) if s == status)

    assert districts_with("CIAM", "g") == ["Chorrillos", "San Borja"]
    assert districts_with("HRT", "p") == ["Carabayllo", "Lima", "San Juan de Lurigancho"]
    assert districts_with("CEM", "u") == sorted(names)
    assert data["layers"]["HRT"]["confidential"] is True
    assert [g["program"] for g in data["groups"]] == ["AURORA", "INABIF", "DGA", "DPE", "DPAM", "GOBIERNO_LOCAL"]


def test_gap_carries_nearest_host_and_km(page, analysis):
    data = embedded(page)
    layer = data["layers"]["CIAM"]
    names = [d["name"] for d in data["districts"]]
    i = names.index("San Borja")
    expected = analysis.coverage.table.query("service == 'CIAM' and district == 'San Borja'").iloc[0]
    assert names[layer["nearest"][i]] == expected["nearest_district"]
    assert layer["km"][i] == round(expected["nearest_km"], 1)  # the page writes one decimal


def test_unknown_service_legend_says_what_is_known(page):
    cem = embedded(page)["layers"]["CEM"]
    assert cem["summary"]["declared_total"] == 65
    assert cem["declared_detail"] == "25 CEM regulares y 40 CEM en comisaría"
    assert cem["classes"] == []
    assert cem["source"].endswith("sección I. AURORA 1.1")


def test_page_requests_nothing_outside_itself(page):
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    assert "sourceMappingURL" not in page
    assert not re.search(r"url\((?!#)", page), "CSS must reference no file"
    assert not re.search(r"<(link|img|iframe)\b", page.split('id="cm-data"')[0])
    # The basemap's tile URL is in the data, for its switch, which is off until the user asks.
    basemap = embedded(page)["basemap"]
    assert basemap["on"] is False and urls - INERT_URLS <= {basemap["url"]}


def test_basemap_is_the_only_outside_url(analysis):
    html = render_map(analysis, basemap="OpenStreetMap.HOT")
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", html)) - INERT_URLS
    assert urls == {"https://a.tile.openstreetmap.fr/hot/{z}/{x}/{y}.png"}
    assert "Humanitarian" in embedded(html)["basemap"]["attribution"] and embedded(html)["basemap"]["on"] is True


def test_unknown_basemap_says_how_to_find_names():
    with pytest.raises(InputError, match="Unknown basemap 'No.Such'.*xyzservices"):
        basemap_tiles("No.Such")


def test_hostile_name_stays_data(analysis):
    districts = analysis.districts.copy()
    districts.loc[districts["name"] == "Rímac", "name"] = HOSTILE
    html = render_map(dataclasses.replace(analysis, districts=districts))
    assert HOSTILE not in html  # its "</" is escaped, so it cannot close the script block
    assert "<\\/script><img" in html
    assert HOSTILE in [d["name"] for d in embedded(html)["districts"]]
    assert json.loads(script_json({"x": "</script><!--"})) == {"x": "</script><!--"}


def test_spanish_by_default_english_on_request(analysis, page):
    assert page.startswith('<!doctype html>\n<html lang="es">')
    assert "<title>Cobertura de servicios del MIMP en Lima Metropolitana</title>" in page
    assert embedded(page)["labels"]["legend_unknown"] == "Sin datos por distrito"
    english = render_map(analysis, lang="en")
    data = embedded(english)
    assert '<html lang="en">' in english and "<title>Coverage of MIMP services" in english
    assert data["labels"]["gap"] == "No service" and data["labels"]["legend_unknown"] == "No district data"
    assert data["layers"]["CEM"]["name"] == "Women's Emergency Centre"
    assert data["groups"][0]["name"].startswith("AURORA National Programme")
    assert "Buscar" not in english and "Sin servicio" not in english
    assert data["labels"].keys() == embedded(page)["labels"].keys()


def test_geometry_is_embedded_once_and_small(page):
    size = len(page.encode("utf-8"))
    assert size < 400_000, f"map.html is {size} bytes"
    assert page.count('"type":"Topology"') == 2  # the area's districts, and the context around them
    data = embedded(page)
    for layer in data["layers"].values():
        assert "geometry" not in layer and "coordinates" not in json.dumps(layer)
    assert len(data["topology"]["objects"]["data"]["geometries"]) == 43


def decode(topology: dict) -> dict[str, MultiPolygon]:
    """Shapes of a quantised TopoJSON, by ubigeo (the page's decoder, in Python)."""
    scale, translate = np.array(topology["transform"]["scale"]), np.array(topology["transform"]["translate"])
    arcs = [np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]

    def ring(indices):
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.vstack([parts[0], *[p[1:] for p in parts[1:]]])

    shapes = {}
    for g in topology["objects"]["data"]["geometries"]:
        polygons = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        shapes[g["properties"]["ubigeo"]] = MultiPolygon([Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in polygons])
    return shapes


def test_simplified_districts_keep_their_shape_and_no_overlaps(page, analysis):
    shapes = decode(embedded(page)["topology"])
    original = analysis.districts.set_index("ubigeo").geometry
    for ubigeo, shape in shapes.items():
        assert shape.is_valid, ubigeo
        assert shape.area == pytest.approx(original[ubigeo].area, rel=0.02), ubigeo
    union = MultiPolygon([p for s in shapes.values() for p in s.geoms]).buffer(0)
    assert union.area == pytest.approx(sum(s.area for s in shapes.values()), rel=1e-4)


def test_context_is_callao_and_search_knows_every_name(page):
    data = embedded(page)
    context = data["context"]
    assert sorted(n["name"] for n in context["names"]) == [
        "Bellavista", "Callao", "Carmen de la Legua Reynoso", "La Perla", "La Punta", "Mi Perú", "Ventanilla"]
    assert len(context["topology"]["objects"]["data"]["geometries"]) == 7
    names = [d["name"] for d in data["districts"]]
    variants = {v: names[i] for v, i in data["names"]["variants"]}
    assert variants["Cercado de Lima"] == "Lima" and variants["SJL"] == "San Juan de Lurigancho"
    assert {"SMP", "VES", "VMT", "Magdalena Vieja"} <= variants.keys()
    outside = {keys[0]: keys for keys in data["names"]["outside"]}
    assert "Callao" in outside and "Cercado del Callao" in outside["Callao"] and "Lima" not in outside


def test_context_comes_from_the_analysis_not_the_file(seeded_cache, shared_data, tmp_path):
    """The map reads the context districts the pipeline read (Analysis.context): a boundary
    file gone after the analysis changes nothing."""
    from coverage_map.pipeline import analyse

    boundaries = tmp_path / "districts.geojson"
    boundaries.write_bytes((shared_data / "lima_callao_distritos.geojson").read_bytes())
    analysis = analyse(boundaries=boundaries, population=None, cache=seeded_cache)
    boundaries.unlink()
    assert sorted(analysis.context["ubigeo"]) == [f"07010{n}" for n in range(1, 8)]
    assert len(map_data(analysis, lang="es")["context"]["names"]) == 7


def test_legend_classes_carry_their_unit_and_rates_their_own_palette(page):
    ciam = embedded(page)["layers"]["CIAM"]
    assert [c["label"] for c in ciam["classes"]] == ["1 centro"]
    assert all(c["label"].endswith(" personas por centro") for c in ciam["rate_classes"])
    assert not {c["color"] for c in ciam["rate_classes"]} & {c["color"] for c in embedded(page)["layers"]["DEMUNA"]["classes"]}
    assert ciam["rate_classes"][-1]["color"] == "#bd0026"  # worse is darker and warmer


def test_map_data_marks_districts_without_geometry(analysis):
    districts = analysis.districts.copy()
    districts.loc[districts["name"] == "Ancón", "geometry"] = None
    data = map_data(dataclasses.replace(analysis, districts=districts), lang="es")
    assert data["without_geometry"] == ["Ancón"]
    assert len(data["topology"]["objects"]["data"]["geometries"]) == 42


# ---- the build writes it ---------------------------------------------------------------


def test_build_writes_map_and_index(default_build):
    _, out = default_build
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'url=map.html"' in index and "location.replace('map.html' + location.hash)" in index
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["scheme"] == "quantiles"
    assert "map.html" in manifest["outputs"] and "index.html" in manifest["outputs"]


def test_cli_map_options(tmp_path, seeded_cache):
    runner = CliRunner()
    common = ["build", "--cache-dir", str(seeded_cache), "--out", str(tmp_path / "out"), "--quiet"]
    bad = runner.invoke(main, [*common, "--breaks", "1,x"])
    assert bad.exit_code == 2
    assert bad.output.strip() == "Error: --breaks '1,x': dé números crecientes separados por comas, p. ej. 1,2,5."
    unknown = runner.invoke(main, [*common, "--basemap", "No.Such"])
    assert unknown.exit_code == 2 and "xyzservices" in unknown.output
    good = runner.invoke(main, [*common, "--breaks", "1,2", "--lang", "en"])
    assert good.exit_code == 0, good.output
    html = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["breaks"] == "1,2"


def test_rates_are_classed_apart_with_integer_labels(page, analysis):
    ciam = embedded(page)["layers"]["CIAM"]
    hosts = analysis.coverage.table.query("service == 'CIAM' and status == 'present'")
    assert len(ciam["rate_classes"]) == 5
    assert sum(c["districts"] for c in ciam["rate_classes"]) == len(hosts) == 41
    assert not any("." in c["label"] for c in ciam["rate_classes"])
    assert sorted(v for v in ciam["per_centre"] if v is not None) == sorted(hosts["people_per_centre"].astype(int))
    assert ciam["summary"]["unserved_population"] == analysis.coverage.summary.at["CIAM", "unserved_population"]


def test_own_boundaries_are_credited_by_file_name(grid_districts, seeded_cache, tmp_path):
    from coverage_map.pipeline import build

    grid = grid_districts()
    grid.to_file(tmp_path / "mis_distritos.geojson", driver="GeoJSON")
    build(out=tmp_path / "out", boundaries=tmp_path / "mis_distritos.geojson", cache=seeded_cache, scheme="equal_interval")
    data = embedded((tmp_path / "out" / "map.html").read_text(encoding="utf-8"))
    assert data["boundaries"] == "mis_distritos.geojson"
    assert len(data["topology"]["objects"]["data"]["geometries"]) == 43
    shapes = decode(data["topology"])
    assert all(s.area == pytest.approx(0.02**2, rel=1e-3) for s in shapes.values())


# ---- the access view and the metropolitan seat (issue 11 items 3 and 4) ---------------------


def test_access_reads_as_people_per_site_more_darker_and_no_site_within_reach_last(page):
    from coverage_map.styles import PALETTES

    layers = embedded(page)["layers"]
    hrt = layers["HRT"]
    classes = hrt["access_classes"]
    assert [c["color"] for c in classes] == list(PALETTES["access"][6]) and classes[-1]["color"] == "#bd0026"
    assert classes[-1]["label"] == "Sin sede a menos de 10,0\u00a0km" and classes[-1]["districts"] == 21
    assert all(c["label"].endswith(" personas objetivo por sede a su alcance") for c in classes[:-1])
    assert not any("," in c["label"] for c in classes[:-1])  # whole numbers: no "0,03"
    bounds = [int(b.replace("\u00a0", "")) for c in classes[:-1] for b in c["label"].split(" personas")[0].split("–")]
    assert all(float(f"{b:.3g}") == b for b in bounds), bounds  # to the figures' three digits, no "678 401"
    assert sum(c["districts"] for c in classes) == 43 and None not in hrt["access_class"]
    assert [hrt["access_class"][i] for i, v in enumerate(hrt["per_site"]) if v is None] == [5] * 21
    reached = [v for v in hrt["per_site"] if v is not None]
    assert all(v >= 100_000 and float(f"{v:.3g}") == v for v in reached)  # three significant digits
    assert "access_classes" in layers["OREDIS"] and "access_classes" in layers["CAI"]
    assert "access_classes" not in layers["CIAM"]  # municipal: its gaps are district gaps
    assert "access_classes" not in layers["CEM"]  # no district data, no access


def test_districts_without_a_metropolitan_seat_are_served_not_gaps(page):
    layers = embedded(page)["layers"]
    for code in ("OREDIS", "CAI", "UA"):
        assert layers[code]["status"].count("s") == 42 and "g" not in layers[code]["status"], code
        assert layers[code]["scale"] == "metropolitan" and layers[code]["summary"]["gaps"] == 0
    assert layers["HRT"]["status"].count("g") == 40 and "s" not in layers["HRT"]["status"]


def test_people_per_site_is_the_inverse_of_access_to_three_significant_digits():
    from coverage_map.accessibility import people_per_site

    assert people_per_site(0.025) == 4_000_000
    assert people_per_site(0.017) == 5_880_000
    assert people_per_site(0.0001234) == 810_000_000  # small but not zero: still a figure
    assert math.isnan(people_per_site(0.0)) and math.isnan(people_per_site(float("nan")))
    assert people_per_site(pd.Series([3.0, 0.0])).tolist()[0] == 33_300
