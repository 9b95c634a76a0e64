"""The interactive coverage map: one self-contained HTML page, one layer per service.

The page makes no request outside itself: Leaflet is inlined from the installed
XStatic-Leaflet package (and, when the run has facilities with coordinates,
Leaflet.markercluster from XStatic-Leaflet-MarkerCluster), the district geometry is
embedded once as TopoJSON (borders simplified once, shared by neighbours, so no gaps or
overlaps appear), and every layer is
only a style over it. Data go in a JSON block that the page reads with JSON.parse and
writes into the page as text only, never as HTML.

A run on streets (--roads) speaks minutes: the popups, the legend and the sources say the
minutes, the profile and OpenStreetMap's credit, from map.js's blocks between "// roads{" and
"// }roads", which a run in straight lines does not get (its page stays as it was).
"""

from __future__ import annotations

import html
import json
import logging
import re
import warnings
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import topojson

from .accessibility import PER_SITE_DIGITS
from .classify import DEFAULT_CLASSES, check_scheme, classify, palette
from .coverage import FILE_DECIMALS, GAP, PRESENT, UNKNOWN, significant
from .districts import normalize_name
from .errors import InputError
from .formatting import area_title, cite_origin, cost, credit, number, number_range, percent, plural, separators
from .formatting import km as km_text
from .phrases import population_basis, side_by_side, travelled
from .projection import CENSUS_YEAR
from .proposals import map_layer as proposal_layer
from .provenance import run_date
from .scales import METROPOLITAN, MUNICIPAL
from .styles import css_variables, page_styles
from .texts import texts

if TYPE_CHECKING:
    from .model import Analysis

log = logging.getLogger(__name__)

#: Douglas-Peucker tolerance in degrees (about 11 m): invisible at district scale.
SIMPLIFY_DEGREES = 1e-4
#: Quantisation grid: 1e5 steps over the study area's extent, finer than 5 decimals.
QUANTIZATION = 1e5
#: Context districts are drawn light and small: a coarser tolerance (about 55 m) is enough.
CONTEXT_SIMPLIFY_DEGREES = 5e-4
#: The basemap the page offers behind its switch when the run names none (off until asked).
DEFAULT_BASEMAP = "OpenStreetMap.Mapnik"
STATUS_CODES = {PRESENT: "p", GAP: "g", UNKNOWN: "u"}
#: The status code of a district without the seat of a metropolitan service: served from
#: the seat, not a gap (scales.apply_scales records it as gap False).
SERVED = "s"
CLUSTER_CSS = ("MarkerCluster.css", "MarkerCluster.Default.css")
SUMMARY_KEYS = ("hosts", "gaps", "unknown", "listed_total", "declared_total", "target_population", "unserved_population")
#: The texts the page's script reads (map.js: T.key); the template reads the whole catalogue.
MAP_TEXTS = (
    "ubigeo", "gap", "legend_unknown", "nearest", "target_people", "people_per_centre", "address", "phone",
    "unit_district", "unit_districts", "measure_count", "measure_rate", "hosts", "gaps", "listed",
    "declared_by_source", "known", "in_lima", "no_breakdown", "unserved_people", "confidential", "source",
    "role_boundaries", "role_population", "no_geometry", "basemap", "show", "site", "sites", "no_match",
    "legend_open", "legend_close", "outside_area", "district_aria_present", "district_aria_gap",
    "district_aria_unknown", "printed_on", "layers", "summary_present", "summary_unknown", "legend", "no_data_services", "context_districts",
    # the access view, the metropolitan seat and the image of the view
    "measure_access", "access_label", "access_counts_only", "rate_counts_only", "legend_served", "served_from_seat", "district_aria_served",
    "summary_metropolitan", "gap_outline", "image_file", "image_on", "image_basemap",
    # Leaflet's own controls, in the page's language
    "zoom_in", "zoom_out", "close_popup",
    # when the run was made, on paper and in the image
    "run_on",
)
#: map.js's lines for a run on streets, whole lines between two marks: left out of the page
#: of a run in straight lines.
ROADS_BLOCKS = re.compile(r"^[ \t]*// roads\{\n.*?^[ \t]*// \}roads\n", re.M | re.S)
#: The tables the build writes beside the page, for its download menu (text key, file).
DOWNLOADS = (
    ("download_csv", "coverage.csv"),
    ("download_xlsx", "coverage.xlsx"),
    ("download_geojson", "coverage.geojson"),
    ("download_gpkg", "coverage.gpkg"),
)

