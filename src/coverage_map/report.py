"""The gap-analysis report: HTML and Markdown with static maps, and the tables as XLSX.

The Analysis is turned once into a plain report context (dicts and lists of values already
formatted for the language, formatting.py; words from texts.py), which both templates
render; the sentences of the summary are computed from the coverage, never written by
hand. The static maps are drawn by figures.py, the workbook's sheets built by workbook.py.

The report reads in the order a planner acts: a one-page summary (each plan in a sentence
when there is one), the coverage and the population, one section per service (its shortest
useful table: the 10 districts with the least access, or at most 25 without it), each
followed by its plan when there is one (the partials templates/report_proposal.html.j2 and
.md.j2), and the annexes, provenance last. Numbers in tables are Figures: their
text for the reader, their value for the page's script that sorts a table by a header.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import numpy as np
import pandas as pd

from . import __version__
from .boundaries import metric_crs
from .costs import KM, MIN
from .coverage import GAP, PRESENT, UNKNOWN
from .scales import DEFAULT_CATCHMENT_MIN, METROPOLITAN, MUNICIPAL, NETWORK
from .figures import draw_gains_charts, draw_maps
from .formatting import CONVENTIONS, area_title, change_pp, cite_origin, cost, credit, listing, number, percent, period, plural
from .maps import DOWNLOADS
from .phrases import (access_text, check_message, finding_source, group_label, growth_items, people, population_basis,
                      roads_date, service_name, side_by_side, travelled)
from .proposals import method_paragraphs, report_sections
from .proposals import summary_sentences as plan_sentences
from .projection import CENSUS_YEAR
from .provenance import CENSUS_2017, data_date, option_rows, run_date, source_rows
from .roads import DEMAND_CELL_M, RESIDENTIAL_WEIGHT, SNAP_LIMIT_M
from .styles import css_variables
from .texts import texts
from .workbook import workbook_sheets, write_workbook

if TYPE_CHECKING:
    from .model import Analysis

log = logging.getLogger(__name__)

REPORT_FILES = ("report.html", "report.md", "coverage.xlsx")
IMAGE_FOLDER = "img"
MAP = "map.html"
WORKBOOK = "coverage.xlsx"

#: Rows of a network or metropolitan service's access table: its districts with the least
#: access (all of them in the annex and the workbook).
ACCESS_ROWS = 10
#: Rows of a service's gap table: the gap districts with the most target people (all in the workbook).
GAP_ROWS = 25
#: An area of more districts keeps its whole-area tables (matrix, access) in the workbook only.
ANNEX_DISTRICTS = 100
#: The walking speed of every walkable way in data/road_speeds.csv, as the method states it
#: (a renderer reads no data file; tests/test_report_roads.py checks that the two agree).
WALK_KMH = 4.8

def _is_na(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


class Figure(str):
    """A number as the report writes it ("65 389", "5,4 km", "—"), keeping its value so that
    a table sorts by it (the data-value of its cell), not by its text."""

    value: float | None

    def __new__(cls, text: str, value: object = None) -> Figure:
        figure = super().__new__(cls, text)
        figure.value = None if _is_na(value) else float(value)
        return figure


def _figure(value: object, lang: str, decimals: int = 0) -> Figure:
    return Figure("—" if _is_na(value) else number(value, lang, decimals), value)


def _access_figure(value: object, catchment: float, unit: str, lang: str, *, short: bool = False) -> Figure:
    """Access as target people per site within reach ('4 000 000', 'Sin sede a menos de 10,0 km'
    or '... de 60 min', or short 'sin sede'); it sorts as less access last."""
    if _is_na(value):
        return Figure("—")
    text = texts(lang)["access_none"] if short and value <= 0 else access_text(value, catchment, lang, cost_unit=unit)
    return Figure(text, -value)


def _cost_figure(value: object, unit: str, lang: str) -> Figure:
    """A cost in the run's unit: '5,4 km' in straight lines, '25 min' along streets."""
    return Figure("—" if _is_na(value) else cost(value, unit, lang), value)


def _sort_value(text: object) -> str:
    """A cell's data-value: the number behind a Figure, empty for text or no value."""
    value = getattr(text, "value", None)
    return "" if value is None else repr(value)


# --- the report context ----------------------------------------------------------------

