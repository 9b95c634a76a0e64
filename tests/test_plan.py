"""`coverage-map plan`: the proposals checked against brute force over every candidate set.

The oracles are written here from the definitions: demand at district points (the squares'
centres, projected with pyproj), target people as weights, the existing sites fixed, a
district with a site at 0 km; every set of N candidates is tried.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Transformer

from coverage_map import plan as plan_module
from coverage_map.cli import main
from coverage_map.districts import load_gazetteer
from coverage_map.pipeline import analyse
from coverage_map.texts import TEXTS
from coverage_map.plan import plan, write_plan

LIMA = load_gazetteer().districts
LIMA = LIMA[LIMA["ubigeo"].str.startswith("1501")]
HOSTS = ["150101", "150106", "150132"]  # HRT in the embedded summary: Lima, Carabayllo, San Juan de Lurigancho


# --- hand-made squares ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def squares(tmp_path_factory, seeded_cache):
    """Lima's 43 districts as 2.2 km squares, HRT (and CEM, not confidential) in three of them,
    random women per district."""
    from conftest import _grid_districts

    folder = tmp_path_factory.mktemp("squares")
    grid = _grid_districts()
    grid.to_file(folder / "squares.geojson", driver="GeoJSON", engine="pyogrio")
    ubigeos = LIMA["ubigeo"].to_numpy()
    hosts = ubigeos[[0, 24, 40]]
    pd.DataFrame({"ubigeo": [*hosts, *hosts], "service": ["HRT"] * 3 + ["CEM"] * 3, "count": 1}).to_csv(
        folder / "inventory.csv", index=False)
    rng = np.random.default_rng(13)
    women = rng.integers(1_000, 100_000, len(ubigeos))
    pd.DataFrame({"ubigeo": ubigeos, "total": 2 * women, "mujeres": women, "hombres": women}).to_csv(
        folder / "population.csv", index=False)
    pd.DataFrame({"ubigeo": ubigeos, "total": 2000, "mujeres": 1000, "hombres": 1000}).to_csv(
        folder / "even.csv", index=False)
    centres = [square.centroid for square in grid.geometry]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32718", always_xy=True).transform(
        [p.x for p in centres], [p.y for p in centres])
    km = np.hypot(np.subtract.outer(x, x), np.subtract.outer(y, y)) / 1000
    options = dict(boundaries=str(folder / "squares.geojson"), inventory=str(folder / "inventory.csv"),
                   cache=seeded_cache)
    return {
        "ubigeos": ubigeos, "hosts": set(hosts), "women": women, "km": km,
        "analysis": analyse(population=str(folder / "population.csv"), **options),
        "even": analyse(population=str(folder / "even.csv"), **options),
    }


def brute_force(ubigeos, hosts, weights, km, catchment, n, objective):
    """Every set of n candidates (districts without a site): the best by the objective, then by
    the sum of the candidates' tie ranks (what each alone does for the other measure, then ubigeo)."""
    host = np.isin(ubigeos, list(hosts))
    candidates = np.flatnonzero(~host)
    existing = np.where(host, 0.0, km[:, host].min(axis=1))

    def measure(chosen):
        reach = np.minimum(existing, km[:, list(chosen)].min(axis=1)) if chosen else existing
        return weights[reach <= catchment].sum(), (weights * reach).sum() / weights.sum()

    singles = [measure([j]) for j in candidates]
    if objective == "coverage":
        tie = sorted(range(len(candidates)), key=lambda k: (round(singles[k][1], 9), ubigeos[candidates[k]]))
    else:
        tie = sorted(range(len(candidates)), key=lambda k: (-singles[k][0], ubigeos[candidates[k]]))
    rank = {candidates[k]: r + 1 for r, k in enumerate(tie)}
    scored = []
    for chosen in combinations(candidates, n):
        covered, weighted = measure(chosen)
        primary = covered if objective == "coverage" else -round(weighted, 9)
        scored.append(((primary, -sum(rank[j] for j in chosen)), frozenset(ubigeos[list(chosen)]), covered, weighted))
    best = max(s[0] for s in scored)
    winners = [s for s in scored if s[0] == best]
    return winners, measure


@pytest.mark.parametrize("objective, n, catchment", [
    ("coverage", 1, 2.5), ("coverage", 2, 2.5), ("coverage", 3, 2.5), ("coverage", 3, 4.5),
    ("distance", 1, 2.5), ("distance", 2, 2.5), ("distance", 3, 2.5),
])
def test_the_best_set_is_the_brute_force_optimum(squares, objective, n, catchment):
    result = plan(squares["analysis"], "HRT", add=n, objective=objective, catchment_km=catchment)
    winners, measure = brute_force(squares["ubigeos"], squares["hosts"], squares["women"], squares["km"],
                                   catchment, n, objective)
    assert len(winners) == 1  # random weights: one best set, so the comparison is exact
    (_, best_set, covered, weighted), = winners
    assert set(result.proposals["ubigeo"]) == best_set
    assert result.proposals["covered_after"].iloc[-1] == covered
    assert result.proposals["weighted_km_after"].iloc[-1] == pytest.approx(weighted, abs=0.005)


