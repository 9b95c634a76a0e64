"""The street network on a synthetic city the size of Lima's: read, cache, graph and searches.

Writes a jittered street grid with pyosmium (about 500,000 nodes, Lima's street network; with
--big, about 4 million, a national extract): every 10th street primary, every 5th secondary,
the rest residential, one street in 7 one-way. Then times, each step in a child process of its
own, RUNS times, and prints the medians of wall seconds and peak memory (ru_maxrss of the child,
imports included):
  first read   read_roads without a cache: pyosmium's parse and the graph
  cached read  read_roads from the .npz the first read left in the cache
  graph        the transposed matrix the searches run on, and the KD-tree of snap
  nearest      nearest_minutes from every node to SITES sites (one search, no limit)
  per site     minutes_to from every node to each of SITES sites, cut at 30 minutes
Targets (issue 20): on the Lima-size network, the first read at most 20 s and 2 GB.
Usage: python bench/bench_roads.py [--runs 3] [--big] [--profile walk|drive] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LIMA_SIDE = 707  # 707 x 707 = 499,849 nodes
BIG_SIDE = 2000  # 4,000,000 nodes
SITES = 100
BBOX = (-78.0, -13.0, -75.0, -10.0)  # holds the whole of both grids
STEPS = ("first read", "cached read", "graph", "nearest", "per site")


def write_city(path: Path, side: int, *, spacing: float = 0.0009, seed: int = 20) -> None:
    """A side x side street grid about 100 m apart, jittered, from Lima's south-west corner."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side) + 1
    jitter = rng.uniform(-0.25, 0.25, (2, side, side)) * spacing
    lon = -77.2 + np.arange(side)[None, :] * spacing + jitter[0]
    lat = -12.5 + np.arange(side)[:, None] * spacing + jitter[1]
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
                for start in range(0, side - 1, 25):  # ways of 26 nodes, sharing their ends
                    writer.add_way(Way(id=way_id, nodes=street[start:start + 26].tolist(), tags=tags))
                    way_id += 1


def child(step: str, osm: str, cache: str, profile: str) -> dict:
    """One step, in this (child) process: its wall seconds and the process's peak memory."""
    from coverage_map.roads import read_roads, snap
    from coverage_map.travel import minutes_to, nearest_minutes

    def read(with_cache: bool):
        return read_roads(Path(osm), profile=profile, bbox=BBOX, cache=Path(cache) if with_cache else None)

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


def measure(step: str, osm: Path, cache: Path, profile: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", step, str(osm), str(cache), profile],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def bench(side: int, runs: int, profile: str, folder: Path) -> None:
    osm = folder / f"city-{side}.osm.pbf"
    if not osm.is_file():
        start = time.perf_counter()
        write_city(osm, side)
        print(f"wrote {osm.name}: {side * side:,} nodes, {osm.stat().st_size / 2**20:.1f} MB, "
              f"{time.perf_counter() - start:.1f} s")
    cache = folder / "cache"
    measure("cached read", osm, cache, profile)  # fills the cache and the file system's
    results = {step: [measure(step, osm, cache, profile) for _ in range(runs)] for step in STEPS}
    first = results["first read"][0]
    print(f"{side * side:,}-node grid, {profile}: {first['nodes']:,} nodes, {first['edges']:,} directed segments; "
          f"medians of {runs} runs, each in a child process")
    for step, rows in results.items():
        seconds = statistics.median(r["seconds"] for r in rows)
        peak = statistics.median(r["peak_mb"] for r in rows)
        print(f"  {step:<12} {seconds:8.2f} s   peak {peak:7.0f} MB")
    if side == LIMA_SIDE:
        seconds = statistics.median(r["seconds"] for r in results["first read"])
        peak = statistics.median(r["peak_mb"] for r in results["first read"])
        print(f"  target: first read at most 20 s and 2 GB: {'met' if seconds <= 20 and peak <= 2048 else 'MISSED'}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:6])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also a network of about 4 million nodes")
    parser.add_argument("--profile", default="walk", choices=("walk", "drive"))
    parser.add_argument("--keep", type=Path, help="folder for the synthetic extracts, kept between runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for side in (LIMA_SIDE, BIG_SIDE) if args.big else (LIMA_SIDE,):
            bench(side, args.runs, args.profile, folder)


if __name__ == "__main__":
    main()
