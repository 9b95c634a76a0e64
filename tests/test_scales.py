"""Each service's scale, the gaps it gives on the default data, and the run's overrides.

Oracles: the scales the issue decided from the seed (written out here), the seed's own
words for the reasons, and the districts' distances measured by coverage.py.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from coverage_map.cli import main
from coverage_map.errors import InputError
from coverage_map.inventory import load_catalogue
from coverage_map.model import RunInputs
from coverage_map.pipeline import analyse, validate
from coverage_map.scales import DEFAULT_CATCHMENT_KM, DEFAULT_SCALE, METROPOLITAN, service_scales

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_7948e8974b0049d7.txt"

EXPECTED = {
    "DEMUNA": "municipal", "CIAM": "municipal",
    "CEM": "network", "HRT": "network", "UPE": "network", "CAR_NNA": "network", "CAR_PCD": "network",
    "CAR_PAM": "network", "CEDIF": "network", "SAR": "network",
    "OREDIS": "metropolitan", "UA": "metropolitan", "CAI": "metropolitan", "SAU": "metropolitan",
    "MI60": "metropolitan", "CAN": "metropolitan", "EDUCALLE": "metropolitan", "SOCBEN": "metropolitan",
}
HRT_HOSTS = {"Carabayllo", "Lima", "San Juan de Lurigancho"}
UPE_HOSTS = {"Lima", "Ate", "San Juan de Miraflores"}


def test_every_place_based_service_has_the_decided_scale_and_its_default_catchment():
    scales = service_scales(load_catalogue())
    assert {code: s.kind for code, s in scales.items()} == EXPECTED
    for code, scale in scales.items():
        assert scale.catchment_km == DEFAULT_CATCHMENT_KM[scale.kind], code
        assert scale.reason_es and scale.reason_en and scale.given_by == "catalogue"


def test_a_place_based_service_without_a_scale_in_the_catalogue_takes_the_one_default():
    catalogue = load_catalogue()
    services = catalogue.services.copy()
    services.loc["HRT", ["scale", "catchment_km"]] = ""
    scale = service_scales(replace(catalogue, services=services))["HRT"]
    assert scale.kind == DEFAULT_SCALE == "network"
    assert scale.catchment_km == DEFAULT_CATCHMENT_KM[DEFAULT_SCALE]


def test_services_that_are_not_place_based_have_no_scale():
    services = load_catalogue().services
    assert (services.loc[~services["place_based"], ["scale", "catchment_km"]] == "").all().all()


def test_every_reason_quotes_the_seed_word_for_word():
    """Each «...» of a reason is in the seed (markup and line breaks aside; '...' elides)."""
    if not SEED.is_file():
        pytest.skip(f"seed not found: {SEED}")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>|\*\*", "", SEED.read_text(encoding="utf-8")))
    with (REPO / "data" / "services.csv").open(encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["place_based"] == "true"]
    for row in rows:
        for column in ("scale_reason_es", "scale_reason_en"):
            quotes = re.findall("«(.*?)»", row[column])
            assert quotes, f"{row['code']} {column} quotes nothing"
            for quote in quotes:
                for part in quote.split(" ... "):
                    assert part in text, f"{row['code']} {column}: {part!r} is not in the seed"
            assert "Resumen ejecutivo en Lima Metropolitana (2023)" in row[column]  # the document cited


def test_every_scale_reason_marks_our_reading():
    """Issue 19: the scale is our reading of the source; the source's own words are quoted (above)."""
    with (REPO / "data" / "services.csv").open(encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["place_based"] == "true"]
    for row in rows:
        assert "(lectura nuestra" in row["scale_reason_es"], row["code"]
        assert "(our reading" in row["scale_reason_en"], row["code"]
    reasons = {row["code"]: row["scale_reason_en"] for row in rows}
    # CAI and CAR NNA are both referred by courts: their different scales are explained by their seats
    assert "CAR NNA" in reasons["CAI"] and "the number of seats decides" in reasons["CAI"]
    assert "CAI" in reasons["CAR_NNA"] and "the number of seats decides" in reasons["CAR_NNA"]
    # readings that were given as the source's facts are gone
    for words in ("not because they live nearby", "day services used near home", "each serves a sector, not a district"):
        assert not any(words in reason for reason in reasons.values()), words


@pytest.fixture(scope="module")
def lima(seeded_cache):
    return analyse(cache=seeded_cache)


def gap_districts(analysis, service) -> set[str]:
    return set(analysis.coverage.gaps(service)["district"])


