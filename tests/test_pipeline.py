"""End to end on the real default boundaries (from the seeded cache), oracles from the seed."""

import hashlib
import json

import pandas as pd
import pyogrio
import pytest
import shapely
from geojson_pydantic import FeatureCollection

from coverage_map.errors import InputError
from coverage_map.pipeline import analyse, build
from coverage_map.sources import get_source, packaged_path


@pytest.fixture(scope="module")
def lima(seeded_cache):
    return analyse(cache=seeded_cache, population_year=2017)  # the census's people, whose figures INEI publishes


def districts_with(analysis, service, status):
    table = analysis.coverage.table
    return set(table.loc[(table["service"] == service) & (table["status"] == status), "district"])


def test_ciam_gaps_are_exactly_chorrillos_and_san_borja(lima):
    assert districts_with(lima, "CIAM", "gap") == {"Chorrillos", "San Borja"}


def test_hrt_hosts_are_carabayllo_lima_and_sjl_so_40_gaps(lima):
    assert districts_with(lima, "HRT", "present") == {"Carabayllo", "Lima", "San Juan de Lurigancho"}
    assert len(districts_with(lima, "HRT", "gap")) == 40


def test_upe_ua_demuna(lima):
    assert districts_with(lima, "UPE", "present") == {"Lima", "Ate", "San Juan de Miraflores"}
    assert districts_with(lima, "UA", "present") == {"Miraflores"}
    assert len(districts_with(lima, "DEMUNA", "present")) == 43
    assert districts_with(lima, "DEMUNA", "gap") == set()


def test_services_without_district_data_are_unknown_and_never_gaps(lima):
    for service in ("CEM", "CAR_NNA", "CAR_PCD", "CAR_PAM", "CEDIF", "SAU", "CAN", "EDUCALLE", "MI60", "SOCBEN"):
        assert len(districts_with(lima, service, "unknown")) == 43, service
        assert districts_with(lima, service, "gap") == set(), service


def test_nearest_ciam_for_its_gaps(lima):
    gaps = lima.coverage.gaps("CIAM").set_index("district")
    assert gaps.at["San Borja", "nearest_district"] == "Surquillo"
    assert gaps.at["Chorrillos", "nearest_district"] == "Barranco"
    assert 1 < gaps.at["San Borja", "nearest_km"] < 6 and 1 < gaps.at["Chorrillos", "nearest_km"] < 8


def test_the_source_checks_report_110_111_43_41_and_carabaylo(lima):
    checks = lima.checks.set_index("check")
    total = checks.loc["table_total"]
    assert (total["expected"], total["found"]) == (110, 111)
    ciam = checks.loc["declared_vs_listed"]
    assert (ciam["service"], ciam["expected"], ciam["found"]) == ("CIAM", 43, 41)
    assert "Chorrillos, San Borja" in ciam["message_es"]
    spelling = checks.loc["spelling"]
    assert (spelling["expected"], spelling["found"]) == ("Carabayllo", "Carabaylo")
    assert len(lima.checks) == 3


def test_lima_callao_has_50_districts_and_callao_is_unknown_not_a_gap(seeded_cache):
    analysis = analyse(area="lima-callao", cache=seeded_cache)
    assert len(analysis.districts) == 50
    table = analysis.coverage.table
    callao = table[table["ubigeo"].str.startswith("0701") & (table["service"] == "DEMUNA")]
    assert (callao["status"] == "unknown").all()  # the seed covers Lima Metropolitana only
    assert "boundary_name" in set(analysis.checks["check"])  # MI PERÃz read as Mi Perú


@pytest.fixture(scope="module")
def built(tmp_path_factory, seeded_cache):
    out = tmp_path_factory.mktemp("run") / "outputs"
    analysis, written = build(out=out, cache=seeded_cache)
    return analysis, out, written


