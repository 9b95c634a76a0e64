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
import numpy as np
import pandas as pd

from . import __version__
from .boundaries import metric_crs
from .coverage import GAP, PRESENT, UNKNOWN
from .figures import draw_service_maps, prepare_frame
from .inventory import load_indicators, load_usage
from .maps import area_title
from .population import TARGET_POPULATION
from .sources import sha256_of
from .workbook import write_workbook

if TYPE_CHECKING:
    from .model import Analysis

log = logging.getLogger(__name__)

REPORT_FILES = ("report.html", "report.md", "coverage.xlsx")
IMAGE_FOLDER = "img"
#: Data files the report reads beyond those the analysis lists as its inputs.
REPORT_DATA = ("usage.csv", "indicators.csv")
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
        # population and need
        "population": "Población y necesidad",
        "population_intro": "Cada servicio se mide frente a su población objetivo, según {source}. «Sin el servicio» son las personas del grupo objetivo que viven en distritos donde la fuente no lo lista; la distancia media ponderada es la distancia al más cercano de cada distrito, ponderada por su población objetivo.",
        "population_file": "el archivo {file}",
        "target_group": "Grupo objetivo", "target_people": "Población objetivo", "unserved": "Viven en distritos sin el servicio",
        "served_share": "Viven donde está", "weighted_km": "Distancia media ponderada",
        "need": "Distritos según necesidad", "need_gaps": "Sin el servicio, por población objetivo", "need_more": "y {n} distritos más con {people} en total",
        "need_loaded": "Con el servicio, los más cargados", "centres": "Centros", "per_centre": "Por centro",
        "need_spread": "De {high} {noun} por {acronym} en {high_district} a {low} en {low_district}.",
        "need_spread_one": "Un solo distrito lo tiene: {district}, con {people} {noun} por {acronym}.",
        "need_all_covered": "Todos los distritos lo tienen.",
        "sentence_people": " En esos distritos viven {people}.", "sentence_people_many": " En esos distritos viven {people}, respectivamente.",
        "group_women": "Mujeres", "group_men": "Hombres", "group_age_60_plus": "Personas de 60 años y más",
        "group_age_0_17": "Niñas, niños y adolescentes de 0 a 17 años (estimado)", "group_total": "Toda la población",
        "group_disability": "Toda la población (el censo no cuenta a las personas con discapacidad)",
        "group_fallback": "Toda la población (el archivo de población no da «{group}»)",
        "noun_women": "mujeres", "noun_men": "hombres", "noun_age_60_plus": "personas de 60 años y más",
        "noun_age_0_17": "niñas, niños y adolescentes", "noun_total": "habitantes",
        "method_population": "Población: {source}.",
        "method_census": "Son personas censadas en 2017 (no proyecciones a años posteriores), sin corrección por omisión censal.",
        "method_children": "El censo da la edad en grupos de cinco años: la población de 0 a 17 años se estima como la de 0 a 14 más 3/5 de la de 15 a 19.",
        "method_groups": "Grupo objetivo de cada servicio: {items}.",
        "method_per_centre": "Personas por centro: la población objetivo del distrito dividida entre los centros del distrito; no tiene en cuenta a quienes acuden desde otros distritos.",
        # facilities
        "facilities": "Establecimientos con coordenadas", "facilities_file": "Archivo: {file}. Columnas usadas: {columns}.",
        "field_service": "servicio", "field_name": "nombre", "field_ubigeo": "ubigeo", "field_lat": "latitud",
        "field_lon": "longitud", "field_address": "dirección", "field_phone": "teléfono",
        "in_area": "En el área", "with_point": "Ubicados por sus coordenadas", "by_ubigeo": "Por su ubigeo",
        "facilities_left_out": "{n} establecimientos del archivo están fuera del área de estudio y no se cuentan.",
        "facilities_replace": "Sus conteos reemplazan los del inventario para {services}.",
        "facilities_confidential": "{services}: ubicación confidencial; solo se cuentan por distrito (sin nombre, dirección, teléfono ni coordenadas).",
        "placement": "Ubicación distinta de su ubigeo ({n})", "no_placement": "Todos los establecimientos con coordenadas caen en el distrito de su ubigeo.",
        "placement_confidential": "Un establecimiento de {acronym} se cuenta en {found}, no en el distrito de su ubigeo ({expected}).",
        "method_facilities": "Distancia para {services}: kilómetros en línea recta desde el punto representativo de cada distrito hasta el establecimiento más cercano del archivo {file} (su punto, o el del distrito si no tiene coordenadas o es confidencial).",
        # other areas
        "data_date_area": "servicios según {files}",
        "not_lima": "Las cifras de uso y los totales declarados del MIMP son de Lima Metropolitana, no de {area}: no se muestran en este informe.",
        "no_inventory": "ninguno (el incluido cubre solo Lima Metropolitana)", "related_service": "Servicio relacionado",
        "role_facilities": "Establecimientos (archivo propio)", "sheet_need": "Necesidad por distrito", "col_status": "Estado",
        "status_present": "con el servicio", "status_gap": "sin el servicio", "status_unknown": "sin datos",
        "col_served_share": "Viven donde está (%)", "col_weighted_km": "Distancia media ponderada (km)",
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
        # population and need
        "population": "Population and need",
        "population_intro": "Each service is measured against its target population, from {source}. “Unserved” are the people of the target group living in districts where the source does not list it; the weighted mean distance is each district's distance to the nearest one, weighted by its target population.",
        "population_file": "the file {file}",
        "target_group": "Target group", "target_people": "Target population", "unserved": "Living in districts without it",
        "served_share": "Living where it is", "weighted_km": "Weighted mean distance",
        "need": "Districts by need", "need_gaps": "Without the service, by target population", "need_more": "and {n} more districts with {people} in all",
        "need_loaded": "With the service, the most loaded", "centres": "Centres", "per_centre": "Per centre",
        "need_spread": "From {high} {noun} per {acronym} in {high_district} to {low} in {low_district}.",
        "need_spread_one": "A single district has it: {district}, with {people} {noun} per {acronym}.",
        "need_all_covered": "Every district has it.",
        "sentence_people": " {people} live in those districts.", "sentence_people_many": " {people} live in those districts, respectively.",
        "group_women": "Women", "group_men": "Men", "group_age_60_plus": "People aged 60 and over",
        "group_age_0_17": "Children and adolescents aged 0-17 (estimated)", "group_total": "Whole population",
        "group_disability": "Whole population (the census does not count people with disabilities)",
        "group_fallback": "Whole population (the population file gives no “{group}”)",
        "noun_women": "women", "noun_men": "men", "noun_age_60_plus": "people aged 60 and over",
        "noun_age_0_17": "children and adolescents", "noun_total": "residents",
        "method_population": "Population: {source}.",
        "method_census": "These are people counted in 2017 (not projections to later years), with no correction for census omission.",
        "method_children": "The census gives age in five-year groups: the population aged 0-17 is estimated as those aged 0-14 plus 3/5 of those aged 15-19.",
        "method_groups": "Target group of each service: {items}.",
        "method_per_centre": "People per centre: the district's target population divided by the district's centres; people coming from other districts are not taken into account.",
        # facilities
        "facilities": "Facilities with coordinates", "facilities_file": "File: {file}. Columns used: {columns}.",
        "field_service": "service", "field_name": "name", "field_ubigeo": "ubigeo", "field_lat": "latitude",
        "field_lon": "longitude", "field_address": "address", "field_phone": "phone",
        "in_area": "In the area", "with_point": "Placed by their coordinates", "by_ubigeo": "By their ubigeo",
        "facilities_left_out": "{n} facilities of the file are outside the study area and are not counted.",
        "facilities_replace": "Their counts replace the inventory's for {services}.",
        "facilities_confidential": "{services}: confidential location; counted per district only (no name, address, phone or coordinates).",
        "placement": "Placed in another district than their ubigeo ({n})", "no_placement": "Every facility with coordinates falls in the district of its ubigeo.",
        "placement_confidential": "A {acronym} facility counts in {found}, not in the district of its ubigeo ({expected}).",
        "method_facilities": "Distance for {services}: straight-line kilometres from the representative point of each district to the nearest facility of the file {file} (its point, or its district's where it has no coordinates or is confidential).",
        # other areas
        "data_date_area": "services from {files}",
        "not_lima": "MIMP's usage figures and declared totals are for Lima Metropolitana, not for {area}: this report does not show them.",
        "no_inventory": "none (the embedded one covers Lima Metropolitana only)", "related_service": "Related service",
        "role_facilities": "Facilities (own file)", "sheet_need": "Need by district", "col_status": "Status",
        "status_present": "has the service", "status_gap": "lacks the service", "status_unknown": "no data",
        "col_served_share": "Living where it is (%)", "col_weighted_km": "Weighted mean distance (km)",
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
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