def test_gaps_on_the_default_data_follow_the_scale(lima):
    assert gap_districts(lima, "CIAM") == {"Chorrillos", "San Borja"}  # municipal
    assert gap_districts(lima, "DEMUNA") == set()
    names = set(lima.districts["name"])
    assert gap_districts(lima, "HRT") == names - HRT_HOSTS  # network: the 40 without a shelter
    assert gap_districts(lima, "UPE") == names - UPE_HOSTS
    for service in ("OREDIS", "UA", "CAI"):  # metropolitan: one seat, no district lacks it
        assert gap_districts(lima, service) == set(), service
    assert lima.coverage.summary["gaps"].to_dict() == {
        **dict.fromkeys(lima.coverage.summary.index, 0), "CIAM": 2, "HRT": 40, "UPE": 40}
    assert {code: s.kind for code, s in lima.scales.items()} == EXPECTED
    # the districts known to have no site are still counted, whatever the scale
    without = lima.coverage.summary["without_site"]
    assert (without["CAI"], without["UA"], without["OREDIS"], without["HRT"], without["CIAM"]) == (42, 42, 42, 40, 2)


def test_a_metropolitan_service_has_no_gap_anywhere(default_build):
    analysis, out = default_build
    metropolitan = {code for code, s in analysis.scales.items() if s.kind == METROPOLITAN}
    assert metropolitan == {"OREDIS", "UA", "CAI", "SAU", "MI60", "CAN", "EDUCALLE", "SOCBEN"}
    gaps = pd.read_csv(out / "gaps.csv", dtype=str, encoding="utf-8-sig")
    assert set(gaps["service"]) == {"CIAM", "HRT", "UPE"}
    assert gaps["service"].value_counts().to_dict() == {"HRT": 40, "UPE": 40, "CIAM": 2}
    assert set(gaps.loc[gaps["service"] == "CIAM", "district"]) == {"Chorrillos", "San Borja"}
    assert (gaps["scale"] == gaps["service"].map(EXPECTED)).all()
    features = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))["features"]
    for feature in features:
        for service in metropolitan:
            assert feature["properties"].get(f"{service}_gap") is not True, (service, feature["properties"]["name"])
    lima_feature = next(f["properties"] for f in features if f["properties"]["ubigeo"] == "150102")  # Ancón
    assert lima_feature["CAI_gap"] is False and lima_feature["CAI_count"] == 0
    assert analysis.coverage.summary.loc[sorted(metropolitan), "unserved_population"].fillna(0).eq(0).all()


def test_summary_and_geojson_carry_scale_catchment_and_access(default_build):
    analysis, out = default_build
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("service")
    for column in ("scale", "catchment_km", "people_beyond", "share_within"):
        assert column in summary, column
    assert summary.at["HRT", "scale"] == "network" and summary.at["HRT", "catchment_km"] == 10
    assert summary.at["CIAM", "catchment_km"] == 3 and summary.at["OREDIS", "catchment_km"] == 30
    assert pd.isna(summary.at["CEM", "people_beyond"])  # no known sites: no access
    features = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))["features"]
    for feature in features:
        props = feature["properties"]
        assert "CEM_access" not in props  # no district data: no properties (they would be null everywhere)
        assert isinstance(props["HRT_access"], float) and props["HRT_access"] >= 0


def test_people_beyond_the_catchment_are_those_farther_than_it_from_the_nearest_host(lima):
    """On district counts, the nearest site is the nearest host district (coverage.py's km)."""
    table = lima.coverage.table
    for service in ("HRT", "UPE", "CIAM", "OREDIS"):
        rows = table[table["service"] == service]
        catchment = lima.scales[service].catchment_km
        expected = rows.loc[rows["nearest_km"] > catchment, "target_population"].sum()
        summary = lima.coverage.summary.loc[service]
        # target populations are rounded per district (0-17 is interpolated): half a person each
        assert summary["people_beyond"] == pytest.approx(expected, abs=len(rows) / 2), service
        total = rows["target_population"].sum()
        assert summary["share_within"] == pytest.approx(1 - expected / total, abs=1e-4), service


def test_e2sfca_hands_out_every_site_once(lima):
    """sum_i P_i A_i = sum_j S_j when every site has people within its catchment: each
    site's supply is shared out whole among the people who reach it."""
    table = lima.coverage.table
    for service, sites in (("HRT", 3), ("UPE", 3), ("CIAM", 41), ("DEMUNA", 43), ("OREDIS", 1)):
        rows = table[table["service"] == service]
        handed_out = (rows["target_population"].astype(float) * rows["access"]).sum() / 1e5
        assert handed_out == pytest.approx(sites, rel=2e-3), service


def test_a_host_district_has_more_access_than_its_distant_neighbours(lima):
    hrt = lima.coverage.table.query("service == 'HRT'").set_index("district")
    assert hrt.at["Pucusana", "access"] == 0  # 50 km from the nearest shelter
    assert hrt.at["Carabayllo", "access"] > hrt.at["Ancón", "access"]


@pytest.fixture(scope="module")
def overridden(seeded_cache):
    return analyse(cache=seeded_cache, scales={"HRT": "metropolitan", "CAI": "municipal"},
                   catchments=(("UPE", "5"),))


