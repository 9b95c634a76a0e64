"""Median wall time and peak memory of `coverage-map build` against a bare `import geopandas`,
and the time of each stage of the build.

Runs each command RUNS times as a child process (warm cache: the sources must be in the
cache already, e.g. after `coverage-map sources fetch --from ../shared/data`) and prints
medians and the ratio; then times the stages in this process, after a warm-up.
Usage: python bench/bench_build.py [--runs 5] [build options, e.g. --population none]
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


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(argv: list[str], runs: int) -> tuple[float, float]:
    results = [measure(argv) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def stage_times(runs: int, options: list[str]) -> dict[str, float]:
    """Median seconds of each stage of build(), in one process after a warm-up."""
    from coverage_map.maps import write_map
    from coverage_map.pipeline import analyse, write_tables
    from coverage_map.report import write_report

    kwargs = dict(zip([o.lstrip("-").replace("-", "_") for o in options[::2]], options[1::2]))
    if kwargs.get("population") == "none":
        kwargs["population"] = None
    stages = {"analyse (read, match, measure)": [], "tables and GeoJSON": [], "map": [], "report": []}
    for run in range(runs + 1):
        with tempfile.TemporaryDirectory() as out:
            folder = Path(out)
            times = [time.perf_counter()]
            analysis = analyse(**kwargs)
            times.append(time.perf_counter())
            write_tables(analysis, folder, lang="es")
            times.append(time.perf_counter())
            write_map(analysis, folder, lang="es")
            times.append(time.perf_counter())
            write_report(analysis, folder, lang="es")
            times.append(time.perf_counter())
        if run:  # the first run warms caches and is not counted
            for name, start, end in zip(stages, times, times[1:]):
                stages[name].append(end - start)
    return {name: statistics.median(values) for name, values in stages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args, build_options = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as out:
        build = [sys.executable, "-m", "coverage_map", "build", "--quiet", "--out", out, *build_options]
        measure(build)  # warm-up: file system cache, .pyc files
        build_s, build_mb = median_of(build, args.runs)
    import_s, import_mb = median_of([sys.executable, "-c", "import geopandas"], args.runs)
    print(f"runs: {args.runs} (medians)")
    print(f"coverage-map build      {build_s:6.2f} s  {build_mb:6.0f} MB peak")
    print(f"python -c 'import geopandas' {import_s:6.2f} s  {import_mb:6.0f} MB peak")
    print(f"ratio build / import    {build_s / import_s:6.2f} x (the build against the usual way: bench_peer.py)")
    print("stages, in one process (medians):")
    for name, seconds in stage_times(args.runs, build_options).items():
        print(f"  {name:32s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
