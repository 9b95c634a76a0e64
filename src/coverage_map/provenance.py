"""Where a run's figures come from, in words: the files it read (titles, versions, licences,
sha256), the options it was given and the date of its data; the report's provenance annex and
the workbook's first sheet show the same rows.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import __version__
from .formatting import area_title, credit, listing, period, short_origin
from .phrases import population_basis, roads_date
from .sources import Source
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis

#: The registered extracts of INEI's 2017 census.
CENSUS_2017 = ("censo_2017_edades", "censo_2017_lima_callao")


def data_date(analysis: Analysis, periods: list[str], lang: str) -> str:
    """The date of the data in words: the editions the services' counts come from (the 2023
    summary, the 2026 directory, a user's file), MIMP's usage periods where they apply, and
    the census year of the population."""
    labels = texts(lang)
    editions = dict.fromkeys(short_origin(analysis.origin(code), lang) for code in analysis.coverage.summary.index)
    parts = [labels["data_date_text"].format(sources=listing(list(editions), lang))]
    if analysis.lima_figures and periods:
        parts.append(labels["data_date_usage"].format(periods=listing([period(p, lang) for p in periods], lang)))
    if analysis.population_projected:
        parts.append(labels["data_date_basis"].format(basis=population_basis(analysis, lang)))
    elif analysis.population_source is not None and analysis.population_source.name in CENSUS_2017:
        parts.append(labels["data_date_census"])
    elif analysis.file("population") is not None:
        parts.append(labels["data_date_population"].format(file=analysis.file("population").path.name))
    return "; ".join(parts)


def _lima() -> tzinfo:
    """Peru's one time zone; UTC-5 all year (no summer time since 1994) where the system has
    no time-zone database."""
    try:
        return ZoneInfo("America/Lima")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-5), "PET")


def run_date(analysis: Analysis, lang: str) -> str:
    """When the run was made, in Lima's time and in words: '1 de diciembre de 2026, 16:06
    (hora de Lima)'. The manifest keeps the UTC time."""
    created = analysis.created.astimezone(_lima())
    month = texts(lang)["months"].split()[created.month - 1]
    return texts(lang)["run_date_text"].format(day=created.day, month=month, year=created.year, time=f"{created:%H:%M}")


def licence(source: Source, lang: str) -> str:
    """A registered source's licence in lang (the registry's own note is in English)."""
    return texts(lang)[f"license_{source.name}"]


def source_rows(analysis: Analysis, lang: str) -> list[dict]:
    """Every file read, with its version (the pinned commit of a remote file) and short sha256."""
    labels = texts(lang)
    rows = []
    for entry in analysis.files:
        role = labels.get(f"role_{entry.role}", entry.role)
        row = {"role": role, "file": entry.path.name, "sha": entry.sha256[:12],
               "version": "", "license": "", "title": ""}
        if entry.source is not None:
            source = entry.source
            commit = re.search(r"/([0-9a-f]{40})/", source.url)
            row |= {"title": credit(source, lang, role=entry.role), "license": licence(source, lang),
                    "version": f"@{commit[1][:7]}" if commit else source.name}
        elif entry.role == "roads" and analysis.roads is not None:  # the ODbL asks for its attribution
            row |= {"title": labels["roads_credit"], "license": labels["roads_license"],
                    "version": roads_date(analysis.roads, lang)}
        elif entry.role == "embedded":
            row |= {"title": labels["doc_000"], "version": f"coverage-map {__version__}"}
        rows.append(row)
    for entry in analysis.report_files:  # the embedded figures the report shows
        doc = labels["doc_004"] if entry.path.name == "indicators.csv" else labels["doc_000"]
        rows.append({"role": labels["role_report"], "file": entry.path.name, "sha": entry.sha256[:12],
                     "version": f"coverage-map {__version__}", "license": "", "title": doc})
    return rows


def option_rows(analysis: Analysis, lang: str) -> list[dict]:
    """The options of the run as a reader names them, each with its value."""
    labels, boundary = texts(lang), analysis.boundary
    inventory = [f.path.name for f in analysis.files if f.role == "inventory"]
    boundaries = analysis.boundary_source.name if analysis.boundary_source else Path(boundary.path).name
    options = [
        (labels["opt_area"], f"{analysis.area} ({area_title(analysis.area, lang)})"),
        (labels["opt_boundaries"], boundaries),
        (labels["opt_field"], f"{boundary.district_field} ({labels[f'matched_by_{boundary.matched_by}']})"),
        (labels["opt_inventory"], ", ".join(inventory) or labels["embedded" if analysis.lima_figures else "no_inventory"]),
    ]
    # Inputs added by other options (population, facilities...) as the role and what was read.
    for entry in analysis.files:
        if entry.role not in ("boundaries", "embedded", "inventory"):
            role = labels.get(f"role_{entry.role}", entry.role)
            options.append((role, entry.source.name if entry.source else entry.path.name))
    if analysis.population_year is not None:
        options.append((labels["opt_population_year"], str(analysis.population_year)))
    options.append((labels["opt_lang"], lang))
    return [{"option": k, "value": v} for k, v in options]
