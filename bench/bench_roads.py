"""The street network on a synthetic Lima-wide street grid: read, cache, graph, searches, and
whole builds with and without it.

Writes a jittered street grid with pyosmium over the bounding box of Lima Metropolitana's 43
districts (the embedded boundaries) plus a margin: 707 x 707 nodes (about 500,000, Lima's
street network), streets about 95 m apart east-west and 155 m north-south; with --big, also
2000 x 2000 nodes (4 million, a national extract) at the same spacing, centred on Lima. Every
10th street is primary, every 5th secondary, the rest residential; one street in 7 is one-way.

Library steps, each in a child process of its own, RUNS times (medians of wall seconds and of
peak memory, ru_maxrss of the child, imports included), on the whole grid:
  first read   read_roads without a cache: pyosmium's parse and the graph
  cached read  read_roads from the .npz the first read left in the cache
  graph        the transposed matrix the searches run on, and the KD-tree of snap
  nearest      nearest_minutes from every node to SITES sites (one search, no limit)
  per site     minutes_to from every node to each of SITES sites, cut at 30 minutes
Build steps, whole `coverage-map build --population-year 2025` processes in a cache of their own
(the registered sources copied from the usual cache, nothing else):
  baseline     without --roads
  first build  --roads GRID --profile PROFILE, no road network in the cache (removed before
               each run; a warm-up build has drawn the static maps, which are cached apart)
  cached       the same, the network read from the cache
(baseline and cached alternate, so that the machine's load weighs on both alike).
Targets (issue 20), on the Lima-size network: the first build at most 20 s and 2 GB; the
cached build at most twice the baseline.
Usage: python bench/bench_roads.py [--runs 3] [--big] [--profile walk|drive]
                                   [--part library|build|both] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LIMA_SIDE = 707  # 707 x 707 = 499,849 nodes
BIG_SIDE = 2000  # 4,000,000 nodes
#: Degrees added on every side of the districts' bounding box (about 2 km), so that the
#: border districts' streets and sites do not end at the grid's edge.
MARGIN = 0.02
SITES = 100
LIBRARY_STEPS = ("first read", "cached read", "graph", "nearest", "per site")
BUILD = ("build", "--quiet", "--population-year", "2025")

Box = tuple[float, float, float, float]


def lima_bounds() -> Box:
    """(min_lon, min_lat, max_lon, max_lat) of Lima Metropolitana's districts, as the build reads
    them by default (the embedded boundaries)."""
    from coverage_map.model import RunInputs
    from coverage_map.pipeline import read_area
    from coverage_map.sources import cache_dir

    districts = read_area(RunInputs(), cache_dir()).districts.to_crs("EPSG:4326")
    return tuple(float(v) for v in districts.total_bounds)


def grid_box(bounds: Box, side: int, *, margin: float = MARGIN, lima_side: int = LIMA_SIDE) -> Box:
    """The box of a side x side grid: bounds plus margin for lima_side nodes a side, a larger
    grid at the same spacing around the same centre."""
    west, south, east, north = bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin
    grow = (side - 1) / (lima_side - 1)
    lon, lat = (west + east) / 2, (south + north) / 2
    half_lon, half_lat = (east - west) / 2 * grow, (north - south) / 2 * grow
    return (lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)


def write_grid(path: Path, bbox: Box, side: int, *, seed: int = 20) -> None:
    """A side x side street grid spanning bbox, each node moved at random by up to a quarter of
    the spacing: every 10th street primary, every 5th secondary, the rest residential, one in 7
    one-way; ways of 26 nodes sharing their ends, as OpenStreetMap splits long streets."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side) + 1
    step_lon, step_lat = (bbox[2] - bbox[0]) / (side - 1), (bbox[3] - bbox[1]) / (side - 1)
    jitter = rng.uniform(-0.25, 0.25, (2, side, side))
    lon = bbox[0] + (np.arange(side)[None, :] + jitter[0]) * step_lon
    lat = bbox[1] + (np.arange(side)[:, None] + jitter[1]) * step_lat
    # the grid's edge nodes stay inside bbox, so that a reader clipping to it keeps them all
    lon, lat = np.clip(lon, bbox[0], bbox[2]), np.clip(lat, bbox[1], bbox[3])
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2025-01-01T00:00:00Z")
    with osmium.SimpleWriter(str(path), header=header, overwrite=True) as writer:
        for node_id, x, y in zip(ids.ravel().tolist(), lon.ravel().tolist(), lat.ravel().tolist()):
            writer.add_node(Node(id=node_id, location=(x, y)))
        way_id = 1
        for line in range(side):
            highway = "primary" if line % 10 == 0 else "secondary" if line % 5 == 0 else "residential"
            tags = {"highway": highway} | ({"oneway": "yes"} if line % 7 == 3 else {})
            for street in (ids[line, :], ids[:, line]):
                for start in range(0, side - 1, 25):
                    writer.add_way(Way(id=way_id, nodes=street[start:start + 26].tolist(), tags=tags))
                    way_id += 1


