"""The `coverage-map` command: a thin layer over the library.

A user error (CoverageMapError) prints one line saying what, where and how to fix it,
and exits with status 2; --debug shows the traceback instead. The stages of a run print
their counts on stderr in the run's language (progress.py); --debug adds the library's
DEBUG lines (its internal decisions, in English); --quiet prints nothing on success.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from . import __version__
from .classify import SCHEMES, parse_breaks
from .costs import KM
from .cli_help import WordedArgument, WordedGroup, WordedOption
from .errors import CoverageMapError, InputError, Message
from .formatting import cost, number, percent
from .model import RunInputs
from .phrases import access_text, minutes_note
from .pipeline import analyse, build as build_outputs, validate as validate_inputs, build_report
from .progress import Downloading, Event, Progress, phrase
from .scales import METROPOLITAN, NETWORK
from .sources import DEFAULT_POPULATION, cache_dir, fetch, packaged_path, registry, seed_from
from .sources import status as source_status
from .texts import texts, worded

#: Every option's help is a catalogue key (cli_help.py), worded in the help's language.
option = functools.partial(click.option, cls=WordedOption)
stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def stage_lines(lang: str) -> Progress | None:
    """The callback that prints each stage's counts on stderr in lang; None with --quiet."""
    if click.get_current_context().meta.get("quiet"):
        return None

    def show(event: Event) -> None:
        for line in phrase(event, lang):
            stderr.print(line, markup=False, soft_wrap=True)

    return show


def _setup_logging(quiet: bool, debug: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if debug else logging.INFO
    logger = logging.getLogger("coverage_map")
    logger.handlers[:] = [RichHandler(console=stderr, show_path=False, show_time=False, markup=False)]
    logger.setLevel(level)
    logger.propagate = False


def error_line(problem: Message, lang: str) -> str:
    """The line that shows a user error ("Error: ...") or a note ("Nota: ...") in lang."""
    key = "error_line" if isinstance(problem, CoverageMapError) else "note_line"
    return worded(key, lang, message=problem.text(lang))


def common(func):
    """Options every command shares: --lang, --quiet, --debug, and error handling."""

    @option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True,
                  help="help_lang")
    @option("--quiet", is_flag=True, help="help_quiet")
    @option("--debug", is_flag=True,
                  help="help_debug")
    @functools.wraps(func)
    def wrapper(*args, quiet: bool, debug: bool, **kwargs):
        _setup_logging(quiet, debug)
        click.get_current_context().meta["quiet"] = quiet
        try:
            return func(*args, **kwargs)
        except CoverageMapError as exc:
            if debug:
                raise
            stderr.print(error_line(exc, kwargs.get("lang", "es")), markup=False, soft_wrap=True)
            sys.exit(2)

    return wrapper


cache_option = option(
    "--cache-dir", "cache", type=click.Path(path_type=Path), envvar="COVERAGE_MAP_CACHE",
    help="help_cache_dir",
)


#: A service's catchment for the run (its coverage, access and plans): every command that reads inputs.
catchment_option = option(
    "--catchment", "catchments", multiple=True, metavar="SERVICE=KM|SERVICE=MINmin",
    help="help_catchment",
)
#: The plan command's: also a bare KM, the plan's own catchment (plan_catchment reads both forms).
plan_catchment_option = option(
    "--catchment", "catchments", multiple=True, metavar="KM|MINmin|SERVICE=KM|SERVICE=MINmin",
    help="help_plan_catchment",
)


def inputs(func, *, catchment=catchment_option):
    """Options that choose the inputs of an analysis (catchment: the --catchment option)."""
    options = [
        option("--area", default="lima", show_default=True, metavar="AREA",
                     help="help_area"),
        option("--boundaries", metavar="PATH|NAME",
                     help="help_boundaries"),
        option("--district-field", metavar="FIELD",
                     help="help_district_field"),
        option("--inventory", type=click.Path(path_type=Path), metavar="FILE",
                     help="help_inventory"),
        option("--facilities", type=click.Path(path_type=Path), metavar="FILE",
                     help="help_facilities"),
        option("--population", default=DEFAULT_POPULATION, show_default=True, metavar="PATH|NAME|none",
                     callback=lambda ctx, param, value: None if value.lower() == "none" else value,
                     help="help_population"),
        option("--population-year", type=int, metavar="YEAR",
                     help="help_population_year"),
        option("--place-by", type=click.Choice(["evidence", "ubigeo", "point"]), default="evidence", show_default=True,
                     help="help_place_by"),
        option("--scale", "scales", multiple=True, metavar="SERVICE=SCALE",
                     help="help_scale"),
        catchment,
        option("--roads", type=click.Path(path_type=Path), metavar="FILE",
                     help="help_roads"),
        option("--profile", type=click.Choice(["walk", "drive"]), default="walk", show_default=True,
                     help="help_profile"),
        option("--speeds", type=click.Path(path_type=Path), metavar="FILE",
                     help="help_speeds"),
        cache_option,
    ]
    for decorate in reversed(options):
        func = decorate(func)
    return func


