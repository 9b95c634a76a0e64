"""The map page on a phone and a desktop, on paper, by keyboard: issue 11 in real Chromium."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import Watched, axe_violations, settled, visible_point, watch

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(params=sorted(SIZES))
def size(request) -> str:
    return request.param


def _watched(chromium, viewport: dict) -> Watched:
    phone = viewport["width"] < 500
    return watch(chromium.new_context(viewport=viewport, has_touch=phone, is_mobile=phone, device_scale_factor=1))


@pytest.fixture
def browse(chromium):
    """Open a page at a viewport: browse(path, viewport, fragment) -> Watched."""
    contexts = []

    def open_page(path: Path, viewport: dict, fragment: str = "") -> Watched:
        watched = _watched(chromium, viewport)
        contexts.append(watched.page.context)
        watched.page.goto(path.as_uri() + fragment)
        watched.page.wait_for_selector("body[data-ready='true']")
        return watched

    yield open_page
    for context in contexts:
        context.close()


def assert_clean(watched) -> None:
    assert watched.outside_requests == []
    assert watched.console_errors == []


def box(page, selector: str) -> dict | None:
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); "
                                           "return r.width && r.height ? {x: r.left, y: r.top, w: r.width, h: r.height} : null; }")


def overlap(a: dict, b: dict) -> float:
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(w, 0) * max(h, 0)


def point_in(page, name: str) -> list[float]:
    """A point where the district itself is on top: not a label, not a panel."""
    return visible_point(page, name)


# ---- 1. phone-first layout --------------------------------------------------------------


def test_phone_panels_cover_at_most_a_quarter_and_chorrillos_opens(default_build, browse, artifacts):
    _, out = default_build
    watched = browse(out / "map.html", PHONE, "#CIAM")
    page = watched.page
    map_box = box(page, "#map")
    assert map_box["w"] == PHONE["width"] and map_box["h"] == PHONE["height"]  # the map fills the screen
    assert not page.is_visible(".cm-legend-body")  # folded on a phone...
    assert page.inner_text(".cm-legend-summary") == "CIAM: 41 con el servicio, 2 sin"  # ...its summary shown
    assert not page.is_visible("#cm-layers-box")
    covering = [box(page, s) for s in (".cm-bar", ".cm-title", ".cm-legend", ".leaflet-control-zoom")]
    covered = sum(overlap(b, map_box) for b in covering if b)
    assert covered <= 0.25 * map_box["w"] * map_box["h"], covered / (map_box["w"] * map_box["h"])
    page.screenshot(path=artifacts / "map-phone-ciam.png")

    page.touchscreen.tap(*point_in(page, "Chorrillos"))
    page.wait_for_selector(".leaflet-popup-content")
    settled(page, ".leaflet-popup")  # the popup's pan
    assert "Chorrillos" in page.inner_text(".leaflet-popup-content")
    assert not page.is_visible(".cm-legend-body")  # the tap went to the map, not the legend
    popup = box(page, ".leaflet-popup-content-wrapper")
    assert popup["y"] >= box(page, ".cm-bar")["y"] + box(page, ".cm-bar")["h"]
    assert overlap(popup, box(page, ".cm-legend")) == 0
    assert popup["x"] >= 0 and popup["x"] + popup["w"] <= PHONE["width"]
    page.screenshot(path=artifacts / "map-phone-chorrillos-popup.png")

    page.click(".cm-legend-toggle")
    assert page.is_visible(".cm-legend-body") and page.get_attribute(".cm-legend-toggle", "aria-expanded") == "true"
    page.screenshot(path=artifacts / "map-phone-legend-open.png")
    assert_clean(watched)


def test_desktop_legend_open_and_active_layer_in_view(default_build, browse, artifacts):
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP)
    page = watched.page
    assert page.is_checked("#cm-layer-CIAM")
    assert page.is_visible(".cm-legend-body") and "1 centro" in page.inner_text(".cm-legend")
    radio = box(page, "label:has(#cm-layer-CIAM)")
    assert radio["y"] + radio["h"] <= DESKTOP["height"]  # no scrolling to find the opening layer
    page.screenshot(path=artifacts / "map-desktop-ciam.png")
    assert_clean(watched)


# ---- 3. the layer list and the palettes -------------------------------------------------


def test_services_without_district_data_are_grouped_and_folded(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size])
    page = watched.page
    if size == "phone":
        assert page.inner_text("#cm-layers-toggle") == "Servicios: CIAM"
        page.click("#cm-layers-toggle")
        assert page.is_visible("#cm-layers-box")
        radio = box(page, "label:has(#cm-layer-CIAM)")
        assert radio["y"] + radio["h"] <= PHONE["height"]
    summary = page.inner_text(".cm-nodata > summary")
    assert summary == "Servicios sin datos por distrito (10)"
    assert page.get_attribute(".cm-nodata", "open") is None  # folded
    assert page.locator(".cm-nodata input[name=service]").count() == 10
    assert not page.is_visible("#cm-layer-CEM")
    assert page.locator("#cm-layers > fieldset:not(.cm-measures) input[name=service]").count() == 7
    page.screenshot(path=artifacts / f"map-{size}-layer-list.png")
    page.click(".cm-nodata > summary")
    page.check("#cm-layer-CEM")
    assert page.evaluate("document.body.dataset.layer") == "CEM"
    assert page.inner_text(".cm-legend-summary") == "CEM: sin datos por distrito"
    assert_clean(watched)


def test_rates_use_a_warm_palette_with_units(default_build, browse, artifacts):
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP, "#CIAM")
    page = watched.page
    count_fills = set(page.eval_on_selector_all("path.cm-present", "els => els.map(e => e.getAttribute('fill'))"))
    page.check("#cm-measure-rate")
    rate_fills = set(page.eval_on_selector_all("path.cm-present", "els => els.map(e => e.getAttribute('fill'))"))
    assert not count_fills & rate_fills
    assert "#bd0026" in rate_fills  # YlOrRd: the most people per centre is the darkest red
    labels = page.locator(".cm-classes tr td:nth-child(2)").all_inner_texts()
    assert all(label.endswith("personas por centro") for label in labels[:5]), labels
    page.screenshot(path=artifacts / "map-desktop-ciam-rates.png")
    assert_clean(watched)


# ---- 2. context without the network -----------------------------------------------------


def test_context_sea_labels_and_halo(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#CIAM")
    page = watched.page
    context = page.locator(".leaflet-cm-context-pane path")
    assert context.count() == 7  # Callao's districts
    assert "leaflet-interactive" not in (context.first.get_attribute("class") or "")
    sea = page.eval_on_selector("#map", "e => getComputedStyle(e).backgroundColor")
    land = context.first.get_attribute("fill")
    assert sea == "rgb(207, 225, 236)" and land == "#f4f1ea"
    assert "Callao" in page.locator(".cm-label-context:not(.cm-hidden)").all_inner_texts()
    halo = page.eval_on_selector(".cm-label", "e => getComputedStyle(e).textShadow")
    assert halo.count("rgb(255, 255, 255)") >= 4
    labelled = set(page.locator(".cm-label:not(.cm-label-context):not(.cm-hidden)").all_inner_texts())
    page.screenshot(path=artifacts / f"map-{size}-context.png")
    # Every district is labelled at some zoom where its name fits.
    for name in page.eval_on_selector_all("path.cm-district", "els => els.map(e => e.dataset.name)"):
        if name.replace(" ", "\n") in labelled or name in labelled:
            continue
        page.fill("#cm-search-input", name)
        page.press("#cm-search-input", "Enter")
        page.wait_for_selector(f"path.cm-highlight[data-name='{name}']")
        try:  # the labels are placed again once the zoom has ended
            page.wait_for_function("""name => [...document.querySelectorAll('.cm-label:not(.cm-hidden)')]
                .some(e => e.textContent.replace(/\\n/g, ' ') === name)""", arg=name, timeout=5000)
        except PlaywrightTimeout:
            pytest.fail(f"{name} has no label when zoomed to it")
        page.wait_for_selector(".leaflet-popup-content")  # the search's popup, once the zoom has ended
        settled(page, ".leaflet-popup")
        page.keyboard.press("Escape")
        page.wait_for_selector(".leaflet-popup", state="detached")
    assert_clean(watched)


def test_basemap_is_requested_only_when_switched_on(default_build, browse, artifacts):
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP, "#CIAM")
    page = watched.page
    assert page.get_attribute("label.cm-basemap", "class") == "cm-basemap"
    assert page.inner_text("label.cm-basemap").strip() == "Mapa base (requiere internet)"
    assert not page.is_checked("#cm-basemap")
    page.wait_for_load_state("networkidle")  # the page has done all it does on its own
    assert watched.outside_requests == []
    # a tile's request fails once the watcher has recorded and aborted it
    with page.expect_event("requestfailed", lambda request: "tile.openstreetmap.org" in request.url):
        page.check("#cm-basemap")
    assert watched.outside_requests and all("tile.openstreetmap.org" in u for u in watched.outside_requests)
    assert "OpenStreetMap" in page.inner_text(".leaflet-control-attribution")
    page.uncheck("#cm-basemap")
    assert page.locator(".leaflet-tile-pane img").count() == 0
    assert page.locator(DISTRICTS).count() == 43


DISTRICTS = ".leaflet-overlay-pane path.cm-district"


# ---- 4. print and export ----------------------------------------------------------------


def test_map_prints_on_one_landscape_page_with_title_and_legend(default_build, browse, artifacts, size):
    pypdf = pytest.importorskip("pypdf")
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#CIAM")
    page = watched.page
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    (artifacts / f"map-{size}-print-ciam.pdf").write_bytes(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width > height  # landscape
    text = reader.pages[0].extract_text()
    for expected in ("Cobertura de servicios del MIMP en Lima Metropolitana", "Centro Integral del Adulto Mayor (CIAM)",
                     "1 centro", "Sin servicio", "Fuente:", "Impreso el 20", "IGN"):
        assert expected in text, expected
    # The whole area was in view while printing, and the screen view comes back afterwards.
    assert not page.evaluate("document.body.classList.contains('cm-printing')")
    if size == "phone":
        assert_clean(watched)
        return
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert not page.is_visible(".leaflet-control-zoom")
    paths = page.eval_on_selector_all("path.cm-district", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    frame = box(page, "#map")
    assert min(p[0] for p in paths) >= frame["x"] - 1 and max(p[2] for p in paths) <= frame["x"] + frame["w"] + 1
    assert min(p[1] for p in paths) >= frame["y"] - 1 and max(p[3] for p in paths) <= frame["y"] + frame["h"] + 1
    page.screenshot(path=artifacts / "map-print-preview.png")
    assert_clean(watched)


def test_download_menu_links_the_tables_and_the_report(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size])
    page = watched.page
    if size == "phone":
        page.click("#cm-layers-toggle")
    page.click(".cm-download > summary")
    links = page.eval_on_selector_all(".cm-download a", "els => els.map(e => [e.getAttribute('href'), e.textContent])")
    hrefs = [h for h, _ in links]
    assert hrefs == ["coverage.csv", "coverage.xlsx", "coverage.geojson", "coverage.gpkg", "report.html"]
    assert all((out / h).is_file() for h in hrefs)  # beside the page
    page.screenshot(path=artifacts / f"map-{size}-download.png")
    assert_clean(watched)


# ---- 5. search and keyboard -------------------------------------------------------------


@pytest.mark.parametrize(("query", "district"), [("Cercado de Lima", "Lima"), ("SJL", "San Juan de Lurigancho"),
                                                 ("smp", "San Martín de Porres"), ("VES", "Villa El Salvador"),
                                                 ("VMT", "Villa María del Triunfo"), ("Magdalena Vieja", "Pueblo Libre")])
def test_search_knows_every_name_of_the_matcher(default_build, browse, query, district):
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP)
    page = watched.page
    page.fill("#cm-search-input", query)
    assert page.locator("#cm-search-results button").first.inner_text() == district
    assert_clean(watched)


def test_search_says_callao_is_outside_the_area(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size])
    page = watched.page
    page.fill("#cm-search-input", "Callao")
    assert page.inner_text("#cm-search-status") == "Callao: fuera del área"
    assert page.locator("#cm-search-results button").count() == 0
    page.screenshot(path=artifacts / f"map-{size}-search-callao.png")
    assert_clean(watched)


def test_search_focus_moves_to_the_result_and_esc_returns(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#CIAM")
    page = watched.page
    page.focus("#cm-search-input")
    page.keyboard.type("Chorrillos")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content")
    page.wait_for_function("document.activeElement.closest('.leaflet-popup') !== null")
    assert "Chorrillos" in page.evaluate("document.activeElement.textContent")
    settled(page, ".leaflet-popup")
    popup = box(page, ".leaflet-popup-content-wrapper")
    assert overlap(popup, box(page, ".cm-legend")) == 0 and popup["x"] >= 0 and popup["x"] + popup["w"] <= SIZES[size]["width"]
    page.screenshot(path=artifacts / f"map-{size}-search-chorrillos.png")
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.activeElement.id") == "cm-search-input"
    assert_clean(watched)


def test_district_shapes_are_named_and_not_tab_stops(default_build, browse):
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP, "#CIAM")
    page = watched.page
    labels = dict(page.eval_on_selector_all("path.cm-district", "els => els.map(e => [e.dataset.name, e.getAttribute('aria-label')])"))
    assert labels["Chorrillos"] == "Chorrillos: sin CIAM" and labels["Lima"] == "Lima: 1 CIAM"
    assert all(labels.values())
    # One Tab stop for the 43 districts; the arrows move between them, Enter opens a popup.
    focused = []
    page.focus("#cm-search-input")
    for _ in range(25):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.tagName + ' ' + (document.activeElement.dataset.name || '')"))
    focused = focused[:focused.index("BODY ")]  # once round the page
    assert sum(f.startswith("path") for f in focused) == 1, " | ".join(focused)
    page.focus("path.cm-district[tabindex='0']")
    first = page.evaluate("document.activeElement.dataset.name")
    page.keyboard.press("ArrowRight")
    second = page.evaluate("document.activeElement.dataset.name")
    assert (first, second) == ("Ancón", "Ate")
    assert page.locator("path.cm-district[tabindex='0']").count() == 1
    page.keyboard.press("Enter")
    assert "Ate" in page.inner_text(".leaflet-popup-content")
    assert_clean(watched)


# ---- 6. accessibility -------------------------------------------------------------------


def test_axe_finds_no_violation(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#CIAM")
    page = watched.page
    assert axe_violations(page) == []
    if size == "phone":  # the panels open too
        page.click("#cm-layers-toggle")
        page.click(".cm-legend-toggle")
        assert axe_violations(page) == []
    assert_clean(watched)


# ---- 7. access, metropolitan seats and the image of the view (issue 11 items 3 and 4) --------


def fills(page, selector: str) -> set[str]:
    return set(page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('fill'))"))


def test_access_reads_as_people_per_site_warm_with_less_access_darker(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#HRT")
    page = watched.page
    counts = fills(page, "path.cm-present")
    if size == "phone":
        page.click("#cm-layers-toggle")
    page.check("#cm-measure-access")
    if size == "phone":
        page.click("#cm-layers-toggle")
        page.click(".cm-legend-toggle")
    labels = page.locator(".cm-classes tr td:nth-child(2)").all_inner_texts()
    assert all(label.endswith(" personas objetivo por sede a su alcance") and "," not in label for label in labels[:5]), labels
    assert labels[5] == "Sin sede a menos de 10,0\u00a0km"
    assert labels[6] == "Sin sede en el distrito (brecha): contorno discontinuo"
    colours = page.eval_on_selector_all(".cm-classes .cm-swatch", "els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert colours[5] == "rgb(189, 0, 38)" and colours[0] == "rgb(255, 255, 178)"  # more people per site, darker
    access = fills(page, "path.cm-district")
    assert "#bd0026" in access and not access & counts  # not the counts' blues
    assert page.locator("path.cm-gap").count() == 40  # a gap keeps its dashed outline over its access
    assert page.eval_on_selector("path.cm-gap", "e => e.getAttribute('stroke-dasharray')") == "4 3"
    page.screenshot(path=artifacts / f"map-{size}-hrt-access.png")
    if size == "desktop":  # a popup: whole people per site within reach, or no site within reach in words
        for name, expected in (("Barranco", "personas objetivo por sede a su alcance"), ("Ancón", "Acceso: Sin sede a menos de 10,0\u00a0km")):
            page.fill("#cm-search-input", name)
            page.keyboard.press("Enter")
            popup = page.get_by_role("dialog", name=name)
            popup.wait_for()
            assert expected in popup.inner_text() and "Acceso: 0" not in popup.inner_text()
            # Leaflet's own controls in the page's language, not "Close popup", "Zoom in"
            assert page.get_attribute(".leaflet-popup-close-button", "aria-label") == "Cerrar la ventana"
            assert [page.get_attribute(f".leaflet-control-zoom-{d}", "title") for d in ("in", "out")] == ["Acercar", "Alejar"]
            page.keyboard.press("Escape")
    page.evaluate("location.hash = 'CIAM'")  # a municipal service shows its counts, and says so
    page.wait_for_function("document.body.dataset.layer === 'CIAM'")
    assert "se muestra por sus conteos" in page.inner_text(".cm-legend-body")
    assert_clean(watched)


def test_metropolitan_districts_without_the_seat_are_served_not_gaps(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#OREDIS")
    page = watched.page
    assert page.locator("path.cm-gap").count() == 0
    assert page.locator("path.cm-served").count() == 42 and page.locator("path.cm-present").count() == 1
    assert fills(page, "path.cm-served") == {"#dad3e6"}
    assert page.inner_text(".cm-legend-summary") == "OREDIS: servicio metropolitano, sin brechas por distrito"
    if size == "phone":
        page.click(".cm-legend-toggle")
    frame = box(page, ".cm-legend")  # its long summary line is cut, not pushed off screen
    assert frame["x"] >= 0 and frame["x"] + frame["w"] <= SIZES[size]["width"]
    legend = page.inner_text(".cm-legend-body")
    assert "Atendido desde la sede (no es brecha)" in legend and "Sin servicio" not in legend
    labels = dict(page.eval_on_selector_all("path.cm-district", "els => els.map(e => [e.dataset.name, e.getAttribute('aria-label')])"))
    assert labels["Ancón"] == "Ancón: sin sede de OREDIS, atendido desde la sede metropolitana"
    page.screenshot(path=artifacts / f"map-{size}-oredis-served.png")
    if size == "desktop":  # no people per centre for one seat: its counts, and the legend says why
        page.check("#cm-measure-rate")
        assert fills(page, "path.cm-present") == {"#2c7fb8"} and fills(page, "path.cm-served") == {"#dad3e6"}
        assert "no se miden para un servicio metropolitano" in page.inner_text(".cm-legend-body")
    assert_clean(watched)


def test_image_of_the_view_is_a_png_drawn_offline(default_build, browse, artifacts, size):
    image_module = pytest.importorskip("PIL.Image")
    _, out = default_build
    viewport = SIZES[size]
    watched = browse(out / "map.html", viewport, "#CIAM")
    page = watched.page
    if size == "phone":
        page.click("#cm-layers-toggle")
    page.click(".cm-download > summary")
    assert page.inner_text("#cm-image") == "Imagen de la vista actual (PNG)"
    with page.expect_download() as download:
        page.click("#cm-image")
    assert download.value.suggested_filename == "mapa-CIAM.png"
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / f"map-{size}-image-ciam.png").write_bytes(png)
    image = image_module.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width >= viewport["width"] and abs(width / height - viewport["width"] / viewport["height"]) < 0.01
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 22)}
    assert len(colours) > 50  # districts, classes, labels, text: not a blank canvas
    assert (44, 127, 184) in colours or (37, 52, 148) in colours  # the counts' classes
    assert (207, 225, 236) in colours  # the sea, as on the page
    assert_clean(watched)  # nothing fetched: no tile, no library


# ---- issue 21 item 2: every gap named -----------------------------------------------------


GAP_LABELS = """() => {
    const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const shown = [...document.querySelectorAll('.cm-label:not(.cm-hidden)')];
    const gaps = [...document.querySelectorAll('path.cm-gap')].map(p => p.dataset.name);
    return {
        gaps: gaps,
        named: shown.filter(e => e.classList.contains('cm-label-gap')).map(e => [e.textContent.replace(/\\n/g, ' '), rect(e)]),
        others: shown.filter(e => !e.classList.contains('cm-label-gap')).map(e => [e.textContent.replace(/\\n/g, ' '), rect(e)]),
        map: rect(document.getElementById('map')),
        covers: [document.querySelector('.cm-legend'), window.innerWidth <= 700 ? document.querySelector('.cm-bar') : null]
            .filter(Boolean).map(rect),
    };
}"""


def _apart(a: list[float], b: list[float]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def assert_gaps_named(page, *, panels: bool = True, only_in_view: bool = False) -> list[str]:
    """Every district the active layer calls a gap has its name shown inside the map, over no
    other name (nor under the legend or the phone's bar); returns the gaps' names."""
    seen = page.evaluate(GAP_LABELS)
    named = dict(seen["named"])
    assert sorted(named) == sorted(seen["gaps"])
    if only_in_view:  # zoomed in: the gaps whose name lies in the view
        named = {n: r for n, r in named.items() if not _apart(r, seen["map"])}
    for name, r in named.items():
        assert r[2] - r[0] > 0 and r[3] - r[1] > 0, name
        assert seen["map"][0] <= r[0] and r[2] <= seen["map"][2] and seen["map"][1] <= r[1] and r[3] <= seen["map"][3], name
        for other, o in seen["others"] + [x for x in seen["named"] if x[0] != name]:
            assert _apart(r, o), f"{name} overlaps {other}"
        if panels:
            for cover in seen["covers"]:
                assert _apart(r, cover), f"{name} is under a panel"
    return sorted(named)


def test_every_gap_is_named_on_screen_in_print_and_at_every_zoom(default_build, browse, artifacts, size):
    _, out = default_build
    watched = browse(out / "map.html", SIZES[size], "#CIAM")
    page = watched.page
    assert assert_gaps_named(page) == ["Chorrillos", "San Borja"]
    page.screenshot(path=artifacts / f"map-{size}-gaps-named.png")
    for _ in range(2):  # far out, where San Borja is a few pixels wide
        page.click(".leaflet-control-zoom-out")
        settled(page, ".cm-label-gap")  # the names move with the zoom, and are placed again once it ends
    assert assert_gaps_named(page, panels=False) == ["Chorrillos", "San Borja"]
    page.fill("#cm-search-input", "San Borja")  # close in, on one of them
    page.press("#cm-search-input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    settled(page, ".leaflet-popup")
    assert "San Borja" in assert_gaps_named(page, panels=False, only_in_view=True)
    # another layer's gaps are named in their turn: HRT's 40, beside their districts where they crowd
    hrt = browse(out / "map.html", SIZES[size], "#HRT")
    assert len(assert_gaps_named(hrt.page)) == 40
    hrt.page.screenshot(path=artifacts / f"map-{size}-gaps-named-hrt.png")
    assert_clean(hrt)
    page.keyboard.press("Escape")
    if size == "desktop":
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert assert_gaps_named(page, panels=False) == ["Chorrillos", "San Borja"]
        page.screenshot(path=artifacts / "map-print-gaps-named.png")
    assert_clean(watched)


# ---- issue 21 item 5: print and phone finished ----------------------------------------------


def test_printed_map_holds_only_what_the_legend_explains_and_each_name_once(default_build, browse, artifacts):
    pypdf = pytest.importorskip("pypdf")
    _, out = default_build
    watched = browse(out / "map.html", DESKTOP, "#CIAM")
    page = watched.page
    page.fill("#cm-search-input", "Ancón")  # a search leaves its outline on screen
    page.press("#cm-search-input", "Enter")
    page.wait_for_selector(".leaflet-popup-content")
    settled(page, ".leaflet-popup")
    page.keyboard.press("Escape")
    assert page.eval_on_selector("path.cm-highlight", "e => getComputedStyle(e).stroke") == "rgb(230, 85, 13)"
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    (artifacts / "map-desktop-print-searched.pdf").write_bytes(pdf)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert text.count("Ancón") == 1  # once, not once per halo's shadow
    assert "(hora de Lima)" in text and "Ejecución: " in text
    page.emulate_media(media="print")
    assert page.eval_on_selector("path.cm-highlight", "e => getComputedStyle(e).stroke") != "rgb(230, 85, 13)"
    assert page.eval_on_selector(".cm-label", "e => getComputedStyle(e).textShadow") == "none"
    assert_clean(watched)


def test_phone_title_whole_search_labelled_no_keyboard_hint_no_focus_box(default_build, browse, artifacts):
    _, out = default_build
    watched = browse(out / "map.html", PHONE, "#CIAM")
    page = watched.page
    title = page.eval_on_selector(".cm-title", """e => ({overflow: getComputedStyle(e).textOverflow,
        scroll: e.scrollWidth, client: e.clientWidth, right: e.getBoundingClientRect().right})""")
    assert title["overflow"] != "ellipsis" and title["scroll"] <= title["client"] and title["right"] <= PHONE["width"]
    label = box(page, "label[for='cm-search-input']")
    assert label and label["h"] >= 10 and page.inner_text("label[for='cm-search-input']") == "Buscar distrito"
    page.click("#cm-layers-toggle")
    assert page.is_visible("#cm-layers-box") and not page.is_visible("#cm-keyboard")  # a touch screen has no keyboard
    page.click("#cm-layers-toggle")
    page.mouse.click(*point_in(page, "Ate"))
    page.wait_for_selector(".leaflet-popup-content")
    focused = page.evaluate("""() => { const e = document.activeElement;
        return e.tagName === 'path' ? getComputedStyle(e).outlineStyle : 'none'; }""")
    assert focused == "none"
    settled(page, ".leaflet-popup")
    page.screenshot(path=artifacts / "map-phone-clicked.png")
    assert axe_violations(page) == []
    assert_clean(watched)


@pytest.mark.parametrize("layer", ["CIAM"])  # HRT's 40 gaps do not fit above the open legend at any useful zoom
def test_phone_open_legend_leaves_the_gaps_in_sight_and_named(default_build, browse, artifacts, layer):
    _, out = default_build
    watched = browse(out / "map.html", PHONE, f"#{layer}")
    page = watched.page
    page.click(".cm-legend-toggle")
    assert page.is_visible(".cm-legend-body")
    settled(page, ".cm-label-gap")
    legend, bar = box(page, ".cm-legend"), box(page, ".cm-bar")
    gaps = page.eval_on_selector_all("path.cm-gap", "els => els.map(e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}; })")
    assert gaps
    for gap in gaps:
        assert gap["y"] >= bar["y"] + bar["h"] - 1 and gap["y"] + gap["h"] <= legend["y"] + 1
    assert_gaps_named(page)
    page.screenshot(path=artifacts / f"map-phone-legend-open-{layer.lower()}.png")
    assert_clean(watched)
