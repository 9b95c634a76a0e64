"""Numbers, distances, lists and citations as each language writes them.

One convention per language, used by the report, the workbook's labels and the map page
(which gets the same separators through `separators`): Spanish writes 65 389 (a no-break
space groups thousands, as MIMP does) and 5,4 km; English 65,389 and 5.4 km.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .texts import TEXTS, listing  # noqa: F401 (listing lives with the catalogue, below every reader; named here too)

if TYPE_CHECKING:
    from .inventory import Origin
    from .sources import Source

NBSP = "\u00a0"


@dataclass(frozen=True)
class Convention:
    """How a language writes a number: its thousands and decimal separators, and what goes
    between a number and its unit or percent sign."""

    thousands: str
    decimal: str
    unit_space: str
    percent_space: str


CONVENTIONS = {
    "es": Convention(thousands=NBSP, decimal=",", unit_space=NBSP, percent_space=NBSP),
    "en": Convention(thousands=",", decimal=".", unit_space=NBSP, percent_space=""),
}

#: Seed documents as the data rows name them ("000 I. AURORA 1.5"): the key of their title.
DOCUMENTS = {"000": "doc_000", "004": "doc_004"}


def number(value: float, lang: str, decimals: int = 0) -> str:
    """34 639 and 5,4 in Spanish, 34,639 and 5.4 in English."""
    convention = CONVENTIONS[lang]
    whole, _, fraction = f"{value:,.{decimals}f}".partition(".")
    text = whole.replace(",", convention.thousands)
    return f"{text}{convention.decimal}{fraction}" if fraction else text


def number_range(lower: float, upper: float, lang: str) -> str:
    """A class of whole numbers: '7', '10 001–20 000'."""
    if lower == upper:
        return number(lower, lang)
    return f"{number(lower, lang)}–{number(upper, lang)}"


def km(value: float, lang: str) -> str:
    """'5,4 km' / '5.4 km'."""
    return f"{number(value, lang, 1)}{CONVENTIONS[lang].unit_space}km"


def cost(value: float, unit: str, lang: str) -> str:
    """A cost in its unit: '5,4 km' / '5.4 km' in straight lines, '25 min' along streets
    (whole minutes: the network's speeds are not finer than that)."""
    if unit == "min":
        return f"{number(value, lang)}{CONVENTIONS[lang].unit_space}min"
    return km(value, lang)


def percent(value: float, lang: str, decimals: int = 1) -> str:
    """'93,9 %' / '93.9%'."""
    return f"{number(value, lang, decimals)}{CONVENTIONS[lang].percent_space}%"


def change_pp(value: float, lang: str) -> str:
    """A change in percentage points with its sign: '+1,5', '−0,3', '±0,0'."""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{number(abs(value), lang, 1)}"


def plural(n: int, one: str, many: str) -> str:
    """one for 1, many otherwise (the rule of both languages)."""
    return one if n == 1 else many


def counted(n: int, key: str, lang: str) -> str:
    """'1 sitio nuevo' / '3 sitios nuevos': the catalogue's key_one for 1, key (with {n}) otherwise."""
    return TEXTS[lang][plural(n, key + "_one", key)].format(n=number(n, lang))


def period(value: str, lang: str) -> str:
    """'2022' -> 'año 2022'; '2023-01' -> 'enero de 2023'."""
    text = TEXTS[lang]
    if re.fullmatch(r"\d{4}", value):
        return text["year"].format(year=value)
    year, month = value.split("-")
    return text["month_year"].format(month=text["months"].split()[int(month) - 1], year=year)


def cite(source: str, lang: str) -> str:
    """A data row's source ("000 I. AURORA 1.5") as a reader's citation: the document's title
    and its section; paths (a user's files) as file names."""
    return "; ".join(_cite_part(part, lang) for part in str(source).split("; "))


def _cite_part(part: str, lang: str) -> str:
    match = re.fullmatch(r"(\d{3}) (.+)", part)
    if match and match[1] in DOCUMENTS:
        text = TEXTS[lang]
        return f"{text[DOCUMENTS[match[1]]]}, {text['section']} {match[2]}"
    return Path(part).name if "/" in part else part


def section_of(where: str, lang: str) -> str:
    """Where a finding is, without the seed's internal document key: "000 Servicios que
    promueve 3" as "sección Servicios que promueve 3"; other places (files, rows) as given."""
    def part_of(part: str) -> str:
        match = re.fullmatch(r"(\d{3}) (.+)", part)
        return f"{TEXTS[lang]['section']} {match[2]}" if match and match[1] in DOCUMENTS else part
    return "; ".join(part_of(part) for part in str(where).split("; "))


def cite_origin(origin: Origin, lang: str) -> str:
    """Where a service's district counts come from: the embedded document and its section,
    or the name of the user's file."""
    if origin.embedded:
        return cite(origin.section, lang)
    if origin.document:
        return f"{TEXTS[lang]['doc_' + origin.document].format(year=origin.edition)} ({Path(origin.path).name})"
    return Path(origin.path).name


def short_origin(origin: Origin, lang: str) -> str:
    """A source named in a few words, to set two side by side: 'Resumen ejecutivo 2023',
    'Directorio Nacional 2026', or the user's file name."""
    if origin.embedded:
        return TEXTS[lang]["short_000"]
    if origin.document:
        return TEXTS[lang]["short_" + origin.document].format(year=origin.edition)
    return Path(origin.path).name


def area_title(area: str, lang: str) -> str:
    """The study area as a heading names it."""
    key = "area_" + area.replace("-", "_")  # area_lima, area_lima_callao, area_peru
    if key in TEXTS[lang]:
        return TEXTS[lang][key]
    return f"ubigeo {area}" if area.isdigit() else area.replace("-", " ").title()


def credit(source: Source, lang: str, *, role: str | None = None) -> str:
    """A registered source's attribution, without the registry's own (Spanish) label, or
    with the label of its role in lang: 'District boundaries: IGN (...)'."""
    # the registry words its attributions in Spanish: its "vía" in the run's language
    attribution = source.attribution.split(": ", 1)[-1].replace(" vía ", f" {TEXTS[lang]['via']} ")
    return attribution if role is None else f"{TEXTS[lang]['role_' + role]}: {attribution}"


def separators(lang: str) -> dict[str, str]:
    """The convention of lang for the map page's script, which formats its own numbers."""
    convention = CONVENTIONS[lang]
    return {"thousands": convention.thousands, "decimal": convention.decimal, "unit_space": convention.unit_space}
