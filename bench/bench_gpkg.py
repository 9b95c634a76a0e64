"""What coverage.gpkg adds to `coverage-map build`: wall time (whole build with and without
the GeoPackage, as child processes, interleaved) and, in one process, the time of writing it,
and its size beside coverage.geojson.

Warm cache (the sources in the cache already). Usage: python bench/bench_gpkg.py [--runs 3]
[build options, e.g. --population none]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The build, in a child process, with write_geopackage replaced by nothing when asked.
CHILD = """
import sys
import coverage_map.pipeline as pipeline
if sys.argv[1] == "without":
    pipeline.write_geopackage = lambda *args, **kwargs: None
from coverage_map.cli import main
main(sys.argv[2:])
"""


def build_seconds(mode: str, options: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one build in a child process: on a busy
    machine the CPU time varies less than the wall time."""
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, "-c", CHILD, mode, "build", "--quiet", "--out", out, *options]
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"the build ({mode} coverage.gpkg) failed")
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def write_seconds(runs: int, options: list[str]) -> tuple[float, int, int]:
    """Median seconds of writing coverage.gpkg (styles included), its size and the GeoJSON's."""
    from coverage_map.export import coverage_layer, write_geojson
    from coverage_map.gpkg import DISTRICT_LAYER, district_styles, write_geopackage
    from coverage_map.maps import default_layer
    from coverage_map.pipeline import analyse

    kwargs = dict(zip([o.lstrip("-").replace("-", "_") for o in options[::2]], options[1::2]))
    if kwargs.get("population") == "none":
        kwargs["population"] = None
    analysis = analyse(**kwargs)
    coverage = analysis.coverage
    times = []
    with tempfile.TemporaryDirectory() as out:
        for run in range(runs + 1):
            path = Path(out) / f"coverage{run}.gpkg"
            start = time.perf_counter()
            layer = coverage_layer(analysis.districts, coverage)
            tables = {DISTRICT_LAYER: layer, "gaps": coverage.gaps(), "summary": coverage.summary,
                      "checks": analysis.checks}
            styles = district_styles(analysis, first=default_layer(analysis), lang="es")
            write_geopackage(tables, path, styles=styles, changed=analysis.created)
            if run:  # the first run warms GDAL and the template
                times.append(time.perf_counter() - start)
        write_geojson(layer, Path(out) / "coverage.geojson")
        return statistics.median(times), path.stat().st_size, (Path(out) / "coverage.geojson").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args, options = parser.parse_known_args()
    build_seconds("with", options)  # warm-up: file system cache, .pyc files
    with_gpkg, without = [], []
    for _ in range(args.runs):
        with_gpkg.append(build_seconds("with", options))
        without.append(build_seconds("without", options))
    write_s, size, geojson = write_seconds(args.runs, options)
    print(f"runs: {args.runs} (medians)               wall      CPU")
    for label, runs in (("build with coverage.gpkg", with_gpkg), ("build without it", without)):
        print(f"{label:28} {statistics.median(r[0] for r in runs):6.2f} s {statistics.median(r[1] for r in runs):6.2f} s")
    wall = statistics.median(r[0] for r in with_gpkg) - statistics.median(r[0] for r in without)
    cpu = statistics.median(r[1] for r in with_gpkg) - statistics.median(r[1] for r in without)
    print(f"{'difference':28} {wall:+6.2f} s {cpu:+6.2f} s")
    print(f"writing coverage.gpkg alone  {write_s:6.3f} s (in one process, styles included)")
    print(f"coverage.gpkg                {size / 1e6:6.2f} MB (coverage.geojson {geojson / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