def write_map(
    analysis: Analysis,
    folder: Path,
    *,
    lang: str = "es",
    scheme: str = "quantiles",
    breaks: tuple[float, ...] | None = None,
    basemap: str | None = None,
) -> Path:
    """Write map.html and index.html (a redirect to it) into folder."""
    page = render_map(analysis, lang=lang, scheme=scheme, breaks=breaks, basemap=basemap)
    path = Path(folder) / "map.html"
    path.write_text(page, encoding="utf-8")
    title = texts(lang)["map_title"].format(area=area_title(analysis.area, lang))
    (Path(folder) / "index.html").write_text(_index_page(title, lang), encoding="utf-8")
    log.debug("Wrote the map (%d layers, %.0f kB)", len(analysis.coverage.summary), len(page.encode()) / 1000)
    return path


def render_map(
    analysis: Analysis,
    *,
    lang: str = "es",
    scheme: str = "quantiles",
    breaks: tuple[float, ...] | None = None,
    basemap: str | None = None,
) -> str:
    """The map page as one HTML string."""
    check_scheme(scheme, breaks)
    data = map_data(analysis, lang=lang, scheme=scheme, breaks=breaks, basemap=basemap)
    leaflet = files("xstatic.pkg.leaflet") / "data"
    assets = files("coverage_map") / "assets"
    cluster = files("xstatic.pkg.leaflet_markercluster") / "data"
    markers = any("sites" in layer for layer in data["layers"].values())
    return _template().render(
        lang=lang,
        title=data["title"],
        labels=texts(lang),
        leaflet_css=_offline_leaflet_css(leaflet.joinpath("leaflet.css").read_text(encoding="utf-8")),
        leaflet_js=_strip_source_map(leaflet.joinpath("leaflet.js").read_text(encoding="utf-8")),
        cluster_css="\n".join(cluster.joinpath(n).read_text(encoding="utf-8") for n in CLUSTER_CSS) if markers else "",
        cluster_js=_strip_source_map(cluster.joinpath("leaflet.markercluster.js").read_text(encoding="utf-8")) if markers else "",
        status_css=css_variables(),
        map_css=assets.joinpath("map.css").read_text(encoding="utf-8"),
        map_js=_script(assets.joinpath("map.js").read_text(encoding="utf-8"), roads="roads" in data),
        data_json=script_json(data),
        downloads=[(texts(lang)[key], name) for key, name in DOWNLOADS],
    )


def _script(js: str, *, roads: bool) -> str:
    """The page's script: with its blocks for streets (ROADS_BLOCKS) only on a run on streets."""
    return js if roads else ROADS_BLOCKS.sub("", js)