def report_context(analysis: Analysis, *, lang: str, beside: frozenset[str] | None = None) -> dict:
    """Everything the report shows, formatted for lang, as plain dicts and lists.

    beside: the files the report may link to (the map, the tables); None for all of them,
    as a build writes them. Each mapped service's image is its relative path (img/CODE.png), as Markdown links it.
    Outside Lima Metropolitana MIMP's usage figures and declared totals (Lima's) are left out.
    """
    labels = texts(lang)
    area = area_title(analysis.area, lang)
    lima = analysis.lima_figures
    usage, indicators = analysis.usage, analysis.indicators
    periods = sorted(usage["period"].unique())
    mapped, unmapped = analysis.coverage.mapped(), analysis.coverage.unmapped()
    return {
        "lang": lang,
        "labels": labels,
        "status_css": css_variables(),
        "title": labels["title"].format(area=area),
        "data_date": data_date(analysis, periods, lang),
        "run_date": run_date(analysis, lang),
        "links": _links(lang, beside),
        "lima": lima,
        "not_lima": "" if lima else labels["not_lima"].format(area=area),
        "sources": source_rows(analysis, lang),
        "unit": analysis.unit,
        "headings": _headings(analysis, lang),
        "roads_note": _roads_note(analysis, lang),
        "options": option_rows(analysis, lang),
        "actions": _summary(analysis, lang),
        "coverage": _coverage_rows(analysis, lang),
        "population": _population_section(analysis, mapped, lang),
        "facilities": _facilities_section(analysis, lang),
        "periods": [period(p, lang) for p in periods],
        "mapped": [_service_section(analysis, code, lang, usage, indicators, periods, map_link=beside is None or MAP in beside)
                   for code in mapped],
        "unmapped": [_unmapped_row(analysis, code, lang, usage, periods) for code in unmapped],
        "other": [_other_row(analysis, code, lang, usage, periods) for code in _not_place_based(analysis)],
        # each plan after its service's section; one of a service without a section, after the services
        "plans": report_sections(analysis, lang),
        "mapped_codes": list(mapped),
        "checks": [{"message": check_message(analysis, row, lang), "where": finding_source(analysis, row, lang)}
                   for _, row in analysis.checks.iterrows()],
        "indicators": _indicator_rows(analysis, indicators, lang, {*mapped, *unmapped, *_not_place_based(analysis)}),
        "related_header": labels["lima_service" if lima else "related_service"],
        "method": _method(analysis, lang),
        "matrix": _matrix(analysis, lang),
        "access_annex": _access_annex(analysis, lang),
        "whole_tables": len(analysis.districts) <= ANNEX_DISTRICTS,
        "annex_elsewhere": labels["annex_elsewhere"].format(n=number(len(analysis.districts), lang), workbook=WORKBOOK),
        "generated_by": labels["generated_by"].format(version=__version__),
    }


def _headings(analysis: Analysis, lang: str) -> dict[str, str]:
    """The column titles of the costs in the run's unit: distances, or times along the streets."""
    labels = texts(lang)
    if analysis.unit == KM:
        return {"weighted": labels["weighted_km"], "site": labels["site_km"], "gap": labels["km"], "straight": "",
                "annex_intro": labels["access_annex_intro"]}
    profile = travelled(analysis.roads, lang)
    return {"weighted": labels["weighted_min"].format(profile=profile), "site": labels["site_min"].format(profile=profile),
            "gap": labels["time_min"].format(profile=profile), "straight": labels["straight_km"],
            "annex_intro": labels["access_annex_intro_min"].format(profile=profile)}


def _roads_note(analysis: Analysis, lang: str) -> str:
    """Under the title, with roads: what the minutes are, their streets' attribution, no public transport."""
    if analysis.roads is None:
        return ""
    labels = texts(lang)
    return labels["roads_note"].format(profile=travelled(analysis.roads, lang), attribution=labels["roads_attribution"])


def linked_files() -> tuple[str, ...]:
    """The files beside the report that it links to: the map, then the tables."""
    return (MAP, *(file for _, file in DOWNLOADS if file != "coverage.gpkg"))


def _links(lang: str, beside: frozenset[str] | None = None) -> list[dict]:
    """The outputs a build writes beside the report (the map, then the tables), those of
    beside only (the files there when `coverage-map report` writes the report alone)."""
    labels = texts(lang)
    links = [{"href": MAP, "text": labels["report_map_link"]},
             *({"href": file, "text": labels[key]} for key, file in DOWNLOADS if file != "coverage.gpkg")]
    return [link for link in links if beside is None or link["href"] in beside]


# --- population and need ------------------------------------------------------------------

#: A summary sentence names the districts when they are this few.
NAMED_GAPS = 3
#: Rows of a service's "most loaded hosts" table.
NEED_ROWS = 5


def population_source(analysis: Analysis, lang: str) -> str:
    """The year of INEI's people and how they were made, the census (its title) or the user's file."""
    source = analysis.population_source
    if analysis.population_projected:
        return population_basis(analysis, lang)
    if source is not None:
        return source.title
    return texts(lang)["population_file"].format(file=analysis.file("population").path.name)


def _population_section(analysis: Analysis, mapped: list[str], lang: str) -> dict | None:
    """Per service with district data: its target population, the people without it and
    how far they are; then the districts ranked by need."""
    if analysis.population is None or not mapped:
        return None
    labels, summary, unit = texts(lang), analysis.coverage.summary, analysis.unit
    rows = []
    for code in mapped:
        row = summary.loc[code]
        rows.append({
            "anchor": f"svc-{code}", "name": service_name(analysis.catalogue, code, lang), "group": group_label(analysis, code, lang),
            "people": _figure(row["target_population"], lang), "unserved": _figure(row["unserved_population"], lang),
            "share": Figure(percent(100 * row["served_share"], lang, 1), row["served_share"]),
            "km": _cost_figure(row[f"weighted_{unit}"], unit, lang),
        })
    growth = growth_items(analysis, (MUNICIPAL, NETWORK), lang)
    return {
        "intro": _population_intro(analysis, lang),
        "attribution": "; ".join(filter(None, [_population_credits(analysis, lang), _roads_credit(analysis, lang)])),
        "rows": rows,
        "growth_intro": labels["growth_intro"].format(census=CENSUS_YEAR, year=analysis.population_year) if growth else "",
        "growth": growth,
    }


def _population_intro(analysis: Analysis, lang: str) -> str:
    """Who each service is measured against, and what its weighted distance (or time) is."""
    labels, source = texts(lang), population_source(analysis, lang)
    if analysis.roads is None:
        return labels["population_intro"].format(source=source)
    return labels["population_intro_min"].format(source=source, profile=travelled(analysis.roads, lang))