def test_overrides_change_the_gaps(lima, overridden):
    assert gap_districts(overridden, "HRT") == set()  # metropolitan now
    assert gap_districts(overridden, "CAI") == set(lima.districts["name"]) - {"Lima"}  # municipal now
    assert overridden.scales["HRT"].catchment_km == DEFAULT_CATCHMENT_KM["metropolitan"]
    assert overridden.scales["CAI"].catchment_km == DEFAULT_CATCHMENT_KM["municipal"]
    assert overridden.scales["HRT"].given_by == "option" and lima.scales["HRT"].given_by == "catalogue"


def test_a_smaller_catchment_leaves_more_people_beyond_it(lima, overridden):
    assert overridden.scales["UPE"].catchment_km == 5 and overridden.scales["UPE"].kind == "network"
    before, after = lima.coverage.summary.loc["UPE"], overridden.coverage.summary.loc["UPE"]
    assert after["people_beyond"] > before["people_beyond"]
    rows = overridden.coverage.table.query("service == 'UPE'")
    expected = rows.loc[rows["nearest_km"] > 5, "target_population"].sum()
    assert after["people_beyond"] == pytest.approx(expected, abs=len(rows) / 2)
    assert gap_districts(overridden, "UPE") == gap_districts(lima, "UPE")  # a network's gaps are its districts without a site
    assert not rows["access"].equals(lima.coverage.table.query("service == 'UPE'")["access"])


def test_overrides_are_recorded_in_the_manifest_options():
    inputs = RunInputs(scales=["HRT=municipal"], catchments={"CEM": 5})
    assert inputs.scales == (("HRT", "municipal"),) and inputs.catchments == (("CEM", "5"),)
    assert inputs.options()["scales"] == "HRT=municipal" and inputs.options()["catchments"] == "CEM=5"


@pytest.mark.parametrize("options, message", [
    ({"scales": {"XYZ": "network"}}, "--scale XYZ=network: unknown or non place-based service 'XYZ'"),
    ({"scales": {"LINEA100": "network"}}, "unknown or non place-based service 'LINEA100'"),
    ({"scales": {"HRT": "regional"}}, "--scale HRT=regional: unknown scale 'regional'; use municipal, network, metropolitan"),
    ({"scales": ["HRT"]}, "--scale HRT: give SERVICE=SCALE"),
    ({"catchments": {"CEM": "0"}}, "--catchment CEM=0: the catchment must be a positive number of km"),
    ({"catchments": {"CEM": "lejos"}}, "--catchment CEM=lejos: the catchment must be a positive number of km"),
])
def test_bad_overrides_are_refused_by_analyse_and_validate(seeded_cache, options, message):
    with pytest.raises(InputError, match=re.escape(message)):
        analyse(cache=seeded_cache, population=None, **options)
    problems = validate(cache=seeded_cache, population=None, **options)
    assert len(problems) == 1 and message in str(problems[0])


def test_aliases_name_services_in_overrides():
    scales = service_scales(load_catalogue(), scales=[("car nna", "metropolitan")], catchments=[("Mi60+", "12,5")])
    assert scales["CAR_NNA"].kind == "metropolitan" and scales["MI60"].catchment_km == 12.5


@pytest.fixture
def run(cache_env):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_cli_bad_scale_is_one_line_and_exit_2(run, tmp_path):
    result = run("build", "--scale", "HRT=regional", "--out", str(tmp_path / "out"), "--quiet", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --scale HRT=regional: unknown scale 'regional'; use municipal, network, metropolitan."]
    spanish = run("build", "--scale", "HRT=regional", "--out", str(tmp_path / "out"), "--quiet")  # the default
    assert spanish.stderr.strip().splitlines() == [
        "Error: --scale HRT=regional: escala desconocida 'regional'; use municipal, network, metropolitan."]
    assert not (tmp_path / "out").exists()


def test_cli_validate_lists_every_bad_override_and_exits_2(run):
    result = run("validate", "--scale", "XYZ=network", "--catchment", "CEM=-3", "--population", "none", "--quiet",
                 "--lang", "en")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--scale XYZ=network: unknown or non place-based service 'XYZ'" in lines[0]
    assert "--catchment CEM=-3: the catchment must be a positive number of km" in lines[0]


def test_cli_scale_override_changes_the_gaps(run):
    result = run("gaps", "CAI", "--scale", "CAI=municipal", "--population", "none", "--lang", "en", "--quiet")
    assert result.exit_code == 0
    assert result.stdout.count("\n│ 1501") == 42
    result = run("gaps", "HRT", "--scale", "HRT=metropolitan", "--population", "none", "--lang", "en", "--quiet")
    assert result.exit_code == 0 and result.stdout.count("\n│ 1501") == 0


def test_services_lists_each_scale_and_catchment(run):
    result = CliRunner().invoke(main, ["services", "--lang", "en"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("│ ")}
    assert "│ municipal " in lines["CIAM"] and "│ 3 " in lines["CIAM"]
    assert "│ network " in lines["HRT"] and "│ 10 " in lines["HRT"]
    assert "│ metropolitan " in lines["OREDIS"] and "│ 30 " in lines["OREDIS"]
