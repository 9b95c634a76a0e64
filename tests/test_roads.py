"""The street network: OpenStreetMap files written here with pyosmium, read by the real reader;
minutes checked by hand and against a shortest-path search written here."""

from __future__ import annotations

import hashlib
import heapq
import logging
import math

import geopandas as gpd
import numpy as np
import osmium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from osmium.osm.mutable import Node, Way
from shapely.geometry import box as rectangle

from coverage_map.errors import InputError
from coverage_map.roads import EARTH_RADIUS_M, SNAP_LIMIT_M, demand_points, read_roads, road_speeds, snap
from coverage_map.texts import TEXTS
from coverage_map.travel import minutes_to, nearest_minutes

LON0, LAT0, STEP = -77.05, -12.05, 0.001
BBOX = (-77.2, -12.3, -76.8, -11.8)
#: Metres of STEP degrees of latitude, and of longitude at latitude LAT0.
NORTH_M = EARTH_RADIUS_M * math.radians(STEP)
EAST_M = 2 * EARTH_RADIUS_M * math.asin(math.cos(math.radians(LAT0)) * math.sin(math.radians(STEP) / 2))
WALK_M_PER_MIN = 4.8 * 1000 / 60


def write_osm(path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]], *, box=None,
              timestamp=None):
    """An OpenStreetMap file of nodes (id: lon, lat) and ways (node ids, tags), with a header box and timestamp."""
    header = osmium.io.Header()
    if box is not None:
        header.add_box(osmium.osm.Box(osmium.osm.Location(box[0], box[1]), osmium.osm.Location(box[2], box[3])))
    if timestamp is not None:
        header.set("osmosis_replication_timestamp", timestamp)
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for node_id, lonlat in sorted(nodes.items()):
            writer.add_node(Node(id=node_id, location=lonlat))
        for way_id, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    return path


def grid(rows: int, cols: int, *, first_id: int = 1, lon0: float = LON0, lat0: float = LAT0):
    """Node ids (rows x cols, row 0 to the south) STEP degrees apart, and their points."""
    ids = np.arange(rows * cols).reshape(rows, cols) + first_id
    points = {int(ids[r, c]): (lon0 + c * STEP, lat0 + r * STEP) for r in range(rows) for c in range(cols)}
    return ids, points


def streets(ids, tags=None, *, skip=()) -> list:
    """A two-node way between every pair of neighbours of a grid, but the pairs in skip."""
    tags = tags or {"highway": "residential"}
    ways = []
    for r in range(ids.shape[0]):
        for c in range(ids.shape[1]):
            for r2, c2 in ((r, c + 1), (r + 1, c)):
                if r2 < ids.shape[0] and c2 < ids.shape[1] and ((r, c), (r2, c2)) not in skip:
                    ways.append(([int(ids[r, c]), int(ids[r2, c2])], tags))
    return ways


def node_of(network, lonlat) -> int:
    node, metres = snap(network, np.array([lonlat]))
    assert metres[0] < 0.01
    return int(node[0])


def test_a_grid_gives_its_minutes_by_hand(tmp_path):
    ids, points = grid(4, 4)
    path = write_osm(tmp_path / "grid.osm.pbf", points, streets(ids), box=BBOX, timestamp="2025-06-01T00:00:00Z")
    network = read_roads(path, profile="walk", bbox=BBOX)
    assert len(network) == 16 and network.minutes.nnz == 2 * 24
    assert (network.name, network.profile, network.timestamp) == ("grid.osm.pbf", "walk", "2025-06-01T00:00:00Z")
    assert network.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    corner, far, east = (node_of(network, points[int(ids[p])]) for p in ((0, 0), (3, 3), (0, 1)))
    assert network.metres[corner, east] == pytest.approx(EAST_M, rel=1e-6)
    minutes = minutes_to(network, np.array([far, east, corner]), np.array([corner]))
    assert minutes[:, 0] == pytest.approx([(3 * NORTH_M + 3 * EAST_M) / WALK_M_PER_MIN, EAST_M / WALK_M_PER_MIN, 0])
    nearest, site = nearest_minutes(network, np.array([far, east]), np.array([corner, far]))
    assert nearest == pytest.approx([0, EAST_M / WALK_M_PER_MIN]) and list(site) == [1, 0]