def script_json(obj: object) -> str:
    """JSON safe inside a <script> block: "</" cannot close it, "<!--" cannot open a comment."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def map_data(
    analysis: Analysis,
    *,
    lang: str,
    scheme: str = "quantiles",
    breaks: tuple[float, ...] | None = None,
    basemap: str | None = None,
) -> dict:
    """Everything the page shows, as plain JSON-ready values."""
    districts = analysis.districts.to_crs(4326)  # the simplification tolerance is in degrees
    drawn = districts[~(districts.geometry.isna() | districts.geometry.is_empty)]
    catalogue = analysis.catalogue.services
    services = list(analysis.coverage.summary.index)
    layers = {code: _layer(analysis, code, lang=lang, scheme=scheme, breaks=breaks) for code in services}
    groups: dict[str, dict] = {}
    for code in services:
        row = catalogue.loc[code]
        group = groups.setdefault(row["program"], {"program": row["program"], "name": row[f"program_name_{lang}"], "layers": []})
        group["layers"].append(code)
    data = {
        "lang": lang,
        "title": texts(lang)["map_title"].format(area=area_title(analysis.area, lang)),
        "run_date": run_date(analysis, lang),  # in Lima's time
        "labels": {key: texts(lang)[key] for key in MAP_TEXTS},
        "format": separators(lang),
        "styles": page_styles(),
        "districts": _district_list(districts),
        "without_geometry": sorted(set(districts["name"]) - set(drawn["name"])),
        "topology": topology(drawn),
        "groups": list(groups.values()),
        "layers": layers,
        "default_layer": default_layer(analysis),
        "boundaries": _boundary_credit(analysis, lang),
        "population": _population_credit(analysis, lang),
        "people_labels": _people_labels(analysis, lang),
        "basemap": basemap_tiles(basemap or DEFAULT_BASEMAP) | {"on": basemap is not None},
        "context": _context(analysis),
        "names": _search_names(analysis),
        "proposals": proposal_layer(analysis, lang),  # build --plan: proposals.py, map.js showProposals
    }
    if analysis.roads is not None:
        data["roads"] = _roads(analysis, lang)
    return data


def _roads(analysis: Analysis, lang: str) -> dict:
    """The words of a run on streets for the page's script (map.js roadsCost, renderLegend):
    the popups' lines, with {district}, {minutes} and {km} for the script to fill, the sources'
    lines (the extract and its date) and OpenStreetMap's credit, shown on the map itself."""
    text, roads = texts(lang), analysis.roads
    profile = travelled(analysis.roads, lang)
    date = roads.timestamp[:10] if roads.timestamp else None
    extract = (text["map_roads_source"].format(file=roads.name, date=date) if date
               else text["map_roads_source_undated"].format(file=roads.name))
    return {
        "nearest": text["map_roads_nearest"].format(district="{district}", minutes="{minutes}", profile=profile),
        "host": text["map_roads_host"].format(minutes="{minutes}", profile=profile),
        "straight": text["map_roads_straight"],
        "unreached": text["map_roads_unreached"],
        "attribution": text["roads_attribution"],
        "sources": [extract, text["roads_attribution"]],
    }


def _radius(analysis: Analysis, code: str, lang: str) -> str:
    """A service's catchment in the run's unit: '10 km', or '60 min a pie por las calles'."""
    scale = analysis.scales[code]
    if analysis.roads is None:
        return km_text(scale.catchment_km, lang)
    minutes = cost(scale.catchment(analysis.unit), analysis.unit, lang)
    return texts(lang)["map_roads_within"].format(minutes=minutes, profile=travelled(analysis.roads, lang))


def _roads_view(analysis: Analysis, code: str, rows: pd.DataFrame, lang: str) -> dict:
    """A layer's minutes on streets: each district's people's mean minutes to their nearest
    site, whole as every output writes them (formatting.cost), and the legend's line on how
    they were measured; {} for a run in straight lines."""
    if analysis.roads is None:
        return {}
    text = texts(lang)
    inputs = analysis.inputs
    speeds = (text["map_roads_speeds_file"].format(file=Path(inputs.speeds).name) if inputs.speeds is not None
              else {"walk": text["map_roads_speeds_walk"], "drive": text["map_roads_speeds_drive"]}[analysis.roads.profile])
    catchment = cost(analysis.scales[code].catchment(analysis.unit), analysis.unit, lang)
    column = analysis.coverage.cost_columns["nearest_km"]
    return {
        "min": [None if pd.isna(m) else round(float(m)) for m in rows[column]],
        "roads_note": text["map_roads_legend"].format(profile=travelled(analysis.roads, lang), speeds=speeds, minutes=catchment),
    }


