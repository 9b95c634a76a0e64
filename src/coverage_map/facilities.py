"""Facility lists: one row per centre, with its service, name, ubigeo and/or coordinates.

Read from CSV, Excel, JSON records (or an object holding a list of them) or GeoJSON
points. Each facility is placed in a district by its evidence (placement.py: the district
most of its ubigeo, district field, point, address and name agree on), or by its ubigeo or
its point alone; a disagreement is reported by name. A point judged wrong is set aside: the
facility stands at its district's point, an approximate location. Confidential services
(shelters) are counted per district and nothing else is kept.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundaries import PERU_LAT, PERU_LON, read_vector, require_geometry, to_lonlat
from .districts import load_gazetteer, normalize_ubigeo
from .errors import InputError
from .formatting import km as km_text
from .inventory import Catalogue, Inventory, Origin
from .placement import (COORDINATE_ERROR_KM, DistrictNames, district_at, evidence_message, km_outside, points_set_aside,
                        weigh, worded)
from .tables import as_text, find_columns, parse_decimal, shorten
from .tables import read_table as read_users_table
from .texts import LANGUAGES, TEXTS, in_languages, listed, messages

log = logging.getLogger(__name__)

#: Where a facility counts: the district most of its signals name (placement.py), the
#: district its ubigeo names (MIMP's way), or where its point falls.
PLACE_BY = ("evidence", "ubigeo", "point")

_COLUMNS = {
    "service": ("tipo", "type", "service", "servicio", "codigo servicio"),
    "name": ("nombre", "name", "centro", "nombre servicio"),
    "ubigeo": ("ubigeo", "iddist", "cod ubigeo"),
    "lat": ("lat", "latitud", "latitude", "coord y", "y"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "coord x", "x"),
    "district": ("distrito", "district"),
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
    #: The rule that tied each facility to a district: "evidence" (the district most of its
    #: signals name), "ubigeo" (the district its ubigeo names, when valid and in the area;
    #: else where its point falls) or "point".
    place_by: str = "evidence"
    #: Of those, the ones of a known place-based service (service, ubigeo, lat, lon): at their
    #: point, or without one (NaN) at their district's, they serve the area's access within
    #: their catchment. A confidential one has no point.
    outside: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["service", "ubigeo", "lat", "lon"]))
    #: The list's title when it is a known document: ("directory", "2026") for MIMP's
    #: Directorio Nacional; ("", "") for any other file.
    document: tuple[str, str] = ("", "")

    def inventory(self, scope: tuple[str, ...], path: str) -> Inventory:
        """District counts of the services the list (the file at path) covers, complete for the area."""
        counts = self.points.groupby(["service", "ubigeo"]).size().rename("count").reset_index()
        counts["written"] = ""  # placed by ubigeo or by point: no name to check
        counts["source"] = path
        services = counts["service"].unique()
        origin = Origin("facilities", path, document=self.document[0], edition=self.document[1])
        return Inventory(counts, dict.fromkeys(services, scope), dict.fromkeys(services, origin))


def read_table(path: Path) -> pd.DataFrame:
    """Rows of a CSV, Excel, JSON or GeoJSON file, every value as read (no geometry).

    The index is the row's place in the file from 0, kept when blank rows are dropped,
    so that messages number rows as the file does.
    """
    if path.suffix.lower() in (".geojson", ".gpkg", ".shp", ".zip"):
        frame = read_vector(path, what="facilities", option="--facilities", geometry="Point")
        frame, _ = to_lonlat(frame, path, what="facilities")
        require_geometry(frame, path, ("Point",), what="facilities")
        points = frame.geometry
        return pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(lon=points.x, lat=points.y)
    return read_users_table(path, what="facilities", option="--facilities")


def detect_columns(table: pd.DataFrame, path: Path) -> dict[str, str]:
    """Map our columns to the file's; service is required, and ubigeo or coordinates."""
    found = find_columns(table.columns, _COLUMNS)
    if "service" not in found or not ("ubigeo" in found or {"lat", "lon"} <= found.keys()):
        raise InputError("error_facilities_columns", path=path,
                         found=listed([shorten(c) for c in table.columns], word=None, limit=12))
    return found