def test_xml_reads_as_pbf_and_a_node_missing_from_the_file_drops_its_segments(tmp_path):
    ids, points = grid(3, 3)
    pbf = read_roads(write_osm(tmp_path / "grid.osm.pbf", points, streets(ids)), profile="walk", bbox=BBOX)
    xml = read_roads(write_osm(tmp_path / "grid.osm", points, streets(ids)), profile="walk", bbox=BBOX)
    assert np.array_equal(pbf.lonlat, xml.lonlat) and (pbf.minutes != xml.minutes).nnz == 0
    centre = int(ids[1, 1])
    cut = read_roads(write_osm(tmp_path / "cut.osm.pbf", {k: v for k, v in points.items() if k != centre},
                               streets(ids)), profile="walk", bbox=BBOX)
    assert len(cut) == 8 and cut.minutes.nnz == 2 * (12 - 4)


def test_a_limit_cuts_the_search(tmp_path):
    ids, points = grid(1, 5)
    network = read_roads(write_osm(tmp_path / "line.osm.pbf", points, streets(ids)), profile="walk", bbox=BBOX)
    nodes = np.array([node_of(network, points[int(i)]) for i in ids[0]])
    block = EAST_M / WALK_M_PER_MIN
    minutes = minutes_to(network, nodes, nodes[:1], limit=2.5 * block)[:, 0]
    assert minutes == pytest.approx([0, block, 2 * block, np.inf, np.inf])


def test_a_wall_with_one_bridge_puts_the_far_side_farther_and_leaves_the_near_side(tmp_path):
    # Columns 0-2 are the near side, 3-5 the far side; the wall between columns 2 and 3 has
    # one bridge, on row 0. The site is on the near side, at row 3, column 0.
    ids, points = grid(4, 6)
    wall = {((r, 2), (r, 3)) for r in range(1, 4)}
    open_city = read_roads(write_osm(tmp_path / "open.osm.pbf", points, streets(ids)), profile="walk", bbox=BBOX)
    walled = read_roads(write_osm(tmp_path / "wall.osm.pbf", points, streets(ids, skip=wall)), profile="walk", bbox=BBOX)
    assert np.array_equal(open_city.lonlat, walled.lonlat)
    everyone = np.arange(len(open_city))
    site = np.array([node_of(open_city, points[int(ids[3, 0])])])
    before, after = minutes_to(open_city, everyone, site)[:, 0], minutes_to(walled, everyone, site)[:, 0]
    far_side = open_city.lonlat[:, 0] > LON0 + 2.5 * STEP
    on_bridge_row = open_city.lonlat[:, 1] < LAT0 + 0.5 * STEP  # reached across the bridge before too
    assert after[~far_side] == pytest.approx(before[~far_side])
    assert after[far_side & on_bridge_row] == pytest.approx(before[far_side & on_bridge_row])
    assert (after[far_side & ~on_bridge_row] > before[far_side & ~on_bridge_row] + 1).all()
    bridge_end_row3 = node_of(open_city, points[int(ids[3, 3])])
    # from row 3 beyond the wall: down to the bridge, across, up to the site (3 + 3 + 3 blocks)
    assert after[bridge_end_row3] == pytest.approx((6 * NORTH_M + 3 * EAST_M) / WALK_M_PER_MIN)


def test_an_island_without_a_bridge_is_unreachable(tmp_path):
    land_ids, land = grid(3, 3)
    island_ids, island = grid(2, 2, first_id=100, lon0=LON0 + 0.02)
    path = write_osm(tmp_path / "island.osm.pbf", land | island, streets(land_ids) + streets(island_ids))
    network = read_roads(path, profile="walk", bbox=BBOX)
    on_island = network.lonlat[:, 0] > LON0 + 0.01
    site = np.array([node_of(network, land[int(land_ids[1, 1])])])
    minutes = minutes_to(network, np.arange(len(network)), site)[:, 0]
    assert np.isinf(minutes[on_island]).all() and np.isfinite(minutes[~on_island]).all()
    nearest, which = nearest_minutes(network, np.arange(len(network)), site)
    assert np.isinf(nearest[on_island]).all() and (which[on_island] == -1).all() and (which[~on_island] == 0).all()


