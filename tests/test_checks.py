from coverage_map.checks import COLUMNS, finding, table_totals


def test_a_finding_has_its_message_in_both_languages():
    row = finding("boundary_empty", "", "bounds.geojson", "geometry", "none", name="Santa Anita")
    assert list(row) == COLUMNS
    assert row["message_es"].startswith("Límites: el distrito Santa Anita no tiene geometría")
    assert row["message_en"].startswith("Boundaries: the district Santa Anita has no geometry")


def test_the_seed_consolidated_table_that_does_not_add_up():
    [row] = table_totals()
    assert (row["expected"], row["found"], row["where"]) == (110, 111, "000 Consolidado")
    assert row["message_es"] == "Consolidado «SERVICIOS QUE OPERAMOS AL 100%»: el total indicado es 110, pero sus columnas suman 111."
