"""Static choropleth maps (PNG) of each place-based service, for the written report.

All maps are drawn from one prepared frame: the districts are projected to their UTM zone and
their label points computed once (in the area's UTM zone), the district polygons are drawn once, and each service
only recolours them; the district names (haloed text, the slowest part) are rendered once
into a transparent layer laid over every map. No network, no basemap: an Agg canvas draws
from the geometry alone, which keeps the PNGs byte-identical run to run. The figure is a
plain matplotlib Figure on its own Agg canvas: pyplot's global backend is left alone.

A map is drawn once per distinct content: each PNG is kept in the cache folder under the
sha256 of everything it shows (geometry, names, statuses, texts) and of the code and
library versions that draw it; a later run with the same content copies the file, and
neither imports matplotlib nor projects the districts. Outputs stay byte-identical: a
cached file is the one drawn.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__
from .boundaries import metric_crs
from .coverage import GAP, PRESENT, UNKNOWN
from .formatting import cite_origin, credit, number
from .phrases import service_name, travelled
from .sources import cache_dir
from .styles import PROPOSAL, SERVED, SERVED_FROM_SEAT, STYLES
from .texts import texts

if TYPE_CHECKING:  # matplotlib is imported only when a map is drawn (0.5 s)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from .model import Analysis

log = logging.getLogger(__name__)

#: Style per status (styles.py), with a metropolitan service's districts without its seat
#: (served from it, no gap); "no data" is also hatched. Every district is outlined in white.
FIGURE_STYLES = {**STYLES, SERVED: SERVED_FROM_SEAT}
COLOURS = {status: style.fill for status, style in FIGURE_STYLES.items()}
EDGE = STYLES[PRESENT].line
#: Figure size in inches and resolution: an A4 column, readable printed; about 60 kB a map.
FIGSIZE = (7.0, 8.6)
DPI = 130
#: Colours kept in the palette PNG: the fills, greys and the anti-aliased edges of text.
PALETTE_COLOURS = 64


@dataclass(frozen=True)
class Layout:
    """Where the main map, the inset and the legend go in the figure (boxes: left, bottom, width, height)."""

    main: tuple[float, float, float, float]
    inset: tuple[float, float, float, float]
    legend_anchor: tuple[float, float]
    legend_columns: int


#: A tall area (Lima Metropolitana): the map on the left, the inset and legend on the right.
TALL = Layout(main=(0.02, 0.07, 0.62, 0.84), inset=(0.58, 0.10, 0.41, 0.62), legend_anchor=(0.62, 0.93), legend_columns=1)
#: A wide area (Arequipa): the map across the top, the inset below it, the legend in one row.
WIDE = Layout(main=(0.02, 0.43, 0.96, 0.48), inset=(0.18, 0.06, 0.64, 0.34), legend_anchor=(0.02, 0.945), legend_columns=3)
#: Margin around the small districts in the inset, as a share of their extent (on each side).
INSET_PADDING = 0.04
#: District names: font size (points) and characters per line, on the main map and in the inset.
LABEL_SIZE = {"main": 6.5, "inset": 6.0}
LABEL_WIDTH = {"main": 12, "inset": 9}
#: A name is written only on a district at least this many pixels across (on its map or inset).
MIN_LABEL_PX = 20
#: A district narrower than this on the main map (about 30 km² in Lima Metropolitana) has its name in an
#: inset of the centre instead, where names would otherwise overlap; "the centre" is within
#: this fraction of the area's extent from the smallest districts.
LABEL_PX = 50
CENTRE_FRACTION = 0.2
#: Characters per line of the source line under the map.
SOURCE_WIDTH = 125


class MapFrame:
    """Districts ready to draw: projected geometry, label points and which are small.

    Made cheaply from the districts (drawable rows only); the projection, simplification
    and label placement are computed on first use, so that maps found in the cache cost
    none of it.
    """

    def __init__(self, districts: gpd.GeoDataFrame):
        drawable = districts[~(districts.geometry.isna() | districts.geometry.is_empty)]
        self.source = drawable[["ubigeo", "name", drawable.geometry.name]]

    @cached_property
    def _prepared(self) -> tuple:
        projected = self.source.to_crs(metric_crs(self.source)).reset_index(drop=True)
        if projected.geometry.name != "geometry":
            projected = projected.rename_geometry("geometry")
        points = projected.geometry.representative_point()
        label_xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
        layout = _layout(projected)
        metres_per_px = _metres_per_pixel(projected, layout.main)
        small = _central_small(projected, label_xy, metres_per_px)
        named = _named(projected, small, metres_per_px, layout)
        # A sixth of a main-map pixel stays below a pixel in the inset too, and leaves about a
        # third of the vertices to fill on every map.
        projected["geometry"] = projected.geometry.simplify(metres_per_px / 6, preserve_topology=True)
        return projected, label_xy, small, layout, named

    @property
    def districts(self) -> gpd.GeoDataFrame:
        """ubigeo, name, geometry in the area's UTM zone (drawable rows only)."""
        return self._prepared[0]

    @property
    def label_xy(self) -> np.ndarray:
        """One (x, y) per row."""
        return self._prepared[1]

    @property
    def small(self) -> np.ndarray:
        """bool per row: labelled in the inset."""
        return self._prepared[2]

    @property
    def layout(self) -> Layout:
        return self._prepared[3]

    @property
    def named(self) -> np.ndarray:
        """bool per row: large enough for its name where it is labelled."""
        return self._prepared[4]

    def digest(self) -> hashlib._Hash:
        """sha256 of what every map of this frame draws, and of what draws it."""
        digest = hashlib.sha256()
        for part in (Path(__file__).read_bytes(), __version__, *(version(p) for p in DRAWING_PACKAGES),
                     str(self.source.crs), "\x1f".join(self.source["ubigeo"]), "\x1f".join(self.source["name"])):
            digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
            digest.update(b"\x1e")
        digest.update(b"".join(shapely.to_wkb(self.source.geometry.to_numpy(), byte_order=1)))
        return digest


