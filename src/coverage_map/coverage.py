"""Coverage and gaps: which district has which service, and how far the nearest one is.

Each district and place-based service is in one of three states:
- present: the source lists it there (count >= 1);
- gap: the source lists the service by district and not there (count 0, a known absence);
- unknown: the source gives no district breakdown for the service (never a gap).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundaries import METRIC_CRS
from .inventory import Catalogue, Inventory

log = logging.getLogger(__name__)

PRESENT, GAP, UNKNOWN = "present", "gap", "unknown"


@dataclass
class Coverage:
    """The district x service table in long form, and its summary per service."""

    table: pd.DataFrame  # ubigeo, district, service, count, status, nearest_*, nearest_km
    summary: pd.DataFrame  # per service: districts, hosts, gaps, unknown, listed, declared

    def matrix(self) -> pd.DataFrame:
        """Counts, one row per district and one column per service; NA where unknown."""
        wide = self.table.pivot(index=["ubigeo", "district"], columns="service", values="count")
        return wide[self.summary.index].reset_index().rename_axis(columns=None)

    def gaps(self, service: str | None = None) -> pd.DataFrame:
        gaps = self.table[self.table["status"] == GAP]
        if service is not None:
            gaps = gaps[gaps["service"] == service]
        return gaps.reset_index(drop=True)


def district_distances(districts: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> np.ndarray:
    """Kilometres between the districts' representative points (NaN where no geometry)."""
    points = districts.geometry.to_crs(crs).representative_point()
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000


def measure_coverage(
    districts: gpd.GeoDataFrame,
    inventory: Inventory,
    catalogue: Catalogue,
    declared: pd.DataFrame,
) -> Coverage:
    """Count, classify and measure every place-based service in every district."""
    ubigeos = districts["ubigeo"].to_numpy()
    km = district_distances(districts)
    by_service = inventory.counts.groupby("service")
    frames, summary = [], []
    for service in catalogue.place_based:
        counts = pd.Series(pd.NA, index=ubigeos, dtype="Int64")
        if service in inventory.scope:
            in_scope = districts["ubigeo"].str.startswith(inventory.scope[service]).to_numpy()
            counts[in_scope] = 0
            if service in by_service.groups:
                listed = by_service.get_group(service).groupby("ubigeo")["count"].sum()
                listed = listed[listed.index.isin(ubigeos)]
                counts[listed.index] = listed
        status = np.where(counts.isna(), UNKNOWN, np.where(counts.fillna(0) > 0, PRESENT, GAP))
        nearest, nearest_km = _nearest_hosts(ubigeos, counts.fillna(0).to_numpy() > 0, km)
        known = status != UNKNOWN
        frames.append(
            pd.DataFrame(
                {
                    "ubigeo": ubigeos,
                    "district": districts["name"].to_numpy(),
                    "service": service,
                    "count": counts.to_numpy(),
                    "status": status,
                    "nearest_ubigeo": np.where(known, nearest, None),
                    "nearest_km": np.where(known, nearest_km, np.nan),
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
    table["nearest_km"] = table["nearest_km"].astype(float).round(1)
    summary = pd.DataFrame(summary).set_index("service", drop=False)
    for column in ("listed_total", "declared_total"):
        summary[column] = summary[column].astype("Int64")
    log.info(
        "Measured %d services in %d districts: %d gaps",
        len(summary), len(ubigeos), int(summary["gaps"].sum()),
    )
    return Coverage(table=table, summary=summary)


def _nearest_hosts(ubigeos: np.ndarray, hosts: np.ndarray, km: np.ndarray):
    """For every district, the nearest host district and its distance (0 for a host)."""
    if not hosts.any():
        return np.full(len(ubigeos), None, dtype=object), np.full(len(ubigeos), np.nan)
    to_hosts = np.where(np.isnan(km[:, hosts]), np.inf, km[:, hosts])
    best = to_hosts.argmin(axis=1)  # ties go to the first host in ubigeo order
    distance = to_hosts[np.arange(len(ubigeos)), best]
    nearest = ubigeos[hosts][best].astype(object)
    nearest = np.where(hosts, ubigeos, nearest)
    distance = np.where(hosts, 0.0, distance)
    unreachable = np.isinf(distance)
    return np.where(unreachable, None, nearest), np.where(unreachable, np.nan, distance)


def add_population(coverage: Coverage, targets: pd.DataFrame) -> Coverage:
    """Add the measures that need people: per district and service, the target population
    and the people per centre; per service, the people living where it is absent, the
    share living where it is present and the population-weighted distance to it.

    targets has one column per service: its target population in each district (ubigeo).
    """
    table = coverage.table.copy()
    people = targets.stack().rename("target_population")
    table = table.join(people, on=["ubigeo", "service"])
    hosts = table["status"] == PRESENT
    table["people_per_centre"] = (table["target_population"] / table["count"].astype(float)).where(hosts)
    known = table[table["status"] != UNKNOWN]
    by_service = known.groupby("service")
    weighted = (known["target_population"] * known["nearest_km"]).groupby(known["service"]).sum(min_count=1)
    reach = known["target_population"].where(known["nearest_km"].notna()).groupby(known["service"]).sum()
    summary = coverage.summary.copy()
    summary["target_population"] = table.groupby("service")["target_population"].sum()
    summary["unserved_population"] = by_service.apply(lambda g: g.loc[g["status"] == GAP, "target_population"].sum())
    served = by_service.apply(lambda g: g.loc[g["status"] == PRESENT, "target_population"].sum())
    summary["served_share"] = (served / by_service["target_population"].sum()).round(4)
    summary["weighted_km"] = (weighted / reach).round(1)
    # people are whole: 0-17 is interpolated (0-14 + 3/5 of 15-19), so round only at the end
    for frame, column in [(table, "target_population"), (table, "people_per_centre"),
                          (summary, "target_population"), (summary, "unserved_population")]:
        frame[column] = frame[column].round().astype("Int64")
    return Coverage(table=table, summary=summary)
