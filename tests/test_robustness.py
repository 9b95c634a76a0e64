"""No input can crash the tool: every mistake in a user's file or option ends in one line
that names the file and the fix, and exit status 2 (issue 12, item 3).

The explicit tests reproduce each known case through the command line, in English (--lang en),
and every refusal again in Spanish: each line must be the catalogue's sentence in the run's
language. The property tests (hypothesis) mutate valid inputs and require that every run ends
with 0 or 2; their number of examples follows the Hypothesis profile (conftest.py).
"""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
from pathlib import Path
from unittest import mock

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_map import cli
from coverage_map.cli import main
from coverage_map.errors import CoverageMapError
from coverage_map.texts import TEXTS, worded

# --- valid inputs, and running the command ------------------------------------------------


@pytest.fixture(scope="module")
def lima43(shared_data, tmp_path_factory) -> Path:
    """The 43 districts of Lima Metropolitana, from the registered simplified layer, as a small GeoJSON."""
    layer = gpd.read_file(shared_data / "lima_callao_distritos_simple.geojson")
    path = tmp_path_factory.mktemp("boundaries") / "lima43.geojson"
    layer.loc[layer["provincia"] == "LIMA", ["distrito", "geometry"]].to_file(path, driver="GeoJSON")
    return path


INVENTORY_CSV = "ubigeo,service,count\n150101,CIAM,2\n150122,DEMUNA,1\n150132,CIAM,3\n"
FACILITY_ROWS = [
    {"tipo": "CEM", "nombre": "CEM Lima", "ubigeo": "150101", "lat": -12.0464, "lon": -77.0428, "telefono": "01 1"},
    {"tipo": "CEM", "nombre": "CEM Miraflores", "ubigeo": "150122", "lat": -12.1211, "lon": -77.0297, "telefono": ""},
    {"tipo": "CEM", "nombre": "CEM Comas", "ubigeo": "150110", "lat": None, "lon": None, "telefono": "01 2"},
    {"tipo": "CEM", "nombre": "CEM Arequipa", "ubigeo": "040101", "lat": -16.39, "lon": -71.53, "telefono": ""},
]


def facility_csv(rows=FACILITY_ROWS, sep=",") -> str:
    return pd.DataFrame(rows).to_csv(index=False, sep=sep)


def population_csv(lima43: Path) -> str:
    names = gpd.read_file(lima43)["distrito"]
    from coverage_map.districts import load_gazetteer

    codes = sorted(load_gazetteer().lookup(n) for n in names)
    return "ubigeo,total,mujeres\n" + "".join(f"{c},{10000 + i},{5000 + i}\n" for i, c in enumerate(codes))


def run(*args: str, cache: Path, lang: str = "en"):
    """The command in-process, as a user would type it, in lang; returns click's Result, with the
    command's arguments (result.command) and the errors and notes it printed (result.problems)."""
    problems = []

    def recorded(problem, lang):
        problems.append(problem)
        return error_line_of(problem, lang)

    with mock.patch.object(cli, "error_line", recorded):
        result = CliRunner().invoke(main, [*args, "--quiet", "--lang", lang, "--cache-dir", str(cache)])
    result.command, result.problems = (args, cache), problems
    return result


error_line_of = cli.error_line


def error_line(result) -> str:
    """The one line the command printed for the error."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def refused(result, *words: str) -> str:
    """Assert the run ended with status 2 and one line holding every word; return the line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.exit_code, result.output)
    line = error_line(result)
    assert result.stderr.rstrip().splitlines()[-1] == line  # the message is the last line, whole
    for word in words:
        assert word in line, (word, line)
    in_both_languages(result)
    return line


def in_both_languages(result) -> None:
    """The refusal of result (an English run) again in Spanish: each line is the catalogue's
    sentence of the same error in the run's language, "Error: " included, and the two differ."""
    args, cache = result.command
    lines = {"en": (error_line(result), result.problems)}
    spanish = run(*args, cache=cache, lang="es")
    lines["es"] = (error_line(spanish), spanish.problems)
    for lang, (line, problems) in lines.items():
        (error,) = [p for p in problems if isinstance(p, CoverageMapError)]
        assert error.key in TEXTS[lang], f"not a catalogue key: {error.key}"
        assert line == worded("error_line", lang, message=worded(error.key, lang, **error.values)), lang
    assert lines["es"][1][0].key == lines["en"][1][0].key
    assert lines["es"][0] != lines["en"][0]


def validate(*args: str, cache: Path, boundaries: Path):
    return run("validate", "--population", "none", "--boundaries", str(boundaries), *args, cache=cache)


# --- 1. projected coordinates in a file read as longitude/latitude ------------------------------