@pytest.mark.parametrize(("tags", "forward", "backward"), [
    ({"highway": "residential", "oneway": "yes"}, True, False),
    ({"highway": "residential", "oneway": "true"}, True, False),
    ({"highway": "residential", "oneway": "1"}, True, False),
    ({"highway": "residential", "oneway": "-1"}, False, True),
    ({"highway": "residential", "junction": "roundabout"}, True, False),
    ({"highway": "motorway"}, True, False),
    ({"highway": "motorway", "oneway": "no"}, True, True),
    ({"highway": "residential"}, True, True),
])
def test_a_one_way_street_is_driven_one_way_and_walked_both(tmp_path, tags, forward, backward):
    ids, points = grid(1, 2)
    path = write_osm(tmp_path / "oneway.osm.pbf", points, [([int(ids[0, 0]), int(ids[0, 1])], tags)])
    drive = read_roads(path, profile="drive", bbox=BBOX)
    west, east = node_of(drive, points[int(ids[0, 0])]), node_of(drive, points[int(ids[0, 1])])
    minutes = minutes_to(drive, np.array([west, east]), np.array([east, west]))
    assert (np.isfinite(minutes[0, 0]), np.isfinite(minutes[1, 1])) == (forward, backward)
    if tags["highway"] != "motorway":
        walk = read_roads(path, profile="walk", bbox=BBOX)
        assert np.isfinite(minutes_to(walk, np.array([0, 1]), np.array([1, 0]))).all()


def test_drive_speeds_differ_by_class_and_a_table_overrides_them(tmp_path):
    # Two streets of the same length from a shared west end: a primary road and a residential one.
    points = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0, LAT0 + STEP)}
    path = write_osm(tmp_path / "classes.osm.pbf", points, [([1, 2], {"highway": "primary"}),
                                                              ([1, 3], {"highway": "residential"})])
    speeds = road_speeds().set_index(["profile", "highway"])["kmh"]
    network = read_roads(path, profile="drive", bbox=BBOX)
    west, east, north = (node_of(network, points[i]) for i in (1, 2, 3))
    primary, residential = network.minutes[west, east], network.minutes[west, north]
    assert primary == pytest.approx(EAST_M / (speeds["drive", "primary"] * 1000 / 60))
    assert residential == pytest.approx(NORTH_M / (speeds["drive", "residential"] * 1000 / 60))
    assert primary < residential
    walk = read_roads(path, profile="walk", bbox=BBOX)
    assert walk.minutes[west, east] == pytest.approx(EAST_M / WALK_M_PER_MIN)
    faster = tmp_path / "speeds.csv"
    faster.write_text("profile,highway,kmh,reason\ndrive,residential,60,a test\n", encoding="utf-8")
    overridden = read_roads(path, profile="drive", bbox=BBOX, speeds=faster)
    assert overridden.minutes[west, north] == pytest.approx(NORTH_M / 1000)  # 60 km/h: a km a minute
    assert overridden.minutes[west, north] < overridden.minutes[west, east]


@pytest.mark.parametrize(("tags", "walk", "drive"), [
    ({"highway": "motorway"}, False, True),
    ({"highway": "motorway", "foot": "yes"}, True, True),
    ({"highway": "trunk"}, True, True),
    ({"highway": "trunk", "foot": "no"}, False, True),
    ({"highway": "footway"}, True, False),
    ({"highway": "steps"}, True, False),
    ({"highway": "residential", "access": "private"}, False, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True, False),
    ({"highway": "residential", "motor_vehicle": "no"}, True, False),
    ({"highway": "construction"}, False, False),
])
def test_each_profile_takes_the_ways_it_may_use(tmp_path, tags, walk, drive):
    points = {1: (LON0, LAT0), 2: (LON0 + STEP, LAT0), 3: (LON0, LAT0 + STEP)}
    path = write_osm(tmp_path / "access.osm.pbf", points, [([1, 3], {"highway": "tertiary"}), ([1, 2], tags)])
    for profile, usable in (("walk", walk), ("drive", drive)):
        assert len(read_roads(path, profile=profile, bbox=BBOX)) == (3 if usable else 2), profile


