"""The proposals of `build --plan` on the map, in real Chromium at a desktop's and a phone's
size: numbered diamonds for a public service (CEM, with MIMP's 2026 directory as its
facilities), the proposed districts outlined for a confidential one (HRT), never a point."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import settled, watch

from coverage_map.maps import render_map
from coverage_map.pipeline import analyse

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def proposal_map(seeded_cache, shared_data, tmp_path_factory):
    """The page of `build --facilities directorio.json --plan CEM:3 --plan HRT:2`."""
    analysis = analyse(cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json",
                       plans=["CEM:3", "HRT:2"])
    path = tmp_path_factory.mktemp("proposals") / "map.html"
    path.write_text(render_map(analysis), encoding="utf-8")
    return analysis, path


@pytest.fixture(params=sorted(SIZES))
def page_at(request, chromium):
    """A page at the desktop's or the phone's size, and the size's name."""
    phone = request.param == "phone"
    watched = watch(chromium.new_context(viewport=SIZES[request.param], has_touch=phone, is_mobile=phone,
                                         device_scale_factor=1))
    yield watched, request.param
    watched.page.context.close()


def open_map(watched, path, fragment: str):
    watched.page.goto(path.as_uri() + fragment)
    watched.page.wait_for_selector("body[data-ready='true']")
    return watched.page


