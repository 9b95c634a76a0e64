"""How each district status looks, in one table for every output: the static maps
(figures.py), the map page (map.css and map.js, through CSS variables and its data) and the
report's CSS (report.html.j2).

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


def css_variables() -> str:
    """The table as CSS custom properties: --gap-fill, --gap-line, --unknown-ink, ...; and
    --proposal."""
    declarations = [
        f"--{status}-{name}: {value};"
        for status, style in STYLES.items()
        for name, value in asdict(style).items()
        if name in ("fill", "line", "stripes", "tint", "ink") and value
    ]
    return ":root { " + " ".join([*declarations, f"--proposal: {PROPOSAL};"]) + " }"


def page_styles() -> dict[str, dict[str, str]]:
    """The table for the map page's script (Leaflet path styles)."""
    return {status: {"fill": s.fill, "line": s.line, "dash": s.dash, "stripes": s.stripes} for status, s in STYLES.items()}
