"""An analysis in words: the names of its services and target groups, its people and findings.

The texts come from the catalogue (texts.py) and the numbers from formatting.py; these are
the few phrases that depend on an analysis's decisions (which population a service was
measured against, which services are confidential), shared by the report and the workbook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .formatting import number
from .inventory import Catalogue
from .population import TARGET_POPULATION
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis


def service_name(catalogue: Catalogue, code: str, lang: str) -> str:
    """The service's name with its acronym, unless the name already holds it (Servicio Mi60+)."""
    name, acronym = catalogue.label(code, lang), catalogue.services.at[code, "acronym"]
    return name if acronym in name else f"{name} ({acronym})"


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
