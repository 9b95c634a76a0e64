"""`coverage-map plan`: the proposals checked against brute force over every candidate set.

The oracles are written here from the definitions: demand at district points (the squares'
centres, projected with pyproj), target people as weights, the existing sites fixed, a
district with a site at 0 km; every set of N candidates is tried.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from itertools import combinations

import html5lib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Transformer

from coverage_map import location_models
from coverage_map.cli import main
from coverage_map.districts import load_gazetteer
from coverage_map.errors import InputError
from coverage_map.pipeline import analyse
from coverage_map.plan import plan
from coverage_map.plan_words import write_plan
from coverage_map.texts import TEXTS

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
    result = plan(squares["analysis"], "HRT", add=n, objective=objective, catchment=catchment)
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
    result = plan(squares["even"], "HRT", add=3, objective=objective, catchment=2.5)
    women = np.full(len(squares["ubigeos"]), 1000)
    winners, _ = brute_force(squares["ubigeos"], squares["hosts"], women, squares["km"], 2.5, 3, objective)
    assert frozenset(result.proposals["ubigeo"]) in {w[1] for w in winners}


def test_sites_are_listed_in_order_of_marginal_gain(squares):
    result = plan(squares["analysis"], "HRT", add=3, catchment=2.5)
    ubigeos, km, women = squares["ubigeos"], squares["km"], squares["women"]
    host = np.isin(ubigeos, list(squares["hosts"]))
    reach = np.where(host, 0.0, km[:, host].min(axis=1))
    chosen = [int(np.flatnonzero(ubigeos == u)[0]) for u in result.proposals["ubigeo"]]
    for rank, j in enumerate(chosen):
        gains = {k: women[np.minimum(reach, km[:, k]) <= 2.5].sum() - women[reach <= 2.5].sum() for k in chosen[rank:]}
        assert gains[j] == max(gains.values())
        assert result.proposals["newly_covered"].iloc[rank] == gains[j]
        reach = np.minimum(reach, km[:, j])


def test_candidate_points_from_a_file(squares, tmp_path):
    """Two candidate points; the one by the most uncovered people wins, named, with its point."""
    analysis = squares["analysis"]
    centres = {u: g.centroid for u, g in zip(analysis.districts["ubigeo"], analysis.districts.geometry)}
    ubigeos = [u for u in squares["ubigeos"] if u not in squares["hosts"]][:2]
    path = tmp_path / "sitios.csv"
    pd.DataFrame({"nombre": ["Comisaría A", "Comisaría B"], "latitud": [centres[u].y for u in ubigeos],
                  "longitud": [centres[u].x for u in ubigeos]}).to_csv(path, index=False)
    result = plan(analysis, "CEM", add=1, catchment=2.5, candidates=path)
    singles = [plan(analysis, "CEM", add=1, catchment=2.5, candidates=pd.DataFrame({"ubigeo": [u]})) for u in ubigeos]
    best = max(range(2), key=lambda k: (singles[k].proposals["newly_covered"].iloc[0], -k))
    row = result.proposals.iloc[0]
    assert row["ubigeo"] == ubigeos[best] and row["name"] == ["Comisaría A", "Comisaría B"][best]
    assert row["lat"] == pytest.approx(centres[ubigeos[best]].y, abs=1e-6)


def test_a_candidate_outside_the_area_is_refused(squares, tmp_path):
    path = tmp_path / "sitios.csv"
    path.write_text("nombre,lat,lon\nCusco,-13.53,-71.97\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"1 candidate\(s\) in no district of the area 'lima': row 2 \(Cusco\)") as refused:
        plan(squares["analysis"], "HRT", add=1, candidates=path)
    assert refused.value.text("es").endswith("1 candidato(s) fuera de todo distrito del área 'lima': fila 2 (Cusco).")


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
    women = lima.population["HRT"].reindex(ubigeos).to_numpy(float)  # exact: rounded only when written
    host = np.isin(ubigeos, HOSTS)
    reach = np.where(host, 0.0, km[:, host].min(axis=1))
    best = max(np.flatnonzero(~host), key=lambda j: (
        women[np.minimum(reach, km[:, j]) <= 10].sum(), -(women * np.minimum(reach, km[:, j])).sum(), -int(ubigeos[j])))
    result = plan(lima, "HRT", add=1)
    assert result.proposals["ubigeo"].tolist() == [ubigeos[best]]
    gain = women[np.minimum(reach, km[:, best]) <= 10].sum() - women[reach <= 10].sum()
    assert result.proposals["newly_covered"].iloc[0] == pytest.approx(gain)
    assert {"lat", "lon", "name"}.isdisjoint(result.proposals.columns)  # shelters: districts only


def test_ciam_proposes_its_gap_districts_by_people_aged_60_and_over(lima):
    """A municipal service is planned with a 0 km catchment: its gap districts come first."""
    gaps = ["150108", "150130"]  # Chorrillos and San Borja, not listed by the source
    older = lima.population["CIAM"]
    result = plan(lima, "CIAM", add=2)
    assert result.catchment == 0 and result.access_catchment == 3  # access as the run measures it
    assert result.proposals["ubigeo"].tolist() == sorted(gaps, key=lambda u: -older[u])
    assert result.proposals["newly_covered"].tolist() == [round(older[u]) for u in sorted(gaps, key=lambda u: -older[u])]
    assert result.proposals["district"].tolist() == ["Chorrillos", "San Borja"]
    assert any(note.startswith("Servicio municipal: cada distrito se cubre solo con su propia sede (radio 0 km)")
               and "personas de 60 años y más" in note for note in result.notes)


def test_the_access_of_each_site_is_the_e2sfca_with_it_added(squares):
    """The oracle: E2SFCA written out with numpy (Luo and Qi 2009, Gaussian weight of half the
    catchment), supply the three hosts' sites plus the proposals so far."""
    analysis = squares["analysis"]
    result = plan(analysis, "HRT", add=3, catchment=2.5)
    catchment = analysis.scales["HRT"].catchment_km  # access within the service's 10 km, not the plan's 2.5
    km, women, ubigeos = squares["km"], squares["women"].astype(float), list(squares["ubigeos"])
    weight = np.where(km <= catchment, np.exp(-km**2 / (2 * (catchment / 2) ** 2)), 0.0)

    def access(sites):
        reach = weight[:, [ubigeos.index(u) for u in sites]]
        return 1e5 * reach @ (1 / (women @ reach))

    sites = sorted(squares["hosts"])
    before = access(sites)
    for row in result.proposals.itertuples():
        sites.append(row.ubigeo)
        after = access(sites)
        gaining = after > before + 1e-9
        assert row.access_districts == gaining.sum() > 0
        assert row.access_before == pytest.approx(np.average(before[gaining], weights=women[gaining]), abs=1e-4)
        assert row.access_after == pytest.approx(np.average(after[gaining], weights=women[gaining]), abs=1e-4)
        before = after


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
    for written in ("plan.csv", "plan-notes.txt"):
        assert (tmp_path / "a" / written).read_bytes() == (tmp_path / "b" / written).read_bytes()


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
    assert sorted(p.name for p in out.iterdir()) == ["coverage.csv", "plan-notes.txt", "plan.csv"]
    notes = (out / "plan-notes.txt").read_text(encoding="utf-8")
    assert "línea recta" in notes and "censo 2017" in notes and "capacidad" in notes
    assert notes.splitlines()[0].startswith("Hogar de Refugio Temporal (HRT): 2 sitios nuevos")
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert table.columns.tolist() == ["service", "rank", "ubigeo", "district", "newly_covered", "covered_after",
                                      "share_covered_after", "weighted_km_after", "access_districts",
                                      "access_before", "access_after"]
    assert table["service"].tolist() == ["HRT", "HRT"] and table["rank"].tolist() == [1, 2]
    assert table["covered_after"].is_monotonic_increasing
    # every site raises the E2SFCA access of some districts, and only raises it
    assert (table["access_districts"] > 0).all()
    assert (table["access_after"] > table["access_before"]).all() and table["access_before"].notna().all()
    assert table["ubigeo"].iloc[0] in result.stdout
    assert "Servicio confidencial" in result.stdout and "leído como personas objetivo por sede" in result.stdout
    # the notes file holds the lines the terminal prints under the table, one for one
    printed = " ".join(result.stdout.split())  # rich wraps long lines
    for line in notes.splitlines()[1:]:
        assert " ".join(line.split()) in printed, line


