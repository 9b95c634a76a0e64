"""The map page as a person sees it: real Chromium, opened from file://, offline."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import settled, visible_point

from coverage_map.maps import render_map
from coverage_map.pipeline import analyse

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"document.title='XSS'\">"
DISTRICTS = ".leaflet-overlay-pane path.cm-district"


def open_map(watched, path, fragment: str = ""):
    page = watched.page
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("body[data-ready='true']")
    return page


def names_with(page, selector: str) -> list[str]:
    return sorted(page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.name)"))


def hover_district(page, name: str) -> None:
    """Move the mouse to a point where the district itself is on top (not its box centre)."""
    page.mouse.move(*visible_point(page, name))
    page.wait_for_selector(".leaflet-tooltip")


def assert_clean(watched) -> None:
    assert watched.outside_requests == []
    assert watched.console_errors == []


def test_opens_offline_and_draws_every_district(default_build, watched_page, artifacts):
    _, out = default_build
    page = open_map(watched_page, out / "map.html")
    assert page.locator(DISTRICTS).count() == 43
    assert page.title() == "Cobertura de servicios del MIMP en Lima Metropolitana"
    assert page.locator("input[type=radio][name=service]").count() == 17
    groups = page.locator("#cm-layers fieldset:not(.cm-measures) > legend").all_inner_texts()
    # Programs of the services with district data, then those without, folded apart.
    assert groups[0] == "Programa Nacional AURORA" and len(groups) == 4 + 4
    # Labels: some names show at the first view, none overlaps another.
    boxes = page.eval_on_selector_all(
        ".cm-label:not(.cm-hidden)", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert 5 <= len(boxes) < 43
    shown = set(page.locator(".cm-label:not(.cm-hidden)").all_inner_texts())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    page.screenshot(path=artifacts / "map-default.png")
    page.click(".leaflet-control-zoom-in")
    page.click(".leaflet-control-zoom-in")
    # Names that did not fit show once zoomed in (those now outside the view are hidden);
    # waited for, not timed: the two zoom animations take longer on a loaded machine.
    page.wait_for_function(
        """shown => [...document.querySelectorAll('.cm-label:not(.cm-hidden)')]
                      .filter(e => !shown.includes(e.innerText)).length >= 5""",
        arg=sorted(shown),
    )
    after = set(page.locator(".cm-label:not(.cm-hidden)").all_inner_texts())
    assert len(after - shown) >= 5, after - shown
    assert_clean(watched_page)


def test_ciam_shows_its_two_gaps(default_build, watched_page, artifacts):
    _, out = default_build
    page = open_map(watched_page, out / "map.html")
    page.check("#cm-layer-CIAM")
    assert names_with(page, "path.cm-gap") == ["Chorrillos", "San Borja"]
    assert page.get_attribute("path.cm-gap", "fill") == "url(#cm-hatch)"
    assert page.url.endswith("map.html#CIAM")
    legend = page.locator(".cm-legend").inner_text()
    assert "Centro Integral del Adulto Mayor (CIAM)" in legend
    assert "Sin servicio" in legend and "2 distritos" in legend and "41 distritos" in legend
    assert "Servicios que promueve 3" in legend and "IGN" in legend
    # Numbers as the report writes them (formatting.number), not as the browser's locale would:
    # the people aged 60 and over of Chorrillos and San Borja in 2025 (INEI's projection)
    assert "Población objetivo sin el servicio en su distrito: 78\u00a0800" in legend
    assert "78\u00a0800" in (out / "report.html").read_text(encoding="utf-8")
    page.screenshot(path=artifacts / "map-ciam.png")
    assert_clean(watched_page)


def test_hrt_shows_forty_gaps_and_three_hosts(default_build, watched_page, artifacts):
    _, out = default_build
    page = open_map(watched_page, out / "map.html")
    page.check("#cm-layer-HRT")
    assert page.locator("path.cm-gap").count() == 40
    assert names_with(page, "path.cm-present") == ["Carabayllo", "Lima", "San Juan de Lurigancho"]
    assert "Ubicación confidencial" in page.locator(".cm-legend").inner_text()
    hover_district(page, "Lima")
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert "Lima" in tooltip and "150101" in tooltip and "HRT: 1" in tooltip
    # the people of 2025 (INEI's projection), then those of the census year
    assert "Población objetivo 2025: 107\u00a0634\nPoblación objetivo 2017 (censo): 108\u00a0788" in tooltip
    assert "Personas por centro: " in tooltip
    page.screenshot(path=artifacts / "map-hrt-hover.png")
    assert_clean(watched_page)


def test_gap_tooltip_names_the_nearest_host(default_build, watched_page):
    analysis, out = default_build
    row = analysis.coverage.table.query("service == 'CIAM' and district == 'Chorrillos'").iloc[0]
    page = open_map(watched_page, out / "map.html", "#CIAM")
    hover_district(page, "Chorrillos")
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert "Sin servicio" in tooltip
    assert f"Más cercano con el servicio: {row['nearest_district']} (" in tooltip
    assert_clean(watched_page)


def test_cem_has_no_gaps_and_says_what_is_known(default_build, watched_page, artifacts):
    _, out = default_build
    page = open_map(watched_page, out / "map.html")
    page.click(".cm-nodata > summary")  # services without district data are folded apart
    page.check("#cm-layer-CEM")
    assert page.locator("path.cm-gap").count() == 0
    assert page.locator("path.cm-unknown").count() == 43
    legend = page.locator(".cm-legend").inner_text()
    assert "Sin datos por distrito" in legend and "43 distritos" in legend
    assert "65 en Lima Metropolitana (25 CEM regulares y 40 CEM en comisaría)" in legend
    assert "Sin servicio" not in legend
    page.screenshot(path=artifacts / "map-cem.png")
    assert_clean(watched_page)


def test_deep_link_and_keyboard_switch_layers(default_build, watched_page):
    _, out = default_build
    page = open_map(watched_page, out / "map.html", "#CIAM")
    assert page.is_checked("#cm-layer-CIAM")
    assert names_with(page, "path.cm-gap") == ["Chorrillos", "San Borja"]
    page.focus("#cm-layer-CIAM")
    page.keyboard.press("ArrowUp")  # radio buttons of one group move with the arrows
    assert page.is_checked("#cm-layer-DEMUNA")
    assert page.url.endswith("#DEMUNA")
    assert page.locator("path.cm-gap").count() == 0
    page.evaluate("location.hash = 'HRT'")
    page.wait_for_function("document.body.dataset.layer === 'HRT'")
    assert page.locator("path.cm-gap").count() == 40
    assert_clean(watched_page)


@pytest.mark.parametrize("query", ["rimac", "RÍMAC"])
def test_search_finds_rimac(default_build, watched_page, artifacts, query):
    _, out = default_build
    page = open_map(watched_page, out / "map.html")
    rimac = page.locator("path.cm-district[data-name='Rímac']")
    before = rimac.bounding_box()
    page.fill("#cm-search-input", query)
    assert page.locator("#cm-search-results button").first.inner_text() == "Rímac"
    page.press("#cm-search-input", "Enter")
    page.wait_for_selector("path.cm-highlight[data-name='Rímac']")
    page.wait_for_selector(".leaflet-popup-content")  # it opens once the zoom has ended
    settled(page, ".leaflet-popup")  # its pan and fade
    assert rimac.bounding_box()["width"] > 3 * before["width"]
    assert page.locator("#cm-search-status").inner_text() == "Rímac (150128)"
    assert "Rímac" in page.locator(".leaflet-popup-content").inner_text()
    if query == "rimac":
        page.screenshot(path=artifacts / "map-search-rimac.png")
    assert_clean(watched_page)


def test_hostile_name_shows_as_text(default_build, watched_page, artifacts, tmp_path):
    analysis, _ = default_build
    districts = analysis.districts.copy()
    districts.loc[districts["name"] == "San Isidro", "name"] = HOSTILE
    (tmp_path / "map.html").write_text(render_map(dataclasses.replace(analysis, districts=districts)), encoding="utf-8")
    page = open_map(watched_page, tmp_path / "map.html", "#CIAM")
    title = page.title()
    hover_district(page, HOSTILE)
    assert HOSTILE in page.locator(".leaflet-tooltip").inner_text()
    page.fill("#cm-search-input", "img src")
    page.press("#cm-search-input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    assert HOSTILE in page.locator(".leaflet-popup-content").inner_text()
    settled(page, ".leaflet-popup")  # shown whole: a handler in the name would have run
    assert page.title() == title != "XSS"
    assert page.locator("img").count() == 0
    page.screenshot(path=artifacts / "map-hostile-name.png")
    assert_clean(watched_page)


def test_english_page(default_build, watched_page, artifacts, tmp_path):
    analysis, _ = default_build
    (tmp_path / "map.html").write_text(render_map(analysis, lang="en"), encoding="utf-8")
    page = open_map(watched_page, tmp_path / "map.html", "#CEM")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("label[for=cm-search-input]").inner_text() == "Find a district"
    legend = page.locator(".cm-legend").inner_text()
    assert "No district data" in legend and "65 in Lima Metropolitana" in legend
    assert "Sin " not in page.locator("body").inner_text()
    page.screenshot(path=artifacts / "map-english-cem.png")
    page.check("#cm-layer-CIAM")
    assert "Target population without the service in its district: 78,800" in page.locator(".cm-legend").inner_text()
    assert_clean(watched_page)


def test_failing_basemap_tiles_leave_the_districts(default_build, watched_page):
    analysis, _ = default_build
    html = render_map(analysis, basemap="OpenStreetMap.Mapnik")
    target = default_build[1].parent / "map-basemap.html"
    target.write_text(html, encoding="utf-8")
    page = open_map(watched_page, target)
    assert page.locator(DISTRICTS).count() == 43
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    # The tiles were asked for (and refused by the test's router): nothing else broke.
    assert watched_page.outside_requests and all("tile.openstreetmap.org" in u for u in watched_page.outside_requests)
    errors = [e for e in watched_page.console_errors if "ERR_FAILED" not in e]
    assert errors == []


def test_rates_instead_of_counts(default_build, watched_page, artifacts):
    analysis, out = default_build
    hosts = analysis.coverage.table.query("service == 'CIAM' and status == 'present'")
    page = open_map(watched_page, out / "map.html", "#CIAM")
    count_fills = set(page.eval_on_selector_all("path.cm-present", "els => els.map(e => e.getAttribute('fill'))"))
    assert len(count_fills) == 1  # every CIAM host has 1
    page.check("#cm-measure-rate")
    rate_fills = set(page.eval_on_selector_all("path.cm-present", "els => els.map(e => e.getAttribute('fill'))"))
    assert len(rate_fills) == 5  # quantiles of people per centre
    assert names_with(page, "path.cm-gap") == ["Chorrillos", "San Borja"]  # gaps stay gaps
    legend = page.locator(".cm-legend").inner_text()
    assert "Personas por centro (población objetivo)" in legend and "INEI" in legend
    assert page.locator(".cm-classes tr").count() == 5 + 1  # five rate classes and the gaps
    counts = page.locator(".cm-classes tr td.cm-n").all_inner_texts()[:5]
    assert sum(int(c.split()[0]) for c in counts) == len(hosts)
    page.screenshot(path=artifacts / "map-ciam-rates.png")
    assert_clean(watched_page)


def test_index_opens_the_map_with_its_layer(default_build, watched_page):
    _, out = default_build
    page = watched_page.page
    page.goto((out / "index.html").as_uri() + "#CIAM")
    page.wait_for_selector("body[data-ready='true']")
    assert page.url.endswith("map.html#CIAM") and page.is_checked("#cm-layer-CIAM")
    assert_clean(watched_page)


@pytest.fixture(scope="module")
def directory_map(seeded_cache, shared_data, tmp_path_factory):
    """The page of a build with MIMP's directory of facilities (CEM, CAI, SAU, HRT)."""
    analysis = analyse(cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json")
    path = tmp_path_factory.mktemp("directory") / "map.html"
    path.write_text(render_map(analysis), encoding="utf-8")
    return analysis, path


def markers_shown(page) -> int:
    """Facilities on the map: single dots plus the numbers on the clusters."""
    clusters = page.eval_on_selector_all(".marker-cluster span", "els => els.map(e => Number(e.textContent))")
    return page.locator(".cm-site").count() + sum(clusters)


def test_facilities_of_the_active_service_show_as_clustered_markers(directory_map, watched_page, artifacts):
    analysis, path = directory_map
    placed = analysis.facilities.points.query("service == 'CEM' and lat == lat")
    page = open_map(watched_page, path, "#CEM")
    assert markers_shown(page) == len(placed) == 64  # counted by ubigeo: 3 CEM of other provinces left out
    assert page.locator(".marker-cluster").count() > 0  # dense in the centre
    assert "Centro con coordenadas" in page.locator(".cm-legend").inner_text()
    page.screenshot(path=artifacts / "map-cem-facilities.png")
    single = page.locator(".cm-site").first
    name = single.get_attribute("data-name")
    single.click()
    popup = page.locator(".leaflet-popup-content").inner_text()
    row = placed.set_index("name").loc[name]
    assert name in popup and f"Dirección: {row['address']}" in popup and f"Teléfono: {row['phone']}" in popup
    page.check("#cm-layer-HRT")  # shelters: counts only, never a point
    assert markers_shown(page) == 0 and page.locator(".cm-legend .cm-swatch-site").count() == 0
    assert_clean(watched_page)


def test_hostile_facility_name_shows_as_text(default_build, seeded_cache, watched_page, tmp_path):
    sites = tmp_path / "centros.csv"
    sites.write_text(f'tipo,nombre,direccion,lat,lon\nCIAM,"{HOSTILE.replace(chr(34), chr(34) * 2)}",{HOSTILE[:12]},-12.0288,-77.0289\n',
                     encoding="utf-8")
    analysis = analyse(cache=seeded_cache, facilities=sites, population=None)
    (tmp_path / "map.html").write_text(render_map(analysis), encoding="utf-8")
    page = open_map(watched_page, tmp_path / "map.html", "#CIAM")
    title = page.title()
    page.locator(".cm-site").hover()
    page.wait_for_selector(".leaflet-tooltip")
    assert HOSTILE in page.locator(".leaflet-tooltip").inner_text()
    page.locator(".cm-site").click()
    assert HOSTILE in page.locator(".leaflet-popup-content").inner_text()
    settled(page, ".leaflet-popup")
    assert page.title() == title != "XSS" and page.locator("img").count() == 0
    assert_clean(watched_page)