def _coordinates(
    table: pd.DataFrame, columns: dict[str, str], path: Path, relevant: np.ndarray, by_ubigeo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude and longitude as floats (NaN where there is no point), and which rows gave
    only one of the two.

    A decimal comma (-12,0464, as a Spanish-locale spreadsheet writes it) reads as a
    decimal point. Text that is not a number is refused with its row where the row may be in
    the area (relevant: its ubigeo is in the area, or it has none). A row giving only one of
    the two has no point: with a ubigeo (by_ubigeo) it still counts by it (a finding says
    so), without one it is refused where relevant. Swapped columns and points outside Peru
    are refused.
    """
    if not {"lat", "lon"} <= columns.keys():
        nowhere = np.full(len(table), np.nan)
        return nowhere, nowhere.copy(), np.zeros(len(table), bool)
    # a list, not Series.map: pandas would turn the None of "not a number" into NaN ("empty")
    parsed = {key: [parse_decimal(v) for v in table[columns[key]]] for key in ("lat", "lon")}
    problems = []
    for i, label in enumerate(table.index):
        bad = [key for key in ("lat", "lon") if parsed[key][i] is None]
        if bad and relevant[i]:
            cells = ", ".join(f"{columns[k]} {table[columns[k]].iloc[i]!r}" for k in bad)
            problems.append(in_languages("error_item_not_a_number", where=_where_named(path, label), cells=cells))
    if problems:
        raise InputError("error_facilities_coordinates_not_numbers", path=path, n=len(problems),
                         rows=listed(problems, limit=5))
    lat = np.array([np.nan if v is None else v for v in parsed["lat"]], dtype=float)
    lon = np.array([np.nan if v is None else v for v in parsed["lon"]], dtype=float)
    half = np.isnan(lat) != np.isnan(lon)
    unplaceable = half & relevant & ~by_ubigeo
    if unplaceable.any():
        rows = listed([_where_named(path, table.index[i]) for i in np.flatnonzero(unplaceable)], limit=5)
        raise InputError("error_facilities_half_point", path=path, n=int(unplaceable.sum()), rows=rows)
    lat[half], lon[half] = np.nan, np.nan  # half a point places nothing
    both = ~np.isnan(lat) & ~np.isnan(lon)
    inside = both & _in_peru(lat, lon)
    if both.any() and not inside.any() and _in_peru(lon, lat)[both].all():
        raise InputError("error_facilities_swapped", path=path, lat=repr(columns["lat"]), lon=repr(columns["lon"]))
    stray = np.flatnonzero(both & ~inside)
    if len(stray):
        rows = listed([in_languages("error_item_where_point", where=_where_named(path, table.index[i]), lat=lat[i],
                                    lon=lon[i]) for i in stray[:10]], word=None, sep="; ")
        raise InputError("error_facilities_outside_peru", path=path, n=len(stray), rows=rows)
    return lat, lon, half


def _in_peru(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return (PERU_LAT[0] <= lat) & (lat <= PERU_LAT[1]) & (PERU_LON[0] <= lon) & (lon <= PERU_LON[1])


def read_facilities(
    path: Path, *, catalogue: Catalogue, districts: gpd.GeoDataFrame, prefixes: tuple[str, ...],
    place_by: str = "evidence", context: gpd.GeoDataFrame | None = None,
) -> Facilities:
    """Read a facility list and place each facility of the study area in its district.

    place_by="evidence": a facility counts in the district most of its signals name
    (placement.py); its point, judged wrong when it lies more than COORDINATE_ERROR_KM
    outside that district, is set aside (lat, lon NaN; given_lat, given_lon keep it).
    place_by="ubigeo" (MIMP assigns services to districts that way): it counts in the
    district its ubigeo names when that ubigeo is a district of the area, else where its
    point falls; one whose ubigeo is outside the area is outside it, wherever its point
    falls. place_by="point": it counts where its point falls, else by its ubigeo.
    context: districts around the area (ubigeo, name, geometry), whose polygons place and
    judge points that fall outside the area.
    """
    path = Path(path)
    table = read_table(path)
    if table.empty:
        raise InputError("error_facilities_no_rows", path=path)
    columns = detect_columns(table, path)
    log.debug("Facilities %s: %d rows; columns used: %s", path, len(table),
             ", ".join(f"{k}={v}" for k, v in columns.items()))
    ubigeo = pd.Series(None, index=table.index, dtype=object)  # a list may place every row by its point
    if "ubigeo" in columns:
        ubigeo = as_text(table[columns["ubigeo"]]).map(normalize_ubigeo)
    lat, lon, half = _coordinates(table, columns, path, relevant=(ubigeo.isna() | ubigeo.str.startswith(prefixes)).to_numpy(bool),
                                  by_ubigeo=ubigeo.notna().to_numpy(bool))
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=table.index, crs="EPSG:4326")
    placed = district_at(points, districts)
    in_area = ubigeo.fillna("").str.startswith(prefixes)
    set_aside, weighed = np.zeros(len(table), bool), []
    if place_by == "evidence":
        polygons = _known_polygons(districts, context)
        placed = district_at(points, polygons)  # the area's districts first, then those around it
        district, set_aside, weighed = _weigh(table, columns, path, ubigeo, placed, points, polygons, catalogue, prefixes)
        elsewhere = pd.Series(False, index=table.index)
        area = district.fillna("").str.startswith(prefixes).to_numpy()
    elif place_by == "ubigeo":
        elsewhere = ubigeo.notna() & ~in_area  # a ubigeo outside the area: outside, wherever its point
        area = (in_area | (ubigeo.isna() & placed.notna())).to_numpy()
        district = ubigeo.where(ubigeo.isin(set(districts["ubigeo"])), placed)
    else:
        elsewhere = pd.Series(False, index=table.index)
        area = in_area.to_numpy() | placed.notna().to_numpy()
        district = placed.fillna(ubigeo)
    if not area.any():
        _refuse_none_in_area(table, columns, path, prefixes, with_point=int((~np.isnan(lat)).sum()))
    given_lat, given_lon = lat.copy(), lon.copy()
    lat[set_aside], lon[set_aside] = np.nan, np.nan  # a point judged wrong places nothing

    rows = table[area]
    value = lambda key: as_text(rows[columns[key]]) if key in columns else pd.Series("", index=rows.index)  # noqa: E731
    facilities = pd.DataFrame({
        "service": value("service").map(lambda s: catalogue.resolve(s) or s),
        "name": value("name"),
        "ubigeo": district[area],
        "given_ubigeo": ubigeo[area],
        "point_ubigeo": placed[area],
        "lat": lat[area], "lon": lon[area], "given_lat": given_lat[area], "given_lon": given_lon[area],
        "address": value("address"), "phone": value("phone"),
        "source": [_where(path, i) for i in rows.index],
    })
    _refuse_problems(facilities, catalogue, districts, path)
    findings = weighed or _placement_findings(facilities, districts, catalogue, place_by)
    findings += _elsewhere_findings(table[elsewhere & placed.notna()], columns, path, ubigeo, placed, districts, catalogue)
    outside = facilities["lat"].notna() & placed[area].isna()
    findings += _outside_findings(facilities[outside], districts, catalogue)
    findings += _half_point_findings(facilities[half[area]], table, columns, districts, catalogue)
    facilities.loc[outside, ["lat", "lon"]] = np.nan  # counted by its ubigeo; no dot in the sea
    facilities = _hide_confidential(facilities.drop(columns=["given_ubigeo", "point_ubigeo"]), catalogue)
    left_out = int((~area).sum())
    standing = district if place_by == "evidence" else ubigeo  # the district an outside facility stands at
    outside = outside_sites(table[~area], columns, standing[~area], lat[~area], lon[~area], catalogue)
    log.debug("Facilities: %d in the area, %d outside it left out (%d of them serve its access)",
             len(facilities), left_out, len(outside))
    return Facilities(facilities, columns, findings, left_out, outside=outside, place_by=place_by,
                      document=known_document(path))


def known_document(path: Path) -> tuple[str, str]:
    """("directory", year) when path is MIMP's Consolidado Directorio Nacional as processed
    to JSON (its meta names it and its workbook's URL carries the edition); else ("", "")."""
    if path.suffix.lower() != ".json":
        return "", ""
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("meta", {})
    except (ValueError, AttributeError, OSError):
        return "", ""
    if not isinstance(meta, dict) or "Directorio Nacional" not in str(meta.get("fuente", "")):
        return "", ""
    year = re.search(r"(20\d\d)", str(meta.get("url", "")))
    return "directory", year[1] if year else ""


def outside_sites(rows: pd.DataFrame, columns: dict[str, str], ubigeo: pd.Series, lat: np.ndarray, lon: np.ndarray,
                  catalogue: Catalogue) -> pd.DataFrame:
    """Facilities outside the area of a known place-based service, with a point or a district
    (ubigeo) to stand at: service, ubigeo, lat, lon. A confidential one keeps no point."""
    service = as_text(rows[columns["service"]]).map(lambda s: catalogue.resolve(s) or s)
    sites = pd.DataFrame({"service": service.to_numpy(), "ubigeo": ubigeo.to_numpy(), "lat": lat, "lon": lon})
    services = catalogue.services
    secret = sites["service"].isin(services.index[services["confidential"]]).to_numpy()
    sites.loc[secret, ["lat", "lon"]] = np.nan
    keep = sites["service"].isin(catalogue.place_based) & (sites["lat"].notna() | sites["ubigeo"].notna())
    return sites[keep.to_numpy()].reset_index(drop=True)


def _refuse_none_in_area(table, columns, path: Path, prefixes: tuple[str, ...], *, with_point: int) -> None:
    """A list of which nothing lands in the area is a wrong file, area or column, not an empty result."""
    how = []
    if "ubigeo" in columns:
        how.append(in_languages("error_none_by_ubigeo", column=repr(columns["ubigeo"])))
    if with_point:
        how.append(in_languages("error_none_by_point", n=with_point))
    elif {"lat", "lon"} <= columns.keys():
        how.append(in_languages("error_none_with_coordinates"))
    raise InputError("error_facilities_none_in_area", path=path, n=len(table), prefixes=", ".join(prefixes),
                     how=listed(how, word=None, sep="; "))


def _where(path: Path, index: int) -> str:
    """Row of a table as a spreadsheet numbers it (header is row 1), record of a JSON list,
    or feature of a vector file, counted from the file as given."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg", ".shp", ".zip"):
        return f"{path.name}, feature {index + 1}"
    if suffix == ".json":
        return f"{path.name}, record {index + 1}"
    return f"{path.name}, row {index + 2}"


def _where_named(path: Path, index: int) -> dict[str, str]:
    """_where in every language, for a message."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg", ".shp", ".zip"):
        return in_languages("error_at_feature", file=path.name, feature=index + 1)
    if suffix == ".json":
        return in_languages("error_at_record", file=path.name, record=index + 1)
    return in_languages("error_at_row", file=path.name, row=index + 2)


def _refuse_problems(facilities: pd.DataFrame, catalogue: Catalogue, districts, path: Path) -> None:
    problems = []
    for row in facilities.itertuples():
        where = _where_named(path, row.Index)
        if row.service not in catalogue.place_based:
            problems.append(in_languages("error_item_facility_service", where=where, name=repr(row.name),
                                         service=repr(row.service)))
        if pd.isna(row.ubigeo) or row.ubigeo not in set(districts["ubigeo"]):
            problems.append(in_languages("error_item_facility_not_in_area", where=where, name=repr(row.name)))
    keys = pd.Series(
        ["|".join(map(str, key)) for key in facilities[["service", "name", "given_ubigeo", "lat", "lon"]].itertuples(index=False)],
        index=facilities.index,
    )
    for _, group in facilities[keys.duplicated(keep=False)].groupby(keys):
        rows = listed([_where_named(path, i) for i in group.index])
        problems.append(in_languages("error_item_facility_twice", rows=rows, name=repr(group["name"].iloc[0])))
    if problems:
        raise InputError("error_facilities_problems", path=path, problems=listed(problems, word=None, sep="; "))


def _placement_findings(
    facilities: pd.DataFrame, districts: gpd.GeoDataFrame, catalogue: Catalogue, place_by: str
) -> list[dict]:
    """Facilities whose point falls in another district of the area than the ubigeo they give
    (expected: the ubigeo; found: the point's district). By ubigeo, one whose point lies
    farther than COORDINATE_ERROR_KM from its ubigeo's district is a probable coordinate error.

    A confidential facility is named by its service only: its name would tell where it is.
    """
    names = {**_known_names(), **dict(zip(districts["ubigeo"], districts["name"]))}
    secret = catalogue.services["confidential"]
    given, found = facilities["given_ubigeo"], facilities["point_ubigeo"]
    moved = facilities[given.notna() & found.notna() & (given != found)]
    off = _km_outside(moved, districts) if place_by == "ubigeo" else pd.Series(0.0, index=moved.index)
    findings = []
    for row in moved.itertuples():
        facility = row.name
        if secret.get(row.service, False):
            facility = {lang: text["check_confidential_facility"].format(service=row.service) for lang, text in TEXTS.items()}
        given_name = names.get(row.given_ubigeo, f"ubigeo {row.given_ubigeo}")
        key = "check_facility_district" if row.ubigeo == row.point_ubigeo else "check_facility_district_by_ubigeo"
        finding = messages(key, facility=facility, given=given_name, found=names[row.point_ubigeo])
        if off[row.Index] > COORDINATE_ERROR_KM:
            error = messages("check_probable_coordinate_error", km={lang: km_text(off[row.Index], lang) for lang in LANGUAGES},
                             district=given_name)
            finding = {column: f"{text} {error[column]}" for column, text in finding.items()}
        findings.append({
            "check": "facility_district", "service": row.service, "where": row.source,
            "expected": row.given_ubigeo, "found": row.point_ubigeo, **finding,
        })
    return findings


def _km_outside(facilities: pd.DataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """km from each facility's point to the district of its ubigeo (given_ubigeo, a district of
    the area; NaN otherwise)."""
    return km_outside(_points(facilities), facilities["given_ubigeo"], districts)


def _points(frame: pd.DataFrame) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), index=frame.index, crs="EPSG:4326")


