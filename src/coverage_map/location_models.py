"""The two location models of a plan, written in PuLP and solved with its bundled CBC.

- Maximal covering (MCLP; Church and ReVelle 1974): open `add` candidates so that the most
  target people have a site within the catchment.
- p-median (ReVelle and Swain 1970): open `add` candidates so that the population-weighted
  distance to the nearest open site is least.

A Problem holds one row per demand point (a district in straight lines; on roads, thousands
of points of 500 m squares) and one column per candidate, its costs in the run's unit (km or
minutes), and the existing sites as one more site, always open, whose cost to a point is that
to its nearest existing site: the same optimum as one fixed site per existing one, with fewer
variables. Each model keeps only what can change with the choice: the MCLP the points no
existing site reaches and some candidate does, each summing only the candidates that reach
it; the p-median the points some candidate is nearer to than their existing site, each
assignable to those candidates and to its existing site. A point left out is the same in
every solution.

Beyond AGGREGATE_ABOVE demand points, each model is written on exact aggregates instead
(the same optimum, far fewer variables): the MCLP one row per pattern of the candidates that
reach a point, weighing the people of all its points; the p-median in its radius form (Garcia,
Labbé and Marín 2011), a point's cost as its nearest candidate's plus, for each next farther
one up to its existing site, the step between them times "none of the nearer candidates is
open", one variable per set of nearer candidates whatever the point, weighing the steps of
every point with that set. A point no site reaches (roads: streets cut off) counts at
UNREACHED times the farthest cost of the problem in the p-median, and is left out of the
weighted cost, as the run's figures leave it out.

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
#: Beyond this many demand points, the models are written on exact aggregates (a district per
#: point, as in straight lines, stays as it was; roads' thousands of points do not).
AGGREGATE_ABOVE = 500
#: A point that reaches no existing site costs the p-median this many times the farthest cost.
UNREACHED = 2.0


@dataclass(frozen=True)
class Problem:
    """What the models are built from: one row per demand point, one column per candidate,
    costs in the run's unit (km in straight lines, minutes on roads; inf: not reached)."""

    ubigeos: np.ndarray  # the district of each demand point
    weights: np.ndarray  # target people per demand point (exact: 0-17 and 18+ are interpolated)
    existing_cost: np.ndarray  # from each demand point to its nearest existing site (straight lines: 0 in a host)
    candidate_cost: np.ndarray  # demand points x candidates (straight lines: 0 in the candidate's own district)
    candidates: pd.DataFrame  # ubigeo, district, name, lat, lon; sorted by ubigeo, name, point
    catchment: float  # in the costs' unit
    left_out: tuple[str, ...] = ()  # candidate districts without geometry, named in the notes

    def evaluate(self, chosen) -> tuple[float, float]:
        """People within the catchment and the population-weighted cost with the chosen candidates open."""
        cost = self.existing_cost
        if len(chosen):
            cost = np.minimum(cost, self.candidate_cost[:, list(chosen)].min(axis=1))
        covered = float(self.weights[cost <= self.catchment].sum())
        return covered, float(_weighted(self.weights, cost))

    def singles(self) -> tuple[np.ndarray, np.ndarray]:
        """People covered and weighted cost with each candidate alone added (vectors over candidates)."""
        cost = np.minimum(self.existing_cost[:, None], self.candidate_cost)
        covered = (self.weights[:, None] * (cost <= self.catchment)).sum(axis=0)
        return covered, _weighted(self.weights, cost)