def _roads_credit(analysis: Analysis, lang: str) -> str:
    """The streets' attribution beside figures measured on them ('' in straight lines)."""
    labels = texts(lang)
    return "" if analysis.roads is None else f"{labels['roads_source_role']}: {labels['roads_attribution']}"


def _population_credits(analysis: Analysis, lang: str) -> str:
    """The registered sources of the people: the census and, for a projected year, INEI's projection."""
    return "; ".join(credit(f.source, lang, role=f.role) for f in analysis.population_files())


def _need(analysis: Analysis, code: str, lang: str) -> dict:
    """A service's most loaded hosts (people per centre) and the spread from the most to the
    least loaded; nothing for a metropolitan service, whose seat serves the whole area."""
    table = analysis.coverage.table
    rows = table[table["service"] == code]
    hosts = rows[rows["status"] == PRESENT].sort_values(["people_per_centre", "district"], ascending=[False, True], kind="stable")
    if analysis.scales[code].kind == METROPOLITAN:  # no load measured by its host district
        hosts = hosts.iloc[0:0]
    return {
        "loaded": [{"district": r.district, "count": _figure(r.count, lang), "people": _figure(r.target_population, lang),
                    "per_centre": _figure(r.people_per_centre, lang)} for r in hosts.head(NEED_ROWS).itertuples()],
        "spread": _spread(analysis, code, hosts, lang),
    }


def _spread(analysis: Analysis, code: str, hosts: pd.DataFrame, lang: str) -> str:
    """'De 298 673 niñas, niños y adolescentes por DEMUNA en San Juan de Lurigancho a 246 en Santa María del Mar.'"""
    labels = texts(lang)
    acronym = analysis.catalogue.services.at[code, "acronym"]
    noun = labels["noun_" + analysis.population_columns[code]]
    if hosts.empty:
        return ""
    high, low = hosts.iloc[0], hosts.iloc[-1]
    if len(hosts) == 1:
        return labels["need_spread_one"].format(district=high["district"], people=number(high["people_per_centre"], lang),
                                                noun=noun, acronym=acronym)
    return labels["need_spread"].format(
        high=number(high["people_per_centre"], lang), noun=noun, acronym=acronym, high_district=high["district"],
        low=number(low["people_per_centre"], lang), low_district=low["district"])


def _population_method(analysis: Analysis, lang: str) -> list[str]:
    """Where the population comes from, how 0-17 is estimated, which group each service is measured against."""
    if analysis.population is None:
        return []
    labels = texts(lang)
    source = population_source(analysis, lang)
    if analysis.population_source is not None:
        source = f"{source}; {_population_credits(analysis, lang)}"
    paragraphs = [labels["method_population"].format(source=source)]
    if analysis.population_projected:
        paragraphs.append(labels["method_projection"].format(year=analysis.population_year, census=CENSUS_YEAR))
    elif analysis.population_source is not None and analysis.population_source.name in CENSUS_2017:
        paragraphs.append(labels["method_census"])
    codes = list(analysis.coverage.summary.index)
    if any(analysis.population_columns[c] == "age_0_17" for c in codes):
        paragraphs.append(labels["method_children"])
    groups: dict[str, list[str]] = {}
    for code in codes:
        groups.setdefault(group_label(analysis, code, lang), []).append(analysis.catalogue.services.at[code, "acronym"])
    items = "; ".join(f"{', '.join(acronyms)}: {group.lower()}" for group, acronyms in groups.items())
    return [*paragraphs, labels["method_groups"].format(items=items), labels["method_per_centre"]]


# --- facilities --------------------------------------------------------------------------

def _facilities_method(analysis: Analysis, lang: str) -> list[str]:
    """Distances of the services of a facility list are to the nearest facility."""
    if analysis.facilities is None or analysis.facilities.points.empty:
        return []
    codes = sorted(set(analysis.facilities.points["service"]), key=list(analysis.catalogue.services.index).index)
    acronyms = [analysis.catalogue.services.at[c, "acronym"] for c in codes]
    key = "method_facilities" if analysis.unit == KM else "method_facilities_roads"
    return [texts(lang)[key].format(services=listing(acronyms, lang), file=_facilities_file(analysis))]


def _facilities_file(analysis: Analysis) -> str:
    return analysis.file("facilities").path.name


def _facilities_section(analysis: Analysis, lang: str) -> dict | None:
    """Which file, which columns, how many facilities per service, those left out, and
    those whose point falls in another district than their ubigeo. Counts only: no name
    of a confidential service."""
    facilities = analysis.facilities
    if facilities is None:
        return None
    labels, points = texts(lang), facilities.points
    columns = ", ".join(f"{labels['field_' + ours]} ← «{theirs}»" for ours, theirs in facilities.columns.items())
    services = analysis.catalogue.services
    by_service = points.assign(point=points["lat"].notna()).groupby("service")["point"].agg(["size", "sum"])
    by_service = by_service.reindex([c for c in services.index if c in by_service.index])
    confidential = [services.at[c, "acronym"] for c in by_service.index if services.at[c, "confidential"]]
    findings = analysis.checks[analysis.checks["check"].isin(["facility_evidence", "facility_district", "facility_outside", "facility_elsewhere",
                                                               "facility_half_point"])]
    return {
        "file": labels["facilities_file"].format(file=_facilities_file(analysis), columns=columns),
        "rows": [{"anchor": f"svc-{c}", "name": service_name(analysis.catalogue, c, lang), "count": number(r["size"], lang),
                  "with_point": number(r["sum"], lang), "by_ubigeo": number(r["size"] - r["sum"], lang)}
                 for c, r in by_service.iterrows()],
        "replace": labels["facilities_replace"].format(services=listing([services.at[c, "acronym"] for c in by_service.index], lang)),
        "left_out": labels[plural(facilities.left_out, "facilities_left_out_one", "facilities_left_out")].format(
            n=number(facilities.left_out, lang)) if facilities.left_out else "",
        "confidential": labels["facilities_confidential"].format(services=listing(confidential, lang)) if confidential else "",
        "placement_title": labels["placement"].format(n=len(findings)),
        "placement": [check_message(analysis, row, lang) for _, row in findings.iterrows()],
    }


