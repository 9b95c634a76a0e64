"""Any province of Peru, on the national boundaries (INEI 2007 via MINAM, from the seeded cache)."""

import pytest

from coverage_map.errors import InputError
from coverage_map.pipeline import analyse


@pytest.fixture(scope="module")
def arequipa(seeded_cache, shared_data):
    directory = shared_data / "mimp_directorio" / "directorio.json"
    return analyse(boundaries="peru_distrital_simple", area="arequipa", facilities=directory, cache=seeded_cache,
                   population="censo_2017_edades")


def test_a_department_takes_its_districts_and_names_from_the_file(arequipa):
    districts = arequipa.districts
    assert len(districts) == 109 and districts["ubigeo"].str.startswith("04").all()
    names = districts.set_index("ubigeo")["name"]
    assert names["040101"] == "Arequipa" and names["040104"] == "Cerro Colorado"
    assert districts.set_index("ubigeo").at["040104", "province"] == "Arequipa"


def test_only_services_with_data_are_measured_outside_lima(arequipa):
    assert set(arequipa.coverage.summary.index) == {"CEM", "CAI", "SAU", "HRT", "SAR"}
    assert arequipa.coverage.summary["declared_total"].isna().all()  # Lima's totals do not apply
    assert not set(arequipa.checks["check"]) & {"table_total", "declared_vs_listed", "spelling"}


def test_cem_of_arequipa_from_the_directory(arequipa):
    cem = arequipa.coverage.table.query("service == 'CEM'").set_index("ubigeo")
    assert cem.at["040101", "status"] == "present"
    assert cem["count"].sum() == len(arequipa.facilities.points.query("service == 'CEM'"))


def test_a_province_by_ubigeo_prefix_and_a_department_and_province_by_name(seeded_cache, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("ubigeo,service,count\n040101,CIAM,1\n040104,CIAM,2\n", encoding="utf-8")
    by_code = analyse(boundaries="peru_distrital_simple", area="0401", inventory=inventory, cache=seeded_cache, population=None)
    assert len(by_code.districts) == 29
    assert by_code.coverage.summary.at["CIAM", "gaps"] == 27
    by_name = analyse(boundaries="peru_distrital_simple", area="AREQUIPA", inventory=inventory, cache=seeded_cache, population=None)
    assert len(by_name.districts) == 109
    caylloma = tmp_path / "caylloma.csv"
    caylloma.write_text("ubigeo,service,count\n040501,CIAM,1\n", encoding="utf-8")
    province = analyse(boundaries="peru_distrital_simple", area="Caylloma", inventory=caylloma, cache=seeded_cache, population=None)
    assert province.districts["ubigeo"].str.startswith("0405").all() and len(province.districts) > 1


def test_an_area_outside_lima_needs_an_inventory(seeded_cache):
    with pytest.raises(InputError) as err:
        analyse(boundaries="peru_distrital_simple", area="arequipa", cache=seeded_cache)
    assert str(err.value) == (
        "The area 'arequipa' is outside Lima Metropolitana, where the embedded MIMP inventory ends: give "
        "your counts with --inventory or your facilities with --facilities."
    )


def test_names_are_matched_within_the_area(seeded_cache, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("distrito,servicio,cantidad\nMIRAFLORES,CIAM,1\nCerro Colorado,CIAM,1\n", encoding="utf-8")
    analysis = analyse(boundaries="peru_distrital_simple", area="0401", inventory=inventory, cache=seeded_cache, population=None)
    hosts = set(analysis.coverage.table.query("service == 'CIAM' and status == 'present'")["ubigeo"])
    assert hosts == {"040110", "040104"}  # Arequipa's Miraflores, not Lima's


def test_a_row_outside_the_area_is_an_error_not_dropped(seeded_cache, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("distrito,servicio,cantidad\nComas,CIAM,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, district: 'Comas' is not the name of a district of the area '0401'"):
        analyse(boundaries="peru_distrital_simple", area="0401", inventory=inventory, cache=seeded_cache, population=None)


def test_national_lima_reports_santa_anita_without_geometry(seeded_cache):
    analysis = analyse(boundaries="peru_distrital_simple", cache=seeded_cache, population=None)
    empty = analysis.checks.query("check == 'boundary_empty'")
    assert "Santa Anita" in empty["message_en"].iloc[0]
    santa_anita = analysis.coverage.table.query("service == 'CIAM' and district == 'Santa Anita'").iloc[0]
    assert santa_anita["status"] == "present" and santa_anita["nearest_km"] == 0


def test_all_of_peru_is_every_district_of_the_file(seeded_cache, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("ubigeo,service,count\n040101,CEM,2\n150132,CEM,1\n", encoding="utf-8")
    analysis = analyse(boundaries="peru_distrital_simple", area="peru", inventory=inventory, cache=seeded_cache, population=None)
    assert len(analysis.districts) == 1834
    # Mi Perú (2014) is not in a file of 2007 limits: said, not refused, for the whole country
    missing = analysis.checks.query("check == 'boundary_missing'")
    assert missing["message_en"].tolist() == [
        "Boundaries: the district Mi Perú (070107) is not in the file; it is left out of the analysis."]
    table = analysis.coverage.table.set_index(["service", "ubigeo"])
    assert table.at[("CEM", "040101"), "count"] == 2 and table.at[("CEM", "150132"), "count"] == 1
    assert table.at[("CEM", "080101"), "status"] == "gap"  # the user's file is complete for its services
    # the embedded inventory knows Lima Metropolitana only: elsewhere CIAM is unknown, not a gap
    assert table.at[("CIAM", "150101"), "status"] == "present" and table.at[("CIAM", "040101"), "status"] == "unknown"
    assert table.at[("CIAM", "150108"), "status"] == "gap"  # Chorrillos
    # Lima's declared totals and table checks would mislead beside national counts
    assert analysis.coverage.summary["declared_total"].isna().all()
    assert not set(analysis.checks["check"]) & {"table_total", "declared_vs_listed"}