@pytest.mark.parametrize("objective", ["coverage", "distance"])
def test_ties_go_to_the_least_sum_of_tie_ranks(squares, objective):
    """Every district has the same people: many sets tie, and the rule decides."""
    result = plan(squares["even"], "HRT", add=3, objective=objective, catchment_km=2.5)
    women = np.full(len(squares["ubigeos"]), 1000)
    winners, _ = brute_force(squares["ubigeos"], squares["hosts"], women, squares["km"], 2.5, 3, objective)
    assert frozenset(result.proposals["ubigeo"]) in {w[1] for w in winners}


def test_sites_are_listed_in_order_of_marginal_gain(squares):
    result = plan(squares["analysis"], "HRT", add=3, catchment_km=2.5)
    ubigeos, km, women = squares["ubigeos"], squares["km"], squares["women"]
    host = np.isin(ubigeos, list(squares["hosts"]))
    reach = np.where(host, 0.0, km[:, host].min(axis=1))
    chosen = [int(np.flatnonzero(ubigeos == u)[0]) for u in result.proposals["ubigeo"]]
    for rank, j in enumerate(chosen):
        gains = {k: women[np.minimum(reach, km[:, k]) <= 2.5].sum() - women[reach <= 2.5].sum() for k in chosen[rank:]}
        assert gains[j] == max(gains.values())
        assert result.proposals["newly_covered"].iloc[rank] == gains[j]
        reach = np.minimum(reach, km[:, j])


def test_the_sparse_mclp_is_spopts_model(squares, monkeypatch):
    dense = plan(squares["analysis"], "HRT", add=3, catchment_km=2.5)
    monkeypatch.setattr(plan_module, "DENSE_MCLP_CELLS", 0)
    sparse = plan(squares["analysis"], "HRT", add=3, catchment_km=2.5)
    pd.testing.assert_frame_equal(dense.proposals, sparse.proposals)


def test_candidate_points_from_a_file(squares, tmp_path):
    """Two candidate points; the one by the most uncovered people wins, named, with its point."""
    analysis = squares["analysis"]
    centres = {u: g.centroid for u, g in zip(analysis.districts["ubigeo"], analysis.districts.geometry)}
    ubigeos = [u for u in squares["ubigeos"] if u not in squares["hosts"]][:2]
    path = tmp_path / "sitios.csv"
    pd.DataFrame({"nombre": ["Comisaría A", "Comisaría B"], "latitud": [centres[u].y for u in ubigeos],
                  "longitud": [centres[u].x for u in ubigeos]}).to_csv(path, index=False)
    result = plan(analysis, "CEM", add=1, catchment_km=2.5, candidates=path)
    singles = [plan(analysis, "CEM", add=1, catchment_km=2.5, candidates=pd.DataFrame({"ubigeo": [u]})) for u in ubigeos]
    best = max(range(2), key=lambda k: (singles[k].proposals["newly_covered"].iloc[0], -k))
    row = result.proposals.iloc[0]
    assert row["ubigeo"] == ubigeos[best] and row["name"] == ["Comisaría A", "Comisaría B"][best]
    assert row["lat"] == pytest.approx(centres[ubigeos[best]].y, abs=1e-6)


