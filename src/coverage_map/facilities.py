"""Facility lists: one row per centre, with its service, name, ubigeo and/or coordinates.

Read from CSV, Excel, JSON records (or an object holding a list of them) or GeoJSON
points. Each facility with coordinates is placed in the district its point falls in; one
whose point falls in another district than its ubigeo, or outside every district, is
reported by name. One without coordinates counts in the district of its ubigeo.
Confidential services (shelters) are counted per district and nothing else is kept.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .districts import normalize_ubigeo
from .errors import InputError
from .inventory import Catalogue, Inventory, Origin
from .tables import find_columns, read_csv, read_text
from .texts import TEXTS, messages

log = logging.getLogger(__name__)

#: Peru's extent, a little widened: a point outside it is a typo or swapped columns.
PERU_LON = (-81.5, -68.5)
PERU_LAT = (-18.5, 0.5)

_COLUMNS = {
    "service": ("tipo", "type", "service", "servicio", "codigo servicio"),
    "name": ("nombre", "name", "centro", "nombre servicio"),
    "ubigeo": ("ubigeo", "iddist", "cod ubigeo"),
    "lat": ("lat", "latitud", "latitude", "coord y", "y"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "coord x", "x"),
    "address": ("direccion", "address", "domicilio"),
    "phone": ("telefono", "phone", "telefonos", "celular"),
}


@dataclass
class Facilities:
    """Facilities of the study area, each tied to a district, and what placing them found."""

    points: pd.DataFrame  # service, name, ubigeo, lat, lon, address, phone, source
    columns: dict[str, str]  # our column -> the file's column it was read from
    findings: list[dict] = field(default_factory=list)
    left_out: int = 0  # facilities outside the study area

    def inventory(self, scope: tuple[str, ...], path: str) -> Inventory:
        """District counts of the services the list (the file at path) covers, complete for the area."""
        counts = self.points.groupby(["service", "ubigeo"]).size().rename("count").reset_index()
        counts["written"] = ""  # placed by ubigeo or by point: no name to check
        counts["source"] = path
        services = counts["service"].unique()
        return Inventory(counts, dict.fromkeys(services, scope), dict.fromkeys(services, Origin("facilities", path)))


def read_table(path: Path) -> pd.DataFrame:
    """Rows of a CSV, Excel, JSON or GeoJSON file, every value as read (no geometry)."""
    if not path.is_file():
        msg = f"Facilities file not found: {path}. Check the path given to --facilities."
        raise InputError(msg)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg", ".shp", ".zip"):
        frame = gpd.read_file(path, engine="pyogrio").to_crs("EPSG:4326")
        points = frame.geometry
        if not points.is_empty.all() and not (points.geom_type == "Point").all():
            msg = f"Facilities file {path} must hold points; it has {', '.join(points.geom_type.unique())}."
            raise InputError(msg)
        return pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(lon=points.x, lat=points.y)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, engine="calamine", dtype=object)
    if suffix == ".json":
        text, _ = read_text(path, what="Facilities file", option="--facilities")
        data = json.loads(text)
        if isinstance(data, dict):  # an object that holds the list, e.g. {"servicios": [...]}
            data = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(data, list):
            msg = f"Facilities file {path}: expected a JSON list of records (or an object holding one)."
            raise InputError(msg)
        return pd.DataFrame.from_records(data)
    return read_csv(path, what="Facilities file", option="--facilities")


def detect_columns(table: pd.DataFrame, path: Path) -> dict[str, str]:
    """Map our columns to the file's; service is required, and ubigeo or coordinates."""
    found = find_columns(table.columns, _COLUMNS)
    if "service" not in found or not ("ubigeo" in found or {"lat", "lon"} <= found.keys()):
        msg = (
            f"Facilities file {path} needs a service column (tipo, servicio) and either ubigeo or "
            f"coordinates (lat/lon, latitud/longitud, COORD_Y/COORD_X); found: {', '.join(map(str, table.columns))}."
        )
        raise InputError(msg)
    return found


