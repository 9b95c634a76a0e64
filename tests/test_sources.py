import hashlib
import logging
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from coverage_map.errors import SourceError
from coverage_map.sources import (
    DEFAULT_BOUNDARIES,
    DEFAULT_POPULATION,
    PROJECTION_OF,
    cache_dir,
    cached_path,
    fetch,
    get_source,
    packaged_path,
    registry,
    seed_from,
    sha256_of,
)

BODY = b'{"type": "FeatureCollection", "features": []}'


@pytest.fixture
def source(httpserver):
    """A registered-like source served by a local HTTP server on loopback."""
    return replace(
        get_source("lima_callao_distritos"),
        name="test",
        file="test.geojson",
        url=httpserver.url_for("/test.geojson"),
        sha256=hashlib.sha256(BODY).hexdigest(),
        embedded=False,
    )


def test_registry_pins_the_default_and_the_national_boundaries():
    sources = registry()
    assert sources["lima_callao_distritos"].sha256 == (
        "b0627d6c0a5617fef2054ef066f54dd2d1e4c15d2506c7fef034fef6fc48db9e"
    )
    assert sources["lima_callao_distritos"].url.startswith("https://raw.githubusercontent.com/")
    assert sources["peru_distrital_simple"].ubigeo_field == "IDDIST"
    assert all(s.license and s.attribution for s in sources.values())


def test_a_good_download_is_cached_and_then_served_from_the_cache(httpserver, source, tmp_path):
    httpserver.expect_oneshot_request("/test.geojson").respond_with_data(BODY)
    path = fetch(source, cache=tmp_path)
    assert path == tmp_path / "test.geojson"
    assert path.read_bytes() == BODY
    assert fetch(source, cache=tmp_path) == path  # no second request: the oneshot is spent
    httpserver.check_assertions()