def default_layer(analysis: Analysis) -> str:
    """The layer a first visit opens: of the services with gaps, the most widespread (in
    Lima, CIAM: present almost everywhere, so its two gaps stand out); else the first with
    district data."""
    summary = analysis.coverage.summary
    with_gaps = summary[summary["gaps"] > 0]
    if len(with_gaps):
        return str(with_gaps["hosts"].idxmax())
    known = summary.index[summary["unknown"] < summary["districts"]]
    return str(known[0] if len(known) else summary.index[0])


def _context(analysis: Analysis) -> dict | None:
    """The boundary file's districts around the area (Analysis.context; with the default
    boundaries and Lima, Callao's seven): light, unlabelled-by-data context drawn under the
    area. None when the file has none."""
    context = analysis.context
    if context.empty:
        return None
    points = context.geometry.representative_point()
    return {
        "topology": topology(context, simplify=CONTEXT_SIMPLIFY_DEGREES),
        "names": [{"name": n, "point": [round(p.y, 5), round(p.x, 5)]} for n, p in zip(context["name"], points) if n],
    }


def _search_names(analysis: Analysis) -> dict:
    """What the search knows besides official names: the gazetteer's variants of the area's
    districts (old names, "Cercado de Lima", SJL), and the districts it knows outside the
    area, so that "Callao" can say where it is instead of "no match"."""
    gazetteer = analysis.gazetteer
    position = {u: i for i, u in enumerate(analysis.districts["ubigeo"])}
    variants = gazetteer.variants
    inside = [[v, position[u]] for u, v in zip(variants["ubigeo"], variants["variant"]) if u in position]
    known = {normalize_name(n) for n in analysis.districts["name"]} | {normalize_name(v) for v, _ in inside}
    outside: dict[str, list[str]] = {}
    for ubigeo, name in zip(gazetteer.districts["ubigeo"], gazetteer.districts["name"]):
        if ubigeo not in position and normalize_name(name) not in known:
            outside.setdefault(name, [name])
    for ubigeo, variant in zip(variants["ubigeo"], variants["variant"]):
        if ubigeo not in position and ubigeo in gazetteer and normalize_name(variant) not in known:
            outside.setdefault(gazetteer.name(ubigeo), [gazetteer.name(ubigeo)]).append(variant)
    return {"variants": inside, "outside": [keys for keys in outside.values()]}


def _district_list(districts: gpd.GeoDataFrame) -> list[dict]:
    """Ubigeo, name and a label point inside each district (none without geometry)."""
    points = districts.geometry.representative_point()
    return [
        {"ubigeo": u, "name": n, "point": None if p is None or p.is_empty else [round(p.y, 5), round(p.x, 5)]}
        for u, n, p in zip(districts["ubigeo"], districts["name"], points)
    ]


def topology(districts: gpd.GeoDataFrame, *, simplify: float = SIMPLIFY_DEGREES) -> dict:
    """TopoJSON of the districts: shared borders simplified once, coordinates quantised."""
    frame = districts[["ubigeo", "geometry"]].reset_index(drop=True)
    topo = topojson.Topology(frame, prequantize=QUANTIZATION, toposimplify=simplify, topology=True)
    data = topo.to_dict()
    transform = data["transform"]
    data["transform"] = {key: [float(v) for v in transform[key]] for key in ("scale", "translate")}
    data["bbox"] = [round(float(v), 5) for v in data["bbox"]]
    for geometry in data["objects"]["data"]["geometries"]:
        geometry.pop("id", None)  # the ubigeo in properties identifies each district
    return data


