"""Plans on the streets (--roads): catchments and costs in minutes, words that say so, and
models that stay exact and fast on the thousands of demand points of the streets.

The street grid is conftest's lima_streets (streets some 550 m apart over Lima Metropolitana),
walked at 4.8 km/h; its demand points are one per district and 500 m square.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from coverage_map import location_models
from coverage_map.cli import main
from coverage_map.formatting import number
from coverage_map.location_models import Problem, maximal_covering, p_median
from coverage_map.pipeline import analyse
from coverage_map.plan import plan
from coverage_map.plan_costs import problem_for
from coverage_map.plan_request import check_request
from coverage_map.plan_words import terminal_table
from coverage_map.proposals import map_layer, method_paragraphs, report_sections, summary_sentences, workbook_sheet

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


@pytest.fixture(scope="module")
def streets(seeded_cache, lima_streets):
    """Lima on the street grid, walked: every cost in minutes."""
    return analyse(cache=seeded_cache, roads=lima_streets, profile="walk")


@pytest.fixture
def run(cache_env):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("service", ["HRT", "UPE"])
def test_before_any_new_site_the_plan_counts_the_people_the_access_figures_count(streets, service):
    """The plan's models read the same minutes as the run's figures: within the service's
    catchment in minutes, the people the summary counts within it; the same weighted minutes."""
    proposal = plan(streets, service, add=1)
    summary = streets.coverage.summary.loc[service]
    assert streets.unit == proposal.unit == "min" and proposal.profile == "walk"
    assert proposal.catchment == summary["catchment_min"] == streets.scales[service].catchment("min") == 60
    assert proposal.access_catchment == 60
    assert proposal.covered_before == pytest.approx(proposal.target_population - summary["people_beyond"], abs=1)
    assert 0 < proposal.covered_before < proposal.target_population
    assert proposal.weighted_before == pytest.approx(summary["weighted_site_min"], rel=1e-9)
    assert list(proposal.proposals.columns[:8]) == ["service", "rank", "ubigeo", "district", "newly_covered",
                                                     "covered_after", "share_covered_after", "weighted_min_after"]


def test_a_municipal_service_on_the_streets_is_planned_within_its_minutes(streets):
    """On the streets a site's own district is not at 0: a municipal service is planned within
    its catchment in minutes (30), not district by district."""
    proposal = plan(streets, "CIAM", add=1)
    assert proposal.catchment == 30 and proposal.unit == "min"
    assert not any("radio 0 km" in note for note in proposal.notes)


@pytest.mark.parametrize("objective", ["coverage", "distance"])
def test_the_models_on_the_streets_find_the_best_pair(streets, objective):
    """Thousands of demand points are written as exact aggregates: the set chosen is the
    best of every pair of candidates, by brute force."""
    request = check_request(streets, "HRT", add=2, objective=objective)
    problem = problem_for(streets, request)
    assert len(problem.weights) > location_models.AGGREGATE_ABOVE  # the aggregated models are the ones tested
    chosen = sorted(maximal_covering(problem, 2) if objective == "coverage" else p_median(problem, 2))
    measure = 0 if objective == "coverage" else 1
    values = {pair: problem.evaluate(pair)[measure] for pair in combinations(range(len(problem.candidates)), 2)}
    best = max(values.values()) if objective == "coverage" else min(values.values())
    assert values[tuple(chosen)] == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_aggregated_models_equal_the_plain_ones_with_people_cut_off(monkeypatch, seed):
    """On random costs with points no site reaches (inf), the aggregated MCLP and radius
    p-median reach the brute-force optimum, as the plain models do."""
    rng = np.random.default_rng(seed)
    points, candidates = 60, 7
    cost = rng.uniform(0, 100, (points, candidates)).round(1)
    cost[rng.random((points, candidates)) < 0.15] = np.inf
    existing = rng.uniform(20, 150, points).round(1)
    existing[:5] = np.inf  # cut off from every existing site
    cost[5, :] = np.inf  # and one from everything
    weights = rng.integers(1, 1000, points).astype(float)
    frame = pd.DataFrame({"ubigeo": [f"1501{j:02d}" for j in range(candidates)], "district": list("ABCDEFG"),
                          "name": "", "lat": np.nan, "lon": np.nan})
    problem = Problem(np.array(["150101"] * points), weights, existing, cost, frame, 45.0)
    for add in (1, 2, 3):
        pairs = list(combinations(range(candidates), add))
        covered = max(problem.evaluate(s)[0] for s in pairs)
        # the p-median's measure: people cut off from every site count at the model's penalty
        penalty = location_models.UNREACHED * cost[np.isfinite(cost)].max()
        total = {s: (weights * np.minimum(np.where(np.isinf(existing), penalty, existing),
                                          cost[:, list(s)].min(axis=1))).sum() for s in pairs}
        for aggregate in (10_000, 0):  # plain, then aggregated
            monkeypatch.setattr(location_models, "AGGREGATE_ABOVE", aggregate)
            assert problem.evaluate(maximal_covering(problem, add))[0] == pytest.approx(covered)
            assert total[tuple(sorted(p_median(problem, add)))] == pytest.approx(min(total.values()))


def test_plan_on_the_streets_writes_minutes_and_says_so(run, streets, lima_streets, tmp_path):
    out = tmp_path / "out"
    result = run("plan", "HRT", "--add", "2", "--roads", str(lima_streets), "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    expected = plan(streets, "HRT", add=2)
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert "weighted_min_after" in table and not any("_km" in column for column in table)
    assert table["ubigeo"].tolist() == expected.proposals["ubigeo"].tolist()
    assert table["weighted_min_after"].tolist() == expected.proposals["weighted_min_after"].round(1).tolist()
    notes = (out / "plan-notes.txt").read_text(encoding="utf-8")
    lines = notes.splitlines()
    assert lines[0] == "Hogar de Refugio Temporal (HRT): 2 sitios nuevos, máxima cobertura a 60 min a pie por las calles (MCLP)"
    assert lines[1].startswith(f"Antes: {number(expected.covered_before, 'es')} de ")
    assert f"a 60 min o menos de un sitio, a pie por las calles; tiempo ponderado {round(expected.weighted_before)} min" in lines[1]
    last = expected.proposals["weighted_min_after"].iloc[-1]
    assert lines[2].endswith(f"tiempo ponderado {round(last)} min.")
    assert "E2SFCA a 60 min o menos a pie por las calles" in notes
    assert "transporte público" in notes and "lima.osm.pbf" in notes and ATTRIBUTION in notes
    assert "línea recta" not in notes and not re.search(r"\d km(?!/h)", notes)
    # the terminal: the same words, the column of minutes under a heading of minutes
    assert lines[1] in result.stdout and lines[2] in result.stdout
    table, _ = terminal_table(expected, "es")
    headers = [column.header for column in table.columns]
    assert headers[3:6] == ["Nuevas personas a ≤ 60 min", "Cubiertas (acum.)", "min ponderados después"]
    assert list(table.columns[5].cells) == [str(round(v)) for v in expected.proposals["weighted_min_after"]]


def test_plan_on_the_streets_by_distance_in_english(run, lima_streets, tmp_path):
    result = run("plan", "UPE", "--add", "1", "--objective", "distance", "--roads", str(lima_streets),
                 "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    notes = (tmp_path / "plan-notes.txt").read_text(encoding="utf-8")
    assert "least weighted travel time along the streets (p-median)" in notes.splitlines()[0]
    assert "weighted travel time" in notes and "on foot along the streets" in notes
    assert "public transport" in notes and ATTRIBUTION in notes and not re.search(r"\d km(?!/h)", notes)


@pytest.mark.parametrize(("roads", "given", "start"), [
    (True, "5", "Error: --catchment 5: con --roads el radio se mide en minutos"),
    (True, "5km", "Error: --catchment 5km: con --roads el radio se mide en minutos"),
    (False, "45min", "Error: --catchment 45min: sin --roads el radio es en línea recta, en km"),
    (True, "0min", "Error: --catchment 0min: con --roads el radio se mide en minutos"),
    (False, "abc", "Error: --catchment abc: dé el radio del plan una sola vez, en km"),
])
def test_the_plans_catchment_is_refused_in_the_other_unit(run, lima_streets, tmp_path, roads, given, start):
    """With --roads the plan's own catchment is in minutes ("45min"), without in km: the other
    unit is one line naming the one to use, before anything is read."""
    extra = ["--roads", str(lima_streets)] if roads else []
    result = run("plan", "HRT", "--add", "1", *extra, "--catchment", given, "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    assert result.stderr.startswith(start) and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_plans_and_the_runs_catchment_in_minutes(run, lima_streets, tmp_path):
    """--catchment 45min is the plan's own (access stays within the run's 60 min);
    --catchment HRT=45min is the run's (the plan's and the access's)."""
    result = run("plan", "HRT", "--add", "1", "--roads", str(lima_streets), "--catchment", "45min",
                 "--out", str(tmp_path / "own"), "--quiet")
    assert result.exit_code == 0, result.output
    notes = (tmp_path / "own" / "plan-notes.txt").read_text(encoding="utf-8")
    assert "máxima cobertura a 45 min a pie" in notes and "E2SFCA a 60 min o menos" in notes
    result = run("plan", "HRT", "--add", "1", "--roads", str(lima_streets), "--catchment", "HRT=45min",
                 "--out", str(tmp_path / "run"), "--quiet")
    assert result.exit_code == 0, result.output
    notes = (tmp_path / "run" / "plan-notes.txt").read_text(encoding="utf-8")
    assert "máxima cobertura a 45 min a pie" in notes and "E2SFCA a 45 min o menos" in notes