def _coordinates(table: pd.DataFrame, columns: dict[str, str], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as floats (NaN where missing); refuse swapped or stray values."""
    if not {"lat", "lon"} <= columns.keys():
        return np.full(len(table), np.nan), np.full(len(table), np.nan)
    lat = pd.to_numeric(table[columns["lat"]], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(table[columns["lon"]], errors="coerce").to_numpy(float)
    both = ~np.isnan(lat) & ~np.isnan(lon)
    inside = both & _in_peru(lat, lon)
    if both.any() and not inside.any() and _in_peru(lon, lat)[both].all():
        msg = (
            f"Facilities file {path}: latitude and longitude look swapped: the values of "
            f"{columns['lat']!r} are longitudes of Peru and those of {columns['lon']!r} latitudes. "
            "Swap the two column names."
        )
        raise InputError(msg)
    stray = np.flatnonzero(both & ~inside)
    if len(stray):
        rows = "; ".join(f"{_where(path, i)} ({lat[i]}, {lon[i]})" for i in stray[:10])
        msg = (
            f"Facilities file {path}: {len(stray)} coordinates outside Peru: {rows}. Correct them or "
            "leave them empty to count the facility by its ubigeo."
        )
        raise InputError(msg)
    return lat, lon


def _in_peru(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (PERU_LAT[0] <= lat) & (lat <= PERU_LAT[1]) & (PERU_LON[0] <= lon) & (lon <= PERU_LON[1])


def read_facilities(
    path: Path, *, catalogue: Catalogue, districts: gpd.GeoDataFrame, prefixes: tuple[str, ...]
) -> Facilities:
    """Read a facility list and place each facility of the study area in its district."""
    path = Path(path)
    table = read_table(path)
    columns = detect_columns(table, path)
    log.info("Facilities %s: %d rows; columns used: %s", path, len(table),
             ", ".join(f"{k}={v}" for k, v in columns.items()))
    lat, lon = _coordinates(table, columns, path)
    ubigeo = pd.Series(None, index=table.index, dtype=object)  # a list may place every row by its point
    if "ubigeo" in columns:
        ubigeo = table[columns["ubigeo"]].map(normalize_ubigeo)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=points), districts[["ubigeo", "geometry"]], predicate="within")
    placed = inside.loc[~inside.index.duplicated(), "ubigeo"].reindex(table.index)
    area = ubigeo.fillna("").str.startswith(prefixes).to_numpy() | placed.notna().to_numpy()

    rows = table[area]
    value = lambda key: rows[columns[key]].astype(str).str.strip() if key in columns else pd.Series("", index=rows.index)  # noqa: E731
    facilities = pd.DataFrame({
        "service": value("service").map(lambda s: catalogue.resolve(s) or s),
        "name": value("name"),
        "ubigeo": placed[area].fillna(ubigeo[area]),
        "given_ubigeo": ubigeo[area],
        "lat": lat[area], "lon": lon[area],
        "address": value("address"), "phone": value("phone"),
        "source": [_where(path, i) for i in np.flatnonzero(area)],
    })
    _refuse_problems(facilities, catalogue, districts, path)
    findings = _placement_findings(facilities, districts, catalogue)
    facilities = _hide_confidential(facilities.drop(columns="given_ubigeo"), catalogue)
    left_out = int((~area).sum())
    log.info("Facilities: %d in the area, %d outside it left out", len(facilities), left_out)
    return Facilities(facilities, columns, findings, left_out)


def _where(path: Path, index: int) -> str:
    """Row of a table as a spreadsheet numbers it (header is row 1), or record of a JSON list."""
    if path.suffix.lower() in (".json", ".geojson", ".gpkg", ".shp", ".zip"):
        return f"{path.name}, record {index + 1}"
    return f"{path.name}, row {index + 2}"


def _refuse_problems(facilities: pd.DataFrame, catalogue: Catalogue, districts, path: Path) -> None:
    problems = []
    for row in facilities.itertuples():
        if row.service not in catalogue.place_based:
            problems.append(f"{row.source}, {row.name!r}: unknown or non place-based service {row.service!r}")
        if pd.isna(row.ubigeo) or row.ubigeo not in set(districts["ubigeo"]):
            problems.append(f"{row.source}, {row.name!r}: neither its point nor its ubigeo is in a district of the area")
    keys = pd.Series(
        ["|".join(map(str, key)) for key in facilities[["service", "name", "given_ubigeo", "lat", "lon"]].itertuples(index=False)],
        index=facilities.index,
    )
    for _, group in facilities[keys.duplicated(keep=False)].groupby(keys):
        problems.append(f"{' and '.join(group['source'])}: the same facility twice ({group['name'].iloc[0]!r})")
    if problems:
        raise InputError(f"Facilities file {path}: " + "; ".join(problems) + ".")


def _placement_findings(facilities: pd.DataFrame, districts: gpd.GeoDataFrame, catalogue: Catalogue) -> list[dict]:
    """Facilities whose point falls in another district than the ubigeo they give.

    A confidential facility is named by its service only: its name would tell where it is.
    """
    names = {**_known_names(), **dict(zip(districts["ubigeo"], districts["name"]))}
    secret = catalogue.services["confidential"]
    findings = []
    moved = facilities[facilities["given_ubigeo"].notna() & (facilities["given_ubigeo"] != facilities["ubigeo"])]
    for row in moved.itertuples():
        given = names.get(row.given_ubigeo, f"ubigeo {row.given_ubigeo}")
        facility = row.name
        if secret.get(row.service, False):
            facility = {lang: text["check_confidential_facility"].format(service=row.service) for lang, text in TEXTS.items()}
        findings.append({
            "check": "facility_district", "service": row.service, "where": row.source,
            "expected": row.given_ubigeo, "found": row.ubigeo,
            **messages("check_facility_district", facility=facility, given=given, found=names[row.ubigeo]),
        })
    return findings


def _known_names() -> dict[str, str]:
    from .districts import load_gazetteer

    districts = load_gazetteer().districts
    return dict(zip(districts["ubigeo"], districts["name"]))


def _hide_confidential(facilities: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Keep only the district of a confidential service's facility: no name, point or phone."""
    secret = facilities["service"].map(catalogue.services["confidential"]).fillna(False).astype(bool)
    facilities.loc[secret, ["name", "address", "phone"]] = ""
    facilities.loc[secret, ["lat", "lon"]] = np.nan
    return facilities
