"""Placement by evidence (--place-by evidence, the default), on MIMP's directory and by hand."""

import json

import pytest

from coverage_map.districts import load_gazetteer
from coverage_map.facilities import read_facilities
from coverage_map.maps import map_data
from coverage_map.pipeline import analyse
from coverage_map.placement import DistrictNames, decide


@pytest.fixture(scope="module")
def names():
    return DistrictNames(load_gazetteer())


# The district a text names


@pytest.mark.parametrize(("text", "ubigeo"), [
    ("Cem Regular Magdalena Del Mar", "150120"),  # not Magdalena Vieja (Pueblo Libre), not "Magdalena" alone
    ("Av. 11 De Enero Cruce Con Calle Huaral, Asociacion La Variante, Ancon.", "150102"),
    ("Calle Moquegua Con Trujillo-Urb. Caja De Agua - San Juan De Lurigancho", "150132"),  # longest: not Lurigancho
    ("Jr. Primero De Mayo S/N Cuadra 3 Iii Zona - Bayovar - Sjl -Lima", "150132"),  # a variant; Lima is the province
    ("Av. Santa Justina Cdra 07-Cercado De Lima-2Do Piso De La Comisaría", "150101"),
    ("Cem Regular San Miguel - Lima", "150136"),
    ("SAU Lima", None),  # a province's name (or the region's) names no district
    ("Casa Acogida Temporal Callao", None),
    ("Jr. Cañete N° 100-Lima", None),
    ("Av. Lince 100", None),  # a street's name
    ("Concha Acústica De Campo Marte – Av. Horacio Urteaga Cuadra 5, Distrito De Jesús María", "150113"),
    ("No se registra por confidencialidad", None),
])
def test_the_district_a_text_names(names, text, ubigeo):
    assert names.named_in(text) == ubigeo


def test_a_name_names_only_a_district_of_the_records_province(names):
    """"Cem Regular Miraflores" of Arequipa (ubigeo 040110) does not name Lima's Miraflores;
    Lima and Callao are one city."""
    assert names.named_in("Cem Regular Miraflores", within=("0401",)) is None
    assert names.named_in("Cem Regular Miraflores", within=("1501", "0701")) == "150122"
    assert names.named("Mi Peru", within=("1501", "0701")) == "070107"


def test_most_signals_decide_and_a_tie_keeps_the_ubigeo():
    evidence = decide({"ubigeo": "150134", "district": "150134", "point": "150120", "address": "150120", "name": "150120"})
    assert evidence.district == "150120" and evidence.in_doubt == {"ubigeo": "150134", "district": "150134"}
    assert not evidence.tie
    tie = decide({"ubigeo": "150131", "district": "150131", "address": "150122", "name": "150122"})
    assert tie.district == "150131" and tie.tie
    assert decide({"point": "150131", "name": "150122"}).district == "150131"  # no ubigeo: the point, then the fields


# MIMP's directory


def test_magdalena_del_mar_and_ancon_have_their_cem(with_directory):
    cem = with_directory.coverage.table.query("service == 'CEM'").set_index("district")["count"]
    assert (cem["San Luis"], cem["Ancón"], cem["Santa Rosa"], cem["Magdalena del Mar"]) == (1, 2, 0, 1)
    assert cem.sum() == 64
    assert "Magdalena del Mar" not in set(with_directory.coverage.gaps("CEM")["district"])


def test_the_findings_name_the_signal_in_doubt(with_directory):
    findings = with_directory.checks.query("check == 'facility_evidence'").set_index("where")
    magdalena = findings.loc["directorio.json, record 378"]
    assert (magdalena["expected"], magdalena["found"]) == ("150134", "150120")
    assert magdalena["message_es"] == (
        "Cem Regular Magdalena Del Mar: el ubigeo 150134 y el campo distrito (San Luis) contradicen el punto, "
        "la dirección y el nombre: Magdalena del Mar. Se cuenta en Magdalena del Mar.")
    assert findings.loc["directorio.json, record 385", "message_en"] == (
        "Cem Regular Ancon: the ubigeo 150139 and the district field (Santa Rosa) contradict the point, the address "
        "and the name: Ancón. It counts in Ancón.")
    assert findings.loc["directorio.json, record 366", "message_en"] == (
        "Cem Regular Jesus Maria: the address and the name (Jesús María) contradict the ubigeo 150128, the district "
        "field and the point: Rímac. It counts in Rímac.")
    assert findings.loc["directorio.json, record 145", "message_es"] == (
        "Cem Regular Mi Perú: el punto (El Agustino) contradice el ubigeo 070107, el campo distrito, la dirección y el "
        "nombre: Mi Perú. Está fuera del área: no se cuenta. Su punto (-12.051282, -76.997835) no se usa: el centro "
        "queda en el punto del distrito Mi Perú (ubicación aproximada).")
    assert sorted(findings.index) == [f"directorio.json, record {n}" for n in (141, 145, 318, 319, 366, 378, 385)]
    assert "Probable coordinate error" not in " ".join(with_directory.checks["message_en"])


