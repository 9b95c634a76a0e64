"""What a run tells its user as it goes: one typed event per stage, and its words.

The pipeline reports each stage's counts as an event (a small frozen dataclass) to the
callback it is given; `phrase` turns an event into lines of the run's language, all their
words from the catalogue (texts.py) and their numbers from formatting.py. Internal decisions
(the CRS used, the detected fields, cache hits, classes) are not events: they stay DEBUG
lines of the modules' loggers, for developers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .formatting import area_title, number, plural
from .texts import texts

log = logging.getLogger(__name__)

#: At most this many source-check findings are listed one by one; the rest are counted.
LISTED_FINDINGS = 5


@dataclass(frozen=True)
class Downloading:
    """A registered source is being downloaded into the cache."""

    name: str
    url: str


@dataclass(frozen=True)
class BoundariesRead:
    """The boundary file's districts, and those of the study area."""

    file: str
    features: int
    districts: int
    area: str
    #: The layer read from a file of several (a GeoPackage): (its name, how many layers).
    layer: tuple[str, int] | None = None


@dataclass(frozen=True)
class PopulationRead:
    """The target population, read for the districts of the area."""

    file: str
    districts: int
    #: The year of the people (the census's or a projected one); None for a user's file.
    year: int | None = None


@dataclass(frozen=True)
class CountsRead:
    """District counts of some services from one source (file "" for the embedded inventory)."""

    file: str
    services: int
    counts: int


@dataclass(frozen=True)
class FacilitiesRead:
    """A facility list: the facilities counted in the area, and those left out."""

    file: str
    in_area: int
    left_out: int


@dataclass(frozen=True)
class CoverageMeasured:
    """Gaps by each service's scale, and the districts a metropolitan seat serves instead."""

    services: int
    districts: int
    gaps: int
    served_from_seat: int


@dataclass(frozen=True)
class SourcesChecked:
    """The source checks' findings, each as {"es": ..., "en": ...}."""

    findings: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class RoadsRead:
    """The streets of an OpenStreetMap extract, read for a profile (or from the cache)."""

    file: str
    profile: str
    nodes: int
    cached: bool = False


@dataclass(frozen=True)
class AccessMeasured:
    """The services whose access across district lines was measured (measured=False: no population)."""

    services: tuple[str, ...]
    measured: bool = True


Event = (Downloading | BoundariesRead | PopulationRead | CountsRead | FacilitiesRead | RoadsRead | CoverageMeasured
         | SourcesChecked | AccessMeasured)
Progress = Callable[[Event], None]


def log_event(event: Event) -> None:
    """The default callback of the library: each event as a DEBUG line."""
    log.debug("%s", event)


def counted(n: int, one: str, many: str, lang: str) -> str:
    """'43 distritos', '1 hallazgo', '65,389 districts'."""
    return f"{number(n, lang)} {plural(n, one, many)}"


def phrase(event: Event, lang: str) -> list[str]:
    """The lines an event prints, in lang."""
    text = texts(lang)
    districts = lambda n: counted(n, text["unit_district"], text["unit_districts"], lang)  # noqa: E731
    services = lambda n: counted(n, text["log_service"], text["log_services"], lang)  # noqa: E731
    if isinstance(event, Downloading):
        return [text["log_downloading"].format(name=event.name, url=event.url)]
    if isinstance(event, BoundariesRead):
        line = text["log_boundaries"].format(file=event.file, features=districts(event.features),
                                             area=area_title(event.area, lang), districts=districts(event.districts))
        if event.layer:
            line += text["log_boundaries_layer"].format(layer=event.layer[0], n=number(event.layer[1], lang))
        return [line]
    if isinstance(event, PopulationRead):
        key = "log_population" if event.year is None else "log_population_year"
        return [text[key].format(file=event.file, districts=districts(event.districts), year=event.year)]
    if isinstance(event, CountsRead):
        counts = counted(event.counts, text["log_district_count"], text["log_district_counts"], lang)
        return [text["log_counts"].format(file=event.file or text["log_embedded"], counts=counts,
                                          services=services(event.services))]
    if isinstance(event, FacilitiesRead):
        line = text["log_facilities"].format(file=event.file, n=number(event.in_area, lang))
        if event.left_out:
            line += text["log_facilities_left_out"].format(n=number(event.left_out, lang))
        return [line]
    if isinstance(event, RoadsRead):
        line = text["log_roads"].format(file=event.file, profile=text[f"profile_{event.profile}"],
                                        nodes=number(event.nodes, lang))
        return [line + (text["log_roads_cached"] if event.cached else "")]
    if isinstance(event, CoverageMeasured):
        gaps = counted(event.gaps, text["log_gap"], text["log_gaps"], lang)
        line = text["log_coverage"].format(services=services(event.services), districts=districts(event.districts), gaps=gaps)
        if event.served_from_seat:
            line += text["log_served_from_seat"].format(districts=districts(event.served_from_seat))
        return [line]
    if isinstance(event, SourcesChecked):
        n = len(event.findings)
        lines = [text["log_checks"].format(findings=counted(n, text["log_finding"], text["log_findings"], lang))]
        lines += [f"  - {finding[lang]}" for finding in event.findings[:LISTED_FINDINGS]]
        if n > LISTED_FINDINGS:
            lines.append("  - " + text["more"].format(n=number(n - LISTED_FINDINGS, lang)))
        return lines
    if isinstance(event, AccessMeasured):
        if not event.measured:
            return [text["log_no_access"]]
        return [text["log_access"].format(services=services(len(event.services)), codes=", ".join(event.services))]
    msg = f"No words for the event {event!r}"
    raise TypeError(msg)
