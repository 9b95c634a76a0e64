"""The report of a run on streets (--roads): minutes where it measured minutes, the method of
the streets with OpenStreetMap's attribution, and the same figures in report.md and report.html."""

from __future__ import annotations

import re

import pytest

from coverage_map.formatting import cost
from coverage_map.report import WALK_KMH
from coverage_map.roads import road_speeds
from test_report import parse_html, section, table_rows, text_of

HRT = "Hogar de Refugio Temporal (HRT)"
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


@pytest.fixture(scope="module")
def roads_report(roads_build):
    """The walking build's analysis, report.md (its lines) and report.html (parsed)."""
    analysis, out = roads_build
    markdown = (out / "report.md").read_text(encoding="utf-8").splitlines()
    return analysis, markdown, parse_html(out / "report.html")


def md_table(lines: list[str], after: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line that starts with after."""
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("| "))
    rows = []
    for line in lines[first + 2:]:
        if not line.startswith("| "):
            break
        rows.append([cell.strip() for cell in line.strip("| ").split(" | ")])
    return rows


def site_minutes(analysis, code: str) -> dict[str, str]:
    """Each district's minutes to its nearest site of code, as the report writes them."""
    rows = analysis.coverage.table.query("service == @code").set_index("district")
    return {district: cost(value, "min", "es") for district, value in rows["nearest_site_min"].items()}


def test_hrt_weighted_minutes_and_catchment_are_the_analysis(roads_report):
    """The population table and the summary give HRT's weighted minutes and its 60-minute
    catchment as the analysis measured them, in minutes and nowhere in km."""
    analysis, markdown, document = roads_report
    summary = analysis.coverage.summary.loc["HRT"]
    weighted, catchment = cost(summary["weighted_min"], "min", "es"), cost(summary["catchment_min"], "min", "es")
    assert catchment == "60\u00a0min"
    assert next(line for line in markdown if line.startswith("| Servicio | Grupo objetivo")).endswith(
        "| Tiempo medio ponderado a pie |")
    assert next(r for r in md_table(markdown, "## Población y necesidad") if r[0] == HRT)[-1] == weighted
    assert next(r for r in table_rows(section(document, "population")) if r[0] == HRT)[-1] == text_of_figure(weighted)
    sentence = next(line for line in markdown if line.startswith(f"- {HRT}"))
    assert f"viven a más de {catchment}" in sentence and " km" not in sentence


def text_of_figure(figure: str) -> str:
    """A figure as text_of reads it from the HTML (no-break spaces normalised)."""
    return re.sub(r"\s+", " ", figure)


def test_hrt_access_rows_are_minutes_to_the_nearest_site_in_both_reports(roads_report):
    analysis, markdown, document = roads_report
    minutes = site_minutes(analysis, "HRT")
    md_rows = md_table(markdown, f"### {HRT}")
    html_rows = table_rows(section(document, "svc-HRT").find(".//table[@class='access']"))
    assert len(md_rows) == len(html_rows) == 10
    for md_row, html_row in zip(md_rows, html_rows):
        district, time = md_row[0], md_row[3]
        assert time == minutes[district]
        assert not any("km" in cell for cell in md_row), md_row
        assert [text_of_figure(cell) for cell in md_row] == html_row
    headers = [text_of(th) for th in section(document, "svc-HRT").findall(".//table[@class='access']/thead/tr/th")]
    assert "Tiempo a pie a la sede más cercana" in headers and not any("Distancia" in h for h in headers)


def test_ciam_gaps_in_minutes_with_the_straight_line_beside(roads_report):
    analysis, markdown, document = roads_report
    gaps = analysis.coverage.gaps("CIAM").set_index("district")
    rows = table_rows(section(document, "svc-CIAM").find(".//table[@class='gaps']"))
    assert [r[0] for r in rows] == ["Chorrillos", "San Borja"]
    for district, _, time, straight, _ in rows:
        assert time == text_of_figure(cost(gaps.at[district, "nearest_min"], "min", "es"))
        assert straight == text_of_figure(cost(gaps.at[district, "nearest_km"], "km", "es"))
    assert next(line for line in markdown if line.startswith("| Distrito | Más cercano")).endswith(
        "| Tiempo a pie | En línea recta | Personas de 60 años y más |")


def test_method_and_sources_name_the_streets_their_attribution_and_no_public_transport(roads_report):
    analysis, markdown, document = roads_report
    roads = analysis.roads
    text = text_of_figure("\n".join(markdown))
    method = text_of(section(document, "method"))
    for words in (method, text):
        assert "No se modela el transporte público" in words
        assert f"del extracto de OpenStreetMap {roads.name} (fecha del extracto: 2025-06-01; sha256 {roads.sha256[:12]}" in words
        assert "a 4,8 km/h" in words and "cuadrado de 500 m" in words and "más de 500 m de toda calle" in words
        assert "municipal 30 min, red 60 min, metropolitana 90 min" in words
        assert "kilómetros en línea recta entre los puntos representativos" not in words  # the straight-line method
    sources = table_rows(section(document, "sources").find(".//table"))
    assert ["Calles", roads.name, f"OpenStreetMap, {ATTRIBUTION}", "2025-06-01", roads.sha256[:12]] in sources
    assert f"| Calles | {roads.name} | OpenStreetMap, {ATTRIBUTION} | 2025-06-01 | `{roads.sha256[:12]}` |" in markdown
    # the first page says what the minutes are, with the attribution
    note = "Tiempos en minutos a pie por las calles de OpenStreetMap"
    assert any(line.startswith(note) and ATTRIBUTION in line for line in markdown[:8])
    assert note in text_of(document.find(".//header"))


def test_the_walking_speed_the_method_states_is_the_table_s():
    walk = road_speeds().query("profile == 'walk'")
    assert set(walk["kmh"].astype(float)) == {WALK_KMH}