def test_mi_peru_s_wrong_point_adds_no_access_to_el_agustino(seeded_cache, directory, tmp_path):
    data = json.loads(directory.read_text(encoding="utf-8"))
    data["servicios"] = [r for r in data["servicios"] if r["nombre"] != "Cem Regular Mi Perú"]
    without = tmp_path / "directorio.json"
    without.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    access = {}
    for path in (directory, without):
        cem = analyse(cache=seeded_cache, facilities=path).coverage.table.query("service == 'CEM'")
        access[path] = cem.set_index("district")["access"]
    assert access[directory]["El Agustino"] == access[without]["El Agustino"]


def test_the_callao_shelter_without_coordinates_serves_from_its_district(seeded_cache, directory):
    """Casa Acogida Temporal Callao (Bellavista, 070102) has no coordinates: outside Lima it
    stands at Bellavista's point instead of being dropped (the audit's figure, 2017 census)."""
    analysis = analyse(cache=seeded_cache, facilities=directory, population_year=2017)
    outside = analysis.facilities.outside.query("service == 'HRT' and ubigeo.str.startswith('0701')", engine="python")
    assert outside["ubigeo"].tolist() == ["070102"] and outside[["lat", "lon"]].isna().all().all()
    hrt = analysis.coverage.summary.loc["HRT"]
    assert hrt["people_beyond"] == 1_862_982


def test_a_point_judged_wrong_is_drawn_at_its_district_and_said_approximate(seeded_cache, directory):
    analysis = analyse(cache=seeded_cache, facilities=directory, population=None, area="lima-callao")
    mi_peru = analysis.facilities.points.query("name == 'Cem Regular Mi Perú'").iloc[0]
    assert mi_peru["ubigeo"] == "070107" and mi_peru[["lat", "lon"]].isna().all()
    assert (mi_peru["given_lat"], mi_peru["given_lon"]) == (-12.051282, -76.997835)
    site = next(s for s in map_data(analysis, lang="es")["layers"]["CEM"]["sites"] if s["name"] == "Cem Regular Mi Perú")
    assert analysis.districts["name"][site["district"]] == "Mi Perú"
    assert site["note"] == "Ubicación aproximada: punto del distrito (la fuente da -12.051282, -76.997835, que no se usa)."
    lon, lat = analysis.costs.district_lonlat(["070107"])[0]
    assert (site["lat"], site["lon"]) == (round(lat, 6), round(lon, 6))
    others = [s for s in map_data(analysis, lang="es")["layers"]["CEM"]["sites"] if s["name"] != "Cem Regular Mi Perú"]
    assert not any("note" in s for s in others)  # every other CEM of Lima and Callao stands at its own point


# By hand


def write(tmp_path, text):
    path = tmp_path / "centros.csv"
    path.write_text(text, encoding="utf-8")
    return path


def place(path, analysis):
    return read_facilities(path, catalogue=analysis.catalogue, districts=analysis.districts, prefixes=("1501",),
                           context=analysis.context)


def test_a_tie_keeps_the_ubigeo(tmp_path, with_directory):
    """Two signals each: the ubigeo and the district field say San Isidro, the name and the address Miraflores."""
    path = write(tmp_path, "tipo,nombre,ubigeo,distrito,direccion\n"
                           "CIAM,CIAM Miraflores,150131,San Isidro,Av. Larco 400 - Miraflores\n")
    facilities = place(path, with_directory)
    assert facilities.points["ubigeo"].tolist() == ["150131"]
    (finding,) = facilities.findings
    assert finding["message_en"] == (
        "CIAM Miraflores: the address and the name (Miraflores) contradict the ubigeo 150131 and the district field: "
        "San Isidro. It is a tie and the ubigeo 150131 decides: it counts in San Isidro.")


def test_a_point_near_the_boundary_is_kept(tmp_path, with_directory):
    """A point in San Isidro 0.5 km from Miraflores, whose ubigeo it gives: a tie, the ubigeo
    decides, and the point, within 3 km of Miraflores, keeps drawing and measuring."""
    path = write(tmp_path, "tipo,nombre,ubigeo,lat,lon\nCIAM,Centro A,150122,-12.0985,-77.0300\n")
    facilities = place(path, with_directory)
    assert facilities.points["ubigeo"].tolist() == ["150122"]
    assert facilities.points[["lat", "lon"]].values.tolist() == [[-12.0985, -77.0300]]