def test_the_box_clips_the_streets(tmp_path):
    ids, points = grid(1, 6)
    path = write_osm(tmp_path / "long.osm.pbf", points, [([int(i) for i in ids[0]], {"highway": "residential"})])
    network = read_roads(path, profile="walk", bbox=(LON0 - 0.01, LAT0 - 0.01, LON0 + 2.5 * STEP, LAT0 + 0.01))
    assert len(network) == 3 and network.minutes.nnz == 4


def _refused(path, key, **options):
    with pytest.raises(InputError) as caught:
        read_roads(path, **{"profile": "walk", "bbox": BBOX} | options)
    assert caught.value.key == key
    for lang in ("es", "en"):
        line = caught.value.text(lang)
        assert "\n" not in line and str(path) in line
        assert line.split(str(path))[1].startswith(TEXTS[lang][key].split("{path}")[1].split("{")[0])
    return caught.value


def test_a_file_that_is_not_openstreetmap_is_refused(tmp_path):
    (tmp_path / "lima.osm.pbf").write_text('{"type": "FeatureCollection", "features": []}')
    assert "PBF error" in str(_refused(tmp_path / "lima.osm.pbf", "error_roads_not_osm"))
    (tmp_path / "lima.osm").write_text("not xml at all")
    _refused(tmp_path / "lima.osm", "error_roads_not_osm")
    (tmp_path / "lima.geojson").write_text("{}")
    assert "osmium extract" in _refused(tmp_path / "lima.geojson", "error_roads_not_osm").text("es")


def test_a_file_without_streets_is_refused(tmp_path):
    ids, points = grid(2, 2)
    buildings = [([int(i) for i in ids.ravel()] + [int(ids[0, 0])], {"building": "yes"})]
    _refused(write_osm(tmp_path / "buildings.osm.pbf", points, buildings), "error_roads_no_streets")
    footways = write_osm(tmp_path / "footways.osm.pbf", points, streets(ids, {"highway": "footway"}))
    _refused(footways, "error_roads_no_streets", profile="drive")


def test_a_file_of_elsewhere_is_refused(tmp_path):
    ids, points = grid(2, 2, lon0=-71.5, lat0=-16.4)  # Arequipa
    arequipa = (-71.6, -16.5, -71.4, -16.3)
    with_box = write_osm(tmp_path / "arequipa.osm.pbf", points, streets(ids), box=arequipa)
    assert "-71.600" in _refused(with_box, "error_roads_elsewhere").text("en")
    without_box = write_osm(tmp_path / "arequipa-nobox.osm.pbf", points, streets(ids))
    assert "osmium extract --bbox -77.2,-12.3,-76.8,-11.8" in _refused(without_box, "error_roads_elsewhere").text("es")


