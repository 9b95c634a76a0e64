#!/usr/bin/env python3
"""Write the projection extract that coverage-map ships beside its census extract.

Reads the registered workbook of INEI's Cuadro Nº 01 (proyeccion_2018_2025: population
projected for 30 June of each year 2018-2025 per district), keeps the districts of Lima
province (1501xx) and Callao (0701xx), and writes data/projection_lima_callao.csv: one row
per district with its total for each year, the districts it was created from (none here)
and a source column that cites INEI and the workbook's sha256. Then it records the new
file's sha256 and size in geo/sources.toml. The extract is never edited by hand: run this
script again.

    python scripts/make_projection_extract.py [--workbook PATH] [--out data/projection_lima_callao.csv]

Without --workbook the file is taken from the cache ($COVERAGE_MAP_CACHE or the user cache)
or from $COVERAGE_MAP_SHARED_DATA/population/.
"""

from __future__ import annotations

from pathlib import Path

from make_census_extract import PREFIXES, arguments, find_workbook, register

from coverage_map.projection import read_projection_workbook
from coverage_map.sources import get_source, sha256_of

WORKBOOK = "proyeccion_2018_2025"
EXTRACT = "proyeccion_lima_callao"


def extract_table(workbook: Path):
    """One row per district of Lima and Callao, in ubigeo order: ubigeo, district, the years,
    created_from and source."""
    projection = read_projection_workbook(workbook)
    source = get_source(WORKBOOK)
    totals = projection.totals[projection.totals.index.str.startswith(PREFIXES)].sort_index()
    table = totals.astype("Int64").set_axis([str(y) for y in totals.columns], axis=1)
    table.insert(0, "district", projection.names.reindex(totals.index))
    table["created_from"] = ["|".join(projection.created_from.get(u, ())) for u in totals.index]
    table["source"] = (f"INEI, Cuadro Nº 01: Perú: Población total proyectada al 30 de junio de cada año, según "
                       f"departamento, provincia y distrito, 2018-2025 ({source.file}, sha256 {source.sha256})")
    return table.reset_index()


def main() -> None:
    args = arguments(__doc__, "Cuadro Nº 01", "projection_lima_callao.csv")
    table = extract_table(args.workbook or find_workbook(WORKBOOK))
    table.to_csv(args.out, index=False, lineterminator="\n", encoding="utf-8")
    register(args.out, args.registry, EXTRACT)
    print(f"Wrote {args.out}: {len(table)} districts, sha256 {sha256_of(args.out)}")


if __name__ == "__main__":
    main()