def test_projected_geojson_without_crs_is_refused_not_crashed(tmp_path, lima43, seeded_cache):
    path = tmp_path / "utm.geojson"
    data = json.loads(gpd.read_file(lima43).to_crs("EPSG:32718").to_json())
    data.pop("crs", None)  # as a tool that writes "RFC 7946" files leaves it
    path.write_text(json.dumps(data))
    result = run("build", "--out", str(tmp_path / "out"), "--population", "none", "--boundaries", str(path),
                 cache=seeded_cache)
    line = refused(result, str(path), "are not longitude/latitude", "projected metres", "EPSG:4326")
    assert "CRSError" not in line and not (tmp_path / "out").exists()


def test_projected_facility_points_without_crs_are_refused(tmp_path, lima43, seeded_cache):
    points = gpd.GeoDataFrame(
        pd.DataFrame(FACILITY_ROWS[:2]).drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy([-77.0428, -77.0297], [-12.0464, -12.1211]), crs="EPSG:4326",
    ).to_crs("EPSG:32718")
    data = json.loads(points.to_json())
    data.pop("crs", None)
    path = tmp_path / "centros.geojson"
    path.write_text(json.dumps(data))
    refused(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43),
            str(path), "not longitude/latitude", "Save the file in EPSG:4326")


# --- 2. malformed, truncated or empty files, for every input ---------------------------------


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


BROKEN = {
    "truncated json": ("x.json", lambda: json.dumps(FACILITY_ROWS).encode()[:150]),
    "empty csv": ("x.csv", lambda: b""),
    "only blanks": ("x.csv", lambda: b"  \n\n"),
    "truncated xlsx": ("x.xlsx", lambda: _xlsx(pd.DataFrame(FACILITY_ROWS))[:700]),
    "random bytes as csv": ("x.csv", lambda: bytes(random.Random(1).randrange(256) for _ in range(400))),
    "json of numbers": ("x.json", lambda: b"[1, 2, 3]"),
}