def test_plan_in_english_with_points_for_a_public_service(run, tmp_path):
    result = run("plan", "UPE", "--add", "1", "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "straight-line" in result.stdout and "Capacity is not modelled" in result.stdout
    table = pd.read_csv(tmp_path / "plan.csv", encoding="utf-8-sig")
    assert {"lon", "lat"} <= set(table.columns) and table["lat"].between(-13, -11).all()
    assert "Capacity is not modelled" in (tmp_path / "plan-notes.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["XYZ", "--add", "1"], "Error: Unknown service 'XYZ'"),
    (["LINEA100", "--add", "1"], "Error: LINEA100 is not a place-based service"),
    (["OREDIS", "--add", "1"], "Error: OREDIS is a metropolitan service"),
    (["CEM", "--add", "1"], "Error: CEM has no district data in this run"),
    (["HRT", "--add", "41"], "Error: 41 new sites of HRT: choose between 1 and 40"),
    (["HRT", "--add", "1", "--population", "none"], "Error: Planning HRT needs the target population"),
    (["DEMUNA", "--add", "1"], "Error: DEMUNA is in every district of the area"),
])
def test_requests_that_cannot_be_answered_are_one_line_and_exit_2(run, tmp_path, args, message):
    result = run("plan", *args, "--lang", "en", "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "out").exists()


def test_a_service_without_sites_exits_2(run, tmp_path):
    inventory = tmp_path / "inventario.csv"
    inventory.write_text("ubigeo,service,count\n150101,HRT,0\n", encoding="utf-8")
    result = run("plan", "HRT", "--add", "1", "--inventory", str(inventory), "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2  # in the run's language, Spanish by default
    assert result.stderr.strip() == ("Error: HRT no tiene ningún sitio en el área: nada que mantener ni desde dónde "
                                     "medir. Revise sus conteos.")


def test_a_metropolitan_service_with_force(run, tmp_path):
    result = run("plan", "OREDIS", "--add", "1", "--force", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0
    assert "Servicio metropolitano" in result.stdout


MODULES = """
import json, sys
from coverage_map.cli import main
try:
    main(sys.argv[1:])
except SystemExit as end:
    assert not end.code, end.code
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'spopt', 'pulp', 'pointpats', 'libpysal', 'sklearn',
                                                                   'matplotlib', 'jinja2', 'openpyxl'})))
"""


def loaded_by(*args: str) -> set[str]:
    """Which of spopt, PuLP, spopt's heavy dependencies and the renderers' libraries a
    `coverage-map` run in a fresh process imported."""
    done = subprocess.run([sys.executable, "-c", MODULES, *args], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_build_never_imports_pulp_unless_asked_to_plan(cache_env, tmp_path):
    solver = {"spopt", "pulp", "pointpats", "libpysal", "sklearn"}
    assert loaded_by("build", "--out", str(tmp_path / "a"), "--quiet") & solver == set()
    # with --plan: PuLP only; the models are ours, no spopt nor its dependencies
    assert loaded_by("build", "--plan", "HRT:1", "--out", str(tmp_path / "b"), "--quiet") & solver == {"pulp"}
    # the plan command draws and renders nothing
    assert loaded_by("plan", "UPE", "--add", "1", "--objective", "distance", "--out", str(tmp_path / "c"),
                     "--quiet") == {"pulp"}


def test_no_text_of_the_other_language_leaks(run, tmp_path):
    texts = {lang: {k: v for k, v in TEXTS[lang].items() if k.startswith("plan_")} for lang in TEXTS}
    for lang, other in (("es", "en"), ("en", "es")):
        result = run("plan", "CIAM", "--add", "2", "--lang", lang, "--out", str(tmp_path / lang), "--quiet")
        written = "".join((tmp_path / lang / name).read_text(encoding="utf-8-sig") for name in ("plan.csv", "plan-notes.txt"))
        for key, text in texts[other].items():
            for part in text.split("{"):
                part = part.split("}")[-1].strip(" .,;:()")
                if len(part) >= 12 and part not in texts[lang][key]:
                    assert part not in result.stdout and part not in written, (lang, part)


def test_a_p_median_too_large_is_refused_in_words(squares, monkeypatch):
    monkeypatch.setattr(location_models, "MAX_PMEDIAN_PAIRS", 10)
    with pytest.raises(InputError, match=r"The p-median has [\d,]+ district-candidate pairs, more than the 10") as refused:
        plan(squares["analysis"], "HRT", add=2, objective="distance", catchment=2.5)
    assert refused.value.text("es").startswith("La p-mediana tiene ")


def test_catchment_option_for_the_planned_service(run, tmp_path):
    """plan's own --catchment KM is what the plan covers within; access keeps the run's 10 km."""
    result = run("plan", "UPE", "--add", "1", "--catchment", "5", "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "within 5 km of a site" in result.stdout and "within 10 km with a Gaussian weight" in result.stdout
    table = pd.read_csv(tmp_path / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    analysis_5 = plan(analyse(), "UPE", add=1, catchment=5)
    assert table["ubigeo"].tolist() == analysis_5.proposals["ubigeo"].tolist()
    assert table["access_before"].tolist() == analysis_5.proposals["access_before"].round(4).tolist()  # plan.csv's decimals


def test_catchment_option_also_takes_a_service_catchment_for_the_run(run, tmp_path):
    """SERVICE=KM, as in build, changes the run's catchment: the plan's and the access's."""
    result = run("plan", "UPE", "--add", "1", "--catchment", "UPE=5", "--lang", "en", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert "within 5 km of a site" in result.stdout and "within 5 km with a Gaussian weight" in result.stdout
    help_text = run("plan", "--help").output
    # one --catchment option, the plan's (its own KM and a service's), in km or minutes
    assert help_text.count("--catchment KM|MINmin|SERVICE=KM|SERVICE=MINmin") == 1
    assert "--catchment SERVICE=KM" not in help_text


@pytest.mark.parametrize("given", [["abc"], ["-1"], ["5", "--catchment", "6"]])
def test_a_bad_plan_catchment_is_one_line_in_the_runs_language(run, tmp_path, given):
    result = run("plan", "UPE", "--add", "1", "--catchment", *given, "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: --catchment {' '.join(given)}: dé el radio del plan una sola vez, en km")
    assert not (tmp_path / "out").exists()


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
    result = run("plan", "HRT", "--add", "1", "--out", str(tmp_path / "plan.csv"), "--quiet", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: --out {tmp_path / 'plan.csv'} is a file, not a folder.")


def test_candidates_by_district_name(lima, tmp_path):
    path = tmp_path / "candidatos.csv"
    path.write_text("distrito\nchorrillos\nSAN BORJA\nAtlantida\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"1 candidate\(s\) in no district of the area 'lima': row 4"):
        plan(lima, "HRT", add=1, candidates=path)
    path.write_text("distrito\nchorrillos\nSAN BORJA\n", encoding="utf-8")
    result = plan(lima, "HRT", add=2, candidates=path)
    assert set(result.proposals["ubigeo"]) == {"150108", "150130"}


# --- build --plan ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planned_build(tmp_path_factory, seeded_cache):
    """`coverage-map build --plan HRT:2`, once: (the plan command's own proposal, out)."""
    out = tmp_path_factory.mktemp("planned")
    env = {**os.environ, "COVERAGE_MAP_CACHE": str(seeded_cache)}
    subprocess.run([sys.executable, "-m", "coverage_map", "build", "--plan", "HRT:2", "--out", str(out), "--quiet"],
                   check=True, env=env)
    return plan(analyse(cache=seeded_cache), "HRT", add=2), out


def map_payload(path) -> dict:
    page = path.read_text(encoding="utf-8")
    start = page.index('<script id="cm-data" type="application/json">') + len('<script id="cm-data" type="application/json">')
    return json.loads(page[start:page.index("</script>", start)])


def test_build_with_a_plan_writes_plan_csv_as_the_plan_command_does(planned_build, run, tmp_path):
    proposal, out = planned_build
    result = run("plan", "HRT", "--add", "2", "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0
    for name in ("plan.csv", "plan-notes.txt"):
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes()
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert table["ubigeo"].tolist() == proposal.proposals["ubigeo"].tolist()
    assert {"lat", "lon", "name"}.isdisjoint(table.columns)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"plan.csv", "plan-notes.txt"} <= set(manifest["outputs"]) and manifest["options"]["plans"] == "HRT:2"
    assert manifest["plans"] == [{"service": "HRT", "objective": "coverage", "notes": list(proposal.notes)}]
    assert all(note in (out / "plan-notes.txt").read_text(encoding="utf-8") for note in proposal.notes)


def test_every_csv_of_a_build_with_a_plan_is_a_table_with_its_header_first(planned_build):
    """No note line before the header: pandas, Python's csv module, QGIS and Excel read each as a table."""
    _, out = planned_build
    written = sorted(out.rglob("*.csv"))
    assert "plan.csv" in {path.name for path in written}
    for path in written:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            rows = list(reader)
        table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert table.columns.tolist() == reader.fieldnames, path.name
        assert len(table) == len(rows) and not table.columns.str.startswith("#").any(), path.name
        assert not any(str(value).startswith("#") for value in table.iloc[:, 0]), path.name
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig")
    assert table.columns[:3].tolist() == ["service", "rank", "ubigeo"] and table["rank"].tolist() == [1, 2]


def test_the_report_has_the_proposal_section_with_the_districts_and_the_chart(planned_build):
    proposal, out = planned_build
    first, second = proposal.proposals["district"]
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="plan-HRT"'):]
    section = section[:section.index("</section>")]
    heading = "Propuesta para Hogar de Refugio Temporal"
    assert f"<h2>{heading}</h2>" in section and f'<a href="#plan-HRT">{heading}</a>' in html
    assert section.index(first) < section.index(second)
    assert "data:image/png;base64," in section  # the curve of gains, embedded
    assert "línea recta" in section and "capacidad" in section and "censo 2017" in section
    # right after its service's section, before the next service's
    sections = re.findall(r'<section[^>]* id="([^"]+)"', html)
    assert sections[sections.index("svc-HRT") + 1] == "plan-HRT"
    assert "--plan" not in html
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert f"### {heading}" in markdown and "(img/plan-HRT.png)" in markdown and first in markdown
    assert markdown.index("### Hogar de Refugio Temporal (HRT)") < markdown.index(f"### {heading}") < markdown.index("### Unidad de Adopción")
    assert "--plan" not in markdown
    assert (out / "img" / "plan-HRT.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Propuesta: con los sitios existentes" in html[html.index('id="method"'):]  # its method and limits
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)  # still valid HTML


def test_the_summary_names_each_proposal_in_a_sentence(two_plans):
    analysis, out = two_plans
    html = (out / "report.html").read_text(encoding="utf-8")
    summary = html[html.index('<section id="summary"'):]
    summary = re.sub(r"<[^>]+>", "", summary[:summary.index("</section>")]).replace("\u00a0", " ")
    hrt, cem = analysis.plans[0].proposals, analysis.plans[1].proposals
    newly = hrt["covered_after"].iloc[-1] - analysis.plans[0].covered_before
    assert ("Hogar de Refugio Temporal (HRT): 2 sitios nuevos, en " + " y ".join(hrt["district"])
            + ", pondrían a " + f"{newly:,.0f}".replace(",", " ") + " personas objetivo más") in summary
    assert "Centro Emergencia Mujer (CEM): 3 sitios nuevos, en " + ", ".join(cem["district"][:2]) in summary
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert markdown.index("### Propuesta\n") < markdown.index("## Cobertura por servicio")


def test_the_map_has_the_proposal_layer_and_no_point_of_a_shelter(planned_build):
    proposal, out = planned_build
    data = map_payload(out / "map.html")
    layer = data["proposals"]["layers"]["HRT"]
    assert layer["confidential"] is True
    names = [data["districts"][site["district"]]["name"] for site in layer["sites"]]
    assert names == proposal.proposals["district"].tolist()
    for site in layer["sites"]:
        assert set(site) == {"rank", "district", "title", "lines", "gain", "note"}  # no lat, no lon
    assert [site["rank"] for site in layer["sites"]] == [1, 2]
    assert "Nuevas personas a ≤ 10 km: +" in layer["sites"][0]["lines"][0]
    geojson = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))
    assert not any(key.startswith(("plan", "proposal")) for f in geojson["features"] for key in f["properties"])


def test_a_public_service_has_its_proposed_points_on_the_map(seeded_cache, shared_data):
    from coverage_map.maps import map_data

    analysis = analyse(cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json",
                       plans=["CEM:3"], lang="en")
    layer = map_data(analysis, lang="en")["proposals"]["layers"]["CEM"]
    rows = analysis.plans[0].proposals
    assert [(s["lat"], s["lon"]) for s in layer["sites"]] == list(zip(rows["lat"], rows["lon"]))
    assert layer["sites"][0]["title"].startswith("Proposal no. 1 of 3: ")


def test_the_english_proposal_has_no_spanish(seeded_cache):
    from coverage_map.proposals import method_paragraphs
    from coverage_map.report import render_report, report_context

    analysis = analyse(cache=seeded_cache, plans={"HRT": "2", "CIAM": "2"}, lang="en")
    context = report_context(analysis, lang="en")
    html = render_report(context, "html")
    section = "".join(part[:part.index("</section>")] for part in html.split('<section id="plan-')[1:])
    section += " ".join(method_paragraphs(analysis, "en"))
    assert method_paragraphs(analysis, "en")[0] in context["method"]["paragraphs"]
    assert "Proposal" in section and "Chorrillos" in section
    for key, text in TEXTS["es"].items():
        if key.startswith("plan_"):
            for part in text.split("{"):
                part = part.split("}")[-1].strip(" .,;:()")
                if len(part) >= 10 and part not in TEXTS["en"][key]:
                    assert part not in section, part
    for word in ("personas", "distrito", "Propuesta", "Límites", "sitio", "después"):
        assert word not in section, word


@pytest.mark.parametrize("given, message", [
    ("XYZ:2", "Error: Unknown service 'XYZ'"),
    ("HRT:0", "Error: --plan HRT:0: give the service and how many new sites, a whole number of 1 or more"),
    ("HRT:dos", "Error: --plan HRT:dos: give the service and how many new sites"),
    ("HRT", "Error: --plan HRT: give the service and how many new sites"),
    ("LINEA100:1", "Error: LINEA100 is not a place-based service"),
])
def test_a_bad_plan_is_one_line_and_exit_2_before_any_work(run, tmp_path, monkeypatch, given, message):
    from coverage_map import pipeline

    monkeypatch.setattr(pipeline, "read_area", lambda *a, **k: pytest.fail("read the boundaries"))
    result = run("build", "--plan", given, "--lang", "en", "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "out").exists()


def test_a_plan_asked_twice_or_too_large_is_refused_and_nothing_is_written(run, tmp_path):
    twice = run("build", "--plan", "HRT:1", "--plan", "hrt:2", "--out", str(tmp_path / "a"), "--quiet")
    assert twice.exit_code == 2
    assert twice.stderr.strip() == "Error: --plan HRT se indica dos veces: indique cada servicio una sola vez."
    large = run("build", "--plan", "HRT:41", "--lang", "en", "--out", str(tmp_path / "b"), "--quiet")
    assert large.exit_code == 2 and large.stderr.strip().startswith("Error: 41 new sites of HRT: choose between 1 and 40")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    validated = run("validate", "--plan", "HRT:41")
    assert validated.exit_code == 2 and "41 sitios nuevos de HRT" in validated.stderr


def test_a_candidate_district_without_geometry_is_left_out_and_named(squares):
    """A district the boundaries give no shape has no point to measure from: the plan leaves it
    out of the candidates and says so in its notes, in the run's language."""
    from dataclasses import replace

    analysis = squares["analysis"]
    districts = analysis.districts.copy()
    shapeless = next(u for u in squares["ubigeos"] if u not in squares["hosts"])
    districts.loc[districts["ubigeo"] == shapeless, "geometry"] = None
    name = districts.loc[districts["ubigeo"] == shapeless, "name"].item()
    result = plan(replace(analysis, districts=districts), "HRT", add=1)
    assert shapeless not in set(result.proposals["ubigeo"])
    assert result.candidates == 43 - len(squares["hosts"]) - 1
    assert f"Candidatos descartados porque su distrito no tiene geometría en los límites: {name}." in result.notes


# --- equally good sets (issue 19) --------------------------------------------------------------

@pytest.fixture(scope="module")
def lima_2017(seeded_cache):
    return analyse(cache=seeded_cache, population_year=2017)


def test_hrt_plan_names_the_set_that_covers_exactly_as_many_women(lima_2017):
    """{San Juan de Miraflores, Los Olivos} is proposed; {San Juan de Miraflores, Comas} covers
    the same women within 10 km (2017 census), and the notes (terminal, plan-notes.txt,
    manifest, report) say so."""
    lima = lima_2017
    result = plan(lima, "HRT", add=2)
    assert result.proposals["district"].tolist() == ["San Juan de Miraflores", "Los Olivos"]
    assert ("San Juan de Miraflores", "Comas") in result.alternatives
    tie = next(note for note in result.notes if note.startswith("Igual de bueno"))
    assert "«San Juan de Miraflores y Comas»" in tie and "2\u00a0829\u00a0517 mujeres de 18 años y más" in tie
    # people rounded once, from the exact (interpolated) target population
    women = lima.population["HRT"]
    assert round(result.proposals["covered_after"].iloc[-1]) == 2_829_517
    assert result.target_population == pytest.approx(women.sum())


@pytest.mark.parametrize("objective", ["coverage", "distance"])
def test_equal_sets_reach_exactly_the_chosen_objective(squares, objective):
    """Every district has the same people: the swaps named tie with the proposal, and no other does."""
    from coverage_map.location_models import equal_sets
    from coverage_map.plan_costs import problem_for
    from coverage_map.plan_request import check_request

    analysis = squares["even"]
    problem = problem_for(analysis, check_request(analysis, "HRT", add=2, objective=objective, candidates=None,
                                                  catchment=2.5, force=False))
    result = plan(analysis, "HRT", add=2, objective=objective, catchment=2.5)
    index = {u: j for j, u in enumerate(problem.candidates["ubigeo"])}
    chosen = [index[u] for u in result.proposals["ubigeo"]]
    best = problem.evaluate(chosen)[0 if objective == "coverage" else 1]
    found = {tuple(s) for s in equal_sets(problem, chosen, objective)}
    assert found or objective == "distance", "the even squares tie in people covered"
    for place in range(2):
        for k in range(len(problem.candidates)):
            if k in chosen:
                continue
            swapped = [*chosen[:place], k, *chosen[place + 1:]]
            value = problem.evaluate(swapped)[0 if objective == "coverage" else 1]
            assert (tuple(swapped) in found) == (value == pytest.approx(best, rel=1e-12, abs=1e-9))


# --- the proposals in the workbook and the GeoPackage ----------------------------------------

@pytest.fixture(scope="module")
def two_plans(tmp_path_factory, seeded_cache, shared_data):
    """The planner's case: `build --facilities directorio.json --plan HRT:2 --plan CEM:3`, once."""
    from coverage_map.pipeline import build

    out = tmp_path_factory.mktemp("two-plans")
    analysis, _ = build(out=out, cache=seeded_cache, facilities=shared_data / "mimp_directorio" / "directorio.json",
                        plans=["HRT:2", "CEM:3"])
    return analysis, out


def test_the_workbook_has_a_proposal_sheet_with_plan_csv_rows(two_plans):
    import openpyxl

    analysis, out = two_plans
    book = openpyxl.load_workbook(out / "coverage.xlsx")
    names = book.sheetnames
    assert names.index("Propuesta") == names.index("Brechas") + 1
    sheet = book["Propuesta"]
    rows = list(sheet.iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert header[:5] == ("Código", "Servicio", "Orden", "Ubigeo", "Distrito")
    assert {"Nuevas personas objetivo dentro del radio", "Latitud", "Longitud"} <= set(header)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}6"
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert [(r[0], r[2], r[3]) for r in rows] == list(zip(table["service"], table["rank"], table["ubigeo"]))
    newly = header.index("Nuevas personas objetivo dentro del radio")
    assert [r[newly] for r in rows] == table["newly_covered"].tolist()
    lat = header.index("Latitud")
    hrt = [r for r in rows if r[0] == "HRT"]
    assert len(hrt) == 2 and all(r[lat] is None for r in hrt)  # a shelter has no point
    assert [r[lat] for r in rows if r[0] == "CEM"] == table.loc[table["service"] == "CEM", "lat"].tolist()
    after = header.index("Acceso después: personas objetivo por sede a su alcance")
    assert all(isinstance(r[after], (int, float)) for r in rows)


def test_the_english_workbook_names_its_proposal_sheet_in_english(seeded_cache):
    from coverage_map.workbook import workbook_sheets

    sheets = workbook_sheets(analyse(cache=seeded_cache, plans=["HRT:1"], lang="en"), lang="en")
    assert "Proposal" in sheets and "Propuesta" not in sheets
    assert sheets["Proposal"].columns[:3].tolist() == ["Code", "Service", "Rank"]


def test_a_run_without_plans_has_no_proposal_sheet_nor_layer(default_build):
    import openpyxl
    import pyogrio

    _, out = default_build
    assert "Propuesta" not in openpyxl.load_workbook(out / "coverage.xlsx", read_only=True).sheetnames
    assert not {"proposals", "proposal_sites"} & {name for name, _ in pyogrio.list_layers(out / "coverage.gpkg")}


def test_the_geopackage_has_the_proposals_typed_and_styled(two_plans):
    import contextlib
    import sqlite3

    import pyogrio

    analysis, out = two_plans
    path = out / "coverage.gpkg"
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers["proposals"] == "MultiPolygon" and layers["proposal_sites"] == "Point"
    districts = pyogrio.read_dataframe(path, layer="proposals")
    table = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"ubigeo": str})
    assert districts["ubigeo"].tolist() == table["ubigeo"].tolist()
    assert districts.crs.to_epsg() == 4326
    shapes = analysis.districts.set_index("ubigeo").geometry.to_crs(4326)
    for ubigeo, shape in zip(districts["ubigeo"], districts.geometry):
        assert shape.symmetric_difference(shapes[ubigeo]).area < 1e-9
    info = pyogrio.read_info(path, layer="proposals")
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert types["rank"].startswith("OFTInteger") and types["newly_covered"].startswith("OFTInteger")
    assert types["share_covered_after"] == "OFTReal" and types["ubigeo"] == "OFTString"
    sites = pyogrio.read_dataframe(path, layer="proposal_sites")
    assert set(sites["service"]) == {"CEM"}  # never a shelter's point
    cem = table[table["service"] == "CEM"]
    assert list(zip(sites.geometry.y.round(6), sites.geometry.x.round(6))) == list(zip(cem["lat"], cem["lon"]))
    with contextlib.closing(sqlite3.connect(path)) as db:
        styles = db.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles "
                            "WHERE f_table_name LIKE 'proposal%'").fetchall()
    assert {(layer, default) for layer, default, _ in styles} == {("proposals", 1), ("proposal_sites", 1)}
    qml = dict((layer, qml) for layer, _, qml in styles)
    assert 'type="fill"' in qml["proposals"] and 'type="marker"' in qml["proposal_sites"]
    assert "<layerGeometryType>2<" in qml["proposals"] and "<layerGeometryType>0<" in qml["proposal_sites"]


def test_a_site_that_adds_nobody_is_explained_never_plus_zero(two_plans):
    analysis, out = two_plans
    cem = analysis.plans[1].proposals
    idle = cem.loc[cem["newly_covered"] == 0, "district"].tolist()
    assert idle  # the planner's case: CEM's third site adds nobody within 10 km
    data = map_payload(out / "map.html")
    sites = data["proposals"]["layers"]["CEM"]["sites"]
    for site, newly in zip(sites, cem["newly_covered"]):
        assert site["gain"] == site["lines"][0]
        assert (site["gain"] == "Elegido por distancia: no suma personas dentro del radio.") == (newly == 0)
        assert "+0" not in site["gain"]
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="plan-CEM"'):]
    section = section[:section.index("</section>")]
    assert "elegido por distancia: no suma personas dentro del radio" in section and ">+0<" not in section
