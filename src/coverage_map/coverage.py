"""Coverage and gaps: which district has which service, and how far the nearest one is.

Each district and place-based service is in one of three states:
- present: the source lists it there (count >= 1);
- gap: the source lists the service by district and not there (count 0, a known absence);
- unknown: the source gives no district breakdown for the service (never a gap).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .costs import KM, CostModel, nearest_in, sites_of
from .inventory import Catalogue, Inventory

if TYPE_CHECKING:
    from .facilities import Facilities

log = logging.getLogger(__name__)

PRESENT, GAP, UNKNOWN = "present", "gap", "unknown"

#: Decimals of the measures as the files write them (CSV, GeoJSON, GeoPackage, the map's
#: data): the analysis keeps them exact, so that a maximum is taken, and a share written,
#: from the exact value (the farthest district is not decided by a rounded tie; 94.55 %
#: is written 94.6 %, not rounded twice to 94.5 %).
FILE_DECIMALS = {
    "table": {"nearest_km": 1, "nearest_site_km": 1},
    "summary": {"served_share": 4, "weighted_km": 1, "share_within": 4, "weighted_site_km": 1},
}
#: Significant digits of the raw access (E2SFCA) the files keep: enough for people per site
#: (accessibility.people_per_site), however small the access.
ACCESS_DIGITS = 6


def significant(value: float, digits: int) -> float:
    """value to digits significant digits; NaN stays NaN, infinity becomes NaN."""
    if not np.isfinite(value) or value == 0:
        return 0.0 if value == 0 else np.nan
    return float(round(value, digits - 1 - int(np.floor(np.log10(abs(value))))))


@dataclass
class Coverage:
    """The district x service table in long form, and its summary per service."""

    #: ubigeo, district, service, count, status, nearest_*, nearest_km; with scales, gap (what
    #: the scale calls a gap); with population, target_population, people_per_centre, access
    #: (E2SFCA, sites per 100,000 target people) and nearest_site_km; with a projected year,
    #: census_population (the same target people in the census year)
    table: pd.DataFrame
    #: per service: districts, hosts, gaps, unknown, listed, declared; with scales, scale,
    #: catchment_km and without_site; with population, people_beyond, share_within, ...
    summary: pd.DataFrame
    #: The services whose access across district lines (E2SFCA) was measured
    #: (accessibility.measure_access): with known sites, when a target population was given.
    #: Renderers ask this, not whether the access columns exist or hold values.
    access_measured: frozenset[str] = frozenset()
    #: The unit of every cost: "km" in straight lines, "min" along streets (with --roads); the
    #: cost columns are named by it (nearest_km or nearest_min, nearest_site_..., weighted_...,
    #: catchment_...). With minutes, nearest_km stays beside them, in straight lines.
    unit: str = KM

    @property
    def cost_columns(self) -> dict[str, str]:
        """The cost columns of this coverage by their straight-line names (nearest_km: nearest_min)."""
        return {f"{name}_{KM}": f"{name}_{self.unit}" for name in ("nearest", "nearest_site", "weighted", "weighted_site", "catchment")}

    def rounded(self) -> Coverage:
        """The coverage with its measures at the decimals the files write (FILE_DECIMALS)."""
        table, summary = self.table.copy(), self.summary.copy()
        for frame, decimals in ((table, FILE_DECIMALS["table"]), (summary, FILE_DECIMALS["summary"])):
            decimals = decimals | {self.cost_columns[c]: places for c, places in decimals.items() if c in self.cost_columns}
            for column, places in decimals.items():
                if column in frame:
                    frame[column] = frame[column].astype(float).round(places)
        if "access" in table:
            table["access"] = table["access"].astype(float).map(lambda v: significant(v, ACCESS_DIGITS))
        return replace(self, table=table, summary=summary)

    def matrix(self) -> pd.DataFrame:
        """Counts, one row per district and one column per service; NA where unknown."""
        wide = self.table.pivot(index=["ubigeo", "district"], columns="service", values="count")
        return wide[self.summary.index].reset_index().rename_axis(columns=None)

    def mapped(self) -> list[str]:
        """The services with some district data (hosts or known absences): those a map can show."""
        summary = self.summary
        return list(summary.index[summary["unknown"] < summary["districts"]])

    def unmapped(self) -> list[str]:
        """The place-based services without any district data (only a total for the area)."""
        return [code for code in self.summary.index if code not in set(self.mapped())]

    def gaps(self, service: str | None = None) -> pd.DataFrame:
        """Districts that lack a service: once scales are applied, only what its scale calls a gap."""
        gaps = self.table[self.table["gap"].fillna(False).astype(bool)] if "gap" in self.table else self.table[self.table["status"] == GAP]
        if service is not None:
            gaps = gaps[gaps["service"] == service]
        return gaps.reset_index(drop=True)

    def gaps_by_growth(self, service: str) -> pd.DataFrame:
        """A service's gaps whose target people of the census year are known, those that grew
        most first (growth: people gained since the census); empty without a projected year."""
        gaps = self.gaps(service)
        if "census_population" not in gaps:
            return gaps.iloc[0:0].assign(growth=pd.Series(dtype="Int64"))
        gaps = gaps[gaps["census_population"].notna() & gaps["target_population"].notna()]
        gaps = gaps.assign(growth=gaps["target_population"] - gaps["census_population"])
        return gaps.sort_values(["growth", "district"], ascending=[False, True], kind="stable").reset_index(drop=True)


def measure_coverage(
    districts: gpd.GeoDataFrame,
    inventory: Inventory,
    catalogue: Catalogue,
    declared: pd.DataFrame,
    *,
    facilities: Facilities | None = None,
    costs: CostModel | None = None,
) -> Coverage:
    """Count, classify and measure every place-based service the run has data on, in every district.

    The nearest host is the district of the nearest of the service's sites in the area, by
    the cost model (costs.py; straight-line km by default): its facilities when the facility
    list gives the service, else the host districts. A host district is its own nearest, at 0.
    """
    ubigeos = districts["ubigeo"].to_numpy()
    costs = costs or CostModel(districts)
    by_service = inventory.counts.groupby("service")
    frames, summary = [], []
    # a service the run knows nothing of (no district data, no declared total) has no layer
    totals = declared["declared_total"]
    known_services = [s for s in catalogue.place_based if s in inventory.scope or pd.notna(totals.get(s, pd.NA))]
    for service in known_services:
        counts = pd.Series(pd.NA, index=ubigeos, dtype="Int64")
        if service in inventory.scope:
            in_scope = districts["ubigeo"].str.startswith(inventory.scope[service]).to_numpy()
            counts[in_scope] = 0
            if service in by_service.groups:
                listed = by_service.get_group(service).groupby("ubigeo")["count"].sum()
                listed = listed[listed.index.isin(ubigeos)]
                counts[listed.index] = listed
        status = np.where(counts.isna(), UNKNOWN, np.where(counts.fillna(0) > 0, PRESENT, GAP))
        hosts = counts.fillna(0).to_numpy() > 0
        sites = sites_of(costs, service, counts, facilities)
        sites = sites.take(sites.in_area)  # the nearest district *of the area* with the service
        cost, best = costs.nearest(sites)
        nearest = np.where(best >= 0, sites.ubigeo[best] if len(sites) else None, None)
        nearest = np.where(hosts, ubigeos, nearest)
        known = status != UNKNOWN
        measured = {f"nearest_{costs.unit}": _nearest_cost(cost, hosts, costs.unit)}
        if costs.unit != KM:  # the straight line beside the minutes: to the same site, or the nearest where none is reached
            straight = costs.straight.costs(sites)
            km, _ = nearest_in(straight, costs.straight.located)
            if len(sites):
                km = np.where(best >= 0, straight[np.arange(len(best)), np.maximum(best, 0)], km)
            measured = {"nearest_km": _nearest_cost(km, hosts, KM)} | measured
        frames.append(
            pd.DataFrame(
                {
                    "ubigeo": ubigeos,
                    "district": districts["name"].to_numpy(),
                    "service": service,
                    "count": counts.to_numpy(),
                    "status": status,
                    "nearest_ubigeo": np.where(known, nearest, None),
                    **{column: np.where(known, value, np.nan) for column, value in measured.items()},
                }
            )
        )
        summary.append(
            {
                "service": service,
                "districts": len(ubigeos),
                "hosts": int((status == PRESENT).sum()),
                "gaps": int((status == GAP).sum()),
                "unknown": int((status == UNKNOWN).sum()),
                "listed_total": counts.sum() if known.any() else pd.NA,
                "declared_total": declared["declared_total"].get(service, pd.NA),
            }
        )
    table = pd.concat(frames, ignore_index=True)
    names = dict(zip(districts["ubigeo"], districts["name"]))
    table.insert(6, "nearest_district", table["nearest_ubigeo"].map(names))
    table["count"] = table["count"].astype("Int64")
    for column in measured:
        table[column] = table[column].astype(float)  # exact: the files round it (FILE_DECIMALS)
    summary = pd.DataFrame(summary).set_index("service", drop=False)
    for column in ("listed_total", "declared_total"):
        summary[column] = summary[column].astype("Int64")
    log.debug(
        "Measured %d services in %d districts: %d gaps (costs in %s, %s)",
        len(summary), len(ubigeos), int(summary["gaps"].sum()), costs.unit, costs.crs,
    )
    return Coverage(table=table, summary=summary, unit=costs.unit)


def _nearest_cost(cost: np.ndarray, hosts: np.ndarray, unit: str) -> np.ndarray:
    """The cost to the nearest site, NaN where none is reached. A host district is at 0 in
    straight lines (its own point stands for its people); on streets its people's minutes stand."""
    cost = np.where(hosts, 0.0, cost) if unit == KM else cost
    return np.where(np.isinf(cost), np.nan, cost)


