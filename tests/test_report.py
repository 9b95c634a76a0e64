"""The gap-analysis report (HTML, Markdown, PNG maps, XLSX), its facts held to the seeds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import html5lib
import numpy as np
import openpyxl
import pytest
from markdown_it import MarkdownIt
from PIL import Image

from coverage_map.report import write_report

NBSP = "\u00a0"


def text_of(element) -> str:
    """All the text of an html5lib element, spaces normalised (no-break spaces too)."""
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def parse_html(path: Path):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())


@pytest.fixture(scope="module")
def census_build(seeded_cache, tmp_path_factory):
    """The default build with the people counted in the 2017 census, whose figures INEI publishes
    (SOURCE.md): these tests check the report against them (test_projection.py checks 2025's)."""
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("report_2017")
    analysis, _ = build(out=out, cache=seeded_cache, population_year=2017)
    return analysis, out


@pytest.fixture(scope="module")
def report(census_build):
    analysis, out = census_build
    return analysis, out, parse_html(out / "report.html")


@pytest.fixture(scope="module")
def english(census_build, tmp_path_factory):
    analysis, _ = census_build
    out = tmp_path_factory.mktemp("report_en")
    write_report(analysis, out, lang="en")
    return out


def section(document, anchor: str):
    found = document.find(f".//section[@id='{anchor}']")
    assert found is not None, anchor
    return found


def table_rows(element) -> list[list[str]]:
    return [[text_of(td) for td in tr.findall("td")] for tr in element.findall(".//tbody/tr")]


# --- the facts, held to the seed ------------------------------------------------------------

def test_build_writes_the_report_files(default_build):
    _, out = default_build
    for name in ("report.html", "report.md", "coverage.xlsx"):
        assert (out / name).is_file() and (out / name).stat().st_size > 1000, name
    assert sorted(p.name for p in (out / "img").glob("*.png")) == sorted(
        f"{c}.png" for c in ("CAI", "HRT", "UA", "UPE", "OREDIS", "DEMUNA", "CIAM")
    )


def test_ciam_section_lists_exactly_chorrillos_and_san_borja(report):
    _, _, document = report
    gaps = section(document, "svc-CIAM").find(".//table[@class='gaps']")
    assert [row[0] for row in table_rows(gaps)] == ["Chorrillos", "San Borja"]


def test_hrt_section_shows_the_10_districts_with_least_access(report):
    """A network service: its 10 districts with the least access, the most populous first
    among those with none; the full list in the annex and the workbook."""
    analysis, _, document = report
    hrt = section(document, "svc-HRT")
    assert hrt.find(".//table[@class='gaps']") is None
    rows = table_rows(hrt.find(".//table[@class='access']"))
    assert len(rows) == 10
    table = analysis.coverage.table.query("service == 'HRT'").set_index("district")
    hosts = {"Carabayllo", "Lima", "San Juan de Lurigancho"}
    assert {r[2] for r in rows} <= hosts and not hosts & {r[0] for r in rows}
    for district, access, _, distance, women in rows:
        assert access == "Sin sede a menos de 10,0 km" and table.at[district, "access"] == 0
        assert distance == f"{table.at[district, 'nearest_km']:.1f} km".replace(".", ",")
        assert women == f"{table.at[district, 'target_population']:,}".replace(",", " ")
    # with the census, the districts where most adult women have no shelter within reach come first
    assert rows[0][0] == "San Martín de Porres"
    assert [int(r[4].replace(" ", "")) for r in rows] == sorted((int(r[4].replace(" ", "")) for r in rows), reverse=True)
    links = [a.get("href") for a in hrt.iter("a")]
    assert "#access-annex" in links and "coverage.xlsx" in links and "map.html#HRT" in links
    assert "confidencial" in text_of(hrt)


def test_every_access_table_has_at_most_10_rows_and_the_annex_all(report):
    analysis, _, document = report
    for code in ("CAI", "HRT", "UA", "UPE", "OREDIS"):
        table = section(document, f"svc-{code}").find(".//table[@class='access']")
        assert table is not None and 1 <= len(table_rows(table)) <= 10, code
    annex = table_rows(section(document, "access-annex").find(".//table"))
    assert len(annex) == 43 and len(annex[0]) == 1 + 2 * 5


def test_a_metropolitan_seat_is_one_sentence_not_a_column(report):
    """CAI's nearest seat is Lima for every district: said once, no column repeating it."""
    _, _, document = report
    cai = section(document, "svc-CAI")
    headers = [text_of(th) for th in cai.find(".//table[@class='access']").findall(".//th")]
    assert "Sede más cercana (distrito)" not in headers
    assert "Para todos ellos, el más cercano con el servicio está en Lima" in text_of(cai)


def test_sections_only_for_services_with_district_data(report):
    _, _, document = report
    sections = [s.get("id") for s in document.iter("section") if s.get("id", "").startswith("svc-")]
    assert sections == ["svc-CAI", "svc-HRT", "svc-UA", "svc-UPE", "svc-OREDIS", "svc-DEMUNA", "svc-CIAM"]


def test_unknown_services_are_not_shown_as_zero_percent(report):
    _, _, document = report
    rows = {r[0]: r for r in table_rows(section(document, "coverage").find(".//table"))}
    cem = rows["Centro Emergencia Mujer (CEM)"]
    assert cem[1:4] == ["—", "—", "sin datos por distrito"] and cem[4] == "65"
    assert rows["Centro Integral del Adulto Mayor (CIAM)"][1:5] == ["41", "2", "95 %", "43"]
    # a metropolitan seat serves the whole area: not "2 %" of its districts
    assert rows["Centro de Atención Institucional (CAI)"][1:4] == ["1", "0", "toda el área, desde su sede"]


def test_summary_sentences_are_computed_from_the_gaps(report):
    analysis, _, document = report
    sentences = [text_of(li) for li in section(document, "summary").iter("li")]
    # the municipal gap first, with the source's own caveat (43 declared, 41 listed) in the same sentence
    first = sentences[0]
    assert first.startswith("Chorrillos y San Borja no tienen Centro Integral del Adulto Mayor (CIAM)")
    assert "declara 43 CIAM y su tabla lista 41" in first
    assert "allí viven 65 389 personas de 60 años y más" in first
    gaps = analysis.coverage.gaps("CIAM").set_index("district")
    for district in ("Chorrillos", "San Borja"):
        nearest, distance = gaps.at[district, "nearest_district"], gaps.at[district, "nearest_km"]
        assert f"{nearest} (a {distance:.1f} km de {district})".replace(".", ",") in first
    # then the networks, as access: HRT's people beyond its catchment, from the summary
    hrt = next(s for s in sentences if "Hogar de Refugio Temporal" in s)
    assert "40 de los 43 distritos no tienen sede; 21 no tienen ninguna a menos de 10,0 km" in hrt
    beyond = int(analysis.coverage.summary.at["HRT", "people_beyond"])
    assert f"{beyond:,}".replace(",", " ") + " mujeres de 18 años y más viven a más de 10,0 km" in hrt
    assert sentences.index(hrt) < next(i for i, s in enumerate(sentences) if "OREDIS" in s)
    # metropolitan services as access only: no sentence counts districts without them
    assert not any(re.search(r"distritos[^.]* no tienen[^.]*\b(OREDIS|UA|CAI|Unidad de Adopción)", s) for s in sentences)
    assert any("CAI, UA y OREDIS se leen como servicios para toda el área (lectura nuestra" in s for s in sentences)


def test_unmapped_services_show_declared_totals_usage_and_what_is_needed(report):
    _, _, document = report
    unmapped = section(document, "unmapped")
    rows = {tr.get("id"): [text_of(td) for td in tr.findall("td")] for tr in unmapped.findall(".//tbody/tr")}
    codes = ["CEM", "SAU", "CAR_NNA", "CAR_PCD", "CAR_PAM", "CAN", "CEDIF", "EDUCALLE", "MI60", "SOCBEN"]
    assert list(rows) == [f"svc-{c}" for c in codes]
    cem = rows["svc-CEM"]
    assert cem[1] == "65" and "34 639" in cem[3] and "2 608" in cem[3] and "774 295" in cem[3]
    assert len(cem) == 4 and "--inventory" in text_of(unmapped.find("p"))


def test_non_place_based_services_are_in_the_inventory_part(report):
    _, _, document = report
    rows = {tr.get("id"): [text_of(td) for td in tr.findall("td")] for tr in section(document, "other").findall(".//tbody/tr")}
    assert list(rows) == ["svc-LINEA100", "svc-RNPCD", "svc-JUGUEMOS", "svc-PONTE_NINEZ"]
    assert "86 630" in rows["svc-LINEA100"][2] and "10 301" in rows["svc-RNPCD"][2]
    assert rows["svc-JUGUEMOS"][2] == "—"


def test_checks_list_the_110_111_and_43_41_findings_with_where(report):
    _, _, document = report
    rows = table_rows(section(document, "checks").find(".//table"))
    messages = [r[1] for r in rows]
    assert any("110" in m and "111" in m for m in messages)
    ciam = next(r for r in rows if "CIAM" in r[1] and "43" in r[1] and "41" in r[1])
    assert "Chorrillos" in ciam[1] and "San Borja" in ciam[1] and "Servicios que promueve 3" in ciam[2]
    assert any("Carabaylo" in m for m in messages)
    assert all(r[2] for r in rows)


def test_indicator_table_has_every_row_of_seed_004(report):
    _, _, document = report
    rows = table_rows(section(document, "indicators").find(".//table"))
    assert len(rows) == 18
    by_code = {r[0]: r for r in rows}
    assert by_code["03.07.02"][2:6] == ["19,9", "23,7", "+3,8", "Defensoría Municipal del Niño y el Adolescente (DEMUNA)"]
    assert by_code["03.01.03"][2:5] == ["no medido"] * 3
    assert by_code["03.04.04"][2:5] == ["no medido", "2,9", "no medido"]
    assert by_code["03.04.05"][3] == "0,0"  # a measured 0 stays 0
    related = {code: r[5] for code, r in by_code.items() if r[5]}
    assert related["03.07.01"].endswith("(CEDIF)") and related["03.07.07"].endswith("(UPE)")
    assert related["03.07.09"].endswith("(UA)") and related["03.05.02"].endswith("(EDUC. DE CALLE)")
    assert related["03.07.06"].endswith("(CAR NNA)") and related["03.04.01"].endswith("(CEM)")


def test_demuna_section_shows_its_national_indicator(report):
    _, _, document = report
    table = section(document, "svc-DEMUNA").findall(".//table")[-1]
    assert table_rows(table)[0][0] == "03.07.02"


def test_sources_show_short_sha256_and_the_boundary_version(report):
    _, _, document = report
    rows = table_rows(section(document, "sources").find(".//table"))
    boundaries = rows[0]
    assert boundaries[1] == "lima_callao_distritos.geojson" and boundaries[3] == "@2c2a8ae"
    assert boundaries[4] == "b0627d6c0a56"
    assert {"usage.csv", "indicators.csv"} <= {r[1] for r in rows}


def test_annex_has_the_full_matrix(report):
    analysis, _, document = report
    rows = table_rows(section(document, "annex").find(".//table"))
    assert len(rows) == 43 and len(rows[0]) == 2 + len(analysis.coverage.summary)
    assert rows[0][:2] == ["150101", "Lima"]


def test_no_address_or_point_of_a_confidential_service(report):
    _, out, _ = report
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Municipalidad de Carabaylo" not in text  # the administering body is the address clue
    assert "POINT" not in text and "POINT" not in (out / "report.html").read_text(encoding="utf-8")


# --- the files --------------------------------------------------------------------------------

def test_html_is_self_contained(report):
    _, out, document = report
    html = (out / "report.html").read_text(encoding="utf-8")
    sources = [img.get("src") for img in document.iter("img")]
    assert len(sources) == 7 and all(s.startswith("data:image/png;base64,") for s in sources)
    # links only inside the page, or to the files the build writes beside it
    assert not re.search(r"""(src|href)=["'](?!data:|#|map\.html\b|coverage\.(xlsx|csv|geojson)["'])""", html)
    assert "@page" in html and "size: A4" in html and "table-header-group" in html


def test_png_maps_are_valid_images_of_sensible_size(default_build):
    _, out = default_build
    for path in (out / "img").glob("*.png"):
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert 600 <= image.width <= 2000 and 600 <= image.height <= 2400, path.name
            pixels = np.asarray(image.convert("RGB"))
        assert pixels.std() > 20, f"{path.name} looks blank"
        assert 10_000 < path.stat().st_size < 500_000, path.name


def test_markdown_parses_and_its_images_exist(default_build):
    _, out = default_build
    text = (out / "report.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) >= 15
    images = [child.attrs["src"] for t in tokens if t.type == "inline" for child in t.children or [] if child.type == "image"]
    assert sorted(images) == sorted(f"img/{p.name}" for p in (out / "img").glob("*.png"))
    assert all((out / src).is_file() for src in images)
    assert text.startswith("# Análisis de brechas")


def test_workbook_sheets_headers_numbers_and_frozen_row(default_build):
    analysis, out = default_build
    workbook = openpyxl.load_workbook(out / "coverage.xlsx")
    assert workbook.sheetnames == [
        "Fuentes y fechas", "Resumen", "Matriz de cobertura", "Brechas", "Necesidad por distrito", "Verificación de fuentes", "Cifras de uso",
        "Indicadores nacionales",
    ]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}", sheet.title
    about = list(workbook["Fuentes y fechas"].iter_rows(values_only=True))
    assert about[0] == ("Clase", "Elemento", "Valor", "Archivo", "Versión", "Licencia", "sha256 (inicio)")
    assert about[1][:3] == ("Fecha", "Fecha de la ejecución (UTC)", analysis.created.date().isoformat())
    assert about[2][:2] == ("Fecha", "Fecha de los datos") and "enero de 2023" in about[2][2]
    sources = {row[3]: row for row in about if row[0] == "Fuente" and row[3]}
    boundaries = analysis.file("boundaries")
    assert sources[boundaries.path.name][4:] == ("@2c2a8ae", "MIT", boundaries.sha256[:12])
    assert sources["indicators.csv"][2] == "MIMP, Avance de la implementación de la PNMNNA al 2030 (2023)"
    assert ("Opción", "Idioma", "es") in [row[:3] for row in about]
    summary = {row[0]: row for row in workbook["Resumen"].iter_rows(values_only=True)}
    header = summary["Código"]
    ciam = dict(zip(header, summary["CIAM"]))
    assert (ciam["Escala"], ciam["Radio (km)"], ciam["Distritos sin el servicio"]) == ("municipal", 3, 2)
    assert ciam["Dentro del radio (%)"] == round(100 * analysis.coverage.summary.at["CIAM", "share_within"], 1)
    assert ciam["Población objetivo fuera del radio"] == analysis.coverage.summary.at["CIAM", "people_beyond"]
    kinds = [row[0] for row in workbook["Verificación de fuentes"].iter_rows(min_row=2, values_only=True)]
    assert kinds == ["Total declarado y total listado", "Total de un consolidado", "Nombre de distrito escrito de otro modo"]
    gaps = workbook["Brechas"]
    assert [c.value for c in gaps[1]] == [
        "Código", "Servicio", "Escala", "Ubigeo", "Distrito", "Ubigeo más cercano", "Más cercano con el servicio",
        "Distancia (km)", "Población objetivo", "Acceso: personas objetivo por sede a su alcance",
    ]
    access = {row[4]: row[9] for row in gaps.iter_rows(min_row=2, values_only=True) if row[0] == "HRT"}
    assert access["Ancón"] == "Sin sede a menos de 10,0\u00a0km"  # not a 0: no site within reach
    assert access["Barranco"] == analysis.coverage.table.query("service == 'HRT' and district == 'Barranco'")[
        "people_per_site"].item() and 1_000_000 < access["Barranco"] < 10_000_000  # a whole number of people
    assert gaps.max_row - 1 == len(analysis.coverage.gaps())
    assert isinstance(gaps["H2"].value, (int, float))  # a number (19.0 km reads back as 19), not text
    matrix = workbook["Matriz de cobertura"]
    header = [c.value for c in matrix[1]]
    cem, demuna = header.index("CEM") + 1, header.index("DEMUNA") + 1
    assert {"CAR NNA", "Mi60+"} <= set(header) and not {"CAR_NNA", "EDUCALLE", "MI60", "SOCBEN"} & set(header)
    assert matrix.cell(2, cem).value is None and matrix.cell(2, demuna).value == 1
    indicators = {row[0]: row for row in workbook["Indicadores nacionales"].iter_rows(min_row=2, values_only=True)}
    assert len(indicators) == 18
    assert indicators["03.07.02"][3:6] == (19.9, 23.7, 3.8)
    assert indicators["03.01.03"][3:6] == (None, None, None)
    usage = {(r[0], r[2], r[4]): r[3] for r in workbook["Cifras de uso"].iter_rows(min_row=2, values_only=True)}
    assert usage[("CEM", "2022", "Casos atendidos por violencia")] == 34639


def test_english_report_has_english_headings_and_numbers(english):
    document = parse_html(english / "report.html")
    headings = [text_of(h) for h in document.iter("h2")]
    assert headings[:3] == ["Executive summary", "Contents", "Coverage by service"]
    assert headings[-1] == "Annex: files, versions and options"
    assert {"Source checks", "Methodology", "Annex: full coverage matrix"} <= set(headings)
    assert not {"Fuentes", "Resumen ejecutivo", "Metodología"} & set(headings)
    assert document.tag == "html" and document.get("lang") == "en"
    rows = {r[0]: r for r in table_rows(section(document, "indicators").find(".//table"))}
    assert rows["03.07.02"][2:5] == ["19.9", "23.7", "+3.8"] and rows["03.01.03"][2] == "not measured"
    cem = next(tr for tr in section(document, "unmapped").findall(".//tbody/tr") if tr.get("id") == "svc-CEM")
    assert "34,639" in text_of(cem)
    workbook = openpyxl.load_workbook(english / "coverage.xlsx")
    assert workbook.sheetnames[:4] == ["Sources and dates", "Summary", "Coverage matrix", "Gaps"]
    kinds = {row[0] for row in workbook["Source checks"].iter_rows(min_row=2, values_only=True)}
    assert kinds == {"Declared and listed totals", "Total of a consolidated table", "District name spelled differently"}
    assert (english / "report.md").read_text(encoding="utf-8").startswith("# Gap analysis of MIMP services")


def test_maxima_and_shares_come_from_exact_values(report):
    """Issue 19: UA's farthest district is Pucusana (47.34 km), not Ancón (47.28 km), which the
    distances rounded before the maximum made the first by name; OREDIS has 94.55 % of its
    people within 30 km, written once: 94,6 %, not 94,5 % from a share already rounded."""
    analysis, _, document = report
    summary = " ".join(text_of(li) for li in section(document, "summary").iter("li"))
    ua = analysis.coverage.table.query("service == 'UA'").set_index("district")["nearest_km"]
    assert ua.idxmax() == "Pucusana" and ua["Pucusana"] > ua["Ancón"] and round(ua["Ancón"], 1) == round(ua["Pucusana"], 1)
    assert "UA: 89,7 %" in summary and "el distrito más lejano, Pucusana, a 47,3 km" in summary
    share = analysis.coverage.summary.at["OREDIS", "share_within"]
    assert 0.9455 <= share < 0.9456  # exact in the analysis
    assert "OREDIS: 94,6 %" in summary
    # the files keep their decimals
    assert analysis.coverage.rounded().summary.at["OREDIS", "share_within"] == 0.9455


def test_readings_say_they_are_ours_and_confidential_distances_are_estimates(report):
    """Issue 19: a scale is our reading, said in the same sentence; a shelter's distance is to
    its host district's point; the HRT note says what each source publishes."""
    analysis, _, document = report
    sentences = [text_of(li) for li in section(document, "summary").iter("li")]
    assert not any("por diseño" in s for s in sentences)
    hrt = next(s for s in sentences if "Hogar de Refugio Temporal" in s)
    assert "lectura nuestra" in hrt
    assert "del punto representativo del distrito sede más cercano" in hrt and "una estimación" in hrt
    upe = next(s for s in sentences if "(UPE)" in s)
    assert "lectura nuestra" in upe and "punto representativo" not in upe  # not confidential
    page = text_of(document.find(".//body"))
    assert "Ubicación confidencial por decisión nuestra, no de la fuente" not in page
    assert "el Resumen ejecutivo 2023 publica los distritos de los hogares" in page
    assert "«No se registra por confidencialidad»" in page


def test_two_seats_of_a_metropolitan_service_are_named_as_two(seeded_cache, shared_data):
    """With MIMP's directory, CAI has two seats (Breña and El Agustino): the summary must not say
    one. Shares of the 2017 census (the audit's figures)."""
    from coverage_map.pipeline import analyse
    from coverage_map.report import summary_sentences

    analysis = analyse(facilities=str(shared_data / "mimp_directorio" / "directorio.json"), cache=seeded_cache,
                       population_year=2017)
    text = " ".join(summary_sentences(analysis, "es")).replace("\u00a0", " ")
    assert "CAI: 97,6 % de su población objetivo a menos de 30,0 km de una de sus 2 sedes (Breña y El Agustino)" in text
    assert "SAU: 92,6 %" in text and "OREDIS: 94,6 %" in text
    assert "una sede para toda el área por diseño" not in text


def test_report_command_rebuilds_only_the_report_whole(seeded_cache, tmp_path):
    from click.testing import CliRunner

    from coverage_map.cli import main

    out = tmp_path / "out"
    (out / "img").mkdir(parents=True)
    (out / "img" / "OLD.png").write_bytes(b"stale")
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(out), "--cache-dir", str(seeded_cache), "--lang", "en", "--quiet"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"report.html", "report.md", "coverage.xlsx", "img", "manifest.json"}
    assert not (out / "img" / "OLD.png").exists() and (out / "img" / "HRT.png").is_file()
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert "Gap analysis" in (out / "report.html").read_text(encoding="utf-8")
    # alone, the report links only to what is beside it (issue 19): the workbook it wrote, no map or CSV
    for name in ("report.html", "report.md"):
        page = (out / name).read_text(encoding="utf-8")
        for missing in ("map.html", "coverage.csv", "coverage.geojson"):
            assert missing not in page, (name, missing)
        assert "coverage.xlsx" in page
    # beside a build's map and tables, it links to them again
    for name in ("map.html", "coverage.csv", "coverage.geojson"):
        (out / name).write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--out", str(out), "--cache-dir", str(seeded_cache), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (out / "report.md").read_text(encoding="utf-8")
    assert "(map.html)" in page and "(map.html#HRT)" in page and "(coverage.csv)" in page and "(coverage.geojson)" in page


