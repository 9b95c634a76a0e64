"""The whole job in one call: load boundaries and inventory, match, measure, export."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import __version__
from .boundaries import BoundaryReport, read_boundaries
from .checks import run_checks
from .coverage import Coverage, measure_coverage
from .districts import area_prefixes, load_gazetteer
from .export import coverage_layer, staged_outputs, write_csv, write_geojson, write_json
from .inventory import (
    Catalogue,
    Inventory,
    load_catalogue,
    load_declared_totals,
    load_embedded_inventory,
    read_inventory,
)
from .sources import DEFAULT_BOUNDARIES, Source, cache_dir, fetch, registry, sha256_of

log = logging.getLogger(__name__)

EMBEDDED_FILES = ("services.csv", "district_counts.csv", "declared_totals.csv", "consolidated.csv")


@dataclass
class Analysis:
    """Everything a run knows: the inputs it read and the coverage it measured."""

    area: str
    districts: gpd.GeoDataFrame
    boundary: BoundaryReport
    boundary_source: Source | None
    catalogue: Catalogue
    inventory: Inventory
    declared: pd.DataFrame
    coverage: Coverage
    checks: pd.DataFrame
    inputs: list[dict] = field(default_factory=list)


def resolve_boundaries(boundaries: str | os.PathLike | None, cache: Path) -> tuple[Path, Source | None]:
    """A registered source name (fetched into the cache) or a path to a vector file."""
    name = DEFAULT_BOUNDARIES if boundaries is None else str(boundaries)
    if name in registry():
        source = registry()[name]
        return fetch(source, cache=cache), source
    return Path(name), None


def analyse(
    *,
    area: str = "lima",
    boundaries: str | os.PathLike | None = None,
    district_field: str | None = None,
    inventory: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
) -> Analysis:
    """Read the inputs and measure coverage, gaps and source checks; write nothing."""
    gazetteer = load_gazetteer()
    prefixes = area_prefixes(area)
    path, source = resolve_boundaries(boundaries, cache_dir(cache))
    hints = (source.ubigeo_field, source.name_field) if source else ()
    districts, boundary = read_boundaries(
        path, gazetteer=gazetteer, area=area, district_field=district_field, hints=hints
    )
    catalogue = load_catalogue()
    stock = load_embedded_inventory(catalogue, gazetteer)
    if inventory is not None:
        own = read_inventory(Path(inventory), catalogue=catalogue, gazetteer=gazetteer, scope=prefixes)
        stock = stock.merge(own)
    declared = load_declared_totals()
    coverage = measure_coverage(districts, stock, catalogue, declared)
    checks = run_checks(coverage, stock, declared, gazetteer, boundary, embedded=True)
    inputs = [_input("boundaries", path, source)]
    data = files("coverage_map.data")
    inputs += [_input("embedded", Path(str(data.joinpath(name)))) for name in EMBEDDED_FILES]
    if inventory is not None:
        inputs.append(_input("inventory", Path(inventory)))
    return Analysis(area, districts, boundary, source, catalogue, stock, declared, coverage, checks, inputs)


def _input(role: str, path: Path, source: Source | None = None) -> dict:
    entry = {"role": role, "path": str(path), "sha256": sha256_of(path)}
    if source is not None:
        entry |= {"source": source.name, "url": source.url, "license": source.license}
    return entry


def build(
    *,
    out: str | os.PathLike = "outputs",
    lang: str = "es",
    **options,
) -> tuple[Analysis, list[Path]]:
    """Run the whole job and write every output into out, whole or not at all."""
    analysis = analyse(**options)
    out = Path(out)
    with staged_outputs(out) as staging:
        write_tables(analysis, staging, lang=lang)
        written = sorted(p.name for p in staging.iterdir())
        manifest = {
            "tool": "coverage-map",
            "version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "options": {"area": analysis.area, "lang": lang, **{k: str(v) for k, v in options.items() if v is not None}},
            "inputs": analysis.inputs,
            "outputs": {name: sha256_of(staging / name) for name in written if (staging / name).is_file()},
        }
        write_json(manifest, staging / "manifest.json")
    return analysis, [out / name for name in [*written, "manifest.json"]]


def write_tables(analysis: Analysis, folder: Path, *, lang: str) -> None:
    """coverage.geojson, coverage.csv, gaps.csv, summary.csv and checks.csv."""
    coverage, catalogue = analysis.coverage, analysis.catalogue
    write_geojson(coverage_layer(analysis.districts, coverage), folder / "coverage.geojson")
    write_csv(coverage.matrix(), folder / "coverage.csv")
    gaps = coverage.gaps().drop(columns=["count", "status"])
    gaps = gaps[["service", "ubigeo", "district", "nearest_ubigeo", "nearest_district", "nearest_km"]]
    gaps.insert(1, "service_name", gaps["service"].map(lambda s: catalogue.label(s, lang)))
    write_csv(gaps, folder / "gaps.csv")
    summary = coverage.summary.copy()
    summary.insert(1, "service_name", summary["service"].map(lambda s: catalogue.label(s, lang)))
    write_csv(summary, folder / "summary.csv")
    checks = analysis.checks.drop(columns=["message_es", "message_en"])
    checks["message"] = analysis.checks[f"message_{lang}"]
    write_csv(checks, folder / "checks.csv")
