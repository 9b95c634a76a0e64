"""The HTML report in a real Chromium: no request outside the file, no console error, prints."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.browser

A4_WIDTH_PX = 794  # 210 mm at 96 px per inch
A4_HEIGHT_PX = 1123


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
    """The population section as a planner sees it: the table, then the districts by need side by side."""
    _, out = default_build
    page = watched_page.page
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": A4_HEIGHT_PX})
    page.goto((out / "report.html").as_uri(), wait_until="load")
    population = page.locator("#population")
    assert population.count() == 1
    # the two need tables of a service stand side by side on an A4-wide page
    gaps, loaded = page.locator("#need-svc-CIAM table.need-gaps"), page.locator("#need-svc-CIAM table.need-loaded")
    assert abs(gaps.bounding_box()["y"] - loaded.bounding_box()["y"]) < 2
    assert gaps.bounding_box()["x"] + gaps.bounding_box()["width"] <= loaded.bounding_box()["x"]
    population.screenshot(path=str(artifacts / "report-population.png"))
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
    page.locator("#need-svc-CEM").screenshot(path=str(artifacts / "report-need-cem.png"))
    assert watched_page.outside_requests == [] and watched_page.console_errors == []
