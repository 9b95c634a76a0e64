"""The files of a build with --roads (GeoJSON, CSV, GeoPackage, workbook, manifest) and the
`gaps` command: minutes along the streets under "min" headings, the straight-line km beside them
said to be so, and OpenStreetMap's extract, date and attribution wherever minutes appear."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3

import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from coverage_map.cli import main

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"ubigeo": str, "nearest_ubigeo": str})


def minutes_by_district(analysis, service: str, column: str = "nearest_min") -> dict[str, float]:
    """The analysis's figure per district of service, at the files' decimals (Coverage.rounded)."""
    table = analysis.coverage.rounded().table
    rows = table[table["service"] == service]
    return dict(zip(rows["ubigeo"], rows[column]))


def same(found: dict, expected: dict) -> bool:
    """Equal figures per key, NaN equal to NaN (a district no site is reached from)."""
    return found.keys() == expected.keys() and all(
        (pd.isna(found[k]) and pd.isna(expected[k])) or found[k] == expected[k] for k in expected)


def test_geojson_has_the_minutes_beside_the_straight_line_km(roads_build):
    analysis, out = roads_build
    features = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))["features"]
    for service in ("HRT", "CIAM"):
        written = {f["properties"]["ubigeo"]: f["properties"][f"{service}_min"] for f in features}
        expected = minutes_by_district(analysis, service)
        assert same(written, expected), service
        # a host district is at 0 km in a straight line, but its people still walk to the site
        hosts = analysis.coverage.table.query("service == @service and status == 'present'")["ubigeo"]
        assert all(written[u] > 0 for u in hosts)
        straight = {f["properties"]["ubigeo"]: f["properties"][f"{service}_km"] for f in features}
        assert same(straight, minutes_by_district(analysis, service, "nearest_km"))
        assert all(straight[u] == 0 for u in hosts)


def test_csvs_carry_the_minutes_rounded_as_the_analysis(roads_build):
    analysis, out = roads_build
    summary = read_csv(out / "summary.csv").set_index("service")
    expected = analysis.coverage.rounded().summary
    assert summary.at["HRT", "catchment_min"] == 60
    assert summary.at["CIAM", "catchment_min"] == 30 and summary.at["CAI", "catchment_min"] == 90
    assert summary.at["HRT", "weighted_min"] == expected.at["HRT", "weighted_min"]
    assert summary.at["HRT", "weighted_site_min"] == expected.at["HRT", "weighted_site_min"]
    assert summary.at["HRT", "weighted_min"] > 10  # minutes on foot, not km
    assert not {"catchment_km", "weighted_km", "weighted_site_km"} & set(summary.columns)
    gaps = read_csv(out / "gaps.csv")
    columns = list(gaps.columns)
    assert columns[columns.index("nearest_km") + 1] == "nearest_min"
    hrt = gaps[gaps["service"] == "HRT"]
    assert same(dict(zip(hrt["ubigeo"], hrt["nearest_min"])),
                {u: v for u, v in minutes_by_district(analysis, "HRT").items() if u in set(hrt["ubigeo"])})


def test_manifest_names_the_extract_its_date_and_licence(roads_build, lima_streets):
    _, out = roads_build
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sha256 = hashlib.sha256(lima_streets.read_bytes()).hexdigest()
    roads = manifest["roads"]
    assert roads["file"] == lima_streets.name and roads["sha256"] == sha256
    assert roads["date"] == "2025-06-01" and roads["profile"] == "walk"
    assert roads["attribution"] == ATTRIBUTION and roads["license"] == "ODbL-1.0"
    assert roads["public_transport"] is False
    assert roads["speeds"]["file"] == "road_speeds.csv" and roads["speeds"]["kmh"]["residential"] == 4.8
    read = {entry["role"]: entry for entry in manifest["inputs"]}
    assert read["roads"]["sha256"] == sha256 and read["roads"]["path"].endswith(lima_streets.name)
    assert "speeds" in read


def test_a_build_without_roads_says_nothing_of_minutes(default_build):
    _, out = default_build
    assert "roads" not in json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not [name for name in pyogrio.read_info(out / "coverage.gpkg", layer="districts")["fields"]
                if name.endswith("_min")]
    assert "nearest_min" not in read_csv(out / "gaps.csv")
    with contextlib.closing(sqlite3.connect(out / "coverage.gpkg")) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "gpkg_data_columns" not in tables


def test_geopackage_has_the_minutes_described_with_their_streets(roads_build, lima_streets):
    analysis, out = roads_build
    path = out / "coverage.gpkg"
    info = pyogrio.read_info(path, layer="districts")
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert types["HRT_min"] == types["HRT_km"] == "OFTReal"
    districts = pyogrio.read_dataframe(path, layer="districts")
    assert same(dict(zip(districts["ubigeo"], districts["HRT_min"])), minutes_by_district(analysis, "HRT"))
    summary = pyogrio.read_dataframe(path, layer="summary").set_index("service")
    assert summary.at["HRT", "catchment_min"] == 60
    # the layers with minutes say what they are, with OpenStreetMap's attribution (GDAL reads it back)
    for layer in ("districts", "gaps", "summary"):
        description = pyogrio.read_info(path, layer=layer)["layer_metadata"]["DESCRIPTION"]
        assert "Minutos a pie por las calles de OpenStreetMap" in description and ATTRIBUTION in description
        assert lima_streets.name in description and "2025-06-01" in description
        assert "sin transporte público" in description
    assert "línea recta" in pyogrio.read_info(path, layer="districts")["layer_metadata"]["DESCRIPTION"]
    with contextlib.closing(sqlite3.connect(path)) as db:
        notes = {(t, c): d for t, c, d in db.execute("SELECT table_name, column_name, description FROM gpkg_data_columns")}
        extensions = list(db.execute("SELECT table_name, extension_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"))
    assert ATTRIBUTION in notes[("districts", "HRT_min")] and ATTRIBUTION in notes[("summary", "weighted_min")]
    assert notes[("districts", "HRT_km")] == notes[("gaps", "nearest_km")] == "Kilómetros en línea recta"
    assert extensions == [("gpkg_data_columns", "gpkg_schema")]
    assert pyogrio.read_info(path, layer="checks")["layer_metadata"] is None  # no minutes there


def test_workbook_shows_minutes_and_names_the_streets(roads_build, lima_streets):
    analysis, out = roads_build
    workbook = openpyxl.load_workbook(out / "coverage.xlsx")
    about = [row for row in workbook["Fuentes y fechas"].iter_rows(values_only=True)]
    text = " ".join(str(cell) for row in about for cell in row if cell is not None)
    assert "OpenStreetMap" in text and "ODbL" in text and "sin transporte público" in text
    sha256 = hashlib.sha256(lima_streets.read_bytes()).hexdigest()
    extract = next(row for row in about if row[3] == lima_streets.name)
    assert extract[1:3] == ("Calles (OpenStreetMap)", ATTRIBUTION) and extract[4] == "2025-06-01"
    assert sha256.startswith(extract[6])
    assert ("Fecha", "Fecha de las calles (OpenStreetMap)", "2025-06-01") in [row[:3] for row in about]
    assert ("Opción", "Perfil de viaje", "a pie") in [row[:3] for row in about]

    summary = list(workbook["Resumen"].iter_rows(values_only=True))
    header = summary[0]
    assert "Radio (min)" in header and "Tiempo medio ponderado (min)" in header
    assert not [h for h in header if "km" in h]
    hrt = next(row for row in summary if row[0] == "HRT")
    assert hrt[header.index("Radio (min)")] == 60
    assert hrt[header.index("Tiempo medio ponderado (min)")] == analysis.coverage.rounded().summary.at["HRT", "weighted_min"]

    gaps = list(workbook["Brechas"].iter_rows(values_only=True))
    header = gaps[0]
    minutes, straight = header.index("Tiempo por las calles (min)"), header.index("Distancia en línea recta (km)")
    expected = minutes_by_district(analysis, "HRT")
    rows = [row for row in gaps[1:] if row[0] == "HRT"]
    assert rows and all(row[minutes] == pytest.approx(expected[row[3]]) for row in rows)
    assert "Distancia (km)" not in header
    # no site within the catchment: said in minutes, not km
    assert "Sin sede a menos de 60\u00a0min" in {row[-1] for row in rows}


def test_gaps_command_shows_the_minutes_under_min(roads_build, lima_streets, cache_env):
    analysis, _ = roads_build
    result = CliRunner().invoke(main, ["gaps", "CIAM", "--roads", str(lima_streets), "--quiet", "--lang", "en"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "Ubigeo" in line)
    assert header.split("┃")[-2].strip() == "min" and "km" not in header
    gaps = analysis.coverage.gaps("CIAM")
    assert len(gaps) == 2
    for ubigeo, minutes in zip(gaps["ubigeo"], gaps["nearest_min"]):  # whole minutes
        row = next(line for line in lines if ubigeo in line)
        assert row.split("│")[-2].strip() == f"{minutes:,.0f}"
    text = " ".join(result.stdout.split())
    assert "Minutes on foot along OpenStreetMap's streets" in text and ATTRIBUTION in text
    assert "no public transport" in text


def test_gaps_command_says_the_catchment_in_minutes_where_no_site_is_within_it(roads_build, lima_streets, cache_env):
    result = CliRunner().invoke(main, ["gaps", "HRT", "--roads", str(lima_streets), "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Sin sede a menos de 60\u00a0min" in result.stdout and "km" not in result.stdout
