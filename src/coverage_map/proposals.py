"""The proposals of a run (build --plan SERVICE:N) in its outputs: the report's "Propuesta"
section, the map's layer of proposed sites, the workbook's "Propuesta" sheet and the
GeoPackage's proposal layers.

Both read the plans the analysis holds (Analysis.plans, made by plan.py; plan_words.py puts a plan into words) and only put them
into words and values for the page: nothing is measured here. A confidential service's
proposals are districts only: no point of one reaches the map's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .accessibility import people_per_site
from .costs import MIN
from .formatting import listing, number, percent, plural
from .plan_words import SPEEDS, access_change, people, plan_table, plan_text, reach_text, summary_lines, weighted_text
from .styles import PROPOSAL
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis, Plan

#: The GeoPackage's layers: every proposed district (polygons, every plan) and the public
#: services' proposed sites (points; a confidential service never has one).
PROPOSAL_LAYER, PROPOSAL_SITE_LAYER = "proposals", "proposal_sites"

#: The gains chart of a plan, in the report's image folder: img/plan-CODE.png.
CHART_NAME = "plan-{code}.png"


def report_sections(analysis: Analysis, lang: str) -> list[dict]:
    """One "Propuesta" section per plan, formatted for lang (the report puts it after its
    service's section): its heading and title, the state before and after, the sites in order with their gains (the curve of gains as a table), the chart's
    path and the notes (order, access, limits)."""
    sections = []
    for plan in analysis.plans:
        title, *state = summary_lines(plan, lang)
        sections.append({
            "code": plan.service, "anchor": f"plan-{plan.service}", "title": title, "state": state,
            "heading": texts(lang)["plan_heading"].format(name=plan.name),
            "rows": [_row(plan, row, lang) for row in plan.proposals.itertuples()],
            "image": f"img/{CHART_NAME.format(code=plan.service)}",
            "image_alt": texts(lang)["plan_chart_alt"].format(
                name=plan.name, covered=reach_text(plan, "plan_chart_covered", lang).lower(), n=len(plan.proposals)),
            "newly_header": reach_text(plan, "plan_newly", lang),
            "km_header": plan_text(plan, "plan_km", lang),
            "notes": list(plan.notes),
        })
    return sections


def summary_sentences(analysis: Analysis, lang: str) -> list[str]:
    """The report summary's sentence per plan: the service, how many sites, where, and the
    target people they bring within reach (or, when they add none, how much closer they
    bring the service)."""
    text = texts(lang)
    sentences = []
    for plan in analysis.plans:
        n = len(plan.proposals)
        if not n:
            continue
        last = plan.proposals.iloc[-1]
        newly = last["covered_after"] - plan.covered_before
        values = {"name": plan.name, "code": plan.service, "n": number(n, lang),
                  "districts": listing(plan.proposals["district"].tolist(), lang),
                  "within": reach_text(plan, "plan_within", lang)}
        if round(newly) > 0:
            share = percent(100 * last["covered_after"] / plan.target_population, lang, 1) if plan.target_population else "-"
            sentence = text[plural(n, "plan_summary_one", "plan_summary")].format(
                **values, newly=people(newly, lang), group=plan.population_group, after=people(last["covered_after"], lang),
                total=people(plan.target_population, lang), share=share)
        else:
            sentence = plan_text(plan, plural(n, "plan_summary_none_one", "plan_summary_none"), lang).format(
                **values, before=weighted_text(plan.weighted_before, plan.unit, lang),
                after=weighted_text(last[plan.weighted_column], plan.unit, lang))
        sentences.append(sentence)
    return sentences


def method_paragraphs(analysis: Analysis, lang: str) -> list[str]:
    """The methodology's words on the proposals, when the run has any."""
    if not analysis.plans:
        return []
    text, census = texts(lang), analysis.plans[0].census
    if analysis.unit != MIN:
        return [text["plan_method_paragraph"].format(census=census)]
    profile = analysis.roads.profile
    return [text["plan_method_paragraph_min"].format(census=census, profile=text[f"profile_{profile}"],
                                                     speeds=text[SPEEDS[profile]], attribution=text["roads_attribution"])]


def _row(plan: Plan, row, lang: str) -> dict:
    return {
        "rank": str(row.rank), "ubigeo": row.ubigeo, "district": row.district,
        "newly": f"+{people(row.newly_covered, lang)}" if round(row.newly_covered) > 0 else texts(lang)["plan_no_gain_cell"],
        "covered": people(row.covered_after, lang),
        "share": percent(100 * row.share_covered_after, lang, 1),
        "km": weighted_text(getattr(row, plan.weighted_column), plan.unit, lang),
        "access_districts": str(row.access_districts),
        "access": access_change(row.access_before, row.access_after, lang),
    }


def gain_line(plan: Plan, newly: int, lang: str) -> str:
    """A site's gain as its popup says it: 'Nuevas personas a ≤ 10 km: +65 389', or, when it
    adds nobody within the catchment, why it was chosen (never '+0')."""
    if round(newly) <= 0:
        return texts(lang)["plan_popup_no_gain"]
    return f"{reach_text(plan, 'plan_newly', lang)}: +{people(newly, lang)}"


def map_layer(analysis: Analysis, lang: str) -> dict | None:
    """The map's proposals (its data's "proposals" field), by service: each site's rank, its
    district (index in the page's districts), the lines of its popup, and its point, except
    for a confidential service, whose proposed districts are outlined instead. None without
    plans."""
    if not analysis.plans:
        return None
    text = texts(lang)
    position = {u: i for i, u in enumerate(analysis.districts["ubigeo"])}
    layers = {plan.service: {"confidential": plan.confidential,
                             "sites": [_site(plan, row, position, lang) for row in plan.proposals.itertuples()]}
              for plan in analysis.plans}
    return {
        "colour": PROPOSAL,
        "labels": {"site": text["plan_proposed_site"], "district": text["plan_proposed_district"],
                   "sites": text["plan_sites"]},
        "layers": layers,
    }


def _site(plan: Plan, row, position: dict[str, int], lang: str) -> dict:
    text = texts(lang)
    lines = [
        gain_line(plan, row.newly_covered, lang),
        f"{text['plan_covered']}: {people(row.covered_after, lang)} ({percent(100 * row.share_covered_after, lang, 1)})",
        f"{plan_text(plan, 'plan_km', lang)}: {weighted_text(getattr(row, plan.weighted_column), plan.unit, lang)}",
        text["plan_popup_access"].format(n=number(row.access_districts, lang),
                                         districts=text[plural(row.access_districts, "unit_district", "unit_districts")],
                                         change=access_change(row.access_before, row.access_after, lang)),
    ]
    site = {"rank": int(row.rank), "district": position.get(row.ubigeo), "lines": lines, "gain": lines[0],
            "title": text["plan_popup_title"].format(rank=row.rank, n=len(plan.proposals), district=row.district),
            "note": summary_lines(plan, lang)[0]}
    if plan.confidential:  # the district only: no point of a shelter, proposed or not
        site["note"] += ". " + text["plan_confidential"]
        return site
    name = "" if pd.isna(row.name) else str(row.name)
    if name:
        lines.insert(0, name)
    return site | {"lat": round(float(row.lat), 6), "lon": round(float(row.lon), 6)}


def workbook_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    """The workbook's "Propuesta" sheet: plan.csv's rows and columns with headers in lang,
    the service named, its catchment beside it and access read as target people per site
    within reach ("sin sede" where none is). None without plans."""
    if not analysis.plans:
        return None
    text, table = texts(lang), plan_table(analysis.plans)
    catchment = {plan.service: plan.catchment for plan in analysis.plans}
    first = analysis.plans[0]  # the run's unit, every plan's

    def access(values: pd.Series) -> list:
        return [None if pd.isna(v) else text["access_none"] if v <= 0 else people_per_site(v) for v in values]

    sheet = pd.DataFrame({
        text["code"]: table["service"], text["service"]: table["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        text["col_rank"]: table["rank"], text["ubigeo"]: table["ubigeo"], text["district"]: table["district"],
        plan_text(first, "catchment", lang): table["service"].map(catchment),
        text["col_plan_newly"]: table["newly_covered"], text["plan_covered"]: table["covered_after"],
        text["col_plan_share"]: (100 * table["share_covered_after"]).round(1),
        plan_text(first, "plan_km", lang): table[first.weighted_column],
        text["plan_access_districts"]: table["access_districts"],
        text["col_plan_access_before"]: access(table["access_before"]),
        text["col_plan_access_after"]: access(table["access_after"]),
    })
    if "name" in table:  # a public service's site: its name and point
        sheet[text["col_site_name"]] = table["name"]
        sheet[text["col_lat"]] = table["lat"]
        sheet[text["col_lon"]] = table["lon"]
    return sheet


def geopackage_layers(analysis: Analysis) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage's proposal layers, with plan.csv's fields typed: PROPOSAL_LAYER, each
    proposed site's district polygon (every plan; a confidential service's proposals are
    only this), and PROPOSAL_SITE_LAYER, the public services' sites as points, when there are any.
    Empty without plans."""
    if not analysis.plans:
        return {}
    table = plan_table(analysis.plans)
    table["rank"] = table["rank"].astype(int)
    table["access_districts"] = table["access_districts"].astype(int)
    shapes = analysis.districts.set_index("ubigeo").geometry
    layers = {PROPOSAL_LAYER: gpd.GeoDataFrame(table, geometry=list(shapes.reindex(table["ubigeo"])), crs=analysis.districts.crs)}
    public = table[table["lat"].notna()] if "lat" in table else table.iloc[:0]
    if len(public):
        layers[PROPOSAL_SITE_LAYER] = gpd.GeoDataFrame(public.reset_index(drop=True),
                                              geometry=gpd.points_from_xy(public["lon"], public["lat"]), crs="EPSG:4326")
    return layers