# --- the report context ----------------------------------------------------------------

def report_context(analysis: Analysis, *, lang: str) -> dict:
    """Everything the report shows, formatted for lang, as plain dicts and lists.

    Each mapped service's image is its relative path (img/CODE.png), as Markdown links it.
    Outside Lima Metropolitana MIMP's usage figures and declared totals (Lima's) are left out.
    """
    labels = LABELS[lang]
    area = area_title(analysis.area, lang)
    lima = in_lima(analysis)
    usage, indicators = area_usage(analysis), load_indicators()
    periods = sorted(usage["period"].unique())
    mapped, unmapped = _split_services(analysis)
    return {
        "lang": lang,
        "labels": labels,
        "title": labels["title"].format(area=area),
        "data_date": _data_date(analysis, periods, lang),
        "lima": lima,
        "not_lima": "" if lima else labels["not_lima"].format(area=area),
        "sources": _sources(analysis, lang),
        "options": _options(analysis, lang),
        "summary": _summary_rows(analysis, lang),
        "sentences": summary_sentences(analysis, lang),
        "population": _population_section(analysis, mapped, lang),
        "facilities": _facilities_section(analysis, lang),
        "periods": [period_label(p, lang) for p in periods],
        "mapped": [_service_section(analysis, code, lang, usage, indicators, periods) for code in mapped],
        "unmapped": [_unmapped_row(analysis, code, lang, usage, periods) for code in unmapped],
        "other": [_other_row(analysis, code, lang, usage, periods) for code in _not_place_based(analysis)],
        "checks": [{"message": check_message(analysis, row, lang), "where": cite(row["where"], lang)}
                   for _, row in analysis.checks.iterrows()],
        "indicators": _indicator_rows(analysis, indicators, lang, {*mapped, *unmapped, *_not_place_based(analysis)}),
        "related_header": labels["lima_service" if lima else "related_service"],
        "method": _method(analysis, lang),
        "matrix": _matrix(analysis, lang),
        "generated_by": labels["generated_by"].format(version=__version__),
    }


