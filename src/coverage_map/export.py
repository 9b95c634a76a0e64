"""Write the coverage as GeoJSON (RFC 7946) and CSV tables, and publish outputs whole.

Every file of a run is written into a staging folder beside the target folder; only when
all of them succeeded are they moved into place, so a failed run leaves the previous
outputs untouched. The same inputs give byte-identical files (only the manifest carries
a time).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .costs import KM
from .coverage import GAP, UNKNOWN, Coverage
from .errors import InputError
from .texts import texts

if TYPE_CHECKING:
    from .roads import RoadNetwork

log = logging.getLogger(__name__)

#: RFC 7946 section 11.2: six decimals are about 10 cm, more than district boundaries carry.
GEOJSON_DECIMALS = 6


def coverage_layer(districts: gpd.GeoDataFrame, coverage: Coverage) -> gpd.GeoDataFrame:
    """One feature per district with, per service with district data, its count, gap flag,
    nearest host and km (straight line), with --roads the minutes along the streets beside
    them (<S>_min), and where population is known its target population and people per centre.

    A service without any district data (only a total for the area) has no fields: they
    would be null in every feature, which a GIS reads as text. Where a service has data in
    part of the area only, its count, gap, nearest and km are null elsewhere.
    """
    table = coverage.table.set_index(["ubigeo", "service"])
    layer = districts[["ubigeo", "name", "province", "department"]].copy()
    for service in coverage.mapped():
        rows = table.xs(service, level="service").reindex(layer["ubigeo"])
        unknown = (rows["status"] == UNKNOWN).to_numpy()
        # .array keeps the nullable integer dtype: to_numpy() would turn a column with one
        # null into floats, and its counts into 3.0 beside another column's 3
        layer[f"{service}_count"] = rows["count"].array
        gap = rows["gap"] if "gap" in rows else [None if u else s == GAP for u, s in zip(unknown, rows["status"])]
        layer[f"{service}_gap"] = pd.array(gap, dtype="boolean")
        layer[f"{service}_nearest"] = rows["nearest_district"].to_numpy()
        layer[f"{service}_km"] = rows["nearest_km"].to_numpy()
        if coverage.unit != KM:  # the district's people's mean minutes to their nearest site
            layer[f"{service}_{coverage.unit}"] = rows[coverage.cost_columns["nearest_km"]].to_numpy()
        if "target_population" in rows:
            layer[f"{service}_people"] = rows["target_population"].array
            layer[f"{service}_per_centre"] = rows["people_per_centre"].array
        if "access" in rows:  # E2SFCA, sites per 100,000 target people; null without known sites
            layer[f"{service}_access"] = rows["access"].to_numpy()
            # as the map and the report read it; null where no site is within reach (access 0)
            layer[f"{service}_per_site"] = rows["people_per_site"].array
    return gpd.GeoDataFrame(layer, geometry=districts.geometry, crs=districts.crs)


def roads_date(roads: RoadNetwork, lang: str) -> str:
    """The day of the extract's header timestamp ("2025-06-01"), or words saying it has none."""
    return roads.timestamp[:10] if roads.timestamp else texts(lang)["roads_undated"]


def minutes_note(roads: RoadNetwork, lang: str) -> str:
    """What the minutes of a run with --roads are, as the files say beside them: the profile,
    the extract and its date, no public transport, and OpenStreetMap's attribution (ODbL)."""
    labels = texts(lang)
    return labels["roads_minutes_note"].format(profile=labels[f"profile_{roads.profile}"], file=roads.name,
                                               date=roads_date(roads, lang), attribution=labels["roads_attribution"])