def _layer(analysis: Analysis, code: str, *, lang: str, scheme: str, breaks: tuple[float, ...] | None) -> dict:
    """One service: per-district status, count, class, nearest host; legend and sources."""
    rows = analysis.coverage.table[analysis.coverage.table["service"] == code].set_index("ubigeo")
    rows = rows.reindex(analysis.districts["ubigeo"])
    present = rows["status"] == PRESENT
    position = {u: i for i, u in enumerate(analysis.districts["ubigeo"])}
    service = analysis.catalogue.services.loc[code]
    summary = analysis.coverage.summary.loc[code]
    layer = {
        "code": code,
        "name": service[f"name_{lang}"],
        "acronym": service["acronym"],
        "confidential": bool(service["confidential"]),
        "status": _status_codes(rows),
        "scale": analysis.scales[code].kind,
        "count": [_int_or_none(c) for c in rows["count"]],
        "nearest": [position.get(n) if isinstance(n, str) else None for n in rows["nearest_ubigeo"]],
        "km": [None if pd.isna(k) else round(float(k), FILE_DECIMALS["table"]["nearest_km"]) for k in rows["nearest_km"]],
        **_classed(rows["count"].where(present), "", lang=lang, scheme=scheme, breaks=breaks, unit="centre"),
        "summary": {key: _int_or_none(summary[key]) for key in SUMMARY_KEYS if key in summary},
        # where a user's file replaced the summary's listing, both sources, each named
        "side_by_side": side_by_side(analysis, code, lang),
        "declared_detail": None if side_by_side(analysis, code, lang) else _declared_detail(analysis.declared, code, lang),
        "scale_note": _scale_note(analysis, code, lang),
        "source": cite_origin(analysis.origin(code), lang),
    }
    if analysis.population is not None:
        # Explicit breaks are for counts; rates keep the scheme.
        layer |= _classed(rows["people_per_centre"].where(present), "rate_", lang=lang, scheme=scheme, breaks=None,
                          unit="per_centre", measure="rate")
        layer["population"] = [_int_or_none(v) for v in rows["target_population"]]
        if "census_population" in rows:  # a projected year: the census year's people beside
            layer["census_population"] = [_int_or_none(v) for v in rows["census_population"]]
        layer["per_centre"] = [_int_or_none(v) for v in rows["people_per_centre"]]
        if pd.notna(summary.get("served_share")):
            layer["summary"]["served_share"] = round(float(summary["served_share"]), FILE_DECIMALS["summary"]["served_share"])
    layer |= _access_view(analysis, code, rows, lang=lang, scheme=scheme)
    sites = _sites(analysis, code, position, lang)
    if sites:
        layer["sites"] = sites
    layer |= _roads_view(analysis, code, rows, lang)
    if 0 < len(layer["classes"]) < DEFAULT_CLASSES and breaks is None:
        log.debug("%s: %d class(es), as its counts take only as many values", code, len(layer["classes"]))
    return layer


def _sites(analysis: Analysis, code: str, position: dict[str, int], lang: str) -> list[dict]:
    """The service's facilities, for its markers: name, address and phone as given, and the
    index of their district. One without a usable point (none given, or judged wrong) is
    drawn where the measures place it, at its district's point, with a note saying so. None
    at all for a confidential service."""
    if analysis.facilities is None or analysis.catalogue.services.at[code, "confidential"]:
        return []
    points = analysis.facilities.points
    own = points[points["service"] == code]
    approximate = (own["lat"].isna() | own["lon"].isna()).to_numpy()
    at = own[["lon", "lat"]].to_numpy(float)
    at[approximate] = analysis.costs.district_lonlat(own["ubigeo"])[approximate]
    sites = []
    for (lon, lat), row, rough in zip(at, own.itertuples(), approximate):
        site = {"lat": round(float(lat), 6), "lon": round(float(lon), 6), "name": _text(row.name),
                "address": _text(row.address), "phone": _text(row.phone), "district": position.get(row.ubigeo)}
        if rough:
            given = getattr(row, "given_lat", np.nan), getattr(row, "given_lon", np.nan)
            site["note"] = (texts(lang)["site_approximate_given"].format(lat=f"{given[0]:.6f}", lon=f"{given[1]:.6f}")
                            if not np.isnan(given).any() else texts(lang)["site_approximate"])
        sites.append(site)
    return [site for site in sites if not (np.isnan(site["lat"]) or np.isnan(site["lon"]))]


