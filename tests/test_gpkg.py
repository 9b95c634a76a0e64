"""coverage.gpkg read back with GDAL (pyogrio) and sqlite3: layers, field types, QGIS styles."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from coverage_map.gpkg import LayerStyle, qgis_colour, style_qml, write_geopackage
from coverage_map.maps import default_layer
from coverage_map.styles import STYLES

CHANGED = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def gpkg(default_build):
    analysis, out = default_build
    return analysis, out / "coverage.gpkg"


def fields(path, layer: str) -> dict[str, tuple[str, str]]:
    info = pyogrio.read_info(path, layer=layer)
    return {name: (kind, sub) for name, kind, sub in zip(info["fields"], info["ogr_types"], info["ogr_subtypes"])}


def styles_of(path) -> list[dict]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM layer_styles ORDER BY id")]


def test_one_layer_per_table_the_districts_with_geometry(gpkg):
    analysis, path = gpkg
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers == {"districts": "MultiPolygon", "gaps": None, "summary": None, "checks": None, "layer_styles": None}
    info = pyogrio.read_info(path, layer="districts")
    assert info["features"] == 43 and info["crs"] == "EPSG:4326"
    assert pyogrio.read_info(path, layer="gaps")["features"] == len(analysis.coverage.gaps())
    assert pyogrio.read_info(path, layer="summary")["features"] == len(analysis.coverage.summary)
    assert pyogrio.read_info(path, layer="checks")["features"] == len(analysis.checks)


def test_fields_keep_their_types(gpkg):
    analysis, path = gpkg
    districts = fields(path, "districts")
    mapped = analysis.coverage.mapped()
    assert "CIAM" in mapped and "CEM" not in mapped
    for service in mapped:
        assert districts[f"{service}_count"][0] in ("OFTInteger", "OFTInteger64"), service
        assert districts[f"{service}_people"][0] in ("OFTInteger", "OFTInteger64"), service
        assert districts[f"{service}_gap"] == ("OFTInteger", "OFSTBoolean"), service
        assert districts[f"{service}_km"] == ("OFTReal", "OFSTNone"), service
        assert districts[f"{service}_nearest"] == ("OFTString", "OFSTNone"), service
        assert districts[f"{service}_access"] == ("OFTReal", "OFSTNone"), service  # E2SFCA
    # services without district data have no fields (they would be null in every feature)
    assert not [name for name in districts if name.startswith(("CEM_", "CAR_NNA_", "EDUCALLE_", "SOCBEN_"))]
    summary = fields(path, "summary")
    assert {summary[name][0] for name in ("districts", "hosts", "gaps", "unknown", "listed_total")} <= {
        "OFTInteger", "OFTInteger64"}
    assert summary["served_share"][0] == summary["weighted_km"][0] == "OFTReal"
    # the scales and access (E2SFCA) columns
    assert summary["scale"][0] == "OFTString" and summary["people_beyond"][0] in ("OFTInteger", "OFTInteger64")
    assert summary["catchment_km"][0] == summary["share_within"][0] == "OFTReal"
    assert fields(path, "gaps")["access"][0] == "OFTReal"
    gaps = fields(path, "gaps")
    assert gaps["nearest_km"][0] == "OFTReal" and gaps["ubigeo"][0] == "OFTString"


def test_values_read_back_as_the_analysis_has_them(gpkg):
    analysis, path = gpkg
    districts = pyogrio.read_dataframe(path, layer="districts").set_index("ubigeo")
    assert districts.at["150130", "CIAM_gap"] == True  # noqa: E712  San Borja
    assert districts.at["150130", "CIAM_nearest"] == "Surquillo"
    assert districts["DEMUNA_count"].eq(1).all()
    gaps = pyogrio.read_dataframe(path, layer="gaps", read_geometry=False)
    assert set(gaps.loc[gaps["service"] == "CIAM", "district"]) == {"Chorrillos", "San Borja"}
    assert gaps["ubigeo"].str.fullmatch(r"\d{6}").all()  # text, leading zeros kept


def test_styles_one_per_mapped_service_the_map_opening_one_the_default(gpkg):
    analysis, path = gpkg
    rows = styles_of(path)
    acronyms = analysis.catalogue.services["acronym"]
    assert sorted(row["styleName"] for row in rows) == sorted(acronyms[code] for code in analysis.coverage.mapped())
    defaults = [row for row in rows if row["useAsDefault"]]
    assert len(defaults) == 1 and rows[0] is defaults[0]
    assert defaults[0]["styleName"] == acronyms[default_layer(analysis)] == "CIAM"
    with contextlib.closing(sqlite3.connect(path)) as db:
        geometry_column = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'districts'").fetchone()[0]
        registered = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone()
    assert registered == ("attributes",)  # as QGIS registers it
    for row in rows:
        assert (row["f_table_catalog"], row["f_table_schema"], row["f_table_name"]) == ("", "", "districts")
        assert row["f_geometry_column"] == geometry_column
        root = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # after the DOCTYPE line
        renderer = root.find("renderer-v2")
        code = next(code for code in analysis.coverage.mapped() if acronyms[code] == row["styleName"])
        assert renderer.get("type") == "categorizedSymbol" and f'"{code}_count"' in renderer.get("attr")
        assert row["description"] == analysis.catalogue.label(code, "es")


def test_the_default_style_has_the_colours_and_words_of_the_map(gpkg):
    _, path = gpkg
    root = ET.fromstring(styles_of(path)[0]["styleQML"].split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    categories = {c.get("value"): c for c in renderer.iter("category")}
    assert set(categories) == {"present", "gap", "unknown"}
    assert categories["gap"].get("label") == "Sin el servicio (brecha)"
    for status, category in categories.items():
        symbol = renderer.find(f"symbols/symbol[@name='{category.get('symbol')}']")
        options = {o.get("name"): o.get("value") for o in symbol.iter("Option") if o.get("name")}
        assert options["color"] == qgis_colour(STYLES[status].fill), status
        assert options["outline_color"] == qgis_colour(STYLES[status].line), status
    assert qgis_colour(STYLES["gap"].fill) == "240,59,32,255"  # #f03b20
    assert root.get("labelsEnabled") == "1" and root.find("labeling/settings/text-style").get("fieldName") == "name"


def test_the_style_expression_is_escaped_xml_and_reads_the_status_from_the_count():
    qml = style_qml("CAR_NNA", lang="en")
    renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
    assert renderer.get("attr") == (
        "CASE WHEN \"CAR_NNA_count\" IS NULL THEN 'unknown' WHEN \"CAR_NNA_count\" > 0 THEN 'present' ELSE 'gap' END")
    assert [c.get("label") for c in renderer.iter("category")] == ["Has the service", "Lacks the service (gap)",
                                                                   "No district data"]


def write_small(path, changed=CHANGED):
    districts = gpd.GeoDataFrame(
        {"ubigeo": ["150101", "150102"], "S_count": pd.array([1, 0], dtype="Int64"),
         "S_gap": pd.array([False, True], dtype="boolean"), "S_km": [0.0, 2.5]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:32718")
    table = pd.DataFrame({"service": ["S"], "gaps": [1]})
    style = LayerStyle("districts", "S", style_qml("S", lang="es"), "Servicio", default=True)
    write_geopackage({"districts": districts, "summary": table}, path, styles=[style], changed=changed)


def test_equal_input_on_the_same_day_gives_equal_bytes(tmp_path):
    write_small(tmp_path / "a.gpkg")
    (tmp_path / "b.gpkg").write_bytes(b"a stale file is replaced")
    write_small(tmp_path / "b.gpkg", CHANGED.replace(hour=23))
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    with contextlib.closing(sqlite3.connect(tmp_path / "a.gpkg")) as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {row[0] for row in db.execute("SELECT update_time FROM layer_styles")}
    assert stamps == {"2026-03-14T00:00:00.000Z"}
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None  # restored
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    assert pyogrio.read_info(tmp_path / "a.gpkg", layer="districts")["crs"] == "EPSG:4326"


def test_the_build_dates_follow_source_date_epoch(seeded_cache, tmp_path, monkeypatch):
    import openpyxl

    from coverage_map.pipeline import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(CHANGED.timestamp())))
    build(out=tmp_path, cache=seeded_cache, lang="en", population=None)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["created"] == "2026-03-14T15:09:26+00:00"
    assert "coverage.gpkg" in manifest["outputs"]
    first = openpyxl.load_workbook(tmp_path / "coverage.xlsx").worksheets[0]
    assert first.title == "Sources and dates"
    assert ("Date", "Date of the run (UTC)", "2026-03-14") in [row[:3] for row in first.iter_rows(values_only=True)]
    assert styles_of(tmp_path / "coverage.gpkg")[0]["update_time"] == "2026-03-14T00:00:00.000Z"
    districts = fields(tmp_path / "coverage.gpkg", "districts")
    assert "CIAM_gap" in districts and not [name for name in districts if name.endswith("_people")]


#: QGIS itself (PyQGIS of the system's Python, e.g. Debian's python3-qgis) opening the layer:
#: the style it applies on its own, and the colour it gives each district.
QGIS_SCRIPT = """
import json, os, sys
from qgis.core import QgsApplication, QgsExpressionContextUtils, QgsRenderContext, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=districts", "districts", "ogr")
renderer = layer.renderer()
context = QgsRenderContext()
context.expressionContext().appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
renderer.startRender(context, layer.fields())
colours = {}
for feature in layer.getFeatures():
    context.expressionContext().setFeature(feature)
    colours[feature["ubigeo"]] = [s.color().name() for s in renderer.symbolsForFeature(feature, context)]
