"""The HTML report in a real Chromium: no request outside the file, no console error, prints."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import axe_violations, watch

pytestmark = pytest.mark.browser

A4_WIDTH_PX = 794  # 210 mm at 96 px per inch
A4_HEIGHT_PX = 1123
MM = 96 / 25.4
#: The A4 page's content box: 210 x 297 mm less the @page margins (14 mm each side, 14 mm top, 16 mm bottom).
CONTENT_WIDTH_PX = round((210 - 28) * MM)
CONTENT_HEIGHT_PX = round((297 - 30) * MM)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
#: The target of issue 11: Lima's report on at most 20 A4 pages.
MAX_PAGES = 20


def test_report_makes_no_outside_request_and_no_console_error(default_build, watched_page):
    _, out = default_build
    page = watched_page.page
    page.goto((out / "report.html").as_uri(), wait_until="load")
    assert page.title().startswith("Análisis de brechas")
    loaded = page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert loaded, "an embedded map did not decode"
    assert page.locator("section.service").count() >= 7
    assert watched_page.outside_requests == []
    assert watched_page.console_errors == []


def test_report_prints_to_a4_and_first_page_screenshot(default_build, watched_page, artifacts):
    """Print to PDF (A4, from @page) and keep a picture of the first printed page."""
    _, out = default_build
    page = watched_page.page
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": A4_HEIGHT_PX})
    page.goto((out / "report.html").as_uri(), wait_until="load")
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 10
    (artifacts / "report-print.pdf").write_bytes(pdf)
    # A4 portrait: the page box Chromium used (595 x 842 points).
    assert b"/MediaBox [0 0 595" in pdf or b"/MediaBox [0 0 594" in pdf
    # The screen shot of the print layout has no @page margins: give the body the same ones.
    page.add_style_tag(content="body { padding: 16mm 14mm; }")
    page.screenshot(path=str(artifacts / "report-first-page.png"), clip={"x": 0, "y": 0, "width": A4_WIDTH_PX, "height": A4_HEIGHT_PX})
    if shutil.which("pdftoppm"):  # the printed page itself, where poppler-utils is installed
        pdf_path = artifacts / "report-print.pdf"
        subprocess.run(["pdftoppm", "-png", "-r", "96", "-f", "1", "-l", "3", str(pdf_path), str(artifacts / "report-print-page")], check=True)
    hrt = page.locator("#svc-HRT")
    hrt.scroll_into_view_if_needed()
    hrt.screenshot(path=str(artifacts / "report-hrt-section.png"))
    assert watched_page.outside_requests == [] and watched_page.console_errors == []


def test_population_section_screenshot(default_build, watched_page, artifacts):
    """The population section as a planner sees it, and a service with its map beside its words."""
    _, out = default_build
    page = watched_page.page
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": A4_HEIGHT_PX})
    page.goto((out / "report.html").as_uri(), wait_until="load")
    population = page.locator("#population")
    assert population.count() == 1
    population.screenshot(path=str(artifacts / "report-population.png"))
    # the map and the service's words stand side by side on an A4-wide page
    figure, words = page.locator("#svc-CIAM .service-head > figure"), page.locator("#svc-CIAM .service-head > div")
    assert abs(figure.bounding_box()["y"] - words.bounding_box()["y"]) < 2
    assert figure.bounding_box()["x"] + figure.bounding_box()["width"] <= words.bounding_box()["x"]
    page.locator("#svc-CIAM").screenshot(path=str(artifacts / "report-ciam-section.png"))
    assert watched_page.outside_requests == [] and watched_page.console_errors == []


def test_facilities_section_screenshot(seeded_cache, shared_data, watched_page, artifacts, tmp_path):
    from coverage_map.pipeline import analyse
    from coverage_map.report import write_report

    analysis = analyse(cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json")
    write_report(analysis, tmp_path, lang="es")
    page = watched_page.page
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": A4_HEIGHT_PX})
    page.goto((tmp_path / "report.html").as_uri(), wait_until="load")
    page.locator("#facilities").screenshot(path=str(artifacts / "report-facilities.png"))
    page.locator("#svc-CEM").screenshot(path=str(artifacts / "report-cem-section.png"))
    assert watched_page.outside_requests == [] and watched_page.console_errors == []


# --- issue 11: the summary on one page, at most 20 pages, sortable tables, phones, axe ----------------

@pytest.fixture
def open_report(chromium):
    """Open a report at a viewport: open_report(folder, viewport, **context options) -> Watched."""
    contexts = []

    def open_page(folder: Path, viewport: dict, **options):
        phone = viewport["width"] < 500
        context = chromium.new_context(viewport=viewport, has_touch=phone, is_mobile=phone, **options)
        contexts.append(context)
        watched = watch(context)
        watched.page.goto((folder / "report.html").as_uri(), wait_until="load")
        return watched

    yield open_page
    for context in contexts:
        context.close()


def printed_pages(page) -> list[str]:
    """The text of each page of the report printed to A4 (Chromium's PDF, read by pypdf)."""
    pypdf = pytest.importorskip("pypdf")
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages], pdf


