"""Target people of a year: INEI's projected district totals (Cuadro Nº 01) by the 2017 census
structure, held to INEI's published figures (shared/data/population/SOURCE.md)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from coverage_map.errors import InputError
from coverage_map.population import read_census_groups
from coverage_map.projection import largest_remainder, people_of, project_groups, read_projection
from coverage_map.sources import fetch, get_source, packaged_path

#: Lima province projected for 30 June of each year (SOURCE.md's cross-checks).
LIMA = {2020: 9_674_755, 2021: 9_846_795, 2022: 10_004_141, 2023: 10_151_207, 2024: 10_292_408, 2025: 10_432_133}
CALLAO = {2020: 1_129_854, 2023: 1_190_860, 2025: 1_228_411}


@pytest.fixture(scope="module")
def national(shared_data):
    return read_projection(shared_data / "population" / "pob_total_estimada_distrito_2018_2025.xlsx")


@pytest.fixture(scope="module")
def embedded():
    return read_projection(fetch(get_source("proyeccion_lima_callao"), cache=Path("/nonexistent")))


@pytest.fixture(scope="module")
def census_groups(shared_data):
    return read_census_groups(shared_data / "population" / "censo_pob_sexo_edades_quin_2017.xlsx")


def test_inei_table_held_to_its_published_totals(national):
    totals = national.totals
    assert national.years == list(range(2018, 2026))
    assert len(totals) == 1891
    lima, callao = totals[totals.index.str.startswith("1501")], totals[totals.index.str.startswith("0701")]
    assert {year: int(lima[year].sum()) for year in LIMA} == LIMA
    assert {year: int(callao[year].sum()) for year in CALLAO} == CALLAO
    assert totals.at["150132", 2023] == 1_245_145  # San Juan de Lurigancho
    assert (totals.at["150102", 2023], totals.at["150106", 2023]) == (95_841, 435_419)  # Ancón, Carabayllo


def test_each_new_district_comes_from_the_districts_its_footnote_names(national):
    created = national.created_from
    assert len(created) == 17
    assert created["250306"] == ("250301",)  # Huipoca, from Padre Abad
    assert created["090724"] == ("090707", "090717")  # Lambras, from Huachocolpa and Surcubamba
    assert created["130112"] == ("130102",)  # Alto Trujillo, from El Porvenir (the law redraws two more)
    assert national.names["250306"] == "HUIPOCA" and national.names["250300"] == "PADRE ABAD"
    assert pd.isna(national.totals.at["250306", 2020]) and national.totals.at["250306", 2025] == 4_894


def test_the_embedded_extract_is_the_inei_table_for_lima_and_callao(embedded, national):
    assert len(embedded.totals) == 50 and embedded.created_from == {}
    pd.testing.assert_frame_equal(embedded.totals, national.totals.loc[embedded.totals.index], check_names=False)
    table = pd.read_csv(packaged_path(get_source("proyeccion_lima_callao")), dtype=str)
    assert list(table.columns[:3]) == ["ubigeo", "district", "2018"]  # data first: the header is the first line
    assert table["source"].str.contains("INEI, Cuadro Nº 01").all()
    assert table["source"].str.contains(get_source("proyeccion_2018_2025").sha256).all()


def test_largest_remainder_gives_whole_people_that_add_up_to_the_total():
    quotas = pd.Series([1.5, 1.5, 1.0, 0.4, 0.3, 0.3])
    by = pd.Series(["a", "a", "a", "b", "b", "b"])
    assert largest_remainder(quotas, by).tolist() == [2, 1, 1, 1, 0, 0]


def test_every_district_s_groups_add_up_to_its_projected_total(census_groups, national):
    totals = national.totals[2025].dropna()
    projected = project_groups(census_groups, totals)
    by = projected.groupby("ubigeo")[["men", "women", "total"]].sum()
    counted = set(census_groups["ubigeo"])
    assert (by["total"] == totals[totals.index.isin(counted)]).all()
    assert (by["men"] + by["women"] == by["total"]).all()
    assert (projected[["men", "women"]] % 1 == 0).all().all()
    assert projected["total"].sum() == totals[totals.index.isin(counted)].sum()


def test_a_district_created_after_the_census_takes_the_structure_of_its_parent(census_groups, national):
    people = people_of(census_groups, ["250301", "250306", "160109"], year=2025, projection=national)
    assert people.table.at["250306", "total"] == 4_894  # Huipoca
    assert people.borrowed == {"250306": ("250301",)}
    assert people.missing == ("160109",)  # Putumayo by its 2007 ubigeo: in neither table
    huipoca, padre_abad = people.table.loc["250306"], people.census.loc["250301"]
    assert huipoca["women"] / huipoca["total"] == pytest.approx(padre_abad["women"] / padre_abad["total"], abs=1e-3)
    assert pd.isna(people.census.at["250306", "total"])


# --- the run: 2025 by default, the census on request --------------------------------------


@pytest.fixture(scope="module")
def default_run(seeded_cache):
    from coverage_map.pipeline import analyse

    return analyse(cache=seeded_cache)


def test_the_default_is_inei_s_latest_projected_year(default_run):
    summary = default_run.coverage.summary
    assert (default_run.population_year, default_run.population_projected) == (2025, True)
    assert summary.at["OREDIS", "target_population"] == 10_432_133  # Lima province, 2025
    assert default_run.population["OREDIS"].sum() == 10_432_133
    assert default_run.population.at["150132", "OREDIS"] == 1_282_635  # San Juan de Lurigancho, 2025
    assert 3_960_000 < summary.at["HRT", "target_population"] < 3_990_000  # women 18+: about 3.97 million
    roles = [f.role for f in default_run.files]
    assert "projection" in roles and default_run.file("projection").source.name == "proyeccion_lima_callao"


def test_the_census_year_gives_today_s_figures(seeded_cache):
    from coverage_map.pipeline import analyse

    census = analyse(cache=seeded_cache, population_year=2017)
    today = analyse(cache=seeded_cache, population=packaged_path(get_source("censo_2017_lima_callao")))
    assert census.coverage.summary.at["OREDIS", "target_population"] == 8_574_974
    assert (census.population_year, census.population_projected, census.file("projection")) == (2017, False, None)
    pd.testing.assert_frame_equal(census.coverage.table, today.coverage.table)
    pd.testing.assert_frame_equal(census.coverage.summary, today.coverage.summary)


def test_a_year_the_source_does_not_hold_is_refused_naming_the_years(seeded_cache):
    from coverage_map.pipeline import analyse

    with pytest.raises(InputError) as err:
        analyse(cache=seeded_cache, population_year=2030)
    assert str(err.value) == ("No population for the year 2030: the source gives the years 2017-2025 (2017, the census; "
                              "the others, INEI's projection). Choose one with --population-year.")
    assert err.value.text("es").startswith("No hay población para el año 2030: la fuente da los años 2017-2025")


def test_a_year_with_a_user_s_file_is_refused(seeded_cache, tmp_path):
    from coverage_map.pipeline import analyse

    path = tmp_path / "pob.csv"
    path.write_text("ubigeo,total\n" + "".join(f"1501{i:02d},1000\n" for i in range(1, 44)), encoding="utf-8")
    assert analyse(cache=seeded_cache, population=path).population_year is None
    with pytest.raises(InputError, match=r"^--population-year 2025 applies to INEI's census and projection, not to the file pob.csv"):
        analyse(cache=seeded_cache, population=path, population_year=2025)


def test_the_cli_refuses_a_year_in_one_line(seeded_cache):
    from coverage_map.cli import main

    result = CliRunner().invoke(main, ["gaps", "CIAM", "--population-year", "2016", "--quiet",
                                       "--cache-dir", str(seeded_cache)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: No hay población para el año 2016: la fuente da los años 2017-2025 (2017, el censo; los demás, la "
        "proyección del INEI). Elija uno con --population-year."]


def test_all_of_peru_runs_with_the_national_census_and_projection(seeded_cache):
    from coverage_map.pipeline import analyse

    run = analyse(boundaries="peru_distrital_simple", area="peru", cache=seeded_cache)
    assert run.population_source.name == "censo_2017_edades"
    assert run.file("projection").source.name == "proyeccion_2018_2025"
    missing = run.checks[run.checks["check"] == "population_missing"]
    assert list(missing["expected"]) == ["160109", "160114"]  # Putumayo and Teniente Manuel Clavero (2007 codes)
    assert missing["message_es"].iloc[0].startswith("Putumayo (160109) no está en el censo 2017 ni en la proyección")
    assert run.population.loc[["160109", "160114"]].isna().all().all()
    people = run.population["OREDIS"]
    assert people[people.index.str.startswith("1501")].sum() == 10_432_133
    assert people[people.index.str.startswith("0701")].sum() == 1_228_411 - 58_030  # the 2007 limits lack Mi Perú


# --- what the outputs say ------------------------------------------------------------------


def test_the_outputs_say_the_year_and_how_the_people_were_made(default_build):
    analysis, out = default_build
    basis = "población proyectada 2025 (INEI), estructura por sexo y edad del censo 2017"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert basis in "\n".join(report.splitlines()[:4])
    assert "Son las personas de 2025: el total que el INEI proyecta" in report
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["population_year"]) == {2025} and set(summary["population_basis"]) == {basis}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["population"] == {"year": 2025, "projected": True, "census_year": 2017, "basis": basis}
    assert "projection" in [entry["role"] for entry in manifest["inputs"]]
    page = (out / "map.html").read_text(encoding="utf-8")
    assert basis in page and "Población objetivo 2017 (censo)" in page and '"census_population"' in page


def test_the_report_names_the_districts_without_a_service_that_grew_most(default_build):
    analysis, out = default_build
    report = (out / "report.md").read_text(encoding="utf-8")
    grown = analysis.coverage.gaps_by_growth("UPE")
    assert grown["growth"].is_monotonic_decreasing and grown["growth"].iloc[0] > 0
    first = grown.iloc[0]
    assert (first["target_population"] - first["census_population"]) == first["growth"]
    line = next(line for line in report.splitlines() if line.startswith("- UPE: "))
    assert line.startswith(f"- UPE: {first['district']} (+")
