"""The two location models of a plan, written in PuLP and solved with its bundled CBC.

- Maximal covering (MCLP; Church and ReVelle 1974): open `add` candidates so that the most
  target people have a site within the catchment.
- p-median (ReVelle and Swain 1970): open `add` candidates so that the population-weighted
  distance to the nearest open site is least.

A Problem holds one row per demand district and one column per candidate, and the existing
sites as one more site, always open, whose distance to a district is that to its nearest
existing site: the same optimum as one fixed site per existing one, with fewer variables.
Each model keeps only what can change with the choice: the MCLP the districts no existing
site reaches and some candidate does, each summing only the candidates that reach it; the
p-median the districts some candidate is nearer to than their existing site, each
assignable to those candidates and to its existing site. A district left out is the same in
every solution.

Each model is solved twice: for its optimum, then, held to that optimum, for the least sum
of priority ranks, which breaks ties between equally good sets. PuLP is imported only by
the functions that build and solve a model, so a run that plans nothing never loads it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .formatting import number
from .texts import LANGUAGES

#: Beyond this many district-site pairs that can matter, the p-median is refused (minutes in CBC).
MAX_PMEDIAN_PAIRS = 200_000


@dataclass(frozen=True)
class Problem:
    """What the models are built from: one row per demand district, one column per candidate."""

    ubigeos: np.ndarray  # demand districts
    weights: np.ndarray  # target people per demand district (exact: 0-17 and 18+ are interpolated)
    existing_km: np.ndarray  # km from each demand district to its nearest existing site (0 in a host)
    candidate_km: np.ndarray  # demand districts x candidates, km (0 in the candidate's own district)
    candidates: pd.DataFrame  # ubigeo, district, name, lat, lon; sorted by ubigeo, name, point
    catchment_km: float
    left_out: tuple[str, ...] = ()  # candidate districts without geometry, named in the notes

    def evaluate(self, chosen) -> tuple[float, float]:
        """People within the catchment and population-weighted km with the chosen candidates open."""
        km = self.existing_km
        if len(chosen):
            km = np.minimum(km, self.candidate_km[:, list(chosen)].min(axis=1))
        covered = float(self.weights[km <= self.catchment_km].sum())
        return covered, float((self.weights * km).sum() / self.weights.sum())

    def singles(self) -> tuple[np.ndarray, np.ndarray]:
        """People covered and weighted km with each candidate alone added (vectors over candidates)."""
        km = np.minimum(self.existing_km[:, None], self.candidate_km)
        covered = (self.weights[:, None] * (km <= self.catchment_km)).sum(axis=0)
        return covered, (self.weights[:, None] * km).sum(axis=0) / self.weights.sum()


def solve(problem: Problem, add: int, objective: str = "coverage") -> list[int]:
    """The best set of `add` candidates (indices), in order of marginal gain.

    The set is the model's optimum; among optimal sets, the one with the least sum of
    priority ranks. The order is greedy within the set (ties by ubigeo).
    """
    chosen = maximal_covering(problem, add) if objective == "coverage" else p_median(problem, add)
    return _order(problem, chosen, objective)


def priority(problem: Problem, objective: str) -> np.ndarray:
    """Each candidate's rank (1 = first) for breaking ties between equally good sets: by what it
    alone does for the other measure (distance for coverage, people covered for distance), then
    by ubigeo. Among optimal sets, the one with the least sum of ranks is chosen."""
    covered, weighted = problem.singles()
    order = np.lexsort((np.arange(len(covered)), -covered if objective == "distance" else np.round(weighted, 9)))
    ranks = np.empty(len(order), dtype=int)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def best_single(problem: Problem, objective: str) -> int:
    """The candidate that alone does most for the objective (ties: the other measure, then the first)."""
    covered, weighted = problem.singles()
    keys = [(gain_key(float(c), float(w), objective), -j) for j, (c, w) in enumerate(zip(covered, weighted))]
    return max(range(len(keys)), key=keys.__getitem__)


def gain_key(covered: float, weighted: float, objective: str) -> tuple:
    """Larger is better: people covered then distance for coverage, the reverse for distance."""
    return (covered, -round(weighted, 9)) if objective == "coverage" else (-round(weighted, 9), covered)


def equal_sets(problem: Problem, chosen: list[int], objective: str) -> list[list[int]]:
    """The sets that reach exactly the chosen set's objective with one of its sites swapped for
    another candidate (each in chosen's order, the swapped site in the place of the one it
    replaces), the swaps of the first site first. Exact and cheap: one matrix of the
    districts x candidates per chosen site; sets that differ in two or more sites are not
    searched.
    """
    chosen = list(chosen)
    covered, weighted = problem.evaluate(chosen)
    others = np.setdiff1d(np.arange(len(problem.candidates)), chosen)
    found = []
    for place, site in enumerate(chosen):
        rest = [j for j in chosen if j != site]
        km = problem.existing_km if not rest else np.minimum(problem.existing_km, problem.candidate_km[:, rest].min(axis=1))
        swapped = np.minimum(km[:, None], problem.candidate_km[:, others])
        if objective == "coverage":
            same = np.isclose(problem.weights @ (swapped <= problem.catchment_km), covered, rtol=1e-12, atol=1e-9)
        else:
            same = np.isclose(problem.weights @ swapped / problem.weights.sum(), weighted, rtol=1e-12, atol=1e-9)
        found += [[*chosen[:place], int(k), *chosen[place + 1:]] for k in others[same]]
    return found


def _order(problem: Problem, chosen: list[int], objective: str) -> list[int]:
    ordered, left = [], sorted(chosen)
    while left:
        best = max(left, key=lambda j: (gain_key(*problem.evaluate([*ordered, j]), objective), -j))
        ordered.append(best)
        left.remove(best)
    return ordered


def maximal_covering(problem: Problem, add: int) -> list[int]:
    """The MCLP's best `add` candidates (unordered), the existing sites kept.

    y[i] is whether district i is covered; it needs a chosen candidate within the catchment.
    A district the existing sites reach is covered in every solution, so they need no variable.
    """
    import pulp

    ranks = priority(problem, "coverage")
    reach = problem.candidate_km <= problem.catchment_km
    open_ = (problem.existing_km > problem.catchment_km) & reach.any(axis=1)
    if not open_.any():  # nobody to gain: the first candidates by priority
        return _first(ranks, add)
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    sites = [model.add_variable(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in range(len(ranks))]
    covered = []
    for i in np.flatnonzero(open_):
        y = model.add_variable(f"y_{i}", 0, 1)  # whole in any solution with whole sites
        model += pulp.lpSum(sites[j] for j in np.flatnonzero(reach[i])) >= y
        covered.append(float(problem.weights[i]) * y)
    model += pulp.lpSum(covered)
    model += pulp.lpSum(sites) == add
    # CBC's precision on a sum of people (exact, not whole: 0-17 and 18+ are interpolated)
    return _least_ranks(model, sites, ranks, slack=1e-7 * max(float(problem.weights.sum()), 1.0))


def p_median(problem: Problem, add: int) -> list[int]:
    """The p-median's best `add` candidates (unordered), the existing sites kept.

    z[i, j] is the share of district i served by site j: its existing site, always open, or a
    chosen candidate nearer than it. A district no candidate is nearer to keeps its existing
    site whatever is chosen, so it is left out.
    """
    import pulp

    ranks = priority(problem, "distance")
    nearer = problem.candidate_km < problem.existing_km[:, None]
    open_ = nearer.any(axis=1)
    if not open_.any():
        return _first(ranks, add)
    pairs = int(nearer.sum() + open_.sum())
    if pairs > MAX_PMEDIAN_PAIRS:
        raise InputError("error_plan_pmedian_too_large", pairs={lang: number(pairs, lang) for lang in LANGUAGES},
                         limit={lang: number(MAX_PMEDIAN_PAIRS, lang) for lang in LANGUAGES})
    model = pulp.LpProblem("p_median", pulp.LpMinimize)
    sites = [model.add_variable(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in range(len(ranks))]
    cost = []
    for i in np.flatnonzero(open_):
        weight = float(problem.weights[i])
        kept = model.add_variable(f"z_{i}_existing", 0, 1)
        served = {j: model.add_variable(f"z_{i}_{j}", 0, 1) for j in np.flatnonzero(nearer[i])}
        model += kept + pulp.lpSum(served.values()) == 1
        for j, z in served.items():
            model += z <= sites[j]
        cost.append(weight * float(problem.existing_km[i]) * kept)
        cost += [weight * float(problem.candidate_km[i, j]) * z for j, z in served.items()]
    model += pulp.lpSum(cost)
    model += pulp.lpSum(sites) == add
    total = sum(float(w) * float(km) for w, km in zip(problem.weights[open_], problem.existing_km[open_]))
    # CBC's precision on a sum of people x km
    return _least_ranks(model, sites, ranks, slack=1e-7 * max(total, 1.0))


def _first(ranks: np.ndarray, add: int) -> list[int]:
    return sorted(np.argsort(ranks, kind="stable")[:add].tolist())


def _least_ranks(model, sites: list, ranks: np.ndarray, *, slack: float) -> list[int]:
    """Solve model, then, among its optimal solutions (within slack), the sites with the least
    sum of ranks."""
    import pulp

    _run(model)
    best = pulp.value(model.objective)
    if model.sense == pulp.LpMaximize:
        model += model.objective >= best - slack
    else:
        model += model.objective <= best + slack
    model.sense = pulp.LpMinimize
    model.setObjective(pulp.lpSum(float(r) * x for r, x in zip(ranks, sites)))
    _run(model)
    return [j for j, x in enumerate(sites) if x.value() > 0.5]


def _run(model) -> None:
    """Solve with the CBC bundled with PuLP, silent, on one thread: the same solver, and so the
    same choice among equal solutions, on every machine with the pinned PuLP."""
    import pulp

    with warnings.catch_warnings():
        # PuLP 3.3 announces that 4.0 drops its bundled CBC (then: pulp[cbc] and COIN_CMD)
        warnings.filterwarnings("ignore", message="PULP_CBC_CMD is deprecated", category=DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, threads=1)
    status = model.solve(solver)
    if status != pulp.LpStatusOptimal:
        msg = f"CBC ended the {model.name} model with status {pulp.LpStatus[status]!r}, not optimal."
        raise RuntimeError(msg)