#: The packages whose versions can change a map's pixels.
DRAWING_PACKAGES = ("matplotlib", "pillow", "pyproj", "shapely", "geopandas", "numpy")


def prepare_frame(districts: gpd.GeoDataFrame) -> MapFrame:
    """The districts to draw (those with a geometry), projected and labelled when first drawn."""
    return MapFrame(districts)


def _layout(projected: gpd.GeoDataFrame) -> Layout:
    """The wide layout for an area wider than tall, so that the inset does not cover the map."""
    x0, y0, x1, y1 = projected.total_bounds
    return WIDE if (x1 - x0) > (y1 - y0) else TALL


def _metres_per_pixel(projected: gpd.GeoDataFrame, box: tuple[float, ...] = TALL.main) -> float:
    """Scale of a map: the districts' extent fitted into its axes box."""
    x0, y0, x1, y1 = projected.total_bounds
    width_px = box[2] * FIGSIZE[0] * DPI
    height_px = box[3] * FIGSIZE[1] * DPI
    return max((x1 - x0) / width_px, (y1 - y0) / height_px, 1.0)


def _named(projected: gpd.GeoDataFrame, small: np.ndarray, metres_per_px: float, layout: Layout) -> np.ndarray:
    """Districts wide enough for a name on the map that shows them (the inset for the small):
    names of smaller ones would only overlap their neighbours'."""
    side = np.sqrt(projected.geometry.area.to_numpy())
    side_px = side / metres_per_px
    if small.any():
        x0, y0, x1, y1 = projected.geometry[small].total_bounds
        inset_scale = _metres_per_pixel(gpd.GeoSeries.from_xy([x0, x1], [y0, y1]), layout.inset) * (1 + 2 * INSET_PADDING)
        side_px = np.where(small, side / inset_scale, side_px)
    return side_px >= MIN_LABEL_PX


def _central_small(projected: gpd.GeoDataFrame, label_xy: np.ndarray, metres_per_px: float) -> np.ndarray:
    """Districts too small for their name on the main map, near the dense centre."""
    side_px = np.sqrt(projected.geometry.area.to_numpy()) / metres_per_px
    small = side_px < LABEL_PX
    if small.sum() < 3:
        return np.zeros(len(side_px), bool)
    centre = np.median(label_xy[small & (side_px <= np.median(side_px[small]))], axis=0)
    extent = max(np.ptp(label_xy[:, 0]), np.ptp(label_xy[:, 1]))
    near = np.hypot(*(label_xy - centre).T) < CENTRE_FRACTION * extent
    return small & near


