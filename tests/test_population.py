"""Population readers, held to INEI's published census figures (shared/data/population/SOURCE.md)."""

from pathlib import Path

import pandas as pd
import pytest

from coverage_map.errors import InputError
from coverage_map.population import read_population, target_population


@pytest.fixture(scope="module")
def census(shared_data):
    return read_population(shared_data / "population" / "censo_pob_sexo_edades_quin_2017.xlsx")


def test_redatam_census_matches_inei_totals(census):
    assert len(census) == 1874
    assert census["total"].sum() == 29_381_884
    assert census.loc[census.index.str.startswith("1501"), "total"].sum() == 8_574_974
    assert census.loc[census.index.str.startswith("0701"), "total"].sum() == 994_494
    sjl = census.loc["150132"]
    assert (sjl["total"], sjl["men"], sjl["women"]) == (1_038_495, 518_537, 519_958)


def test_redatam_age_groups_of_lima_province(census):
    lima = census[census.index.str.startswith("1501")].sum()
    assert (lima["men"], lima["women"]) == (4_168_563, 4_406_411)
    assert (lima["age_0_14"], lima["age_15_19"], lima["age_60_plus"]) == (1_897_454, 664_051, 1_088_981)
    assert lima["age_0_17"] == pytest.approx(1_897_454 + 0.6 * 664_051)


def test_missing_age_groups_count_as_zero(census):
    # Punta Hermosa has no 95+ row and Santa María del Mar no 90-94 row in the export
    assert census.at["150126", "total"] == 15_874 and census.at["150126", "age_60_plus"] == 1_358
    assert census.at["150138", "total"] == 999 and census.at["150138", "age_60_plus"] == 118


def test_csv_totals_agree_with_the_census_in_lima_and_callao(shared_data, census):
    totals = read_population(shared_data / "population" / "2017-census-population.csv")
    lima_callao = census.index[census.index.str.startswith(("1501", "0701"))]
    assert len(lima_callao) == 50
    assert (totals.loc[lima_callao, "total"] == census.loc[lima_callao, "total"]).all()
    assert totals["women"].isna().all()  # the CSV has totals only


def test_target_population_falls_back_to_the_total(shared_data, census):
    totals = read_population(shared_data / "population" / "2017-census-population.csv")
    assert target_population(census, "older_adults")["150132"] == 100_822
    assert target_population(census, "women")["150132"] == 519_958
    assert target_population(totals, "women")["150132"] == 1_038_495


def test_a_workbook_of_another_layout(tmp_path):
    path = tmp_path / "pob.xlsx"
    table = pd.DataFrame({"ubigeo": ["150101"], "distrito": ["Lima"], "hombres": [129630], "mujeres": [138722], "total": [268352]})
    table.to_excel(path, index=False)
    with pytest.raises(InputError) as err:
        read_population(path)
    assert str(err.value) == (
        f"Population workbook {path} is not an INEI REDATAM crosstab of age groups by sex (no block headed "
        "'AREA # <ubigeo>' in column B). Export 'P: Edad en grupos quinquenales' by 'P: Sexo' at district "
        "level, or give a CSV with the columns ubigeo and total."
    )


def test_a_redatam_block_whose_total_does_not_add_up(tmp_path):
    rows = [[None, "AREA # 150101", "Lima, Lima, distrito: Lima", None, None],
            [None, " De 0  a 4 años", 10, 10, 20], [None, " De 95 a más", 1, 1, 2], [None, " Total", 11, 11, 23]]
    path = tmp_path / "redatam.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False, header=False)
    with pytest.raises(InputError, match=r"row 4: the Total of block 150101 \(23\) is not the sum of its age groups"):
        read_population(path)