def test_a_corrupted_download_is_refused_and_not_cached(httpserver, source, tmp_path):
    httpserver.expect_request("/test.geojson").respond_with_data(BODY + b" ")
    with pytest.raises(SourceError, match="sha256 does not match the registry") as err:
        fetch(source, cache=tmp_path)
    assert "refused and not cached" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_server_error_says_how_to_work_offline(httpserver, source, tmp_path):
    httpserver.expect_request("/test.geojson").respond_with_data("gone", status=404)
    with pytest.raises(SourceError, match=r"Cannot download test.geojson .* sources fetch --from DIR"):
        fetch(source, cache=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_seed_from_a_folder_checks_and_copies_the_registered_files(shared_data, tmp_path):
    status = seed_from(shared_data, cache=tmp_path)
    assert status == {
        "lima_callao_distritos": "embedded",
        "lima_callao_distritos_simple": "cached",
        "peru_distrital_simple": "cached",
        "censo_2017_edades": "cached",
        "censo_2017_lima_callao": "embedded",
        "proyeccion_2018_2025": "cached",
        "proyeccion_lima_callao": "embedded",
    }
    assert cached_path(get_source("peru_distrital_simple"), tmp_path) == tmp_path / "peru_distrital_simple.geojson"
    assert not (tmp_path / "lima_callao_distritos.geojson").exists()  # embedded: never copied
    assert set(seed_from(shared_data, cache=tmp_path).values()) == {"already cached", "embedded"}


def test_seed_from_refuses_a_file_with_another_sha256(tmp_path):
    folder = tmp_path / "offline" / "sub"
    folder.mkdir(parents=True)
    (folder / "peru_distrital_simple.geojson").write_text("{}")
    cache = tmp_path / "cache"
    with pytest.raises(SourceError, match="sha256 does not match the registered peru_distrital_simple"):
        seed_from(tmp_path / "offline", cache=cache)
    assert not (cache / "peru_distrital_simple.geojson").exists()


def test_cache_dir_override_then_environment_then_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COVERAGE_MAP_CACHE", str(tmp_path / "env"))
    assert cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv("COVERAGE_MAP_CACHE")
    assert "coverage-map" in str(cache_dir())


def test_the_defaults_are_embedded_and_the_others_downloaded():
    embedded = {name for name, source in registry().items() if source.embedded}
    assert embedded == {DEFAULT_BOUNDARIES, DEFAULT_POPULATION, PROJECTION_OF[DEFAULT_POPULATION]} == {
        "lima_callao_distritos", "censo_2017_lima_callao", "proyeccion_lima_callao"}
    for source in registry().values():
        assert source.url.startswith("https://raw.githubusercontent.com/")  # where it came from


def test_an_embedded_source_is_the_packaged_file_with_no_cache_and_no_download(shared_data, tmp_path):
    cache = tmp_path / "empty"
    path = fetch(get_source("lima_callao_distritos"), cache=cache)
    assert path.read_bytes() == (shared_data / "lima_callao_distritos.geojson").read_bytes()
    assert path.parent.name == "geo" and (path.parent / "LICENSE-lima_callao_distritos-MIT.txt").is_file()
    assert "joseluisq/peru-geojson-datasets" in (path.parent / "NOTICE.md").read_text(encoding="utf-8")
    assert not cache.exists()  # nothing written, no folder made


def test_an_embedded_file_that_was_changed_is_refused(tmp_path):
    source = replace(get_source("lima_callao_distritos"), sha256="0" * 64)
    with pytest.raises(SourceError, match=r"The packaged file .*lima_callao_distritos.geojson of lima_callao_distritos "
                                          r"is missing or does not match its sha256 \(000000000000…\): reinstall"):
        fetch(source, cache=tmp_path)


def test_the_cache_belongs_to_pooch_with_its_environment_override(monkeypatch, tmp_path):
    import pooch

    monkeypatch.delenv("COVERAGE_MAP_CACHE", raising=False)
    assert cache_dir() == Path(pooch.os_cache("coverage-map"))


def test_a_download_shows_a_progress_bar_unless_quiet(httpserver, source, tmp_path, capfd):
    httpserver.expect_request("/test.geojson").respond_with_data(BODY)
    logger = logging.getLogger("coverage_map")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        fetch(source, cache=tmp_path / "loud")
        assert "100%" in capfd.readouterr().err
        logger.setLevel(logging.WARNING)  # what --quiet sets
        fetch(source, cache=tmp_path / "quiet")
        assert "%" not in capfd.readouterr().err
    finally:
        logger.setLevel(level)


@pytest.mark.parametrize("script, workbook, name", [
    ("make_census_extract.py", "censo_pob_sexo_edades_quin_2017.xlsx", "censo_2017_lima_callao"),
    ("make_projection_extract.py", "pob_total_estimada_distrito_2018_2025.xlsx", "proyeccion_lima_callao"),
])
def test_an_embedded_extract_is_what_its_script_writes(shared_data, tmp_path, script, workbook, name):
    """The shipped CSVs are generated, never edited: each script writes its file again byte for byte."""
    out = written_again(script, shared_data / "population" / workbook, tmp_path)
    source = get_source(name)
    assert out.read_bytes() == packaged_path(source).read_bytes()
    assert sha256_of(out) == source.sha256 and out.stat().st_size == source.size


def written_again(script: str, workbook: Path, folder: Path) -> Path:
    """The file script writes from workbook into folder; the registry it updates must be the project's."""
    repo = Path(__file__).resolve().parents[1]
    registry_copy = folder / "sources.toml"
    shutil.copy(repo / "geo" / "sources.toml", registry_copy)
    out = folder / "extract.csv"
    subprocess.run([sys.executable, str(repo / "scripts" / script), "--workbook", str(workbook),
                    "--out", str(out), "--registry", str(registry_copy)], check=True, capture_output=True)
    assert registry_copy.read_bytes() == (repo / "geo" / "sources.toml").read_bytes()
    return out


def test_the_census_extract_cites_its_source(shared_data, tmp_path):
    out = written_again("make_census_extract.py", shared_data / "population" / "censo_pob_sexo_edades_quin_2017.xlsx", tmp_path)
    header = out.read_text(encoding="utf-8").split("ubigeo,")[0]
    for cited in ("INEI, Censos Nacionales 2017", "REDATAM", get_source("censo_2017_edades").url,
                  get_source("censo_2017_edades").sha256, "Do not edit by hand"):
        assert cited in header


@pytest.mark.parametrize("columns", [None, "30", "200"])
def test_sources_list_is_never_cut_at_any_width_or_when_piped(cache_env, columns):
    from click.testing import CliRunner

    from coverage_map.cli import main

    env = {"COLUMNS": columns} if columns else {}
    result = CliRunner().invoke(main, ["sources", "list", "--lang", "en"], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    if columns == "30":  # one block per source, each line a field
        assert "lima_callao_distritos" in lines and "  status   embedded" in lines
        assert all(len(line) <= 30 for line in lines if not line.startswith(("Cache:", "  license", "  file")))
    else:  # piped or wide: aligned columns, whole words
        assert lines[1].split() == ["Name", "Kind", "Status", "File", "License"]
    for source in registry().values():
        assert source.name in result.stdout and source.file in result.stdout and source.license in result.stdout
    status = {line.split()[0]: line.split()[2] for line in lines[2:]} if columns != "30" else {}
    if status:
        assert status == {"lima_callao_distritos": "embedded", "lima_callao_distritos_simple": "cached",
                          "peru_distrital_simple": "cached", "censo_2017_edades": "cached",
                          "censo_2017_lima_callao": "embedded", "proyeccion_2018_2025": "cached",
                          "proyeccion_lima_callao": "embedded"}


def test_sources_list_speaks_spanish_by_default(cache_env):
    from click.testing import CliRunner

    from coverage_map.cli import main

    result = CliRunner().invoke(main, ["sources", "list"], catch_exceptions=False)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Caché: ") and lines[1].split() == ["Nombre", "Tipo", "Estado", "Archivo", "Licencia"]
    assert next(line for line in lines if line.startswith("lima_callao_distritos ")).split()[2] == "incluido"