def add_population(coverage: Coverage, targets: pd.DataFrame, *, census: pd.DataFrame | None = None) -> Coverage:
    """Add the measures that need people: per district and service, the target population
    and the people per centre; per service, the people living where it is absent, the
    share living where it is present and the population-weighted distance to it.

    targets has one column per service: its target population in each district (ubigeo);
    census, the same in the census year when targets are of a later year (census_population,
    to show growth).
    """
    table = coverage.table.copy()
    people = targets.stack().rename("target_population")
    table = table.join(people, on=["ubigeo", "service"])
    if census is not None:
        table = table.join(census.stack().rename("census_population"), on=["ubigeo", "service"])
    hosts = table["status"] == PRESENT
    table["people_per_centre"] = (table["target_population"] / table["count"].astype(float)).where(hosts)
    known = table[table["status"] != UNKNOWN]
    by_service = known.groupby("service")
    unit = coverage.unit
    weighted = (known["target_population"] * known[f"nearest_{unit}"]).groupby(known["service"]).sum(min_count=1)
    reach = known["target_population"].where(known[f"nearest_{unit}"].notna()).groupby(known["service"]).sum()
    summary = coverage.summary.copy()
    summary["target_population"] = table.groupby("service")["target_population"].sum()
    def people_where(mask: pd.Series) -> pd.Series:
        return known["target_population"].where(mask, 0.0).groupby(known["service"]).sum()

    gap = known["gap"].astype(bool) if "gap" in known else known["status"] == GAP  # the scale's gaps
    summary["unserved_population"] = people_where(gap)
    served = people_where(known["status"] == PRESENT)
    summary["served_share"] = served / by_service["target_population"].sum()
    summary[f"weighted_{unit}"] = weighted / reach
    # people are whole: 0-17 is interpolated (0-14 + 3/5 of 15-19), so round only at the end
    rounded = [(table, "target_population"), (table, "people_per_centre"), (summary, "target_population"),
               (summary, "unserved_population")] + [(table, "census_population")] * (census is not None)
    for frame, column in rounded:
        frame[column] = frame[column].round().astype("Int64")
    return replace(coverage, table=table, summary=summary)
