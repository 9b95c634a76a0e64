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
from .coverage import Coverage, add_population, measure_coverage
from .districts import AREAS, load_gazetteer
from .errors import CoverageMapError, InputError
from .facilities import Facilities, read_facilities
from .export import check_out_folder, coverage_layer, staged_outputs, write_csv, write_geojson, write_json
from .inventory import (
    EMBEDDED_SCOPE,
    Catalogue,
    Inventory,
    load_catalogue,
    load_declared_totals,
    load_embedded_inventory,
    read_inventory,
)
from .maps import write_map
from .report import write_report
from .population import read_population, read_population_cached, targets_for
from .sources import DEFAULT_BOUNDARIES, DEFAULT_POPULATION, Source, cache_dir, fetch, registry, sha256_of

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
    facilities: Facilities | None = None
    population: pd.DataFrame | None = None  # target population per district and service
    population_source: Source | None = None
    inputs: list[dict] = field(default_factory=list)


def resolve_source(value: str | os.PathLike, cache: Path) -> tuple[Path, Source | None]:
    """A registered source name (fetched into the cache) or a path to a file."""
    if str(value) in registry():
        source = registry()[str(value)]
        return fetch(source, cache=cache), source
    return Path(value), None


def analyse(
    *,
    area: str = "lima",
    boundaries: str | os.PathLike | None = None,
    district_field: str | None = None,
    inventory: str | os.PathLike | None = None,
    facilities: str | os.PathLike | None = None,
    population: str | os.PathLike | None = DEFAULT_POPULATION,
    cache: str | os.PathLike | None = None,
) -> Analysis:
    """Read the inputs and measure coverage, gaps and source checks; write nothing.

    inventory: counts per district; facilities: one row per centre (their counts replace
    the inventory's for their services); population: a registered source, a REDATAM
    workbook or a CSV, or None for counts only.
    """
    cache = cache_dir(cache)
    path, source = resolve_source(boundaries or DEFAULT_BOUNDARIES, cache)
    if source is not None and source.kind != "boundaries":
        msg = f"{source.name} is a {source.kind} source, not boundaries. See `coverage-map sources list`."
        raise InputError(msg)
    districts, boundary = read_boundaries(
        path, gazetteer=load_gazetteer(), area=area, district_field=district_field, source=source
    )
    # names of a user's files are matched among the districts of the area only
    gazetteer = load_gazetteer().within(boundary.prefixes).with_districts(districts, scope=f"the area {area!r}")
    catalogue = load_catalogue()
    lima = _covers_lima_metropolitana(districts)
    if not (lima or inventory or facilities):
        msg = (
            f"The area {area!r} is outside Lima Metropolitana, where the embedded MIMP inventory ends: "
            "give your counts with --inventory or your facilities with --facilities."
        )
        raise InputError(msg)
    stock = load_embedded_inventory(catalogue, load_gazetteer())
    if inventory is not None:
        own = read_inventory(Path(inventory), catalogue=catalogue, gazetteer=gazetteer, scope=boundary.prefixes)
        stock = stock.merge(own)
    sites = None
    if facilities is not None:
        sites = read_facilities(Path(facilities), catalogue=catalogue, districts=districts, prefixes=boundary.prefixes)
        stock = stock.merge(sites.inventory(boundary.prefixes, origin=str(facilities)))
    # the embedded inventory may reach beyond the area (Lima Metropolitana when the area is
    # elsewhere); users' rows outside it were refused when read
    stock.counts = stock.counts[stock.counts["ubigeo"].isin(districts["ubigeo"])]
    stock.scope = {s: p for s, p in stock.scope.items() if districts["ubigeo"].str.startswith(p).any()}
    # the source's totals are for Lima Metropolitana: they say nothing of part of it, and
    # beside the counts of a wider area than Lima and Callao they would mislead
    totals_apply = lima and districts["ubigeo"].str.startswith(AREAS["lima-callao"]).all()
    declared = load_declared_totals() if totals_apply else load_declared_totals().iloc[0:0]
    coverage = measure_coverage(districts, stock, catalogue, declared, sites=sites and sites.points)
    checks = run_checks(coverage, stock, declared, gazetteer, boundary, embedded=totals_apply)
    if sites is not None and sites.findings:
        checks = pd.concat([checks, pd.DataFrame(sites.findings)], ignore_index=True)
    inputs = [_input("boundaries", path, source)]
    targets = population_source = None
    if population is not None:
        population_path, population_source = resolve_source(population, cache)
        services = catalogue.services.loc[catalogue.place_based]
        if population_source is not None:  # pinned by sha256: its parsed table can be kept
            sidecar = cache / f"{population_source.file}.{population_source.sha256[:12]}.csv"
            table = read_population_cached(population_path, sidecar)
        else:
            table = read_population(population_path)
        targets = targets_for(table, districts, services, where=str(population_path))
        coverage = add_population(coverage, targets)
        inputs.append(_input("population", population_path, population_source))
    data = files("coverage_map.data")
    inputs += [_input("embedded", Path(str(data.joinpath(name)))) for name in EMBEDDED_FILES]
    inputs += [_input(role, Path(p)) for role, p in (("inventory", inventory), ("facilities", facilities)) if p]
    return Analysis(
        area, districts, boundary, source, catalogue, stock, declared, coverage, checks,
        facilities=sites, population=targets, population_source=population_source, inputs=inputs,
    )


def _covers_lima_metropolitana(districts: pd.DataFrame) -> bool:
    lima = load_gazetteer().districts.index
    return set(lima[lima.str.startswith(EMBEDDED_SCOPE)]) <= set(districts["ubigeo"])