def in_lima(analysis: Analysis) -> bool:
    """Whether MIMP's figures for Lima Metropolitana apply (decided by the pipeline)."""
    return analysis.lima_figures


def area_usage(analysis: Analysis) -> pd.DataFrame:
    """MIMP's usage figures, which are Lima Metropolitana's: none for another area."""
    usage = load_usage()
    return usage if in_lima(analysis) else usage.iloc[0:0]


def _data_date(analysis: Analysis, periods: list[str], lang: str) -> str:
    labels = LABELS[lang]
    if in_lima(analysis):
        return labels["data_date_text"].format(
            periods=listing([period_label(p, lang) for p in periods], lang), doc=labels["doc_000"])
    files = [f.path.name for f in analysis.files if f.role in ("inventory", "facilities")]
    return labels["data_date_area"].format(files=listing(files, lang))


def check_message(analysis: Analysis, row: pd.Series, lang: str) -> str:
    """A finding as the report shows it: for a confidential service's facility, its
    districts only, never its name."""
    service = row.get("service")
    confidential = service in analysis.catalogue.services.index and analysis.catalogue.services.at[service, "confidential"]
    if row["check"] != "facility_district" or not confidential:
        return row[f"message_{lang}"]
    names = dict(zip(analysis.districts["ubigeo"], analysis.districts["name"]))
    return LABELS[lang]["placement_confidential"].format(
        acronym=analysis.catalogue.services.at[service, "acronym"],
        found=names.get(row["found"], row["found"]), expected=names.get(row["expected"], row["expected"]))


