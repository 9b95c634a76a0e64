"""Facility lists, tested on MIMP's national directory (shared/data/mimp_directorio)."""

import json
import re
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point

from coverage_map.errors import InputError
from coverage_map.facilities import read_facilities
from coverage_map.maps import map_data
from coverage_map.pipeline import analyse, build


@pytest.fixture(scope="module")
def by_ubigeo(seeded_cache, directory):
    return analyse(cache=seeded_cache, facilities=directory, population=None, place_by="ubigeo")


@pytest.fixture(scope="module")
def by_point(seeded_cache, directory):
    return analyse(cache=seeded_cache, facilities=directory, population=None, place_by="point")


def test_cem_counts_follow_the_ubigeo_of_each_row(by_ubigeo, directory):
    """The oracle: the directory's rows counted by their ubigeo, nothing else."""
    rows = json.loads(directory.read_text(encoding="utf-8"))["servicios"]
    expected = {}
    for row in rows:
        if row["tipo"] == "CEM" and row["ubigeo"].startswith("1501"):
            expected[row["ubigeo"]] = expected.get(row["ubigeo"], 0) + 1
    cem = by_ubigeo.coverage.table.query("service == 'CEM'").set_index("ubigeo")["count"]
    assert cem[cem > 0].to_dict() == expected
    assert cem.sum() == 64


def test_counting_by_ubigeo_or_by_point_changes_these_districts(by_ubigeo, by_point):
    """Recorded: the CEM of Magdalena del Mar has San Luis's ubigeo, that of Ancón Santa Rosa's;
    Mi Perú's (a Callao ubigeo) falls in El Agustino, and two Jicamarca ones (Huarochirí)
    in Lurigancho and San Juan de Lurigancho."""
    ubigeo = by_ubigeo.coverage.table.query("service == 'CEM'").set_index("district")["count"]
    point = by_point.coverage.table.query("service == 'CEM'").set_index("district")["count"]
    changed = {d: (int(ubigeo[d]), int(point[d])) for d in ubigeo.index if ubigeo[d] != point[d]}
    assert changed == {
        "Ancón": (1, 2), "El Agustino": (1, 2), "Lurigancho": (2, 3), "Magdalena del Mar": (0, 1),
        "San Juan de Lurigancho": (6, 7), "San Luis": (2, 1), "Santa Rosa": (1, 0),
    }


def test_cem_counts_per_district_agree_with_an_independent_point_in_polygon(by_point, directory, shared_data):
    rows = json.loads(directory.read_text(encoding="utf-8"))["servicios"]
    polygons = gpd.read_file(shared_data / "lima_callao_distritos.geojson")
    lima = polygons[polygons["provincia"] == "LIMA"].set_index("distrito").geometry
    expected = {}
    for row in rows:
        if row["tipo"] != "CEM" or row["lat"] is None:
            continue
        point = Point(row["lon"], row["lat"])
        inside = [name for name, polygon in lima.items() if polygon.contains(point)]
        for name in inside:
            expected[name] = expected.get(name, 0) + 1
    cem = by_point.coverage.table.query("service == 'CEM'").set_index("district")["count"]
    assert cem["San Juan de Lurigancho"] == expected["SAN JUAN DE LURIGANCHO"] == 7  # 6 by ubigeo + Jicamarca II
    assert cem["Lima"] == expected["LIMA"]
    assert cem["Ate"] == expected["ATE"]
    assert cem["Magdalena del Mar"] == expected["MAGDALENA DEL MAR"] == 1
    assert cem.sum() == sum(expected.values()) == 67
    assert cem["Miraflores"] == 0 and "MIRAFLORES" not in expected


def test_cem_is_no_longer_unknown_and_its_gaps_are_listed(by_ubigeo, by_point):
    gaps = set(by_ubigeo.coverage.gaps("CEM")["district"])
    assert gaps == {"Jesús María", "Miraflores", "Pucusana", "Punta Hermosa", "Punta Negra", "San Bartolo",
                    "Santa María del Mar", "Magdalena del Mar"}
    gaps = set(by_point.coverage.gaps("CEM")["district"])
    assert gaps == {"Jesús María", "Miraflores", "Pucusana", "Punta Hermosa", "Punta Negra", "San Bartolo",
                    "Santa María del Mar", "Santa Rosa"}


