"""An analysis in words: the names of its services and target groups, its people and findings.

The texts come from the catalogue (texts.py) and the numbers from formatting.py; these are
the few phrases that depend on an analysis's decisions (which population a service was
measured against, which services are confidential), shared by the report and the workbook.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .accessibility import people_per_site
from .costs import KM
from .formatting import cite, cite_origin, cost, listing, number, percent, short_origin
from .inventory import Catalogue, declared_parts
from .population import TARGET_POPULATION
from .projection import CENSUS_YEAR
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis
    from .roads import RoadNetwork


def service_name(catalogue: Catalogue, code: str, lang: str) -> str:
    """The service's name with its acronym, unless the name already holds it (Servicio Mi60+)."""
    name, acronym = catalogue.label(code, lang), catalogue.services.at[code, "acronym"]
    return name if acronym in name else f"{name} ({acronym})"


def access_text(access: float, catchment: float, lang: str, *, unit: bool = False, cost_unit: str = KM) -> str:
    """A district's access as people read it: its target people per site within reach
    ('4 000 000', with unit=True '4 000 000 personas objetivo por sede a su alcance'), 'Sin sede
    a menos de 10,0 km' (or '60 min' with cost_unit "min") where no site is within the
    catchment, '' where it was not measured."""
    if pd.isna(access):
        return ""
    if access <= 0:
        return texts(lang)["access_unreached"].format(km=cost(catchment, cost_unit, lang))
    figure = number(people_per_site(access), lang)
    return f"{figure} {texts(lang)['unit_access']}" if unit else figure


def group_label(analysis: Analysis, code: str, lang: str) -> str:
    """The target group as the tables name it."""
    text, group = texts(lang), analysis.catalogue.services.at[code, "target_group"]
    column = analysis.population_columns[code]
    if column == "total" and TARGET_POPULATION.get(group, "total") != "total":
        return text["group_fallback"].format(group=text[f"group_{TARGET_POPULATION[group]}"].lower())
    return text["group_disability" if group == "disability" else f"group_{column}"]


def people(analysis: Analysis, code: str, value: float, lang: str) -> str:
    """'65 389 personas de 60 años y más'."""
    return f"{number(value, lang)} {texts(lang)['noun_' + analysis.population_columns[code]]}"


def population_basis(analysis: Analysis, lang: str) -> str | None:
    """The year of the target people and how they were made: 'población proyectada 2025 (INEI),
    estructura por sexo y edad del censo 2017'; None for a user's file (its own figures)."""
    if analysis.population_year is None:
        return None
    key = "population_basis_projected" if analysis.population_projected else "population_basis_census"
    return texts(lang)[key].format(year=analysis.population_year, census=CENSUS_YEAR)


#: Districts named per service where it is missing and its target people grew most.
GROWTH_NAMED = 5


def growth_items(analysis: Analysis, scales: tuple[str, ...], lang: str) -> list[str]:
    """Per service of the scales with gaps, the districts without it whose target people grew
    most since the census: 'CIAM: Carabayllo (+12 345, +31 %), ...'; [] without a projected year."""
    text, items = texts(lang), []
    for code in analysis.coverage.summary.index:
        rows = analysis.coverage.gaps_by_growth(code).head(GROWTH_NAMED)
        if analysis.scales.get(code) is None or analysis.scales[code].kind not in scales or rows.empty:
            continue
        named = [text["growth_district"].format(district=r.district, people=_signed(number(abs(r.growth), lang), r.growth),
                                                share=_signed(percent(abs(100 * r.growth / r.census_population), lang, 0), r.growth))
                 for r in rows.itertuples()]
        items.append(text["growth_item"].format(acronym=analysis.catalogue.services.at[code, "acronym"],
                                                districts=listing(named, lang)))
    return items


def _signed(text: str, value: float) -> str:
    return f"{'−' if value < 0 else '+'}{text}"


def check_message(analysis: Analysis, row: pd.Series, lang: str) -> str:
    """A finding as the report and workbook show it: for a confidential service's facility,
    its districts only, never its name."""
    service = row.get("service")
    services = analysis.catalogue.services
    confidential = service in services.index and services.at[service, "confidential"]
    if row["check"] != "facility_district" or not confidential:
        return row[f"message_{lang}"]
    names = dict(zip(analysis.districts["ubigeo"], analysis.districts["name"]))
    by_ubigeo = analysis.facilities is not None and analysis.facilities.place_by == "ubigeo" and row["expected"] in names
    return texts(lang)["placement_confidential_by_ubigeo" if by_ubigeo else "placement_confidential"].format(
        acronym=services.at[service, "acronym"],
        found=names.get(row["found"], row["found"]), expected=names.get(row["expected"], row["expected"]))