def _not_place_based(analysis: Analysis) -> list[str]:
    services = analysis.catalogue.services
    return list(services.index[~services["place_based"]])


def _coverage_rows(analysis: Analysis, lang: str) -> list[dict]:
    """Each service's districts with and without it, and the share covered: the table after the summary."""
    labels, rows = texts(lang), []
    for code, row in analysis.coverage.summary.iterrows():
        known = row["districts"] - row["unknown"]  # gaps are what the scale calls one: not all absences
        declared = row["declared_total"]
        rows.append({
            "code": code, "name": service_name(analysis.catalogue, code, lang), "anchor": f"svc-{code}",
            "known": known > 0,
            "hosts": _figure(row["hosts"] if known else None, lang),
            "gaps": _figure(row["gaps"] if known else None, lang),
            "covered": _covered(row, known, analysis.scales[code].kind, lang),
            "declared": _figure(declared, lang),
        })
    return rows


def _covered(row: pd.Series, known: int, kind: str, lang: str) -> str:
    """The share of districts with the service; a metropolitan service (our reading of its scale) covers the whole area."""
    labels = texts(lang)
    if not known:
        return labels["no_district_data"]
    if kind == METROPOLITAN and row["hosts"]:
        return Figure(labels["covered_by_seat"], 1.0)
    return Figure(percent(100 * row["hosts"] / known, lang, 0), row["hosts"] / known)


def summary_sentences(analysis: Analysis, lang: str) -> list[str]:
    """The summary's sentences in the order a planner reads them (see _summary)."""
    summary = _summary(analysis, lang)
    return [*summary["gaps"], *summary["access"], *summary["plans"], *summary["notes"]]


def _summary(analysis: Analysis, lang: str) -> dict[str, list[str]]:
    """The first page: the gaps to act on (each municipal service's districts without it, by
    name, with the source's own caveat in the same sentence), then the access of each network
    service and of the metropolitan ones, then each plan's proposal (build --plan), then full coverage and the services without district
    data. Computed from the coverage, never written by hand."""
    labels, summary = texts(lang), analysis.coverage.summary
    kind = {code: analysis.scales[code].kind for code in summary.index}
    mapped, measured = set(analysis.coverage.mapped()), analysis.coverage.access_measured
    municipal = summary[(summary["gaps"] > 0) & summary.index.map(lambda c: kind[c] == MUNICIPAL)]
    gaps = [_municipal_sentence(analysis, code, lang)
            for code in municipal.sort_values("gaps", ascending=False, kind="stable").index]
    network = [c for c in summary.index if kind[c] == NETWORK and c in mapped]
    network.sort(key=lambda c: (-int(summary.at[c, "people_beyond"]) if c in measured else 0, -int(summary.at[c, "without_site"])))
    access = [_network_sentence(analysis, code, lang) if code in measured else _network_counts_sentence(analysis, code, lang)
              for code in network]
    metropolitan = [c for c in summary.index if kind[c] == METROPOLITAN and c in mapped]
    if metropolitan:
        access.append(_metropolitan_sentence(analysis, metropolitan, lang))
    notes = []
    total = int(summary["districts"].max())
    full = summary[(summary["hosts"] == summary["districts"])].index
    if len(full):
        names = [service_name(analysis.catalogue, c, lang) for c in full]
        verb = labels["verb_one" if len(names) == 1 else "verb_many"]
        notes.append(labels["sentence_full"].format(names=listing(names, lang), verb=verb, total=total))
    unknown = summary[summary["unknown"] == summary["districts"]].index
    if len(unknown):
        codes = [analysis.catalogue.services.at[c, "acronym"] for c in unknown]
        notes.append(labels["sentence_unknown"].format(n=len(codes), codes=", ".join(codes)))
    return {"gaps": gaps, "access": access, "plans": plan_sentences(analysis, lang), "notes": notes}