def test_points_in_another_district_than_their_ubigeo_are_reported_by_name(by_ubigeo, by_point):
    findings = by_ubigeo.checks.query("check == 'facility_district'")["message_en"].str.replace("\xa0", " ")
    assert sorted(findings) == [
        "Cem Regular Ancon: its ubigeo is Santa Rosa, but its coordinates fall in Ancón; it counts in Santa Rosa, "
        "by its ubigeo. Probable coordinate error: it falls 5.3 km from Santa Rosa.",
        "Cem Regular Magdalena Del Mar: its ubigeo is San Luis, but its coordinates fall in Magdalena del Mar; it "
        "counts in San Luis, by its ubigeo. Probable coordinate error: it falls 5.8 km from San Luis.",
    ]
    elsewhere = " ".join(by_ubigeo.checks.query("check == 'facility_elsewhere'")["message_en"])
    assert ("Cem Regular Mi Perú: its ubigeo (Mi Perú, 070107) is outside the area, though its coordinates fall in "
            "El Agustino; it is not counted") in elsewhere
    assert "Cem Comisaría Jicamarca Ii: its ubigeo (150716) is outside the area" in elsewhere
    declared = by_ubigeo.checks.query("check == 'sources_differ' and service == 'CEM'").iloc[0]
    assert (declared["expected"], declared["found"]) == (65, 64)
    messages = " ".join(by_point.checks.query("check == 'facility_district'")["message_en"])
    assert "Cem Regular Magdalena Del Mar: its ubigeo is San Luis, but its coordinates fall in Magdalena del Mar; it counts where they fall." in messages
    assert "Cem Regular Mi Perú" in messages  # by point: a Callao ubigeo whose point falls in El Agustino
    assert "coordinate error" not in messages
    declared = by_point.checks.query("check == 'sources_differ' and service == 'CEM'").iloc[0]
    assert (declared["expected"], declared["found"]) == (65, 67)


def test_shelters_keep_their_district_and_nothing_else(with_directory):
    hrt = with_directory.facilities.points.query("service == 'HRT'")
    assert sorted(hrt["ubigeo"]) == ["150101", "150106"]
    assert (hrt[["name", "address", "phone"]] == "").all().all()
    assert hrt[["lat", "lon"]].isna().all().all()


def test_no_output_shows_a_shelter_name_address_or_phone(seeded_cache, directory, tmp_path):
    rows = json.loads(directory.read_text(encoding="utf-8"))["servicios"]
    secrets = {r[k] for r in rows if r["tipo"] == "HRT" for k in ("nombre", "telefono") if r[k]}
    build(out=tmp_path, cache=seeded_cache, facilities=directory)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".md", ".csv", ".geojson", ".json", ".xlsx", ".gpkg"):
            if path.suffix == ".xlsx":  # its cells are XML inside a zip
                with zipfile.ZipFile(path) as archive:
                    text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
            elif path.suffix == ".gpkg":  # SQLite keeps text as UTF-8 bytes in its pages
                text = path.read_bytes().decode("utf-8", errors="replace")
            else:
                text = path.read_text(encoding="utf-8-sig")
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{path.name} shows {leaked[:3]}"


def test_the_map_marks_every_placed_cem_and_no_shelter(by_ubigeo, by_point, directory, shared_data):
    rows = json.loads(directory.read_text(encoding="utf-8"))["servicios"]
    lima = gpd.read_file(shared_data / "lima_callao_distritos.geojson").query("provincia == 'LIMA'").union_all()
    inside = sorted(r["nombre"] for r in rows if r["tipo"] == "CEM" and r["lat"] is not None
                    and lima.contains(Point(r["lon"], r["lat"])))
    layers = map_data(by_point, lang="es")["layers"]
    sites = layers["CEM"]["sites"]
    assert sorted(s["name"] for s in sites) == inside and len(inside) == 67
    sjl = next(s for s in sites if s["name"] == "Cem Comisaría Jicamarca Ii")
    assert by_point.districts["name"][sjl["district"]] == "San Juan de Lurigancho"
    # by ubigeo: the dots of the CEM counted in the area, at their points
    counted = sorted(r["nombre"] for r in rows if r["tipo"] == "CEM" and r["lat"] is not None
                     and r["ubigeo"].startswith("1501") and lima.contains(Point(r["lon"], r["lat"])))
    layers = map_data(by_ubigeo, lang="es")["layers"]
    sites = layers["CEM"]["sites"]
    assert sorted(s["name"] for s in sites) == counted and len(counted) == 64
    magdalena = next(s for s in sites if s["name"] == "Cem Regular Magdalena Del Mar")
    assert by_ubigeo.districts["name"][magdalena["district"]] == "San Luis"  # counts by its ubigeo
    assert all(s["address"] and s["phone"] for s in sites[:5])
    assert "sites" not in layers["HRT"] and layers["HRT"]["summary"]["hosts"] == 2