@dataclass
class _Canvas:
    """One figure reused for every service: its district collections and legend slot."""

    figure: Figure
    axes: list[Axes]
    collections: list
    title: Text
    source: Text
    labels: list = field(default_factory=list)  # every district's name, on the map that shows it
    label_rows: np.ndarray | None = None  # the frame's row of each label
    label_boxes: np.ndarray | None = None  # each label's box in pixels: x0, y0, x1, y1
    named: np.ndarray | None = None  # bool per label: shown on every map (its district is large enough)
    labels_rgba: np.ndarray | None = None  # the named labels, drawn once
    legend: object = None
    overlays: list = field(default_factory=list)
    shown: list = field(default_factory=list)  # the labels on the map being drawn
    layers: dict = field(default_factory=dict)  # label layers drawn for a set of labels other than the named


def _draw_base(frame: MapFrame) -> _Canvas:
    """Draw the districts once, on a main map and (if any are small) an inset of the centre."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    main = figure.add_axes(frame.layout.main)
    axes = [main]
    if frame.small.any():
        axes.append(figure.add_axes(frame.layout.inset))
    collections, labels, rows = [], [], []
    for i, ax in enumerate(axes):
        frame.districts.plot(ax=ax, facecolor=COLOURS[UNKNOWN], edgecolor=EDGE, linewidth=0.6)
        collections.append(ax.collections[-1])
        ax.set_axis_off()
        ax.set_aspect("equal")
        # every district gets its name on the map that shows it (no inset: nothing is "small");
        # those too small for it are shown only where they are a gap
        labelled = frame.small if i == 1 else ~frame.small
        where = "inset" if i == 1 else "main"
        labels += _label(ax, frame, labelled, size=LABEL_SIZE[where], width=LABEL_WIDTH[where])
        rows += list(np.flatnonzero(labelled))
    if len(axes) > 1:
        _frame_inset(frame, main, axes[1])
    title = figure.text(0.02, 0.975, "", fontsize=12, fontweight="bold", va="top")
    source = figure.text(0.02, 0.015, "", fontsize=6.5, color="#444444", va="bottom")
    canvas = _Canvas(figure, axes, collections, title, source, labels)
    canvas.label_rows = np.array(rows, dtype=int)
    canvas.named = frame.named[canvas.label_rows] if len(rows) else np.zeros(0, bool)
    renderer = figure.canvas.get_renderer()
    canvas.label_boxes = np.array([label.get_window_extent(renderer).extents for label in labels]).reshape(-1, 4)
    canvas.labels_rgba = _render_labels(canvas, canvas.named)
    return canvas


def _shown_labels(canvas: _Canvas, status: np.ndarray) -> np.ndarray:
    """bool per label: the named districts and every gap, whatever its size; a name that
    would overlap a gap's is left out, never the gap's."""
    gap = status[canvas.label_rows] == GAP
    shown = canvas.named | gap
    boxes = canvas.label_boxes
    for g in np.flatnonzero(gap):
        x0, y0, x1, y1 = boxes[g]
        overlaps = (boxes[:, 0] < x1) & (x0 < boxes[:, 2]) & (boxes[:, 1] < y1) & (y0 < boxes[:, 3])
        shown &= ~(overlaps & ~gap)
    return shown


def _label_layer(canvas: _Canvas, status: np.ndarray) -> np.ndarray:
    """The label layer of a map: the one drawn once, unless its gaps change which names show."""
    shown = _shown_labels(canvas, status)
    canvas.shown = [label for label, on in zip(canvas.labels, shown) if on]
    if np.array_equal(shown, canvas.named):
        return canvas.labels_rgba
    key = shown.tobytes()
    if key not in canvas.layers:
        canvas.layers[key] = _render_labels(canvas, shown)
    return canvas.layers[key]


def _render(figure: Figure) -> np.ndarray:
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def _render_labels(canvas: _Canvas, shown: np.ndarray) -> np.ndarray:
    """The district names shown (bool per label) with their halos, alone on a transparent layer.

    Haloed text is drawn as paths, the slowest part of a map, and it is nearly the same on
    every map: it is drawn once here and laid over each service's fills (again only for a map
    whose gaps name districts too small for a name elsewhere).
    """
    hidden = [canvas.figure.patch, *canvas.collections, *canvas.overlays, *(ax.patch for ax in canvas.axes)]
    hidden += [spine for ax in canvas.axes for spine in ax.spines.values()] + [line for ax in canvas.axes for line in ax.lines]
    hidden += [canvas.title, canvas.source] + ([canvas.legend] if canvas.legend is not None else [])
    was = [artist.get_visible() for artist in hidden]
    for artist in hidden:
        artist.set_visible(False)
    for label, on in zip(canvas.labels, shown):
        label.set_visible(bool(on))
    layer = _render(canvas.figure)
    for artist, visible in zip(hidden, was):
        artist.set_visible(visible)
    for label in canvas.labels:
        label.set_visible(False)
    return layer


def _label(ax: Axes, frame: MapFrame, which: np.ndarray, *, size: float, width: int) -> list[Text]:
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    return [
        ax.text(x, y, _wrap(name, width), fontsize=size, ha="center", va="center", linespacing=0.9,
                path_effects=halo, color="#111111")
        for (x, y), name in zip(frame.label_xy[which], frame.districts["name"][which])
    ]


def _wrap(name: str, width: int) -> str:
    """Long names on two lines, split at the middle space, so they stay inside the district."""
    words = name.split()
    if len(name) <= width or len(words) < 2:
        return name
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(name) / 2))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


#: The title's right margin, as a share of the figure's width (its left one is 0.02).
TITLE_RIGHT = 0.98


def fit_title(title: Text, text: str) -> None:
    """Set title to text, wrapped at spaces onto as many lines as keep it inside the figure
    (OREDIS's long name was cut at the right edge), measured with the figure's renderer."""
    figure = title.get_figure()
    renderer = figure.canvas.get_renderer()
    room = figure.bbox.width * (TITLE_RIGHT - title.get_position()[0])
    title.set_text(text)
    width = len(text)
    while title.get_window_extent(renderer).width > room and width > 10:
        width = min(width - 1, int(width * room / title.get_window_extent(renderer).width))
        title.set_text(textwrap.fill(text, max(width, 10)))


def _frame_inset(frame: MapFrame, main: Axes, inset: Axes) -> None:
    """Zoom the inset on the small districts and outline its extent on the main map."""
    bounds = frame.districts.geometry[frame.small].total_bounds
    pad = INSET_PADDING * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    x0, y0, x1, y1 = bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad
    inset.set_xlim(x0, x1)
    inset.set_ylim(y0, y1)
    inset.set_axis_on()
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    for spine in inset.spines.values():
        spine.set_edgecolor("#555555")
    main.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color="#555555", linewidth=0.8)


def draw_service_maps(
    frame: MapFrame,
    statuses: dict[str, pd.Series],
    titles: dict[str, str],
    legend_labels: dict[str, str],
    sources: dict[str, str],
    folder: Path,
    *,
    cache: str | os.PathLike | None = None,
) -> dict[str, Path]:
    """One PNG per service in folder, named CODE.png; statuses map ubigeo to status.

    legend_labels gives the text of each status; sources the source line of each map.
    Maps whose content was drawn before are copied from the cache folder (cache, else
    $COVERAGE_MAP_CACHE, else the user cache folder), the others drawn and kept there.
    """
    folder.mkdir(parents=True, exist_ok=True)
    store = cache_dir(cache) / FIGURE_CACHE
    frame_digest = frame.digest()
    ubigeos = frame.source["ubigeo"]
    written, to_draw, legends = {}, {}, {}
    for service, status in statuses.items():
        status = status.reindex(ubigeos).fillna(UNKNOWN).to_numpy()
        legends[service] = _legend_labels(legend_labels, status)
        digest = frame_digest.copy()
        for part in ("\x1f".join(status), titles[service], sources[service], repr(sorted(legends[service].items()))):
            digest.update(part.encode("utf-8") + b"\x1e")
        written[service] = folder / f"{service}.png"
        cached = store / f"{digest.hexdigest()}.png"
        try:
            written[service].write_bytes(cached.read_bytes())
        except OSError:  # not drawn before (or the cache is unreadable)
            to_draw[service] = cached
    if to_draw:
        canvas = _draw_base(frame)  # a Figure without pyplot: garbage-collected, nothing to close
        for service, cached in to_draw.items():
            status = statuses[service].reindex(frame.districts["ubigeo"]).fillna(UNKNOWN).to_numpy()
            _recolour(canvas, frame, status)
            fit_title(canvas.title, titles[service])
            # Wrapped here: matplotlib's own wrap=True re-measures the text many times per draw.
            canvas.source.set_text(textwrap.fill(sources[service], SOURCE_WIDTH))
            _legend(canvas, legends[service], frame.layout)
            _save_png(canvas, written[service], _label_layer(canvas, status))
            _keep(written[service], cached)
        _prune(store)
    log.debug("Drew %d static maps, %d from the cache", len(to_draw), len(written) - len(to_draw))
    return written


#: The cache's sub-folder of drawn maps, and how many it keeps (about 60 kB each).
FIGURE_CACHE = "figures"
FIGURE_CACHE_SIZE = 500


def _keep(path: Path, cached: Path) -> None:
    """Copy a drawn map into the cache, whole or not at all. A cache that cannot be
    written only costs the next run a drawing."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".tmp", delete=False) as tmp:
            tmp.write(path.read_bytes())
        os.replace(tmp.name, cached)
    except OSError as exc:
        log.debug("Cannot keep %s in the cache: %s", path.name, exc)


def _prune(store: Path) -> None:
    """Drop the least recently drawn maps beyond FIGURE_CACHE_SIZE."""
    try:
        kept = sorted(store.glob("*.png"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-FIGURE_CACHE_SIZE]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("Cannot prune the map cache: %s", exc)


def _save_png(canvas: _Canvas, path: Path, labels: np.ndarray) -> None:
    """The service's fills with its label layer on top, as a palette PNG.

    A flat-coloured map needs few colours, and a quarter of the bytes matters once the
    images are embedded in the HTML. No metadata: the same inputs give the same bytes.
    """
    from PIL import Image  # a dependency of matplotlib

    fills = Image.fromarray(_render(canvas.figure), mode="RGBA")
    image = Image.alpha_composite(fills, Image.fromarray(labels, mode="RGBA")).convert("RGB")
    image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE).save(path, format="PNG")


def _recolour(canvas: _Canvas, frame: MapFrame, status: np.ndarray) -> None:
    """Refill the districts drawn once; hatch the "no data" ones only when some have data."""
    faces = [COLOURS[s] for s in status]
    for collection in canvas.collections:
        collection.set_facecolor(faces)
    for overlay in canvas.overlays:
        overlay.remove()
    canvas.overlays.clear()
    unknown = status == UNKNOWN
    if unknown.any() and not unknown.all():
        # A collection has one hatch, so the partly unknown case gets its own hatched layer.
        for ax in canvas.axes:
            frame.districts[unknown].plot(ax=ax, facecolor="none", edgecolor=STYLES[UNKNOWN].stripes,
                                          hatch=STYLES[UNKNOWN].hatch, linewidth=0)
            canvas.overlays.append(ax.collections[-1])
            ax.set_xlabel("")  # geopandas labels projected axes on every plot call
            ax.set_ylabel("")


def _legend_labels(labels: dict[str, str], status: np.ndarray) -> dict[str, str]:
    """The statuses a map's legend explains: present, gap and unknown even when absent from
    it; "served from the seat" only on a metropolitan service's map, which has no gap."""
    if SERVED in status:
        return {s: text for s, text in labels.items() if s != GAP}
    return {s: text for s, text in labels.items() if s != SERVED}


def _legend(canvas: _Canvas, labels: dict[str, str], layout: Layout = TALL) -> None:
    """Legend with the styles of labels, in its order."""
    if canvas.legend is not None:
        canvas.legend.remove()
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=style.fill, edgecolor=style.stripes if style.hatch else style.fill, hatch=style.hatch, label=label)
        for style, label in ((FIGURE_STYLES[s], label) for s, label in labels.items())
    ]
    canvas.legend = canvas.figure.legend(handles=handles, loc="upper left", bbox_to_anchor=layout.legend_anchor,
                                         ncols=layout.legend_columns, fontsize=8, frameon=False,
                                         handlelength=1.6, handleheight=1.2)