# --- population and need ------------------------------------------------------------------

#: Rows of the "districts by need" tables: the gap districts with the most people, the most loaded hosts.
NEED_ROWS = 5


def population_column(analysis: Analysis, code: str) -> str:
    """The population a service is measured against (decided by the pipeline)."""
    return analysis.population_columns[code]


def group_label(analysis: Analysis, code: str, lang: str) -> str:
    """The target group as the tables name it."""
    labels, group = LABELS[lang], analysis.catalogue.services.at[code, "target_group"]
    column = population_column(analysis, code)
    if column == "total" and TARGET_POPULATION.get(group, "total") != "total":
        return labels["group_fallback"].format(group=labels[f"group_{TARGET_POPULATION[group]}"].lower())
    return labels["group_disability" if group == "disability" else f"group_{column}"]


def people(analysis: Analysis, code: str, value: float, lang: str) -> str:
    """'65 389 personas de 60 años y más'."""
    return f"{number(value, lang)} {LABELS[lang]['noun_' + population_column(analysis, code)]}"


def population_source(analysis: Analysis, lang: str) -> str:
    """The census (its title) or the user's file."""
    source = analysis.population_source
    if source is not None:
        return source.title
    return LABELS[lang]["population_file"].format(file=analysis.file("population").path.name)


def _population_section(analysis: Analysis, mapped: list[str], lang: str) -> dict | None:
    """Per service with district data: its target population, the people without it and
    how far they are; then the districts ranked by need."""
    if analysis.population is None or not mapped:
        return None
    labels, summary = LABELS[lang], analysis.coverage.summary
    rows = []
    for code in mapped:
        row = summary.loc[code]
        rows.append({
            "anchor": f"svc-{code}", "name": service_name(analysis, code, lang), "group": group_label(analysis, code, lang),
            "people": number(row["target_population"], lang), "unserved": number(row["unserved_population"], lang),
            "share": percent(100 * row["served_share"], lang, 1), "km": "—" if _is_na(row["weighted_km"]) else km(row["weighted_km"], lang),
        })
    return {
        "intro": labels["population_intro"].format(source=population_source(analysis, lang)),
        "attribution": analysis.population_source.attribution if analysis.population_source else "",
        "rows": rows,
        "need": [_need(analysis, code, lang) for code in mapped],
    }


def _need(analysis: Analysis, code: str, lang: str) -> dict:
    """A service's gap districts by the people living there, and its most loaded hosts."""
    labels, table = LABELS[lang], analysis.coverage.table
    rows = table[table["service"] == code]
    gaps = rows[rows["status"] == GAP].sort_values(["target_population", "district"], ascending=[False, True], kind="stable")
    hosts = rows[rows["status"] == PRESENT].sort_values(["people_per_centre", "district"], ascending=[False, True], kind="stable")
    rest = gaps.iloc[NEED_ROWS:]
    return {
        "anchor": f"svc-{code}", "name": service_name(analysis, code, lang),
        "gaps": [{"district": r.district, "people": number(r.target_population, lang), "nearest": r.nearest_district or "—",
                  "km": "—" if _is_na(r.nearest_km) else km(r.nearest_km, lang)} for r in gaps.head(NEED_ROWS).itertuples()],
        "gaps_more": labels["need_more"].format(n=len(rest), people=people(analysis, code, rest["target_population"].sum(), lang)) if len(rest) else "",
        "loaded": [{"district": r.district, "count": number(r.count, lang), "people": number(r.target_population, lang),
                    "per_centre": number(r.people_per_centre, lang)} for r in hosts.head(NEED_ROWS).itertuples()],
        "spread": _spread(analysis, code, hosts, lang),
        "all_covered": labels["need_all_covered"] if gaps.empty else "",
    }


