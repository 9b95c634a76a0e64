"""Streets from an OpenStreetMap extract: a directed graph of travel minutes, where people live
on it, and where sites meet it.

- read_roads: the ways a profile may use, clipped to a box, as a RoadNetwork (nodes in
  lon/lat, a sparse matrix of minutes from row to column, the same matrix in metres), cached
  by the file's sha256, the profile, the box and the speeds;
- snap: the nearest street node of each point, and how far it is;
- demand_points: each district's people spread over its street nodes.

Profiles. ``walk``: every way a person may walk, both directions, at one speed; never a
motorway unless foot=yes; foot=no, access=no and access=private keep people off.
``drive``: the road classes a car may use, at a speed per class for Lima's daytime traffic;
one-way streets (oneway=yes/true/1, oneway=-1, junction=roundabout, motorways) are driven in
their direction only. Speeds and their reasons are in data/road_speeds.csv; a table of the
same columns overrides them. A way's maxspeed is not read: in Lima's traffic the posted limit
says little about the speed people travel at.

Not modelled: public transport (buses, the Metropolitano, the metro, colectivos), turn
restrictions and delays at crossings, traffic by hour. Minutes are along streets at the
profile's speeds, nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from array import array
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from .errors import MESSAGE_ITEMS, InputError
from .sources import sha256_of
from .tables import _one_line, file_named, read_csv
from .texts import in_languages, listed

log = logging.getLogger(__name__)

PROFILES = ("walk", "drive")
#: A site farther than this from every street node is flagged: its minutes start from a node
#: a person would not reach by walking straight there (a block in Lima is about 100 m).
SNAP_LIMIT_M = 500.0
#: A metre of residential street (residential, living_street) holds this many times the
#: people of a metre of any other street: homes face local streets more than avenues.
RESIDENTIAL_WEIGHT = 2.0
RESIDENTIAL = ("residential", "living_street")
#: People are measured from one demand point per district and square of this side (metres):
#: minutes inside a square differ by a few on foot, and Lima's streets then give some
#: 10,000 points, few enough for the plan's models.
DEMAND_CELL_M = 500.0
SPEED_COLUMNS = ("profile", "highway", "kmh", "reason")
#: Changes whenever the cached arrays change meaning; part of every cache key.
CACHE_FORMAT = 1
EARTH_RADIUS_M = 6_371_008.8

_YES = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}
_NOT_ONEWAY = {"no", "false", "0"}
_ON_FOOT = {"yes", "designated", "permissive"}
_CLOSED = {"no", "private"}
_CLOSED_TO_CARS = {"no", "private", "agricultural", "forestry"}
_MOTORWAYS = {"motorway", "motorway_link"}
#: libosmium's coordinate of a node the file does not hold (osmium::Location's undefined value).
_UNDEFINED = 2**31 - 1


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """The streets of one profile inside a box: node i is at lonlat[i]."""

    #: Longitude and latitude of each node (degrees, WGS 84).
    lonlat: np.ndarray
    #: Minutes to travel each street segment: row = from node, column = to node.
    minutes: sparse.csr_matrix
    #: Metres of the same segments (same rows, columns and order as minutes).
    metres: sparse.csr_matrix
    #: Half the metres of every street segment that meets each node: the street "around" it.
    street_m: np.ndarray
    #: The part of street_m on residential streets (RESIDENTIAL).
    residential_m: np.ndarray
    #: The extract's file name, sha256 and header timestamp (None when its header has none).
    name: str
    sha256: str
    timestamp: str | None
    profile: str
    #: (min_lon, min_lat, max_lon, max_lat) the streets were clipped to.
    bbox: tuple[float, float, float, float]
    #: Whether this network was read from the cache rather than parsed from the file.
    cached: bool = False

    def __len__(self) -> int:
        return len(self.lonlat)

    @cached_property
    def toward(self) -> sparse.csr_matrix:
        """The minutes matrix transposed: a search from a site on it follows streets toward the site."""
        return self.minutes.T.tocsr()

    @cached_property
    def _projection(self):
        from pyproj import Transformer

        zone = int(((self.bbox[0] + self.bbox[2]) / 2 + 180) // 6) + 1
        return Transformer.from_crs("EPSG:4326", f"EPSG:{32700 + zone}", always_xy=True)

    def xy(self, lonlat: np.ndarray) -> np.ndarray:
        """lon/lat points in metres, in the WGS 84 / UTM zone (south) at the box's centre."""
        lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        return np.column_stack(self._projection.transform(lonlat[:, 0], lonlat[:, 1]))

    @cached_property
    def _tree(self):
        from scipy.spatial import cKDTree

        return cKDTree(self.xy(self.lonlat))


