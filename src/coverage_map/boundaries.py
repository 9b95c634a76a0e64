"""Read district boundaries from any vector file GDAL can open, and tie them to ubigeos.

The result is one row per district of the study area: ubigeo, name, province,
department and geometry in EPSG:4326. Invalid geometries are repaired; a district with
no geometry is kept and reported; a feature that names no district, or a district given
twice, is an error that names the feature.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import pyogrio
import pyproj
from pyogrio.errors import DataSourceError, DataLayerError

from .districts import AREAS, Gazetteer, area_prefixes, display_name, normalize_ubigeo
from .errors import MESSAGE_ITEMS, InputError
from .sources import Source
from .tables import file_named, without_controls
from .texts import in_languages, listed

log = logging.getLogger(__name__)

OUTPUT_CRS = "EPSG:4326"
#: Peru's extent, a little widened: a district or facility outside it has a wrong CRS or a typo.
PERU_LON = (-81.5, -68.5)
PERU_LAT = (-18.5, 0.5)
#: Metric CRS for distances and areas in Lima: WGS 84 / UTM zone 18S.
METRIC_CRS = "EPSG:32718"


def metric_crs(districts: gpd.GeoDataFrame) -> str:
    """The WGS 84 / UTM zone (south) at the centre of the districts: 18S (EPSG:32718) for Lima.

    Peru spans zones 17 to 19; measuring in the area's own zone keeps distances true.
    """
    minx, _, maxx, _ = districts.total_bounds
    zone = int(((minx + maxx) / 2 + 180) // 6) + 1
    return f"EPSG:{32700 + zone}"

_UBIGEO_FIELD_NAMES = ("ubigeo", "iddist", "coddist", "cod_dist", "ubigeo_dist", "cdist")


@dataclass
class BoundaryReport:
    """What reading the boundaries did, for the log, the manifest and the report."""

    path: str
    features: int
    district_field: str
    matched_by: str  # "ubigeo" or "name"
    crs: str
    prefixes: tuple[str, ...] = ()  # ubigeo prefixes of the study area
    repaired: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    outside_area: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (as written, ubigeo)
    missing: list[str] = field(default_factory=list)  # known districts the file lacks ('peru' only)
    #: The layer read from a file of several (a GeoPackage): (its name, how many layers); None for one layer.
    layer: tuple[str, int] | None = None


#: What a vector file must hold, by the geometry read from it: the catalogue key of its noun.
_GEOMETRY_NOUNS = {"Polygon": "error_noun_polygons", "Point": "error_noun_points"}
_LAYER_NOUNS = {"Polygon": "error_noun_polygon_layers", "Point": "error_noun_point_layers"}


def read_vector(
    path: Path, *, what: str = "boundary", option: str = "--boundaries", geometry: str = "Polygon"
) -> gpd.GeoDataFrame:
    """Read a vector file through pyogrio, turning GDAL's failures into clear errors.

    A file of several layers (a GeoPackage, a zip of Shapefiles) is read from its one layer
    of the wanted geometry ("Polygon" or "Point"); with several such layers it is refused.
    The frame's attrs["layer"] then holds (the layer's name, how many layers the file has).
    """
    named = file_named(what)
    if not path.exists():
        if option == "--boundaries":
            raise InputError("error_boundaries_not_found", path=path, **named)
        raise InputError("error_file_not_found", path=path, option=option, **named)
    if path.is_dir() and not any(path.iterdir()):
        raise InputError("error_vector_folder_empty", path=path, **named)
    if path.is_file() and not path.stat().st_size:
        raise InputError("error_vector_empty", path=path, **named)
    layer = _choose_layer(path, what, geometry)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # a property holding lists or objects: pyogrio keeps it as text, which is what we match
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except (DataSourceError, DataLayerError, pyproj.exceptions.CRSError, UnicodeError, ValueError) as exc:
        detail = " ".join(str(exc).split(";")[0].replace(f"'{path}' ", "").split()).rstrip(".")
        raise InputError("error_vector_unreadable", path=path, detail=detail, **named) from exc
    kind = in_languages(_GEOMETRY_NOUNS[geometry])
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise InputError("error_vector_no_geometries", path=path, kind=kind, **named)
    if len(frame) == 0:
        raise InputError("error_vector_no_features", path=path, kind=kind, **named)
    frame = frame.reset_index(drop=True)
    if layer is not None:
        frame.attrs["layer"] = (layer, len(pyogrio.list_layers(path)))
    return frame


def _choose_layer(path: Path, what: str, geometry: str) -> str | None:
    """The layer to read: None for a file of one layer, else its one layer of that geometry."""
    try:
        layers = pyogrio.list_layers(path)
    except Exception:  # unreadable: read_file says why
        return None
    if len(layers) <= 1:
        return None
    described = ", ".join(f"{name!r} ({kind or 'no geometry'})" for name, kind in layers)  # the log's
    fitting = [str(name) for name, kind in layers if kind and geometry.lower() in str(kind).lower()]
    if len(fitting) == 1:
        log.debug("%s has %d layers (%s): read the %s layer %r", path, len(layers), described, geometry.lower(), fitting[0])
        return fitting[0]
    layer_list = listed([in_languages("error_item_layer", name=repr(name), kind=kind) if kind
                         else in_languages("error_item_layer_no_geometry", name=repr(name)) for name, kind in layers],
                        word=None)
    raise InputError("error_layers_several" if fitting else "error_layers_none", path=path, n=len(layers),
                     layers=layer_list, kind=in_languages(_LAYER_NOUNS[geometry]), name=path.name, **file_named(what))


def _fits_lonlat(bounds: np.ndarray) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def to_lonlat(frame: gpd.GeoDataFrame, path: Path, *, what: str = "boundary") -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to EPSG:4326; a file without CRS is taken as lon/lat only if it fits.

    A file that declares longitude/latitude, or that GDAL takes as such (every GeoJSON),
    must have coordinates that fit: projected metres there are refused, not guessed.
    """
    bounds = frame.total_bounds
    named = file_named(what)
    if not np.isfinite(bounds).all():
        raise InputError("error_vector_no_coordinates", path=path, **named)
    where = in_languages("error_bounds", minx=f"{bounds[0]:.6g}", maxx=f"{bounds[2]:.6g}", miny=f"{bounds[1]:.6g}",
                         maxy=f"{bounds[3]:.6g}")
    if frame.crs is None:
        if _fits_lonlat(bounds):
            log.debug("%s has no CRS; its coordinates fit longitude/latitude: EPSG:4326", path)
            return frame.set_crs(OUTPUT_CRS), "none (taken as EPSG:4326)"
        raise InputError("error_vector_no_crs", path=path, bounds=where, **named)
    crs = frame.crs.to_string()
    if frame.crs.is_geographic and not _fits_lonlat(bounds):
        if path.suffix.lower() in (".geojson", ".json"):
            raise InputError("error_vector_projected_geojson", path=path, bounds=where, name=path.name, **named)
        raise InputError("error_vector_projected", path=path, bounds=where, crs=crs, name=path.name, **named)
    try:
        frame = frame.to_crs(OUTPUT_CRS)
    except pyproj.exceptions.ProjError as exc:  # e.g. a CRS PROJ cannot transform from
        raise InputError("error_vector_reproject", path=path, crs=crs, detail=exc, **named) from exc
    if not _fits_lonlat(frame.total_bounds):
        raise InputError("error_vector_crs_mismatch", path=path, bounds=where, crs=crs, **named)
    return frame, crs