@pytest.mark.parametrize("option", ["--inventory", "--facilities"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_tables_end_in_one_line(case, option, tmp_path, lima43, seeded_cache):
    name, content = BROKEN[case]
    path = tmp_path / name
    path.write_bytes(content())
    line = refused(validate(option, str(path), cache=seeded_cache, boundaries=lima43), str(path))
    assert any(fix in line.lower() for fix in ("save", "give", "it needs")), line


@pytest.mark.parametrize("case", ["empty", "truncated", "not json"])
def test_broken_boundaries_end_in_one_line(case, tmp_path, lima43, seeded_cache):
    text = lima43.read_bytes()
    path = tmp_path / "b.geojson"
    path.write_bytes({"empty": b"", "truncated": text[: len(text) // 2], "not json": b"distrito;ubigeo\n"}[case])
    line = refused(validate(cache=seeded_cache, boundaries=path), str(path))
    assert "give another geojson" in line.lower() or "give a vector file" in line.lower()


def test_a_truncated_json_facility_list_no_longer_ends_in_jsondecodeerror(tmp_path, lima43, seeded_cache, shared_data):
    path = tmp_path / "directorio.json"
    path.write_bytes((shared_data / "mimp_directorio" / "directorio.json").read_bytes()[:3000])
    line = refused(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43),
                   str(path), "is not valid JSON", "cut short", "download it again")
    assert "JSONDecodeError" not in line


def test_a_missing_facilities_file_is_said_in_spanish_by_default_and_in_english_with_lang_en(
        tmp_path, lima43, seeded_cache):
    path = tmp_path / "centros.csv"
    common = ["validate", "--population", "none", "--boundaries", str(lima43), "--facilities", str(path),
              "--cache-dir", str(seeded_cache), "--quiet"]
    spanish = CliRunner().invoke(main, common)  # no --lang: Spanish
    assert spanish.exit_code == 2
    assert spanish.stderr.strip() == (f"Error: El archivo de establecimientos {path} no existe. "
                                      "Revise la ruta dada a --facilities.")
    english = CliRunner().invoke(main, [*common, "--lang", "en"])
    assert english.stderr.strip() == f"Error: Facilities file not found: {path}. Check the path given to --facilities."


def test_validate_says_what_it_could_not_check_as_a_note_in_the_run_s_language(tmp_path, seeded_cache):
    boundaries, facilities = tmp_path / "b.geojson", tmp_path / "centros.csv"
    boundaries.write_bytes(b"")
    facilities.write_text(facility_csv())
    lines = {}
    for lang in ("es", "en"):
        result = run("validate", "--population", "none", "--boundaries", str(boundaries), "--facilities",
                     str(facilities), cache=seeded_cache, lang=lang)
        assert result.exit_code == 2
        lines[lang] = result.stderr.strip().splitlines()
    assert lines["en"] == [
        f"Error: Boundary file {boundaries} is empty. Save it again, or give another GeoJSON, Shapefile or GeoPackage.",
        f"Note: {facilities}: not checked, the facilities need readable boundaries."]
    assert lines["es"] == [
        f"Error: El archivo de límites distritales {boundaries} está vacío. Guárdelo de nuevo, o dé otro GeoJSON, "
        "Shapefile o GeoPackage.",
        f"Nota: no se revisó el archivo de establecimientos {facilities}: hace falta poder leer los límites distritales."]


# --- 3. --out that is a file, or cannot be written -------------------------------------------


def test_out_naming_a_file_is_refused_before_any_work(tmp_path, seeded_cache, caplog):
    target = tmp_path / "outputs"
    target.write_text("not a folder")
    result = run("build", "--out", str(target), "--population", "none", cache=seeded_cache)
    refused(result, f"--out {target} is a file, not a folder", "Give a folder")
    assert target.read_text() == "not a folder"
    assert not list(tmp_path.glob(".outputs-*"))  # nothing staged: refused before the analysis


def test_out_below_a_file_and_report_out_are_checked_too(tmp_path, seeded_cache):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    refused(run("report", "--out", str(blocker / "sub"), "--population", "none", cache=seeded_cache),
            str(blocker), "is a file, not a folder")


def test_out_in_a_folder_that_cannot_be_written(seeded_cache):
    # /proc refuses new entries even to root, so this holds whoever runs the tests
    refused(run("build", "--out", "/proc/coverage-map-out", "--population", "none", cache=seeded_cache),
            "--out /proc/coverage-map-out", "cannot write in /proc", "Give a folder you can write to")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through folder permissions")
def test_out_in_a_read_only_folder(tmp_path, seeded_cache):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        refused(run("build", "--out", str(folder / "out"), "--population", "none", cache=seeded_cache),
                f"cannot write in {folder}", "Give a folder you can write to")
    finally:
        folder.chmod(0o700)


def test_a_failed_run_leaves_earlier_outputs_untouched(tmp_path, lima43, seeded_cache):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.csv").write_text("earlier")
    bad = tmp_path / "centros.json"
    bad.write_text('[{"tipo": "CEM", "ubigeo": "150101"')
    result = run("build", "--out", str(out), "--population", "none", "--boundaries", str(lima43),
                 "--facilities", str(bad), cache=seeded_cache)
    refused(result, str(bad))
    assert [p.name for p in out.iterdir()] == ["coverage.csv"] and (out / "coverage.csv").read_text() == "earlier"


# --- 4. an inventory saved as Excel ----------------------------------------------------------


def test_an_inventory_in_excel_is_read_like_its_csv(tmp_path, lima43, seeded_cache):
    rows = pd.read_csv(io.StringIO(INVENTORY_CSV), dtype=str)
    path = tmp_path / "inventario.xlsx"
    path.write_bytes(_xlsx(rows.assign(count=rows["count"].astype(int))))  # counts as Excel numbers
    assert validate("--inventory", str(path), cache=seeded_cache, boundaries=lima43).exit_code == 0
    result = run("gaps", "CIAM", "--population", "none", "--boundaries", str(lima43), "--inventory", str(path),
                 cache=seeded_cache)
    assert result.exit_code == 0, result.output
    assert "41 of 43 districts without" in " ".join(result.stdout.split())  # CIAM in the file's 2 districts only


def test_an_excel_inventory_with_a_bad_cell_names_its_row(tmp_path, lima43, seeded_cache):
    path = tmp_path / "inventario.xlsx"
    path.write_bytes(_xlsx(pd.DataFrame({"ubigeo": ["150101", "150122"], "servicio": ["CIAM", "CIAM"],
                                         "cantidad": [1, "dos"]})))
    refused(validate("--inventory", str(path), cache=seeded_cache, boundaries=lima43),
            str(path), "row 3, count 'dos': not a whole number of 0 or more")


# --- 5. a facility point in no district of the area while its ubigeo is in it -------------------


def test_a_point_in_the_sea_counts_by_its_ubigeo_is_reported_and_not_drawn(tmp_path, lima43, seeded_cache):
    from coverage_map.pipeline import analyse

    rows = [
        {"tipo": "CEM", "nombre": "CEM Lima", "ubigeo": "150101", "lat": -12.0464, "lon": -77.0428},
        {"tipo": "CEM", "nombre": "CEM Costa", "ubigeo": "150122", "lat": -12.1300, "lon": -77.0600},  # 1.7 km offshore
        {"tipo": "CEM", "nombre": "CEM Mar Adentro", "ubigeo": "150122", "lat": -12.1300, "lon": -77.1000},
    ]
    path = tmp_path / "centros.csv"
    path.write_text(facility_csv(rows))
    analysis = analyse(boundaries=lima43, facilities=path, population=None, cache=seeded_cache)
    polygons = analysis.districts.set_index("ubigeo").geometry
    miraflores = polygons["150122"]
    sea = gpd.GeoSeries(gpd.points_from_xy([-77.06, -77.10], [-12.13, -12.13]), crs="EPSG:4326")
    assert not sea.within(polygons.union_all()).any()  # the oracle: both points lie outside every district
    km = sea.to_crs("EPSG:32718").distance(gpd.GeoSeries([miraflores], crs="EPSG:4326").to_crs("EPSG:32718").iloc[0]) / 1000
    assert km[0] < 3 < km[1]

    cem = analysis.coverage.table.query("service == 'CEM'").set_index("ubigeo")["count"]
    assert cem["150122"] == 2 and cem["150101"] == 1
    points = analysis.facilities.points.set_index("name")
    assert points.loc[["CEM Costa", "CEM Mar Adentro"], "lat"].isna().all()  # no dot in the water
    assert points.at["CEM Lima", "lat"] == -12.0464
    findings = analysis.checks.query("check == 'facility_outside'").set_index("where")
    assert list(findings.index) == ["centros.csv, row 3", "centros.csv, row 4"]
    near, far = findings.loc["centros.csv, row 3"], findings.loc["centros.csv, row 4"]
    assert "CEM Costa (centros.csv, row 3): its coordinates (-12.130000, -77.060000) fall in no district" in near["message_en"]
    assert "counts in Miraflores by its ubigeo and its point is not drawn" in near["message_en"]
    assert "Probable" not in near["message_en"] and "Probable" not in near["message_es"]
    assert f"Probable coordinate error: it falls {km[1]:.1f}\u00a0km from Miraflores" in far["message_en"]
    assert f"Probable error de coordenadas: cae a {str(round(km[1], 1)).replace('.', ',')}\u00a0km de Miraflores" in far["message_es"]


def test_a_confidential_shelter_in_the_sea_is_reported_without_its_name_or_point(tmp_path, lima43, seeded_cache):
    from coverage_map.pipeline import analyse

    path = tmp_path / "hogares.csv"
    path.write_text(facility_csv([{"tipo": "HRT", "nombre": "Hogar Secreto", "ubigeo": "150122",
                                   "lat": -12.1300, "lon": -77.1000}]))
    analysis = analyse(boundaries=lima43, facilities=path, population=None, cache=seeded_cache)
    finding = analysis.checks.query("check == 'facility_outside'").iloc[0]
    text = " ".join(str(finding[c]) for c in ("where", "found", "message_es", "message_en"))
    assert "Hogar Secreto" not in text and "-12.13" not in text and "-77.1" not in text
    assert finding["message_en"].startswith("A HRT (confidential location): its coordinates fall in no district")
    assert analysis.coverage.table.query("service == 'HRT' and ubigeo == '150122'")["count"].item() == 1


# --- 6. numbers as a Spanish-locale spreadsheet writes them ------------------------------------


def test_decimal_comma_coordinates_in_a_semicolon_csv_are_read(tmp_path, lima43, seeded_cache):
    from coverage_map.pipeline import analyse

    path = tmp_path / "centros.csv"
    path.write_text("tipo;nombre;lat;lon\nCEM;CEM Lima;-12,0464;-77,0428\nCEM;CEM Miraflores;-12,1211;-77,0297\n",
                    encoding="cp1252")
    analysis = analyse(boundaries=lima43, facilities=path, population=None, cache=seeded_cache)
    points = analysis.facilities.points.set_index("name")
    assert points.at["CEM Lima", "lat"] == -12.0464 and points.at["CEM Miraflores", "lon"] == -77.0297
    assert sorted(points["ubigeo"]) == ["150101", "150122"]  # placed by their points: no ubigeo column


def test_a_whole_list_of_decimal_comma_coordinates_is_placed_not_dropped(tmp_path, lima43, seeded_cache):
    from coverage_map.districts import load_gazetteer
    from coverage_map.pipeline import analyse

    districts = gpd.read_file(lima43)
    points = districts.representative_point()  # the oracle: each lies inside its own district
    lines = ["servicio;nombre;latitud;longitud"] + [
        f"CIAM;CIAM {name};{p.y:.6f};{p.x:.6f}".replace(".", ",") for name, p in zip(districts["distrito"], points)]
    path = tmp_path / "ciam.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    analysis = analyse(boundaries=lima43, facilities=path, population=None, cache=seeded_cache)
    placed = analysis.facilities.points
    assert len(placed) == 43 and analysis.facilities.left_out == 0
    expected = {load_gazetteer().lookup(name) for name in districts["distrito"]}
    assert set(placed["ubigeo"]) == expected
    assert analysis.coverage.table.query("service == 'CIAM'")["count"].eq(1).all()


def test_coordinates_that_are_not_numbers_are_refused_by_row(tmp_path, lima43, seeded_cache):
    path = tmp_path / "centros.csv"
    path.write_text("tipo;nombre;ubigeo;lat;lon\nCEM;CEM Lima;150101;-12,0464;-77,0428\n"
                    "CEM;CEM Miraflores;150122;12°07'S;-77,0297\n")
    refused(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43),
            str(path), "centros.csv, row 3: lat \"12°07'S\" is not a number", "Write decimal degrees")


# --- 7. a facility list of which nothing lands in the area ---------------------------------------


def test_a_list_with_nothing_in_the_area_is_an_error(tmp_path, lima43, seeded_cache):
    path = tmp_path / "arequipa.csv"
    path.write_text(facility_csv([FACILITY_ROWS[3], {**FACILITY_ROWS[3], "nombre": "CEM Cayma", "ubigeo": "040103"}]))
    result = run("build", "--out", str(tmp_path / "out"), "--population", "none", "--boundaries", str(lima43),
                 "--facilities", str(path), cache=seeded_cache)
    refused(result, str(path), "none of its 2 rows is in the area (ubigeo 1501)", "Check --area")


# --- 8. a boundary file of several layers -----------------------------------------------------


def test_a_geopackage_with_one_polygon_layer_among_others_uses_it(tmp_path, lima43, seeded_cache):
    districts = gpd.read_file(lima43)
    path = tmp_path / "capas.gpkg"
    districts.assign(geometry=districts.representative_point()).to_file(path, layer="centroides")
    districts.to_file(path, layer="distritos")
    result = CliRunner().invoke(main, ["validate", "--population", "none", "--boundaries", str(path),
                                       "--cache-dir", str(seeded_cache), "--debug"])  # a decision: a DEBUG line
    assert result.exit_code == 0, result.output
    assert "read the polygon layer 'distritos'" in " ".join(result.stderr.split())


def test_a_geopackage_with_two_polygon_layers_is_refused_naming_them(tmp_path, lima43, seeded_cache):
    districts = gpd.read_file(lima43)
    path = tmp_path / "capas.gpkg"
    districts.to_file(path, layer="distritos_2007")
    districts.to_file(path, layer="distritos_2017")
    refused(validate(cache=seeded_cache, boundaries=path), str(path), "'distritos_2007' (Polygon)",
            "'distritos_2017' (Polygon)", "Save the layer to use on its own")


# --- 9. row and feature numbers count from the file as given -----------------------------------


def test_feature_numbers_count_from_the_file_not_from_the_area(tmp_path, shared_data, seeded_cache):
    data = json.loads((shared_data / "lima_callao_distritos_simple.geojson").read_text(encoding="utf-8"))
    features = data["features"]
    first_lima = next(i for i, f in enumerate(features) if f["properties"]["provincia"] == "LIMA")
    features.insert(0, next(f for f in features if f["properties"]["provincia"] != "LIMA"))  # shift Lima's
    features.append(features[first_lima + 1])  # the same Lima district again, last
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(data))
    name = features[first_lima + 1]["properties"]["distrito"]
    line = refused(validate(cache=seeded_cache, boundaries=path), str(path), "the same district appears more than once")
    # numbered as in the file: the Callao features before them count
    assert f"feature {first_lima + 2} ({name!r}), feature {len(features)} ({name!r})" in line


def test_facility_rows_are_numbered_as_in_the_file_after_rows_outside_the_area_and_blank_lines(
        tmp_path, lima43, seeded_cache):
    outside = [FACILITY_ROWS[3]] * 3
    outside = [{**row, "nombre": f"CEM {i}"} for i, row in enumerate(outside)]
    bad = {**FACILITY_ROWS[0], "tipo": "CEMX"}
    text = facility_csv([*outside, bad]).replace("\n", "\n\n", 1)  # a blank line after the header
    path = tmp_path / "centros.csv"
    path.write_text(text)
    # header is row 1, the blank line row 2, the three Arequipa rows 3-5: the bad row is row 6
    refused(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43),
            str(path), "centros.csv, row 6, 'CEM Lima': unknown or non place-based service 'CEMX'")


def test_a_row_with_more_values_than_the_header_is_refused_by_row(tmp_path, lima43, seeded_cache):
    # pandas would silently take the first values as the row's index: every field shifts
    path = tmp_path / "centros.csv"
    path.write_text("tipo,nombre,ubigeo\nCEM,CEM Lima,150101\nCEM,CEM Lima, Cercado,150101\n")
    refused(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43), str(path),
            "row 3 (4 values) holds more values than the header has names (3)", "Put quotes around values")


