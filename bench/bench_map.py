"""Our map page against the usual way (geopandas `explore()` + folium), in the same run.

For the page with every place-based service as a layer, on the detailed default
boundaries, it prints the HTML bytes, the build wall time and peak memory (child
processes, median), and the time until the page is ready in headless Chromium (median of
5): from navigation to every district path drawn.

The peer's page loads its libraries from CDNs, which no machine here reaches. For the
comparison only, the same versions are installed from the npm registry into
bench/.scratch/ (git-ignored) and served through Playwright's request routing; its tiles
are blocked. Two small stylesheets are not on npm (folium's rotate CSS, the glyphicons
CSS of bootstrapcdn) and are served empty.

Usage: python bench/bench_map.py [--runs 3] [--ready-runs 5] [--cache-dir DIR]
(the boundaries must be in the cache: `coverage-map sources fetch --from ../shared/data`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRATCH = BENCH / ".scratch"
NODE_MODULES = SCRATCH / "node_modules"
CHROMIUM = os.environ.get("COVERAGE_MAP_CHROMIUM", "/usr/bin/chromium")
#: Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
NPM_PACKAGES = [
    "leaflet@1.9.3",
    "jquery@3.7.1",
    "bootstrap@5.2.2",
    "@fortawesome/fontawesome-free@6.2.0",
    "d3@3.5.5",
    "drmonty-leaflet-awesome-markers@2.0.2",  # the npm name of Leaflet.awesome-markers 2.0.2
]
#: CDN address (or its prefix) -> file under node_modules, for the libraries folium 0.20 uses.
CDN_FILES = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/": "leaflet/",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/": "bootstrap/",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/": "@fortawesome/fontawesome-free/",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/": "d3/",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
}
EMPTY_STYLESHEETS = (
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
)
CONTENT_TYPES = {".js": "application/javascript", ".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf"}
READY = "document.querySelectorAll('.leaflet-overlay-pane path').length >= {n}"


# ---- the two builders (run in child processes) -----------------------------------------


def build_ours(analysis, out: Path) -> None:
    from coverage_map.maps import write_map

    write_map(analysis, out)


def build_peer(analysis, out: Path) -> None:
    """One `explore()` layer per service plus a LayerControl, as a planner's notebook would."""
    import folium

    frame = analysis.districts[["ubigeo", "name", "geometry"]].copy()
    table = analysis.coverage.table
    m = None
    for i, code in enumerate(analysis.coverage.summary.index):
        counts = table[table["service"] == code].set_index("ubigeo")["count"]
        # explore() cannot classify an all-missing column; unknown becomes 0 here.
        frame[code] = frame["ubigeo"].map(counts).astype(float).fillna(0)
        layer = frame[["ubigeo", "name", code, "geometry"]]
        m = layer.explore(column=code, m=m, name=code, cmap="YlGnBu", tooltip=["name", code], show=i == 0)
    folium.LayerControl().add_to(m)
    m.save(out / "map.html")


def child(which: str, cache: str, out: str) -> None:
    """Analyse, then time only the page build; print seconds and peak RSS as JSON."""
    import resource

    from coverage_map.pipeline import analyse

    analysis = analyse(cache=cache)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    (build_ours if which == "ours" else build_peer)(analysis, Path(out))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "before_mb": before}))


def measure_build(which: str, cache: str, out: Path, runs: int) -> dict:
    results = []
    for _ in range(runs):
        argv = [sys.executable, __file__, "--child", which, "--cache-dir", cache, "--out", str(out)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{which} build failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


# ---- page ready in Chromium ------------------------------------------------------------


def install_peer_libraries() -> None:
    if all((NODE_MODULES / p.rsplit("@", 1)[0]).is_dir() for p in NPM_PACKAGES):
        return
    SCRATCH.mkdir(exist_ok=True)
    argv = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(SCRATCH), *NPM_PACKAGES]
    subprocess.run(argv, check=True)


def local_file(url: str) -> Path | None:
    for prefix, target in CDN_FILES.items():
        if url == prefix or (prefix.endswith("/") and url.startswith(prefix)):
            rest = url[len(prefix):].split("?")[0].split("#")[0] if prefix.endswith("/") else ""
            return NODE_MODULES / (target + rest)
    return None


def route_offline(route) -> None:
    """Serve the peer's CDN files from node_modules; block tiles and anything else."""
    url = route.request.url
    if url.startswith(("file:", "data:")):
        return route.continue_()
    path = local_file(url)
    if path is not None and path.is_file():
        return route.fulfill(path=str(path), content_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
    if url in EMPTY_STYLESHEETS:
        return route.fulfill(body="", content_type="text/css")
    return route.abort()


def check_peer_urls(html: str) -> list[str]:
    """CDN files the peer page names that this benchmark cannot serve (should be none)."""
    urls = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', html))
    return sorted(u for u in urls if u not in EMPTY_STYLESHEETS and not (local_file(u) and local_file(u).is_file()))


def page_ready(browser, path: Path, runs: int, districts: int = 43) -> float:
    """Median milliseconds from navigation to every district path drawn."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", route_offline)
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_function(READY.format(n=districts), polling="raf", timeout=120_000)
        times.append(page.evaluate("performance.now()"))
        context.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="build runs per page (median)")
    parser.add_argument("--ready-runs", type=int, default=5, help="page loads per page (median)")
    parser.add_argument("--cache-dir", default=os.environ.get("COVERAGE_MAP_CACHE"))
    parser.add_argument("--child", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.cache_dir, args.out)
    cache = args.cache_dir or ""
    install_peer_libraries()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for which in ("ours", "peer"):
            out = Path(tmp) / which
            out.mkdir()
            build = measure_build(which, cache, out, args.runs)
            figures[which] = {"bytes": (out / "map.html").stat().st_size, **build, "path": out / "map.html"}
        missing = check_peer_urls(figures["peer"]["path"].read_text(encoding="utf-8"))
        if missing:
            print(f"warning: peer files not served locally: {missing}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for which in ("ours", "peer"):
                figures[which]["ready_ms"] = page_ready(browser, figures[which]["path"], args.ready_runs)
            browser.close()
    report(figures, args)


def report(figures: dict, args) -> None:
    ours, peer = figures["ours"], figures["peer"]
    print(f"map page, all service layers, detailed default boundaries "
          f"(build: median of {args.runs}, ready: median of {args.ready_runs})")
    print(f"{'':12}{'HTML':>12}{'build':>10}{'peak RSS':>11}{'(+ over analysis)':>19}{'ready':>10}")
    for name, f in (("ours", ours), ("explore()", peer)):
        print(f"{name:12}{f['bytes'] / 1e6:>9.3f} MB{f['seconds']:>8.2f} s{f['peak_mb']:>8.0f} MB"
              f"{f['peak_mb'] - f['before_mb']:>16.0f} MB{f['ready_ms']:>7.0f} ms")
    print(f"ratios: HTML 1/{peer['bytes'] / ours['bytes']:.0f} (target <= 1/20), "
          f"build {peer['seconds'] / ours['seconds']:.1f}x faster (target >= 3x), "
          f"ready {ours['ready_ms'] / peer['ready_ms']:.2f} of the peer's (target <= 1/3)")


if __name__ == "__main__":
    main()