# --- Speeds


def road_speeds(speeds: Path | None = None) -> pd.DataFrame:
    """The speed table (profile, highway, kmh, reason): data/road_speeds.csv, with the rows of
    the table at speeds (same columns) replacing those of the same profile and highway."""
    with files("coverage_map.data").joinpath("road_speeds.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype={"profile": str, "highway": str, "reason": str})
    if speeds is not None:
        table = pd.concat([table, _users_speeds(Path(speeds))], ignore_index=True)
    return table.drop_duplicates(["profile", "highway"], keep="last").reset_index(drop=True)


def _users_speeds(path: Path) -> pd.DataFrame:
    table = read_csv(path, what="speeds", option="--speeds")
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in SPEED_COLUMNS[:3] if c not in table.columns]
    if missing:
        raise InputError("error_roads_speeds_columns", path=path, columns=listed(missing), **file_named("speeds"))
    table = table.assign(profile=table["profile"].str.strip().str.lower(), highway=table["highway"].str.strip(),
                         kmh=pd.to_numeric(table["kmh"].str.strip().str.replace(",", "."), errors="coerce"))
    bad = table[~table["profile"].isin(PROFILES) | ~(table["kmh"] > 0) | (table["highway"] == "")]
    if len(bad):
        rows = [in_languages("error_item_row", row=row + 2) for row in bad.index]
        raise InputError("error_roads_speeds_rows", path=path, rows=listed(rows, limit=MESSAGE_ITEMS),
                         profiles=listed(list(PROFILES), word="or"), **file_named("speeds"))
    if "reason" not in table.columns:
        table["reason"] = ""
    return table[list(SPEED_COLUMNS)]


def _profile_speeds(profile: str, speeds: Path | None) -> dict[str, float]:
    if profile not in PROFILES:
        raise InputError("error_roads_profile", profile=profile, profiles=listed(list(PROFILES), word="or"))
    table = road_speeds(speeds)
    table = table[table["profile"] == profile]
    return dict(zip(table["highway"], table["kmh"].astype(float)))


def reach_box(districts: gpd.GeoDataFrame, minutes: float, *, profile: str,
              speeds: Path | None = None) -> tuple[float, float, float, float]:
    """The box (min_lon, min_lat, max_lon, max_lat) of the districts widened by the farthest
    minutes reach at the profile's fastest speed: every street a trip within them may use."""
    margin_m = minutes / 60 * max(_profile_speeds(profile, speeds).values()) * 1000
    min_lon, min_lat, max_lon, max_lat = districts.to_crs("EPSG:4326").total_bounds
    lat_m = np.pi * EARTH_RADIUS_M / 180
    lon_m = lat_m * np.cos(np.radians(max(abs(min_lat), abs(max_lat))))
    return (float(min_lon - margin_m / lon_m), float(min_lat - margin_m / lat_m),
            float(max_lon + margin_m / lon_m), float(max_lat + margin_m / lat_m))


def _directions(profile: str, highway: str, tags) -> tuple[bool, bool]:
    """Whether the profile may travel a way forward and backward (in the order of its nodes)."""
    if profile == "walk":
        foot = tags.get("foot")
        if foot == "no" or (highway in _MOTORWAYS and foot not in _ON_FOOT):
            return False, False
        if tags.get("access") in _CLOSED and foot not in _ON_FOOT:
            return False, False
        return True, True
    car = tags.get("motorcar") or tags.get("motor_vehicle") or tags.get("vehicle") or tags.get("access")
    if car in _CLOSED_TO_CARS:
        return False, False
    oneway = tags.get("oneway")
    if oneway in _YES:
        return True, False
    if oneway in _REVERSE:
        return False, True
    if oneway not in _NOT_ONEWAY and (tags.get("junction") in ("roundabout", "circular") or highway in _MOTORWAYS):
        return True, False
    return True, True


