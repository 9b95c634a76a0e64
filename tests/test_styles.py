from coverage_map import figures
from coverage_map.coverage import GAP, PRESENT, UNKNOWN
from coverage_map.styles import STYLES, css_variables, page_styles


def test_one_style_per_status():
    assert set(STYLES) == {PRESENT, GAP, UNKNOWN}
    assert figures.COLOURS == {PRESENT: "#2c7fb8", GAP: "#f03b20", UNKNOWN: "#bdbdbd", "served": "#dad3e6"}


def test_the_page_and_the_report_read_the_same_table():
    css = css_variables()
    assert "--gap-fill: #f03b20;" in css and "--gap-stripes: #c51b29;" in css and "--unknown-fill: #bdbdbd;" in css
    assert page_styles()["gap"] == {"fill": "#f03b20", "line": "#67000d", "dash": "4 3", "stripes": "#c51b29"}


def test_outputs_carry_the_table(default_build):
    _, out = default_build
    css = css_variables()
    assert css in (out / "report.html").read_text(encoding="utf-8")
    page = (out / "map.html").read_text(encoding="utf-8")
    assert css in page and '"styles":{"present":{"fill":"#2c7fb8"' in page


def test_one_table_of_palettes_counts_blue_and_worse_darker_red():
    from coverage_map.styles import PALETTES, SERVED_FROM_SEAT

    assert set(PALETTES) == {"count", "rate", "access"}
    assert PALETTES["count"][5][-1] == "#253494"  # more centres, darker blue
    assert PALETTES["rate"][5][-1] == "#bd0026"  # more people per centre, darker red
    # access as target people per site within reach: more, darker red; "no site within reach" darkest
    assert PALETTES["access"][5][-1] == "#bd0026" and PALETTES["access"] == PALETTES["rate"]
    assert SERVED_FROM_SEAT.fill not in {STYLES[GAP].fill, STYLES[UNKNOWN].fill, STYLES[PRESENT].fill}
    assert page_styles()["served"]["fill"] == SERVED_FROM_SEAT.fill and "--served-fill" in css_variables()