def _spread(analysis: Analysis, code: str, hosts: pd.DataFrame, lang: str) -> str:
    """'De 298 673 niñas, niños y adolescentes por DEMUNA en San Juan de Lurigancho a 246 en Santa María del Mar.'"""
    labels = LABELS[lang]
    acronym = analysis.catalogue.services.at[code, "acronym"]
    noun = labels["noun_" + population_column(analysis, code)]
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
    labels = LABELS[lang]
    source = population_source(analysis, lang)
    if analysis.population_source is not None:
        source = f"{source}; {analysis.population_source.attribution}"
    paragraphs = [labels["method_population"].format(source=source)]
    if analysis.population_source is not None and analysis.population_source.name in ("censo_2017_edades", "censo_2017_lima_callao"):
        paragraphs.append(labels["method_census"])
    codes = list(analysis.coverage.summary.index)
    if any(population_column(analysis, c) == "age_0_17" for c in codes):
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
    return [LABELS[lang]["method_facilities"].format(services=listing(acronyms, lang), file=_facilities_file(analysis))]


def _facilities_file(analysis: Analysis) -> str:
    return analysis.file("facilities").path.name


def _facilities_section(analysis: Analysis, lang: str) -> dict | None:
    """Which file, which columns, how many facilities per service, those left out, and
    those whose point falls in another district than their ubigeo. Counts only: no name
    of a confidential service."""
    facilities = analysis.facilities
    if facilities is None:
        return None
    labels, points = LABELS[lang], facilities.points
    columns = ", ".join(f"{labels['field_' + ours]} ← «{theirs}»" for ours, theirs in facilities.columns.items())
    services = analysis.catalogue.services
    by_service = points.assign(point=points["lat"].notna()).groupby("service")["point"].agg(["size", "sum"])
    by_service = by_service.reindex([c for c in services.index if c in by_service.index])
    confidential = [services.at[c, "acronym"] for c in by_service.index if services.at[c, "confidential"]]
    findings = analysis.checks[analysis.checks["check"] == "facility_district"]
    return {
        "file": labels["facilities_file"].format(file=_facilities_file(analysis), columns=columns),
        "rows": [{"anchor": f"svc-{c}", "name": service_name(analysis, c, lang), "count": number(r["size"], lang),
                  "with_point": number(r["sum"], lang), "by_ubigeo": number(r["size"] - r["sum"], lang)}
                 for c, r in by_service.iterrows()],
        "replace": labels["facilities_replace"].format(services=listing([services.at[c, "acronym"] for c in by_service.index], lang)),
        "left_out": labels["facilities_left_out"].format(n=number(facilities.left_out, lang)) if facilities.left_out else "",
        "confidential": labels["facilities_confidential"].format(services=listing(confidential, lang)) if confidential else "",
        "placement_title": labels["placement"].format(n=len(findings)),
        "placement": [check_message(analysis, row, lang) for _, row in findings.iterrows()],
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
    for entry in analysis.files:
        role = labels.get(f"role_{entry.role}", entry.role)
        row = {"role": role, "file": entry.path.name, "sha": entry.sha256[:12],
               "version": "", "license": "", "title": ""}
        if entry.source is not None:
            source = entry.source
            commit = re.search(r"/([0-9a-f]{40})/", source.url)
            row |= {"title": source.attribution, "license": source.license,
                    "version": f"@{commit[1][:7]}" if commit else source.name}
        elif entry.role == "embedded":
            row |= {"title": labels["doc_000"], "version": f"coverage-map {__version__}"}
        rows.append(row)
    data = files("coverage_map.data")
    for name in REPORT_DATA if in_lima(analysis) else [n for n in REPORT_DATA if n != "usage.csv"]:
        path = Path(str(data.joinpath(name)))
        doc = labels["doc_004"] if name == "indicators.csv" else labels["doc_000"]
        rows.append({"role": labels["role_report"], "file": name, "sha": sha256_of(path)[:12],
                     "version": f"coverage-map {__version__}", "license": "", "title": doc})
    return rows


def _options(analysis: Analysis, lang: str) -> list[dict]:
    labels, boundary = LABELS[lang], analysis.boundary
    inventory = [f.path.name for f in analysis.files if f.role == "inventory"]
    boundaries = analysis.boundary_source.name if analysis.boundary_source else Path(boundary.path).name
    options = [
        (labels["opt_area"], f"{analysis.area} ({area_title(analysis.area, lang)})"),
        (labels["opt_boundaries"], boundaries),
        (labels["opt_field"], f"{boundary.district_field} ({labels[f'matched_by_{boundary.matched_by}']})"),
        (labels["opt_inventory"], ", ".join(inventory) or labels["embedded" if in_lima(analysis) else "no_inventory"]),
    ]
    # Inputs added by other options (population, facilities...) as the role and what was read.
    for entry in analysis.files:
        if entry.role not in ("boundaries", "embedded", "inventory"):
            role = labels.get(f"role_{entry.role}", entry.role)
            options.append((role, entry.source.name if entry.source else entry.path.name))
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
        ) + _people_clause(analysis, codes, lang)
    names = [service_name(analysis, code, lang) for code in codes]
    return labels["sentence_many"].format(
        gaps=gaps, total=total, scope=scope, names=listing(names, lang, "nor"),
        kms=listing([km(t["nearest_km"].mean(), lang) for t in tables], lang),
    ) + _people_clause(analysis, codes, lang)