def _weighted(weights: np.ndarray, cost: np.ndarray):
    """The mean cost (of each column) weighted by people, over the points some site reaches
    (as the run's weighted figures count them); NaN where none is."""
    if np.isfinite(cost).all():
        return (weights[:, None] * cost).sum(axis=0) / weights.sum() if cost.ndim == 2 else (weights * cost).sum() / weights.sum()
    finite = np.isfinite(cost)
    w = weights[:, None] * finite if cost.ndim == 2 else weights * finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, w * np.where(finite, cost, 0.0), 0.0).sum(axis=0) / w.sum(axis=0)


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
    points x candidates per chosen site; sets that differ in two or more sites are not
    searched.
    """
    chosen = list(chosen)
    covered, weighted = problem.evaluate(chosen)
    others = np.setdiff1d(np.arange(len(problem.candidates)), chosen)
    found = []
    for place, site in enumerate(chosen):
        rest = [j for j in chosen if j != site]
        cost = problem.existing_cost if not rest else np.minimum(problem.existing_cost, problem.candidate_cost[:, rest].min(axis=1))
        swapped = np.minimum(cost[:, None], problem.candidate_cost[:, others])
        if objective == "coverage":
            same = np.isclose(problem.weights @ (swapped <= problem.catchment), covered, rtol=1e-12, atol=1e-9)
        elif np.isfinite(swapped).all():
            same = np.isclose(problem.weights @ swapped / problem.weights.sum(), weighted, rtol=1e-12, atol=1e-9)
        else:
            same = np.isclose(_weighted(problem.weights, swapped), weighted, rtol=1e-12, atol=1e-9)
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

    y[i] is whether point i is covered; it needs a chosen candidate within the catchment.
    A point the existing sites reach is covered in every solution, so it needs no variable.
    Beyond AGGREGATE_ABOVE points, one y per pattern of reaching candidates, weighing the
    people of its points: exact, as those points are covered together or not at all.
    """
    import pulp

    ranks = priority(problem, "coverage")
    reach = problem.candidate_cost <= problem.catchment
    open_ = (problem.existing_cost > problem.catchment) & reach.any(axis=1)
    if not open_.any():  # nobody to gain: the first candidates by priority
        return _first(ranks, add)
    names, rows, weights = np.flatnonzero(open_), reach[open_], problem.weights[open_]
    if len(problem.weights) > AGGREGATE_ABOVE:
        rows, pattern = np.unique(rows, axis=0, return_inverse=True)
        weights = np.bincount(pattern.ravel(), weights=weights, minlength=len(rows))
        names = np.arange(len(rows))
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    sites = [model.add_variable(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in range(len(ranks))]
    covered = []
    for i, row, weight in zip(names, rows, weights):
        y = model.add_variable(f"y_{i}", 0, 1)  # whole in any solution with whole sites
        model += pulp.lpSum(sites[j] for j in np.flatnonzero(row)) >= y
        covered.append(float(weight) * y)
    model += pulp.lpSum(covered)
    model += pulp.lpSum(sites) == add
    # CBC's precision on a sum of people (exact, not whole: 0-17 and 18+ are interpolated)
    return _least_ranks(model, sites, ranks, slack=1e-7 * max(float(problem.weights.sum()), 1.0))


def p_median(problem: Problem, add: int) -> list[int]:
    """The p-median's best `add` candidates (unordered), the existing sites kept.

    z[i, j] is the share of point i served by site j: its existing site, always open, or a
    chosen candidate nearer than it. A point no candidate is nearer to keeps its existing
    site whatever is chosen, so it is left out. Beyond AGGREGATE_ABOVE points, the radius
    form on aggregates (_radius_p_median).
    """
    import pulp

    ranks = priority(problem, "distance")
    existing = _reached(problem)
    nearer = problem.candidate_cost < existing[:, None]
    open_ = nearer.any(axis=1)
    if not open_.any():
        return _first(ranks, add)
    total = sum(float(w) * float(cost) for w, cost in zip(problem.weights[open_], existing[open_]))
    if len(problem.weights) > AGGREGATE_ABOVE:
        model, sites = _radius_p_median(problem, existing, nearer, open_)
        model += pulp.lpSum(sites) == add
        return _least_ranks(model, sites, ranks, slack=1e-7 * max(total, 1.0))
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
        cost.append(weight * float(existing[i]) * kept)
        cost += [weight * float(problem.candidate_cost[i, j]) * z for j, z in served.items()]
    model += pulp.lpSum(cost)
    model += pulp.lpSum(sites) == add
    # CBC's precision on a sum of people x cost
    return _least_ranks(model, sites, ranks, slack=1e-7 * max(total, 1.0))


def _reached(problem: Problem) -> np.ndarray:
    """Each point's cost to its nearest existing site, UNREACHED times the problem's farthest
    finite cost where no existing site is reached."""
    existing = problem.existing_cost
    if np.isfinite(existing).all():
        return existing
    costs = np.concatenate([existing.ravel(), problem.candidate_cost.ravel()])
    farthest = costs[np.isfinite(costs)].max(initial=0.0)
    return np.where(np.isfinite(existing), existing, UNREACHED * max(farthest, 1.0))


def _radius_p_median(problem: Problem, existing: np.ndarray, nearer: np.ndarray, open_: np.ndarray):
    """The p-median in radius form on aggregates, its objective set (the constant part left out).

    A point's cost, its candidates nearer than its existing site sorted d1 <= d2 <= ... <= dm
    < e, is d1 + sum over k of (d(k+1) - dk) x [none of the k nearest is open] (d(m+1) = e):
    whatever is chosen, that is the cost to its nearest open site. u[S] >= 1 - sum of x over
    S, u >= 0, is that indicator for every point whose k nearest are the set S (minimised
    with a positive weight, it is 1 exactly when none of S is open), so one u per set,
    weighing the steps of all such points: the same optimum as one variable per point and
    candidate, with as many variables as distinct sets (a few thousand for Lima's streets).
    """
    import pulp

    steps: dict[bytes, float] = {}
    members: dict[bytes, np.ndarray] = {}
    for i in np.flatnonzero(open_):
        near = np.flatnonzero(nearer[i])
        cost = problem.candidate_cost[i, near]
        order = np.argsort(cost, kind="stable")
        near, cost = near[order], np.append(cost[order], existing[i])
        weight = float(problem.weights[i])
        inside = np.zeros(nearer.shape[1], dtype=bool)
        for k, j in enumerate(near):
            inside[j] = True
            step = cost[k + 1] - cost[k]
            if step <= 0:  # the next is as near: the set grows first
                continue
            key = inside.tobytes()
            steps[key] = steps.get(key, 0.0) + weight * float(step)
            members.setdefault(key, np.flatnonzero(inside))
    model = pulp.LpProblem("p_median", pulp.LpMinimize)
    sites = [model.add_variable(f"x_{j}", 0, 1, cat=pulp.LpBinary) for j in range(nearer.shape[1])]
    terms = []
    for n, (key, weight) in enumerate(steps.items()):
        u = model.add_variable(f"u_{n}", 0, 1)
        model += u + pulp.lpSum(sites[j] for j in members[key]) >= 1
        terms.append(weight * u)
    model += pulp.lpSum(terms)
    return model, sites


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