def _municipal_sentence(analysis: Analysis, code: str, lang: str) -> str:
    """'Chorrillos y San Borja no tienen CIAM en la tabla ... (allí viven ...); el CIAM más
    cercano: ..., aunque la misma fuente declara 43 CIAM y su tabla lista 41 ...'."""
    labels, row = texts(lang), analysis.coverage.summary.loc[code]
    acronym = analysis.catalogue.services.at[code, "acronym"]
    gaps = analysis.coverage.gaps(code)
    known = int(row["districts"] - row["unknown"])
    named = len(gaps) <= NAMED_GAPS
    if named:
        places = listing(list(gaps["district"]), lang)
    else:
        scope = f" {labels['with_data']}" if known < len(analysis.districts) else ""
        places = labels["municipal_places"].format(gaps=len(gaps), total=known, scope=scope)
    lived = ""
    if analysis.population is not None:
        lived = labels["municipal_people"].format(people=people(analysis, code, gaps["target_population"].sum(), lang))
    unit = analysis.unit
    column = f"nearest_{unit}"
    reached = gaps[gaps[column].notna()]
    nearest = ""
    if named and len(reached):
        items = [labels["nearest_item"].format(nearest=r.nearest_district, km=cost(getattr(r, column), unit, lang), district=r.district)
                 for r in reached.itertuples()]
        nearest = labels["municipal_nearest"].format(acronym=acronym, items=listing(items, lang))
    elif len(reached):
        nearest = labels["municipal_nearest_mean"].format(acronym=acronym, km=cost(reached[column].mean(), unit, lang))
    caveat = ""
    declared, listed = row.get("declared_total"), row.get("listed_total")
    if not _is_na(declared) and not _is_na(listed) and int(declared) != int(listed):
        origin = analysis.origin(code)
        key = "municipal_caveat" if origin.embedded else "municipal_caveat_file"
        caveat = labels[key].format(declared=number(declared, lang), listed=number(listed, lang), acronym=acronym,
                                    doc=labels["doc_000"], file=cite_origin(origin, lang))
    return labels["sentence_municipal"].format(
        places=places, verb=labels["have_one" if named and len(gaps) == 1 else "have_many"],
        name=service_name(analysis.catalogue, code, lang), people=lived, nearest=nearest, caveat=caveat)


def _network_sentence(analysis: Analysis, code: str, lang: str) -> str:
    """A network service's access: the districts with none within its catchment (or the
    least), and the target people living beyond it."""
    labels, row = texts(lang), analysis.coverage.summary.loc[code]
    table = analysis.coverage.table
    rows = table[(table["service"] == code) & table["access"].notna()]
    radius = _catchment(analysis, code, lang)
    by_people = ["target_population", "district"] if analysis.population is not None else ["district"]
    none = rows[rows["access"] <= 0]
    if len(none):
        first = none.sort_values(by_people, ascending=[False] + [True] * (len(by_people) - 1), kind="stable")
        least = labels[plural(len(none), "network_none_one", "network_none")].format(n=len(none), km=radius,
                                               names=listing(list(first["district"].head(NEED_ROWS)), lang))
    else:
        first = rows.sort_values(["access", "district"], kind="stable")
        least = labels["network_least"].format(names=listing(list(first["district"].head(NEED_ROWS)), lang))
    confidential = bool(analysis.catalogue.services.at[code, "confidential"])  # to the host district's point
    return labels["sentence_network_confidential" if confidential else "sentence_network"].format(
        name=service_name(analysis.catalogue, code, lang), without=_without_site(analysis, code, lang), least=least, km=radius,
        beyond=people(analysis, code, row["people_beyond"], lang),
        share=percent(100 * row["share_within"], lang, 1), source=cite_origin(analysis.origin(code), lang))


def _catchment(analysis: Analysis, code: str, lang: str) -> str:
    """A service's catchment in the run's unit: '10,0 km', '60 min'."""
    return cost(analysis.scales[code].catchment(analysis.unit), analysis.unit, lang)


def _without_site(analysis: Analysis, code: str, lang: str) -> str:
    """'40 de los 43 distritos no tienen sede' (of the districts with data)."""
    labels, row = texts(lang), analysis.coverage.summary.loc[code]
    without, known = int(row["without_site"]), int(row["districts"] - row["unknown"])
    if not without:
        return labels["network_without_none"]
    return labels[plural(without, "network_without_one", "network_without")].format(n=number(without, lang), total=number(known, lang))


def _network_counts_sentence(analysis: Analysis, code: str, lang: str) -> str:
    """A network service without access figures (no population): the districts without a
    site, and how far the nearest one is."""
    gaps, unit = analysis.coverage.gaps(code), analysis.unit
    column = f"nearest_{unit}"
    reached = gaps[gaps[column].notna()].sort_values([column, "district"], ascending=[False, True], kind="stable")
    distance = ""
    if len(reached):
        farthest = reached.iloc[0]
        distance = texts(lang)["network_distance"].format(
            mean=cost(reached[column].mean(), unit, lang), district=farthest["district"], far=cost(farthest[column], unit, lang))
    return texts(lang)["sentence_network_counts"].format(
        name=service_name(analysis.catalogue, code, lang), source=cite_origin(analysis.origin(code), lang),
        without=_without_site(analysis, code, lang), distance=distance)


def _metropolitan_sentence(analysis: Analysis, codes: list[str], lang: str) -> str:
    """One seat for the whole area: no district gaps, access only."""
    labels = texts(lang)
    acronyms = [analysis.catalogue.services.at[c, "acronym"] for c in codes]
    measured = [c for c in codes if c in analysis.coverage.access_measured]
    if not measured:
        return labels["sentence_metropolitan_counts"].format(codes=listing(acronyms, lang))
    items = [_metropolitan_item(analysis, c, lang) for c in measured]
    return labels["sentence_metropolitan"].format(codes=listing(acronyms, lang), items="; ".join(items))


def _metropolitan_item(analysis: Analysis, code: str, lang: str) -> str:
    """'CAI: 94,7 % ... a menos de 30,0 km de la sede (Lima); el distrito más lejano, Pucusana, a 55,0 km'."""
    summary, table, unit = analysis.coverage.summary, analysis.coverage.table, analysis.unit
    rows = table[table["service"] == code]
    farthest = rows.sort_values([f"nearest_{unit}", "district"], ascending=[False, True], kind="stable").iloc[0]
    seats = int(rows["count"].fillna(0).sum())  # two CAI in the directory are two seats, not one
    return texts(lang)[plural(seats, "metropolitan_item", "metropolitan_item_many")].format(
        acronym=analysis.catalogue.services.at[code, "acronym"], share=percent(100 * summary.at[code, "share_within"], lang, 1),
        km=_catchment(analysis, code, lang), seat=listing(list(rows.loc[rows["status"] == PRESENT, "district"]), lang),
        district=farthest["district"], far=cost(farthest[f"nearest_{unit}"], unit, lang), n=number(seats, lang))


