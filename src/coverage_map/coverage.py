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

from .boundaries import METRIC_CRS, metric_crs
from .inventory import Catalogue, Inventory

log = logging.getLogger(__name__)

PRESENT, GAP, UNKNOWN = "present", "gap", "unknown"


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


def representative_points(districts: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> np.ndarray:
    """x, y in metres of a point inside each district (NaN where it has no geometry)."""
    points = districts.geometry.to_crs(crs).representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def site_points(sites: pd.DataFrame, districts: gpd.GeoDataFrame, crs: str = METRIC_CRS) -> np.ndarray:
    """x, y in metres of facilities: their own point, else their district's (shelters, no coordinates)."""
    own = gpd.GeoSeries(gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326").to_crs(crs)
    fallback = pd.DataFrame(representative_points(districts, crs), index=districts["ubigeo"].to_numpy())
    fallback = fallback.reindex(sites["ubigeo"]).to_numpy()
    xy = np.column_stack([own.x.to_numpy(), own.y.to_numpy()])
    return np.where(np.isnan(xy), fallback, xy)


def distances_km(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Kilometres from each origin to each target point (NaN where either is unknown)."""
    return np.hypot(*(origins[:, None, :] - targets[None, :, :]).transpose(2, 0, 1)) / 1000


def measure_coverage(
    districts: gpd.GeoDataFrame,
    inventory: Inventory,
    catalogue: Catalogue,
    declared: pd.DataFrame,
    *,
    sites: pd.DataFrame | None = None,
) -> Coverage:
    """Count, classify and measure every place-based service the run has data on, in every district.

    The nearest host is the nearest district with the service, measured between the
    districts' representative points; for a service in sites (facilities: service,
    ubigeo, lat, lon), it is the nearest facility, measured from the representative point.
    """
    ubigeos = districts["ubigeo"].to_numpy()
    crs = metric_crs(districts)
    origins = representative_points(districts, crs)
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
        if sites is not None and service in set(sites["service"]):
            own = sites[sites["service"] == service]
            targets, target_ubigeos = site_points(own, districts, crs), own["ubigeo"].to_numpy()
        else:
            targets, target_ubigeos = origins[hosts], ubigeos[hosts]
        nearest, nearest_km = _nearest(ubigeos, hosts, distances_km(origins, targets), target_ubigeos)
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
    log.debug(
        "Measured %d services in %d districts: %d gaps (distances in %s)",
        len(summary), len(ubigeos), int(summary["gaps"].sum()), crs,
    )
    return Coverage(table=table, summary=summary)


def _nearest(ubigeos: np.ndarray, hosts: np.ndarray, km: np.ndarray, target_ubigeos: np.ndarray):
    """For every district, the district of the nearest target and its distance; a host
    district is its own nearest, at 0 km. km is districts x targets."""
    if not km.shape[1]:
        return np.full(len(ubigeos), None, dtype=object), np.full(len(ubigeos), np.nan)
    km = np.where(np.isnan(km), np.inf, km)
    best = km.argmin(axis=1)  # ties go to the first target
    distance = km[np.arange(len(ubigeos)), best]
    nearest = target_ubigeos[best].astype(object)
    unreachable = np.isinf(distance) & ~hosts
    nearest = np.where(hosts, ubigeos, np.where(unreachable, None, nearest))
    distance = np.where(hosts, 0.0, np.where(unreachable, np.nan, distance))
    return nearest, distance


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
    weighted = (known["target_population"] * known["nearest_km"]).groupby(known["service"]).sum(min_count=1)
    reach = known["target_population"].where(known["nearest_km"].notna()).groupby(known["service"]).sum()
    summary = coverage.summary.copy()
    summary["target_population"] = table.groupby("service")["target_population"].sum()
    def people_where(mask: pd.Series) -> pd.Series:
        return known["target_population"].where(mask, 0.0).groupby(known["service"]).sum()

    gap = known["gap"].astype(bool) if "gap" in known else known["status"] == GAP  # the scale's gaps
    summary["unserved_population"] = people_where(gap)
    served = people_where(known["status"] == PRESENT)
    summary["served_share"] = (served / by_service["target_population"].sum()).round(4)
    summary["weighted_km"] = (weighted / reach).round(1)
    # people are whole: 0-17 is interpolated (0-14 + 3/5 of 15-19), so round only at the end
    rounded = [(table, "target_population"), (table, "people_per_centre"), (summary, "target_population"),
               (summary, "unserved_population")] + [(table, "census_population")] * (census is not None)
    for frame, column in rounded:
        frame[column] = frame[column].round().astype("Int64")
    return Coverage(table=table, summary=summary)