# --- 10. population files -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "words"), [
    ("pob.xlsx", b"PK\x03\x04 not really a workbook", ("Cannot read population workbook", "Export it again")),
    ("pob.csv", "distrito,total\nLima,268352\n", ("needs the columns ubigeo and total", "--population none")),
    ("pob.csv", "ubigeo,total\n150101,268352\n150122,-5\n", ("row 3, total '-5': not a number of 0 or more",)),
    ("pob.csv", "ubigeo;total\n150101;268352,5\n", ("row 2, total '268352,5': a comma in a number", "1234.5")),
    ("pob.csv", "ubigeo,total\n150101,1\n150101,2\n", ("row 3, ubigeo 150101 given again (first in row 2)",)),
    ("pob.csv", "", ("is empty",)),
    # drawn once by a property test: it overflowed the whole-number columns and crashed validate
    ("pob.csv", "ubigeo,total\n150101,9.2e18\n",
     ("row 2, total '9.2e18': more than 100,000,000 people, more than any district of Peru",)),
    ("pob.csv", "ubigeo,total,mujeres\n150101,268352,1e300\n", ("row 2, mujeres '1e300': more than 100,000,000 people",)),
])
def test_population_files_refused_by_row(name, content, words, tmp_path, lima43, seeded_cache):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run("validate", "--boundaries", str(lima43), "--population", str(path), cache=seeded_cache)
    refused(result, str(path), *words)