# --- Reading


def read_roads(path: Path, *, profile: str, bbox: tuple[float, float, float, float], speeds: Path | None = None,
               cache: Path | None = None) -> RoadNetwork:
    """The streets of an OpenStreetMap extract (.osm.pbf, .osm) that profile may use, clipped
    to bbox (min_lon, min_lat, max_lon, max_lat), with speeds from road_speeds(speeds).

    With cache (a folder), the network is kept there as .npz under a key of the file's
    sha256, the profile, the box and the speeds, and read from there the next time.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("error_file_not_found", path=path, option="--roads", **file_named("roads"))
    if not path.is_file():
        raise InputError("error_file_is_folder", path=path, option="--roads", **file_named("roads"))
    bbox = tuple(round(float(v), 7) for v in bbox)
    kmh = _profile_speeds(profile, speeds)
    sha256 = sha256_of(path)
    cached = None
    if cache is not None:
        key = json.dumps([CACHE_FORMAT, sha256, profile, bbox, sorted(kmh.items())])
        cached = Path(cache) / f"roads-{sha256[:16]}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
        network = _load(cached, path.name)
        if network is not None:
            log.debug("Read %d street nodes of %s (%s) from the cache %s", len(network), path.name, profile, cached)
            return network
    network = _parse(path, profile=profile, bbox=bbox, kmh=kmh, sha256=sha256)
    log.debug("Read %d street nodes and %d segments of %s (%s)", len(network), network.minutes.nnz, path.name, profile)
    if cached is not None:
        _save(network, cached)
    return network


def _parse(path: Path, *, profile: str, bbox: tuple, kmh: dict[str, float], sha256: str) -> RoadNetwork:
    import osmium

    try:
        processor = (osmium.FileProcessor(str(path)).with_locations()
                     .with_filter(osmium.filter.KeyFilter("highway").enable_for(osmium.osm.WAY))
                     .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)))
        header = processor.header
        box = header.box()
        if box.valid():  # a box in the header: a file of elsewhere is refused before it is read
            extent = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
            if not _overlap(extent, bbox):
                raise _elsewhere(path, extent, bbox)
        timestamp = header.get("osmosis_replication_timestamp") or header.get("timestamp") or None
        ways = _read_ways(processor, profile, kmh)
    except RuntimeError as exc:  # libosmium's word for a file it cannot read
        raise InputError("error_roads_not_osm", path=path, detail=_one_line(exc), **file_named("roads")) from exc
    network = _build(*ways, profile=profile, bbox=bbox, path=path)
    return RoadNetwork(**network, name=path.name, sha256=sha256, timestamp=timestamp, profile=profile, bbox=bbox)


def _read_ways(processor, profile: str, kmh: dict[str, float]):
    """Each usable way's node refs and locations (libosmium's integer coordinates), and per
    way its speed, directions and class (residential or not)."""
    refs, xs, ys = array("q"), array("q"), array("q")
    starts = array("q", [0])
    speed, forward, backward, residential = array("d"), array("b"), array("b"), array("b")
    for way in processor:
        tags = way.tags
        highway = tags.get("highway")
        if highway not in kmh:
            continue
        ahead, back = _directions(profile, highway, tags)
        if not (ahead or back):
            continue
        for node in way.nodes:
            refs.append(node.ref)
            location = node.location
            xs.append(location.x)
            ys.append(location.y)
        starts.append(len(refs))
        speed.append(kmh[highway])
        forward.append(ahead)
        backward.append(back)
        residential.append(highway in RESIDENTIAL)
    return tuple(np.array(a) for a in (refs, xs, ys, starts, speed, forward, backward, residential))


def _build(refs, xs, ys, starts, speed, forward, backward, residential, *, profile: str, bbox: tuple, path: Path) -> dict:
    """The graph of the ways' consecutive nodes inside bbox."""
    known = (xs != _UNDEFINED) & (ys != _UNDEFINED)
    if not known.any():  # no way of the profile's classes, or none of their nodes in the file
        raise InputError("error_roads_no_streets", path=path, profile=profile, **file_named("roads"))
    lon, lat = xs / 1e7, ys / 1e7
    inside = known & (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
    way = np.repeat(np.arange(len(speed)), np.diff(starts))
    # segment k joins positions k and k + 1 of the same way, both inside the box
    a = np.arange(len(refs) - 1)
    keep = (way[a] == way[a + 1]) & inside[a] & inside[a + 1] & (refs[a] != refs[a + 1])
    a = a[keep]
    if not len(a):
        raise _elsewhere(path, _extent(lon[known], lat[known]), bbox)
    log.debug("%d of %d way nodes inside the box; %d without a location", inside.sum(), len(refs), (~known).sum())
    ids, node = np.unique(refs[np.concatenate([a, a + 1])], return_inverse=True)
    node = node.reshape(2, -1)
    first = np.zeros(len(ids), dtype=np.int64)
    first[node.ravel()] = np.concatenate([a, a + 1])
    lonlat = np.column_stack([lon[first], lat[first]])
    metres = _haversine(lonlat[node[0]], lonlat[node[1]])
    seg_way = way[a]
    minutes = metres / (speed[seg_way] * 1000 / 60)
    street_m = np.bincount(node.ravel(), np.tile(metres / 2, 2), minlength=len(ids))
    on_residential = np.tile(np.where(residential[seg_way] == 1, metres / 2, 0.0), 2)
    residential_m = np.bincount(node.ravel(), on_residential, minlength=len(ids))
    ahead, back = forward[seg_way] == 1, backward[seg_way] == 1
    rows = np.concatenate([node[0][ahead], node[1][back]])
    cols = np.concatenate([node[1][ahead], node[0][back]])
    return {"lonlat": lonlat, **_matrices(rows, cols, np.concatenate([minutes[ahead], minutes[back]]),
                                          np.concatenate([metres[ahead], metres[back]]), len(ids)),
            "street_m": street_m, "residential_m": residential_m}


def _matrices(rows, cols, minutes, metres, n: int) -> dict[str, sparse.csr_matrix]:
    """minutes and metres as n x n CSR matrices, keeping the quickest of parallel segments
    (a sparse matrix would add them up)."""
    order = np.lexsort((minutes, cols, rows))
    rows, cols, minutes, metres = rows[order], cols[order], minutes[order], metres[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols = rows[first], cols[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return {name: sparse.csr_matrix((values[first], cols, indptr), shape=(n, n))
            for name, values in (("minutes", minutes), ("metres", metres))}


def _haversine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Metres along the earth's surface between lon/lat points a and b."""
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _extent(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def _elsewhere(path: Path, extent: tuple, bbox: tuple) -> InputError:
    """The error of a file whose streets (extent) lie outside the box, with the osmium command that cuts one."""
    def words(min_lon, min_lat, max_lon, max_lat) -> dict[str, str]:
        return in_languages("error_roads_box", min_lon=f"{min_lon:.3f}", min_lat=f"{min_lat:.3f}",
                            max_lon=f"{max_lon:.3f}", max_lat=f"{max_lat:.3f}")

    return InputError("error_roads_elsewhere", path=path, extent=words(*extent), area=words(*bbox),
                      bbox_arg=",".join(f"{v:g}" for v in bbox), **file_named("roads"))


# --- The cache


def _save(network: RoadNetwork, target: Path) -> None:
    """Write the network to target through a temporary file, so that a cut write leaves none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = {"name": network.name, "sha256": network.sha256, "timestamp": network.timestamp,
            "profile": network.profile, "bbox": list(network.bbox)}
    fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".npz.part")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, lonlat=network.lonlat, indptr=network.minutes.indptr, indices=network.minutes.indices,
                 minutes=network.minutes.data, metres=network.metres.data, street_m=network.street_m,
                 residential_m=network.residential_m, meta=np.array(json.dumps(meta)))
    os.replace(temporary, target)
    log.debug("Cached the road network in %s", target)


def _load(source: Path, name: str) -> RoadNetwork | None:
    """The network cached at source, or None when there is none or it cannot be read."""
    if not source.is_file():
        return None
    try:
        with np.load(source, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            n = len(z["lonlat"])
            matrix = {k: sparse.csr_matrix((z[k], z["indices"], z["indptr"]), shape=(n, n)) for k in ("minutes", "metres")}
            return RoadNetwork(lonlat=z["lonlat"], **matrix, street_m=z["street_m"], residential_m=z["residential_m"],
                               name=name, sha256=meta["sha256"], timestamp=meta["timestamp"], profile=meta["profile"],
                               bbox=tuple(meta["bbox"]), cached=True)
    except (OSError, ValueError, KeyError, io.UnsupportedOperation) as exc:
        log.warning("Ignoring the unreadable cached road network %s (%s)", source, exc)
        return None


# --- Where sites and people meet the streets


def snap(network: RoadNetwork, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest street node of each lon/lat point and its distance in metres (straight,
    in the box's UTM zone); a point farther than SNAP_LIMIT_M is for the caller to flag.
    A point with NaN coordinates gets node -1 and NaN metres."""
    xy = network.xy(lonlat)
    placed = ~np.isnan(xy).any(axis=1)
    node = np.full(len(xy), -1, dtype=np.int64)
    metres = np.full(len(xy), np.nan)
    if placed.any():
        metres[placed], node[placed] = network._tree.query(xy[placed])
    return node, metres


def demand_points(network: RoadNetwork, districts: gpd.GeoDataFrame, *,
                  residential_weight: float = RESIDENTIAL_WEIGHT, cell_m: float | None = DEMAND_CELL_M) -> pd.DataFrame:
    """Each district's share of its people at its demand points (ubigeo, node, share): the
    street nodes inside it, each holding a share in proportion to the street around it, a
    metre of residential street counting residential_weight times; the shares sum to 1 per
    district. With cell_m, the nodes of a district within one square of cell_m metres are
    one demand point, at the node of the most street, holding their shares together. A
    district without a street node inside it has no rows."""
    ubigeo, node = _nodes_inside(network, districts)
    weight = network.street_m + (residential_weight - 1) * network.residential_m
    points = pd.DataFrame({"ubigeo": ubigeo, "node": node, "weight": weight[node]})
    points = points[points["weight"] > 0]
    if cell_m:
        xy = np.floor(network.xy(network.lonlat[points["node"].to_numpy()]) / cell_m).astype(np.int64)
        points = points.assign(cx=xy[:, 0], cy=xy[:, 1])
        cell = ["ubigeo", "cx", "cy"]
        heaviest = points.sort_values(["weight", "node"], ascending=[False, True], kind="stable").drop_duplicates(cell)
        points = heaviest[[*cell, "node"]].merge(points.groupby(cell, as_index=False)["weight"].sum(), on=cell)
    points = points.sort_values(["ubigeo", "node"], kind="stable")
    points["share"] = points["weight"] / points.groupby("ubigeo")["weight"].transform("sum")
    return points[["ubigeo", "node", "share"]].reset_index(drop=True)


def _nodes_inside(network: RoadNetwork, districts: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The ubigeo of the district each street node lies in (on or inside its boundary), and the
    node; a node in none is left out, one on a shared border counts in the first district."""
    import shapely

    lon, lat = network.lonlat[:, 0], network.lonlat[:, 1]
    free = np.ones(len(network), dtype=bool)
    ubigeos, nodes = [], []
    for ubigeo, geometry in zip(districts["ubigeo"], districts.geometry.to_crs("EPSG:4326")):
        if geometry is None or geometry.is_empty:
            continue
        west, south, east, north = geometry.bounds
        candidates = np.flatnonzero(free & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
        shapely.prepare(geometry)
        inside = candidates[shapely.intersects_xy(geometry, lon[candidates], lat[candidates])]
        free[inside] = False
        ubigeos.append(np.full(len(inside), ubigeo, dtype=object))
        nodes.append(inside)
    if not nodes:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    return np.concatenate(ubigeos), np.concatenate(nodes)
