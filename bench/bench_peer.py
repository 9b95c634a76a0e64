"""The whole `coverage-map build` against the usual way, geopandas' `explore()`, as whole processes.

Both sides are child processes timed from interpreter start to exit, run alternately
(ours, peer, peer, ours, ...) so that the machine's noise falls on both:
- ours: `python -m coverage_map build --quiet` (map, report with its static maps, workbook,
  GeoJSON, tables, manifest);
- the peer: the same analysis (`coverage_map.pipeline.analyse`, the same inputs), then one
  `explore()` layer per measured service plus a LayerControl, saved as one page (folium),
  which is what a planner's notebook makes.

Per side: median wall time, median CPU time (user + system of the child, from os.wait4)
and median peak resident memory (the child's ru_maxrss). Printed with the ratios and
targets: wall and CPU at least 3 times faster for Lima, at least as fast (1x) for Peru;
peak memory at most half the peer's.

Scenarios:
- lima: the default data (MIMP's inventory, the detailed Lima boundaries, the 2017 census);
- peru: `--area peru --boundaries peru_distrital_simple --population none` with the
  synthetic Poisson counts of bench_scale.py (seed 2017, every place-based service).

The static maps of the report are cached by content in the cache folder (figures.py):
by default the runs are warm, as a planner's second build is; --cold empties that
folder before each of our runs, so every build draws every map.

Usage: python bench/bench_peer.py [--scenario lima|peru|both] [--runs 5] [--cold]
       [--cache-dir DIR]   (the sources must be in the cache, e.g. COVERAGE_MAP_CACHE=.venv/cache)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_SPEED = {"lima": 3.0, "peru": 1.0}
TARGET_MEMORY = 0.5


def scenario_options(name: str, work: Path, cache: str | None) -> dict:
    """build() keyword options of a scenario (the CLI's, with underscores)."""
    if name == "peru":
        from bench_scale import synthetic_inventory

        inventory = work / "synthetic_inventory.csv"
        if not inventory.exists():
            synthetic_inventory(inventory, cache)
        return {"area": "peru", "boundaries": "peru_distrital_simple", "inventory": str(inventory), "population": None}
    return {}


def cli_arguments(options: dict) -> list[str]:
    argv = []
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", "none" if value is None else value]
    return argv


def measure(argv: list[str], env: dict) -> dict:
    """Wall and CPU seconds and peak resident memory (MB) of one child process."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:  # pipes could fill and block
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err}")
    figures = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}
    if out.strip().startswith("{"):
        figures |= json.loads(out)
    return figures


def peer_child(options: dict, out: Path) -> None:
    """The usual way: the same analysis, then explore() per service and a LayerControl."""
    from bench_map import build_peer

    from coverage_map.pipeline import analyse

    analysis = analyse(**options)
    build_peer(analysis, out)
    print(json.dumps({"layers": len(analysis.coverage.summary), "districts": len(analysis.districts)}))


def run_scenario(name: str, args, work: Path) -> dict:
    options = scenario_options(name, work, args.cache_dir)
    env = dict(os.environ)
    if args.cache_dir:
        env["COVERAGE_MAP_CACHE"] = args.cache_dir
    ours_out, peer_out = work / name / "ours", work / name / "peer"
    ours_out.mkdir(parents=True), peer_out.mkdir(parents=True)
    ours = [sys.executable, "-m", "coverage_map", "build", *cli_arguments(options), "--out", str(ours_out), "--quiet"]
    peer = [sys.executable, __file__, "--child", "--options", json.dumps(options), "--out", str(peer_out)]
    figures_cache = Path(args.cache_dir or "") / "figures"

    def run_ours():
        if args.cold:
            shutil.rmtree(figures_cache, ignore_errors=True)
        return measure(ours, env)

    measure(ours, env), measure(peer, env)  # warm-up, not counted: file cache, .pyc files, map cache
    runs = {"ours": [], "peer": []}
    for i in range(args.runs):
        order = [("ours", run_ours), ("peer", lambda: measure(peer, env))]
        for side, run in order if i % 2 == 0 else order[::-1]:
            runs[side].append(run())
    medians = {side: {key: statistics.median(r[key] for r in results) for key in results[0]}
               for side, results in runs.items()}
    medians["ours"]["files"] = sum(1 for p in ours_out.rglob("*") if p.is_file())
    return medians


def report(name: str, figures: dict, args) -> None:
    ours, peer = figures["ours"], figures["peer"]
    print(f"\n{name}: {peer['districts']:.0f} districts, the peer draws {peer['layers']:.0f} layers; "
          f"we write {ours['files']} files; medians of {args.runs}, alternating"
          f"{', static maps drawn on every run (--cold)' if args.cold else ', static maps from the cache'}")
    print(f"{'':36}{'wall':>9}{'CPU':>9}{'peak RSS':>11}")
    for label, f in (("ours: whole coverage-map build", ours), ("explore(): analysis + one page", peer)):
        print(f"{label:36}{f['wall']:>7.2f} s{f['cpu']:>7.2f} s{f['peak_mb']:>8.0f} MB")
    target = TARGET_SPEED[name]
    wall, cpu, memory = peer["wall"] / ours["wall"], peer["cpu"] / ours["cpu"], ours["peak_mb"] / peer["peak_mb"]
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"ratios: wall {wall:.2f}x faster, CPU {cpu:.2f}x less (target >= {target:g}x: "
          f"{met(wall >= target)} / {met(cpu >= target)}); "
          f"peak memory {memory:.2f} of the peer's (target <= {TARGET_MEMORY}: {met(memory <= TARGET_MEMORY)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["lima", "peru", "both"], default="both")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (median)")
    parser.add_argument("--cold", action="store_true", help="draw every static map on every run (no map cache)")
    parser.add_argument("--cache-dir", default=os.environ.get("COVERAGE_MAP_CACHE"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return peer_child({**json.loads(args.options), "cache": args.cache_dir}, Path(args.out))
    if not args.cache_dir:
        parser.error("give --cache-dir or set COVERAGE_MAP_CACHE (a cache seeded with the sources)")
    names = ["lima", "peru"] if args.scenario == "both" else [args.scenario]
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: run_scenario(name, args, Path(tmp)) for name in names}
    for name, figures in results.items():
        report(name, figures, args)


if __name__ == "__main__":
    main()