def draw_maps(analysis: Analysis, folder: Path, *, lang: str) -> dict[str, Path]:
    """One static map per service with district data, titled and sourced in lang."""
    text = texts(lang)
    mapped = analysis.coverage.mapped()
    table = analysis.coverage.table
    statuses = {code: _statuses(table[table["service"] == code].set_index("ubigeo")) for code in mapped}
    boundaries = (credit(analysis.boundary_source, lang, role="boundaries") if analysis.boundary_source
                  else Path(analysis.boundary.path).name)
    sources = {code: f"{text['source']}: {cite_origin(analysis.origin(code), lang)}. {boundaries}" for code in mapped}
    return draw_service_maps(
        prepare_frame(analysis.districts),
        statuses,
        {code: service_name(analysis.catalogue, code, lang) for code in mapped},
        {status: text[f"legend_{status}"] for status in (PRESENT, GAP, SERVED, UNKNOWN)},
        sources,
        folder,
        cache=analysis.inputs.cache,
    )


def _statuses(rows: pd.DataFrame) -> pd.Series:
    """Each district's status, "served" where a metropolitan service is absent but, by its
    scale, no gap (scales.apply_scales: gap False)."""
    served = (rows["status"] == GAP) & rows["gap"].eq(False).fillna(False).astype(bool)
    return rows["status"].mask(served, SERVED)