# --- property tests: mutated valid inputs end in 0 or 2, never in a traceback --------------------

def examples(n: int) -> int:
    """A property test's n examples, scaled by the loaded profile's (Hypothesis's default, 100,
    in "ci"; ten times more in "explore")."""
    return max(1, round(n * settings.default.max_examples / 100))


PROPERTY = settings(max_examples=examples(30), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def ends_cleanly(result) -> None:
    """Exit 0 or 2 and no uncaught exception (click turns one into exit 1 with result.exception)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 2), result.output
    assert [p.key for p in result.problems if p.key not in TEXTS["en"]] == []  # every line from the catalogue
    if result.exit_code == 2:  # validate prints one line per problem (and note), the last one last
        assert result.stderr.rstrip().splitlines()[-1].startswith(("Error: ", "Note: ")), result.stderr


cells = st.one_of(
    st.text(max_size=12), st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True).map(str),
    st.sampled_from(["", "-12,0464", "1.5", "CIAM", "150101", "NaN", "inf", "-77,0428", "\ufeffubigeo", "nan"]),
)


@st.composite
def mutated_table(draw, text: str) -> tuple[str, bytes]:
    """A CSV table text mutated: cells, columns, header, encoding, bytes, and the suffix it is given."""
    rows = [line.split(",") for line in text.strip().split("\n")]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cell", "swap", "drop", "dup_header", "dup_row", "blank", "sep"]))
        width = len(rows[0])
        if kind == "cell" and len(rows) > 1:
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, width - 1))
            if c < len(rows[r]):
                rows[r][c] = draw(cells).replace("\n", " ")
        elif kind == "swap" and width > 1:
            a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
            for row in rows:
                if max(a, b) < len(row):
                    row[a], row[b] = row[b], row[a]
        elif kind == "drop" and width > 1:
            c = draw(st.integers(0, width - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif kind == "dup_header":
            rows.insert(1, list(rows[0]))
        elif kind == "dup_row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif kind == "blank":
            rows.insert(draw(st.integers(0, len(rows))), [""])
        elif kind == "sep":
            rows = [[";".join(row)] for row in rows]
    body = "\n".join(",".join(row) for row in rows) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = body.encode(encoding, errors="replace")
    suffix = draw(st.sampled_from([".csv", ".csv", ".txt", ".xlsx", ".json"]))
    if suffix == ".xlsx":
        try:
            frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
            data = _xlsx(frame)
        except Exception:
            suffix = ".csv"
    if suffix == ".json":
        try:
            data = pd.read_csv(io.StringIO(body), dtype=str).to_json(orient="records").encode()
        except Exception:
            data = body.encode()
    return suffix, _mutate_bytes(draw, data)


def _mutate_bytes(draw, data: bytes) -> bytes:
    """Byte-level damage. Positions are drawn independently of the data and taken modulo its
    length: a workbook's bytes carry the time it was written, and hypothesis needs the same
    draws for the same example."""
    kind = draw(st.sampled_from(["none", "none", "truncate", "insert", "random", "empty", "bom", "flip"]))
    at = draw(st.integers(0, 2**20)) % max(1, len(data))
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "empty":
        return b""
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "flip" and data:
        return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    return data


@PROPERTY
@given(case=mutated_table(INVENTORY_CSV))
def test_any_mutated_inventory_ends_in_0_or_2(case, lima43, seeded_cache):
    suffix, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"inventario{suffix}"
        path.write_bytes(data)
        ends_cleanly(validate("--inventory", str(path), cache=seeded_cache, boundaries=lima43))


@PROPERTY
@given(case=mutated_table(facility_csv()))
def test_any_mutated_facility_table_ends_in_0_or_2(case, lima43, seeded_cache):
    suffix, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"centros{suffix}"
        path.write_bytes(data)
        ends_cleanly(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_records(draw) -> bytes:
    """MIMP's directory shape ({"servicios": [...]}) with fields of any JSON type."""
    records = [dict(r) for r in FACILITY_ROWS]
    for _ in range(draw(st.integers(1, 4))):
        record = draw(st.sampled_from(records))
        key = draw(st.sampled_from([*record, "extra"]))
        if draw(st.booleans()):
            record[key] = draw(json_values)
        else:
            record.pop(key, None)
    data = draw(st.sampled_from([records, {"servicios": records}, {"meta": {}, "servicios": records}]))
    return _mutate_bytes(draw, json.dumps(data).encode())


@PROPERTY
@given(data=mutated_records())
def test_any_mutated_json_facility_list_ends_in_0_or_2(data, lima43, seeded_cache):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "directorio.json"
        path.write_bytes(data)
        ends_cleanly(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43))


