"""Our map page at two scales against geopandas' `explore()`: build time, HTML size, page ready.

Scenarios, each measured in the same run as its peer:
- peru: all of Peru (`--area peru --boundaries peru_distrital_simple`, 1,834 districts) with
  synthetic counts for every place-based service (a fixed random seed; many zeros, so gaps);
- lima: Lima Metropolitana with the 2017 census and MIMP's directory of facilities
  (`--facilities directorio.json`).

Like for like: our map page alone against the map a planner's notebook would make of the
same analysis (one `explore()` layer per service plus a LayerControl, saved); for both the
imports, the reading and the analysis are not timed. The whole build against the peer's
whole process (wall, CPU, memory) is bench_peer.py's. Printed: wall time and peak memory
(medians of --runs), map HTML bytes, and the time until the page has drawn every district
in headless Chromium (median of --ready-runs; the peer's CDN libraries are served locally,
see bench_map.py). Targets, as ratios in the same run: the map at least 3 times faster,
the HTML at most 1/20 of the size, the page ready in at most 1/3 of the time.

Usage: python bench/bench_scale.py [--scenario peru|lima|both] [--runs 3] [--ready-runs 5]
       [--shared-data ../shared/data]   (the sources must be in the cache)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_map import CHROMIUM, CHROMIUM_FLAGS, build_peer, check_peer_urls, install_peer_libraries, page_ready  # noqa: E402
from bench_peer import measure  # noqa: E402  (one way of timing a child process, for both benchmarks)

#: Mean synthetic count per district, cycled over the services: rare to common.
RATES = (0.05, 0.2, 0.6, 1.5)


def synthetic_inventory(path: Path, cache: str | None) -> None:
    """Counts for every place-based service in every district of the national file."""
    import pyogrio

    from coverage_map.inventory import load_catalogue
    from coverage_map.sources import cache_dir, registry

    source = registry()["peru_distrital_simple"]
    ubigeos = pyogrio.read_dataframe(cache_dir(cache) / source.file, read_geometry=False)[source.ubigeo_field]
    rng = np.random.default_rng(2017)
    frames = [
        pd.DataFrame({"ubigeo": ubigeos, "service": code, "count": rng.poisson(RATES[i % len(RATES)], len(ubigeos))})
        for i, code in enumerate(load_catalogue().place_based)
    ]
    pd.concat(frames).to_csv(path, index=False)


def scenario_options(name: str, work: Path, shared: Path, cache: str | None) -> dict:
    if name == "peru":
        inventory = work / "synthetic_inventory.csv"
        if not inventory.exists():
            synthetic_inventory(inventory, cache)
        return {"area": "peru", "boundaries": "peru_distrital_simple", "inventory": str(inventory), "population": None}
    return {"facilities": str(shared / "mimp_directorio" / "directorio.json")}


def map_child(which: str, options: dict, out: Path) -> None:
    """Analyse, then time only the map page: ours (write_map) or the peer's (explore())."""
    from coverage_map.maps import write_map
    from coverage_map.pipeline import analyse

    analysis = analyse(**options)
    start = time.perf_counter()
    write_map(analysis, out) if which == "map" else build_peer(analysis, out)
    seconds = time.perf_counter() - start
    geometry = analysis.districts.geometry
    print(json.dumps({"seconds": seconds, "drawn": int((~(geometry.isna() | geometry.is_empty)).sum())}))


def run_scenario(name: str, args, work: Path) -> dict:
    options = scenario_options(name, work, Path(args.shared_data), args.cache_dir)
    cache = ["--cache-dir", args.cache_dir] if args.cache_dir else []
    figures = {}
    for which in ("map", "peer"):
        out = work / name / which
        out.mkdir(parents=True)
        argv = [sys.executable, __file__, "--child", which, "--options", json.dumps(options), "--out", str(out), *cache]
        runs = [measure(argv, dict(os.environ)) for _ in range(args.runs)]
        figures[which] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        figures[which]["path"] = out / "map.html"
        figures[which]["bytes"] = figures[which]["path"].stat().st_size
    missing = check_peer_urls(figures["peer"]["path"].read_text(encoding="utf-8"))
    if missing:
        print(f"warning: peer files not served locally: {missing}")
    return figures


def report(name: str, figures: dict, args) -> None:
    page, peer = figures["map"], figures["peer"]
    print(f"\n{name}: {peer['drawn']:.0f} districts drawn (build: median of {args.runs}, ready: median of {args.ready_runs})")
    print(f"{'':40}{'wall':>9}{'peak RSS':>11}{'map HTML':>12}{'ready':>10}")
    rows = (("ours: the map only (after analysis)", page), ("explore(): the map only (after analysis)", peer))
    for label, f in rows:
        print(f"{label:40}{f['seconds']:>7.2f} s{f['peak_mb']:>8.0f} MB{f['bytes'] / 1e6:>9.2f} MB{f['ready_ms']:>7.0f} ms")
    print(f"ratios: map {peer['seconds'] / page['seconds']:.2f}x faster (target >= 3), "
          f"HTML 1/{peer['bytes'] / page['bytes']:.0f} (target <= 1/20), "
          f"ready {page['ready_ms'] / peer['ready_ms']:.2f} of the peer's (target <= 0.33)")
    print("(peak RSS includes the analysis; the wall time does not; the whole build: bench_peer.py)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["peru", "lima", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="builds per side (median)")
    parser.add_argument("--ready-runs", type=int, default=5, help="page loads per side (median)")
    parser.add_argument("--cache-dir", default=os.environ.get("COVERAGE_MAP_CACHE"))
    parser.add_argument("--shared-data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("--child", choices=["map", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return map_child(args.child, {**json.loads(args.options), "cache": args.cache_dir}, Path(args.out))
    install_peer_libraries()
    from playwright.sync_api import sync_playwright

    names = ["peru", "lima"] if args.scenario == "both" else [args.scenario]
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: run_scenario(name, args, Path(tmp)) for name in names}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for figures in results.values():
                for side in ("map", "peer"):
                    figures[side]["ready_ms"] = page_ready(
                        browser, figures[side]["path"], args.ready_runs, int(figures["peer"]["drawn"]))
            browser.close()
        for name, figures in results.items():
            report(name, figures, args)


if __name__ == "__main__":
    main()
