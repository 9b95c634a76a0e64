"""The gap-analysis report: HTML and Markdown with static maps, and the tables as XLSX.

The Analysis is turned once into a plain report context (dicts and lists of values already
formatted for the language), which both templates render; the sentences of the summary
are computed from the coverage, never written by hand. The workbook gets the same tables
with raw values (numbers as numbers, NA as empty cells).
"""

from __future__ import annotations

import base64
import logging
import re
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pandas as pd

from . import __version__
from .boundaries import metric_crs
from .coverage import GAP, PRESENT, UNKNOWN
from .figures import draw_service_maps, prepare_frame
from .inventory import load_indicators, load_usage
from .maps import area_title
from .sources import registry, sha256_of
from .workbook import write_workbook

if TYPE_CHECKING:
    from .pipeline import Analysis

log = logging.getLogger(__name__)

REPORT_FILES = ("report.html", "report.md", "coverage.xlsx")
IMAGE_FOLDER = "img"
#: Data files the report reads beyond those the analysis lists as its inputs.
REPORT_DATA = ("usage.csv", "indicators.csv")
EMBEDDED_ORIGIN = "data/district_counts.csv"
NBSP = "\u00a0"

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Análisis de brechas de los servicios del MIMP en {area}",
        "data_date": "Fecha de los datos", "data_date_text": "cifras de uso del {periods}; inventario de servicios de {doc}",
        "and": "y", "nor": "ni", "or": "o", "year": "año {year}", "month_year": "{month} de {year}",
        "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "doc_000": "MIMP, Resumen ejecutivo en Lima Metropolitana (2023)",
        "doc_004": "MIMP, Avance de la implementación de la PNMNNA al 2030 (2023)",
        "sources": "Fuentes", "role": "Papel", "file": "Archivo", "version": "Versión", "license": "Licencia",
        "role_boundaries": "Límites distritales", "role_embedded": "Datos del MIMP (incluidos)",
        "role_inventory": "Inventario propio", "role_population": "Población", "role_report": "Datos del informe (incluidos)",
        "options": "Opciones usadas", "option": "Opción", "value": "Valor",
        "opt_area": "Área de estudio", "opt_boundaries": "Límites", "opt_field": "Campo de distrito",
        "opt_inventory": "Inventario", "opt_lang": "Idioma", "embedded": "el incluido (MIMP)",
        "matched_by_name": "por nombre", "matched_by_ubigeo": "por ubigeo",
        "summary": "Resumen ejecutivo", "service": "Servicio", "code": "Código", "hosts": "Distritos con el servicio",
        "gaps": "Distritos sin el servicio", "covered": "Distritos cubiertos", "declared": "Total declarado",
        "no_district_data": "sin datos por distrito",
        "sentence_one": "{gaps} de los {total} distritos{scope}{named} no tienen {name}; el más cercano está en promedio a {km} (el más lejano: {far}, a {far_km}).",
        "sentence_many": "{gaps} de los {total} distritos{scope} no tienen {names}; en promedio, el más cercano está a {kms}, respectivamente.",
        "sentence_full": "{names} {verb} en los {total} distritos.", "verb_one": "está", "verb_many": "están",
        "sentence_unknown": "De {n} servicios ({codes}) la fuente solo da totales para toda el área: su cobertura por distrito es desconocida y no se cuenta como brecha.",
        "mapped": "Servicios con datos por distrito", "program": "Programa", "target": "Población objetivo",
        "host_list": "Distritos con el servicio ({n})", "confidential": "Ubicación confidencial: solo se muestran conteos por distrito, nunca direcciones ni puntos.",
        "declared_detail": "Lo que declara la fuente", "map_alt": "Mapa de {name} por distrito en {area}",
        "gap_list": "Distritos sin el servicio ({n})", "district": "Distrito", "nearest": "Más cercano con el servicio",
        "km": "Distancia", "no_gaps": "Ningún distrito carece de este servicio.",
        "usage": "Cifras de uso", "unit": "Unidad", "no_usage": "La fuente no da cifras de uso.",
        "national": "Contexto nacional", "source": "Fuente", "section": "sección",
        "legend_present": "Con el servicio", "legend_gap": "Sin el servicio (brecha)", "legend_unknown": "Sin datos por distrito",
        "map_source": "Fuente: {doc}, {section}. {boundaries}",
        "unmapped": "Servicios sin datos por distrito", "unmapped_intro": "La fuente da el total de estos servicios en el área, pero no en qué distritos están; por eso no se dibujan ni se cuentan como brechas.",
        "needed": "Datos necesarios para mapearlo",
        "needed_text": "El distrito (ubigeo) de cada uno de los {total} {acronym}, como un CSV con las columnas ubigeo, service y count (opción --inventory).",
        "needed_text_nototal": "El distrito (ubigeo) de cada sede, como un CSV con las columnas ubigeo, service y count (opción --inventory).",
        "other": "Servicios que no tienen sede por distrito", "other_intro": "Servicios de alcance nacional o en verificación: forman parte del inventario, pero no de los mapas.",
        "what": "Qué es", "checks": "Verificación de las fuentes", "checks_intro": "Lo que las tablas de la fuente dicen de sí mismas y no cuadra, y los nombres escritos de otro modo.",
        "finding": "Hallazgo", "where": "Dónde", "no_checks": "Sin hallazgos.",
        "indicators": "Contexto nacional: indicadores de la PNMNNA al 2030",
        "indicators_intro": "Resultados nacionales (no por distrito) de los servicios de los objetivos prioritarios 3 y 4, en porcentaje. «No medido» es un «-» en la fuente: falta el dato, no es cero.",
        "indicator": "Indicador", "change": "Variación (p.p.)", "lima_service": "Servicio en Lima", "not_measured": "no medido",
        "method": "Metodología",
        "method_gap": "Brecha: la fuente lista el servicio distrito por distrito y no en este; es una ausencia conocida.",
        "method_unknown": "Sin datos por distrito: la fuente solo da un total para el área; la cobertura de cada distrito es desconocida, no cero, y nunca se cuenta como brecha.",
        "method_distance": "Distancia: kilómetros en línea recta entre los puntos representativos (un punto dentro de cada distrito) del distrito y del distrito más cercano con el servicio, en la zona UTM del área ({crs}); es 0 en un distrito que lo tiene. Es una guía de lejanía, no una distancia de viaje.",
        "method_match": "Los {features} elementos del archivo de límites {file} se unieron con el nomenclátor de distritos {by} (campo «{field}»); {outside} quedaron fuera del área de estudio.",
        "method_renamed": "Nombres de los límites leídos como otro distrito: {items}.", "method_spellings": "Nombres de la fuente escritos distinto del nombre oficial: {items}.",
        "method_repaired": "Geometrías inválidas reparadas: {items}.", "method_empty": "Distritos sin geometría (no se dibujan ni se miden distancias): {items}.",
        "none": "ninguno", "none_f": "ninguna", "with_data": "con datos",
        "annex": "Anexo: matriz de cobertura completa", "annex_intro": "Número de cada servicio por distrito; 0 es una brecha; «—» es sin datos por distrito.",
        "toc": "Contenido", "generated_by": "Generado por coverage-map {version}.",
        "sheet_summary": "Resumen", "sheet_matrix": "Matriz de cobertura", "sheet_gaps": "Brechas",
        "sheet_checks": "Verificación de fuentes", "sheet_usage": "Cifras de uso", "sheet_indicators": "Indicadores nacionales",
        "col_districts": "Distritos", "col_unknown": "Distritos sin datos", "col_listed": "Total listado",
        "col_nearest_ubigeo": "Ubigeo más cercano", "col_km": "Distancia (km)", "col_check": "Tipo",
        "col_expected": "Esperado", "col_found": "Encontrado", "col_period": "Periodo", "col_value": "Valor",
        "col_2021": "Resultado 2021 (%)", "col_2022": "Resultado 2022 (%)",
    },
    "en": {
        "title": "Gap analysis of MIMP services in {area}",
        "data_date": "Date of the data", "data_date_text": "usage figures for {periods}; service inventory from {doc}",
        "and": "and", "nor": "or", "or": "or", "year": "the year {year}", "month_year": "{month} {year}",
        "months": "January February March April May June July August September October November December",
        "doc_000": "MIMP, Executive summary for Lima Metropolitana (2023)",
        "doc_004": "MIMP, Progress of the PNMNNA 2030 national policy (2023)",
        "sources": "Sources", "role": "Role", "file": "File", "version": "Version", "license": "License",
        "role_boundaries": "District boundaries", "role_embedded": "MIMP data (embedded)",
        "role_inventory": "Own inventory", "role_population": "Population", "role_report": "Report data (embedded)",
        "options": "Options used", "option": "Option", "value": "Value",
        "opt_area": "Study area", "opt_boundaries": "Boundaries", "opt_field": "District field",
        "opt_inventory": "Inventory", "opt_lang": "Language", "embedded": "the embedded one (MIMP)",
        "matched_by_name": "by name", "matched_by_ubigeo": "by ubigeo",
        "summary": "Executive summary", "service": "Service", "code": "Code", "hosts": "Districts with the service",
        "gaps": "Districts without the service", "covered": "Districts covered", "declared": "Declared total",
        "no_district_data": "no district data",
        "sentence_one": "{gaps} of the {total} districts{scope}{named} have no {name}; the nearest is on average {km} away (the farthest: {far}, {far_km}).",
        "sentence_many": "{gaps} of the {total} districts{scope} have no {names}; on average the nearest is {kms} away, respectively.",
        "sentence_full": "{names} {verb} in all {total} districts.", "verb_one": "is", "verb_many": "are",
        "sentence_unknown": "For {n} services ({codes}) the source gives only totals for the whole area: their coverage by district is unknown and is not counted as a gap.",
        "mapped": "Services with district data", "program": "Programme", "target": "Target population",
        "host_list": "Districts with the service ({n})", "confidential": "Confidential location: only counts per district are shown, never addresses or points.",
        "declared_detail": "What the source states", "map_alt": "Map of {name} by district in {area}",
        "gap_list": "Districts without the service ({n})", "district": "District", "nearest": "Nearest with the service",
        "km": "Distance", "no_gaps": "No district lacks this service.",
        "usage": "Usage figures", "unit": "Unit", "no_usage": "The source gives no usage figures.",
        "national": "National context", "source": "Source", "section": "section",
        "legend_present": "Has the service", "legend_gap": "Lacks the service (gap)", "legend_unknown": "No district data",
        "map_source": "Source: {doc}, {section}. {boundaries}",
        "unmapped": "Services without district data", "unmapped_intro": "The source gives the total of these services in the area, but not the districts they are in; so they are not drawn and never counted as gaps.",
        "needed": "Data needed to map it",
        "needed_text": "The district (ubigeo) of each of the {total} {acronym}, as a CSV with the columns ubigeo, service and count (option --inventory).",
        "needed_text_nototal": "The district (ubigeo) of each site, as a CSV with the columns ubigeo, service and count (option --inventory).",
        "other": "Services without premises per district", "other_intro": "Nationwide services or services under verification: part of the inventory, not of the maps.",
        "what": "What it is", "checks": "Source checks", "checks_intro": "What the source's own tables say that does not add up, and names spelled differently.",
        "finding": "Finding", "where": "Where", "no_checks": "No findings.",
        "indicators": "National context: PNMNNA 2030 indicators",
        "indicators_intro": "National results (not per district) of the services of priority objectives 3 and 4, in percent. “Not measured” is a “-” in the source: the figure is missing, not zero.",
        "indicator": "Indicator", "change": "Change (p.p.)", "lima_service": "Service in Lima", "not_measured": "not measured",
        "method": "Methodology",
        "method_gap": "Gap: the source lists the service district by district, and not in this one; a known absence.",
        "method_unknown": "No district data: the source gives only a total for the area; each district's coverage is unknown, not zero, and never counted as a gap.",
        "method_distance": "Distance: straight-line kilometres between the representative points (a point inside each district) of the district and of the nearest district with the service, in the area's UTM zone ({crs}); 0 in a district that has it. A guide to remoteness, not a travel distance.",
        "method_match": "The {features} features of the boundary file {file} were joined with the district gazetteer {by} (field “{field}”); {outside} fell outside the study area.",
        "method_renamed": "Boundary names read as another district: {items}.", "method_spellings": "Source names spelled differently from the official name: {items}.",
        "method_repaired": "Invalid geometries repaired: {items}.", "method_empty": "Districts without geometry (not drawn, no distances): {items}.",
        "none": "none", "none_f": "none", "with_data": "with data",
        "annex": "Annex: full coverage matrix", "annex_intro": "Number of each service per district; 0 is a gap; “—” is no district data.",
        "toc": "Contents", "generated_by": "Generated by coverage-map {version}.",
        "sheet_summary": "Summary", "sheet_matrix": "Coverage matrix", "sheet_gaps": "Gaps",
        "sheet_checks": "Source checks", "sheet_usage": "Usage figures", "sheet_indicators": "National indicators",
        "col_districts": "Districts", "col_unknown": "Districts without data", "col_listed": "Listed total",
        "col_nearest_ubigeo": "Nearest ubigeo", "col_km": "Distance (km)", "col_check": "Type",
        "col_expected": "Expected", "col_found": "Found", "col_period": "Period", "col_value": "Value",
        "col_2021": "Result 2021 (%)", "col_2022": "Result 2022 (%)",
    },
}