def test_build_writes_every_output(built):
    _, out, written = built
    names = {p.name for p in written}
    assert {"coverage.geojson", "coverage.gpkg", "coverage.csv", "gaps.csv", "summary.csv", "checks.csv",
            "manifest.json"} <= names
    assert all(p.exists() for p in written)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_geojson_is_rfc7946(built):
    _, out, _ = built
    text = (out / "coverage.geojson").read_text(encoding="utf-8")
    collection = json.loads(text)
    FeatureCollection.model_validate(collection)  # structure, closed rings, positions
    assert "crs" not in collection
    assert len(collection["features"]) == 43
    for feature in collection["features"]:
        for polygon in shapely.geometry.shape(feature["geometry"]).geoms:
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)
    coordinates = collection["features"][0]["geometry"]["coordinates"][0][0]
    assert all(len(repr(v).split(".")[1]) <= 6 for point in coordinates for v in point)


def test_geojson_read_back_with_pyogrio_holds_the_matrix(built):
    analysis, out, _ = built
    layer = pyogrio.read_dataframe(out / "coverage.geojson").set_index("ubigeo")
    matrix = analysis.coverage.matrix().set_index("ubigeo")
    for service in analysis.coverage.mapped():
        read = layer[f"{service}_count"].reindex(matrix.index)
        expected = matrix[service]
        assert read.isna().equals(expected.isna()), service
        assert (read[expected.notna()].astype(int) == expected[expected.notna()].astype(int)).all(), service
    assert layer.at["150130", "CIAM_gap"] == True  # noqa: E712  San Borja
    assert layer.at["150130", "CIAM_nearest"] == "Surquillo"
    # a service without district data has no fields: they would be null everywhere, read as text
    assert not [name for name in layer.columns if name.startswith(("CEM_", "CAR_NNA_", "MI60_"))]
    assert {type(value) for value in layer["CIAM_gap"]} == {bool}


def test_tables(built):
    _, out, _ = built
    gaps = pd.read_csv(out / "gaps.csv", dtype={"ubigeo": str}, encoding="utf-8-sig")
    assert set(gaps.loc[gaps["service"] == "CIAM", "district"]) == {"Chorrillos", "San Borja"}
    assert (gaps["service"] == "HRT").sum() == 40
    matrix = pd.read_csv(out / "coverage.csv", dtype={"ubigeo": str}, encoding="utf-8-sig")
    assert len(matrix) == 43 and matrix["ubigeo"].iloc[0] == "150101"
    assert matrix["CEM"].isna().all() and matrix["DEMUNA"].eq(1).all()


def test_manifest_names_inputs_with_sha256_and_the_version(built):
    _, out, _ = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    boundaries = manifest["inputs"][0]
    assert boundaries["source"] == "lima_callao_distritos"
    assert boundaries["sha256"] == "b0627d6c0a5617fef2054ef066f54dd2d1e4c15d2506c7fef034fef6fc48db9e"
    assert manifest["version"] and manifest["options"]["area"] == "lima"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["outputs"]) == written  # every output, the report's images too
    assert "img/CIAM.png" in written
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert {"coverage.geojson", "coverage.gpkg", "coverage.xlsx"} <= written


def test_a_second_run_writes_byte_identical_files(built, seeded_cache, tmp_path, monkeypatch):
    analysis, out, _ = built
    # the same time (pinned): the report's summary gives the date and time of the run; the
    # workbook and the GeoPackage carry its day
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(analysis.created.timestamp())))
    build(out=tmp_path, cache=seeded_cache)
    for path in out.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            assert (tmp_path / path.relative_to(out)).read_bytes() == path.read_bytes(), path.name


def test_a_failed_run_leaves_earlier_outputs_untouched(seeded_cache, tmp_path):
    out = tmp_path / "outputs"
    build(out=out, cache=seeded_cache)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "inv.csv"
    bad.write_text("district,service,count\nComas,CIAM,-1\n", encoding="utf-8")
    with pytest.raises(InputError):
        build(out=out, cache=seeded_cache, inventory=bad)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.csv", "outputs"]