def _usage_rows(usage: pd.DataFrame, code: str, lang: str, periods: list[str]) -> list[dict]:
    """One row per unit of a service's usage, one value per period ('—' where none)."""
    rows = usage[usage["service"] == code]
    table = []
    for unit, group in rows.groupby(f"unit_{lang}", sort=False):
        values = dict(zip(group["period"], group["value"]))
        table.append({"unit": unit, "values": [_figure(values.get(p), lang) for p in periods]})
    return table


def _indicator_cells(row: pd.Series, lang: str) -> dict:
    missing = texts(lang)["not_measured"]
    return {
        "r2021": missing if _is_na(row["result_2021"]) else _figure(row["result_2021"], lang, 1),
        "r2022": missing if _is_na(row["result_2022"]) else _figure(row["result_2022"], lang, 1),
        "change": missing if _is_na(row["change_pp"]) else Figure(change_pp(row["change_pp"], lang), row["change_pp"]),
    }


def _service_section(
    analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, indicators: pd.DataFrame, periods: list[str],
    *, map_link: bool = True,
) -> dict:
    """A mapped service: who it serves, where it is, then the districts a planner looks at
    first (those with the least access to a network or metropolitan service, or those
    without a municipal one), its most loaded hosts and its figures."""
    labels, catalogue = texts(lang), analysis.catalogue.services.loc[code]
    table = analysis.coverage.table
    hosts = table[(table["service"] == code) & (table["status"] == PRESENT)]
    declared = analysis.declared.loc[code] if code in analysis.declared.index else None
    related = indicators[indicators["related_service"] == code]
    name = service_name(analysis.catalogue, code, lang)
    access = _access_rows(analysis, code)
    return {
        "code": code, "anchor": f"svc-{code}", "name": name,
        "program": catalogue[f"program_name_{lang}"], "target": catalogue[f"target_{lang}"],
        "description": catalogue[f"description_{lang}"], "confidential": bool(catalogue["confidential"]),
        "image": f"{IMAGE_FOLDER}/{code}.png",
        "image_alt": labels["map_alt"].format(name=name, area=area_title(analysis.area, lang)),
        "map_link": f"{MAP}#{code}" if map_link else "",
        "hosts_title": labels["host_list"].format(n=len(hosts)),
        "hosts": [d if c == 1 else f"{d} ({c})" for d, c in zip(hosts["district"], hosts["count"])],
        # a user's file replaced the summary's listing: both sources, each named, not the summary's words alone
        "declared": side_by_side(analysis, code, lang) or (None if declared is None else declared[f"detail_{lang}"]),
        "access": _access_table(analysis, code, access, lang) if len(access) else None,
        "gaps": None if len(access) else _gap_table(analysis, code, lang),
        "people_header": group_label(analysis, code, lang) if analysis.population is not None else "",
        "need": _need(analysis, code, lang) if analysis.population is not None else None,
        "usage": _usage_rows(usage, code, lang, periods),
        "indicators": [{"code": r["code"], "indicator": r[f"indicator_{lang}"], **_indicator_cells(r, lang)}
                       for _, r in related.iterrows()],
        "source": cite_origin(analysis.origin(code), lang),
    }


def _access_rows(analysis: Analysis, code: str) -> pd.DataFrame:
    """A network or metropolitan service's districts with measured access, the least first
    (and among equals, those where most target people live); empty for a municipal service
    or without access figures."""
    table = analysis.coverage.table
    if analysis.scales[code].kind == MUNICIPAL or code not in analysis.coverage.access_measured:
        return table.iloc[0:0]
    rows = table[(table["service"] == code) & table["access"].notna()]
    if analysis.population is not None:
        return rows.sort_values(["access", "target_population", "district"], ascending=[True, False, True], kind="stable")
    return rows.sort_values(["access", "district"], kind="stable")


def _site_cost(row, unit: str) -> object:
    """Cost to the nearest site (a facility's point) where measured, else to the nearest host district."""
    site = getattr(row, f"nearest_site_{unit}", None)
    return getattr(row, f"nearest_{unit}") if _is_na(site) else site


def _access_table(analysis: Analysis, code: str, rows: pd.DataFrame, lang: str) -> dict:
    """The ACCESS_ROWS districts with the least access; one sentence instead of a column when
    every district's nearest site is in the same district (a metropolitan seat)."""
    labels, unit = texts(lang), analysis.unit
    catchment = analysis.scales[code].catchment(unit)
    shown = rows.head(ACCESS_ROWS)
    same = _same_nearest(rows[rows["status"] != PRESENT], unit, lang)
    return {
        "title": labels[plural(len(shown), "access_list_one", "access_list")].format(n=len(shown), total=number(len(rows), lang)),
        "rows": [{"district": r.district, "access": _access_figure(r.access, catchment, unit, lang), "nearest": r.nearest_district or "—",
                  "km": _cost_figure(_site_cost(r, unit), unit, lang),
                  "people": _figure(r.target_population, lang) if analysis.population is not None else ""}
                 for r in shown.itertuples()],
        "same_nearest": same,
        "more": len(rows) > len(shown),
    }