def spacing_m(bbox: Box, side: int) -> tuple[float, float]:
    """Metres between neighbouring streets east-west and north-south, at the box's centre."""
    metres_per_degree = 6_371_008.8 * np.pi / 180
    lat = np.radians((bbox[1] + bbox[3]) / 2)
    return ((bbox[2] - bbox[0]) / (side - 1) * metres_per_degree * np.cos(lat),
            (bbox[3] - bbox[1]) / (side - 1) * metres_per_degree)


# --- The library steps


def child(step: str, osm: str, cache: str, profile: str, bbox: str) -> dict:
    """One library step, in this (child) process: its wall seconds and the process's peak memory."""
    from coverage_map.roads import read_roads, snap
    from coverage_map.travel import minutes_to, nearest_minutes

    box = tuple(json.loads(bbox))

    def read(with_cache: bool):
        return read_roads(Path(osm), profile=profile, bbox=box, cache=Path(cache) if with_cache else None)

    network = None if step in ("first read", "cached read") else read(True)
    start = time.perf_counter()
    if step in ("first read", "cached read"):
        network = read(step == "cached read")
    elif step == "graph":
        network.toward
        snap(network, network.lonlat[:1])
    else:
        sites = np.random.default_rng(1).choice(len(network), SITES, replace=False)
        network.toward
        start = time.perf_counter()
        everyone = np.arange(len(network))
        if step == "nearest":
            nearest_minutes(network, everyone, sites)
        else:
            minutes_to(network, everyone, sites, limit=30)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "nodes": len(network), "edges": int(network.minutes.nnz)}


def library_step(step: str, osm: Path, cache: Path, profile: str, bbox: Box) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", step, str(osm), str(cache), profile,
                           json.dumps(bbox)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def bench_library(osm: Path, bbox: Box, side: int, runs: int, profile: str, folder: Path) -> None:
    cache = folder / "library-cache"
    library_step("cached read", osm, cache, profile, bbox)  # fills the cache and the file system's
    results = {step: [library_step(step, osm, cache, profile, bbox) for _ in range(runs)] for step in LIBRARY_STEPS}
    first = results["first read"][0]
    print(f"library, {side * side:,}-node grid, {profile}: {first['nodes']:,} nodes, "
          f"{first['edges']:,} directed segments; medians of {runs} runs, each in a child process")
    for step, rows in results.items():
        print(line(step, [r["seconds"] for r in rows], [r["peak_mb"] for r in rows]))


# --- The build steps


def run_build(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (MB) and stderr of one child process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child_process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child_process.pid, 0)
        elapsed = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024, stderr


def seed_cache(cache: Path) -> None:
    """Copy the registered sources of the usual cache (COVERAGE_MAP_CACHE) into cache, emptied
    first: the builds read their data from there, and nothing else is in it."""
    from coverage_map.sources import cache_dir, cached_path, registry

    usual = cache_dir()
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    for source in registry().values():
        path = None if source.embedded else cached_path(source, usual)
        if path is not None:
            shutil.copy2(path, cache / source.file)


def drop_networks(cache: Path) -> int:
    """Remove the road networks read_roads cached (roads-*.npz) under cache; how many there were."""
    found = list(cache.rglob("roads-*.npz"))
    for path in found:
        path.unlink()
    return len(found)