def _people_clause(analysis: Analysis, codes: list[str], lang: str) -> str:
    """' En esos distritos viven 65 389 personas de 60 años y más.' ('' without population)."""
    if analysis.population is None:
        return ""
    unserved = analysis.coverage.summary["unserved_population"]
    items = listing([people(analysis, code, unserved[code], lang) for code in codes], lang)
    return LABELS[lang]["sentence_people" if len(codes) == 1 else "sentence_people_many"].format(people=items)


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
    if analysis.population is not None:  # the districts where most people lack it first
        gaps = gaps.sort_values(["target_population", "district"], ascending=[False, True], kind="stable")
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
                  "km": "—" if _is_na(r.nearest_km) else km(r.nearest_km, lang),
                  "people": number(r.target_population, lang) if "target_population" in gaps else ""}
                 for r in gaps.itertuples()],
        "people_header": group_label(analysis, code, lang) if analysis.population is not None else "",
        "usage": _usage_rows(usage, code, lang, periods),
        "indicators": [{"code": r["code"], "indicator": r[f"indicator_{lang}"], **_indicator_cells(r, lang)}
                       for _, r in related.iterrows()],
        "source": _service_source(analysis, code, lang),
    }


def _service_source(analysis: Analysis, code: str, lang: str) -> str:
    """Where the district counts come from: the seed's section, or the user's file."""
    origin = analysis.origin(code)
    if not origin.embedded:
        return Path(origin.path).name
    return cite(origin.section, lang)


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
        "detail": analysis.declared.at[code, f"detail_{lang}"] if code in analysis.declared.index
        else analysis.catalogue.services.at[code, f"description_{lang}"],
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
                       labels["method_distance"].format(crs=metric_crs(analysis.districts)),
                       *_facilities_method(analysis, lang), *_population_method(analysis, lang),
                       *([] if in_lima(analysis) else [labels["not_lima"].format(area=area_title(analysis.area, lang))])],
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
    """The report's tables with raw values and headers in lang, one per sheet. Outside Lima
    Metropolitana there is no usage sheet (its figures are Lima's)."""
    labels = LABELS[lang]
    matrix = analysis.coverage.matrix().rename(columns={"ubigeo": "Ubigeo", "district": labels["district"]})
    sheets = {
        labels["sheet_summary"]: _summary_sheet(analysis, lang),
        labels["sheet_matrix"]: matrix,
        labels["sheet_gaps"]: _gaps_sheet(analysis, lang),
        labels["sheet_need"]: _need_sheet(analysis, lang),
        labels["sheet_checks"]: _checks_sheet(analysis, lang),
        labels["sheet_usage"]: _usage_sheet(analysis, lang),
        labels["sheet_indicators"]: _indicators_sheet(analysis, lang),
    }
    return {name: sheet for name, sheet in sheets.items() if sheet is not None}


