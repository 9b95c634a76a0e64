"""Where to open the next sites of a service: location-allocation with the existing sites kept.

plan() chooses N new sites among candidate districts (or candidate points): the request is
checked (plan_request.py), the costs measured (plan_costs.py), the maximal covering or
p-median model solved (location_models.py), each site's E2SFCA access before and after
measured (accessibility.py), and the result put into a Plan with its notes in the run's
language (plan_words.py). plans_for() makes the plans a run asked with --plan SERVICE:N.

The N-set is the optimum for N; ties between equally good sets go to the candidates that
alone do most for the other measure (distance for coverage, people for distance), then to
the first by ubigeo (location_models.priority). Its sites are then listed in order of
marginal gain: each is the one of the set that adds most given those before it. When the
best single addition over all candidates is not the first of the set, the plan says so.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .accessibility import e2sfca
from .errors import InputError
from .location_models import Problem, best_single, equal_sets, solve
from .model import Analysis, Plan
from .plan_costs import AccessCosts, plan_costs
from .plan_request import Request, check_request, requested
from .plan_words import census_words, notes
from .texts import texts

log = logging.getLogger(__name__)


def plan(
    analysis: Analysis,
    service: str,
    *,
    add: int,
    objective: str = "coverage",
    candidates: str | Path | pd.DataFrame | None = None,
    catchment: float | None = None,
    force: bool = False,
) -> Plan:
    """Choose `add` new sites of service among candidates, keeping its existing sites.

    candidates: None (every district of the area without the service), a file or a frame
    of ubigeos or points (lat/lon). catchment: what the plan covers within, in the run's unit
    (analysis.unit: km, or minutes along the streets with roads; default: the run's catchment
    of the service; 0, its own district, for a municipal one in straight lines). A
    metropolitan service is refused unless force. Raises InputError with one line for a
    request that cannot be answered.
    """
    request = check_request(analysis, service, add=add, objective=objective, candidates=candidates,
                            catchment=catchment, force=force)
    problem, access_costs = plan_costs(analysis, request)
    if not problem.weights.sum():
        raise InputError("error_plan_nobody", code=request.code)
    log.debug("Planning %d new %s among %d candidates for %d demand points (%s, catchment %g %s)",
              add, request.code, len(problem.candidates), len(problem.ubigeos), objective, request.catchment, request.unit)
    chosen = solve(problem, add, objective)
    access = access_steps(access_costs, chosen)
    return _plan(analysis, request, problem, chosen, access)


def plans_for(analysis: Analysis) -> tuple[Plan, ...]:
    """The plans the run asked for (RunInputs.plans), each with the command's defaults: the
    districts without the service as candidates, maximal coverage within its catchment."""
    return tuple(plan(analysis, code, add=n) for code, n in requested(analysis.catalogue, analysis.inputs.plans))


def access_steps(points: AccessCosts, chosen: list[int]) -> pd.DataFrame:
    """What each chosen site, added to those before it, does to E2SFCA access (accessibility.py).

    One row per site in order: access_districts (districts where access rises at some demand
    point), access_before and access_after (the population-weighted mean access of those
    points, sites per 100,000 target people).
    The supply is the run's plus one site per proposal; adding a site never lowers access
    elsewhere (E2SFCA's site ratios depend on the demand around each site only).
    """
    people = points.demand.to_numpy()
    steps = []
    before = e2sfca(points.demand, points.supply_cost, points.supply, catchment=points.catchment).to_numpy()
    for rank in range(1, len(chosen) + 1):
        cost = np.hstack([points.supply_cost, points.candidate_cost[:, chosen[:rank]]])
        after = e2sfca(points.demand, cost, np.concatenate([points.supply, np.ones(rank)]),
                       catchment=points.catchment).to_numpy()
        gaining = after > before + 1e-12  # NaN (no point) never gains
        steps.append({"access_districts": len(np.unique(points.district[gaining])),
                      "access_before": _weighted_mean(before[gaining], people[gaining]),
                      "access_after": _weighted_mean(after[gaining], people[gaining])})
        before = after
    return pd.DataFrame(steps, columns=["access_districts", "access_before", "access_after"])


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Mean of values weighted by people (plain where nobody lives there); NaN for none."""
    if not len(values):
        return np.nan
    mean = np.average(values, weights=weights) if weights.sum() else values.mean()
    return float(mean)  # exact: plan.csv rounds it (plan_words.PLAN_DECIMALS)


def _plan(analysis: Analysis, request: Request, problem: Problem, chosen: list[int], access: pd.DataFrame) -> Plan:
    code, lang = request.code, analysis.lang
    confidential = bool(analysis.catalogue.services.at[code, "confidential"])
    total = float(problem.weights.sum())
    covered_before, weighted_before = problem.evaluate([])
    rows, previous = [], covered_before
    for rank in range(1, len(chosen) + 1):
        covered, weighted = problem.evaluate(chosen[:rank])
        site = problem.candidates.iloc[chosen[rank - 1]]
        rows.append({"service": code, "rank": rank, "ubigeo": site["ubigeo"], "district": site["district"],
                     "newly_covered": covered - previous, "covered_after": covered,
                     "share_covered_after": covered / total, f"weighted_{request.unit}_after": weighted,
                     **access.iloc[rank - 1].to_dict(),
                     "name": site["name"], "lon": site["lon"], "lat": site["lat"]})
        previous = covered
    proposals = pd.DataFrame(rows).astype({"access_districts": int})
    if confidential:
        proposals = proposals.drop(columns=["name", "lat", "lon"])
    column = analysis.population_columns.get(code, "total")
    population = analysis.file("population")
    plan = Plan(
        service=code, name=analysis.catalogue.label(code, lang), objective=request.objective,
        catchment=request.catchment, proposals=proposals, target_population=total,
        covered_before=covered_before, weighted_before=weighted_before,
        existing_sites=len(request.existing), candidates=len(problem.candidates), confidential=confidential,
        crs=analysis.costs.crs, population_group=texts(lang)[f"noun_{column}"],
        census=census_words(analysis.population_source, population.path if population else None, lang,
                            projected=analysis.population_year if analysis.population_projected else None),
        access_catchment=request.access_catchment, unit=request.unit,
        profile=analysis.roads.profile if analysis.roads is not None else None,
    )
    ties = [list(problem.candidates.iloc[alternative]["district"]) for alternative in equal_sets(problem, chosen, request.objective)]
    return replace(plan, alternatives=tuple(map(tuple, ties)),
                   notes=tuple(notes(plan, request, _best_single(problem, chosen, request.objective), lang, ties=ties,
                                     roads=analysis.roads)))


def _best_single(problem: Problem, chosen: list[int], objective: str) -> dict | None:
    """The best single addition over all candidates, when the best set does not start with it:
    its district, ubigeo, the people it alone adds and the weighted cost with it alone."""
    best = best_single(problem, objective)
    if not chosen or best == chosen[0]:
        return None
    covered, weighted = problem.singles()
    site = problem.candidates.iloc[best]
    return {"district": site["district"], "ubigeo": site["ubigeo"],
            "newly": float(covered[best]) - problem.evaluate([])[0], "weighted": float(weighted[best])}