def _known_polygons(districts: gpd.GeoDataFrame, context: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The area's districts, then those around it with a ubigeo (ubigeo, name, province, geometry)."""
    frames = [districts]
    if context is not None and len(context):
        frames.append(context[context["ubigeo"].astype(bool)].to_crs(districts.crs))
    columns = ["ubigeo", "name", "province", "geometry"]
    frame = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(frame.fillna({"name": "", "province": ""}), geometry="geometry", crs=districts.crs)


def _weigh(table: pd.DataFrame, columns: dict[str, str], path: Path, ubigeo: pd.Series, placed: pd.Series,
           points: gpd.GeoSeries, polygons: gpd.GeoDataFrame, catalogue: Catalogue, prefixes: tuple[str, ...],
           ) -> tuple[pd.Series, np.ndarray, list[dict]]:
    """Placement by evidence: each record's district, whether its point is set aside, and a
    finding for each record of the area whose signals disagree (one of them names a district
    of the area, or its point falls there)."""
    gazetteer = load_gazetteer().with_districts(polygons.assign(department="").drop_duplicates("ubigeo"), area="")
    names = DistrictNames(gazetteer)
    text = {key: as_text(table[columns[key]]) if key in columns else pd.Series(None, index=table.index, dtype=object)
            for key in ("district", "address", "name", "service")}
    ubigeo = pd.Series([u if isinstance(u, str) else None for u in ubigeo], index=table.index, dtype=object)
    evidence = [weigh(names, ubigeo=ubigeo[i], district=text["district"][i], point=placed[i] if pd.notna(placed[i]) else None,
                      address=text["address"][i], name=text["name"][i]) for i in table.index]
    district = pd.Series([e.district for e in evidence], index=table.index, dtype=object)
    set_aside = points_set_aside(evidence, points, polygons)
    labels = {**_known_names(), **dict(zip(polygons["ubigeo"], polygons["name"]))}
    secret = catalogue.services["confidential"]
    findings = []
    for n, (index, found) in enumerate(zip(table.index, evidence)):
        if not found.in_doubt or not any(u.startswith(prefixes) for u in found.signals.values()):
            continue
        service = catalogue.resolve(text["service"][index]) or text["service"][index]
        facility = text["name"][index] or _where(path, index)
        aside = None
        given = ubigeo[index]  # a district unknown here is named as the list's district field names it
        names_here = {**labels, **({given: labels.get(given) or text["district"][index] or given} if given else {})}
        if secret.get(service, False):  # neither its name nor its point: both tell where it is
            facility = worded("check_confidential_facility", service=service)
            if set_aside[n]:
                aside = worded("placement_point_set_aside_confidential", district=names_here[found.district])
        elif set_aside[n]:
            aside = worded("placement_point_set_aside", lat=f"{points[index].y:.6f}", lon=f"{points[index].x:.6f}",
                                 district=names_here[found.district])
        findings.append({
            "check": "facility_evidence", "service": service, "where": _where(path, index),
            "expected": ubigeo[index] or "", "found": found.district,
            **evidence_message(found, facility=facility, names=names_here,
                               counted=bool(found.district.startswith(prefixes)), set_aside=aside),
        })
    return district, set_aside, findings


def _elsewhere_findings(rows: pd.DataFrame, columns: dict[str, str], path: Path, ubigeo: pd.Series, placed: pd.Series,
                        districts: gpd.GeoDataFrame, catalogue: Catalogue) -> list[dict]:
    """By ubigeo: facilities whose ubigeo is outside the area while their point falls in it.
    They are not counted; their point serves the area's access within the catchment."""
    names = {**_known_names(), **dict(zip(districts["ubigeo"], districts["name"]))}
    secret = catalogue.services["confidential"]
    findings = []
    for index in rows.index:
        service = catalogue.resolve(as_text(rows.loc[[index], columns["service"]]).iloc[0]) or ""
        facility = as_text(rows.loc[[index], columns["name"]]).iloc[0] if "name" in columns else _where(path, index)
        if secret.get(service, False):
            facility = {lang: text["check_confidential_facility"].format(service=service) for lang, text in TEXTS.items()}
        given = ubigeo[index]
        findings.append({
            "check": "facility_elsewhere", "service": service, "where": _where(path, index),
            "expected": given, "found": placed[index],
            **messages("check_facility_elsewhere", facility=facility,
                       given=f"{names[given]}, {given}" if given in names else given, found=names[placed[index]]),
        })
    return findings


def _outside_findings(outside: pd.DataFrame, districts: gpd.GeoDataFrame, catalogue: Catalogue) -> list[dict]:
    """Facilities whose point falls in no district of the area while their ubigeo is in it.

    They count by their ubigeo and lose their point; farther than COORDINATE_ERROR_KM from
    their ubigeo's district, the point is flagged as a probable coordinate error.
    """
    if outside.empty:
        return []
    km = km_outside(_points(outside), outside["ubigeo"], districts)
    secret = catalogue.services["confidential"]
    findings = []
    for row, distance in zip(outside.itertuples(), km):
        district = districts.loc[districts["ubigeo"] == row.ubigeo, "name"].iloc[0]
        facility, at = f"{row.name} ({row.source})", f" ({row.lat:.6f}, {row.lon:.6f})"
        if secret.get(row.service, False):  # neither its name nor its point: both tell where it is
            facility = {lang: text["check_confidential_facility"].format(service=row.service) for lang, text in TEXTS.items()}
            at = ""
        probable = {lang: "" for lang in TEXTS}
        if distance > COORDINATE_ERROR_KM:
            probable = {lang: " " + text["check_probable_coordinate_error"].format(km=km_text(distance, lang), district=district)
                        for lang, text in TEXTS.items()}
        findings.append({
            "check": "facility_outside", "service": row.service, "where": row.source,
            "expected": row.ubigeo, "found": at.strip(),
            **messages("check_facility_outside", facility=facility, at=at, district=district, probable=probable),
        })
    return findings


def _half_point_findings(half: pd.DataFrame, table: pd.DataFrame, columns: dict[str, str],
                         districts: gpd.GeoDataFrame, catalogue: Catalogue) -> list[dict]:
    """Facilities of the area that give only one of their two coordinates: they count by their
    ubigeo, without a point (MIMP's 2026 directory has one such record)."""
    secret = catalogue.services["confidential"]
    names = dict(zip(districts["ubigeo"], districts["name"]))
    findings = []
    for row in half.itertuples():
        given = table.loc[row.Index, [columns["lat"], columns["lon"]]]
        cells = ", ".join(f"{column} {value}" for column, value in given.items() if pd.notna(parse_decimal(value)))
        facility, at = f"{row.name} ({row.source})", f" ({cells})"
        if secret.get(row.service, False):  # neither its name nor its coordinate: both tell where it is
            facility = {lang: text["check_confidential_facility"].format(service=row.service) for lang, text in TEXTS.items()}
            at = ""
        findings.append({
            "check": "facility_half_point", "service": row.service, "where": row.source,
            "expected": row.ubigeo, "found": at.strip(),
            **messages("check_facility_half_point", facility=facility, at=at, district=names.get(row.ubigeo, row.ubigeo)),
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
    facilities.loc[secret, ["lat", "lon", "given_lat", "given_lon"]] = np.nan
    return facilities
