"""The map of a run on streets (build --roads): minutes in its popups, legend, sources and
data, OpenStreetMap's credit on the map; a run in straight lines keeps its page as it was."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from conftest import visible_point

from coverage_map.formatting import cost, percent
from coverage_map.maps import _script

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
#: HRT's catchment on foot (a network's default), as the page writes it.
HOUR = "60\u00a0min"


def page_data(path) -> dict:
    """The JSON the page embeds (<script id="cm-data">)."""
    html = path.read_text(encoding="utf-8")
    block = re.search(r'<script id="cm-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(block.replace("<\\/", "</"))


def rows(analysis, service: str):
    table = analysis.coverage.table
    return table[table["service"] == service].set_index("ubigeo").reindex(analysis.districts["ubigeo"])


def test_the_data_carries_each_districts_minutes_as_the_outputs_write_them(roads_build):
    analysis, out = roads_build
    data = page_data(out / "map.html")
    assert analysis.unit == "min"
    for code, layer in data["layers"].items():
        mine = rows(analysis, code)
        shown = [None if m is None else cost(m, "min", "es") for m in layer["min"]]
        expected = [None if m != m else cost(m, "min", "es") for m in mine["nearest_min"]]
        assert shown == expected, code
        # the straight line stays beside the minutes, under its own name
        assert layer["km"] == [None if k != k else round(k, 1) for k in mine["nearest_km"]], code
    hrt = data["layers"]["HRT"]
    assert sum(m is not None for m in hrt["min"]) == 43
    assert hrt["min"][0] > 0  # Lima hosts HRT, and its people still walk to it


def test_legend_and_sources_speak_minutes_and_credit_openstreetmap(roads_build):
    analysis, out = roads_build
    data = page_data(out / "map.html")
    minutes = {code: cost(analysis.scales[code].catchment("min"), "min", "es") for code in data["layers"]}
    assert minutes["HRT"] == HOUR and minutes["CIAM"] == "30\u00a0min" and minutes["UA"] == "90\u00a0min"
    for code, layer in data["layers"].items():
        assert layer["roads_note"] == (f"Tiempos a pie por las calles de OpenStreetMap (4,8 km/h por toda vía "
                                       f"peatonal), sin transporte público, en promedio de la gente de cada "
                                       f"distrito; radio de {minutes[code]}.")
    hrt = data["layers"]["HRT"]
    share = percent(100 * analysis.coverage.summary.at["HRT", "share_within"], "es", 1)
    assert hrt["scale_note"].endswith(f"(sedes a menos de {HOUR} a pie por las calles). "
                                      f"{share} de la población objetivo vive a menos de {HOUR} a pie de una sede, por las calles.")
    assert hrt["access_unreached"] == f"Sin sede a menos de {HOUR} a pie por las calles"
    assert hrt["access_classes"][-1]["label"] == hrt["access_unreached"]
    # no catchment or distance in km where the run measured minutes (4,8 km/h is a speed)
    words = [layer[key] for layer in data["layers"].values() for key in ("scale_note", "roads_note")]
    words += [c["label"] for layer in data["layers"].values() for c in layer.get("access_classes", [])]
    assert [w for w in words if re.search(r"\d\s*km(?!/h)", w)] == []
    assert data["roads"]["sources"] == ["Calles: lima.osm.pbf, extracto de OpenStreetMap del 2025-06-01", ATTRIBUTION]
    assert data["roads"]["attribution"] == ATTRIBUTION
    assert data["roads"]["nearest"] == "Más cercano con el servicio: {district}, a {minutes} a pie por las calles"


def test_a_straight_line_page_gets_none_of_the_streets_script(default_build):
    """A run without --roads gets the page it got before roads existed: every line of map.js
    that reads the streets' data lies in a block the page leaves out."""
    analysis, out = default_build
    js = (files("coverage_map") / "assets" / "map.js").read_text(encoding="utf-8")
    straight = _script(js, roads=False)
    assert _script(js, roads=True) == js and straight != js
    for name in ("roads", "roads{", "}roads", "roadsCost", "layer.min", "roads_note", ATTRIBUTION):
        assert name not in straight, name
    html = (out / "map.html").read_text(encoding="utf-8")
    assert straight in html and "data.roads" not in html and ATTRIBUTION not in html
    assert "roads" not in page_data(out / "map.html")


@pytest.mark.browser
def test_popups_legend_and_credit_in_chromium(roads_build, watched_page, artifacts):
    analysis, out = roads_build
    hrt = rows(analysis, "HRT").set_index("district")
    gap, host = hrt.loc["San Borja"], hrt.loc["Lima"]
    assert gap["status"] == "gap" and host["status"] == "present"
    page = watched_page.page
    page.goto((out / "map.html").as_uri() + "#HRT")
    page.wait_for_selector("body[data-ready='true']")

    page.mouse.move(*visible_point(page, "San Borja"))
    page.wait_for_selector(".leaflet-tooltip")
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    minutes = cost(gap["nearest_min"], "min", "es")
    assert f"Más cercano con el servicio: {gap['nearest_district']}, a {minutes} a pie por las calles\n" in tooltip
    assert f"Sede más cercana en línea recta: a {cost(gap['nearest_km'], 'km', 'es')}" in tooltip
    assert not re.search(r"min[^\n]*km|km[^\n]*min", tooltip)  # each figure on its own labelled line
    page.mouse.move(*visible_point(page, "Lima"))
    page.wait_for_function("document.querySelector('.leaflet-tooltip').innerText.includes('150101')")
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert f"Sede más cercana: a {cost(host['nearest_min'], 'min', 'es')} a pie por las calles" in tooltip

    legend = page.locator(".cm-legend").inner_text()
    assert f"radio de {HOUR}" in legend and "sin transporte público" in legend
    assert f"(sedes a menos de {HOUR} a pie por las calles)" in legend and not re.search(r"\d\s*km(?!/h)", legend)
    assert "Calles: lima.osm.pbf, extracto de OpenStreetMap del 2025-06-01" in legend and ATTRIBUTION in legend
    credit = page.locator(".cm-roads-credit")
    assert credit.inner_text() == ATTRIBUTION
    box = credit.bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).classList.contains('cm-roads-credit')",
                           [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert on_top  # seen, not under the legend
    page.screenshot(path=artifacts / "map-roads-hrt.png")
    assert watched_page.outside_requests == [] and watched_page.console_errors == []
