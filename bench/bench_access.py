"""The time the access step (E2SFCA with PySAL access) adds to `coverage-map build`.

Times `coverage-map build` as a child process RUNS times with the access step and RUNS
times with it replaced by a no-op (the import of `access` included), and prints the
medians and their difference; then times the step alone in this process (median).
Warm cache needed (e.g. after `coverage-map sources fetch --from ../shared/data`).
Usage: python bench/bench_access.py [--runs 3] [build options, e.g. --facilities FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

WITHOUT_ACCESS = (
    "import sys, coverage_map.pipeline as p; p.measure_access = lambda coverage, *a, **k: coverage; "
    "from coverage_map.cli import main; main(sys.argv[1:])"
)
WITH_ACCESS = "import sys; from coverage_map.cli import main; main(sys.argv[1:])"


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr.decode()}")
    return time.perf_counter() - start


def build_medians(runs: int, options: list[str]) -> tuple[float, float]:
    """Median wall seconds of the build with and without the access step, runs interleaved."""
    with_access, without = [], []
    with tempfile.TemporaryDirectory() as out:
        for code in (WITH_ACCESS, WITHOUT_ACCESS):  # warm-up: .pyc, file cache
            wall([sys.executable, "-c", code, "build", "--quiet", "--out", out, *options])
        for _ in range(runs):
            with_access.append(wall([sys.executable, "-c", WITH_ACCESS, "build", "--quiet", "--out", out, *options]))
            without.append(wall([sys.executable, "-c", WITHOUT_ACCESS, "build", "--quiet", "--out", out, *options]))
    return statistics.median(with_access), statistics.median(without)


def step_median(runs: int, options: list[str]) -> float:
    """Median seconds of measure_access alone, on an analysis already made, after a warm-up."""
    from coverage_map.accessibility import measure_access
    from coverage_map.pipeline import analyse

    kwargs = dict(zip([o.lstrip("-").replace("-", "_") for o in options[::2]], options[1::2]))
    analysis = analyse(**kwargs)
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        measure_access(analysis.coverage, analysis.districts, analysis.scales, analysis.population,
                       facilities=analysis.facilities, costs=analysis.costs)
        if run:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args, options = parser.parse_known_args()
    with_access, without = build_medians(args.runs, options)
    print(f"runs: {args.runs} (medians); build options: {' '.join(options) or '(default)'}")
    print(f"coverage-map build with access     {with_access:6.2f} s")
    print(f"coverage-map build without access  {without:6.2f} s")
    print(f"the access step adds               {with_access - without:6.2f} s "
          f"({100 * (with_access - without) / without:.1f}%)")
    print(f"measure_access alone, in process   {step_median(args.runs, options):6.3f} s")


if __name__ == "__main__":
    main()