@PROPERTY
@given(data=st.data())
def test_any_mutated_population_csv_ends_in_0_or_2(data, lima43, seeded_cache):
    suffix, content = data.draw(mutated_table(population_csv(lima43)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"poblacion{suffix}"
        path.write_bytes(content)
        ends_cleanly(run("validate", "--boundaries", str(lima43), "--population", str(path), cache=seeded_cache))


@st.composite
def mutated_geojson(draw, text: str, field: str = "distrito", other: dict | None = None) -> bytes:
    """A boundary GeoJSON with features dropped, repeated or emptied, properties of other types,
    coordinates scaled to metres, another geometry type or a crs member, then byte mutations."""
    data = json.loads(text)
    features = data["features"]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["drop", "repeat", "property", "no_geometry", "point", "scale", "crs", "rename"]))
        i = draw(st.integers(0, len(features) - 1))
        if kind == "drop" and len(features) > 1:
            features.pop(i)
        elif kind == "repeat":
            features.append(json.loads(json.dumps(features[i])))
        elif kind == "property":
            features[i]["properties"][field] = draw(json_values)
        elif kind == "no_geometry":
            features[i]["geometry"] = None
        elif kind == "point":
            features[i]["geometry"] = other or {"type": "Point", "coordinates": [-77.0, -12.0]}
        elif kind == "scale":
            factor = draw(st.sampled_from([1e5, -1, 1e-3, 1e9]))
            for feature in features:
                feature["geometry"] = _scaled(feature["geometry"], factor)
        elif kind == "crs":
            data["crs"] = {"type": "name", "properties": {"name": draw(st.sampled_from(
                ["EPSG:32718", "urn:ogc:def:crs:EPSG::32717", "EPSG:3857", "EPSG:999999", "nonsense"]))}}
        elif kind == "rename":
            for feature in features:
                feature["properties"] = {"nombre_x": feature["properties"].get(field)}
    return _mutate_bytes(draw, json.dumps(data).encode())


