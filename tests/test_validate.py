"""validate and build take the same path: validate reports a problem exactly when build
fails, with the same message, on a table of good and bad inputs."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from click.testing import CliRunner

from coverage_map.cli import main


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, seeded_cache):
    """The inputs of the table: each a small file a user could plausibly give."""
    folder = tmp_path_factory.mktemp("inputs")
    lima = gpd.read_file(seeded_cache / "lima_callao_distritos_simple.geojson")
    # metres of UTM 18S in a GeoJSON without a crs member: GDAL takes it as longitude/latitude
    projected = json.loads(lima.to_crs(32718).to_json())
    projected.pop("crs", None)
    (folder / "utm_sin_crs.geojson").write_text(json.dumps(projected), encoding="utf-8")
    return {
        "good_inventory": write(folder / "ok.csv", "ubigeo,service,count\n150105,CEM,2\n150132,CEM,3\n"),
        "unknown_service": write(folder / "servicio.csv", "ubigeo,service,count\n150105,XYZ,2\n"),
        "unknown_district": write(folder / "distrito.csv", "distrito,servicio,cantidad\nAtlantida,CEM,1\n"),
        "swapped": write(folder / "swapped.csv", "tipo,nombre,lat,lon\nCEM,Centro 1,-77.03,-12.05\nCEM,Centro 2,-77.0,-12.1\n"),
        "short_population": write(folder / "pob.csv", "ubigeo,total\n150101,268352\n"),
        "projected": folder / "utm_sin_crs.geojson",
        "missing": folder / "no_existe.geojson",
    }


CASES = {
    "default": [],
    "own inventory, counts only": ["--inventory", "{good_inventory}", "--population", "none"],
    "area outside Lima without data": ["--area", "arequipa", "--boundaries", "peru_distrital_simple"],
    "projected coordinates without crs": ["--boundaries", "{projected}", "--population", "none"],
    "unknown service": ["--inventory", "{unknown_service}"],
    "unknown district": ["--inventory", "{unknown_district}"],
    "swapped coordinates": ["--facilities", "{swapped}"],
    "population lacking districts": ["--population", "{short_population}"],
    "unknown area": ["--area", "atlantida"],
    "boundary file not found": ["--boundaries", "{missing}"],
    "population source as boundaries": ["--boundaries", "censo_2017_edades"],
    "district field not in the file": ["--district-field", "NOPE"],
    "unknown basemap": ["--basemap", "Nope.Nope"],
    "two bad files at once": ["--inventory", "{unknown_service}", "--facilities", "{swapped}"],
}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("case", CASES)
def test_validate_fails_exactly_when_build_fails_with_the_same_message(case, files, cache_env, tmp_path):
    args = [arg.format(**files) for arg in CASES[case]]
    checked = invoke("validate", "--quiet", *args)
    built = invoke("build", "--quiet", "--out", str(tmp_path / "out"), *args)
    assert checked.exit_code in (0, 2) and built.exit_code in (0, 2)
    assert checked.exit_code == built.exit_code, (checked.stderr, built.stderr)
    if built.exit_code == 2:
        error = built.stderr.strip()
        assert error.startswith("Error: ") and "\n" not in error  # one line
        assert error in checked.stderr.splitlines()
        assert not (tmp_path / "out").exists()  # nothing half-written
    else:
        assert checked.stdout.startswith("Sin problemas")
        assert (tmp_path / "out" / "map.html").is_file()


def test_validate_lists_every_problem_not_only_the_first(files, cache_env):
    result = invoke("validate", "--quiet", "--inventory", str(files["unknown_service"]),
                    "--facilities", str(files["swapped"]), "--population", str(files["short_population"]))
    errors = result.stderr.splitlines()
    assert result.exit_code == 2 and len(errors) == 3
    assert "servicio.csv" in errors[0] and "XYZ" in errors[0]
    assert "swapped.csv" in errors[1] and "intercambiadas" in errors[1]  # Spanish, the default
    assert "pob.csv" in errors[2] and "le faltan 42 distritos" in errors[2]