# --- the curve of gains of a proposal (build --plan) ----------------------------------------

#: Size of a gains chart (inches): two panels side by side, half the height of a map.
GAINS_FIGSIZE = (7.0, 3.1)


def draw_gains_charts(analysis: Analysis, folder: Path, *, lang: str) -> dict[str, Path]:
    """One PNG per plan of the run in folder (plan-CODE.png): its curve of gains from today
    to its N new sites, in the order of the proposal. Cached by content as the maps are."""
    from .proposals import CHART_NAME

    store = cache_dir(analysis.inputs.cache) / FIGURE_CACHE
    written = {}
    for plan in analysis.plans:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CHART_NAME.format(code=plan.service)
        content = _gains_content(plan, _cost_words(analysis, lang), lang)
        digest = hashlib.sha256(Path(__file__).read_bytes())
        for part in (__version__, *(version(p) for p in DRAWING_PACKAGES), repr(content)):
            digest.update(part.encode("utf-8") + b"\x1e")
        cached = store / f"{digest.hexdigest()}.png"
        try:
            path.write_bytes(cached.read_bytes())
        except OSError:  # not drawn before
            _draw_gains(content, path)
            _keep(path, cached)
        written[plan.service] = path
    return written


def _cost_words(analysis: Analysis, lang: str) -> tuple[str, int]:
    """The title of a gains chart's weighted cost in the run's unit, and the decimals of its axis:
    km in straight lines, minutes along the streets (with how they were travelled)."""
    text = texts(lang)
    if analysis.roads is None:
        return text["plan_chart_km"], 2
    profile = travelled(analysis.roads, lang)
    return text["plan_chart_min"].format(profile=profile), 1