def bench_build(osm: Path, side: int, runs: int, profile: str, folder: Path) -> None:
    cache, out = folder / "build-cache", folder / "out"
    seed_cache(cache)
    build = [sys.executable, "-m", "coverage_map", *BUILD, "--out", str(out), "--cache-dir", str(cache)]
    roads = [*build, "--roads", str(osm), "--profile", profile]
    run_build(build)  # warm-up: the baseline's static maps, .pyc files, the file system's cache
    warm_s, warm_mb, stderr = run_build(roads)  # the roads build's static maps
    cached_networks = drop_networks(cache)
    if stderr.strip():
        print(f"stderr of the first build with --roads:\n{stderr.rstrip()}")
    first, baseline, cached = [], [], []
    for _ in range(runs):
        drop_networks(cache)
        first.append(run_build(roads)[:2])
    for _ in range(runs):
        baseline.append(run_build(build)[:2])
        cached.append(run_build(roads)[:2])
    print(f"build, {side * side:,}-node grid, {profile}: whole `coverage-map {' '.join(BUILD)}` processes, "
          f"medians of {runs} runs ({cached_networks} network(s) cached per build)")
    print(line("warm-up", [warm_s], [warm_mb]) + "   (first build, static maps drawn too; 1 run)")
    for name, rows in (("baseline", baseline), ("first build", first), ("cached", cached)):
        print(line(name, [r[0] for r in rows], [r[1] for r in rows]))
    first_s, first_mb = (statistics.median(r[i] for r in first) for i in (0, 1))
    ratio = statistics.median(r[0] for r in cached) / statistics.median(r[0] for r in baseline)
    print(f"  ratio cached / baseline {ratio:.2f} x")
    if side == LIMA_SIDE:
        print(f"  target: first build at most 20 s and 2 GB: {'met' if first_s <= 20 and first_mb <= 2048 else 'MISSED'}"
              f" ({first_s:.1f} s, {first_mb:.0f} MB)")
        print(f"  target: cached build at most 2 x the baseline: {'met' if ratio <= 2 else 'MISSED'} ({ratio:.2f} x)")


def line(name: str, seconds: list[float], peaks: list[float]) -> str:
    return f"  {name:<12} {statistics.median(seconds):8.2f} s   peak {statistics.median(peaks):7.0f} MB"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:7])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also a network of about 4 million nodes")
    parser.add_argument("--profile", default="walk", choices=("walk", "drive"))
    parser.add_argument("--part", default="both", choices=("library", "build", "both"))
    parser.add_argument("--keep", type=Path, help="folder for the synthetic extracts, kept between runs")
    args = parser.parse_args()
    bounds = lima_bounds()
    print("Lima Metropolitana's districts: lon {:.4f} to {:.4f}, lat {:.4f} to {:.4f}".format(
        bounds[0], bounds[2], bounds[1], bounds[3]))
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for side in (LIMA_SIDE, BIG_SIDE) if args.big else (LIMA_SIDE,):
            bbox = grid_box(bounds, side)
            osm = folder / "grid-{}-{:.4f}_{:.4f}_{:.4f}_{:.4f}.osm.pbf".format(side, *bbox)
            if not osm.is_file():
                start = time.perf_counter()
                write_grid(osm, bbox, side)
                print(f"wrote {osm.name}: {side * side:,} nodes, {osm.stat().st_size / 2**20:.1f} MB, "
                      f"{time.perf_counter() - start:.1f} s")
            east_west, north_south = spacing_m(bbox, side)
            print(f"grid of {side} x {side} nodes: lon {bbox[0]:.4f} to {bbox[2]:.4f}, lat {bbox[1]:.4f} to "
                  f"{bbox[3]:.4f}; streets {east_west:.0f} m apart east-west, {north_south:.0f} m north-south")
            if args.part in ("library", "both"):
                bench_library(osm, bbox, side, args.runs, args.profile, folder / f"{side}")
            if args.part in ("build", "both"):
                bench_build(osm, side, args.runs, args.profile, folder / f"{side}")


if __name__ == "__main__":
    main()