def test_a_csv_with_bad_values_names_every_row(tmp_path):
    path = tmp_path / "pob.csv"
    path.write_text("ubigeo;poblacion\n150101;268 352\n15010;abc\nLima;-5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_population(path)
    assert str(err.value) == (
        f"Population file {path}: row 3, poblacion 'abc': not a number of 0 or more; row 4, ubigeo 'Lima': not a "
        "6-digit code; row 4, poblacion '-5': not a number of 0 or more."  # the file's own column name
    )


def test_a_csv_without_total(tmp_path):
    path = tmp_path / "pob.csv"
    path.write_text("ubigeo,mujeres\n150101,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"needs the columns ubigeo and total \(found: ubigeo, mujeres\)"):
        read_population(path)


def test_the_parsed_census_groups_are_kept_and_read_back_equal(census, shared_data, tmp_path):
    from coverage_map.population import population_from_groups, read_groups_cached, read_redatam_groups

    workbook = shared_data / "population" / "censo_pob_sexo_edades_quin_2017.xlsx"
    sidecar = tmp_path / "censo.49e6cb9529a1.csv"
    first = read_groups_cached(workbook, sidecar)
    assert sidecar.is_file()
    again = read_groups_cached(tmp_path / "not-read.xlsx", sidecar)  # served from the sidecar
    pd.testing.assert_frame_equal(again, read_redatam_groups(workbook), check_dtype=False)
    pd.testing.assert_frame_equal(population_from_groups(again), census)
    pd.testing.assert_frame_equal(population_from_groups(first), census)


# --- the embedded default: the census extract of Lima and Callao ------------------------------


@pytest.fixture(scope="module")
def extract():
    from coverage_map.sources import DEFAULT_POPULATION, fetch, get_source

    return read_population(fetch(get_source(DEFAULT_POPULATION), cache=Path("/nonexistent")))


def test_the_default_population_is_the_embedded_extract_held_to_inei_figures(extract):
    assert len(extract) == 50
    assert extract.loc[extract.index.str.startswith("1501"), "total"].sum() == 8_574_974
    assert extract.loc[extract.index.str.startswith("0701"), "total"].sum() == 994_494
    sjl = extract.loc["150132"]
    assert (sjl["total"], sjl["men"], sjl["women"]) == (1_038_495, 518_537, 519_958)


def test_the_extract_equals_the_redatam_parse_for_all_50_districts(extract, census):
    lima_callao = census.index[census.index.str.startswith(("1501", "0701"))]
    assert sorted(extract.index) == sorted(lima_callao)
    pd.testing.assert_frame_equal(extract.loc[lima_callao], census.loc[lima_callao])


def test_the_extract_keeps_every_age_group_of_every_district(shared_data):
    from coverage_map.sources import get_source, packaged_path

    groups = pd.read_csv(packaged_path(get_source("censo_2017_lima_callao")), comment="#", dtype={"ubigeo": str})
    assert list(groups["age_from"].unique()) == list(range(0, 100, 5))  # 0-4 ... 90-94, 95+
    assert groups.groupby("ubigeo").size().eq(20).all()
    assert (groups["men"] + groups["women"] == groups["total"]).all()
    # groups the export leaves out are written as 0 (SOURCE.md: Punta Hermosa has no 95+ row)
    assert groups.query("ubigeo == '150126' and age_from == 95")["total"].tolist() == [0]


def test_adults_are_two_fifths_of_15_19_and_everyone_from_20(extract):
    lima = extract[extract.index.str.startswith("1501")].sum()
    # INEI's figures for Lima province: 8,574,974 people, 1,897,454 aged 0-14, 664,051 aged 15-19
    assert lima["age_18_plus"] == pytest.approx(8_574_974 - 1_897_454 - 664_051 + 0.4 * 664_051)
    assert (extract["age_0_17"] + extract["age_18_plus"]).round(6).equals(extract["total"])


def test_a_census_kept_by_an_older_version_is_parsed_again(census, shared_data, tmp_path):
    from coverage_map.population import GROUP_COLUMNS, population_from_groups, read_groups_cached

    sidecar = tmp_path / "censo.49e6cb9529a1.csv"
    census.to_csv(sidecar)  # the previous release kept the target groups, not the census groups
    again = read_groups_cached(shared_data / "population" / "censo_pob_sexo_edades_quin_2017.xlsx", sidecar)
    pd.testing.assert_frame_equal(population_from_groups(again), census)
    assert list(pd.read_csv(sidecar, nrows=0).columns) == GROUP_COLUMNS
