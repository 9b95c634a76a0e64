"""How each district status looks, in one table for every output: the static maps
(figures.py), the map page (map.css and map.js, through CSS variables and its data) and the
report's CSS (report.html.j2); and the palettes of the map's classes, one per measure.

A gap is the colour the eye goes to; "no district data" stays a quiet grey. Each output uses
the fields it can draw: the page stripes a gap (an SVG pattern) and dashes its outline, the
static maps fill it and hatch the unknown, the report tints its matrix cells.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .coverage import GAP, PRESENT, UNKNOWN


@dataclass(frozen=True)
class Style:
    fill: str  # the district's fill (the page classes present districts by count instead)
    line: str  # its outline
    dash: str = ""  # outline dash pattern on the page (SVG dasharray), "" for solid
    stripes: str = ""  # colour of stripes: the page's over white (a gap), the static maps' hatch
    hatch: str = ""  # matplotlib hatch over the static maps' fill (drawn in stripes), "" for none
    tint: str = "#ffffff"  # background of a table cell of this status
    ink: str = "#1a1a1a"  # text in such a cell


STYLES = {
    PRESENT: Style(fill="#2c7fb8", line="#ffffff", tint="#deebf7"),
    GAP: Style(fill="#f03b20", line="#67000d", dash="4 3", stripes="#c51b29", tint="#fde0d9", ink="#a11b00"),
    UNKNOWN: Style(fill="#bdbdbd", line="#ffffff", stripes="#9e9e9e", hatch="///", ink="#888888"),
}


#: A proposed new site (build --plan): its marker on the map, its curve of gains in the report.
#: ColorBrewer's dark purple, which no status, class palette or facility dot uses.
PROPOSAL = "#6a3d9a"

#: A district without the seat of a metropolitan service: served from the seat, so no gap
#: (scales.py). A quiet lilac grey: neither a class colour, nor the gap's red, nor "no data".
SERVED = "served"  # its name where a status is named (CSS variables, the page's styles, QGIS)
SERVED_FROM_SEAT = Style(fill="#dad3e6", line="#ffffff", tint="#eeeaf4", ink="#4a4458")

#: ColorBrewer 2.0 sequential palettes by number of classes (Cynthia A. Brewer, Pennsylvania
#: State University, colorbrewer2.org, Apache-2.0). YlGnBu (colour-blind safe, print friendly)
#: for counts: more centres, darker blue. YlOrRd for the "worse is darker" measures, so that
#: they cannot be read as counts: more people per centre is darker red.
YLGNBU = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
#: One or two classes take the darker end of the 3-class list, so hosts stand out.
YLGNBU[1] = YLGNBU[3][2:]
YLGNBU[2] = YLGNBU[3][1:]
YLORRD = {
    1: ("#f03b20",),
    2: ("#feb24c", "#f03b20"),
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
    6: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"),
    7: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
}
#: The palette of each measure the map classes, lowest class first: counts (more centres,
#: darker blue), people per centre (more, darker red) and access across district lines, read
#: as target people per site within reach (more, darker red; "no site within reach" last and
#: darkest): worse is darker, as for people per centre.
PALETTES = {
    "count": YLGNBU,
    "rate": YLORRD,
    "access": YLORRD,
}


def css_variables() -> str:
    """The table as CSS custom properties: --gap-fill, --gap-line, --unknown-ink, ...; and
    --proposal."""
    declarations = [
        f"--{status}-{name}: {value};"
        for status, style in {**STYLES, SERVED: SERVED_FROM_SEAT}.items()
        for name, value in asdict(style).items()
        if name in ("fill", "line", "stripes", "tint", "ink") and value
    ]
    return ":root { " + " ".join([*declarations, f"--proposal: {PROPOSAL};"]) + " }"


def page_styles() -> dict[str, dict[str, str]]:
    """The table for the map page's script (Leaflet path styles)."""
    styles = {**STYLES, SERVED: SERVED_FROM_SEAT}
    return {status: {"fill": s.fill, "line": s.line, "dash": s.dash, "stripes": s.stripes} for status, s in styles.items()}
