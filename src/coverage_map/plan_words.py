"""A plan in words and files, in the run's language: its notes, title and state, the
terminal's table, and plan.csv with its sidecar plan-notes.txt.

plan.csv is a plain table (header first, one row per proposed site, plan after plan); what
a table cannot hold, each plan's title, state before and after and notes, goes to
plan-notes.txt beside it, line for line as the terminal prints it, and to the report
(proposals.py) and the manifest. Nothing is measured here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .accessibility import people_per_site
from .export import write_csv
from .costs import MIN
from .formatting import counted, listing, number, percent, plural
from .model import Plan
from .projection import CENSUS_YEAR
from .texts import texts

if TYPE_CHECKING:
    from .plan_request import Request
    from .roads import RoadNetwork
    from .sources import Source

#: Files a plan writes (plan command, build --plan): the table and the words beside it.
PLAN_TABLE, PLAN_NOTES = "plan.csv", "plan-notes.txt"

#: Decimals of plan.csv's measures; the Plan keeps them exact, and the words round them once.
PLAN_DECIMALS = {"newly_covered": 0, "covered_after": 0, "share_covered_after": 4, "weighted_km_after": 2,
                 "weighted_min_after": 1, "access_before": 4, "access_after": 4}

#: Texts that name the catchment, and their form for a plan district by district (0 km).
OWN_DISTRICT = {
    "plan_objective_coverage": "plan_objective_coverage_own",
    "plan_newly": "plan_newly_own",
    "plan_within": "plan_within_own",
    "plan_chart_covered": "plan_chart_covered_own",
}


#: Texts that name a cost, and their form along the streets (minutes, with --roads).
ON_STREETS = {
    "plan_objective_coverage": "plan_objective_coverage_min",
    "plan_objective_distance": "plan_objective_distance_min",
    "plan_newly": "plan_newly_min",
    "plan_within": "plan_within_min",
    "plan_km": "plan_km_min",
    "plan_before": "plan_before_min",
    "plan_after": "plan_after_min",
    "plan_best_single": "plan_best_single_min",
    "plan_tie_distance": "plan_tie_distance_min",
    "plan_no_gain_one": "plan_no_gain_one_min",
    "plan_no_gain": "plan_no_gain_min",
    "plan_access_note": "plan_access_note_min",
    "plan_limit_points": "plan_limit_points_min",
    "plan_chart_covered": "plan_chart_covered_min",
    "plan_method_paragraph": "plan_method_paragraph_min",
    "plan_summary_none_one": "plan_summary_none_one_min",
    "plan_summary_none": "plan_summary_none_min",
    "catchment": "plan_col_catchment_min",
}

#: How each profile's minutes are travelled, as the limits say it.
SPEEDS = {"walk": "plan_speeds_walk", "drive": "plan_speeds_drive"}

#: Equally good sets a plan's notes name; the others are counted.
NAMED_TIES = 3


def notes(plan: Plan, request: Request, best_single: dict | None, lang: str, *, ties: Sequence[Sequence[str]] = (),
          roads: RoadNetwork | None = None) -> list[str]:
    """What the plan's table needs read with it: the order, what was left out or forced, the
    best single site when the set does not start with it, the sets as good as it, access,
    and the limits (on roads, roads: the streets the minutes are measured along).

    best_single: district, ubigeo, newly (people it alone adds) and weighted (the plan's
    unit), or None; ties: the districts of each equally good set (location_models.equal_sets).
    """
    text = texts(lang)
    n = len(plan.proposals)
    lines = [text[plural(n, "plan_order_one", "plan_order")].format(n=n)]
    if request.left_out:
        lines.append(text["plan_left_out"].format(districts=listing(request.left_out, lang=lang, limit=8)))
    if best_single is not None:
        lines.append(plan_text(plan, "plan_best_single", lang).format(
            district=best_single["district"], ubigeo=best_single["ubigeo"], newly=people(best_single["newly"], lang),
            weighted=weighted_text(best_single["weighted"], plan.unit, lang), n=n))
    lines += tie_lines(plan, ties, lang)
    idle = plan.proposals.loc[plan.proposals["newly_covered"] == 0, "district"].tolist()
    if idle and plan.objective == "coverage":
        lines.append(plan_text(plan, plural(len(idle), "plan_no_gain_one", "plan_no_gain"), lang).format(
            districts=listing(idle, lang)))
    if request.scale == "municipal" and plan.catchment == 0:
        lines.append(text["plan_municipal"].format(group=plan.population_group))
    lines.append(plan_text(plan, "plan_access_note", lang).format(
        km=km_text(plan.access_catchment, lang), min=km_text(plan.access_catchment, lang), profile=profile_text(plan, lang)))
    if request.scale == "metropolitan" and request.force:
        lines.append(text["plan_forced"])
    if plan.confidential:
        lines.append(text["plan_confidential"])
    lines += [limit_line(plan, roads, lang),
              text["plan_limit_census"].format(group=plan.population_group, census=plan.census),
              text["plan_limit_capacity"]]
    return lines


def limit_line(plan: Plan, roads: RoadNetwork | None, lang: str) -> str:
    """What the plan's costs are: straight lines between the districts' points (in plan.crs),
    or minutes along the streets of roads, as travelled (no public transport), with the
    streets' attribution."""
    if plan.unit != MIN:
        return texts(lang)["plan_limit_points"].format(crs=plan.crs)
    text = texts(lang)
    return text["plan_limit_points_min"].format(profile=profile_text(plan, lang), file=roads.name if roads else "OpenStreetMap",
                                                speeds=text[SPEEDS[plan.profile]], attribution=text["roads_attribution"])