def test_report_files_are_byte_identical_run_to_run(default_build, tmp_path):
    analysis, out = default_build
    write_report(analysis, tmp_path, lang="es")
    for name in ("report.html", "report.md", "coverage.xlsx", "img/HRT.png"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_sentences_count_only_districts_with_data_when_part_of_the_area_has_none(seeded_cache):
    from coverage_map.pipeline import analyse
    from coverage_map.report import summary_sentences

    analysis = analyse(area="lima-callao", cache=seeded_cache)  # Callao: no district data
    sentences = summary_sentences(analysis, "en")
    # HRT and UPE (networks); CAI, UA and OREDIS are metropolitan: never district gaps
    assert sentences[0].startswith("Chorrillos and San Borja have no Comprehensive Centre for Older Persons (CIAM)")
    hrt = next(s for s in sentences if s.startswith("Temporary Shelter Home"))
    assert "40 of the 43 districts have no site; 26 have none within 10.0\u00a0km" in hrt  # access is measured in Callao too
    assert not any(re.search(r"districts[^.]* have no (OREDIS|UA|CAI|Adoption)", s) for s in sentences)


def test_methodology_says_how_districts_were_matched_and_what_was_repaired(report):
    _, _, document = report
    text = text_of(section(document, "method"))
    assert "EPSG:32718" in text and "lima_callao_distritos.geojson" in text
    assert "«Carabaylo»" in text and "Carabayllo" in text  # the spelling finding
    assert "reparadas: ninguna" in text


# --- population and need, held to the 2017 census (shared/data/population/SOURCE.md) -------------

#: From SOURCE.md's district table: 60+, and 0-14 and 15-19 for the 0-17 estimate.
CENSUS_60_PLUS = {"Chorrillos": 38927, "San Borja": 26462, "San Juan de Lurigancho": 100822, "Santa María del Mar": 118}
CENSUS_0_14_15_19 = {"San Juan de Lurigancho": (249364, 82182), "Santa María del Mar": (206, 66)}
LIMA_60_PLUS = 1088981


def age_0_17(district: str) -> int:
    """0-14 plus 3/5 of 15-19, rounded at the end, as the methodology says."""
    young, teens = CENSUS_0_14_15_19[district]
    return round(young + 0.6 * teens)


def test_population_section_gives_each_service_its_people_without_it(report):
    _, _, document = report
    population = section(document, "population")
    rows = {r[0]: r for r in table_rows(population.find(".//table[@class='population']"))}
    unserved = CENSUS_60_PLUS["Chorrillos"] + CENSUS_60_PLUS["San Borja"]
    assert unserved == 65389
    ciam = rows["Centro Integral del Adulto Mayor (CIAM)"]
    assert ciam[1:5] == ["Personas de 60 años y más", "1 088 981", "65 389", f"{100 * (1 - unserved / LIMA_60_PLUS):.1f} %".replace(".", ",")]
    assert ciam[5].endswith(" km")
    demuna = rows["Defensoría Municipal del Niño y el Adolescente (DEMUNA)"]
    assert demuna[1].startswith("Niñas, niños y adolescentes de 0 a 17") and demuna[3:5] == ["0", "100,0 %"]
    assert "Censos Nacionales 2017" in text_of(population) and "INEI" in text_of(population)


def test_districts_ranked_by_need(report):
    _, _, document = report
    ciam = section(document, "svc-CIAM")
    assert table_rows(ciam.find(".//table[@class='gaps']")) == [
        ["Chorrillos", "Barranco", "5,4 km", "38 927"], ["San Borja", "Surquillo", "2,6 km", "26 462"]]
    demuna = section(document, "svc-DEMUNA")
    loaded = table_rows(demuna.find(".//table[@class='need-loaded']"))
    sjl = age_0_17("San Juan de Lurigancho")
    assert sjl == 298673 and loaded[0] == ["San Juan de Lurigancho", "1", "298 673", "298 673"] and len(loaded) == 5
    spread = text_of(demuna)
    assert "De 298 673 niñas, niños y adolescentes por DEMUNA en San Juan de Lurigancho" in spread
    assert f" {age_0_17('Santa María del Mar')} en Santa María del Mar" in spread
    assert "Ningún distrito carece de este servicio." in spread


def test_summary_says_how_many_people_live_without_the_service(report):
    _, _, document = report
    sentences = [text_of(li) for li in section(document, "summary").iter("li")]
    ciam = next(s for s in sentences if "CIAM" in s)
    assert "(allí viven 65 389 personas de 60 años y más)" in ciam


def test_methodology_says_which_census_and_how_0_17_is_estimated(report):
    _, _, document = report
    text = text_of(section(document, "method"))
    assert "0 a 14 más 3/5 de la de 15 a 19" in text
    assert "censadas en 2017 (no proyecciones" in text
    assert "CAR PAM, CAN, Mi60+, CIAM: personas de 60 años y más" in text
    assert "DEMUNA: niñas, niños y adolescentes de 0 a 17 años" in text and "CEM, SAU: mujeres" in text and "HRT: mujeres de 18 años y más" in text


def test_english_population_figures(english):
    document = parse_html(english / "report.html")
    rows = {r[0]: r for r in table_rows(section(document, "population").find(".//table[@class='population']"))}
    assert rows["Comprehensive Centre for Older Persons (CIAM)"][1:4] == ["People aged 60 and over", "1,088,981", "65,389"]
    sentences = [text_of(li) for li in section(document, "summary").iter("li")]
    assert "(65,389 people aged 60 and over live there)" in sentences[0] and "declares 43 CIAM while its table lists 41" in sentences[0]
    assert "0-14 plus 3/5 of those aged 15-19" in text_of(section(document, "method"))


def test_workbook_has_the_population_columns_as_numbers(census_build):
    _, out = census_build
    workbook = openpyxl.load_workbook(out / "coverage.xlsx")
    summary = workbook["Resumen"]
    header = [c.value for c in summary[1]]
    ciam = next(r for r in summary.iter_rows(min_row=2, values_only=True) if r[0] == "CIAM")
    row = dict(zip(header, ciam))
    assert row["Población objetivo"] == LIMA_60_PLUS and row["Viven en distritos sin el servicio"] == 65389
    assert row["Viven donde está (%)"] == 94.0 and isinstance(row["Distancia media ponderada (km)"], float)
    gaps = {(r[0], r[4]): r[8] for r in workbook["Brechas"].iter_rows(min_row=2, values_only=True)}
    assert gaps[("CIAM", "Chorrillos")] == 38927 and gaps[("CIAM", "San Borja")] == 26462
    need = workbook["Necesidad por distrito"]
    header = [c.value for c in need[1]]
    rows = {(r[0], r[3]): dict(zip(header, r)) for r in need.iter_rows(min_row=2, values_only=True)}
    assert rows[("DEMUNA", "San Juan de Lurigancho")]["Por centro"] == 298673
    assert rows[("CIAM", "Chorrillos")]["Estado"] == "sin el servicio" and rows[("CIAM", "Chorrillos")]["Por centro"] is None


# --- facilities with coordinates; confidential shelters ----------------------------------------

@pytest.fixture(scope="module")
def directory(shared_data) -> Path:
    return shared_data / "mimp_directorio" / "directorio.json"


@pytest.fixture(scope="module")
def with_facilities(seeded_cache, directory, tmp_path_factory):
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("report_facilities")
    analysis, _ = build(out=out, cache=seeded_cache, facilities=directory)
    return analysis, out


@pytest.fixture(scope="module")
def arequipa(seeded_cache, directory, tmp_path_factory):
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("report_arequipa")
    analysis, _ = build(out=out, cache=seeded_cache, boundaries="peru_distrital_simple", area="arequipa", facilities=directory,
                        population="censo_2017_edades")
    return analysis, out


def workbook_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path)
    return "\n".join(str(v) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_facilities_section_says_which_file_columns_counts_and_findings(with_facilities):
    _, out = with_facilities
    document = parse_html(out / "report.html")
    facilities = section(document, "facilities")
    text = text_of(facilities)
    assert "directorio.json" in text and "latitud ← «lat»" in text and "servicio ← «tipo»" in text
    rows = {r[0]: r for r in table_rows(facilities.find(".//table"))}
    assert rows["Centro Emergencia Mujer (CEM)"][1:3] == ["64", "64"]  # by evidence: 3 CEM of other provinces fall in Lima
    assert rows["Hogar de Refugio Temporal (HRT)"][1:4] == ["2", "0", "2"]
    assert "479 establecimientos del archivo están fuera del área" in text
    findings = [text_of(li) for li in facilities.find(".//ul").findall("li")]
    assert len(findings) == 7 and any(f.startswith("Cem Regular Magdalena Del Mar: el ubigeo 150134") for f in findings)
    assert "establecimiento más cercano del archivo directorio.json" in text_of(section(document, "method"))


@pytest.mark.parametrize("build_name", ["with_facilities", "arequipa"])
def test_no_name_or_phone_of_a_shelter_in_any_report_output(build_name, request, directory):
    import json

    _, out = request.getfixturevalue(build_name)
    shelters = [r for r in json.loads(directory.read_text(encoding="utf-8"))["servicios"] if r["tipo"] == "HRT"]
    assert len(shelters) == 29
    secrets = {r["nombre"] for r in shelters} | {r["telefono"] for r in shelters if r["telefono"]}
    secrets |= {r["telefono"].replace(" ", "") for r in shelters if r["telefono"]}
    outputs = {
        "report.html": (out / "report.html").read_text(encoding="utf-8"),
        "report.md": (out / "report.md").read_text(encoding="utf-8"),
        "coverage.xlsx": workbook_text(out / "coverage.xlsx"),
    }
    for name, text in outputs.items():
        found = [secret for secret in secrets if secret in text]
        assert not found, f"{name} shows shelter data: {found[:3]}"
    assert "Hogar de Refugio Temporal (HRT)" in outputs["report.html"]  # counted, just not located


# --- another area: Arequipa, with the directory -----------------------------------------------

def test_arequipa_report_names_its_area_and_shows_no_lima_figures_as_its_own(arequipa):
    _, out = arequipa
    document = parse_html(out / "report.html")
    title = text_of(document.find(".//h1"))
    assert title == "Análisis de brechas de los servicios del MIMP en Arequipa"
    assert "no de Arequipa" in text_of(document.find(".//header"))
    assert document.find(".//table[@class='usage keep']") is None
    assert "Cifras de uso" not in [text_of(h) for h in document.iter("h3")]
    for anchor in ["summary", "population", "facilities", *(f"svc-{c}" for c in ("CEM", "CAI", "SAU", "SAR", "HRT"))]:
        assert "Lima" not in text_of(section(document, anchor)), anchor
    summary_header = [text_of(th) for th in section(document, "summary").findall(".//thead/tr/th")]
    assert "Total declarado" not in summary_header
    assert document.find(".//section[@id='unmapped']") is None
    assert "518 establecimientos del archivo están fuera del área" in text_of(section(document, "facilities"))
    workbook = openpyxl.load_workbook(out / "coverage.xlsx")
    assert "Cifras de uso" not in workbook.sheetnames and "Total declarado" not in [c.value for c in workbook["Resumen"][1]]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Análisis de brechas de los servicios del MIMP en Arequipa")
    assert "Casos atendidos por violencia" not in markdown and "34 639" not in markdown
    assert sorted(p.name for p in (out / "img").glob("*.png")) == ["CAI.png", "CEM.png", "HRT.png", "SAR.png", "SAU.png"]


def test_arequipa_maps_and_distances_in_its_utm_zone(arequipa):
    from coverage_map.boundaries import metric_crs
    from coverage_map.figures import prepare_frame

    analysis, out = arequipa
    crs = metric_crs(analysis.districts)
    assert crs == "EPSG:32718"  # the zone of the area's centre (about 72.6° W)
    assert prepare_frame(analysis.districts).districts.crs == crs
    assert crs in text_of(section(parse_html(out / "report.html"), "method"))


def test_a_population_file_with_totals_only_is_named_as_such(seeded_cache, shared_data):
    """Measured against the whole population where the file lacks the group, and said so; no census claims."""
    from coverage_map.pipeline import analyse
    from coverage_map.phrases import group_label
    from coverage_map.report import report_context

    analysis = analyse(cache=seeded_cache, population=shared_data / "population" / "2017-census-population.csv")
    assert group_label(analysis, "CIAM", "es") == "Toda la población (el archivo de población no da «personas de 60 años y más»)"
    assert group_label(analysis, "OREDIS", "en").startswith("Whole population (the census does not count")
    context = report_context(analysis, lang="es")
    assert "el archivo 2017-census-population.csv" in context["population"]["intro"]
    method = " ".join(context["method"]["paragraphs"])
    assert "3/5" not in method and "censadas en 2017" not in method
    assert context["population"]["rows"][-1]["people"] == f"8{NBSP}574{NBSP}974"  # CIAM against everyone in Lima


def test_static_map_layout_follows_the_shape_of_the_area(default_build, arequipa):
    from coverage_map.figures import TALL, WIDE, prepare_frame

    lima, wide = prepare_frame(default_build[0].districts), prepare_frame(arequipa[0].districts)
    assert lima.layout == TALL and wide.layout == WIDE
    main, inset = WIDE.main, WIDE.inset
    assert inset[1] + inset[3] <= main[1]  # the inset sits below the map, not on it
    assert lima.named.all()  # every Lima district keeps its name
    assert not wide.named.all() and wide.named.sum() > 50  # the tiniest Arequipa districts go unnamed


# --- issue 11: the summary first, short tables, the annexes last ----------------------------------

def test_summary_comes_first_with_the_dates_the_gaps_and_the_access(report):
    analysis, _, document = report
    main = document.find(".//main")
    assert main[0].tag == "section" and main[0].get("id") == "summary"
    header = text_of(document.find(".//header"))
    assert "Resumen ejecutivo 2023" in header and "enero de 2023" in header and "Censos Nacionales 2017" in header
    lima = analysis.created - timedelta(hours=5)  # Peru: UTC-5 all year
    assert f"{lima.year}, {lima:%H:%M} (hora de Lima)" in header
    summary = section(document, "summary")
    gaps = [text_of(li) for li in summary.find(".//ul[@class='sentences gaps-to-act']").findall("li")]
    assert len(gaps) == 1 and gaps[0].startswith("Chorrillos y San Borja no tienen Centro Integral del Adulto Mayor (CIAM)")
    access = [text_of(li) for li in summary.find(".//ul[@class='sentences access']").findall("li")]
    hrt = next(s for s in access if s.startswith("Hogar de Refugio Temporal (HRT)"))
    assert "40 de los 43 distritos no tienen sede" in hrt and int(analysis.coverage.summary.at["HRT", "without_site"]) == 40
    cai = next(s for s in access if s.startswith("CAI, UA y OREDIS"))
    assert "de la sede (Lima); el distrito más lejano, " in cai
    links = [a.get("href") for a in summary.iter("a")]
    assert links == ["map.html", "coverage.csv", "coverage.xlsx", "coverage.geojson"]


def test_provenance_is_the_last_annex_after_the_services(report):
    _, _, document = report
    ids = [s.get("id") for s in document.find(".//main").findall("section")]
    assert ids[-3:] == ["annex", "access-annex", "sources"]
    assert max(i for i, name in enumerate(ids) if name.startswith("svc-")) < ids.index("checks") < ids.index("sources")
    rows = table_rows(section(document, "sources").find(".//table"))
    census = next(r for r in rows if r[0] == "Población")
    assert "estadística pública del INEI" in census[2] and "public statistics" not in census[2]


def test_landmarks_hold_the_whole_page(report):
    _, _, document = report
    body = document.find("body")
    assert [child.tag for child in body] == ["header", "main", "footer", "script"]
    assert document.find(".//main/nav") is not None


def test_number_cells_carry_their_value_for_sorting(report):
    _, _, document = report
    hrt = section(document, "svc-HRT").find(".//table[@class='access']")
    first = hrt.find(".//tbody/tr").findall("td")
    assert first[4].get("data-value") == str(float(int(text_of(first[4]).replace(" ", ""))))


def test_markdown_follows_the_same_order(default_build):
    _, out = default_build
    headings = [line for line in (out / "report.md").read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
    assert headings[0] == "## Resumen ejecutivo" and headings[-1] == "## Anexo: archivos, versiones y opciones"
    assert headings.index("## Servicios con datos por distrito") < headings.index("## Verificación de las fuentes")


@pytest.fixture(scope="module")
def national(seeded_cache, tmp_path_factory):
    """All of Peru (1 834 districts of the file), CEM counted in three districts, counts only."""
    from coverage_map.pipeline import analyse
    from coverage_map.report import render_report, report_context

    inventory = tmp_path_factory.mktemp("national") / "inv.csv"
    inventory.write_text("ubigeo,service,count\n040101,CEM,2\n150132,CEM,1\n080101,CEM,1\n", encoding="utf-8")
    analysis = analyse(boundaries="peru_distrital_simple", area="peru", inventory=inventory, population=None, cache=seeded_cache)
    context = report_context(analysis, lang="es")
    return analysis, context, render_report(context, "html")


def test_national_report_keeps_25_gap_rows_per_service_and_the_rest_in_the_workbook(national, tmp_path):
    analysis, context, html = national
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    document = parse_html(path)
    long = 0
    for service in context["mapped"]:
        element = section(document, service["anchor"])
        for table in element.findall(".//table"):
            if table.get("class") in ("gaps", "access"):
                assert len(table_rows(table)) <= (25 if table.get("class") == "gaps" else 10), service["code"]
        gaps = analysis.coverage.gaps(service["code"])
        if len(gaps) > 25:
            long += 1
            assert f"Se muestran los primeros 25; los otros {len(gaps) - 25:,} están en coverage.xlsx.".replace(",", " ") in text_of(element)
    assert long >= 1
    assert "coverage.xlsx" in text_of(section(document, "annex")) and document.find(".//table[@class='matrix']") is None


def test_without_population_a_network_service_is_summed_up_by_distance(seeded_cache):
    from coverage_map.pipeline import analyse
    from coverage_map.report import summary_sentences

    analysis = analyse(cache=seeded_cache, population=None)
    hrt = next(s for s in summary_sentences(analysis, "es") if s.startswith("Hogar de Refugio Temporal (HRT)"))
    gaps = analysis.coverage.gaps("HRT")
    mean = f"{gaps['nearest_km'].mean():.1f}".replace(".", ",")
    assert f"40 de los 43 distritos no tienen sede; la más cercana está en promedio a {mean}\u00a0km" in hrt
    assert "(la más lejana, desde Pucusana: 53,4\u00a0km)" in hrt


@pytest.mark.parametrize("lang, expected", [("es", "5 de diciembre de 2026, 04:03 (hora de Lima)"),
                                            ("en", "December 5, 2026, 04:03 (Lima time)")])
def test_the_run_time_is_given_in_lima_time(lang, expected):
    """Issue 21: a planner in Lima reads her own clock; the manifest keeps UTC."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from coverage_map.provenance import run_date

    assert run_date(SimpleNamespace(created=datetime(2026, 12, 5, 9, 3, tzinfo=timezone.utc)), lang) == expected


def test_report_states_the_run_in_lima_time(default_build):
    _, out = default_build
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r"Fecha de la ejecución:</strong> \d+ de \w+ de \d{4}, \d\d:\d\d \(hora de Lima\)", page)