def _text(value) -> str:
    return "" if pd.isna(value) else str(value).strip()


def _status_codes(rows: pd.DataFrame) -> str:
    """One letter per district: p present, g gap, u unknown, and s where a metropolitan
    service is absent but, by its scale, no gap: served from its seat."""
    codes = rows["status"].map(STATUS_CODES)
    if "gap" in rows:  # scales.apply_scales: False where an absent service is no gap
        codes[(rows["status"] == GAP) & rows["gap"].eq(False).fillna(False).astype(bool)] = SERVED
    return "".join(codes)


def _classed(values: pd.Series, prefix: str, *, lang: str, scheme: str, breaks: tuple[float, ...] | None,
             unit: str = "centre", measure: str = "count") -> dict:
    """Class of each district (None where values is NA) and the legend's classes, their
    bounds written as the report writes numbers, with their unit ("2–3 centros"), in the
    palette of measure (styles.PALETTES)."""
    known = values.dropna()
    classes = classify(known.astype(int).to_list(), scheme=scheme, breaks=breaks)
    class_of = dict(zip(known.index, classes.index))
    colours = palette(len(classes.colors), measure)
    return {
        f"{prefix}class": [class_of.get(u) for u in values.index],
        f"{prefix}classes": [
            {"label": _with_unit(lower, upper, unit, lang), "color": color, "districts": n}
            for lower, upper, color, n in zip(classes.lower, classes.upper, colours, classes.counts())
        ],
    }


def _access_view(analysis: Analysis, code: str, rows: pd.DataFrame, *, lang: str, scheme: str) -> dict:
    """The access view of a network or metropolitan service: each district's access across
    district lines (E2SFCA) read as target people per site within reach, its class and the
    legend's classes, more people per site darker, and a last, darkest class for the districts
    no site reaches ("no site within 10 km"); {} for a municipal service or where access was
    not measured."""
    scale = analysis.scales[code]
    if scale.kind == MUNICIPAL or code not in analysis.coverage.access_measured:
        return {}
    text, access, per_site = texts(lang), rows["access"], rows["people_per_site"]
    reached = per_site.dropna().astype(float)
    classes = classify(reached.to_list(), scheme=scheme)
    unreached = int((access == 0).sum())
    unit = text["unit_access"]
    # bounds to the figures' own three digits: "117 000–678 000", not "117 000–678 400", "678 401–..."
    labels = [f"{number_range(significant(lo, PER_SITE_DIGITS), significant(hi, PER_SITE_DIGITS), lang)} {unit}" for lo, hi in zip(classes.lower, classes.upper)]
    labels += [text["access_unreached"].format(km=_radius(analysis, code, lang))] if unreached else []
    counts = classes.counts() + ([unreached] if unreached else [])
    class_of = dict(zip(reached.index, (int(i) for i in classes.index)))
    return {
        "per_site": [_int_or_none(v) for v in per_site],
        "access_class": [len(classes.lower) if v == 0 else class_of.get(u) for u, v in access.items()],
        "access_classes": [{"label": label, "color": colour, "districts": n}
                           for label, colour, n in zip(labels, palette(len(labels), "access"), counts)],
        "access_unit": unit,
        "access_unreached": text["access_unreached"].format(km=_radius(analysis, code, lang)),
    }


def _with_unit(lower: float, upper: float, unit: str, lang: str) -> str:
    """'1 centro', '2–3 centros', '65 389 personas por centro'."""
    text = texts(lang)
    if unit == "centre":
        return f"{number_range(lower, upper, lang)} {plural(int(upper), text['unit_centre'], text['unit_centres'])}"
    return f"{number_range(lower, upper, lang)} {text['unit_per_centre']}"