def _gains_content(plan, cost_words: tuple[str, int], lang: str) -> dict:
    """What a gains chart shows, as plain values and texts (also the key of its cache); its
    weighted cost as cost_words says (_cost_words)."""
    from .plan_words import reach_text

    text = texts(lang)
    rows = plan.proposals
    return {
        "title": text["plan_gains"] + f": {plan.name}",
        "ticks": [text["plan_chart_before"], *(f"{r.rank}. {_wrap(r.district, 14)}" for r in rows.itertuples())],
        "covered": [plan.covered_before, *rows["covered_after"].astype(int)],
        "km": [plan.weighted_before, *rows[plan.weighted_column].astype(float)],
        "x_label": text["plan_chart_sites"],
        "covered_label": reach_text(plan, "plan_chart_covered", lang),
        "km_label": cost_words[0],
        "decimals": cost_words[1],
        "lang": lang,
    }


def _draw_gains(content: dict, path: Path) -> None:
    """Two panels: target people within the catchment, and the weighted km (or minutes), at 0..N sites."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=GAINS_FIGSIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    x = list(range(len(content["ticks"])))
    thousands = FuncFormatter(lambda v, _: number(v, content["lang"]))
    panels = figure.subplots(1, 2)
    for ax, key, label, colour in ((panels[0], "covered", content["covered_label"], STYLES[PRESENT].fill),
                                   (panels[1], "km", content["km_label"], "#444444")):
        ax.plot(x, content[key], color=colour, linewidth=1.6, zorder=1)
        ax.scatter(x[1:], content[key][1:], color=PROPOSAL, s=28, zorder=2)
        ax.scatter(x[:1], content[key][:1], color="#ffffff", edgecolor=colour, s=28, zorder=2)
        ax.set_title(label, fontsize=8.5, loc="left")
        crowded = len(x) > 4  # long district names: slanted
        ax.set_xticks(x, content["ticks"], fontsize=7, rotation=30 if crowded else 0, ha="right" if crowded else "center")
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel(content["x_label"], fontsize=7.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.margins(x=0.08, y=0.15)
    panels[0].yaxis.set_major_formatter(thousands)
    panels[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, content["lang"], content["decimals"])))
    figure.suptitle(content["title"], fontsize=9.5, fontweight="bold", x=0.02, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    from PIL import Image  # a dependency of matplotlib

    figure.canvas.draw()
    image = Image.fromarray(np.asarray(figure.canvas.buffer_rgba()).copy(), mode="RGBA").convert("RGB")
    image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE).save(path, format="PNG")
