import pytest

import pandas as pd

from coverage_map.districts import area_prefixes, display_name, load_gazetteer, normalize_name, normalize_ubigeo
from coverage_map.errors import DistrictMatchError


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_gazetteer_has_the_43_districts_of_lima_and_7_of_callao(gazetteer):
    ubigeos = gazetteer.districts["ubigeo"]
    assert ubigeos.str.startswith("1501").sum() == 43
    assert ubigeos.str.startswith("0701").sum() == 7
    assert gazetteer.name("150101") == "Lima"
    assert gazetteer.name("150121") == "Pueblo Libre"
    assert gazetteer.name("070107") == "Mi Perú"


@pytest.mark.parametrize(
    ("value", "ubigeo"),
    [
        ("Rímac", "150128"),
        ("RIMAC", "150128"),
        ("  distrito de  rímac ", "150128"),
        ("Distrito Rímac", "150128"),
        ("BREÑA", "150105"),
        ("BREÃ‘A", "150105"),  # UTF-8 read as cp1252
        ("MI PERÃz", "070107"),  # as spelled by the default boundary file
        ("Carabaylo", "150106"),  # as spelled by the seed
        ("Magdalena Vieja", "150121"),  # old name of Pueblo Libre
        ("Cercado de Lima", "150101"),
        ("San Martín de Porres", "150135"),
        ("san martin de porres", "150135"),
        ("Lurigancho-Chosica", "150118"),
        ("150101", "150101"),
        ("070101", "070101"),
        ("70101", "070101"),  # Excel dropped the leading zero
        (150143, "150143"),
    ],
)
def test_lookup_reads_codes_names_variants_and_mojibake(gazetteer, value, ubigeo):
    assert gazetteer.lookup(value) == ubigeo


def test_codes_are_text_and_keep_the_leading_zero():
    assert normalize_ubigeo("070101") == "070101"
    assert normalize_ubigeo(70101) == "070101"
    assert normalize_ubigeo("70101.0") == "070101"
    assert normalize_ubigeo("Lima") is None
    assert normalize_ubigeo("1501") is None


def test_normalize_name_strips_case_accents_punctuation_and_prefix():
    assert normalize_name("Distrito de Jesús  María") == "JESUS MARIA"
    assert normalize_name("Villa María del Triunfo.") == "VILLA MARIA DEL TRIUNFO"


def test_an_unknown_name_is_an_error_naming_where_and_the_closest_districts(gazetteer):
    with pytest.raises(DistrictMatchError) as err:
        gazetteer.match("Chorillos", where="x.csv, row 3, district")
    assert str(err.value) == (
        "x.csv, row 3, district: 'Chorillos' is not the name of a district of Lima or Callao "
        "(closest: Chorrillos, Surquillo, Callao). Correct the name or give its ubigeo."
    )


def test_an_unknown_code_is_an_error(gazetteer):
    with pytest.raises(DistrictMatchError, match="ubigeo 150199 is not a district of Lima or Callao"):
        gazetteer.match("150199", where="row 2")


def test_official_spelling_ignores_case_and_accents_only(gazetteer):
    assert gazetteer.is_official_spelling("RIMAC", "150128")
    assert not gazetteer.is_official_spelling("Carabaylo", "150106")


def test_areas():
    assert area_prefixes("lima") == ("1501",)  # Lima Metropolitana, not the department
    assert area_prefixes("lima-callao") == ("1501", "0701")
    assert area_prefixes("arequipa") == ("04",)
    assert area_prefixes("ÁNCASH") == ("02",) == area_prefixes("ancash")
    assert area_prefixes("0401") == ("0401",)
    assert area_prefixes("peru") == ("",)  # every district of the file
    provinces = pd.DataFrame({"code": ["0401", "0208"], "name": ["AREQUIPA", "CASMA"]})
    assert area_prefixes("Casma", provinces) == ("0208",)
    with pytest.raises(DistrictMatchError, match="Unknown area 'Atlantis'. Use lima, lima-callao, peru, a department"):
        area_prefixes("Atlantis", provinces)


def test_display_name_writes_upper_case_names_as_people_do():
    assert display_name("JOSE LUIS BUSTAMANTE Y RIVERO") == "Jose Luis Bustamante y Rivero"
    assert display_name("CERRO COLORADO") == "Cerro Colorado"


def test_the_gazetteer_grows_with_the_districts_of_a_boundary_file():
    extra = pd.DataFrame({"ubigeo": ["040101", "040104", "210101", "220101"],
                          "name": ["Arequipa", "Cerro Colorado", "Santa Rosa", "Santa Rosa"],
                          "province": "", "department": ""})
    gazetteer = load_gazetteer().with_districts(extra, area="peru")
    assert gazetteer.lookup("CERRO COLORADO") == "040104"
    assert gazetteer.lookup("040101") == "040101"
    assert gazetteer.lookup("Rímac") == "150128"
    assert gazetteer.lookup("Santa Rosa") is None  # Lima's, Puno's and San Martín's
    assert str(gazetteer.explain("Santa Rosa", where="row 2")) == (
        "row 2: 'Santa Rosa' is the name of several districts (150139, 210101, 220101). Give its ubigeo."
    )