# --- numbers and words ---------------------------------------------------------------

def number(value: float, lang: str, decimals: int = 0) -> str:
    """34 639 and 5,4 in Spanish (MIMP writes thousands with a space), 34,639 and 5.4 in English."""
    text = f"{value:,.{decimals}f}"
    if lang == "es":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def km(value: float, lang: str) -> str:
    return f"{number(value, lang, 1)}{NBSP}km"


def percent(value: float, lang: str, decimals: int = 1) -> str:
    sep = NBSP if lang == "es" else ""
    return f"{number(value, lang, decimals)}{sep}%"


def change_pp(value: float, lang: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{number(abs(value), lang, 1)}"


def listing(items: list[str], lang: str, word: str = "and") -> str:
    """A, B and C / A, B y C."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {LABELS[lang][word]} {items[-1]}"


def period_label(period: str, lang: str) -> str:
    """'2022' -> 'año 2022'; '2023-01' -> 'enero de 2023'."""
    labels = LABELS[lang]
    if re.fullmatch(r"\d{4}", period):
        return labels["year"].format(year=period)
    year, month = period.split("-")
    return labels["month_year"].format(month=labels["months"].split()[int(month) - 1], year=year)


def cite(source: str, lang: str) -> str:
    """A data row's source ("000 I. AURORA 1.5") as a reader's citation; paths as file names."""
    match = re.fullmatch(r"(000|004) (.+)", source)
    if match:
        return f"{LABELS[lang]['doc_' + match[1]]}, {match[2]}"
    return "; ".join(Path(part).name if "/" in part else part for part in source.split("; "))


def _is_na(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


# --- the report context ----------------------------------------------------------------

def report_context(analysis: Analysis, *, lang: str) -> dict:
    """Everything the report shows, formatted for lang, as plain dicts and lists.

    Each mapped service's image is its relative path (img/CODE.png), as Markdown links it.
    """
    labels = LABELS[lang]
    area = area_title(analysis.area, lang)
    usage, indicators = load_usage(), load_indicators()
    periods = sorted(usage["period"].unique())
    mapped, unmapped = _split_services(analysis)
    return {
        "lang": lang,
        "labels": labels,
        "title": labels["title"].format(area=area),
        "data_date": labels["data_date_text"].format(
            periods=listing([period_label(p, lang) for p in periods], lang), doc=labels["doc_000"]
        ),
        "sources": _sources(analysis, lang),
        "options": _options(analysis, lang),
        "summary": _summary_rows(analysis, lang),
        "sentences": summary_sentences(analysis, lang),
        "periods": [period_label(p, lang) for p in periods],
        "mapped": [_service_section(analysis, code, lang, usage, indicators, periods) for code in mapped],
        "unmapped": [_unmapped_row(analysis, code, lang, usage, periods) for code in unmapped],
        "other": [_other_row(analysis, code, lang, usage, periods) for code in _not_place_based(analysis)],
        "checks": [{"message": row[f"message_{lang}"], "where": cite(row["where"], lang)} for _, row in analysis.checks.iterrows()],
        "indicators": _indicator_rows(analysis, indicators, lang, {*mapped, *unmapped, *_not_place_based(analysis)}),
        "method": _method(analysis, lang),
        "matrix": _matrix(analysis, lang),
        "generated_by": labels["generated_by"].format(version=__version__),
    }


def _split_services(analysis: Analysis) -> tuple[list[str], list[str]]:
    """Place-based services with some district data, and those with none."""
    summary = analysis.coverage.summary
    has_data = (summary["hosts"] > 0) | (summary["gaps"] > 0)
    return list(summary.index[has_data]), list(summary.index[~has_data])


def _not_place_based(analysis: Analysis) -> list[str]:
    services = analysis.catalogue.services
    return list(services.index[~services["place_based"]])


def _sources(analysis: Analysis, lang: str) -> list[dict]:
    """Every file read, with its version (the pinned commit of a remote file) and short sha256."""
    labels = LABELS[lang]
    rows = []
    for entry in analysis.inputs:
        role = labels.get(f"role_{entry['role']}", entry["role"])
        row = {"role": role, "file": Path(entry["path"]).name, "sha": entry["sha256"][:12],
               "version": "", "license": "", "title": ""}
        if entry.get("source") in registry():
            source = registry()[entry["source"]]
            commit = re.search(r"/([0-9a-f]{40})/", source.url)
            row |= {"title": source.attribution, "license": source.license,
                    "version": f"@{commit[1][:7]}" if commit else source.name}
        elif entry["role"] == "embedded":
            row |= {"title": labels["doc_000"], "version": f"coverage-map {__version__}"}
        rows.append(row)
    data = files("coverage_map.data")
    for name in REPORT_DATA:
        path = Path(str(data.joinpath(name)))
        doc = labels["doc_004"] if name == "indicators.csv" else labels["doc_000"]
        rows.append({"role": labels["role_report"], "file": name, "sha": sha256_of(path)[:12],
                     "version": f"coverage-map {__version__}", "license": "", "title": doc})
    return rows


def _options(analysis: Analysis, lang: str) -> list[dict]:
    labels, boundary = LABELS[lang], analysis.boundary
    inventory = [Path(i["path"]).name for i in analysis.inputs if i["role"] == "inventory"]
    boundaries = analysis.boundary_source.name if analysis.boundary_source else Path(boundary.path).name
    options = [
        (labels["opt_area"], f"{analysis.area} ({area_title(analysis.area, lang)})"),
        (labels["opt_boundaries"], boundaries),
        (labels["opt_field"], f"{boundary.district_field} ({labels[f'matched_by_{boundary.matched_by}']})"),
        (labels["opt_inventory"], ", ".join(inventory) or labels["embedded"]),
    ]
    # Inputs added by other options (population, facilities...) as the role and what was read.
    for entry in analysis.inputs:
        if entry["role"] not in ("boundaries", "embedded", "inventory"):
            role = labels.get(f"role_{entry['role']}", entry["role"])
            options.append((role, entry.get("source") or Path(entry["path"]).name))
    options.append((labels["opt_lang"], lang))
    return [{"option": k, "value": v} for k, v in options]


def service_name(analysis: Analysis, code: str, lang: str) -> str:
    """The service's name with its acronym, unless the name already holds it (Servicio Mi60+)."""
    name, acronym = analysis.catalogue.label(code, lang), analysis.catalogue.services.at[code, "acronym"]
    return name if acronym in name else f"{name} ({acronym})"


def _summary_rows(analysis: Analysis, lang: str) -> list[dict]:
    labels, rows = LABELS[lang], []
    for code, row in analysis.coverage.summary.iterrows():
        known = row["hosts"] + row["gaps"]
        declared = row["declared_total"]
        rows.append({
            "code": code, "name": service_name(analysis, code, lang), "anchor": f"svc-{code}",
            "known": known > 0,
            "hosts": number(row["hosts"], lang) if known else "—",
            "gaps": number(row["gaps"], lang) if known else "—",
            "covered": percent(100 * row["hosts"] / known, lang, 0) if known else labels["no_district_data"],
            "declared": "—" if _is_na(declared) else number(declared, lang),
        })
    return rows


def summary_sentences(analysis: Analysis, lang: str, limit: int = 5) -> list[str]:
    """Three to five sentences on the largest gaps, computed from the coverage."""
    labels, summary = LABELS[lang], analysis.coverage.summary
    total = int(summary["districts"].max())
    sentences = []
    # Out of the districts with data: with --area lima-callao the source covers Lima only.
    with_gaps = summary[summary["gaps"] > 0].assign(known=summary["hosts"] + summary["gaps"])
    with_gaps = with_gaps.sort_values("gaps", ascending=False, kind="stable")
    for (gaps, known), group in list(with_gaps.groupby(["gaps", "known"], sort=False))[: limit - 2]:
        sentences.append(_gap_sentence(analysis, list(group.index), int(gaps), int(known), lang))
    full = summary[(summary["hosts"] == summary["districts"])].index
    if len(full):
        names = [service_name(analysis, c, lang) for c in full]
        verb = labels["verb_one" if len(names) == 1 else "verb_many"]
        sentences.append(labels["sentence_full"].format(names=listing(names, lang), verb=verb, total=total))
    unknown = summary[(summary["hosts"] + summary["gaps"]) == 0].index
    if len(unknown):
        codes = [analysis.catalogue.services.at[c, "acronym"] for c in unknown]
        sentences.append(labels["sentence_unknown"].format(n=len(codes), codes=", ".join(codes)))
    return sentences[:limit]


def _gap_sentence(analysis: Analysis, codes: list[str], gaps: int, total: int, lang: str) -> str:
    labels = LABELS[lang]
    tables = [analysis.coverage.gaps(code) for code in codes]
    scope = f" {labels['with_data']}" if total < len(analysis.districts) else ""
    if len(codes) == 1:
        table = tables[0]
        far = table.loc[table["nearest_km"].idxmax()]
        named = f" ({listing(list(table['district']), lang)})" if gaps <= 3 else ""
        return labels["sentence_one"].format(
            gaps=gaps, total=total, scope=scope, name=service_name(analysis, codes[0], lang), named=named,
            km=km(table["nearest_km"].mean(), lang), far=far["district"], far_km=km(far["nearest_km"], lang),
        )
    names = [service_name(analysis, code, lang) for code in codes]
    return labels["sentence_many"].format(
        gaps=gaps, total=total, scope=scope, names=listing(names, lang, "nor"),
        kms=listing([km(t["nearest_km"].mean(), lang) for t in tables], lang),
    )


def _usage_rows(usage: pd.DataFrame, code: str, lang: str, periods: list[str]) -> list[dict]:
    """One row per unit of a service's usage, one value per period ('—' where none)."""
    rows = usage[usage["service"] == code]
    table = []
    for unit, group in rows.groupby(f"unit_{lang}", sort=False):
        values = dict(zip(group["period"], group["value"]))
        table.append({"unit": unit, "values": [number(values[p], lang) if p in values else "—" for p in periods]})
    return table


def _indicator_cells(row: pd.Series, lang: str) -> dict:
    missing = LABELS[lang]["not_measured"]
    return {
        "r2021": missing if _is_na(row["result_2021"]) else number(row["result_2021"], lang, 1),
        "r2022": missing if _is_na(row["result_2022"]) else number(row["result_2022"], lang, 1),
        "change": missing if _is_na(row["change_pp"]) else change_pp(row["change_pp"], lang),
    }


def _service_section(
    analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, indicators: pd.DataFrame, periods: list[str]
) -> dict:
    """A mapped service: who it serves, where it is, the districts without it, its figures."""
    labels, catalogue = LABELS[lang], analysis.catalogue.services.loc[code]
    table = analysis.coverage.table
    rows = table[table["service"] == code]
    hosts = rows[rows["status"] == PRESENT]
    gaps = analysis.coverage.gaps(code)
    declared = analysis.declared.loc[code] if code in analysis.declared.index else None
    related = indicators[indicators["related_service"] == code]
    return {
        "code": code, "anchor": f"svc-{code}", "name": service_name(analysis, code, lang),
        "program": catalogue[f"program_name_{lang}"], "target": catalogue[f"target_{lang}"],
        "description": catalogue[f"description_{lang}"], "confidential": bool(catalogue["confidential"]),
        "image": f"{IMAGE_FOLDER}/{code}.png",
        "image_alt": labels["map_alt"].format(name=service_name(analysis, code, lang), area=area_title(analysis.area, lang)),
        "hosts_title": labels["host_list"].format(n=len(hosts)),
        "hosts": [d if c == 1 else f"{d} ({c})" for d, c in zip(hosts["district"], hosts["count"])],
        "declared": None if declared is None else declared[f"detail_{lang}"],
        "gaps_title": labels["gap_list"].format(n=len(gaps)),
        "gaps": [{"district": r.district, "nearest": r.nearest_district or "—",
                  "km": "—" if _is_na(r.nearest_km) else km(r.nearest_km, lang)} for r in gaps.itertuples()],
        "usage": _usage_rows(usage, code, lang, periods),
        "indicators": [{"code": r["code"], "indicator": r[f"indicator_{lang}"], **_indicator_cells(r, lang)}
                       for _, r in related.iterrows()],
        "source": _service_source(analysis, code, lang),
    }


def _service_source(analysis: Analysis, code: str, lang: str) -> str:
    """Where the district counts come from: the seed's section, or the user's file."""
    origin = analysis.inventory.origin.get(code, EMBEDDED_ORIGIN)
    if origin != EMBEDDED_ORIGIN:
        return Path(origin).name
    if code in analysis.declared.index:
        return cite(analysis.declared.at[code, "source"], lang)
    return LABELS[lang]["doc_000"]


def _unmapped_row(analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, periods: list[str]) -> dict:
    """A place-based service without district data: what the source states, what is missing."""
    labels = LABELS[lang]
    total = analysis.declared["declared_total"].get(code, pd.NA)
    acronym = analysis.catalogue.services.at[code, "acronym"]
    needed = labels["needed_text_nototal"] if _is_na(total) else labels["needed_text"].format(total=total, acronym=acronym)
    return {
        "code": code, "anchor": f"svc-{code}", "name": service_name(analysis, code, lang),
        "declared": "—" if _is_na(total) else number(total, lang),
        "detail": analysis.declared.at[code, f"detail_{lang}"] if code in analysis.declared.index else "",
        "usage": _usage_rows(usage, code, lang, periods), "needed": needed,
        "source": _service_source(analysis, code, lang),
    }


def _other_row(analysis: Analysis, code: str, lang: str, usage: pd.DataFrame, periods: list[str]) -> dict:
    """A service with no premises per district (a phone line, a register)."""
    return {
        "code": code, "anchor": f"svc-{code}", "name": service_name(analysis, code, lang),
        "detail": analysis.declared.at[code, f"detail_{lang}"] if code in analysis.declared.index else "",
        "usage": _usage_rows(usage, code, lang, periods),
        "source": _service_source(analysis, code, lang),
    }


def _indicator_rows(analysis: Analysis, indicators: pd.DataFrame, lang: str, with_anchor: set[str]) -> list[dict]:
    """The indicator table; the Lima service it measures links to its part of the report."""
    rows = []
    for _, row in indicators.iterrows():
        related = row["related_service"]
        rows.append({
            "code": row["code"], "service": row[f"service_{lang}"], "indicator": row[f"indicator_{lang}"],
            **_indicator_cells(row, lang),
            "related": service_name(analysis, related, lang) if related else "",
            "related_anchor": f"svc-{related}" if related in with_anchor else "",
        })
    return rows


def _method(analysis: Analysis, lang: str) -> dict:
    labels, boundary = LABELS[lang], analysis.boundary
    spellings = analysis.checks[analysis.checks["check"] == "spelling"]
    renamed = [f"«{w}» → {analysis.districts.set_index('ubigeo').at[u, 'name']}" for w, u in boundary.renamed]
    return {
        "paragraphs": [labels["method_gap"], labels["method_unknown"],
                       labels["method_distance"].format(crs=metric_crs(analysis.districts))],
        "matching": [
            labels["method_match"].format(
                features=boundary.features, file=Path(boundary.path).name,
                by=labels[f"matched_by_{boundary.matched_by}"], field=boundary.district_field,
                outside=boundary.outside_area),
            labels["method_renamed"].format(items="; ".join(renamed) or labels["none"]),
            labels["method_spellings"].format(items=" ".join(spellings[f"message_{lang}"]) or labels["none"]),
            labels["method_repaired"].format(items=", ".join(boundary.repaired) or labels["none_f"]),
            labels["method_empty"].format(items=", ".join(boundary.empty) or labels["none"]),
        ],
    }


def _matrix(analysis: Analysis, lang: str) -> dict:
    """The coverage matrix with display cells: a number, 0 marked as a gap, '—' for no data."""
    matrix = analysis.coverage.matrix()
    codes = list(analysis.coverage.summary.index)
    rows = []
    for record in matrix.to_dict(orient="records"):
        cells = []
        for code in codes:
            value = record[code]
            if _is_na(value):
                cells.append({"text": "—", "status": UNKNOWN})
            else:
                cells.append({"text": number(value, lang), "status": GAP if value == 0 else PRESENT})
        rows.append({"ubigeo": record["ubigeo"], "district": record["district"], "cells": cells})
    acronyms = [analysis.catalogue.services.at[c, "acronym"] for c in codes]
    return {"columns": acronyms, "rows": rows}


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
    return env


def _md_cell(text: object) -> str:
    """Text safe inside a GFM table cell: no line breaks, pipes escaped."""
    return re.sub(r"\s*\n\s*", " ", str(text)).replace("|", "\\|")


def render_report(context: dict, fmt: str) -> str:
    """The report as HTML or Markdown text."""
    return _environment().get_template(f"report.{fmt}.j2").render(**context)


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_report(analysis: Analysis, folder: Path, *, lang: str = "es") -> list[Path]:
    """Write report.html, report.md, img/CODE.png and coverage.xlsx into folder."""
    folder = Path(folder)
    images = draw_maps(analysis, folder / IMAGE_FOLDER, lang=lang)
    context = report_context(analysis, lang=lang)
    (folder / "report.md").write_text(render_report(context, "md"), encoding="utf-8")
    for section in context["mapped"]:
        section["image"] = data_uri(images[section["code"]])
    (folder / "report.html").write_text(render_report(context, "html"), encoding="utf-8")
    write_workbook(workbook_sheets(analysis, lang=lang), folder / "coverage.xlsx", created=data_time())
    log.info("Wrote the report (%d maps)", len(images))
    return [folder / name for name in REPORT_FILES] + list(images.values())


def draw_maps(analysis: Analysis, folder: Path, *, lang: str) -> dict[str, Path]:
    """One static map per service with district data."""
    labels = LABELS[lang]
    mapped, _ = _split_services(analysis)
    table = analysis.coverage.table
    statuses = {code: table[table["service"] == code].set_index("ubigeo")["status"] for code in mapped}
    boundaries = analysis.boundary_source.attribution if analysis.boundary_source else Path(analysis.boundary.path).name
    sources = {}
    for code in mapped:
        source = _service_source(analysis, code, lang)
        sources[code] = f"{labels['source']}: {source}. {boundaries}"
    return draw_service_maps(
        prepare_frame(analysis.districts),
        statuses,
        {code: service_name(analysis, code, lang) for code in mapped},
        {PRESENT: labels["legend_present"], GAP: labels["legend_gap"], UNKNOWN: labels["legend_unknown"]},
        sources,
        folder,
    )


def data_time() -> datetime:
    """The end of the latest usage period: the workbook's date, so its bytes do not change."""
    latest = max(load_usage()["period"])
    return datetime.strptime(latest if "-" in latest else f"{latest}-12", "%Y-%m")


# --- tables for the workbook -------------------------------------------------------------

def workbook_sheets(analysis: Analysis, *, lang: str) -> dict[str, pd.DataFrame]:
    """The report's tables with raw values and headers in lang, one per sheet."""
    labels, catalogue = LABELS[lang], analysis.catalogue
    name = lambda code: catalogue.label(code, lang)  # noqa: E731
    summary = analysis.coverage.summary
    summary_sheet = pd.DataFrame({
        labels["code"]: summary.index, labels["service"]: summary.index.map(name),
        labels["col_districts"]: summary["districts"], labels["hosts"]: summary["hosts"],
        labels["gaps"]: summary["gaps"], labels["col_unknown"]: summary["unknown"],
        labels["col_listed"]: summary["listed_total"], labels["declared"]: summary["declared_total"],
    })
    gaps = analysis.coverage.gaps()
    gaps_sheet = pd.DataFrame({
        labels["code"]: gaps["service"], labels["service"]: gaps["service"].map(name),
        "Ubigeo": gaps["ubigeo"], labels["district"]: gaps["district"],
        labels["col_nearest_ubigeo"]: gaps["nearest_ubigeo"], labels["nearest"]: gaps["nearest_district"],
        labels["col_km"]: gaps["nearest_km"],
    })
    checks = analysis.checks
    checks_sheet = pd.DataFrame({
        labels["col_check"]: checks["check"], labels["code"]: checks["service"],
        labels["finding"]: checks[f"message_{lang}"], labels["where"]: checks["where"].map(lambda w: cite(w, lang)),
        labels["col_expected"]: checks["expected"].map(_maybe_int), labels["col_found"]: checks["found"].map(_maybe_int),
    })
    usage = load_usage()
    usage_sheet = pd.DataFrame({
        labels["code"]: usage["service"], labels["service"]: usage["service"].map(name),
        labels["col_period"]: usage["period"], labels["col_value"]: usage["value"],
        labels["unit"]: usage[f"unit_{lang}"], labels["source"]: usage["source"].map(lambda s: cite(s, lang)),
    })
    indicators = load_indicators()
    indicators_sheet = pd.DataFrame({
        labels["code"]: indicators["code"], labels["service"]: indicators[f"service_{lang}"],
        labels["indicator"]: indicators[f"indicator_{lang}"], labels["col_2021"]: indicators["result_2021"],
        labels["col_2022"]: indicators["result_2022"], labels["change"]: indicators["change_pp"],
        labels["lima_service"]: indicators["related_service"].map(lambda c: name(c) if c else None),
        labels["source"]: indicators["source"].map(lambda s: cite(s, lang)),
    })
    matrix = analysis.coverage.matrix().rename(columns={"ubigeo": "Ubigeo", "district": labels["district"]})
    return {
        labels["sheet_summary"]: summary_sheet,
        labels["sheet_matrix"]: matrix,
        labels["sheet_gaps"]: gaps_sheet,
        labels["sheet_checks"]: checks_sheet,
        labels["sheet_usage"]: usage_sheet,
        labels["sheet_indicators"]: indicators_sheet,
    }


def _maybe_int(value: object) -> object:
    """Checks hold numbers and words in one column: numbers go to Excel as numbers."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