def write_geojson(layer: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON per RFC 7946: lon/lat WGS 84, no crs member, exterior rings counter-clockwise,
    coordinates written with at most six decimals.

    The coordinates are formatted as text ("%.6f", trailing zeros dropped): GEOS's writer
    prints 17 significant digits, so rounded floats still came out as -11.572546000000001.
    A property that is null in every feature is left out (see known_columns).
    """
    geometry = layer.geometry.to_crs("EPSG:4326").to_numpy()
    geometry = shapely.orient_polygons(geometry, exterior_cw=False)
    properties = _json_properties(known_columns(layer.drop(columns=layer.geometry.name)))
    features = [
        '{"type": "Feature", "properties": %s, "geometry": %s}' % (json.dumps(props, ensure_ascii=False), geom)
        for props, geom in zip(properties, geojson_geometries(geometry))
    ]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def known_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """frame without the columns that are null in every row: GeoJSON carries no types, so a
    GIS reads such a column as text (say the nearest host of a service no district has)."""
    if frame.empty:
        return frame
    empty = [name for name, column in frame.items() if column.isna().all()]
    if empty:
        log.debug("GeoJSON: left out %d properties null in every feature: %s", len(empty), ", ".join(empty))
    return frame.drop(columns=empty)


def _json_properties(frame: pd.DataFrame) -> list[dict]:
    """One dict of JSON values per row: null for missing, and one JSON type per column
    (a nullable integer column gives integers only, never 123.0 beside 45)."""
    columns = {}
    for name, column in frame.items():
        values = column.to_numpy(dtype=object, na_value=None).tolist()
        if pd.api.types.is_integer_dtype(column.dtype):
            values = [None if v is None else int(v) for v in values]
        columns[name] = values
    return [dict(zip(columns, row)) for row in zip(*columns.values())] if columns else [{} for _ in range(len(frame))]


#: A formatted number's zeros after its last significant decimal (the point, if no decimal
#: is left, goes next: an optional "\.?" in this pattern makes it three times slower).
_TRAILING_ZEROS = re.compile(r"0+(?=[,\]])")
#: Names of the geometry types shapely.get_type_id gives, for the GeoJSON "type" member.
_TYPES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
          6: "MultiPolygon"}


def geojson_geometries(geometry: np.ndarray) -> list[str]:
    """Each geometry as GeoJSON text, coordinates with at most GEOJSON_DECIMALS decimals;
    "null" for a missing one.

    One printf template holds every geometry, one line each, so that all the coordinates
    are formatted in one operation and their trailing zeros dropped by one regular
    expression (the text holds no other number).
    """
    geometry = np.asarray(geometry, dtype=object)
    kinds = shapely.get_type_id(geometry)
    if (kinds == 7).any():
        msg = "GeoJSON output takes points, lines and polygons, not geometry collections."
        raise ValueError(msg)
    parts, part_of = shapely.get_parts(geometry, return_index=True)
    part_kinds = shapely.get_type_id(parts)
    polygonal = part_kinds == 3
    # a polygon is its rings; a point or a line is one sequence of coordinates
    rings_per_part = np.ones(len(parts), dtype=np.int64)
    polygon_rings, ring_of = shapely.get_rings(parts[polygonal], return_index=True)
    rings_per_part[polygonal] = np.bincount(ring_of, minlength=int(polygonal.sum()))
    sequences = np.empty(int(rings_per_part.sum()), dtype=object)
    first = np.cumsum(rings_per_part) - rings_per_part
    is_ring = np.ones(len(sequences), dtype=bool)
    is_ring[first[~polygonal]] = False
    sequences[is_ring] = polygon_rings  # get_rings keeps the order of parts and rings
    sequences[~is_ring] = parts[~polygonal]
    point = f"[%.{GEOJSON_DECIMALS}f,%.{GEOJSON_DECIMALS}f],"
    templates = ["[" + (point * n)[:-1] + "]" for n in shapely.get_num_coordinates(sequences).tolist()]
    part_templates, start = [], 0
    for kind, n in zip(part_kinds.tolist(), rings_per_part.tolist()):
        if kind == 3:
            part_templates.append("[" + ",".join(templates[start:start + n]) + "]")
        else:  # a point's coordinates are one position, not a list of them
            part_templates.append(templates[start][1:-1] if kind == 0 and templates[start] != "[]" else templates[start])
        start += n
    lines, start = [], 0
    for kind, n in zip(kinds.tolist(), np.bincount(part_of, minlength=len(geometry)).tolist()):
        if kind < 0:
            lines.append("null")
            continue
        members = part_templates[start:start + n]
        start += n
        body = "[" + ",".join(members) + "]" if kind in (4, 5, 6) else (members[0] if members else "[]")
        lines.append('{"type":"%s","coordinates":%s}' % (_TYPES[kind], body))
    coordinates = shapely.get_coordinates(sequences).ravel().tolist()
    text = _TRAILING_ZEROS.sub("", "\n".join(lines) % tuple(coordinates))
    return text.replace(".,", ",").replace(".]", "]").replace("[-0,", "[0,").replace(",-0]", ",0]").split("\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM so that Excel shows accents right; LF line ends for stable bytes."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_json(obj: object, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def check_out_folder(out: str | os.PathLike) -> None:
    """Refuse, before any work, an output folder that names a file or cannot be written.

    staged_outputs writes beside out (in its parent) and then into out; both are tried
    here by creating and removing a temporary folder, so permissions, read-only disks and
    a file on the way are all caught.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("error_out_is_file", out=out)
    parent = out.resolve().parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    if not existing.is_dir():
        raise InputError("error_out_below_file", out=out, file=existing)
    for folder in (existing, out) if out.is_dir() else (existing,):
        try:
            shutil.rmtree(tempfile.mkdtemp(prefix=".coverage-map-check-", dir=folder))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise InputError("error_out_not_writable", out=out, folder=folder, detail=reason) from exc


@contextlib.contextmanager
def staged_outputs(out: Path) -> Iterator[Path]:
    """A staging folder whose files replace those in out only if the block succeeds."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        out.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            target = out / item.name
            if item.is_dir() and target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
        log.debug("Wrote %s", out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