def run_inputs(*, breaks: str | None = None, **options) -> RunInputs:
    """The run the command's options describe (breaks given as text, e.g. "1,2,5")."""
    return RunInputs(breaks=parse_breaks(breaks) if breaks else None, **options)


def map_options(func):
    """Options of the map's classes and basemap (build, and validate which checks them)."""
    options = [
        option("--scheme", type=click.Choice(SCHEMES), default="quantiles", show_default=True,
                     help="help_scheme"),
        option("--breaks", metavar="N,N,...",
                     help="help_breaks"),
        option("--basemap", metavar="NAME",
                     help="help_basemap"),
    ]
    for decorate in reversed(options):
        func = decorate(func)
    return func


plan_option = option(
    "--plan", "plans", multiple=True, metavar="SERVICE:N",
    help="help_plan_option",
)


@click.group(cls=WordedGroup, help="help_main", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coverage-map", cls=WordedOption, help="help_version")
def main() -> None:
    """Where MIMP's social services are in Lima Metropolitana, and where they are missing."""


@main.command(help="help_build")
@inputs
@map_options
@plan_option
@option("--out", type=click.Path(path_type=Path), default="outputs", show_default=True,
              help="help_out_build")
@common
def build(out: Path, **options) -> None:
    """Measure coverage and gaps and write the map, report, GeoJSON, tables and manifest."""
    run = run_inputs(**options)
    _, written = build_outputs(run, out=out, progress=stage_lines(run.lang))
    list_written(out, written, run.lang)


def list_written(out: Path, written: list[Path], lang: str) -> None:
    """Where the outputs went, file by file; nothing with --quiet."""
    if click.get_current_context().meta.get("quiet"):
        return
    # paths are never wrapped, so that they can be copied, also from a pipe
    stdout.print(texts(lang)["wrote"].format(out=out), soft_wrap=True, markup=False)
    for path in written:
        stdout.print(f"  {path}", soft_wrap=True, markup=False)


@main.command(help="help_report")
@inputs
@plan_option
@option("--out", type=click.Path(path_type=Path), default="outputs", show_default=True,
              help="help_out_report")
@common
def report(out: Path, lang: str, **options) -> None:
    """Rebuild only the gap-analysis report: report.html, report.md, img/ and coverage.xlsx."""
    _, written = build_report(run_inputs(lang=lang, **options), out=out, progress=stage_lines(lang))
    list_written(out, written, lang)


@main.command(help="help_gaps")
@click.argument("service", cls=WordedArgument, metavar="help_arg_service")
@inputs
@common
def gaps(service: str, lang: str, **options) -> None:
    """List the districts that lack SERVICE (e.g. CIAM), with the nearest that has it."""
    from .inventory import load_catalogue

    catalogue = load_catalogue()
    code = catalogue.resolve(service)
    if code is None or code not in catalogue.place_based:  # before anything is read
        raise catalogue.district_typed(service) or InputError(
            "error_unknown_gaps_service", service=repr(service), closest=", ".join(catalogue.closest(service, place_based=True)))
    analysis = analyse(run_inputs(lang=lang, **options), progress=stage_lines(lang))
    text, name, acronym = texts(lang), catalogue.label(code, lang), catalogue.services.at[code, "acronym"]
    summary = analysis.coverage.summary.loc[code]
    scale = analysis.scales[code]
    unit, roads = analysis.unit, analysis.roads
    catchment = cost(scale.catchment(unit), unit, lang)  # "30,0 km", or with --roads "90 min"
    if scale.kind == METROPOLITAN:
        reach = ""
        if code in analysis.coverage.access_measured:
            reach = text["cli_reach"].format(share=percent(100 * summary["share_within"], lang, 1), km=catchment)
        stdout.print(text["cli_metropolitan"].format(name=name, code=acronym, reach=reach))
        if roads is not None and reach:
            stdout.print(minutes_note(roads, lang), markup=False, soft_wrap=True)
        return
    if summary["unknown"] == summary["districts"]:
        stdout.print(text["cli_unknown"].format(name=name, code=acronym))
        return
    rows = analysis.coverage.gaps(code)
    if rows.empty:
        stdout.print(text["cli_no_gaps"].format(name=name, code=acronym))
        return
    network = scale.kind == NETWORK and code in analysis.coverage.access_measured
    title = text["cli_gaps_network" if network else "cli_gaps"]
    table = Table(title=title.format(n=len(rows), total=summary["districts"], name=name, code=acronym))
    table.add_column("Ubigeo")
    table.add_column(text["district"])
    table.add_column(text["nearest"])
    # with --roads the minutes along the streets (the straight-line km are in the files, said to be so)
    table.add_column(text["unit_km" if roads is None else "unit_min"], justify="right")
    if network:
        table.add_column(text["cli_access"], justify="right", no_wrap=True)
    for row in rows.itertuples():
        distance = getattr(row, f"nearest_{unit}")
        distance = "" if distance != distance else number(distance, lang, 1 if unit == KM else 0)
        cells = [row.ubigeo, row.district, row.nearest_district or "", distance]
        if network:  # where no site is within reach, the catchment in the run's unit ("Sin sede a menos de 60 min")
            cells.append(access_text(row.access, scale.catchment(unit), lang, cost_unit=unit))
        table.add_row(*cells)
    stdout.print(table)
    if roads is not None:
        stdout.print(minutes_note(roads, lang), markup=False, soft_wrap=True)


def plan_catchment(given: tuple[str, ...], *, roads: bool = False) -> tuple[float | None, tuple[str, ...]]:
    """The plan's own catchment (a bare value, at most one) and the run's SERVICE=VALUE overrides.

    The plan's is in the run's unit: km in straight lines ("5", "5km"), minutes along the
    streets with --roads ("45min"); the other unit is refused with one line naming the one to use.
    """
    from .costs import KM, MIN
    from .scales import catchment_value

    bare = [value for value in given if "=" not in value]
    overrides = tuple(value for value in given if "=" in value)
    if not bare:
        return None, overrides
    text = bare[0].strip()
    value, unit = catchment_value(text)
    try:
        zero = unit == KM and float(text.lower().removesuffix(KM).strip().replace(",", ".")) == 0
    except ValueError:
        zero = False
    if zero:
        value = 0.0  # in straight lines, 0: each district by its own site
    if roads and (len(bare) > 1 or value is None or unit != MIN):
        raise InputError("error_plan_catchment_minutes", value=" --catchment ".join(bare))
    if len(bare) > 1 or value is None:
        raise InputError("error_plan_catchment_option", value=" --catchment ".join(bare))
    if not roads and unit == MIN:
        raise InputError("error_plan_catchment_km", value=text)
    return value, overrides


@main.command("plan", help="help_plan")
@click.argument("service", cls=WordedArgument, metavar="help_arg_service")
@option("--add", type=int, required=True, metavar="N", help="help_add")
@option("--objective", type=click.Choice(["coverage", "distance"]), default="coverage", show_default=True,
              help="help_objective")
@option("--candidates", type=click.Path(path_type=Path), metavar="FILE",
              help="help_candidates")
@option("--force", is_flag=True, help="help_force")
@option("--out", type=click.Path(path_type=Path), default="outputs", show_default=True,
              help="help_out_plan")
@functools.partial(inputs, catchment=plan_catchment_option)
@common
def plan_command(service: str, add: int, objective: str, candidates: Path | None, force: bool, out: Path,
                 lang: str, **options) -> None:
    """Propose where to open the next N sites of SERVICE, keeping the existing ones (writes plan.csv).

    Within the service's catchment, or the plan's own (--catchment KM, or --catchment 45min
    with --roads); a municipal service is planned district by district unless a catchment is
    given (in straight lines). Also writes plan-notes.txt:
    the plan's title, state and notes, as printed under the table.
    """
    from .export import check_out_folder, staged_outputs
    from .inventory import load_catalogue
    from .plan import plan
    from .plan_request import resolve_service
    from .plan_words import terminal_table, write_plan

    code = resolve_service(load_catalogue(), service)  # an unknown service stops before any reading
    catchment, options["catchments"] = plan_catchment(options["catchments"], roads=options.get("roads") is not None)
    check_out_folder(out)
    analysis = analyse(run_inputs(lang=lang, **options), progress=stage_lines(lang))
    proposal = plan(analysis, code, add=add, objective=objective, candidates=candidates,
                    catchment=catchment, force=force)
    table, lines = terminal_table(proposal, lang)
    stdout.print(table)
    for line in lines:
        stdout.print(line, markup=False, soft_wrap=True)
    with staged_outputs(out) as staging:
        written = write_plan(proposal, staging, lang=lang)
    list_written(out, [out / path.name for path in written], lang)


@main.command(help="help_validate")
@inputs
@map_options
@plan_option
@common
def validate(lang: str, **options) -> None:
    """Check the inputs as build does, without writing anything, and list every problem found."""
    problems = validate_inputs(run_inputs(lang=lang, **options), progress=stage_lines(lang))
    if not problems:
        stdout.print(texts(lang)["valid"])
        return
    for problem in problems:
        stderr.print(error_line(problem, lang), markup=False, soft_wrap=True)
    sys.exit(2)


@main.command(help="help_services")
@common
def services(lang: str) -> None:
    """List the services of the catalogue (code, name, program, target population, scale and catchment)."""
    from .inventory import load_catalogue

    text = texts(lang)
    table = Table()
    for key in ("code", "service", "program", "target", "on_map", "scale", "catchment"):
        table.add_column(text[key])
    for row in load_catalogue().services.itertuples():
        table.add_row(row.code, getattr(row, f"name_{lang}"), row.program, getattr(row, f"target_{lang}"),
                      text["yes"] if row.place_based else text["no"],
                      text[f"scale_{row.scale}"] if row.scale else "", row.catchment_km)
    stdout.print(table)


@main.group(help="help_sources")
def sources() -> None:
    """List, fetch and verify the registered data sources (boundaries, population)."""


@sources.command("list", help="help_sources_list")
@cache_option
@common
def sources_list(cache: Path | None, lang: str) -> None:
    """Show each registered source, whether it is embedded or cached, and its license."""
    folder, text = cache_dir(cache), texts(lang)
    headers = tuple(text["sources_headers"].split("|"))
    rows = [(s.name, text[f"source_kind_{s.kind}"], state(source_status(s, folder), lang), s.file, s.license)
            for s in registry().values()]
    click.echo(text["sources_cache"].format(folder=folder))
    click.echo(_table_text(headers, rows, _output_width()))


def state(status: str, lang: str) -> str:
    """A source's status ('not cached', sources.status) in lang."""
    return texts(lang)["source_state_" + status.replace(" ", "_")]


def _output_width() -> int | None:
    """The width to fit: $COLUMNS, else the terminal's; None (no limit) when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _table_text(headers: tuple[str, ...], rows: list[tuple[str, ...]], width: int | None) -> str:
    """Aligned columns when they fit width, else one block per row; no value is ever cut."""
    widths = [max(len(str(v)) for v in column) for column in zip(headers, *rows)]
    if width is None or sum(widths) + 2 * (len(widths) - 1) <= width:
        lines = ["  ".join(str(v).ljust(w) for v, w in zip(line, widths)).rstrip() for line in (headers, *rows)]
        return "\n".join(lines)
    label = max(len(h) for h in headers[1:])
    blocks = ["\n".join([row[0], *(f"  {h.lower():<{label}}  {v}" for h, v in zip(headers[1:], row[1:]))]) for row in rows]
    return "\n\n".join(blocks)


@sources.command("fetch", help="help_sources_fetch")
@click.argument("names", nargs=-1, cls=WordedArgument, metavar="help_arg_names")
@option("--from", "folder", type=click.Path(path_type=Path),
              help="help_from")
@cache_option
@common
def sources_fetch(names: tuple[str, ...], folder: Path | None, cache: Path | None, lang: str) -> None:
    """Download the registered sources (all, or NAMES) into the cache, checking their sha256."""
    target = cache_dir(cache)
    if folder is not None:
        for name, status in seed_from(folder, cache=target).items():
            stdout.print(f"{name}: {state(status, lang)}", soft_wrap=True, markup=False)
        return
    from .sources import get_source

    show = stage_lines(lang)
    for name in names or registry():
        source = get_source(name)
        if show and not source.embedded and source_status(source, target) != "cached":
            show(Downloading(source.name, source.url))
        path = fetch(source, cache=target)
        stdout.print(f"{name}: {path}", soft_wrap=True, markup=False)


@sources.command("verify", help="help_sources_verify")
@cache_option
@common
def sources_verify(cache: Path | None, lang: str) -> None:
    """Check the sha256 of every embedded and cached source; exit 2 if one is corrupted."""
    folder = cache_dir(cache)
    bad = []
    for source in registry().values():
        found = source_status(source, folder)
        if found in ("embedded", "cached"):
            stdout.print(texts(lang)["source_verified"].format(name=source.name, state=state(found, lang)))
        else:
            stdout.print(f"{source.name}: {state(found, lang)}")
            if found != "not cached":
                bad.append(str(packaged_path(source) if source.embedded else folder / source.file))
    if bad:
        raise CoverageMapError("error_sources_corrupted", files=", ".join(bad))