def plan_text(plan: Plan, key: str, lang: str) -> str:
    """The text of key in the plan's unit: its form along the streets (ON_STREETS) for minutes."""
    return texts(lang)[ON_STREETS.get(key, key) if plan.unit == MIN else key]


def profile_text(plan: Plan, lang: str) -> str:
    """How the plan's minutes are travelled ('a pie', 'en auto'); empty in straight lines."""
    return texts(lang)[f"profile_{plan.profile}"] if plan.profile else ""


def weighted_text(value: float, unit: str, lang: str) -> str:
    """A population-weighted cost as the words give it: km with two decimals ('7,19'), whole
    minutes ('35'; the streets' speeds are not finer than that)."""
    return number(value, lang, 0 if unit == MIN else 2)


def tie_lines(plan: Plan, ties: Sequence[Sequence[str]], lang: str) -> list[str]:
    """'Igual de bueno: proponer «San Juan de Miraflores y Comas» cubre exactamente tantas
    personas objetivo (2 829 517 ...) como lo propuesto; ...', and how many more sets tie."""
    if not ties:
        return []
    text = texts(lang)
    sets = text["plan_tie_or"].join(f"«{listing(list(districts), lang)}»" for districts in ties[:NAMED_TIES])
    if plan.objective == "coverage":
        covered = plan.proposals["covered_after"].iloc[-1] if len(plan.proposals) else plan.covered_before
        line = text["plan_tie_coverage"].format(sets=sets, covered=people(covered, lang), group=plan.population_group)
    else:
        weighted = plan.proposals[plan.weighted_column].iloc[-1] if len(plan.proposals) else plan.weighted_before
        value = weighted_text(weighted, plan.unit, lang)
        line = plan_text(plan, "plan_tie_distance", lang).format(sets=sets, km=value, min=value)
    more = len(ties) - NAMED_TIES
    return [line] + ([text[plural(more, "plan_tie_more_one", "plan_tie_more")].format(n=number(more, lang))] if more > 0 else [])


def census_words(source: Source | None, path: Path | None, lang: str, *, projected: int | None = None) -> str:
    """Where the target population comes from: INEI's projection for the year projected,
    'censo 2017 (INEI)', or 'archivo poblacion.csv'."""
    text = texts(lang)
    if projected is not None:
        return text["plan_projection"].format(year=projected, census=CENSUS_YEAR)
    if source is not None and "2017" in source.name:
        return text["plan_census"]
    return text["plan_file"].format(name=path.name if path else "?")


def people(n: int, lang: str) -> str:
    """A whole number as the language writes it (65 389, 65,389)."""
    return number(n, lang)


def km_text(value: float, lang: str) -> str:
    """A catchment, in km or minutes: '10', '7,5' (no decimals when whole)."""
    return number(value, lang, 1 if value % 1 else 0)


def reach_text(plan: Plan, key: str, lang: str) -> str:
    """A text naming the plan's catchment ('Nuevas personas a ≤ 10 km', 'a 60 min o menos de un
    sitio, a pie por las calles'), or its own-district form for a plan district by district
    (0 km): 'Nuevas personas con sede en su distrito'."""
    text = texts(lang)
    if plan.catchment == 0 and plan.unit != MIN and key in OWN_DISTRICT:
        return text[OWN_DISTRICT[key]]
    value = km_text(plan.catchment, lang)
    return plan_text(plan, key, lang).format(km=value, min=value, profile=profile_text(plan, lang))


