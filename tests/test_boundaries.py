import shutil
import zipfile

import pytest
from shapely.geometry import Polygon

from coverage_map.boundaries import read_boundaries
from coverage_map.districts import load_gazetteer
from coverage_map.errors import InputError


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def read(path, gazetteer, **kw):
    districts, report, _ = read_boundaries(path, gazetteer=gazetteer, **kw)
    return districts, report


def test_default_boundaries_give_43_districts_of_lima(shared_data, gazetteer):
    districts, report = read(shared_data / "lima_callao_distritos.geojson", gazetteer)
    assert len(districts) == 43
    assert districts["ubigeo"].tolist() == [f"1501{i:02d}" for i in range(1, 44)]
    assert districts.crs == "EPSG:4326"
    assert report.district_field == "distrito" and report.matched_by == "name"
    assert report.outside_area == 7 and report.empty == [] and report.repaired == []


def test_lima_callao_gives_50_and_reads_mi_peru_through_its_mojibake(shared_data, gazetteer):
    districts, report = read(shared_data / "lima_callao_distritos.geojson", gazetteer, area="lima-callao")
    assert len(districts) == 50
    assert "Mi Perú" in districts["name"].tolist()
    assert report.renamed == [("MI PERÃz", "070107")]


def test_national_file_keys_by_ubigeo_and_reports_santa_anita_without_geometry(shared_data, gazetteer):
    districts, report = read(shared_data / "peru_distrital_simple.geojson", gazetteer)
    assert (report.district_field, report.matched_by) == ("IDDIST", "ubigeo")
    assert len(districts) == 43
    assert report.empty == ["Santa Anita"]
    assert districts.set_index("name").geometry["Santa Anita"] is None
    assert report.outside_area == 1834 - 43


def test_national_file_lacks_mi_peru(shared_data, gazetteer):
    with pytest.raises(InputError, match=r"lacks 1 of the 50 districts of the area: Mi Perú \(070107\)"):
        read(shared_data / "peru_distrital_simple.geojson", gazetteer, area="lima-callao")


def test_zipped_shapefile_in_utm_is_reprojected(tmp_path, gazetteer, grid_districts):
    grid_districts().to_crs("EPSG:32718").to_file(tmp_path / "distritos.shp")
    archive = tmp_path / "distritos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("distritos.*"):
            if part != archive:
                z.write(part, part.name)
    districts, report = read(archive, gazetteer)
    assert report.crs == "EPSG:32718"
    assert districts.crs == "EPSG:4326"
    assert len(districts) == 43
    minx, miny, _, _ = districts.total_bounds
    assert minx == pytest.approx(-77.1, abs=1e-6) and miny == pytest.approx(-12.2, abs=1e-6)


def test_geopackage_with_upper_case_unaccented_old_names(tmp_path, gazetteer, grid_districts):
    grid = grid_districts()
    grid["distrito"] = grid["distrito"].str.upper().str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    grid.loc[grid["distrito"] == "PUEBLO LIBRE", "distrito"] = "MAGDALENA VIEJA"
    grid.to_file(tmp_path / "d.gpkg")
    districts, report = read(tmp_path / "d.gpkg", gazetteer)
    assert len(districts) == 43
    assert ("MAGDALENA VIEJA", "150121") in report.renamed
    assert ("RIMAC", "150128") not in report.renamed  # only accents differ


def test_a_shapefile_without_prj_in_lonlat_is_taken_as_4326(tmp_path, gazetteer, grid_districts):
    path = tmp_path / "d.shp"
    grid_districts().to_file(path)
    (tmp_path / "d.prj").unlink()
    districts, report = read(path, gazetteer)
    assert report.crs.startswith("none")
    assert len(districts) == 43


def test_a_shapefile_without_prj_in_utm_is_refused(tmp_path, gazetteer, grid_districts):
    grid_districts().to_crs("EPSG:32718").to_file(tmp_path / "d.shp")
    (tmp_path / "d.prj").unlink()
    with pytest.raises(InputError, match=r"has no coordinate reference system .* keep the .prj file"):
        read(tmp_path / "d.shp", gazetteer)


def test_invalid_geometry_is_repaired_and_counted(tmp_path, gazetteer, grid_districts):
    grid = grid_districts()
    minx, miny, maxx, maxy = grid.geometry[0].bounds
    grid.loc[0, "geometry"] = Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])  # bow-tie
    grid.to_file(tmp_path / "d.geojson")
    districts, report = read(tmp_path / "d.geojson", gazetteer)
    assert report.repaired == ["Lima"]
    assert districts.is_valid.all()
    # the bow-tie becomes its two triangles: half the square, nothing dropped
    assert districts.geometry[0].area == pytest.approx(grid.geometry[1].area / 2)


def test_missing_file(tmp_path, gazetteer):
    with pytest.raises(InputError) as err:
        read(tmp_path / "nada.geojson", gazetteer)
    assert str(err.value) == (
        f"Boundary file not found: {tmp_path / 'nada.geojson'}. Check the path, or leave out "
        "--boundaries to use the default boundaries of Lima and Callao."
    )