def detect_district_field(
    frame: pd.DataFrame, gazetteer: Gazetteer, *, hints: tuple[str | None, ...] = ()
) -> tuple[str, str]:
    """Find the field that identifies districts: (field, 'ubigeo' or 'name').

    Registered field names come first; then a field of 6-digit codes; then the text
    field whose values name the most districts of the gazetteer.
    """
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for hint in hints:
        if hint in columns:
            return hint, _field_kind(frame[hint])
    for column in columns:
        if column.lower() in _UBIGEO_FIELD_NAMES and _field_kind(frame[column]) == "ubigeo":
            return column, "ubigeo"
    best, best_hits = None, 0
    for column in columns:
        values = frame[column].dropna()
        if not len(values) or not (values.map(type) == str).all():
            continue
        hits = len({gazetteer.lookup(v) for v in values} - {None})
        if hits > best_hits:
            best, best_hits = column, hits
    if best is not None and best_hits >= max(1, len(frame) // 2):
        return best, "name"
    raise InputError("error_no_district_field", fields=_fields(columns))


def _fields(columns: list) -> dict[str, str]:
    """A file's field names for a message, or 'none'."""
    return listed(columns, word=None) if columns else in_languages("none")


def _field_kind(values: pd.Series) -> str:
    codes = values.dropna().map(normalize_ubigeo)
    return "ubigeo" if len(codes) and codes.notna().all() else "name"


def read_boundaries(
    path: Path,
    *,
    gazetteer: Gazetteer,
    area: str = "lima",
    district_field: str | None = None,
    source: Source | None = None,
) -> tuple[gpd.GeoDataFrame, BoundaryReport, gpd.GeoDataFrame]:
    """Read a boundary file and return the districts of area, keyed by ubigeo, what reading
    did, and the file's context districts (see context_districts).

    Districts of Lima and Callao take their names from the gazetteer; elsewhere the file
    must carry ubigeo codes, and names, provinces and departments come from its fields.
    """
    path = Path(path)
    frame = read_vector(path)
    layer = frame.attrs.get("layer")
    require_geometry(frame, path, ("Polygon", "MultiPolygon"), what="boundary")
    frame, crs = to_lonlat(frame, path)
    hints = (source.ubigeo_field, source.name_field) if source else ()
    if district_field is not None and (district_field not in frame.columns or district_field == frame.geometry.name):
        fields = _fields([c for c in frame.columns if c != frame.geometry.name])
        raise InputError("error_no_such_field", path=path, field=repr(district_field), fields=fields)
    if district_field is None:
        district_field, kind = detect_district_field(frame, gazetteer, hints=hints)
    else:
        kind = _field_kind(frame[district_field])
    log.debug("Read %d features from %s; districts by %s %r", len(frame), path, kind, district_field)

    # a field of lists or objects (GeoJSON allows them) is matched as its text; control
    # characters are dropped (a workbook cannot hold them)
    values = frame[district_field].map(
        lambda v: v if v is None or isinstance(v, (int, float)) else without_controls(str(v)))
    codes = values.map(normalize_ubigeo) if kind == "ubigeo" else values.map(gazetteer.lookup)
    prefixes = area_prefixes(area, _provinces(frame, codes, source))
    in_area = codes.fillna("").str.startswith(prefixes)
    # a code of Lima or Callao must be one of their districts; elsewhere the file is the authority
    known_prefix = codes.fillna("").str.startswith(tuple(AREAS["lima-callao"]))
    unmatched = codes.isna() | (known_prefix & in_area & ~codes.isin(gazetteer.districts.index))
    if kind == "ubigeo":
        unmatched &= in_area | codes.isna()
    if unmatched.any():
        problems = listed([gazetteer.explain(values[i], where=in_languages("error_item_feature", feature=n + 1))
                           for n, i in enumerate(frame.index) if unmatched[i]], word=None, sep="; ")
        raise InputError("error_boundaries_unmatched", path=path, field=repr(district_field), problems=problems)
    if not in_area.any():
        raise InputError("error_boundaries_no_district_of_area", path=path, area=repr(area), prefixes=", ".join(prefixes))

    report = BoundaryReport(
        path=str(path), features=len(frame), district_field=district_field, matched_by=kind, crs=crs,
        prefixes=prefixes, layer=layer,
    )
    report.outside_area = int((~in_area).sum())
    features = frame
    frame = frame.assign(ubigeo=codes)[in_area]
    _refuse_outside_peru(frame, path, crs)
    _refuse_duplicates(frame, values, path, district_field)
    report.missing = _require_whole_area(frame, gazetteer, prefixes, path)

    districts = gpd.GeoDataFrame(_identities(frame, gazetteer, source), geometry=frame.geometry.to_numpy(), crs=OUTPUT_CRS)
    report.renamed = [
        (str(v), u)
        for v, u in zip(values[in_area], frame["ubigeo"])
        if kind == "name" and not gazetteer.is_official_spelling(str(v), u)
    ]
    districts, report.repaired, report.empty = _repair(districts)
    if report.outside_area:
        log.debug("Left out %d features outside the area %r", report.outside_area, area)
    return districts.sort_values("ubigeo", ignore_index=True), report, context_districts(features, codes, districts, gazetteer)


def context_districts(features: gpd.GeoDataFrame, codes: pd.Series, districts: gpd.GeoDataFrame,
                      gazetteer: Gazetteer) -> gpd.GeoDataFrame:
    """The features of the file outside the area's drawn districts that reach into their
    bounding box (with the default boundaries and Lima, Callao's seven), which the map draws
    light under the area: ubigeo and name (the gazetteer's; '' where unknown) and valid
    geometry in EPSG:4326; empty when there are none.

    features: the file's features in EPSG:4326; codes: the ubigeo each was matched to.
    """
    drawn = districts[~(districts.geometry.isna() | districts.geometry.is_empty)]
    outside = features[~codes.isin(set(drawn["ubigeo"])) & ~features.geometry.is_empty & features.geometry.notna()]
    if drawn.empty:  # no area drawn: no context around it
        outside = outside.iloc[0:0]
    else:
        outside = outside[outside.intersects(shapely.box(*drawn.total_bounds))]
    codes = codes[outside.index]
    return gpd.GeoDataFrame({
        "ubigeo": [str(c or "") for c in codes],
        "name": [gazetteer.name(c) if isinstance(c, str) and c in gazetteer else "" for c in codes],
    }, geometry=outside.geometry.make_valid().to_numpy(), crs=OUTPUT_CRS)


def require_geometry(frame: gpd.GeoDataFrame, path: Path, kinds: tuple[str, ...], *, what: str) -> None:
    """Refuse features of another geometry type than kinds (points, or polygons), named by their number in the file."""
    found = frame.geometry.geom_type
    wrong = np.flatnonzero(found.notna().to_numpy() & ~found.isin(kinds).to_numpy())
    if len(wrong):
        features = listed([in_languages("error_item_feature_type", feature=i + 1, type=found.iloc[i]) for i in wrong],
                          limit=5)
        points = kinds == ("Point",)
        raise InputError("error_geometry_not_points" if points else "error_geometry_not_polygons", path=path, kinds=listed(kinds, word="or"), n=len(wrong), features=features,
                         **file_named(what))


def _refuse_outside_peru(frame: gpd.GeoDataFrame, path: Path, crs: str) -> None:
    """Districts with Peruvian ubigeos that lie outside Peru: the file's CRS is wrong."""
    minx, miny, maxx, maxy = frame.total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return  # no geometry at all: reported as districts without geometry
    if minx < PERU_LON[0] or maxx > PERU_LON[1] or miny < PERU_LAT[0] or maxy > PERU_LAT[1]:
        raise InputError("error_boundaries_outside_peru", path=path, crs=crs, minx=f"{minx:.2f}", maxx=f"{maxx:.2f}",
                         miny=f"{miny:.2f}", maxy=f"{maxy:.2f}")


def _provinces(frame: pd.DataFrame, codes: pd.Series, source: Source | None) -> pd.DataFrame | None:
    """Province codes and names from the file, to resolve an area given as a province name."""
    field_name = source.province_field if source else None
    if field_name not in frame.columns or codes.isna().all():
        return None
    return pd.DataFrame({"code": codes.str[:4], "name": frame[field_name]}).dropna()


def _identities(frame: pd.DataFrame, gazetteer: Gazetteer, source: Source | None) -> pd.DataFrame:
    """ubigeo, name, province and department of each feature: the gazetteer's where it knows
    the district, else the file's own fields (upper-case names written as people write them)."""

    def field(name: str | None) -> pd.Series:
        if name in frame.columns:
            return frame[name].fillna("").map(display_name)
        return pd.Series("", index=frame.index)

    known = frame["ubigeo"].isin(gazetteer.districts.index).to_numpy()
    own = pd.DataFrame({
        "ubigeo": frame["ubigeo"],
        "name": field(source.name_field if source else None).where(lambda s: s != "", frame["ubigeo"]),
        "province": field(source.province_field if source else None),
        "department": field(source.department_field if source else None),
    })
    table = gazetteer.districts.reindex(frame["ubigeo"])[own.columns].set_index(own.index)
    return table.where(np.repeat(known[:, None], 4, axis=1), own).reset_index(drop=True)


def _refuse_duplicates(frame, values, path, district_field) -> None:
    repeated = frame["ubigeo"].duplicated(keep=False)
    if repeated.any():
        groups = frame[repeated].groupby("ubigeo").groups
        # numbered as in the file (read_vector keeps its order from 0), not among the area's
        parts = [in_languages("error_item_ubigeo_features", ubigeo=ubigeo, features=listed(
            [in_languages("error_item_feature_value", feature=i + 1, value=repr(values[i])) for i in index], word=None))
            for ubigeo, index in groups.items()]
        raise InputError("error_boundaries_duplicates", path=path, field=repr(district_field),
                         districts=listed(parts, word=None, sep="; "))


def _require_whole_area(frame, gazetteer: Gazetteer, prefixes, path) -> list[str]:
    """Refuse a file that lacks a district of the area that the gazetteer knows.

    For the whole country the file itself defines the area (the gazetteer knows only Lima
    and Callao): a known district it lacks, such as Mi Perú (created in 2014) in a file of
    2007 limits, is returned to be reported, not refused.
    """
    expected = gazetteer.districts.index[gazetteer.districts.index.str.startswith(prefixes)]
    missing = expected.difference(frame["ubigeo"])
    names = [f"{gazetteer.name(u)} ({u})" for u in missing]
    if names and prefixes == AREAS["peru"]:
        log.debug("Districts not in the boundary file (left out of the area): %s", ", ".join(names))
        return names
    if names:
        raise InputError("error_boundaries_lack", path=path, n=len(missing), total=len(expected),
                         districts=listed(names, limit=MESSAGE_ITEMS))
    return []


def _repair(districts: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Repair invalid geometries; list the repaired and the empty districts by name."""
    geometry = districts.geometry
    empty = geometry.isna() | geometry.is_empty
    invalid = ~empty & ~geometry.is_valid
    if invalid.any():
        fixed = shapely.make_valid(geometry[invalid].to_numpy())
        # make_valid may return collections with stray lines; districts are areas.
        fixed = [shapely.union_all([g for g in getattr(p, "geoms", [p]) if g.area > 0]) for p in fixed]
        districts.loc[invalid, districts.geometry.name] = fixed
        log.debug("Repaired %d invalid geometries: %s", invalid.sum(), ", ".join(districts.name[invalid]))
    if empty.any():
        log.debug("Districts without geometry (kept, but not drawn): %s", ", ".join(districts.name[empty]))
    return districts, list(districts.name[invalid]), list(districts.name[empty])
