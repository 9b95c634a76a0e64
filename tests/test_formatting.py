from coverage_map.formatting import (
    NBSP, area_title, change_pp, cite, cite_origin, km, listing, number, number_range, percent, period, plural,
    separators,
)
from coverage_map.inventory import Origin


def test_numbers_follow_the_language():
    assert number(34639, "es") == f"34{NBSP}639" and number(34639, "en") == "34,639"
    assert number(1088981.25, "es", 1) == f"1{NBSP}088{NBSP}981,2" and number(1088981.25, "en", 1) == "1,088,981.2"
    assert km(5.43, "es") == f"5,4{NBSP}km" and km(5.43, "en") == f"5.4{NBSP}km"
    assert percent(23.7, "es") == f"23,7{NBSP}%" and percent(23.7, "en") == "23.7%"
    assert change_pp(3.8, "es") == "+3,8" and change_pp(-0.5, "en") == "−0.5" and change_pp(0, "en") == "±0.0"
    assert number_range(10001, 20000, "es") == f"10{NBSP}001–20{NBSP}000" and number_range(7, 7, "en") == "7"


def test_the_map_gets_the_same_separators():
    assert separators("es") == {"thousands": NBSP, "decimal": ",", "unit_space": NBSP}
    assert separators("en") == {"thousands": ",", "decimal": ".", "unit_space": NBSP}


def test_listings():
    assert listing(["A", "B", "C"], "es") == "A, B y C"
    assert listing(["A", "B", "C"], "en") == "A, B and C"
    assert listing(["A"], "es") == "A" and listing([], "en") == ""
    assert listing(["a", "b", "c"], word=None) == "a, b, c"
    assert listing([str(i) for i in range(10)], limit=8) == "0, 1, 2, 3, 4, 5, 6, 7 and 2 more"
    assert listing([str(i) for i in range(10)], "es", limit=8) == "0, 1, 2, 3, 4, 5, 6, 7 y 2 más"
    assert plural(1, "distrito", "distritos") == "distrito" and plural(0, "distrito", "distritos") == "distritos"


def test_periods():
    assert period("2022", "es") == "año 2022" and period("2023-01", "es") == "enero de 2023"
    assert period("2023-12", "en") == "December 2023"


def test_one_title_per_document_in_every_citation():
    embedded = Origin("embedded", "data/district_counts.csv", "000 I. AURORA 1.5")
    assert cite_origin(embedded, "es") == "MIMP, Resumen ejecutivo de servicios en Lima Metropolitana (2023), sección I. AURORA 1.5"
    assert cite_origin(embedded, "en") == "MIMP, Executive summary of services in Lima Metropolitana (2023), section I. AURORA 1.5"
    assert cite("000 I. AURORA 1.5", "es") == cite_origin(embedded, "es")
    assert cite_origin(Origin("inventory", "/tmp/x/mine.csv"), "es") == "mine.csv"
    assert cite("/tmp/a/b.csv; /tmp/c.csv", "en") == "b.csv; c.csv"


def test_area_titles():
    assert area_title("lima", "es") == "Lima Metropolitana"
    assert area_title("lima-callao", "en") == "Lima Metropolitana and Callao"
    assert area_title("peru", "es") == "Perú"
    assert area_title("0401", "en") == "ubigeo 0401"
    assert area_title("arequipa", "es") == "Arequipa"


def test_counted_says_one_and_many_in_each_language():
    from coverage_map.formatting import counted

    assert counted(1, "plan_new_sites", "es") == "1 sitio nuevo"
    assert counted(1_834, "plan_candidates", "es") == "1\u00a0834 candidatos"
    assert counted(2, "plan_existing_sites", "en") == "2 existing sites"
    assert counted(1, "plan_candidates", "en") == "1 candidate"


def test_a_finding_is_placed_by_its_section_never_by_the_seeds_internal_key():
    from coverage_map.formatting import section_of

    assert section_of("000 Servicios que promueve 3", "es") == "sección Servicios que promueve 3"
    assert section_of("000 I. AURORA 1.5; 000 Servicios que promueve 2", "en") == "section I. AURORA 1.5; section Servicios que promueve 2"
    assert section_of("directorio.json, fila 3", "es") == "directorio.json, fila 3"


def test_a_registered_sources_credit_has_no_spanish_word_in_english():
    from coverage_map.formatting import credit
    from coverage_map.sources import registry

    for source in registry().values():
        assert " vía " not in credit(source, "en")
    assert any(" via " in credit(source, "en") for source in registry().values())


def test_a_cost_is_written_in_its_unit():
    from coverage_map.formatting import cost

    assert cost(5.44, "km", "es") == km(5.44, "es")
    assert cost(24.6, "min", "es") == "25\u00a0min" and cost(1234.4, "min", "en") == "1,234\u00a0min"
