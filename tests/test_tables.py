from coverage_map.tables import find_columns, read_csv, read_text


def test_latin1_and_semicolons_are_read(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_bytes("Distrito;Servicio;Cantidad\nRímac;CIAM;1\n".encode("cp1252"))
    text, encoding = read_text(path, what="inventory", option="--inventory")
    assert text.startswith("Distrito;") and encoding
    table = read_csv(path, what="inventory")
    assert table.to_dict("records") == [{"Distrito": "Rímac", "Servicio": "CIAM", "Cantidad": "1"}]


def test_columns_are_found_regardless_of_case_and_accents():
    aliases = {"district": ("district", "distrito"), "count": ("count", "cantidad")}
    assert find_columns(["DISTRITO", "Cantidad", "x"], aliases) == {"district": "DISTRITO", "count": "Cantidad"}
