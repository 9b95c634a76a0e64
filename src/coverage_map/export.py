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
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .coverage import GAP, UNKNOWN, Coverage
from .errors import InputError

log = logging.getLogger(__name__)

#: RFC 7946 section 11.2: six decimals are about 10 cm, more than district boundaries carry.
GEOJSON_DECIMALS = 6


def coverage_layer(districts: gpd.GeoDataFrame, coverage: Coverage) -> gpd.GeoDataFrame:
    """One feature per district with, per service, its count, gap flag, nearest host and km,
    and where population is known its target population and people per centre.

    Where a service has no district data, count, gap, nearest and km are null.
    """
    table = coverage.table.set_index(["ubigeo", "service"])
    layer = districts[["ubigeo", "name", "province", "department"]].copy()
    for service in coverage.summary.index:
        rows = table.xs(service, level="service").reindex(layer["ubigeo"])
        unknown = (rows["status"] == UNKNOWN).to_numpy()
        layer[f"{service}_count"] = rows["count"].to_numpy()
        layer[f"{service}_gap"] = pd.array(
            [None if u else s == GAP for u, s in zip(unknown, rows["status"])], dtype="boolean"
        )
        layer[f"{service}_nearest"] = rows["nearest_district"].to_numpy()
        layer[f"{service}_km"] = rows["nearest_km"].to_numpy()
        if "target_population" in rows:
            layer[f"{service}_people"] = rows["target_population"].to_numpy()
            layer[f"{service}_per_centre"] = rows["people_per_centre"].to_numpy()
    return gpd.GeoDataFrame(layer, geometry=districts.geometry, crs=districts.crs)


def write_geojson(layer: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON per RFC 7946: lon/lat WGS 84, no crs member, exterior rings counter-clockwise.

    Written with shapely rather than GDAL: same result, a quarter of the time.
    """
    geometry = layer.geometry.to_crs("EPSG:4326").to_numpy()
    geometry = shapely.orient_polygons(geometry, exterior_cw=False)
    geometry = shapely.transform(geometry, lambda xy: np.round(xy, GEOJSON_DECIMALS))
    properties = layer.drop(columns=layer.geometry.name).astype(object)
    properties = properties.where(properties.notna(), None).to_dict(orient="records")
    features = [
        '{"type": "Feature", "properties": %s, "geometry": %s}'
        % (json.dumps(props, ensure_ascii=False), "null" if geom is None else shapely.to_geojson(geom))
        for props, geom in zip(properties, geometry)
    ]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


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
        msg = f"--out {out} is a file, not a folder. Give a folder for the outputs (it is created if missing)."
        raise InputError(msg)
    parent = out.resolve().parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    if not existing.is_dir():
        msg = f"--out {out} cannot be created: {existing} is a file, not a folder. Give another folder for the outputs."
        raise InputError(msg)
    for folder in (existing, out) if out.is_dir() else (existing,):
        try:
            shutil.rmtree(tempfile.mkdtemp(prefix=".coverage-map-check-", dir=folder))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            msg = f"--out {out}: cannot write in {folder} ({reason}). Give a folder you can write to."
            raise InputError(msg) from exc


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
        log.info("Wrote %s", out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
