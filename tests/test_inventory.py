import pandas as pd
import pytest

from coverage_map.districts import load_gazetteer
from coverage_map.errors import InputError
from coverage_map.inventory import (
    EMBEDDED_SCOPE,
    load_catalogue,
    load_declared_totals,
    load_embedded_inventory,
    load_indicators,
    load_usage,
    read_inventory,
)

LIMA = ("1501",)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def read(path, catalogue, gazetteer):
    return read_inventory(path, catalogue=catalogue, gazetteer=gazetteer, scope=LIMA)


def write(tmp_path, text, encoding="utf-8", name="inventario.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# The embedded data, held to the seed


def test_catalogue_has_every_service_of_the_seed_and_the_rural_one(catalogue):
    services = catalogue.services
    assert len(services) == 22  # the seed's 21 and SAR, which MIMP's national directory lists
    assert len(catalogue.place_based) == 18
    assert set(services.index[~services["place_based"]]) == {"LINEA100", "RNPCD", "JUGUEMOS", "PONTE_NINEZ"}
    assert services.index[services["confidential"]].tolist() == ["HRT"]
    assert services.at["CIAM", "program"] == "GOBIERNO_LOCAL"
    assert services.at["CEM", "program"] == "AURORA"
    assert catalogue.label("HRT", "es") == "Hogar de Refugio Temporal"


@pytest.mark.parametrize(("text", "code"), [("CAR NNA", "CAR_NNA"), ("car-nna", "CAR_NNA"), ("Mi 60+", "MI60"),
                                            ("EDUC. DE CALLE", "EDUCALLE"), ("Demunas", "DEMUNA"), ("ciam", "CIAM")])
def test_services_are_resolved_from_codes_acronyms_and_aliases(catalogue, text, code):
    assert catalogue.resolve(text) == code


def test_embedded_inventory_lists_the_seeds_districts(catalogue, gazetteer):
    inventory = load_embedded_inventory(catalogue, gazetteer)
    by_service = inventory.counts.groupby("service")["ubigeo"].apply(set)
    assert by_service["HRT"] == {"150106", "150101", "150132"}  # Carabayllo, Lima, SJL
    assert by_service["UPE"] == {"150101", "150103", "150133"}  # Lima, Ate, SJM
    assert by_service["UA"] == {"150122"}  # Miraflores
    assert by_service["CAI"] == {"150101"}  # El Agustino is an intervention area only
    assert by_service["OREDIS"] == {"150101"}
    assert len(by_service["DEMUNA"]) == 43
    assert len(by_service["CIAM"]) == 41
    assert not {"150108", "150130"} & by_service["CIAM"]  # Chorrillos, San Borja
    assert "CEM" not in inventory.scope  # no district breakdown in the seed
    assert inventory.scope["CIAM"] == EMBEDDED_SCOPE
    assert inventory.counts["source"].str.startswith("000 ").all()


def test_declared_totals_and_usage_follow_the_seed():
    totals = load_declared_totals()["declared_total"]
    assert totals["CEM"] == 65 and totals["CIAM"] == 43 and totals["CEDIF"] == 12 and totals["HRT"] == 3
    assert totals.isna()["LINEA100"]
    usage = load_usage().set_index(["service", "period", "unit_es"]).sort_index()["value"]
    assert usage["CEM", "2022", "Casos atendidos por violencia"] == 34639
    assert usage["CEM", "2023-01", "Casos atendidos por violencia"] == 2608
    assert usage["UPE", "2022"].iloc[0] == 7684


def test_indicators_keep_missing_values_missing():
    indicators = load_indicators().set_index("code")
    assert len(indicators) == 18
    demuna = indicators.loc["03.07.02"]
    assert (demuna["result_2021"], demuna["result_2022"], demuna["change_pp"]) == (19.9, 23.7, 3.8)
    assert demuna["related_service"] == "DEMUNA"
    assert indicators["result_2021"].isna()["03.01.03"]  # "-" in the seed
    assert indicators.at["04.03.01", "result_2022"] == 0  # a real 0


# A user's own inventory


def test_latin1_semicolon_file_with_accented_upper_case_and_old_names(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "distrito;servicio;cantidad\nRÍMAC;CEM;2\nMagdalena Vieja;cem;1\nBREÑA;CAR NNA;0\n", "cp1252")
    inventory = read(path, catalogue, gazetteer)
    counts = inventory.counts.set_index(["service", "ubigeo"])["count"]
    assert counts.to_dict() == {("CEM", "150128"): 2, ("CEM", "150121"): 1, ("CAR_NNA", "150105"): 0}
    assert inventory.scope == {"CEM": LIMA, "CAR_NNA": LIMA}
    assert inventory.counts["source"].tolist() == ["inventario.csv, row 2", "inventario.csv, row 3", "inventario.csv, row 4"]


def test_utf8_with_bom_and_ubigeo_as_text(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "\ufeffubigeo,service,count\n150101,CEM,4\n070101,CEM,1\n", "utf-8")
    counts = read(path, catalogue, gazetteer).counts
    assert counts["ubigeo"].tolist() == ["150101", "070101"]


def test_the_file_is_not_modified(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "distrito;servicio;cantidad\nRÍMAC;CEM;2\n", "cp1252")
    before = path.read_bytes()
    read(path, catalogue, gazetteer)
    assert path.read_bytes() == before


def test_every_problem_is_reported_at_once_with_its_row(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "district,service,count\nComas,DEMUMA,1\nComas,CIAM,-1\nComas,DEMUNA,1.5\nChorillos,CEM,1\n")
    with pytest.raises(InputError) as err:
        read(path, catalogue, gazetteer)
    assert str(err.value) == (
        f"{path}: 4 problems: row 2, service 'DEMUMA': unknown service (closest: "
        "DEMUNA, JUGUEMOS, CEM); row 3, count '-1': not a whole number of 0 or more; "
        "row 4, count '1.5': not a whole number of 0 or more; row 5, district: 'Chorillos' is not the name "
        "of a district of Lima or Callao (closest: Chorrillos, Surquillo, Callao). Correct the name or give "
        "its ubigeo."
    )


def test_a_missing_column(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "distrito,servicio\nComas,CEM\n")
    with pytest.raises(InputError) as err:
        read(path, catalogue, gazetteer)
    assert str(err.value).startswith(f"Inventory {path} lacks the column count (columns found: ")
    assert str(err.value).endswith("It needs: service, count, and ubigeo or district.")


def test_a_service_that_is_not_place_based(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "district,service,count\nComas,Línea 100,1\n")
    with pytest.raises(InputError, match=r"row 2, service 'Línea 100': LINEA100 is not place-based"):
        read(path, catalogue, gazetteer)


def test_the_same_district_twice_for_a_service(tmp_path, catalogue, gazetteer):
    path = write(tmp_path, "district,service,count\nRímac,CEM,1\nRIMAC,CEM,2\n")
    with pytest.raises(InputError, match=r"row 2 and row 3 both give CEM in Rímac: keep one"):
        read(path, catalogue, gazetteer)


def test_a_missing_file(tmp_path, catalogue, gazetteer):
    with pytest.raises(InputError, match=r"Inventory file not found: .*nada.csv. Check the path given to --inventory."):
        read(tmp_path / "nada.csv", catalogue, gazetteer)


def test_what_the_source_says_and_what_is_our_reading():
    usage = load_usage()
    january = usage[usage["service"].isin(["CAR_NNA", "CAR_PCD", "CAR_PAM", "CAN"]) & (usage["period"] == "2023-01")]
    assert len(january) == 4 and january["unit_es"].str.endswith("no ingresos del mes)").all()
    assert january["unit_en"].str.endswith("not the month's intake)").all()
    # 03.07.04 is Juguemos on the river platforms (PIAS): no Lima service to pair it with
    indicators = load_indicators().set_index("code")
    assert pd.isna(indicators.at["03.07.04", "related_service"]) or indicators.at["03.07.04", "related_service"] == ""
    services = load_catalogue().services
    assert "centro de día para personas de 60 años y más" in services.at["CEDIF", "description_es"]
    assert "Directorio Nacional de servicios del MIMP (2026)" in services.at["SAR", "description_es"]
    assert (services.at["HRT", "target_group"], services.at["CAI", "target_group"]) == ("adult_women", "aggressors")
    declared = load_declared_totals()
    assert "lectura nuestra" in declared.at["MI60", "detail_es"] and "confidencial" not in declared.at["HRT", "detail_es"]