def write(tmp_path, text, name="centros.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def place(path, with_directory, place_by="point", context=None):
    return read_facilities(path, catalogue=with_directory.catalogue, districts=with_directory.districts, prefixes=("1501",),
                           place_by=place_by, context=context)


def test_csv_with_coord_columns_and_rows_without_coordinates(tmp_path, with_directory):
    path = write(tmp_path, "TIPO;NOMBRE;UBIGEO;COORD_Y;COORD_X\nCIAM;Centro A;150128;-12.0288;-77.0289\nCIAM;Centro B;150110;;\n")
    facilities = place(path, with_directory)
    assert facilities.columns == {"service": "TIPO", "name": "NOMBRE", "ubigeo": "UBIGEO", "lat": "COORD_Y", "lon": "COORD_X"}
    assert facilities.points["ubigeo"].tolist() == ["150128", "150110"]  # Rímac by its point, Comas by ubigeo


def test_a_list_without_ubigeo_is_placed_by_its_points(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,lat,lon\nCIAM,Centro A,-12.0288,-77.0289\nCIAM,Centro B,-12.1198,-77.0325\n")
    facilities = place(path, with_directory)
    assert facilities.points["ubigeo"].tolist() == ["150128", "150122"]  # Rímac, Miraflores


def test_swapped_coordinates_are_detected(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,latitud,longitud\nCIAM,Centro A,-77.0289,-12.0288\n")
    with pytest.raises(InputError) as err:
        place(path, with_directory)
    assert str(err.value) == (
        f"Facilities file {path}: latitude and longitude look swapped: the values of 'latitud' are longitudes "
        "of Peru and those of 'longitud' latitudes. Swap the two column names."
    )


def test_coordinates_outside_peru(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,lat,lon\nCIAM,Centro A,-12.03,-77.03\nCIAM,Centro B,40.4,-3.7\n")
    with pytest.raises(InputError, match=r"1 coordinates outside Peru: centros.csv, row 3 \(40.4, -3.7\)"):
        place(path, with_directory)


def test_the_same_facility_twice(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,ubigeo\nCIAM,Centro A,150110\nCIAM,Centro A,150110\n")
    with pytest.raises(InputError, match=r"centros.csv, row 2 and centros.csv, row 3: the same facility twice \('Centro A'\)"):
        place(path, with_directory)


def test_a_file_without_service_or_location_columns(tmp_path, with_directory):
    path = write(tmp_path, "nombre,direccion\nCentro A,Av. Lima 1\n")
    with pytest.raises(InputError, match=r"needs a service column \(tipo, servicio\) and either ubigeo or coordinates"):
        place(path, with_directory)


def test_a_shelter_placed_by_its_point_is_never_named_in_the_findings(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,ubigeo,lat,lon\nHRT,Casa Secreta,150110,-12.0288,-77.0289\n")
    facilities = place(path, with_directory)
    assert facilities.points.at[0, "ubigeo"] == "150128"  # its point is in Rímac
    finding = facilities.findings[0]
    assert "Casa Secreta" not in str(finding)
    assert finding["message_en"] == (
        "A HRT (confidential location): its ubigeo is Comas, but its coordinates fall in Rímac; it counts where they fall."
    )


def test_a_ubigeo_outside_the_area_is_named(by_point):
    messages = " ".join(by_point.checks["message_en"])
    assert "Cem Regular Mi Perú: its ubigeo is Mi Perú, but its coordinates fall in El Agustino" in messages


# Where a facility counts: by its ubigeo (the default), or by its point (--place-by point)


def test_by_ubigeo_a_point_in_a_neighbouring_district_counts_in_its_ubigeos(tmp_path, with_directory):
    # a point in San Isidro, 0.5 km from Miraflores, whose ubigeo it gives
    path = write(tmp_path, "tipo,nombre,ubigeo,lat,lon\nCIAM,Centro A,150122,-12.0985,-77.0300\n")
    facilities = place(path, with_directory, place_by="ubigeo")
    assert facilities.points["ubigeo"].tolist() == ["150122"]  # Miraflores, by its ubigeo
    assert facilities.points[["lat", "lon"]].values.tolist() == [[-12.0985, -77.0300]]  # its dot stays at its point
    (finding,) = facilities.findings
    assert (finding["check"], finding["expected"], finding["found"]) == ("facility_district", "150122", "150131")
    assert finding["message_en"] == (
        "Centro A: its ubigeo is Miraflores, but its coordinates fall in San Isidro; it counts in Miraflores, by its ubigeo.")
    assert place(path, with_directory, place_by="point").points["ubigeo"].tolist() == ["150131"]


def test_by_ubigeo_a_point_far_from_its_ubigeos_district_is_a_probable_coordinate_error(tmp_path, with_directory):
    # a point in Comas for a Miraflores ubigeo: about 14 km away
    path = write(tmp_path, "tipo,nombre,ubigeo,lat,lon\nCIAM,Centro A,150122,-11.9300,-77.0500\n")
    facilities = place(path, with_directory, place_by="ubigeo")
    assert facilities.points["ubigeo"].tolist() == ["150122"]
    (finding,) = facilities.findings
    assert finding["message_en"].startswith(
        "Centro A: its ubigeo is Miraflores, but its coordinates fall in Comas; it counts in Miraflores, by its ubigeo. "
        "Probable coordinate error: it falls ")
    assert finding["message_es"].endswith("\xa0km de Miraflores.")  # km with a no-break space, as everywhere
    km = float(finding["message_en"].split("falls ")[1].split("\xa0km")[0])
    assert 10 < km < 20


def test_by_ubigeo_a_ubigeo_outside_the_area_is_outside_wherever_its_point(tmp_path, with_directory):
    text = "tipo,nombre,ubigeo,lat,lon\nCEM,Centro Callao,070101,-12.0464,-77.0428\nCEM,Centro Lima,150101,-12.05,-77.04\n"
    path = write(tmp_path, text)
    facilities = place(path, with_directory, place_by="ubigeo")
    assert facilities.points["name"].tolist() == ["Centro Lima"] and facilities.left_out == 1
    assert facilities.outside.to_dict("list") == {"service": ["CEM"], "ubigeo": ["070101"], "lat": [-12.0464], "lon": [-77.0428]}
    (finding,) = facilities.findings
    assert finding["check"] == "facility_elsewhere" and finding["found"] == "150101"
    assert finding["message_en"].startswith("Centro Callao: its ubigeo (Callao, 070101) is outside the area, though "
                                            "its coordinates fall in Lima; it is not counted")
    by_point = place(path, with_directory, place_by="point")
    assert by_point.points["name"].tolist() == ["Centro Callao", "Centro Lima"] and by_point.outside.empty


def test_by_ubigeo_a_shelter_is_never_named_either(tmp_path, with_directory):
    path = write(tmp_path, "tipo,nombre,ubigeo,lat,lon\nHRT,Casa Secreta,150110,-12.0288,-77.0289\n")
    facilities = place(path, with_directory, place_by="ubigeo")
    assert facilities.points.at[0, "ubigeo"] == "150110"  # Comas, its ubigeo
    assert facilities.points[["lat", "lon"]].isna().all().all()
    (finding,) = facilities.findings
    assert "Casa Secreta" not in str(finding)
    assert finding["message_en"].startswith(
        "A HRT (confidential location): its ubigeo is Comas, but its coordinates fall in Rímac; it counts in Comas, by its ubigeo.")


def test_place_by_is_checked_like_every_option(seeded_cache):
    with pytest.raises(InputError, match=r"Unknown --place-by 'where': use evidence, ubigeo or point"):
        analyse(cache=seeded_cache, population=None, place_by="where")


def test_every_finding_names_the_document_that_holds_its_figures(with_directory):
    summary = "MIMP, Resumen ejecutivo de servicios en Lima Metropolitana (2023)"
    directory = "Directorio Nacional de servicios del MIMP (2026)"
    checks = with_directory.checks
    assert len(checks) and checks["source"].map(bool).all()
    for row in checks.itertuples():
        if row.check == "sources_differ":  # a figure of each document, each named
            assert summary in row.source and directory in row.source, row
            assert summary in row.message_es and directory in row.message_es
        elif row.check.startswith("facility_"):
            assert row.source.startswith(directory), row
        else:  # the summary's own tables and listings: never the directory
            assert summary in row.source and directory not in row.source, row
        assert not re.search(r"(^|; )\d{3} ", row.source), row  # a citation, not a raw section key
    # the directory's 64 CEM are not attributed to the summary's table by district
    assert not checks["message_es"].str.contains("la tabla por distrito suma 64").any()
    assert set(checks.query("check == 'sources_differ'")["service"]) == {"CEM", "CAI", "HRT"}


def test_hrt_legend_and_map_agree_with_the_directory(with_directory):
    from coverage_map.maps import _layer

    layer = _layer(with_directory, "HRT", lang="es", scheme="quantiles", breaks=None)
    assert layer["status"].count("p") == layer["summary"]["hosts"] == 2
    assert layer["side_by_side"] == ("Resumen ejecutivo 2023: 3 (Carabayllo, Lima y San Juan de Lurigancho) · "
                                     "Directorio Nacional 2026: 2 (Carabayllo y Lima)")
    assert layer["declared_detail"] is None  # the summary's words alone would contradict the map
    assert layer["source"].startswith("Directorio Nacional de servicios del MIMP (2026)")


def test_cem_split_by_kind_of_site_in_both_sources(with_directory):
    from coverage_map.inventory import declared_parts
    from coverage_map.phrases import listed_parts, side_by_side

    assert declared_parts(with_directory.declared.at["CEM", "parts"]) == {"regular": 25, "police": 40}
    # the directory's 64 CEM of Lima by name: "Cem Regular ..." and "Cem Comisaría ..."
    names = with_directory.facilities.points.query("service == 'CEM'")["name"]
    regular, police = names.str.contains("Regular").sum(), names.str.contains("Comisaría").sum()
    assert regular + police == 64 and listed_parts(with_directory, "CEM") == {"regular": regular, "police": police}
    text = side_by_side(with_directory, "CEM", "es")
    assert text.startswith("Resumen ejecutivo 2023: 65 (25 regulares y 40 en comisaría; sin desglose por distrito) · ")
    assert "Directorio Nacional 2026: 64 (" in text and text.endswith(f"; {regular} regulares y {police} en comisaría)")


def test_workbook_summary_names_each_service_source(with_directory):
    from coverage_map.workbook import workbook_sheets

    sheets = workbook_sheets(with_directory, lang="es")
    summary = next(sheet for sheet in sheets.values() if "Fuente" in getattr(sheet, "columns", []) and "Código" in sheet.columns)
    sources = dict(zip(summary["Código"], summary["Fuente"]))
    assert sources["HRT"].startswith("Directorio Nacional de servicios del MIMP (2026)")
    assert "Resumen ejecutivo 2023: 3 (Carabayllo, Lima y San Juan de Lurigancho)" in sources["HRT"]
    assert sources["CIAM"].startswith("MIMP, Resumen ejecutivo de servicios en Lima Metropolitana (2023)")


def test_a_record_with_one_coordinate_counts_by_its_ubigeo_with_a_finding(seeded_cache, directory):
    """MIMP's 2026 directory: record 179 (the SAR of Kosñipata, Cusco) gives its latitude and no
    longitude. It counts in Kosñipata by its ubigeo, without a point, and a finding says so;
    the national directory is no longer refused for it."""
    analysis = analyse(cache=seeded_cache, facilities=directory, population=None,
                       boundaries="peru_distrital_simple", area="0811")
    sar = analysis.coverage.table.query("service == 'SAR'").set_index("ubigeo")["count"]
    assert sar["081106"] == 1
    kosnipata = analysis.facilities.points.query("ubigeo == '081106' and service == 'SAR'")
    assert kosnipata["lat"].isna().all() and kosnipata["lon"].isna().all()
    finding = analysis.checks.query("check == 'facility_half_point'").iloc[0]
    assert finding["where"] == "directorio.json, record 179"
    assert finding["message_en"] == ("Kosñipata (directorio.json, record 179): it gives only one of its two coordinates "
                                     "(lat -12.90868); it counts in Kosñipata by its ubigeo and its point is not drawn.")
    assert finding["message_es"].startswith("Kosñipata (directorio.json, record 179): da solo una de sus dos coordenadas")


def test_one_coordinate_without_a_ubigeo_is_refused(tmp_path, seeded_cache):
    path = tmp_path / "centros.csv"
    path.write_text("servicio,nombre,lat,lon\nCEM,CEM Lima,-12.0464,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"centros.csv: 1 rows without a ubigeo give only one of latitude and longitude: "
                                         r"centros.csv, row 2\. Give both, or give the facility's ubigeo"):
        analyse(cache=seeded_cache, facilities=path, population=None)