def test_a_missing_file_an_unknown_profile_and_bad_speeds_are_refused(tmp_path):
    _refused(tmp_path / "nowhere.osm.pbf", "error_file_not_found")
    ids, points = grid(2, 2)
    path = write_osm(tmp_path / "grid.osm.pbf", points, streets(ids))
    with pytest.raises(InputError) as caught:
        read_roads(path, profile="bus", bbox=BBOX)
    assert caught.value.key == "error_roads_profile" and "walk or drive" in str(caught.value)
    speeds = tmp_path / "speeds.csv"
    speeds.write_text("perfil,clase,kmh\nwalk,footway,5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_roads(path, profile="walk", bbox=BBOX, speeds=speeds)
    assert caught.value.key == "error_roads_speeds_columns" and "profile and highway" in str(caught.value)
    speeds.write_text("profile,highway,kmh,reason\nwalk,footway,0,no\nbus,primary,20,\ndrive,primary,fast,\n")
    with pytest.raises(InputError) as caught:
        read_roads(path, profile="walk", bbox=BBOX, speeds=speeds)
    assert caught.value.key == "error_roads_speeds_rows" and "row 2, row 3 and row 4" in str(caught.value)


def test_the_cache_is_written_once_and_read_the_second_time(tmp_path, caplog):
    ids, points = grid(3, 3)
    path = write_osm(tmp_path / "grid.osm.pbf", points, streets(ids), timestamp="2025-06-01T00:00:00Z")
    cache = tmp_path / "cache"
    with caplog.at_level(logging.DEBUG, logger="coverage_map.roads"):
        first = read_roads(path, profile="drive", bbox=BBOX, cache=cache)
        cached = list(cache.glob("roads-*.npz"))
        assert len(cached) == 1 and not any("from the cache" in m for m in caplog.messages)
        second = read_roads(path, profile="drive", bbox=BBOX, cache=cache)
        assert any("from the cache" in m for m in caplog.messages)
    for name in ("lonlat", "street_m", "residential_m"):
        assert np.array_equal(getattr(first, name), getattr(second, name))
    for name in ("minutes", "metres"):
        assert (getattr(first, name) != getattr(second, name)).nnz == 0
    assert (second.name, second.sha256, second.timestamp, second.profile, second.bbox) == (
        first.name, first.sha256, first.timestamp, first.profile, first.bbox)
    # another profile, box or file is another entry; a damaged entry is parsed again
    read_roads(path, profile="walk", bbox=BBOX, cache=cache)
    assert len(list(cache.glob("roads-*.npz"))) == 2
    cached[0].write_bytes(b"not a zip")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="coverage_map.roads"):
        again = read_roads(path, profile="drive", bbox=BBOX, cache=cache)
    assert len(again) == len(first) and not any("from the cache" in m for m in caplog.messages)
    assert read_roads(path, profile="drive", bbox=BBOX, cache=cache).minutes.nnz == first.minutes.nnz


def test_snapping_gives_the_nearest_node_and_its_distance(tmp_path):
    ids, points = grid(2, 2)
    network = read_roads(write_osm(tmp_path / "grid.osm.pbf", points, streets(ids)), profile="walk", bbox=BBOX)
    corner = points[int(ids[0, 0])]
    node, metres = snap(network, np.array([[corner[0], corner[1] - STEP], [np.nan, np.nan],
                                           [corner[0], corner[1] - 10 * STEP]]))
    assert node[0] == node_of(network, corner) and node[1] == -1
    # UTM measures on the ellipsoid, the streets' lengths on a sphere: 0.5 % apart at Lima's latitude
    assert metres[0] == pytest.approx(NORTH_M, rel=0.01) and np.isnan(metres[1])
    assert metres[2] > SNAP_LIMIT_M


def test_demand_points_spread_each_district_over_its_streets(tmp_path):
    # Two districts side by side; the west one has a residential street and a primary one of
    # the same length, the east one has none.
    points = {1: (LON0, LAT0), 2: (LON0, LAT0 + STEP), 3: (LON0 + 0.002, LAT0), 4: (LON0 + 0.002, LAT0 + STEP)}
    ways = [([1, 2], {"highway": "residential"}), ([3, 4], {"highway": "primary"})]
    network = read_roads(write_osm(tmp_path / "two.osm.pbf", points, ways), profile="walk", bbox=BBOX)
    districts = gpd.GeoDataFrame({"ubigeo": ["150101", "150102", "150103"]}, geometry=[
        rectangle(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.002),
        rectangle(LON0 + 0.0015, LAT0 - 0.001, LON0 + 0.003, LAT0 + 0.002),
        rectangle(LON0 + 0.01, LAT0, LON0 + 0.02, LAT0 + 0.01)], crs="EPSG:4326")
    points_of = demand_points(network, districts.to_crs("EPSG:32718"))
    assert list(points_of.columns) == ["ubigeo", "node", "share"]
    assert points_of.groupby("ubigeo")["share"].sum().to_dict() == pytest.approx({"150101": 1.0, "150102": 1.0})
    assert "150103" not in set(points_of["ubigeo"])
    # one district holding all four nodes: residential nodes hold twice the people of primary ones
    one = gpd.GeoDataFrame({"ubigeo": ["150101"]}, geometry=[
        rectangle(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.003, LAT0 + 0.002)], crs="EPSG:4326")
    whole = demand_points(network, one, cell_m=None)
    share = dict(zip(whole["node"], whole["share"]))
    residential = [node_of(network, points[i]) for i in (1, 2)]
    primary = [node_of(network, points[i]) for i in (3, 4)]
    assert [share[n] for n in residential] == pytest.approx([1 / 3, 1 / 3])
    assert [share[n] for n in primary] == pytest.approx([1 / 6, 1 / 6])
    # in squares of 10 km, the four nodes are one demand point, at a node of the most street
    cell = demand_points(network, one, cell_m=10_000)
    assert len(cell) == 1 and cell["share"].iloc[0] == pytest.approx(1.0)
    assert cell["node"].iloc[0] == min(residential)


