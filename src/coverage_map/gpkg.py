"""coverage.gpkg: the run's tables in one GeoPackage for a GIS, opening in QGIS coloured like the map.

Layers: ``districts`` (the districts' polygons in EPSG:4326 with the fields of coverage.geojson),
with plans (build --plan) ``proposals`` (each proposed site's district, plan.csv's fields) and
``proposal_sites`` (the public services' proposed points; a confidential service has none),
and the attribute tables ``gaps``, ``summary`` and ``checks`` (the columns of the CSV files), each
with its types kept: counts as integers, kilometres and shares as reals, gap flags as booleans
(GDAL's Integer with the Boolean subtype). pyogrio (GDAL) writes the layers; sqlite3 then adds
QGIS's ``layer_styles`` table, registered in gpkg_contents as QGIS itself registers it, with one
style of the district layer per service with district data: a categorized renderer (present,
gap, no district data, as the map shows them) in the colours of styles.py, named by the service's acronym, the map's
opening service marked as the default that QGIS applies when the layer is added.

With --roads, the layers with minutes say so: their description (gpkg_contents) names the
OpenStreetMap extract, its date, the profile and the attribution its licence (ODbL) asks for,
and each cost field carries its unit in gpkg_data_columns (the GeoPackage schema extension,
which GDAL reads as the field's comment): minutes along the streets, or km in a straight line.

GDAL stamps gpkg_contents.last_change with the current time: the OGR_CURRENT_DATE option pins it,
and the styles' update_time, to the day of the run, so equal inputs on the same day give equal
bytes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import jinja2
import pandas as pd
import pyogrio

from .costs import KM
from .coverage import GAP, PRESENT, UNKNOWN
from .export import minutes_note
from .scales import METROPOLITAN
from .styles import PROPOSAL, SERVED, SERVED_FROM_SEAT, STYLES
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis

#: The layer QGIS styles: the districts with their coverage fields.
DISTRICT_LAYER = "districts"

#: QGIS's table of stored styles, as QGIS (through OGR) creates it in a GeoPackage.
LAYER_STYLES = """
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


@dataclass(frozen=True)
class LayerStyle:
    """One row of layer_styles: a QML style of a layer, by name."""

    layer: str
    name: str
    qml: str
    description: str
    default: bool = False


@dataclass(frozen=True)
class LayerNotes:
    """What a layer says of itself: its description (gpkg_contents), and its fields' (by name)."""

    description: str
    fields: dict[str, str]


def road_notes(analysis: Analysis, layers: dict[str, pd.DataFrame], *, lang: str) -> dict[str, LayerNotes]:
    """With --roads, the notes of each layer with minutes: which streets, profile and date they
    were measured along, without public transport, with OpenStreetMap's attribution; and per
    cost field its unit (the straight-line km beside the minutes say so). Empty without roads."""
    roads = analysis.roads
    if roads is None:
        return {}
    labels, unit = texts(lang), analysis.unit
    mapped = analysis.coverage.mapped()
    costs = analysis.coverage.cost_columns
    minutes = {*(name for name in costs.values() if name.endswith(f"_{unit}")), *(f"{code}_{unit}" for code in mapped)}
    straight = {"nearest_km", *(f"{code}_{KM}" for code in mapped)}
    note = minutes_note(roads, lang)
    notes = {}
    for name, frame in layers.items():
        fields = {column: note for column in frame.columns if column in minutes}
        if fields:
            km = {column: labels["gpkg_field_km"] for column in frame.columns if column in straight}
            notes[name] = LayerNotes(labels["gpkg_layer_min"].format(note=note) if km else note, fields | km)
    return notes


def district_styles(analysis: Analysis, *, first: str, lang: str) -> list[LayerStyle]:
    """One style of the district layer per service with district data, first (the map's
    opening layer) first and the default; each named by the service's acronym."""
    services = analysis.catalogue.services
    mapped = analysis.coverage.mapped()
    order = [first, *[code for code in mapped if code != first]] if first in mapped else mapped
    metropolitan = {code for code, scale in analysis.scales.items() if scale.kind == METROPOLITAN}
    return [
        LayerStyle(DISTRICT_LAYER, services.at[code, "acronym"], style_qml(code, lang=lang, metropolitan=code in metropolitan),
                   analysis.catalogue.label(code, lang), default=index == 0)
        for index, code in enumerate(order)
    ]


def proposal_styles(layers: dict[str, gpd.GeoDataFrame], *, lang: str) -> list[LayerStyle]:
    """The style of each proposal layer (proposals.geopackage_layers), its default: the
    proposed districts outlined, the sites as diamonds, in the map's proposal colour, each
    labelled by its service and rank ("HRT 1")."""
    labels = texts(lang)
    styles = []
    for layer, frame in layers.items():
        points = bool(len(frame)) and frame.geom_type.iloc[0] == "Point"
        qml = _template("proposal_style.qml.j2").render(points=points, colour=qgis_colour(PROPOSAL),
                                                        label="\"service\" || ' ' || \"rank\"")
        description = labels["plan_proposed_site" if points else "plan_proposed_district"]
        styles.append(LayerStyle(layer, labels["plan_section"], qml, description, default=True))
    return styles