def _gap_table(analysis: Analysis, code: str, lang: str) -> dict:
    """The districts without the service, those where most target people live first (the
    farthest first without a population), at most GAP_ROWS of them."""
    labels, unit = texts(lang), analysis.unit
    gaps = analysis.coverage.gaps(code)
    if analysis.population is not None and gaps["target_population"].notna().any():
        gaps = gaps.sort_values(["target_population", "district"], ascending=[False, True], kind="stable")
    else:
        gaps = gaps.sort_values([f"nearest_{unit}", "district"], ascending=[False, True], kind="stable")
    shown = gaps.head(GAP_ROWS)
    return {
        "title": labels["gap_list"].format(n=len(gaps)),
        "rows": [{"district": r.district, "nearest": r.nearest_district or "—",
                  "km": _cost_figure(getattr(r, f"nearest_{unit}"), unit, lang),
                  # beside the minutes, how far in a straight line
                  **({"straight": _cost_figure(r.nearest_km, KM, lang)} if unit == MIN else {}),
                  "people": _figure(r.target_population, lang) if analysis.population is not None else ""}
                 for r in shown.itertuples()],
        "same_nearest": _same_nearest(gaps, unit, lang) if len(gaps) > 1 else "",
        "more": labels[plural(len(gaps) - len(shown), "gaps_more_one", "gaps_more")].format(
            shown=len(shown), n=number(len(gaps) - len(shown), lang), workbook=WORKBOOK) if len(gaps) > len(shown) else "",
    }


def _same_nearest(rows: pd.DataFrame, unit: str, lang: str) -> str:
    """'Para todos ellos, el más cercano con el servicio está en Lima (de 4,1 a 55,0 km).' when
    every row names the same nearest district (a column that would repeat it), else ''."""
    nearest = rows["nearest_district"].dropna().unique()
    if len(rows) < 2 or len(nearest) != 1 or rows["nearest_district"].isna().any():
        return ""
    return texts(lang)["same_nearest"].format(
        district=nearest[0], low=cost(rows[f"nearest_{unit}"].min(), unit, lang), high=cost(rows[f"nearest_{unit}"].max(), unit, lang))


def _unmapped_row(analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, periods: list[str]) -> dict:
    """A place-based service without district data: what the source states (the intro says what is missing)."""
    total = analysis.declared["declared_total"].get(code, pd.NA)
    return {
        "code": code, "anchor": f"svc-{code}", "name": service_name(analysis.catalogue, code, lang),
        "declared": "—" if _is_na(total) else number(total, lang),
        "detail": side_by_side(analysis, code, lang)
        or (analysis.declared.at[code, f"detail_{lang}"] if code in analysis.declared.index else ""),
        "usage": _usage_rows(usage, code, lang, periods),
        "source": cite_origin(analysis.origin(code), lang),
    }


def _other_row(analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, periods: list[str]) -> dict:
    """A service with no premises per district (a phone line, a register)."""
    return {
        "code": code, "anchor": f"svc-{code}", "name": service_name(analysis.catalogue, code, lang),
        "detail": analysis.declared.at[code, f"detail_{lang}"] if code in analysis.declared.index
        else analysis.catalogue.services.at[code, f"description_{lang}"],
        "usage": _usage_rows(usage, code, lang, periods),
        "source": cite_origin(analysis.origin(code), lang),
    }


def _indicator_rows(analysis: Analysis, indicators: pd.DataFrame, lang: str, with_anchor: set[str]) -> list[dict]:
    """The indicator table; the Lima service it measures links to its part of the report."""
    rows = []
    for _, row in indicators.iterrows():
        related = row["related_service"]
        rows.append({
            "code": row["code"], "service": row[f"service_{lang}"], "indicator": row[f"indicator_{lang}"],
            **_indicator_cells(row, lang),
            "related": service_name(analysis.catalogue, related, lang) if related else "",
            "related_anchor": f"svc-{related}" if related in with_anchor else "",
        })
    return rows


def _method(analysis: Analysis, lang: str) -> dict:
    labels, boundary = texts(lang), analysis.boundary
    spellings = analysis.checks[analysis.checks["check"] == "spelling"]
    renamed = [f"«{w}» → {analysis.districts.set_index('ubigeo').at[u, 'name']}" for w, u in boundary.renamed]
    return {
        "paragraphs": [labels["method_gap"], labels["method_unknown"],
                       *(_roads_method(analysis, lang) if analysis.roads is not None
                         else [labels["method_distance"].format(crs=metric_crs(analysis.districts))]),
                       *_facilities_method(analysis, lang), *_population_method(analysis, lang),
                       *method_paragraphs(analysis, lang),
                       *([] if analysis.lima_figures else [labels["not_lima"].format(area=area_title(analysis.area, lang))])],
        "matching": [
            labels["method_match"].format(
                features=boundary.features, file=Path(boundary.path).name,
                by=labels[f"matched_by_{boundary.matched_by}"], field=boundary.district_field,
                outside=boundary.outside_area),
            labels["method_renamed"].format(items="; ".join(renamed) or labels["none"]),
            labels["method_spellings"].format(items=" ".join(spellings[f"message_{lang}"]).rstrip(".") or labels["none"]),
            labels["method_repaired"].format(items=", ".join(boundary.repaired) or labels["none_f"]),
            labels["method_empty"].format(items=", ".join(boundary.empty) or labels["none"]),
        ],
    }


