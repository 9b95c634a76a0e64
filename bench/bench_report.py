"""How much time the gap-analysis report adds to `coverage-map build` (medians of RUNS).

In one process, after a warm-up run: build() with the report, build() with the report step
replaced by a no-op, and write_report() alone on one Analysis, split into the static maps
and the rest (context, HTML, Markdown, XLSX). Needs the boundaries in the cache (e.g. after
`coverage-map sources fetch --from ../shared/data`).
Usage: python bench/bench_report.py [--runs 5] [--cache-dir DIR] [--facilities FILE] [--area AREA]
       [--boundaries NAME|PATH] [--population NAME|PATH|none]
(by default the census population is measured too, as `coverage-map build` does)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coverage_map import pipeline
from coverage_map.report import draw_maps, write_report


def median_seconds(task: Callable[[], object], runs: int) -> float:
    """Median wall time of task after one warm-up call (imports, font cache, file cache)."""
    task()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", dest="cache", default=None)
    parser.add_argument("--facilities", default=None)
    parser.add_argument("--area", default="lima")
    parser.add_argument("--boundaries", default=None)
    parser.add_argument("--population", default=None, help="default: the 2017 census; 'none' for counts only")
    args = parser.parse_args()
    options = {"cache": args.cache, "area": args.area, "boundaries": args.boundaries, "facilities": args.facilities}
    if args.population is not None:
        options["population"] = None if args.population == "none" else args.population
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with_report = median_seconds(lambda: pipeline.build(out=out / "with", **options), args.runs)
        real = pipeline.write_report
        pipeline.write_report = lambda *a, **k: []  # the same build, without the report step
        try:
            without = median_seconds(lambda: pipeline.build(out=out / "without", **options), args.runs)
        finally:
            pipeline.write_report = real
        analysis = pipeline.analyse(**options)
        alone = median_seconds(lambda: write_report(analysis, out / "alone", lang="es"), args.runs)
        maps = median_seconds(lambda: draw_maps(analysis, out / "maps", lang="es"), args.runs)
        count = len(list((out / "maps").glob("*.png")))
    print(f"runs: {args.runs} (medians, one process, after a warm-up); area {args.area}, "
          f"population {'counts only' if analysis.population is None else 'measured'}, "
          f"facilities {args.facilities or 'none'}")
    print(f"build with the report        {with_report:6.2f} s")
    print(f"build without the report     {without:6.2f} s")
    print(f"added by the report          {with_report - without:6.2f} s")
    print(f"write_report alone           {alone:6.2f} s")
    print(f"  of which {count} static maps    {maps:6.2f} s ({maps / max(count, 1):.2f} s per map)")
    print(f"  context, HTML, MD, XLSX    {alone - maps:6.2f} s")


if __name__ == "__main__":
    main()