renderer.stopRender(context)
print(json.dumps({"valid": layer.isValid(), "renderer": renderer.type(), "attr": renderer.classAttribute(),
                  "labels": layer.labelsEnabled(), "styles": layer.listStylesInDatabase()[2], "colours": colours}))
sys.stdout.flush()
os._exit(0)  # PyQGIS may crash while tearing down
"""


def system_qgis() -> str | None:
    python = shutil.which("python3", path="/usr/bin")
    if python is None:
        return None
    found = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, check=False)
    return python if found.returncode == 0 else None


def test_qgis_opens_the_districts_coloured_like_the_map(gpkg):
    analysis, path = gpkg
    python = system_qgis()
    if python is None:
        pytest.skip("PyQGIS is not installed for the system's Python (apt-get install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(path.parent)}
    result = subprocess.run([python, "-c", QGIS_SCRIPT, str(path)], capture_output=True, text=True, env=env,
                            timeout=120, check=True)
    opened = json.loads(result.stdout.strip().splitlines()[-1])
    assert opened["valid"] and opened["renderer"] == "categorizedSymbol" and '"CIAM_count"' in opened["attr"]
    assert opened["labels"] and opened["styles"][0] == "CIAM"
    colours = {ubigeo: found[0] for ubigeo, found in opened["colours"].items()}
    gaps = set(analysis.coverage.gaps("CIAM")["ubigeo"])
    assert {u for u, colour in colours.items() if colour == STYLES["gap"].fill} == gaps
    assert {u for u, colour in colours.items() if colour == STYLES["present"].fill} == set(colours) - gaps


def test_a_metropolitan_service_style_shows_districts_without_its_seat_as_served_not_gaps(default_build):
    from coverage_map.gpkg import district_styles
    from coverage_map.styles import SERVED_FROM_SEAT

    analysis, _ = default_build
    styles = {style.name: style.qml for style in district_styles(analysis, first="CIAM", lang="es")}
    renderers = {name: ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2") for name, qml in styles.items()}
    renderer = renderers["OREDIS"]
    assert renderer.get("attr").endswith("ELSE 'served' END")
    categories = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert categories == {"present": "Con el servicio", "served": "Atendido desde la sede (no es brecha)",
                          "unknown": "Sin datos por distrito"}
    assert qgis_colour(SERVED_FROM_SEAT.fill) in styles["OREDIS"]
    assert renderers["HRT"].get("attr").endswith("ELSE 'gap' END") and renderers["CIAM"].get("attr").endswith("ELSE 'gap' END")
