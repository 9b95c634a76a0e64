"""How long `coverage-map plan` takes, from interpreter start to plan.csv written.

Scenarios (each a whole child process, so imports count):
- lima-hrt: `plan HRT --add 2` on the embedded default data (2017 census): maximal covering;
- lima-cem: `plan CEM --add 3 --facilities directorio.json` (MIMP's directory; the embedded
  summary gives CEM no district counts);
- lima-pmedian: `plan HRT --add 2 --objective distance`: the p-median;
- lima-upe: `plan UPE --add 1`;
- peru: `plan HRT --add 5 --area peru --boundaries peru_distrital_simple` with synthetic counts
  for every place-based service (the same rates and seed as bench_scale.py), a synthetic
  population (the 2017 census has no row for two districts of those limits) and every
  district of the file as a candidate (`--candidates`, 1,834).

Printed per scenario: the median wall and CPU seconds (the child's and CBC's) of --runs
runs, with the targets on wall time (Lima under 3 s, issue 17; Peru under 30 s), and for one run the
split between imports, analyse() and plan() (model, solver and order). The machine's load
average is printed first: it stretches wall times, so read CPU beside them.

Usage: python bench/bench_plan.py [--scenario lima-hrt,lima-cem,lima-pmedian,lima-upe,peru|all] [--runs 5]
       [--shared-data ../shared/data]   (the sources must be in the cache)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Mean synthetic count per district, cycled over the services (as in bench_scale.py).
RATES = (0.05, 0.2, 0.6, 1.5)
TARGETS = {"lima": 3.0, "peru": 30.0}


def peru_inputs(work: Path, cache: str | None) -> list[str]:
    """Synthetic inventory, population and candidate list for every district of the national file."""
    import pyogrio

    from coverage_map.inventory import load_catalogue
    from coverage_map.sources import cache_dir, registry

    source = registry()["peru_distrital_simple"]
    ubigeos = pyogrio.read_dataframe(cache_dir(cache) / source.file, read_geometry=False)[source.ubigeo_field]
    ubigeos = ubigeos.astype(str).str.zfill(6)
    inventory, population, candidates = work / "inventory.csv", work / "population.csv", work / "candidates.csv"
    if not inventory.exists():
        rng = np.random.default_rng(2017)
        frames = [
            pd.DataFrame({"ubigeo": ubigeos, "service": code, "count": rng.poisson(RATES[i % len(RATES)], len(ubigeos))})
            for i, code in enumerate(load_catalogue().place_based)
        ]
        pd.concat(frames).to_csv(inventory, index=False)
        total = np.round(rng.lognormal(9, 1.2, len(ubigeos))).astype(int) + 100
        pd.DataFrame({"ubigeo": ubigeos, "total": total, "mujeres": total // 2, "hombres": total - total // 2,
                      "60 mas": total // 10, "0 17": (total * 3) // 10}).to_csv(population, index=False)
        pd.DataFrame({"ubigeo": ubigeos}).to_csv(candidates, index=False)
    return ["--area", "peru", "--boundaries", "peru_distrital_simple", "--inventory", str(inventory),
            "--population", str(population), "--candidates", str(candidates)]


def scenarios(work: Path, shared: Path, cache: str | None) -> dict[str, list[str]]:
    return {
        "lima-hrt": ["HRT", "--add", "2"],
        "lima-cem": ["CEM", "--add", "3", "--facilities", str(shared / "mimp_directorio" / "directorio.json")],
        "lima-pmedian": ["HRT", "--add", "2", "--objective", "distance"],
        "lima-upe": ["UPE", "--add", "1"],
        "peru": ["HRT", "--add", "5", *peru_inputs(work, cache)],
    }


def child_run(argv: list[str], out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `coverage-map plan` child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coverage_map", "plan", *argv, "--out", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def split(argv: list[str]) -> str:
    """Seconds of imports, analyse() and plan() for one run in a fresh child."""
    code = f"""
import sys, time
t0 = time.perf_counter()
from coverage_map.cli import main
t1 = time.perf_counter()
from coverage_map import cli, plan as plan_module
timings = {{}}
real_analyse, real_plan = cli.analyse, plan_module.plan
def analyse(*a, **k):
    t = time.perf_counter(); r = real_analyse(*a, **k); timings['analyse'] = time.perf_counter() - t; return r
def plan(*a, **k):
    t = time.perf_counter(); r = real_plan(*a, **k); timings['plan'] = time.perf_counter() - t; return r
cli.analyse, plan_module.plan = analyse, plan
try:
    main({["plan", *argv, "--quiet"]!r})
except SystemExit:
    pass
print(f"imports {{t1 - t0:.2f}} s, analyse {{timings['analyse']:.2f}} s, plan {{timings['plan']:.2f}} s", file=sys.stderr)
"""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="all")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared-data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    cache = os.environ.get("COVERAGE_MAP_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        chosen = scenarios(work, args.shared_data, cache)
        if args.scenario != "all":
            chosen = {name: chosen[name] for name in args.scenario.split(",")}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{os.cpu_count()} CPUs, load average {load} (a loaded machine stretches wall times, not CPU)")
        print(f"{'scenario':<12} {'wall s':>8} {'cpu s':>8} {'target':>8}  split of one run")
        for name, argv in chosen.items():
            child_run(argv, work / "out")  # warm the file cache and the parsed census
            runs = [child_run(argv, work / "out") for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            target = TARGETS[name.split("-")[0]]
            mark = "ok" if wall < target else "SLOW"
            print(f"{name:<12} {wall:>8.2f} {cpu:>8.2f} {f'<{target:g} s':>8}  {mark}; {split(argv)}", flush=True)


if __name__ == "__main__":
    main()