def test_an_own_inventory_replaces_the_embedded_counts_of_its_services(seeded_cache, tmp_path):
    inventory = tmp_path / "cem.csv"
    inventory.write_bytes("distrito;servicio;cantidad\nRÍMAC;CEM;2\nSan Borja;CIAM;1\n".encode("cp1252"))
    analysis = analyse(cache=seeded_cache, inventory=inventory)
    summary = analysis.coverage.summary
    assert (summary.at["CEM", "hosts"], summary.at["CEM", "gaps"]) == (1, 42)
    assert (summary.at["CIAM", "hosts"], summary.at["CIAM", "listed_total"]) == (1, 1)
    assert summary.at["DEMUNA", "hosts"] == 43  # not in the file: embedded data kept
    assert analysis.file("inventory").path == inventory


# Population (2017 census, INEI REDATAM export, from the seeded cache)


def test_people_per_demuna_sjl_against_santa_maria_del_mar(lima):
    demuna = lima.coverage.table.query("service == 'DEMUNA'").set_index("district")
    # children 0-17 = 0-14 + 3/5 of 15-19: SJL 249,364 + 0.6 * 82,182; Santa María del Mar 206 + 0.6 * 66
    assert demuna.at["San Juan de Lurigancho", "people_per_centre"] == 298_673
    assert demuna.at["Santa María del Mar", "people_per_centre"] == 246


def test_people_living_where_a_service_is_missing(lima):
    summary = lima.coverage.summary
    # CIAM serves older adults: Chorrillos 38,927 and San Borja 26,462 people aged 60+
    assert summary.at["CIAM", "unserved_population"] == 38_927 + 26_462
    assert summary.at["CIAM", "target_population"] == 1_088_981
    assert summary.at["CIAM", "served_share"] == pytest.approx(1 - 65_389 / 1_088_981, abs=1e-6)  # exact; files round
    # HRT serves adult women: the women 18 and over of Lima but those of Carabayllo, Lima and SJL,
    # from the census's groups by sex (2/5 of 15-19 and every group from 20)
    groups = pd.read_csv(packaged_path(get_source("censo_2017_lima_callao")), comment="#", dtype={"ubigeo": str})
    groups = groups[groups["ubigeo"].str.startswith("1501") & ~groups["ubigeo"].isin(["150106", "150101", "150132"])]
    adult = groups.loc[groups["age_from"] >= 20, "women"].sum() + 0.4 * groups.loc[groups["age_from"] == 15, "women"].sum()
    assert summary.at["HRT", "unserved_population"] == round(adult)
    assert lima.population_columns["HRT"] == "women_18_plus" and lima.population_columns["CAI"] == "men_18_plus"
    assert summary.at["DEMUNA", "unserved_population"] == 0 and summary.at["DEMUNA", "weighted_km"] == 0
    assert pd.isna(summary.at["CEM", "unserved_population"])  # unknown is not unserved


def test_population_weighted_distance(lima):
    ciam = lima.coverage.table.query("service == 'CIAM'")
    expected = (ciam["target_population"] * ciam["nearest_km"]).sum() / ciam["target_population"].sum()
    assert lima.coverage.summary.at["CIAM", "weighted_km"] == pytest.approx(expected)
    assert lima.coverage.rounded().summary.at["CIAM", "weighted_km"] == round(expected, 1)  # summary.csv's decimals


def test_counts_only_without_population(seeded_cache):
    analysis = analyse(cache=seeded_cache, population=None)
    assert analysis.population is None
    assert "target_population" not in analysis.coverage.table


def test_a_population_file_missing_districts_names_them(seeded_cache, tmp_path):
    path = tmp_path / "pob.csv"
    path.write_text("ubigeo,total\n150101,268352\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        analyse(cache=seeded_cache, population=path)
    assert str(err.value).startswith(f"Population file {path} lacks 42 districts of the area: Ancón (150102), Ate (150103)")