def test_lima_report_prints_on_at_most_20_pages_with_the_summary_alone_first(default_build, open_report, artifacts):
    _, out = default_build
    watched = open_report(out, {"width": CONTENT_WIDTH_PX, "height": A4_HEIGHT_PX})
    page = watched.page
    page.emulate_media(media="print")
    # the title, the dates and the summary fit the first page's content box
    height = page.evaluate("document.querySelector('#summary').getBoundingClientRect().bottom - document.querySelector('header').getBoundingClientRect().top")
    assert 0.5 * CONTENT_HEIGHT_PX < height <= CONTENT_HEIGHT_PX
    pages, pdf = printed_pages(page)
    (artifacts / "report-lima-print.pdf").write_bytes(pdf)
    assert len(pages) <= MAX_PAGES, f"{len(pages)} printed pages"
    first, second = (" ".join(p.split()) for p in pages[:2])
    assert first.startswith("Análisis de brechas") and "Resumen ejecutivo" in first and "Brechas que atender" in first
    assert "Chorrillos y San Borja no tienen" in first and "40 de los 43 distritos no tienen sede" in first
    assert "Mapa interactivo (HTML)" in first  # the summary's last line
    assert second.startswith("Contenido") and "Brechas que atender" not in second
    last = " ".join(pages[-1].split())
    assert "Anexo: archivos, versiones y opciones" in " ".join(" ".join(p.split()) for p in pages[-2:]) and "sha256" in last
    page.screenshot(path=str(artifacts / "report-summary-page.png"), clip={"x": 0, "y": 0, "width": CONTENT_WIDTH_PX, "height": CONTENT_HEIGHT_PX})
    assert watched.outside_requests == [] and watched.console_errors == []


def test_english_report_prints_on_at_most_20_pages(default_build, open_report, tmp_path):
    from coverage_map.report import write_report

    write_report(default_build[0], tmp_path, lang="en")
    watched = open_report(tmp_path, {"width": CONTENT_WIDTH_PX, "height": A4_HEIGHT_PX})
    pages, _ = printed_pages(watched.page)
    assert len(pages) <= MAX_PAGES and "Gaps to act on" in pages[0] and "Gaps to act on" not in pages[1]


def sort_values(page, table: str, column: int) -> list:
    return page.evaluate(
        "([table, column]) => [...document.querySelector(table).tBodies[0].rows].map(r => r.cells[column].dataset.value)",
        [table, column])


