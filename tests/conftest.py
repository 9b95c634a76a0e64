"""Shared fixtures: a cache seeded from ../shared/data, and no network but loopback; the
Hypothesis profiles."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import settings
from shapely.geometry import box

from coverage_map.districts import load_gazetteer
from coverage_map.sources import seed_from

# Property tests draw the same examples on every run and every fresh clone ("ci", the default):
# a failure seen once is seen again. "explore" draws ten times more, at random, to find new
# failures; fix what it finds and add the failing value as an explicit test. Choose with
# HYPOTHESIS_PROFILE=explore (see scripts/test.sh).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("COVERAGE_MAP_SHARED_DATA", REPO.parent / "shared" / "data"))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any test that tries to reach (or even look up) a host other than this machine."""
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OSError(f"test tried to reach {address[0]}: tests use loopback only")
        return real_connect(self, address)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback(str(host)):
            raise socket.gaierror(f"test tried to look up {host}: tests use loopback only")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "lima_callao_distritos.geojson").is_file():
        pytest.fail(f"Reference data not found in {SHARED_DATA}; set COVERAGE_MAP_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def seeded_cache(tmp_path_factory, shared_data) -> Path:
    """A cache holding the registered files that are not embedded, copied (and checked) from shared/data."""
    cache = tmp_path_factory.mktemp("cache")
    status = seed_from(shared_data, cache=cache)
    assert status["peru_distrital_simple"] == "cached"
    return cache


@pytest.fixture
def cache_env(seeded_cache, monkeypatch) -> Path:
    monkeypatch.setenv("COVERAGE_MAP_CACHE", str(seeded_cache))
    return seeded_cache


def _grid_districts(names: list[str] | None = None, *, size: float = 0.02) -> gpd.GeoDataFrame:
    """Hand-made districts: squares on a grid near Lima, one per name (default: Lima's 43).

    Square i is centred about (i % 7, i // 7) * size degrees from (-77.1, -12.2), so the
    distance between neighbours is about 2.2 km.
    """
    if names is None:
        districts = load_gazetteer().districts
        names = list(districts.loc[districts["ubigeo"].str.startswith("1501"), "name"])
    cells = [
        box(-77.1 + (i % 7) * size, -12.2 + (i // 7) * size, -77.1 + (i % 7 + 1) * size, -12.2 + (i // 7 + 1) * size)
        for i in range(len(names))
    ]
    return gpd.GeoDataFrame({"distrito": names}, geometry=cells, crs="EPSG:4326")


@pytest.fixture
def grid_districts():
    """Factory of hand-made district squares (see _grid_districts)."""
    return _grid_districts


@pytest.fixture(scope="session")
def default_build(tmp_path_factory, seeded_cache):
    """`coverage-map build` on the embedded default data, once per session: (analysis, out)."""
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("outputs")
    analysis, _ = build(out=out, cache=seeded_cache)
    return analysis, out


#: The box of the street grid of lima_streets: Lima Metropolitana and the sea and hills around it.
LIMA_BOX = (-77.25, -12.55, -76.60, -11.55)


def write_street_grid(path: Path, box: tuple[float, float, float, float] = LIMA_BOX, step: float = 0.005) -> Path:
    """A street grid over box written with pyosmium, streets step degrees apart (about 550 m in
    Lima): every 10th street primary, the rest residential, every 7th one-way northward or
    eastward; its header dated 2025-06-01."""
    import numpy as np
    import osmium
    from osmium.osm.mutable import Node, Way

    lon, lat = np.arange(box[0], box[2], step), np.arange(box[1], box[3], step)
    ids = np.arange(lon.size * lat.size, dtype=np.int64).reshape(lat.size, lon.size) + 1
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2025-06-01T00:00:00Z")
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as writer:
        for row, y in enumerate(lat.tolist()):
            for column, x in enumerate(lon.tolist()):
                writer.add_node(Node(id=int(ids[row, column]), location=(x, y)))
        way = 1
        for streets in (ids, ids.T):
            for line, nodes in enumerate(streets):
                tags = {"highway": "primary" if line % 10 == 0 else "residential"}
                writer.add_way(Way(id=way, nodes=nodes.tolist(), tags=tags | ({"oneway": "yes"} if line % 7 == 3 else {})))
                way += 1
    return path


@pytest.fixture(scope="session")
def lima_streets(tmp_path_factory) -> Path:
    """A Lima-wide street grid (write_street_grid), as an .osm.pbf extract."""
    return write_street_grid(tmp_path_factory.mktemp("streets") / "lima.osm.pbf")


@pytest.fixture(scope="session")
def roads_build(tmp_path_factory, seeded_cache, lima_streets):
    """`coverage-map build --roads lima.osm.pbf --profile walk` on the embedded default data,
    once per session: (analysis, out)."""
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("outputs-roads")
    analysis, _ = build(out=out, cache=seeded_cache, roads=lima_streets, profile="walk")
    return analysis, out


ARTIFACTS = Path(os.environ.get("COVERAGE_MAP_TEST_ARTIFACTS", REPO / "test-artifacts"))
#: axe-core, installed from npm by scripts/test.sh.
AXE = REPO / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("COVERAGE_MAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots a person can look at after the tests."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browsers do not install here)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """A browser page, with every request outside file:// and every console error it made."""

    page: object
    outside_requests: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)


def watch(context, **page_options) -> Watched:
    """A new page of context whose requests outside file:// are aborted and recorded, with
    its console errors."""
    watched = Watched(context.new_page(**page_options))

    def on_request(route):
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:", "about:")):
            return route.continue_()
        watched.outside_requests.append(url)
        return route.abort()

    context.route("**/*", on_request)
    watched.page.on("console", lambda m: m.type == "error" and watched.console_errors.append(m.text))
    watched.page.on("pageerror", lambda e: watched.console_errors.append(str(e)))
    return watched


def visible_point(page, name: str) -> list[float]:
    """A point of the district name where the district itself is on top (not a label, a
    panel or its box's centre)."""
    point = page.evaluate(
        """name => {
            const path = [...document.querySelectorAll('path.cm-district')].find(p => p.dataset.name === name);
            const r = path.getBoundingClientRect();
            for (let fy = 0.5; fy < 1; fy += 0.05) for (const sy of [1, -1]) for (let fx = 0.1; fx < 1; fx += 0.05) {
                const x = r.left + r.width * fx, y = r.top + r.height * (0.5 + sy * (fy - 0.5));
                if (document.elementFromPoint(x, y) === path) return [x, y];
            }
            return null;
        }""",
        name,
    )
    assert point is not None, f"no visible point of {name}"
    return point


def settled(page, selector: str, frames: int = 8) -> None:
    """Wait until selector is in the page and its box and opacity have not changed for
    frames animation frames in a row: a Leaflet pan, zoom or fade has ended (a popup's pan
    starts a few frames after it opens). A condition, not a fixed wait."""
    page.wait_for_function(
        """([selector, frames]) => new Promise(resolve => {
            const look = () => {
                const e = document.querySelector(selector);
                return e && JSON.stringify(e.getBoundingClientRect()) + getComputedStyle(e).opacity;
            };
            let last = look(), same = 0;
            const step = () => {
                const now = look();
                if (!now) { return resolve(false); }
                same = now === last ? same + 1 : 0;
                last = now;
                if (same >= frames) { return resolve(true); }
                requestAnimationFrame(step);
            };
            requestAnimationFrame(step);
        })""",
        arg=[selector, frames],
    )


@pytest.fixture
def watched_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    yield watch(context)
    context.close()


def axe_violations(page) -> list:
    """axe-core's violations on the page as it stands: [rule, nodes, first node's selector]."""
    if not AXE.is_file():
        pytest.fail(f"axe-core not found at {AXE}: scripts/test.sh installs it (npm install --prefix .venv/axe axe-core)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate("axe.run().then(r => r.violations.map(v => [v.id, v.nodes.length, v.nodes[0].target.join(' ')]))")


@pytest.fixture(scope="session")
def directory(shared_data):
    """MIMP's Directorio Nacional 2026, processed to JSON (shared/data/mimp_directorio)."""
    return shared_data / "mimp_directorio" / "directorio.json"


@pytest.fixture(scope="session")
def with_directory(seeded_cache, directory):
    """The directory placed by evidence, the default, without population."""
    from coverage_map.pipeline import analyse

    return analyse(cache=seeded_cache, facilities=directory, population=None)