def test_the_proposals_in_the_report_map_and_workbook_speak_minutes(streets):
    proposal = plan(streets, "HRT", add=2)
    analysis = replace(streets, plans=(proposal,))
    minutes = [str(round(v)) for v in proposal.proposals["weighted_min_after"]]
    section, = report_sections(analysis, "es")
    assert section["km_header"] == "min ponderados después" and section["newly_header"] == "Nuevas personas a ≤ 60 min"
    assert [row["km"] for row in section["rows"]] == minutes
    assert any(ATTRIBUTION in note for note in section["notes"])
    paragraph, = method_paragraphs(analysis, "es")
    assert "a pie por las calles" in paragraph and "transporte público" in paragraph and ATTRIBUTION in paragraph
    assert "línea recta" not in paragraph
    assert all("km" not in sentence for sentence in summary_sentences(analysis, "es"))
    site = map_layer(analysis, "en")["layers"]["HRT"]["sites"][0]
    assert f"Weighted min after: {minutes[0]}" in site["lines"] and "60 min" in site["gain"]
    sheet = workbook_sheet(analysis, "en")
    assert sheet["Catchment (min)"].tolist() == [60, 60] and "Catchment (km)" not in sheet
    assert sheet["Weighted min after"].tolist() == proposal.proposals["weighted_min_after"].round(1).tolist()  # plan.csv's