def test_proposed_sites_are_numbered_diamonds_with_their_gains(proposal_map, page_at, artifacts):
    analysis, path = proposal_map
    watched, size = page_at
    cem = next(p for p in analysis.plans if p.service == "CEM").proposals
    page = open_map(watched, path, "#CEM")
    markers = page.locator(".leaflet-marker-icon.cm-proposal")
    assert markers.count() == 3
    assert sorted(markers.evaluate_all("els => els.map(e => e.dataset.rank)")) == ["1", "2", "3"]
    assert page.locator(".cm-site, .marker-cluster").count() > 0  # the directory's centres stay, as dots
    # a diamond, not a dot: another shape and colour than the facilities'
    look = markers.first.evaluate(
        "e => { const d = getComputedStyle(e.querySelector('.cm-proposal-diamond')); return [d.rotate, d.backgroundColor]; }")
    assert look == ["45deg", "rgb(106, 61, 154)"]
    if size == "desktop":
        assert "Sitio propuesto (número = orden)" in page.locator(".cm-legend").inner_text()
    page.screenshot(path=artifacts / f"map-plan-cem-{size}.png")
    first = cem.iloc[0]
    page.locator(".leaflet-marker-icon.cm-proposal[data-rank='1']").hover()
    assert page.locator(".leaflet-tooltip").count() == 0  # one popup, no tooltip repeating it
    page.locator(".leaflet-marker-icon.cm-proposal[data-rank='1']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert f"Propuesta n.º 1 de 3: {first['district']}" in text
    assert "Nuevas personas a ≤ 10 km: +" in text and "km ponderado después: " in text
    districts = "distrito" if first["access_districts"] == 1 else "distritos"
    assert f"Acceso en {first['access_districts']} {districts}: " in text and "personas objetivo por sede a su alcance" in text
    settled(page, ".leaflet-popup")  # the popup fades in
    page.screenshot(path=artifacts / f"map-plan-cem-popup-{size}.png")
    assert_inside_the_view(page)
    assert watched.outside_requests == [] and watched.console_errors == []


def assert_inside_the_view(page):
    """The open popup lies inside the map and clear of the legend and the phone's bar."""
    settled(page, ".leaflet-popup")
    popup = page.locator(".leaflet-popup").bounding_box()
    frame = page.locator("#map").bounding_box()
    assert popup["x"] >= frame["x"] and popup["y"] >= frame["y"]
    assert popup["x"] + popup["width"] <= frame["x"] + frame["width"]
    assert popup["y"] + popup["height"] <= frame["y"] + frame["height"]
    for panel in (".cm-legend", ".cm-bar"):
        box = page.locator(panel).first.bounding_box() if page.locator(panel).count() else None
        if box and box["width"] and page.locator(panel).first.is_visible():
            apart = (popup["x"] + popup["width"] <= box["x"] or box["x"] + box["width"] <= popup["x"]
                     or popup["y"] + popup["height"] <= box["y"] or box["y"] + box["height"] <= popup["y"])
            assert apart, panel


def test_the_diamonds_stand_beside_the_names_not_on_them(proposal_map, page_at):
    analysis, path = proposal_map
    watched, _ = page_at
    page = open_map(watched, path, "#CEM")
    cem = next(p for p in analysis.plans if p.service == "CEM").proposals
    for rank, district in zip(cem["rank"], cem["district"]):
        diamond = page.locator(f".cm-proposal[data-rank='{rank}'] .cm-proposal-diamond").bounding_box()
        label = page.locator(".cm-label:not(.cm-hidden)", has_text=district)
        if label.count() != 1:
            continue  # its name is not shown at this zoom
        text = label.bounding_box()
        assert (diamond["y"] + diamond["height"] <= text["y"] or diamond["x"] + diamond["width"] <= text["x"]
                or text["x"] + text["width"] <= diamond["x"] or text["y"] + text["height"] <= diamond["y"]), district


def test_a_site_that_adds_nobody_says_why_it_was_chosen(proposal_map, page_at):
    analysis, path = proposal_map
    watched, _ = page_at
    cem = next(p for p in analysis.plans if p.service == "CEM").proposals
    idle = cem[cem["newly_covered"] == 0]
    assert len(idle), "the planner's case has a CEM site that adds nobody"
    page = open_map(watched, path, "#CEM")
    page.locator(f".leaflet-marker-icon.cm-proposal[data-rank='{idle['rank'].iloc[0]}']").click()
    text = page.locator(".leaflet-popup-content").inner_text()
    assert "Elegido por distancia: no suma personas dentro del radio." in text and "+0" not in text
    assert_inside_the_view(page)


def test_a_searched_proposed_district_mentions_its_proposal(proposal_map, page_at, artifacts):
    analysis, path = proposal_map
    watched, size = page_at
    hrt = next(p for p in analysis.plans if p.service == "HRT").proposals
    page = open_map(watched, path, "#HRT")
    page.fill("#cm-search-input", hrt["district"].iloc[1])
    page.press("#cm-search-input", "Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert text.startswith(hrt["district"].iloc[1])  # the district's popup
    assert f"Propuesta n.º 2 de 2: {hrt['district'].iloc[1]}" in text and "Nuevas personas a ≤ 10 km: +" in text
    assert_inside_the_view(page)
    page.screenshot(path=artifacts / f"map-plan-hrt-search-{size}.png")


def test_a_confidential_service_has_its_proposed_districts_outlined_never_a_point(proposal_map, page_at, artifacts):
    analysis, path = proposal_map
    watched, size = page_at
    hrt = next(p for p in analysis.plans if p.service == "HRT").proposals
    page = open_map(watched, path, "#HRT")
    assert page.locator(".cm-proposal, .cm-site, .marker-cluster").count() == 0
    outlines = page.locator("path.cm-proposal-district")
    assert outlines.evaluate_all("els => els.map(e => e.dataset.name)") == hrt["district"].tolist()
    assert outlines.first.get_attribute("fill") == "url(#cm-proposal-hatch)"
    page.screenshot(path=artifacts / f"map-plan-hrt-{size}.png")
    ranks = page.locator(".leaflet-marker-icon.cm-proposal-rank")  # each outlined district numbered
    assert ranks.evaluate_all("els => els.map(e => e.dataset.rank)") == ["1", "2"]
    outlines.first.hover()
    assert page.locator(".leaflet-tooltip").count() == 0
    outlines.first.dispatch_event("click")  # its centre may lie under a label: the outline itself
    text = page.locator(".leaflet-popup-content").inner_text()
    assert f"Propuesta n.º 1 de 2: {hrt['district'].iloc[0]}" in text
    assert "solo por distrito, nunca como punto" in text and "HRT: " in text  # the district's own lines too
    page.check("#cm-layer-CEM") if size == "desktop" else page.evaluate("location.hash = 'CEM'")
    page.wait_for_function("document.body.dataset.layer === 'CEM'")
    assert page.locator("path.cm-proposal-district").count() == 0 and page.locator(".cm-proposal").count() == 3
    assert watched.outside_requests == [] and watched.console_errors == []


def test_the_english_page_says_it_in_english(proposal_map, chromium, tmp_path):
    analysis, _ = proposal_map
    path = tmp_path / "map.html"
    path.write_text(render_map(analysis, lang="en"), encoding="utf-8")
    watched = watch(chromium.new_context(viewport=SIZES["desktop"]))
    page = open_map(watched, path, "#CEM")
    assert "Proposed site (number = rank)" in page.locator(".cm-legend").inner_text()
    page.locator(".leaflet-marker-icon.cm-proposal[data-rank='2']").click()
    text = page.locator(".leaflet-popup-content").inner_text()
    assert text.startswith("Proposal no. 2 of 3: ") and "New people within 10 km: +" in text
    for spanish in ("Propuesta", "personas", "distrito", "ponderado", "Acceso"):
        assert spanish not in text, spanish
    watched.page.context.close()


def test_axe_finds_no_violation_in_the_proposals(proposal_map, page_at):
    from conftest import REPO

    axe = REPO / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.fail(f"axe-core not found at {axe}: scripts/test.sh installs it")
    _, path = proposal_map
    watched, _ = page_at
    for layer in ("CEM", "HRT"):
        page = open_map(watched, path, f"#{layer}")
        page.add_script_tag(path=str(axe))
        violations = page.evaluate("axe.run()"
                                   ".then(r => r.violations.map(v => [v.id, v.nodes.length, v.nodes[0].target.join(' ')]))")
        assert violations == [], layer


@pytest.mark.parametrize("layer", ["CEM", "HRT"])
def test_the_image_of_the_view_draws_the_proposals(proposal_map, chromium, layer, artifacts):
    """The PNG of the view carries the proposals as the page does: CEM's numbered diamonds,
    HRT's districts outlined, in the proposals' purple, and their legend row."""
    image_module = pytest.importorskip("PIL.Image")
    _, path = proposal_map
    watched = watch(chromium.new_context(viewport=SIZES["desktop"], accept_downloads=True))
    page = open_map(watched, path, f"#{layer}")
    page.click(".cm-download > summary")
    with page.expect_download() as download:
        page.click("#cm-image")
    png = Path(download.value.path()).read_bytes()
    (artifacts / f"map-plan-{layer.lower()}-image.png").write_bytes(png)
    colours = {colour for _, colour in image_module.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 22)}
    assert (106, 61, 154) in colours  # the proposals' purple (styles.PROPOSAL)
    assert watched.outside_requests == [] and watched.console_errors == []
    watched.page.context.close()
