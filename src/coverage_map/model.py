"""The model of a run: what it was asked (RunInputs) and what it found and decided (Analysis).

Every stage below the pipeline returns plain frames; the pipeline gathers them, with each
decision it made, into one Analysis. Renderers (map, report, workbook, tables) import this
module and read those decisions; they never open an input again or re-derive a decision
from values. Nothing here imports a renderer or the pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .boundaries import BoundaryReport
from .costs import CostModel
from .coverage import Coverage
from .districts import Gazetteer
from .facilities import Facilities
from .inventory import Catalogue, Inventory, Origin
from .scales import Scale, pairs
from .sources import DEFAULT_POPULATION, Source

if TYPE_CHECKING:
    from .roads import RoadNetwork


def run_time() -> datetime:
    """Now in UTC (whole seconds), or the time SOURCE_DATE_EPOCH gives, when set, so that a
    reproducible build can pin the date the outputs carry."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass(frozen=True, kw_only=True)
class RunInputs:
    """What a run is asked to do: its inputs and options, from the CLI or from Python.

    boundaries and population take a registered source name or a path; population=None
    measures counts only; cache=None uses the default cache folder.
    """

    area: str = "lima"
    boundaries: str | os.PathLike | None = None
    district_field: str | None = None
    inventory: str | os.PathLike | None = None
    facilities: str | os.PathLike | None = None
    population: str | os.PathLike | None = DEFAULT_POPULATION
    #: The year of the target people: the census year (2017) or one INEI projects (2018-2025);
    #: None takes the latest projected. Only with a registered census (a user's file is its own).
    population_year: int | None = None
    lang: str = "es"
    scheme: str = "quantiles"
    breaks: tuple[float, ...] | None = None
    basemap: str | None = None
    cache: str | os.PathLike | None = None
    #: Overrides of the catalogue's scale and catchment (km) per service, as (service, value)
    #: pairs ("HRT", "municipal"), ("CEM", "5"); a mapping is taken too. Checked by check_options.
    scales: tuple[tuple[str, str], ...] = ()
    catchments: tuple[tuple[str, str], ...] = ()
    #: Where a facility counts: "evidence" (the district most of its signals name), "ubigeo"
    #: (the district its ubigeo names, when in the area) or "point".
    place_by: str = "evidence"
    #: New sites to propose per service (build --plan SERVICE:N), as (service, N) pairs of text
    #: ("HRT", "2"); "HRT:2" texts and a mapping are taken too. Checked by check_options.
    plans: tuple[tuple[str, str], ...] = ()
    #: An OpenStreetMap extract (.osm.pbf, .osm): with it, every cost is minutes along its
    #: streets for profile ("walk" or "drive"), at the speeds of data/road_speeds.csv, or of
    #: the table at speeds where it gives them (road_costs.py); without it, straight-line km.
    roads: str | os.PathLike | None = None
    profile: str = "walk"
    speeds: str | os.PathLike | None = None

    def __post_init__(self) -> None:
        for name in ("scales", "catchments"):
            object.__setattr__(self, name, pairs(getattr(self, name)))
        object.__setattr__(self, "plans", pairs(self.plans, separator=":"))

    @classmethod
    def of(cls, inputs: RunInputs | None = None, **options) -> RunInputs:
        """inputs as given, or built from keyword options (with those options applied)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            msg = f"Unknown run option(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
            raise TypeError(msg)
        return replace(inputs, **options) if inputs is not None else cls(**options)

    @property
    def unit(self) -> str:
        """The unit of the run's costs: minutes along the streets with roads, else straight-line km."""
        return "min" if self.roads is not None else "km"

    def options(self) -> dict[str, str]:
        """The options given, as text, for the manifest (unset ones left out)."""
        given = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "breaks" and value:
                value = ",".join(f"{b:g}" for b in value)
            if f.name in ("scales", "catchments"):
                value = ",".join(f"{service}={given}" for service, given in value)
            if f.name == "plans":
                value = ",".join(f"{service}:{given}" for service, given in value)
            if f.name == "profile" and self.roads is None:
                continue  # a profile without roads measures nothing
            if value not in (None, "", ()):
                given[f.name] = str(value)
        return given


@dataclass(frozen=True)
class InputFile:
    """A file the run read, with its role (boundaries, population, inventory, facilities,
    embedded, report) and, for a registered source, its pinned provenance."""

    role: str
    path: Path
    sha256: str
    source: Source | None = None

    def manifest(self) -> dict:
        entry = {"role": self.role, "path": str(self.path), "sha256": self.sha256}
        if self.source is not None:
            entry |= {"source": self.source.name, "url": self.source.url, "license": self.source.license}
        return entry