def summary_lines(plan: Plan, lang: str) -> list[str]:
    """The plan's title, its state before and after, in the run's language."""
    text = texts(lang)
    objective = reach_text(plan, f"plan_objective_{plan.objective}", lang)
    share = lambda n: percent(100 * n / plan.target_population, lang) if plan.target_population else "-"  # noqa: E731
    lines = [
        text["plan_title"].format(name=plan.name, code=plan.service, objective=objective,
                                  sites=counted(len(plan.proposals), "plan_new_sites", lang)),
        plan_text(plan, "plan_before", lang).format(
            covered=people(plan.covered_before, lang), total=people(plan.target_population, lang),
            share=share(plan.covered_before), within=reach_text(plan, "plan_within", lang),
            weighted=weighted_text(plan.weighted_before, plan.unit, lang),
            sites=counted(plan.existing_sites, "plan_existing_sites", lang),
            candidates=counted(plan.candidates, "plan_candidates", lang)),
    ]
    if len(plan.proposals):
        last = plan.proposals.iloc[-1]
        lines.append(plan_text(plan, "plan_after", lang).format(covered=people(last["covered_after"], lang),
                                                                share=share(last["covered_after"]),
                                                                weighted=weighted_text(last[plan.weighted_column], plan.unit, lang)))
    return lines


def plan_lines(plan: Plan, lang: str) -> list[str]:
    """Everything a plan says besides its table: title, state before and after, notes."""
    return [*summary_lines(plan, lang), *plan.notes]


def terminal_table(plan: Plan, lang: str):
    """The curve of gains as a rich Table titled with the plan, and the lines to print under it
    (the state before and after, then the notes)."""
    from rich.table import Table

    title, *lines = plan_lines(plan, lang)
    table = Table(title=title, title_justify="left")
    for key, justify in (("plan_rank", "right"), ("plan_ubigeo", "left"), ("plan_district", "left"),
                         ("plan_newly", "right"), ("plan_covered", "right"), ("plan_km", "right"),
                         ("plan_access_short", "right")):
        table.add_column(reach_text(plan, key, lang), justify=justify)
    for row in plan.proposals.itertuples():
        table.add_row(str(row.rank), row.ubigeo, row.district, people(row.newly_covered, lang),
                      people(row.covered_after, lang), weighted_text(getattr(row, plan.weighted_column), plan.unit, lang),
                      f"{row.access_districts}: {access_change(row.access_before, row.access_after, lang)}")
    return table, lines


def access_change(before: float, after: float, lang: str) -> str:
    """'sin sede → 1 230 000' (target people per site within reach, accessibility.people_per_site);
    '—' when no district gains."""
    if pd.isna(before) or pd.isna(after):
        return "—"
    return " → ".join(texts(lang)["access_none"] if v <= 0 else number(people_per_site(v), lang) for v in (before, after))


def plan_table(plans: Sequence[Plan]) -> pd.DataFrame:
    """plan.csv's rows: every plan's proposals, plan after plan, with the file's decimals and
    whole people; name, lon and lat last (empty for a confidential service's rows)."""
    table = pd.concat([plan.proposals for plan in plans], ignore_index=True).round(PLAN_DECIMALS)
    table = table.astype({"newly_covered": int, "covered_after": int})  # whole people, as before
    # a confidential service's rows stay without a point even beside a public one's
    public = [c for c in ("name", "lon", "lat") if c in table]
    return table[[c for c in table if c not in public] + public]


def write_plan(plans: Plan | Sequence[Plan], folder: Path, *, lang: str) -> list[Path]:
    """plan.csv in folder, one row per proposed site, plan after plan, in order (a confidential
    service's without name and point); and plan-notes.txt, each plan's lines (plan_lines) in
    a block of its own."""
    plans = [plans] if isinstance(plans, Plan) else list(plans)
    paths = [Path(folder) / PLAN_TABLE, Path(folder) / PLAN_NOTES]
    write_csv(plan_table(plans), paths[0])
    paths[1].write_text("\n\n".join("\n".join(plan_lines(plan, lang)) for plan in plans) + "\n", encoding="utf-8")
    return paths