def _summary_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, summary = LABELS[lang], analysis.coverage.summary
    sheet = pd.DataFrame({
        labels["code"]: summary.index, labels["service"]: summary.index.map(lambda c: analysis.catalogue.label(c, lang)),
        labels["col_districts"]: summary["districts"], labels["hosts"]: summary["hosts"],
        labels["gaps"]: summary["gaps"], labels["col_unknown"]: summary["unknown"],
        labels["col_listed"]: summary["listed_total"],
    })
    if in_lima(analysis):
        sheet[labels["declared"]] = summary["declared_total"]
    if analysis.population is not None:
        sheet[labels["target_group"]] = [group_label(analysis, c, lang) for c in summary.index]
        sheet[labels["target_people"]] = summary["target_population"]
        sheet[labels["unserved"]] = summary["unserved_population"]
        sheet[labels["col_served_share"]] = (100 * summary["served_share"]).round(1)
        sheet[labels["col_weighted_km"]] = summary["weighted_km"]
    return sheet


def _gaps_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, gaps = LABELS[lang], analysis.coverage.gaps()
    sheet = pd.DataFrame({
        labels["code"]: gaps["service"], labels["service"]: gaps["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        "Ubigeo": gaps["ubigeo"], labels["district"]: gaps["district"],
        labels["col_nearest_ubigeo"]: gaps["nearest_ubigeo"], labels["nearest"]: gaps["nearest_district"],
        labels["col_km"]: gaps["nearest_km"],
    })
    if analysis.population is not None:
        sheet[labels["target_people"]] = gaps["target_population"]
    return sheet


def _need_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    """Every district of every service with district data: its target population and the people per centre."""
    if analysis.population is None:
        return None
    labels, table = LABELS[lang], analysis.coverage.table
    rows = table[table["status"] != UNKNOWN]
    return pd.DataFrame({
        labels["code"]: rows["service"], labels["service"]: rows["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        "Ubigeo": rows["ubigeo"], labels["district"]: rows["district"],
        labels["col_status"]: rows["status"].map(lambda s: labels[f"status_{s}"]), labels["centres"]: rows["count"],
        labels["target_people"]: rows["target_population"], labels["per_centre"]: rows["people_per_centre"],
        labels["nearest"]: rows["nearest_district"], labels["col_km"]: rows["nearest_km"],
    })


def _checks_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, checks = LABELS[lang], analysis.checks
    return pd.DataFrame({
        labels["col_check"]: checks["check"], labels["code"]: checks["service"],
        labels["finding"]: [check_message(analysis, row, lang) for _, row in checks.iterrows()],
        labels["where"]: checks["where"].map(lambda w: cite(w, lang)),
        labels["col_expected"]: checks["expected"].map(_maybe_int), labels["col_found"]: checks["found"].map(_maybe_int),
    })


def _usage_sheet(analysis: Analysis, lang: str) -> pd.DataFrame | None:
    if not in_lima(analysis):
        return None
    labels, usage = LABELS[lang], load_usage()
    return pd.DataFrame({
        labels["code"]: usage["service"], labels["service"]: usage["service"].map(lambda c: analysis.catalogue.label(c, lang)),
        labels["col_period"]: usage["period"], labels["col_value"]: usage["value"],
        labels["unit"]: usage[f"unit_{lang}"], labels["source"]: usage["source"].map(lambda s: cite(s, lang)),
    })


def _indicators_sheet(analysis: Analysis, lang: str) -> pd.DataFrame:
    labels, indicators = LABELS[lang], load_indicators()
    return pd.DataFrame({
        labels["code"]: indicators["code"], labels["service"]: indicators[f"service_{lang}"],
        labels["indicator"]: indicators[f"indicator_{lang}"], labels["col_2021"]: indicators["result_2021"],
        labels["col_2022"]: indicators["result_2022"], labels["change"]: indicators["change_pp"],
        labels["lima_service" if in_lima(analysis) else "related_service"]:
            indicators["related_service"].map(lambda c: analysis.catalogue.label(c, lang) if c else None),
        labels["source"]: indicators["source"].map(lambda s: cite(s, lang)),
    })


def _maybe_int(value: object) -> object:
    """Checks hold numbers and words in one column: numbers go to Excel as numbers."""
    if isinstance(value, str) and value.isdigit() and len(value) < 6:
        return int(value)  # a ubigeo (six digits, 070107) stays text
    return value