def _input(role: str, path: Path, source: Source | None = None) -> dict:
    entry = {"role": role, "path": str(path), "sha256": sha256_of(path)}
    if source is not None:
        entry |= {"source": source.name, "url": source.url, "license": source.license}
    return entry


def build(
    *,
    out: str | os.PathLike = "outputs",
    lang: str = "es",
    scheme: str = "quantiles",
    breaks: tuple[float, ...] | None = None,
    basemap: str | None = None,
    **options,
) -> tuple[Analysis, list[Path]]:
    """Run the whole job and write every output into out, whole or not at all."""
    check_out_folder(out)
    analysis = analyse(**options)
    chosen = {**options, "scheme": scheme, "breaks": ",".join(f"{b:g}" for b in breaks or ()), "basemap": basemap}
    out = Path(out)
    with staged_outputs(out) as staging:
        write_tables(analysis, staging, lang=lang)
        write_report(analysis, staging, lang=lang)
        write_map(analysis, staging, lang=lang, scheme=scheme, breaks=breaks, basemap=basemap)
        written = sorted(p.name for p in staging.iterdir())
        write_json(manifest(analysis, staging, lang=lang, options=chosen), staging / "manifest.json")
    return analysis, [out / name for name in [*written, "manifest.json"]]


def manifest(analysis: Analysis, folder: Path, *, lang: str, options: dict) -> dict:
    """What a run read (paths, URLs, sha256), with which options, and what it wrote."""
    given = {key: str(value) for key, value in options.items() if value not in (None, "")}
    return {
        "tool": "coverage-map",
        "version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": {"area": analysis.area, "lang": lang, **given},
        "inputs": analysis.inputs,
        "outputs": {p.name: sha256_of(p) for p in sorted(folder.iterdir()) if p.is_file()},
    }


def build_report(*, out: str | os.PathLike = "outputs", lang: str = "es", **options) -> tuple[Analysis, list[Path]]:
    """Rebuild only the report (report.html, report.md, img/, coverage.xlsx) in out, whole or not at all.

    The manifest is left as the last build wrote it.
    """
    check_out_folder(out)
    analysis = analyse(**options)
    out = Path(out)
    with staged_outputs(out) as staging:
        written = write_report(analysis, staging, lang=lang)
    return analysis, [out / path.relative_to(staging) for path in written]


def write_tables(analysis: Analysis, folder: Path, *, lang: str) -> None:
    """coverage.geojson, coverage.csv, gaps.csv, summary.csv and checks.csv."""
    coverage, catalogue = analysis.coverage, analysis.catalogue
    write_geojson(coverage_layer(analysis.districts, coverage), folder / "coverage.geojson")
    write_csv(coverage.matrix(), folder / "coverage.csv")
    gaps = coverage.gaps().drop(columns=["count", "status"])
    columns = ["service", "ubigeo", "district", "nearest_ubigeo", "nearest_district", "nearest_km", "target_population"]
    gaps = gaps[[c for c in columns if c in gaps]]
    names = {code: catalogue.label(code, lang) for code in coverage.summary.index}
    gaps.insert(1, "service_name", gaps["service"].map(names))
    write_csv(gaps, folder / "gaps.csv")
    summary = coverage.summary.copy()
    summary.insert(1, "service_name", summary["service"].map(names))
    write_csv(summary, folder / "summary.csv")
    checks = analysis.checks.drop(columns=["message_es", "message_en"])
    checks["message"] = analysis.checks[f"message_{lang}"]
    write_csv(checks, folder / "checks.csv")


def validate(
    *,
    area: str = "lima",
    boundaries: str | os.PathLike | None = None,
    district_field: str | None = None,
    inventory: str | os.PathLike | None = None,
    facilities: str | os.PathLike | None = None,
    population: str | os.PathLike | None = DEFAULT_POPULATION,
    cache: str | os.PathLike | None = None,
) -> list[str]:
    """Check every input without building anything; return all the problems found.

    Each input is read on its own, so one bad file does not hide the problems of another;
    an input that needs the boundaries is not checked when they cannot be read.
    """
    problems: list[str] = []
    cache = cache_dir(cache)
    districts = boundary = None
    try:
        path, source = resolve_source(boundaries or DEFAULT_BOUNDARIES, cache)
        districts, boundary = read_boundaries(
            path, gazetteer=load_gazetteer(), area=area, district_field=district_field, source=source
        )
    except CoverageMapError as exc:
        problems.append(str(exc))
    catalogue = load_catalogue()
    gazetteer = load_gazetteer()
    if boundary is not None:
        gazetteer = gazetteer.within(boundary.prefixes).with_districts(districts, scope=f"the area {area!r}")
    checks = [
        ("inventory", inventory, lambda p: read_inventory(
            Path(p), catalogue=catalogue, gazetteer=gazetteer, scope=boundary.prefixes if boundary else ())),
        ("facilities", facilities, lambda p: read_facilities(
            Path(p), catalogue=catalogue, districts=districts, prefixes=boundary.prefixes)),
        ("population", population, lambda p: targets_for(
            read_population(resolve_source(p, cache)[0]), districts,
            catalogue.services.loc[catalogue.place_based], where=str(p))),
    ]
    for role, value, check in checks:
        if value is None:
            continue
        if districts is None and role != "inventory":
            problems.append(f"{value}: not checked, the {role} need readable boundaries.")
            continue
        try:
            check(value)
        except CoverageMapError as exc:
            problems.append(str(exc))
    return problems