def test_a_candidate_outside_the_area_is_refused(squares, tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_text("nombre,lat,lon\nCusco,-13.53,-71.97\n", encoding="utf-8")
    with pytest.raises(plan_module.InputError, match=r"1 candidate\(s\) in no district of the area 'lima': row 2 \(Cusco\)"):
        plan(squares["analysis"], "HRT", add=1, candidates=path)


# --- the default data -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def lima(seeded_cache):
    return analyse(cache=seeded_cache)


def test_hrt_first_site_is_the_brute_force_best_single_addition(lima):
    districts = lima.districts
    points = districts.to_crs("EPSG:32718").representative_point()
    xy = np.column_stack([points.x, points.y])
    km = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000
    ubigeos = districts["ubigeo"].to_numpy()
    women = lima.population["HRT"].reindex(ubigeos).round().to_numpy()
    host = np.isin(ubigeos, HOSTS)
    reach = np.where(host, 0.0, km[:, host].min(axis=1))
    best = max(np.flatnonzero(~host), key=lambda j: (
        women[np.minimum(reach, km[:, j]) <= 10].sum(), -(women * np.minimum(reach, km[:, j])).sum(), -int(ubigeos[j])))
    result = plan(lima, "HRT", add=1)
    assert result.proposals["ubigeo"].tolist() == [ubigeos[best]]
    gain = women[np.minimum(reach, km[:, best]) <= 10].sum() - women[reach <= 10].sum()
    assert result.proposals["newly_covered"].iloc[0] == gain
    assert {"lat", "lon", "name"}.isdisjoint(result.proposals.columns)  # shelters: districts only


def test_ciam_proposes_its_gap_districts_by_people_aged_60_and_over(lima):
    gaps = ["150108", "150130"]  # Chorrillos and San Borja, not listed by the source
    older = lima.population["CIAM"]
    result = plan(lima, "CIAM", add=2)
    assert result.proposals["ubigeo"].tolist() == sorted(gaps, key=lambda u: -older[u])
    assert result.proposals["newly_covered"].tolist() == [round(older[u]) for u in sorted(gaps, key=lambda u: -older[u])]
    assert result.proposals["district"].tolist()[0] == "Chorrillos"


def test_runs_are_deterministic(lima, tmp_path):
    shuffled = tmp_path / "candidatos.csv"
    gaps = lima.coverage.gaps("HRT")["ubigeo"].tolist()
    pd.DataFrame({"ubigeo": gaps[::-1]}).to_csv(shuffled, index=False)
    first = plan(lima, "HRT", add=3)
    again = plan(lima, "HRT", add=3, candidates=shuffled)
    pd.testing.assert_frame_equal(first.proposals, again.proposals)
    for name, result in (("a", first), ("b", again)):
        (tmp_path / name).mkdir()
        write_plan(result, tmp_path / name, lang="es")
    assert (tmp_path / "a" / "plan.csv").read_bytes() == (tmp_path / "b" / "plan.csv").read_bytes()


# --- the command ----------------------------------------------------------------------------

@pytest.fixture
def run(cache_env):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_plan_hrt_writes_plan_csv_and_leaves_other_outputs(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.csv").write_text("earlier\n", encoding="utf-8")
    result = run("plan", "HRT", "--add", "2", "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "coverage.csv").read_text(encoding="utf-8") == "earlier\n"
    assert sorted(p.name for p in out.iterdir()) == ["coverage.csv", "plan.csv"]
    text = (out / "plan.csv").read_text(encoding="utf-8-sig")
    assert "línea recta" in text and "censo 2017" in text and "capacidad" in text
    table = pd.read_csv(out / "plan.csv", comment="#", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert table.columns.tolist() == ["rank", "ubigeo", "district", "newly_covered", "covered_after",
                                      "share_covered_after", "weighted_km_after"]
    assert table["rank"].tolist() == [1, 2]
    assert table["covered_after"].is_monotonic_increasing
    assert table["ubigeo"].iloc[0] in result.stdout
    assert "Servicio confidencial" in result.stdout


def test_plan_in_english_with_points_for_a_public_service(run, tmp_path):
    result = run("plan", "UPE", "--add", "1", "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "straight-line" in result.stdout and "Capacity is not modelled" in result.stdout
    table = pd.read_csv(tmp_path / "plan.csv", comment="#", encoding="utf-8-sig")
    assert {"lon", "lat"} <= set(table.columns) and table["lat"].between(-13, -11).all()


@pytest.mark.parametrize("args, message", [
    (["XYZ", "--add", "1"], "Error: Unknown service 'XYZ'"),
    (["LINEA100", "--add", "1"], "Error: LINEA100 is not a place-based service"),
    (["OREDIS", "--add", "1"], "Error: OREDIS is a metropolitan service"),
    (["CEM", "--add", "1"], "Error: CEM has no district data in this run"),
    (["HRT", "--add", "41"], "Error: --add 41: choose between 1 and 40"),
    (["HRT", "--add", "1", "--population", "none"], "Error: Planning HRT needs the target population"),
    (["DEMUNA", "--add", "1"], "Error: DEMUNA is in every district of the area"),
])
def test_requests_that_cannot_be_answered_are_one_line_and_exit_2(run, tmp_path, args, message):
    result = run("plan", *args, "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "out").exists()


def test_a_service_without_sites_exits_2(run, tmp_path):
    inventory = tmp_path / "inventario.csv"
    inventory.write_text("ubigeo,service,count\n150101,HRT,0\n", encoding="utf-8")
    result = run("plan", "HRT", "--add", "1", "--inventory", str(inventory), "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: HRT has no site in the area: nothing to keep and no catchment "
                                     "to measure from. Check its counts.")


def test_a_metropolitan_service_with_force(run, tmp_path):
    result = run("plan", "OREDIS", "--add", "1", "--force", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0
    assert "Servicio metropolitano" in result.stdout


def test_build_never_imports_spopt_or_pulp(cache_env):
    code = (
        "import sys, json\n"
        "from coverage_map.pipeline import analyse\n"
        "analysis = analyse()\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('spopt', 'pulp'))\n"
        "from coverage_map.plan import plan\n"
        "plan(analysis, 'HRT', add=1)\n"
        "after = {m.split('.')[0] for m in sys.modules} & {'spopt', 'pulp'}\n"
        "print(json.dumps([before, sorted(after)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[], ["pulp", "spopt"]]


def test_no_text_of_the_other_language_leaks(run, tmp_path):
    texts = {lang: {k: v for k, v in TEXTS[lang].items() if k.startswith("plan_")} for lang in TEXTS}
    for lang, other in (("es", "en"), ("en", "es")):
        result = run("plan", "CIAM", "--add", "2", "--lang", lang, "--out", str(tmp_path / lang), "--quiet")
        written = (tmp_path / lang / "plan.csv").read_text(encoding="utf-8-sig")
        for key, text in texts[other].items():
            for part in text.split("{"):
                part = part.split("}")[-1].strip(" .,;:()")
                if len(part) >= 12 and part not in texts[lang][key]:
                    assert part not in result.stdout and part not in written, (lang, part)


def test_the_sparse_pmedian_is_spopts_model(squares, monkeypatch):
    dense = plan(squares["analysis"], "HRT", add=3, objective="distance", catchment_km=2.5)
    monkeypatch.setattr(plan_module, "DENSE_PMEDIAN_CELLS", 0)
    sparse = plan(squares["analysis"], "HRT", add=3, objective="distance", catchment_km=2.5)
    pd.testing.assert_frame_equal(dense.proposals, sparse.proposals)


def test_catchment_option_for_the_planned_service(run, tmp_path):
    result = run("plan", "UPE", "--add", "1", "--catchment", "5", "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "within 5 km of a site" in result.stdout
    table = pd.read_csv(tmp_path / "plan.csv", comment="#", encoding="utf-8-sig", dtype={"ubigeo": str})
    analysis_5 = plan(analyse(), "UPE", add=1, catchment_km=5)
    assert table["ubigeo"].tolist() == analysis_5.proposals["ubigeo"].tolist()


def test_when_the_best_pair_does_not_hold_the_best_single_site_the_plan_says_so(seeded_cache):
    """UPE by distance: the best pair (brute force) is not the best single site plus another."""
    lima = analyse(cache=seeded_cache, lang="en")
    districts = lima.districts
    points = districts.to_crs("EPSG:32718").representative_point()
    xy = np.column_stack([points.x, points.y])
    km = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000
    ubigeos = districts["ubigeo"].to_numpy()
    children = lima.population["UPE"].reindex(ubigeos).round().to_numpy()
    host = np.isin(ubigeos, ["150101", "150103", "150133"])  # Lima, Ate, San Juan de Miraflores
    reach = np.where(host, 0.0, km[:, host].min(axis=1))
    cost = lambda chosen: (children * np.minimum(reach, km[:, list(chosen)].min(axis=1))).sum()  # noqa: E731
    candidates = np.flatnonzero(~host)
    best_pair = min(combinations(candidates, 2), key=cost)
    best_single = min(candidates, key=lambda j: cost([j]))
    result = plan(lima, "UPE", add=2, objective="distance")
    assert set(result.proposals["ubigeo"]) == set(ubigeos[list(best_pair)])
    assert best_single not in best_pair
    assert any(note.startswith(f"With a single new site, the best would be {districts['name'].iloc[best_single]} "
                               f"({ubigeos[best_single]})") for note in result.notes)


def test_out_naming_a_file_is_refused_before_any_work(run, tmp_path):
    (tmp_path / "plan.csv").write_text("x", encoding="utf-8")
    result = run("plan", "HRT", "--add", "1", "--out", str(tmp_path / "plan.csv"), "--quiet")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: --out {tmp_path / 'plan.csv'} is a file, not a folder.")


def test_candidates_by_district_name(lima, tmp_path):
    path = tmp_path / "candidatos.csv"
    path.write_text("distrito\nchorrillos\nSAN BORJA\nAtlantida\n", encoding="utf-8")
    with pytest.raises(plan_module.InputError, match=r"1 candidate\(s\) in no district of the area 'lima': row 4"):
        plan(lima, "HRT", add=1, candidates=path)
    path.write_text("distrito\nchorrillos\nSAN BORJA\n", encoding="utf-8")
    result = plan(lima, "HRT", add=2, candidates=path)
    assert set(result.proposals["ubigeo"]) == {"150108", "150130"}