@dataclass(frozen=True)
class Plan:
    """N new sites of a service, in order of marginal gain, and the state before them (plan.py).

    Its catchments and costs are in unit: straight-line km, or minutes along the streets (min)
    with --roads, travelled as profile says (walk, drive).

    proposals, one row per site: service, rank, ubigeo, district, newly_covered (target people
    newly within the catchment), covered_after, share_covered_after, weighted_km_after (the
    population-weighted km to the nearest site; weighted_min_after, minutes, on roads: the
    weighted_column), access_districts (districts whose E2SFCA
    access the site raises), access_before and access_after (their population-weighted mean
    access, sites per 100,000 target people, without and with it) and, unless the service is
    confidential, name, lon and lat of the site.
    """

    service: str
    name: str
    objective: str
    catchment: float  # in unit
    proposals: pd.DataFrame
    target_population: float  # exact; the words round it
    covered_before: float
    weighted_before: float  # in unit
    existing_sites: int
    candidates: int
    confidential: bool
    crs: str
    population_group: str
    census: str
    #: The catchment E2SFCA access is measured within (the service's, as the run measures it), in unit.
    access_catchment: float = 0.0
    #: The unit of the catchments and costs: "km" (straight lines) or "min" (along the streets).
    unit: str = "km"
    #: On the streets, how people travel (roads.PROFILES: walk, drive); None in straight lines.
    profile: str | None = None
    #: Other sets of sites (their districts, in the proposal's order) that reach exactly the
    #: same objective, one site swapped (location_models.equal_sets).
    alternatives: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def weighted_column(self) -> str:
        """The proposals' column of the population-weighted cost after each site, named by unit."""
        return f"weighted_{self.unit}_after"


@dataclass(frozen=True)
class Analysis:
    """Everything a run knows: its inputs, what it read and measured, and what it decided."""

    inputs: RunInputs
    districts: gpd.GeoDataFrame
    boundary: BoundaryReport
    boundary_source: Source | None
    #: The boundary file's districts outside the area that reach into its bounding box (ubigeo
    #: and name, '' where unknown, geometry in EPSG:4326; Callao's seven for Lima), which the
    #: map draws as context; empty when there are none (boundaries.context_districts).
    context: gpd.GeoDataFrame
    #: The gazetteer of Lima and Callao: every district's official name and the variants
    #: people write (old names, "Cercado de Lima", SJL), which the map's search knows.
    gazetteer: Gazetteer
    catalogue: Catalogue
    inventory: Inventory
    #: Lima Metropolitana's declared totals; empty when they do not apply (see lima_figures).
    declared: pd.DataFrame
    coverage: Coverage
    checks: pd.DataFrame
    #: Whether MIMP's figures for Lima Metropolitana (declared totals, usage figures, checks
    #: of its tables) apply: the area holds Lima Metropolitana and lies within Lima and Callao.
    lima_figures: bool
    files: tuple[InputFile, ...]
    #: MIMP's usage figures per service and period (service, period, value, unit_es, unit_en,
    #: source): Lima Metropolitana's, so empty where lima_figures does not apply.
    usage: pd.DataFrame
    #: The first day of the latest usage period's month, whether or not the figures apply: the
    #: workbook's document date, which depends on the data, not on the day of the run.
    latest_usage: datetime
    #: The national indicators of the PNMNNA 2030 (code, service_*, indicator_*, result_2021,
    #: result_2022, change_pp, related_service, source).
    indicators: pd.DataFrame
    #: The embedded files of the figures above (usage.csv where it applies, indicators.csv),
    #: role "report", for the report's provenance annex (the manifest's inputs are files alone).
    report_files: tuple[InputFile, ...]
    facilities: Facilities | None = None
    #: Target population per district (rows, ubigeo) and service (columns), or None.
    population: pd.DataFrame | None = None
    population_source: Source | None = None
    #: Per service, the population column it was measured against (women, age_60_plus,
    #: age_0_17, men or total, where the population file lacks the group).
    population_columns: dict[str, str] = field(default_factory=dict)
    #: The year of the target people (the census's or a projected one); None for a user's file.
    population_year: int | None = None
    #: Whether they are INEI's projected totals by the census structure (else counted people).
    population_projected: bool = False
    #: Every place-based service's scale and catchment (scales.service_scales: the catalogue's,
    #: or the run's override): renderers index it; a service that is not place-based has none.
    scales: dict[str, Scale] = field(default_factory=dict)
    #: The embedded summary's district counts (service, ubigeo, count) of the services a
    #: user's file replaced, in Lima Metropolitana: shown beside the file's.
    replaced: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["service", "ubigeo", "count"]))
    #: When the run was made (UTC): the manifest's time; the workbook and the GeoPackage carry its date.
    created: datetime = field(default_factory=run_time)
    #: What separates people from sites (costs.py): every distance of the run is read from it.
    costs: CostModel | None = None
    #: The proposals asked for with RunInputs.plans (plan.py), in the order asked.
    plans: tuple[Plan, ...] = ()

    @property
    def area(self) -> str:
        return self.inputs.area

    @property
    def unit(self) -> str:
        """The unit of every cost of the run: "km" (straight lines) or "min" (along streets)."""
        return self.coverage.unit

    @property
    def roads(self) -> RoadNetwork | None:
        """The street network the costs are minutes along (name, sha256, timestamp, profile), or None."""
        return getattr(self.costs, "network", None)

    @property
    def lang(self) -> str:
        return self.inputs.lang

    def file(self, role: str) -> InputFile | None:
        """The (first) input file read in role, or None."""
        return next((f for f in self.files if f.role == role), None)

    def population_files(self) -> list[InputFile]:
        """The registered files the target people come from: the census and, for a projected
        year, INEI's projection."""
        return [f for f in self.files if f.role in ("population", "projection") and f.source is not None]

    def origin(self, code: str) -> Origin:
        """Where a service's district counts come from."""
        return self.inventory.origin[code]