# --- Differential: our searches against a Dijkstra written here, on random one-way streets


def reference_minutes(n: int, edges: list[tuple[int, int, float]], source: int) -> list[float]:
    """Minutes from source to every node along the directed edges (a textbook Dijkstra on a heap)."""
    out = [[] for _ in range(n)]
    for a, b, minutes in edges:
        out[a].append((b, minutes))
    best = [math.inf] * n
    best[source] = 0.0
    heap = [(0.0, source)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > best[a]:
            continue
        for b, minutes in out[a]:
            if d + minutes < best[b]:
                best[b] = d + minutes
                heapq.heappush(heap, (d + minutes, b))
    return best


def _metres(p, q) -> float:
    (lon1, lat1), (lon2, lat2) = (tuple(map(math.radians, x)) for x in (p, q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


one_way_streets = st.integers(3, 9).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=n, max_size=n, unique=True),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["primary", "residential"]))
             .filter(lambda e: e[0] != e[1]), min_size=1, max_size=3 * n),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
))


@settings(max_examples=60, deadline=None)
@given(one_way_streets)
def test_minutes_agree_with_an_independent_dijkstra(tmp_path_factory, drawn):
    cells, edges, site_ids = drawn
    points = {i + 1: (LON0 + x * STEP, LAT0 + y * STEP) for i, (x, y) in enumerate(cells)}
    ways = [([a + 1, b + 1], {"highway": kind, "oneway": "yes"}) for a, b, kind in edges]
    path = write_osm(tmp_path_factory.mktemp("random") / "random.osm.pbf", points, ways)
    network = read_roads(path, profile="drive", bbox=BBOX)
    kmh = road_speeds().set_index(["profile", "highway"])["kmh"]
    ours = {i: node_of(network, points[i + 1]) for i in range(len(cells)) if any(i in e[:2] for e in edges)}
    weighted = [(a, b, _metres(points[a + 1], points[b + 1]) / (kmh["drive", kind] * 1000 / 60)) for a, b, kind in edges]
    origins = sorted(ours)  # the nodes on a street
    sites = list(dict.fromkeys(origins[k % len(origins)] for k in site_ids))
    # minutes from each origin to each site, in the direction of the one-way streets
    expected = np.array([[reference_minutes(len(cells), weighted, o)[s] for s in sites] for o in origins])
    found = minutes_to(network, np.array([ours[o] for o in origins]), np.array([ours[s] for s in sites]))
    np.testing.assert_allclose(found, expected, rtol=1e-9)
    finite = expected[np.isfinite(expected)]
    limit = float(np.median(finite)) * (1 + 1e-9) if len(finite) else 1.0  # above the median, past rounding
    cut = minutes_to(network, np.array([ours[o] for o in origins]), np.array([ours[s] for s in sites]), limit=limit)
    np.testing.assert_allclose(cut, np.where(expected <= limit, expected, np.inf), rtol=1e-9)
    nearest, which = nearest_minutes(network, np.array([ours[o] for o in origins]), np.array([ours[s] for s in sites]))
    np.testing.assert_allclose(nearest, expected.min(axis=1), rtol=1e-9)
    reachable = np.isfinite(nearest)
    assert (which[~reachable] == -1).all()
    assert np.allclose(expected[np.flatnonzero(reachable), which[reachable]], nearest[reachable])