def side_by_side(analysis: Analysis, code: str, lang: str) -> str:
    """Where a user's file replaced the summary's figures of a service in Lima Metropolitana,
    both: 'Resumen ejecutivo 2023: 3 (Carabayllo, Lima y San Juan de Lurigancho) ·
    Directorio Nacional 2026: 2 (Carabayllo y Lima)'; '' otherwise."""
    origin = analysis.origin(code)
    if origin.embedded or not analysis.lima_figures:
        return ""
    text, names = texts(lang), dict(zip(analysis.districts["ubigeo"], analysis.districts["name"]))
    earlier = analysis.replaced[analysis.replaced["service"] == code]
    first = text["short_000"]
    if len(earlier):
        left = text["side_by_side_item"].format(source=first, n=number(earlier["count"].sum(), lang),
                                                districts=listing(sorted(names[u] for u in earlier["ubigeo"]), lang, limit=5))
    elif code in analysis.declared.index and not pd.isna(analysis.declared.at[code, "declared_total"]):
        split = kinds_of_site(declared_parts(analysis.declared.at[code, "parts"]), lang)
        left = text["side_by_side_total"].format(source=first, n=number(analysis.declared.at[code, "declared_total"], lang),
                                                 parts=f"{split}; " if split else "")
    else:
        return ""
    table = analysis.coverage.table
    hosts = table[(table["service"] == code) & (table["count"].fillna(0) > 0)]
    right = text["side_by_side_item"].format(source=short_origin(origin, lang), n=number(hosts["count"].sum(), lang),
                                             districts=listing(sorted(hosts["district"]), lang, limit=5))
    split = kinds_of_site(listed_parts(analysis, code), lang)
    if split:
        right = f"{right[:-1]}; {split})"
    return f"{left} · {right}"


def finding_source(analysis: Analysis, row: pd.Series, lang: str) -> str:
    """Where a finding's figures are, as a reader's citation: the document and section, a
    facility list by its title when it is a known document (MIMP's directory), else the file."""
    text = cite(str(row["where"]), lang)
    for origin in dict.fromkeys(analysis.inventory.origin.values()):
        name = Path(origin.path).name
        if origin.document and name in text and cite_origin(origin, lang) not in text:
            text = text.replace(name, cite_origin(origin, lang))
    return text


#: A facility's kind of site by its name, for services whose source splits its total by kind
#: (CEM: "Cem Regular Lima", "Cem Comisaría Breña").
SITE_KINDS = {"regular": re.compile(r"\bregular\b", re.IGNORECASE), "police": re.compile(r"\bcomisar[ií]a\b", re.IGNORECASE)}


def listed_parts(analysis: Analysis, code: str) -> dict[str, int]:
    """A facility list's sites of a service in the area by kind, when every name tells its
    kind and the source declares a split for it; {} otherwise."""
    if analysis.facilities is None or code not in analysis.declared.index or not analysis.declared.at[code, "parts"]:
        return {}
    names = analysis.facilities.points.loc[analysis.facilities.points["service"] == code, "name"].astype(str)
    kinds = [next((kind for kind, pattern in SITE_KINDS.items() if pattern.search(n)), None) for n in names]
    if not kinds or None in kinds:
        return {}
    return {kind: kinds.count(kind) for kind in SITE_KINDS if kind in kinds}


def kinds_of_site(parts: dict[str, int], lang: str) -> str:
    """{'regular': 25, 'police': 40} as '25 regulares y 40 en comisaría' ('' for {})."""
    text = texts(lang)
    return listing([text[f"site_kind_{kind}"].format(n=number(n, lang)) for kind, n in parts.items()], lang)


def roads_date(roads: RoadNetwork, lang: str) -> str:
    """The day of the extract's header timestamp ("2025-06-01"), or words saying it has none."""
    return roads.timestamp[:10] if roads.timestamp else texts(lang)["roads_undated"]


def travelled(roads: RoadNetwork, lang: str) -> str:
    """How the streets were travelled, in words: 'a pie', 'en auto'."""
    return texts(lang)[f"profile_{roads.profile}"]


def minutes_note(roads: RoadNetwork, lang: str) -> str:
    """What the minutes of a run with --roads are, as the files say beside them: the profile,
    the extract and its date, no public transport, and OpenStreetMap's attribution (ODbL)."""
    labels = texts(lang)
    return labels["roads_minutes_note"].format(profile=travelled(roads, lang), file=roads.name,
                                               date=roads_date(roads, lang), attribution=labels["roads_attribution"])
