#!/usr/bin/env python3
"""Write the census extract that coverage-map ships as its default population.

Reads the registered REDATAM workbook (censo_2017_edades: INEI, Censos Nacionales 2017,
population by sex and 5-year age group per district), keeps the districts of Lima
province (1501xx) and Callao (0701xx) with every age group (a group the export leaves out
is written as 0), and writes data/census_2017_lima_callao.csv with a header that cites its
source. Then it records the new file's sha256 and size in geo/sources.toml. The extract is
never edited by hand: run this script again.

    python scripts/make_census_extract.py [--workbook PATH] [--out data/census_2017_lima_callao.csv]

Without --workbook the file is taken from the cache ($COVERAGE_MAP_CACHE or the user cache)
or from $COVERAGE_MAP_SHARED_DATA/population/.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from pathlib import Path

from coverage_map.population import GROUP_COLUMNS, read_redatam_groups
from coverage_map.sources import cache_dir, cached_path, get_source, sha256_of

REPO = Path(__file__).resolve().parents[1]
WORKBOOK = "censo_2017_edades"
EXTRACT = "censo_2017_lima_callao"
PREFIXES = ("1501", "0701")  # Lima province (Lima Metropolitana) and Callao
AGE_GROUPS = [(low, low + 4) for low in range(0, 95, 5)] + [(95, None)]


def find_workbook(name: str = WORKBOOK) -> Path:
    """The registered workbook name: from the cache, else from the shared reference data."""
    source = get_source(name)
    path = cached_path(source, cache_dir())
    if path is not None:
        return path
    shared = Path(os.environ.get("COVERAGE_MAP_SHARED_DATA", REPO.parent / "shared" / "data"))
    for found in sorted(shared.rglob(source.file)) if shared.is_dir() else []:
        if sha256_of(found) == source.sha256:
            return found
    sys.exit(f"{source.file} not found: run `coverage-map sources fetch {name}` or give --workbook")


def extract_rows(workbook: Path) -> list[list]:
    """One row per district of Lima and Callao and age group, in ubigeo and age order."""
    groups = read_redatam_groups(workbook)
    groups = groups[groups["ubigeo"].str.startswith(PREFIXES)]
    counts = {(r.ubigeo, r.age_from): (r.men, r.women, r.total) for r in groups.itertuples()}
    names = dict(zip(groups["ubigeo"], groups["district"]))
    rows = []
    for ubigeo in sorted(names):
        for low, high in AGE_GROUPS:
            men, women, total = counts.get((ubigeo, low), (0, 0, 0))
            rows.append([ubigeo, names[ubigeo], low, "" if high is None else high, int(men), int(women), int(total)])
    return rows


def header(districts: int) -> list[str]:
    source = get_source(WORKBOOK)
    return [
        f"# Population counted in the 2017 census by district, sex and 5-year age group: the {districts} districts",
        "# of Lima province (ubigeo 1501xx) and Callao (0701xx); age_to is empty for the open group (95 and over).",
        "# Source: INEI, Censos Nacionales 2017: XII de Población, VII de Vivienda y III de Comunidades Indígenas;",
        "# REDATAM crosstab 'P: Edad en grupos quinquenales' by 'P: Sexo', district level (población censada).",
        f"# Made from {source.file} (sha256 {source.sha256})",
        f"# {source.url}",
        "# by scripts/make_census_extract.py of coverage-map. Do not edit by hand: run the script again.",
    ]


def register(out: Path, registry: Path, name: str = EXTRACT) -> None:
    """Record the extract's sha256 and size in the registry's entry name."""
    text = registry.read_text(encoding="utf-8")
    section = re.search(rf"^\[{name}\]\n(?:(?!^\[).*\n?)*", text, re.MULTILINE)
    if section is None:
        sys.exit(f"No [{name}] entry in {registry}")
    entry = re.sub(r'^sha256 = ".*"$', f'sha256 = "{sha256_of(out)}"', section.group(0), flags=re.MULTILINE)
    entry = re.sub(r"^size = \d+$", f"size = {out.stat().st_size}", entry, flags=re.MULTILINE)
    registry.write_text(text[: section.start()] + entry + text[section.end() :], encoding="utf-8")


def arguments(doc: str, workbook: str, out: str) -> argparse.Namespace:
    """--workbook (default: the registered one), --out (default: data/out) and --registry."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--workbook", type=Path, help=f"the {workbook} workbook (default: the registered one)")
    parser.add_argument("--out", type=Path, default=REPO / "data" / out)
    parser.add_argument("--registry", type=Path, default=REPO / "geo" / "sources.toml")
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__, "REDATAM", "census_2017_lima_callao.csv")
    workbook = args.workbook or find_workbook()
    rows = extract_rows(workbook)
    districts = len({row[0] for row in rows})
    text = io.StringIO()
    text.write("\n".join(header(districts)) + "\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(GROUP_COLUMNS)
    writer.writerows(rows)
    args.out.write_text(text.getvalue(), encoding="utf-8")
    register(args.out, args.registry)
    print(f"Wrote {args.out}: {districts} districts, {len(rows)} rows, sha256 {sha256_of(args.out)}")


if __name__ == "__main__":
    main()