def style_qml(service: str, *, lang: str, metropolitan: bool = False) -> str:
    """A QGIS style (QML) colouring districts by the service's status as the map does,
    labelled by name.

    The status is computed from <S>_count by an expression: present where it is 1 or more,
    no district data where it is NULL, and where it is 0 a gap, or, for a metropolitan
    service (one seat for the whole area), "served from the seat", as on the map.
    """
    labels = texts(lang)
    field = f'"{service}_count"'
    absent = SERVED if metropolitan else GAP
    expression = f"CASE WHEN {field} IS NULL THEN '{UNKNOWN}' WHEN {field} > 0 THEN '{PRESENT}' ELSE '{absent}' END"
    styles = {**STYLES, SERVED: SERVED_FROM_SEAT}
    categories = [
        {"value": status, "label": labels[f"legend_{status}"], "fill": qgis_colour(styles[status].fill),
         "line": qgis_colour(styles[status].line), "outline_style": "dash" if styles[status].dash else "solid"}
        for status in (PRESENT, absent, UNKNOWN)
    ]
    return _template("layer_style.qml.j2").render(expression=expression, categories=categories, label_field="name")


def qgis_colour(hex_colour: str) -> str:
    """'#2c7fb8' as QGIS writes a colour: '44,127,184,255'."""
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


@cache
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("coverage_map", "templates"),
        autoescape=True,  # XML: quotes in the expression become &#34;
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


def write_geopackage(layers: dict[str, pd.DataFrame], path: Path, *, styles: list[LayerStyle],
                     changed: datetime, notes: dict[str, LayerNotes] | None = None) -> None:
    """Write each frame as a layer of the GeoPackage at path (a GeoDataFrame with its geometry,
    in EPSG:4326; a DataFrame as a table without geometry), then the styles and the notes of
    the layers named in notes (their description and their fields').

    changed is the time the GeoPackage's contents carry (the day is kept, not the hour). A
    file already at path is replaced.
    """
    Path(path).unlink(missing_ok=True)  # GDAL would add the layers to it, and refuse layer_styles
    stamp = changed.strftime("%Y-%m-%dT00:00:00.000Z")
    # The file is written into the run's staging folder and moved in whole: waiting for the
    # disk after each layer (SQLite's fsync) would make it ten times slower, for nothing.
    with _gdal_options(OGR_CURRENT_DATE=stamp, OGR_SQLITE_SYNCHRONOUS="OFF"):
        for name, frame in layers.items():
            points = False
            if isinstance(frame, gpd.GeoDataFrame):
                frame = frame.to_crs("EPSG:4326")
                points = bool(len(frame)) and frame.geom_type.eq("Point").all()
            # polygons always as MultiPolygon (one type per layer); points stay points
            described = {"DESCRIPTION": notes[name].description} if notes and name in notes else {}
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", promote_to_multi=not points,
                                    layer_options=described or None)
    if styles:
        write_layer_styles(path, styles, stamp=stamp)
    if notes:
        write_field_notes(path, {name: layer.fields for name, layer in notes.items()})


@contextlib.contextmanager
def _gdal_options(**options: str) -> Iterator[None]:
    """GDAL configuration options set for the block, and then restored."""
    previous = {name: pyogrio.get_gdal_config_option(name) for name in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def write_layer_styles(path: Path, styles: list[LayerStyle], *, stamp: str) -> None:
    """Add QGIS's layer_styles table to the GeoPackage, with one row per style."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA synchronous = OFF")  # as the layers were written (write_geopackage)
        geometry_columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        db.execute(LAYER_STYLES)
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', '', ?)", (stamp,))
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
            "styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
            "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, 'coverage-map', NULL, ?)",
            [(style.layer, geometry_columns.get(style.layer, ""), style.name, style.qml, int(style.default),
              style.description, stamp) for style in styles])


#: The GeoPackage schema extension's table of field descriptions (GeoPackage 1.3, F.9), as GDAL creates it.
DATA_COLUMNS = """
CREATE TABLE gpkg_data_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    name TEXT,
    title TEXT,
    description TEXT,
    mime_type TEXT,
    constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
    CONSTRAINT gdc_tn UNIQUE (table_name, name)
)
"""
SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def write_field_notes(path: Path, fields: dict[str, dict[str, str]]) -> None:
    """Describe fields (per layer, per field) in gpkg_data_columns, registered as the schema
    extension; GDAL reads each description as the field's comment."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA synchronous = OFF")  # as the layers were written (write_geopackage)
        db.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                   "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                   "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        db.execute(DATA_COLUMNS)
        db.execute("INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', ?, 'read-write')",
                   (SCHEMA_EXTENSION,))
        db.executemany("INSERT INTO gpkg_data_columns (table_name, column_name, description) VALUES (?, ?, ?)",
                       [(layer, column, text) for layer, described in fields.items() for column, text in described.items()])
