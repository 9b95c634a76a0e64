import hashlib
from dataclasses import replace

import pytest

from coverage_map.errors import SourceError
from coverage_map.sources import cache_dir, cached_path, fetch, get_source, registry, seed_from

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
        "lima_callao_distritos": "cached",
        "lima_callao_distritos_simple": "cached",
        "peru_distrital_simple": "cached",
        "censo_2017_edades": "cached",
    }
    assert cached_path(get_source("lima_callao_distritos"), tmp_path) is not None
    assert set(seed_from(shared_data, cache=tmp_path).values()) == {"already cached"}


def test_seed_from_refuses_a_file_with_another_sha256(tmp_path):
    folder = tmp_path / "offline" / "sub"
    folder.mkdir(parents=True)
    (folder / "lima_callao_distritos.geojson").write_text("{}")
    cache = tmp_path / "cache"
    with pytest.raises(SourceError, match="sha256 does not match the registered lima_callao_distritos"):
        seed_from(tmp_path / "offline", cache=cache)
    assert not (cache / "lima_callao_distritos.geojson").exists()


def test_cache_dir_override_then_environment_then_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COVERAGE_MAP_CACHE", str(tmp_path / "env"))
    assert cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv("COVERAGE_MAP_CACHE")
    assert "coverage-map" in str(cache_dir())