def _int_or_none(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _scale_note(analysis: Analysis, code: str, lang: str) -> str:
    """The legend's line on what the layer measures by its scale: a network's access, or a
    metropolitan service's one seat for the whole area ('' for a municipal one)."""
    scale = analysis.scales[code]
    if scale.kind == MUNICIPAL:
        return ""
    text, summary = texts(lang), analysis.coverage.summary.loc[code]
    measured = code in analysis.coverage.access_measured
    share = percent(100 * summary["share_within"], lang, 1) if measured else ""
    radius = _radius(analysis, code, lang)
    if analysis.roads is None:
        reach = text["legend_reach"].format(share=share, km=radius)
    else:
        reach = text["legend_reach_roads"].format(share=share, minutes=cost(scale.catchment(analysis.unit), analysis.unit, lang),
                                                  profile=travelled(analysis.roads, lang))
    if scale.kind == METROPOLITAN:
        return text["legend_metropolitan"] + (" " + reach if measured else "")
    return text["legend_network"].format(km=radius) + (" " + reach if measured else "")


def _declared_detail(declared: pd.DataFrame, code: str, lang: str) -> str | None:
    if code not in declared.index:
        return None
    return declared.at[code, f"detail_{lang}"] or None


def _boundary_credit(analysis: Analysis, lang: str) -> str:
    """The boundary source's attribution, or the file name of a user's boundaries."""
    if analysis.boundary_source is None:
        return Path(analysis.boundary.path).name
    return credit(analysis.boundary_source, lang)


def _population_credit(analysis: Analysis, lang: str) -> str | None:
    """Which year the target population is of, how it was made and where it comes from, or None
    when the run has no population."""
    population = analysis.file("population")
    if population is None:
        return None
    if population.source is None:
        return population.path.name
    return "; ".join([population_basis(analysis, lang), *(credit(f.source, lang) for f in analysis.population_files())])


def _people_labels(analysis: Analysis, lang: str) -> dict | None:
    """The popup's labels of a projected year's people and of the census year's, or None."""
    if not analysis.population_projected:
        return None
    text = texts(lang)
    return {"year": text["target_people_year"].format(year=analysis.population_year),
            "census": text["target_people_census"].format(census=CENSUS_YEAR)}


def basemap_tiles(name: str) -> dict:
    """Tile URL, attribution and zoom range of an xyzservices provider (e.g. CartoDB.Positron)."""
    import xyzservices.providers as providers

    try:
        provider = providers.query_name(name)
    except ValueError:
        raise InputError("error_unknown_basemap", name=repr(name)) from None
    if provider.requires_token():
        raise InputError("error_basemap_needs_key", name=repr(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some providers warn about their terms on every URL
        url = provider.build_url()
    return {
        "name": name,
        "url": url,
        "attribution": provider.get("attribution", name),
        "max_zoom": int(provider.get("max_zoom", 19)),
    }


def _strip_source_map(js: str) -> str:
    # A sourceMappingURL would make developer tools fetch a file that is not there.
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)


def _offline_leaflet_css(css: str) -> str:
    # The page's markers are CSS dots and its layer control its own, so Leaflet's images would only
    # be requests for files that are not there; its comments cite bug-tracker URLs.
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"url\([^)]*\)", "none", css)


@cache
def _template() -> jinja2.Template:
    text = (files("coverage_map") / "templates" / "map.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(text)


def _index_page(title: str, lang: str) -> str:
    """A page that opens map.html, keeping any #SERVICE of the address."""
    title = html.escape(title)
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>\n'
        '<meta http-equiv="refresh" content="0; url=map.html">\n'
        "<script>location.replace('map.html' + location.hash)</script></head>\n"
        f'<body><a href="map.html">{title}</a></body></html>\n'
    )