def test_a_header_click_sorts_a_table_by_number_and_enter_does_too(default_build, open_report, artifacts):
    _, out = default_build
    watched = open_report(out, DESKTOP)
    page = watched.page
    table = "#svc-HRT table.access"
    header = page.locator(f"{table} thead th").nth(4)  # women aged 18 and over, "252 032"
    assert header.get_attribute("aria-sort") is None
    header.locator("button").click()
    values = [float(v) for v in sort_values(page, table, 4)]
    assert values == sorted(values) and header.get_attribute("aria-sort") == "ascending"
    assert values[0] < 100_000 < values[-1]  # by number: "60 133" before "252 032", whatever their text
    header.locator("button").click()
    assert [float(v) for v in sort_values(page, table, 4)] == sorted(values, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    # by keyboard: the district column, by its name in the page's language
    district = page.locator(f"{table} thead th").nth(0)
    district.locator("button").focus()
    page.keyboard.press("Enter")
    assert district.get_attribute("aria-sort") == "ascending" and header.get_attribute("aria-sort") is None
    names = page.evaluate(f"[...document.querySelector('{table}').tBodies[0].rows].map(r => r.cells[0].textContent)")
    assert names == sorted(names, key=lambda n: n.replace("í", "i").replace("á", "a").lower())
    # the coverage table: the services by the districts they are missing from, "—" (no data) last
    coverage = page.locator("#coverage thead th").nth(2)
    coverage.locator("button").click()
    coverage.locator("button").click()
    gaps = sort_values(page, "#coverage table", 2)
    known = [float(v) for v in gaps if v]
    assert known == sorted(known, reverse=True) and gaps[len(known):] == [""] * (len(gaps) - len(known))
    page.locator("#svc-HRT").screenshot(path=str(artifacts / "report-sorted-hrt.png"))
    assert watched.outside_requests == [] and watched.console_errors == []


def test_without_script_every_table_is_still_there(default_build, open_report):
    _, out = default_build
    page = open_report(out, DESKTOP, java_script_enabled=False).page
    assert page.locator("th button").count() == 0
    assert page.locator("#svc-HRT table.access tbody tr").count() == 10
    assert page.locator("#svc-CIAM table.gaps tbody tr").count() == 2


@pytest.mark.parametrize("size", sorted(SIZES))
def test_report_has_no_sideways_scroll_and_no_axe_violation(default_build, open_report, artifacts, size):
    _, out = default_build
    watched = open_report(out, SIZES[size])
    page = watched.page
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    # a wide table scrolls in its own box, which a keyboard can reach
    boxes = page.evaluate("[...document.querySelectorAll('.scroll')].map(b => [b.tabIndex, b.getAttribute('role'), !!b.getAttribute('aria-label')])")
    assert boxes and all(box == [0, "region", True] for box in boxes)
    page.screenshot(path=str(artifacts / f"report-{size}.png"))
    page.locator("#svc-HRT").screenshot(path=str(artifacts / f"report-{size}-hrt.png"))
    assert axe_violations(page) == []
    assert watched.outside_requests == [] and watched.console_errors == []


def test_report_links_to_the_map_on_the_service_and_to_the_tables(default_build, open_report):
    _, out = default_build
    watched = open_report(out, DESKTOP)
    page = watched.page
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')).filter(h => !h.startsWith('#'))")
    assert {"map.html", "map.html#CIAM", "coverage.xlsx", "coverage.csv", "coverage.geojson"} <= set(hrefs)
    assert all((out / href.split("#")[0]).is_file() for href in hrefs)
    page.click("#svc-CIAM a.map-link")
    page.wait_for_selector("body[data-ready='true']")
    assert page.url.endswith("map.html#CIAM") and page.evaluate("document.body.dataset.layer") == "CIAM"


def test_a_report_with_a_plan_stays_within_a_phone_and_20_pages(seeded_cache, tmp_path, open_report, artifacts):
    """The Propuesta partial (build --plan) sits right after its service's section, and its
    table does not widen a phone's page."""
    import os
    import sys

    env = {**os.environ, "COVERAGE_MAP_CACHE": str(seeded_cache)}
    subprocess.run([sys.executable, "-m", "coverage_map", "build", "--plan", "HRT:2", "--out", str(tmp_path), "--quiet"],
                   check=True, env=env)
    phone = open_report(tmp_path, PHONE)
    ids = phone.page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)")
    assert ids[ids.index("svc-HRT") + 1] == "plan-HRT" and ids.index("plan-HRT") < ids.index("annex")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(phone.page) == []
    phone.page.locator("#plan-HRT").screenshot(path=str(artifacts / "report-phone-plan.png"))
    printed = open_report(tmp_path, {"width": CONTENT_WIDTH_PX, "height": A4_HEIGHT_PX})
    pages, _ = printed_pages(printed.page)
    assert len(pages) <= MAX_PAGES