def _scaled(geometry, factor):
    if geometry is None:
        return None

    def scale(c):
        return [scale(x) for x in c] if isinstance(c[0], list) else [c[0] * factor, c[1] * factor]

    return {**geometry, "coordinates": scale(geometry["coordinates"])}


@settings(PROPERTY, max_examples=examples(40))
@given(data=st.data())
def test_any_mutated_boundary_file_ends_in_0_or_2(data, lima43, seeded_cache):
    content = data.draw(mutated_geojson(lima43.read_text(encoding="utf-8")))
    suffix = data.draw(st.sampled_from([".geojson", ".geojson", ".json", ".gpkg"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"distritos{suffix}"
        path.write_bytes(content)
        ends_cleanly(validate(cache=seeded_cache, boundaries=path))


def facility_geojson() -> str:
    rows = pd.DataFrame(FACILITY_ROWS).dropna(subset=["lat"])
    points = gpd.GeoDataFrame(rows.drop(columns=["lat", "lon"]), geometry=gpd.points_from_xy(rows["lon"], rows["lat"]),
                              crs="EPSG:4326")
    return points.to_json()


@PROPERTY
@given(data=st.data())
def test_any_mutated_facility_geojson_ends_in_0_or_2(data, lima43, seeded_cache):
    square = {"type": "Polygon", "coordinates": [[[-77, -12], [-76.9, -12], [-76.9, -12.1], [-77, -12]]]}
    content = data.draw(mutated_geojson(facility_geojson(), field=data.draw(st.sampled_from(["tipo", "ubigeo"])),
                                        other=square))
    suffix = data.draw(st.sampled_from([".geojson", ".json", ".gpkg"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"centros{suffix}"
        path.write_bytes(content)
        ends_cleanly(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43))


@settings(PROPERTY, max_examples=examples(4))
@given(data=st.data())
def test_a_whole_build_on_mutated_facilities_ends_in_0_or_2(data, lima43, seeded_cache):
    """The build path too (coverage, map, report), a few examples: each costs about 2 s."""
    suffix, content = data.draw(mutated_table(facility_csv()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"centros{suffix}"
        path.write_bytes(content)
        result = run("build", "--out", str(Path(folder) / "out"), "--population", "none", "--boundaries", str(lima43),
                     "--facilities", str(path), cache=seeded_cache)
        ends_cleanly(result)


typed_cells = st.one_of(
    st.none(), st.booleans(), st.integers(-10**7, 10**7), st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),  # what a worksheet can hold
    st.dates().map(lambda d: pd.Timestamp(d)),
    st.sampled_from(["AREA # 150101", " Total", " De 0  a 4 años", " De 95 a más", "-", "1 234", "-12,0464"]),
)


@st.composite
def mutated_workbook(draw, rows: list[list]) -> bytes:
    """A workbook whose cells are replaced by values of any type Excel holds, rows dropped or repeated."""
    rows = [list(row) for row in rows]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "drop", "repeat"]))
        r = draw(st.integers(0, len(rows) - 1))
        if kind == "cell":
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(typed_cells)
        elif kind == "drop" and len(rows) > 1:
            rows.pop(r)
        elif kind == "repeat":
            rows.insert(r, list(rows[r]))
    buffer = io.BytesIO()
    pd.DataFrame(rows).to_excel(buffer, index=False, header=False)
    return _mutate_bytes(draw, buffer.getvalue())


REDATAM_ROWS = [
    [None, "AREA # 150101", "Lima, Lima, distrito: Lima", None, None],
    [None, " De 0  a 4 años", 10, 12, 22], [None, " De 15 a 19 años", 5, 5, 10], [None, " De 60 a 64 años", 3, 4, 7],
    [None, " Total", 18, 21, 39],
]


@PROPERTY
@given(content=mutated_workbook(REDATAM_ROWS))
def test_any_mutated_redatam_workbook_ends_in_0_or_2(content, lima43, seeded_cache):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "redatam.xlsx"
        path.write_bytes(content)
        ends_cleanly(run("validate", "--boundaries", str(lima43), "--population", str(path), cache=seeded_cache))


@PROPERTY
@given(content=mutated_workbook([list(FACILITY_ROWS[0]), *[list(r.values()) for r in FACILITY_ROWS]]))
def test_any_mutated_facility_workbook_ends_in_0_or_2(content, lima43, seeded_cache):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "centros.xlsx"
        path.write_bytes(content)
        ends_cleanly(validate("--facilities", str(path), cache=seeded_cache, boundaries=lima43))


def test_debug_shows_the_traceback_instead_of_the_line(tmp_path, lima43, seeded_cache):
    from coverage_map.errors import InputError

    path = tmp_path / "centros.json"
    path.write_text('[{"tipo": "CEM"')
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "out"), "--population", "none", "--boundaries",
                                       str(lima43), "--facilities", str(path), "--debug",
                                       "--cache-dir", str(seeded_cache)])
    assert isinstance(result.exception, InputError) and "is not valid JSON" in str(result.exception)
    assert result.exit_code == 1 and "Error: " not in result.stderr


