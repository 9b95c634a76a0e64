"""The whole job: read the inputs, measure coverage, and write every output whole.

analyse() reads and measures; validate() runs exactly the same readers and checks,
collecting every problem instead of stopping at the first, and writes nothing; build()
and build_report() write. Each takes a RunInputs, or the same options as keywords.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

import geopandas as gpd
import pandas as pd

from . import __version__
from .accessibility import measure_access
from .boundaries import BoundaryReport, read_boundaries
from .checks import cite_sources, run_checks
from .classify import check_scheme
from .costs import MIN, CostModel, sites_of
from .coverage import UNKNOWN, Coverage, add_population, measure_coverage
from .districts import AREAS, Gazetteer, load_gazetteer
from .errors import CoverageMapError, InputError, Message, Note
from .export import check_out_folder, coverage_layer, staged_outputs, write_csv, write_geojson, write_json
from .facilities import PLACE_BY, Facilities, read_facilities
from .formatting import section_of
from .inventory import (EMBEDDED_FILE, EMBEDDED_SCOPE, Origin, load_catalogue, load_declared_totals, load_embedded_inventory,
                        load_indicators, load_usage, read_inventory)
from .model import Analysis, InputFile, RunInputs
from .phrases import finding_source, population_basis
from .plan import plans_for
from .plan_request import requested
from .plan_words import write_plan
from .population import read_census_groups, read_groups_cached, read_population, targets_for
from .projection import CENSUS_YEAR, people_of, population_findings, read_projection
from .progress import (AccessMeasured, BoundariesRead, CountsRead, CoverageMeasured, Downloading, FacilitiesRead, RoadsRead,
                       PopulationRead, Progress, SourcesChecked, log_event)
from .scales import METROPOLITAN, apply_scales, service_scales, without_metropolitan_rates
from .sources import DEFAULT_BOUNDARIES, DEFAULT_POPULATION, NATIONAL_POPULATION, PROJECTION_OF, Source, cache_dir, fetch, registry, sha256_of
from .sources import status as source_status
from .texts import in_languages, listed, texts

if TYPE_CHECKING:
    from .road_costs import RoadCostModel
    from .roads import RoadNetwork

log = logging.getLogger(__name__)

#: Embedded data files every analysis reads, beside the inventory.
EMBEDDED_FILES = ("services.csv", EMBEDDED_FILE, "declared_totals.csv", "consolidated.csv")
#: Embedded figures the report shows (usage.csv: Lima Metropolitana's only), listed in its provenance.
USAGE_FILE = "usage.csv"
REPORT_DATA = (USAGE_FILE, "indicators.csv")
#: The embedded speeds per road class (roads.road_speeds).
SPEEDS_FILE = "road_speeds.csv"
#: The licence of OpenStreetMap's data (SPDX): every output made from its streets carries its
#: attribution (the texts' roads_attribution).
ROADS_LICENSE = "ODbL-1.0"
T = TypeVar("T")


class Problems:
    """The user errors of one run's stages: raised at once (build), or collected (validate).

    found keeps them as they were raised (key and values), in the order found, with a Note
    for each input left unchecked: the caller words them in the run's language.
    """

    def __init__(self, *, collect: bool) -> None:
        self.collect = collect
        self.found: list[Message] = []

    def attempt(self, stage: Callable[..., T], *args, **kwargs) -> T | None:
        """stage(*args, **kwargs); when collecting, a user error is kept and None returned."""
        try:
            return stage(*args, **kwargs)
        except CoverageMapError as exc:
            if not self.collect:
                raise
            self.found.append(exc)
            return None

    def skipped(self, value: object, role: str) -> None:
        """An input (role: facilities or population) that cannot be checked because the boundaries could not be read."""
        self.found.append(Note("note_facilities_unchecked" if role == "facilities" else "note_population_unchecked",
                               value=value))


@dataclass(frozen=True)
class Area:
    """The districts of the study area, read from the boundaries, and what reading them found."""

    districts: gpd.GeoDataFrame
    report: BoundaryReport
    source: Source | None
    path: Path
    gazetteer: Gazetteer  # the names users' files are matched against: the area's districts
    context: gpd.GeoDataFrame  # the file's districts around the area (boundaries.context_districts)

    @property
    def ubigeos(self) -> pd.Series:
        return self.districts["ubigeo"]

    @property
    def covers_lima(self) -> bool:
        """Whether the area holds every district of Lima Metropolitana (the embedded data's)."""
        lima = load_gazetteer().districts.index
        return set(lima[lima.str.startswith(EMBEDDED_SCOPE)]) <= set(self.ubigeos)

    @property
    def within_lima_callao(self) -> bool:
        return bool(self.ubigeos.str.startswith(AREAS["lima-callao"]).all())


def analyse(inputs: RunInputs | None = None, *, progress: Progress | None = None, **options) -> Analysis:
    """Read the inputs and measure coverage, gaps and source checks; write nothing.

    inventory: counts per district; facilities: one row per centre (their counts replace
    the inventory's for their services); population: a registered source, a REDATAM
    workbook or a CSV, or None for counts only. Raises the first user error found. progress
    gets each stage's counts as it ends (progress.py); by default they are DEBUG lines.
    """
    analysis, _ = _read_and_measure(RunInputs.of(inputs, **options), Problems(collect=False), progress or log_event)
    return analysis


def validate(inputs: RunInputs | None = None, *, progress: Progress | None = None, **options) -> list[Message]:
    """Every problem build() would stop on, found by the same readers and checks; writes nothing.

    Each input is read on its own, so one bad file does not hide the problems of another;
    an input that needs the boundaries is not checked when they cannot be read (a Note says
    so). Each problem is a CoverageMapError or a Note: `.text(lang)` words it, str() in English.
    """
    problems = Problems(collect=True)
    _read_and_measure(RunInputs.of(inputs, **options), problems, progress or log_event)
    return problems.found


def _read_and_measure(inputs: RunInputs, problems: Problems, progress: Progress) -> tuple[Analysis | None, list[Message]]:
    cache = cache_dir(inputs.cache)
    problems.attempt(check_options, inputs)
    area = problems.attempt(read_area, inputs, cache, progress)
    catalogue = load_catalogue()
    gazetteer = area.gazetteer if area else load_gazetteer()
    scope = area.report.prefixes if area else ()
    if area is not None and not (area.covers_lima or inputs.inventory or inputs.facilities):
        problems.attempt(_refuse_outside_lima, inputs.area)
    own = sites = population = None
    if inputs.inventory is not None:
        own = problems.attempt(read_inventory, Path(inputs.inventory), catalogue=catalogue, gazetteer=gazetteer, scope=scope)
    for role in ("facilities", "population"):
        if getattr(inputs, role) is not None and area is None:
            problems.skipped(getattr(inputs, role), role)
    if inputs.facilities is not None and area is not None:
        sites = problems.attempt(read_facilities, Path(inputs.facilities), catalogue=catalogue,
                                 districts=area.districts, prefixes=scope, place_by=inputs.place_by, context=area.context)
    if inputs.population is not None and area is not None:
        population = problems.attempt(read_targets, inputs.population, area, catalogue, cache, progress,
                                      inputs.population_year)
    network = None
    if inputs.roads is not None and area is not None:
        network = problems.attempt(read_network, inputs, area, cache, progress)
    if problems.found:
        return None, problems.found
    analysis = measure(inputs, area, own, sites, population, progress, network=network)
    if inputs.plans:
        plans = problems.attempt(plans_for, analysis)
        if problems.found:
            return None, problems.found
        analysis = replace(analysis, plans=plans)
    return analysis, []


def read_network(inputs: RunInputs, area: Area, cache: Path, progress: Progress = log_event) -> RoadNetwork:
    """The streets of the --roads extract the profile may use, within the area widened by the
    largest catchment in minutes (read from the cache when it holds them)."""
    from .roads import read_roads, reach_box

    scales = service_scales(load_catalogue(), scales=inputs.scales, catchments=inputs.catchments, unit=inputs.unit)
    widest = max(scale.catchment(MIN) for scale in scales.values())
    speeds = inputs.speeds and Path(inputs.speeds)
    box = reach_box(area.districts, widest, profile=inputs.profile, speeds=speeds)
    network = read_roads(Path(inputs.roads), profile=inputs.profile, bbox=box, speeds=speeds, cache=cache / "roads")
    progress(RoadsRead(network.name, network.profile, len(network), network.cached))
    return network


def check_options(inputs: RunInputs) -> None:
    """Options that need no file: the map's classification and basemap, scales, --place-by, --plan."""
    check_scheme(inputs.scheme, inputs.breaks)
    if inputs.basemap:
        from .maps import basemap_tiles

        basemap_tiles(inputs.basemap)
    service_scales(load_catalogue(), scales=inputs.scales, catchments=inputs.catchments, unit=inputs.unit)
    if inputs.place_by not in PLACE_BY:
        raise InputError("error_unknown_place_by", place_by=repr(inputs.place_by), choices=listed(PLACE_BY, word="or"))
    requested(load_catalogue(), inputs.plans)


def _refuse_outside_lima(area: str) -> None:
    raise InputError("error_area_outside_lima", area=repr(area))


def _source_kind(kind: str) -> dict[str, str]:
    """A kind of registered source (boundaries, population) in every language."""
    return in_languages({"boundaries": "source_kind_boundaries", "population": "source_kind_population"}[kind])


def resolve_source(value: str | os.PathLike, cache: Path, kind: str,
                   progress: Progress = log_event) -> tuple[Path, Source | None]:
    """A registered source name of kind (fetched into the cache) or a path to a file."""
    source = registry().get(str(value))
    if source is None:
        return Path(value), None
    if source.kind != kind:
        raise InputError("error_source_wrong_kind", name=source.name, kind=_source_kind(source.kind),
                         wanted=_source_kind(kind))
    if not source.embedded and source_status(source, cache) != "cached":
        progress(Downloading(source.name, source.url))
    return fetch(source, cache=cache), source


def read_area(inputs: RunInputs, cache: Path, progress: Progress = log_event) -> Area:
    """The districts of the study area from the boundaries, the gazetteer of their names, and
    the file's districts around them (the map's context)."""
    path, source = resolve_source(inputs.boundaries or DEFAULT_BOUNDARIES, cache, "boundaries", progress)
    districts, report, context = read_boundaries(
        path, gazetteer=load_gazetteer(), area=inputs.area, district_field=inputs.district_field, source=source
    )
    progress(BoundariesRead(path.name, report.features, len(districts), inputs.area, report.layer))
    # names of a user's files are matched among the districts of the area only
    gazetteer = load_gazetteer().within(report.prefixes).with_districts(districts, area=inputs.area)
    return Area(districts, report, source, path, gazetteer, context)


@dataclass(frozen=True)
class Targets:
    """The target population per district and service, with where it was read and for which year."""

    table: pd.DataFrame
    columns: dict[str, str]
    path: Path
    source: Source | None
    #: The year of the people: CENSUS_YEAR or a projected year; None for a user's file (its own).
    year: int | None = None
    #: The same targets in the census year, beside those of a projected year (growth).
    census: pd.DataFrame | None = None
    #: INEI's projected totals read for the year (path, source), when projected.
    projection: tuple[Path, Source] | None = None
    findings: tuple[dict, ...] = ()


def read_targets(value: str | os.PathLike, area: Area, catalogue, cache: Path, progress: Progress = log_event,
                 year: int | None = None) -> Targets:
    """The target people of the area's districts: INEI's for year (the latest projected by
    default) from a registered census, or a user's file as it is."""
    path, source = resolve_source(value, cache, "population", progress)
    services = catalogue.services.loc[catalogue.place_based]
    if source is None or source.name not in PROJECTION_OF:
        if year is not None:
            raise InputError("error_population_year_file", file=path.name, year=year)
        targets, columns = targets_for(read_population(path), area.districts, services, where=str(path))
        progress(PopulationRead(path.name, len(targets)))
        return Targets(targets, columns, path, source)
    path, source, groups = census_groups(path, source, area, cache, progress)
    projected = projection = None
    if year != CENSUS_YEAR:
        projected = resolve_source(PROJECTION_OF[source.name], cache, "projection", progress)
        projection = read_projection(projected[0])
        years = [CENSUS_YEAR, *projection.years]
        year = years[-1] if year is None else year
        if year not in years:
            raise InputError("error_population_year", year=year, years=f"{years[0]}-{years[-1]}")
    people = people_of(groups, list(area.ubigeos), year=year, projection=projection)
    targets, columns = targets_for(people.table, area.districts, services, where=str(path))
    census = targets_for(people.census, area.districts, services, where=str(path))[0] if projection else None
    read = [path] + ([projected[0]] if projected else [])
    progress(PopulationRead(", ".join(p.name for p in read), len(targets), year))
    names = dict(zip(area.districts["ubigeo"], area.districts["name"]))
    findings = population_findings(people, names, projection, read[-1].name)
    return Targets(targets, columns, path, source, year, census, projected, tuple(findings))


def census_groups(path: Path, source: Source, area: Area, cache: Path,
                  progress: Progress = log_event) -> tuple[Path, Source, pd.DataFrame]:
    """The census groups of a registered census; the embedded extract of Lima and Callao gives
    way to the national census when the area reaches beyond it."""
    if source.embedded:
        groups = read_census_groups(path)
        if source.name != DEFAULT_POPULATION or area.ubigeos.isin(groups["ubigeo"]).all():
            return path, source, groups
        log.debug("The area reaches beyond %s: its people are the national census's", source.file)
        path, source = resolve_source(NATIONAL_POPULATION, cache, "population", progress)
    return path, source, read_groups_cached(path, cache / f"{source.file}.{source.sha256[:12]}.csv")


def measure(inputs: RunInputs, area: Area, own, sites: Facilities | None, population: Targets | None,
            progress: Progress = log_event, *, network: RoadNetwork | None = None) -> Analysis:
    """Coverage, gaps and checks of inputs already read; every decision recorded in the Analysis."""
    catalogue = load_catalogue()
    stock = load_embedded_inventory(catalogue, load_gazetteer())
    embedded = stock
    report_counts(inputs, area, embedded, own, sites, progress)
    if own is not None:
        stock = stock.merge(own)
    if sites is not None:
        stock = stock.merge(sites.inventory(area.report.prefixes, str(inputs.facilities)))
    stock = stock.within(area.ubigeos)  # the embedded inventory may reach beyond the area
    # the source's totals are for Lima Metropolitana: they say nothing of part of it, and
    # beside the counts of a wider area than Lima and Callao they would mislead
    lima_figures = area.covers_lima and area.within_lima_callao
    declared = load_declared_totals()
    declared = declared if lima_figures else declared.iloc[0:0]
    costs = cost_model(area, network)
    coverage = measure_coverage(area.districts, stock, catalogue, declared, facilities=sites, costs=costs)
    scales = service_scales(catalogue, scales=inputs.scales, catchments=inputs.catchments, unit=inputs.unit)
    coverage = apply_scales(coverage, scales)
    progress(coverage_measured(coverage, scales, len(area.districts)))
    checks = run_checks(coverage, stock, declared, area.gazetteer, area.report, embedded=lima_figures)
    if network is not None:
        checks = pd.concat([checks, pd.DataFrame(street_findings(costs, coverage, sites), columns=checks.columns)],
                           ignore_index=True)
    for found in (sites and sites.findings, population and population.findings):
        if found:
            checks = pd.concat([checks, pd.DataFrame(list(found))], ignore_index=True)
    checks = cite_sources(checks, stock.origin)
    progress(SourcesChecked(tuple({"es": es, "en": en} for es, en in zip(checks["message_es"], checks["message_en"]))))
    if population is not None:
        coverage = add_population(coverage, population.table, census=population.census)
        coverage = without_metropolitan_rates(coverage, scales)
    coverage = measure_access(coverage, area.districts, scales, population and population.table,
                              facilities=sites, costs=costs)
    measured = [code for code in coverage.summary.index if code in coverage.access_measured]
    progress(AccessMeasured(tuple(measured), measured=population is not None))
    origins = {code: stock.origin.get(code) or _embedded_origin(code, declared, catalogue) for code in catalogue.services.index}
    stock = replace(stock, origin=origins)
    # the summary's own listing of a service a user's file replaced, to show both side by side
    replaced_codes = [code for code, origin in origins.items() if not origin.embedded]
    replaced = embedded.within(area.ubigeos).counts
    replaced = replaced[replaced["service"].isin(replaced_codes)][["service", "ubigeo", "count"]].reset_index(drop=True)
    usage = load_usage()
    return Analysis(
        inputs=inputs, districts=area.districts, boundary=area.report, boundary_source=area.source,
        context=area.context, gazetteer=load_gazetteer(),
        catalogue=catalogue, inventory=stock, declared=declared, coverage=coverage, checks=checks,
        lima_figures=lima_figures, files=_files(inputs, area, population, network),
        usage=usage if lima_figures else usage.iloc[0:0], latest_usage=_period_start(max(usage["period"])),
        indicators=load_indicators(), report_files=_report_files(lima_figures), facilities=sites,
        population=population and population.table, population_source=population and population.source,
        population_columns=population.columns if population else {}, scales=scales, costs=costs,
        population_year=population and population.year, population_projected=bool(population and population.projection),
        replaced=replaced if lima_figures else replaced.iloc[0:0],
    )


def cost_model(area: Area, network: RoadNetwork | None) -> CostModel:
    """The run's one cost model: minutes along the network's streets, else straight-line km."""
    if network is None:
        return CostModel(area.districts, area.context)
    from .road_costs import RoadCostModel

    return RoadCostModel(area.districts, network, area.context)


def street_findings(costs: RoadCostModel, coverage: Coverage, facilities: Facilities | None) -> list[dict]:
    """The districts without streets and the sites far from any street (road_costs.road_findings),
    for every service with known sites."""
    from .road_costs import road_findings

    table = coverage.table.set_index("ubigeo")
    sites = {service: sites_of(costs, service, rows["count"].reindex(costs.ubigeos), facilities)
             for service, rows in table.groupby("service") if (rows["status"] != UNKNOWN).any()}
    return road_findings(costs, sites, dict(zip(costs.ubigeos, coverage.table.drop_duplicates("ubigeo")["district"])))


def report_counts(inputs: RunInputs, area: Area, embedded, own, sites: Facilities | None, progress: Progress) -> None:
    """The counts each source gives the area: the embedded inventory (but the services a user's
    file replaces), the user's inventory, the facilities."""
    counts = embedded.within(area.ubigeos).counts
    replaced = set(own.scope if own is not None else ()) | set(sites.points["service"] if sites is not None else ())
    counts = counts[~counts["service"].isin(replaced)]
    if len(counts):
        progress(CountsRead("", counts["service"].nunique(), len(counts)))
    if own is not None:
        counts = own.within(area.ubigeos).counts
        progress(CountsRead(Path(inputs.inventory).name, counts["service"].nunique(), len(counts)))
    if sites is not None:
        progress(FacilitiesRead(Path(inputs.facilities).name, len(sites.points), sites.left_out))


def coverage_measured(coverage, scales, districts: int) -> CoverageMeasured:
    """The gaps by each service's scale, and the districts (each once, not once per service)
    without the seat of some metropolitan service."""
    summary, table = coverage.summary, coverage.table
    metropolitan = [code for code in summary.index if scales[code].kind == METROPOLITAN]
    without_seat = table[table["service"].isin(metropolitan) & (table["count"].fillna(-1) == 0)]
    return CoverageMeasured(len(summary), districts, int(summary["gaps"].sum()), without_seat["ubigeo"].nunique())


def _embedded_origin(code: str, declared: pd.DataFrame, catalogue) -> Origin:
    """A service the embedded summary gives only a total for (or nothing): its section."""
    section = declared.at[code, "source"] if code in declared.index else catalogue.services.at[code, "source"]
    return Origin("embedded", f"data/{EMBEDDED_FILE}", section)


def _period_start(period: str) -> datetime:
    """The first day of a usage period's last month: December 2022 for "2022", January 2023 for "2023-01"."""
    return datetime.strptime(period if "-" in period else f"{period}-12", "%Y-%m")


def _report_files(lima_figures: bool) -> tuple[InputFile, ...]:
    """The embedded figures the report shows beside the analysis's inputs, with their sha256:
    MIMP's usage figures where they apply, and the national indicators."""
    names = REPORT_DATA if lima_figures else tuple(n for n in REPORT_DATA if n != USAGE_FILE)
    return tuple(InputFile("report", path, sha256_of(path)) for path in map(_data_path, names))


def _data_path(name: str) -> Path:
    return Path(str(files("coverage_map.data").joinpath(name)))


def _files(inputs: RunInputs, area: Area, population: Targets | None,
           network: RoadNetwork | None = None) -> tuple[InputFile, ...]:
    """Every file the analysis read, in its role, with its sha256 (the extract's as read with it)."""
    read = [(area.path, "boundaries", area.source)]
    if population is not None:
        read.append((population.path, "population", population.source))
    if population is not None and population.projection is not None:
        projection, source = population.projection
        read.append((projection, "projection", source))
    read += [(_data_path(name), "embedded", None) for name in EMBEDDED_FILES]
    read += [(Path(p), role, None) for role, p in (("inventory", inputs.inventory), ("facilities", inputs.facilities)) if p]
    files = [InputFile(role, path, sha256_of(path), source) for path, role, source in read]
    if network is not None:
        speeds = [_data_path(SPEEDS_FILE), *([Path(inputs.speeds)] if inputs.speeds else [])]
        files += [InputFile("roads", Path(inputs.roads), network.sha256),
                  *(InputFile("speeds", path, sha256_of(path)) for path in speeds)]
    return tuple(files)


def build(inputs: RunInputs | None = None, *, out: str | os.PathLike = "outputs", progress: Progress | None = None,
          **options) -> tuple[Analysis, list[Path]]:
    """Run the whole job and write every output into out, whole or not at all."""
    from .maps import write_map
    from .report import write_report  # the renderers: only when writing (`plan` and `gaps` need none)

    check_out_folder(out)
    analysis = analyse(inputs, progress=progress, **options)
    lang = analysis.lang
    out = Path(out)
    with staged_outputs(out) as staging:
        write_tables(analysis, staging, lang=lang)
        write_report(analysis, staging, lang=lang)
        write_map(analysis, staging, lang=lang, scheme=analysis.inputs.scheme, breaks=analysis.inputs.breaks,
                  basemap=analysis.inputs.basemap)
        if analysis.plans:
            write_plan(analysis.plans, staging, lang=lang)
        written = sorted(p.name for p in staging.iterdir())
        write_json(manifest(analysis, staging), staging / "manifest.json")
    return analysis, [out / name for name in [*written, "manifest.json"]]


def manifest(analysis: Analysis, folder: Path) -> dict:
    """What a run read (paths, URLs, sha256), with which options, and every file it wrote."""
    written = sorted(p for p in folder.rglob("*") if p.is_file())
    return {
        "tool": "coverage-map",
        "version": __version__,
        "created": analysis.created.isoformat(timespec="seconds"),
        "options": analysis.inputs.options(),
        "inputs": [f.manifest() for f in analysis.files],
        **({"population": {"year": analysis.population_year, "projected": analysis.population_projected,
                           "census_year": CENSUS_YEAR, "basis": population_basis(analysis, analysis.lang)}}
           if analysis.population_year is not None else {}),
        "outputs": {p.relative_to(folder).as_posix(): sha256_of(p) for p in written},
        # what plan.csv cannot hold: each plan's notes, in the run's language (also in plan-notes.txt)
        **({"plans": [{"service": plan.service, "objective": plan.objective, "notes": list(plan.notes)}
                      for plan in analysis.plans]} if analysis.plans else {}),
        **({"roads": roads_manifest(analysis)} if analysis.roads is not None else {}),
    }


def roads_manifest(analysis: Analysis) -> dict:
    """The streets the minutes were measured along: the extract, its date, the profile and its
    speeds per road class (the embedded table, with a user's --speeds rows), and OpenStreetMap's
    attribution and licence, which every output with road-based figures must carry."""
    from .roads import road_speeds

    roads, given = analysis.roads, analysis.inputs.speeds
    speeds = road_speeds(given and Path(given))
    speeds = speeds[speeds["profile"] == roads.profile]
    return {
        "file": roads.name, "sha256": roads.sha256, "date": roads.timestamp and roads.timestamp[:10],
        "timestamp": roads.timestamp, "profile": roads.profile,
        "speeds": {"file": Path(given).name if given else SPEEDS_FILE, "embedded": not given,
                   "kmh": dict(zip(speeds["highway"], speeds["kmh"].astype(float)))},
        "attribution": texts(analysis.lang)["roads_attribution"], "license": ROADS_LICENSE, "public_transport": False,
    }


def build_report(inputs: RunInputs | None = None, *, out: str | os.PathLike = "outputs", progress: Progress | None = None,
                 **options) -> tuple[Analysis, list[Path]]:
    """Rebuild only the report (report.html, report.md, img/, coverage.xlsx) in out, whole or not at all.

    The manifest is left as the last build wrote it.
    """
    from .report import linked_files, write_report

    check_out_folder(out)
    analysis = analyse(inputs, progress=progress, **options)
    out = Path(out)
    beside = frozenset(name for name in linked_files() if (out / name).is_file())  # links only to what is there
    with staged_outputs(out) as staging:
        written = write_report(analysis, staging, lang=analysis.lang, beside=beside)
    return analysis, [out / path.relative_to(staging) for path in written]


def write_tables(analysis: Analysis, folder: Path, *, lang: str) -> None:
    """coverage.geojson, coverage.csv, gaps.csv, summary.csv, checks.csv and coverage.gpkg (the
    same tables, typed, with QGIS styles, and the proposals of a run with plans)."""
    from .gpkg import DISTRICT_LAYER, district_styles, proposal_styles, road_notes, write_geopackage
    from .maps import default_layer
    from .proposals import geopackage_layers

    coverage, catalogue = analysis.coverage.rounded(), analysis.catalogue  # the files' decimals
    layer = coverage_layer(analysis.districts, coverage)
    write_geojson(layer, folder / "coverage.geojson")
    write_csv(coverage.matrix(), folder / "coverage.csv")
    gaps = coverage.gaps().drop(columns=["count", "status"])
    columns = ["service", "ubigeo", "district", "nearest_ubigeo", "nearest_district", "nearest_km",
               coverage.cost_columns["nearest_km"], "target_population", "access", "people_per_site"]
    gaps = gaps[[c for c in dict.fromkeys(columns) if c in gaps]]  # with --roads nearest_min beside nearest_km
    names = {code: catalogue.label(code, lang) for code in coverage.summary.index}
    gaps.insert(1, "service_name", gaps["service"].map(names))
    gaps.insert(2, "scale", gaps["service"].map(coverage.summary["scale"]))
    write_csv(gaps, folder / "gaps.csv")
    summary = coverage.summary.copy()
    summary.insert(1, "service_name", summary["service"].map(names))
    if analysis.population_year is not None:  # which people the per-person figures count
        summary["population_year"] = analysis.population_year
        summary["population_basis"] = population_basis(analysis, lang)
    write_csv(summary, folder / "summary.csv")
    checks = analysis.checks.drop(columns=["message_es", "message_en"])
    checks["message"] = analysis.checks[f"message_{lang}"]
    # as a reader cites them, in the run's language: no internal document key ("000 ...")
    checks["where"] = checks["where"].map(lambda where: section_of(where, lang))
    checks["source"] = [finding_source(analysis, row, lang) for _, row in analysis.checks.iterrows()]
    write_csv(checks, folder / "checks.csv")
    proposals = geopackage_layers(analysis)
    tables = {DISTRICT_LAYER: layer, **proposals, "gaps": gaps, "summary": summary, "checks": checks}
    write_geopackage(tables, folder / "coverage.gpkg", changed=analysis.created,
                     styles=[*district_styles(analysis, first=default_layer(analysis), lang=lang),
                             *proposal_styles(proposals, lang=lang)],
                     notes=road_notes(analysis, tables, lang=lang))
