"""Median wall time and peak memory of `coverage-map build` against a bare `import geopandas`.

Runs each command RUNS times as a child process (warm cache: the boundaries must be in
the cache already, e.g. after `coverage-map sources fetch --from ../shared/data`) and
prints medians and the ratio. Usage: python bench/bench_build.py [--runs 5] [-- build options]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


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
    print(f"ratio build / import    {build_s / import_s:6.2f} x (target <= 1.5); peak target < 300 MB")


if __name__ == "__main__":
    main()