def test_a_redatam_cell_that_is_not_a_count_names_its_row(tmp_path, lima43, seeded_cache):
    rows = [list(r) for r in REDATAM_ROWS]
    rows[2][3] = "cinco"
    path = tmp_path / "redatam.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False, header=False)
    refused(run("validate", "--boundaries", str(lima43), "--population", str(path), cache=seeded_cache),
            str(path), "row 3: men, women and total (5, 'cinco', 10) are not counts", "export it again from REDATAM")


@st.composite
def valid_facilities_with_any_text(draw) -> bytes:
    """Well-formed facility lists whose names, addresses and phones are any text: the build's
    renderers (map, report, workbook) must take whatever a user's list holds."""
    services = ["CEM", "HRT", "CIAM", "DEMUNA", "cem", "Centro Emergencia Mujer"]
    places = [("150101", -12.0464, -77.0428), ("150122", -12.1211, -77.0297), ("150122", -12.13, -77.10),
              ("150110", None, None), ("150132", -12.0, -77.0)]
    rows = []
    for i in range(draw(st.integers(1, 6))):
        ubigeo, lat, lon = draw(st.sampled_from(places))
        rows.append({"tipo": draw(st.sampled_from(services)), "nombre": f"{i} {draw(st.text(max_size=30))}",
                     "ubigeo": ubigeo, "lat": lat, "lon": lon,
                     "direccion": draw(st.text(max_size=30)), "telefono": draw(st.text(max_size=12))})
    return json.dumps(rows).encode()


@settings(PROPERTY, max_examples=examples(5))
@given(content=valid_facilities_with_any_text())
def test_a_whole_build_with_any_text_in_a_facility_list_ends_in_0_or_2(content, lima43, seeded_cache):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "centros.json"
        path.write_bytes(content)
        result = run("build", "--out", str(Path(folder) / "out"), "--population", "none", "--boundaries", str(lima43),
                     "--facilities", str(path), cache=seeded_cache)
        ends_cleanly(result)