def test_not_a_vector_file(tmp_path, gazetteer):
    path = tmp_path / "notes.txt"
    path.write_text("hola mundo")
    with pytest.raises(InputError) as err:
        read(path, gazetteer)
    assert str(err.value) == (
        f"Cannot read boundary file {path}: not recognized as being in a supported file format. "
        "The file may be cut short or damaged: give a vector file GDAL reads (GeoJSON, Shapefile or "
        "zipped Shapefile, GeoPackage)."
    )


def test_broken_geojson(tmp_path, gazetteer):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match=r"Cannot read boundary file .*broken.geojson: Failed to read GeoJSON data"):
        read(path, gazetteer)


def test_no_usable_district_field(tmp_path, gazetteer, grid_districts):
    grid = grid_districts()
    grid["distrito"] = [f"zona {i}" for i in range(43)]
    grid.to_file(tmp_path / "d.geojson")
    with pytest.raises(InputError) as err:
        read(tmp_path / "d.geojson", gazetteer)
    assert str(err.value) == (
        "No district field found: no field holds ubigeo codes or names of districts of Lima or "
        "Callao (fields: distrito). Name the field with --district-field."
    )


def test_a_district_field_that_does_not_exist(tmp_path, gazetteer, grid_districts):
    grid_districts().to_file(tmp_path / "d.geojson")
    with pytest.raises(InputError, match=r"has no field 'NOMBRE' \(fields: distrito\)"):
        read(tmp_path / "d.geojson", gazetteer, district_field="NOMBRE")


def test_two_features_for_the_same_district(tmp_path, gazetteer, grid_districts):
    grid = grid_districts()
    grid.loc[1, "distrito"] = "LIMA"  # Ancón's square now also says Lima
    grid.to_file(tmp_path / "d.geojson")
    with pytest.raises(InputError) as err:
        read(tmp_path / "d.geojson", gazetteer)
    assert "the same district appears more than once (150101: feature 1 ('Lima'), feature 2 ('LIMA'))" in str(err.value)


def test_a_name_matching_no_district_names_the_feature_and_the_closest(tmp_path, gazetteer, grid_districts):
    grid = grid_districts()
    grid.loc[7, "distrito"] = "Chorillos"
    grid.to_file(tmp_path / "d.geojson")
    with pytest.raises(InputError) as err:
        read(tmp_path / "d.geojson", gazetteer)
    assert str(err.value) == (
        f"Boundary file {tmp_path / 'd.geojson'}, field 'distrito': feature 8: 'Chorillos' is not the name "
        "of a district of Lima or Callao (closest: Chorrillos, Surquillo, Callao). Correct the name or "
        "give its ubigeo."
    )


def test_inputs_are_never_modified(shared_data, tmp_path, gazetteer):
    path = tmp_path / "d.geojson"
    shutil.copy(shared_data / "lima_callao_distritos.geojson", path)
    before = path.read_bytes()
    read(path, gazetteer)
    assert path.read_bytes() == before


def test_points_given_as_boundaries_are_refused_by_feature_number(shared_data, gazetteer, tmp_path):
    import geopandas as gpd

    lima = gpd.read_file(shared_data / "lima_callao_distritos_simple.geojson")
    lima.loc[[2, 5], "geometry"] = lima.loc[[2, 5]].geometry.representative_point()
    path = tmp_path / "mixed.geojson"
    lima.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"must hold Polygon or MultiPolygon features; 2 are not: "
                                         r"feature 3 \(Point\) and feature 6 \(Point\)\. Give the district boundaries"):
        read(path, gazetteer)


def test_a_facility_layer_of_polygons_is_refused(shared_data, tmp_path):
    import geopandas as gpd

    from coverage_map.facilities import read_table

    lima = gpd.read_file(shared_data / "lima_callao_distritos_simple.geojson").head(2)
    path = tmp_path / "centros.geojson"
    lima.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"Facilities file .*centros.geojson must hold Point features; 2 are not: "
                                         r"feature 1 \(Polygon\) and feature 2 \(Polygon\)\. Give one point per facility\."):
        read_table(path)


def test_the_log_names_the_layer_read_from_a_geopackage_of_several(tmp_path, gazetteer, grid_districts):
    from coverage_map.progress import BoundariesRead, phrase

    grid = grid_districts()
    path = tmp_path / "d.gpkg"
    grid.to_file(path, layer="distritos")
    grid.assign(geometry=grid.geometry.representative_point()).to_file(path, layer="capitales")
    districts, report = read(path, gazetteer)
    assert len(districts) == 43 and report.layer == ("distritos", 2)
    event = BoundariesRead(path.name, report.features, len(districts), "lima", report.layer)
    assert phrase(event, "es") == ["Límites (d.gpkg): 43 distritos; en Lima Metropolitana: 43 distritos "
                                   "(leída la capa de polígonos «distritos», de 2 capas)"]
    assert phrase(event, "en")[0].endswith("(read its polygon layer 'distritos', of 2 layers)")
    _, single = read(_one_layer(grid, tmp_path), gazetteer)
    assert single.layer is None


def _one_layer(grid, tmp_path):
    path = tmp_path / "one.gpkg"
    grid.to_file(path)
    return path