def _roads_method(analysis: Analysis, lang: str) -> list[str]:
    """How the minutes along the streets were measured: the extract and how it was travelled,
    where the people and the sites are on it, the catchments; no public transport."""
    labels, roads = texts(lang), analysis.roads
    profile = travelled(analysis.roads, lang)
    if analysis.inputs.speeds:  # the user's speeds, not the table's
        speeds = labels["method_roads_speeds"].format(profile=profile, file=Path(analysis.inputs.speeds).name)
    elif roads.profile == "walk":
        speeds = labels["method_roads_walk"].format(kmh=f"{number(WALK_KMH, lang, 1)}{CONVENTIONS[lang].unit_space}km/h")
    else:
        speeds = labels["method_roads_drive"]
    catchments: dict[float, list[str]] = {}
    for code in analysis.coverage.mapped():
        catchments.setdefault(analysis.scales[code].catchment(MIN), []).append(analysis.catalogue.services.at[code, "acronym"])
    items = "; ".join(f"{cost(value, MIN, lang)}: {', '.join(codes)}" for value, codes in sorted(catchments.items()))
    return [
        labels["method_roads"].format(profile=profile, file=roads.name, date=roads_date(roads, lang), sha=roads.sha256[:12],
                                      speeds=speeds, attribution=labels["roads_attribution"]),
        labels["method_roads_people"].format(cell=number(DEMAND_CELL_M, lang), weight=number(RESIDENTIAL_WEIGHT, lang)),
        labels["method_roads_sites"].format(limit=number(SNAP_LIMIT_M, lang)),
        labels["method_roads_catchment"].format(profile=profile, items=items or labels["none"],
                                                **{kind: cost(value, MIN, lang) for kind, value in DEFAULT_CATCHMENT_MIN.items()}),
    ]


def _matrix(analysis: Analysis, lang: str) -> dict:
    """The coverage matrix with display cells: a number, 0 marked as a gap where the service's
    scale calls it one (not where a metropolitan seat serves the district), '—' for no data."""
    matrix = analysis.coverage.matrix()
    codes = list(analysis.coverage.summary.index)
    gaps = set(zip(analysis.coverage.gaps()["ubigeo"], analysis.coverage.gaps()["service"]))
    rows = []
    for record in matrix.to_dict(orient="records"):
        cells = []
        for code in codes:
            value = record[code]
            if _is_na(value):
                cells.append({"text": "—", "status": UNKNOWN})
            else:
                status = GAP if (record["ubigeo"], code) in gaps else PRESENT if value > 0 else "served"
                cells.append({"text": _figure(value, lang), "status": status})
        rows.append({"ubigeo": record["ubigeo"], "district": record["district"], "cells": cells})
    acronyms = [analysis.catalogue.services.at[c, "acronym"] for c in codes]
    return {"columns": acronyms, "rows": rows}


def _access_annex(analysis: Analysis, lang: str) -> dict | None:
    """Every district's access to each network or metropolitan service (sites per 100 000
    target people) and its distance to the nearest site: the full lists the services'
    tables shorten; None when no service has access figures."""
    codes = [c for c in analysis.coverage.mapped() if len(_access_rows(analysis, c))]
    if not codes:
        return None
    table, unit = analysis.coverage.table, analysis.unit
    wide = {c: table[table["service"] == c].set_index("ubigeo") for c in codes}
    rows = []
    for ubigeo, district in zip(analysis.districts["ubigeo"], analysis.districts["name"]):
        cells = []
        for code in codes:
            row = wide[code].loc[ubigeo] if ubigeo in wide[code].index else None
            cells += [_access_figure(None if row is None else row["access"], analysis.scales[code].catchment(unit), unit, lang, short=True),
                      _cost_figure(None if row is None else _site_cost(row, unit), unit, lang)]
        rows.append({"district": district, "cells": cells})
    return {"columns": [analysis.catalogue.services.at[c, "acronym"] for c in codes], "rows": rows}


# --- rendering -------------------------------------------------------------------------

@cache  # compiling the two templates costs more than rendering them
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("coverage_map", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _md_cell
    env.filters["sort_value"] = _sort_value
    return env


def _md_cell(text: object) -> str:
    """Text safe inside a GFM table cell: no line breaks, pipes escaped."""
    return re.sub(r"\s*\n\s*", " ", str(text)).replace("|", "\\|")


def render_report(context: dict, fmt: str) -> str:
    """The report as HTML or Markdown text."""
    return _environment().get_template(f"report.{fmt}.j2").render(**context)


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_report(analysis: Analysis, folder: Path, *, lang: str = "es", beside: frozenset[str] | None = None) -> list[Path]:
    """Write report.html, report.md, img/CODE.png and coverage.xlsx into folder; beside: the
    files the report may link to (None: all, as a build writes them; coverage.xlsx is written here)."""
    folder = Path(folder)
    images = draw_maps(analysis, folder / IMAGE_FOLDER, lang=lang)
    charts = draw_gains_charts(analysis, folder / IMAGE_FOLDER, lang=lang)
    context = report_context(analysis, lang=lang, beside=None if beside is None else beside | {WORKBOOK})
    (folder / "report.md").write_text(render_report(context, "md"), encoding="utf-8")
    for section in context["mapped"]:
        section["image"] = data_uri(images[section["code"]])
    for section in context["plans"]:
        section["image"] = data_uri(charts[section["code"]])
    (folder / "report.html").write_text(render_report(context, "html"), encoding="utf-8")
    write_workbook(workbook_sheets(analysis, lang=lang), folder / "coverage.xlsx", created=analysis.latest_usage)
    log.debug("Wrote the report (%d maps)", len(images))
    return [folder / name for name in REPORT_FILES] + list(images.values()) + list(charts.values())


