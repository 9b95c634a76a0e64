"""Each place-based service's scale: what its absence from a district means.

- municipal: the law gives it to every municipality (DEMUNA, CIAM): a district without
  it is a gap.
- network: sites spread over the area with no one-per-district rule in the source (CEM,
  HRT, UPE, CAR, CEDIF, SAR): a district without a site is a gap shown with its access.
- metropolitan: one seat or team for the whole area, by our reading of the source (OREDIS, UA, CAI, SAU,
  Mi60+, CAN, Educadores de Calle, Sociedad de Beneficencia): never a district gap,
  measured by access only.

The catalogue (data/services.csv) gives each service its scale, its catchment in km and
the source's words that justify them; a run may override both (--scale, --catchment).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from .costs import KM, MIN
from .coverage import GAP, UNKNOWN, Coverage
from .errors import InputError
from .inventory import Catalogue
from .texts import in_languages, listed

MUNICIPAL, NETWORK, METROPOLITAN = "municipal", "network", "metropolitan"
SCALES = (MUNICIPAL, NETWORK, METROPOLITAN)
#: The scale of a place-based service the catalogue gives none: the one rule for every
#: stage and renderer. network claims neither a site per district (municipal: every absence
#: a gap) nor one seat for the area (metropolitan: no absence a gap).
DEFAULT_SCALE = NETWORK

#: Default catchment per scale, in straight-line km from a site. municipal: the median
#: district of Lima Metropolitana is as large as a circle of 2.8 km radius, and the service
#: is meant within its own district; network: twice the median distance between
#: neighbouring districts' points (4.7 km), a site serving its district and the ring around
#: it, as UPE's three units serve Lima, Lima Este and Lima Sur; metropolitan: one seat for
#: the whole area, 30 km from central Lima reaches every district's point but nine outlying
#: ones (Ancón, Santa Rosa, Lurigancho, Lurín, Pucusana and the southern beaches), whose
#: people are then counted beyond it.
DEFAULT_CATCHMENT_KM = {MUNICIPAL: 3.0, NETWORK: 10.0, METROPOLITAN: 30.0}
#: Default catchment per scale, in minutes along the streets (with --roads), whatever the
#: profile: the trip a person makes, not the distance a centre lies at. municipal: half an
#: hour, the trip to one's own municipality (3 km on foot at 4.8 km/h is 37 minutes); network:
#: an hour, the threshold WHO's AccessMod and most published access studies use for a service
#: people travel to; metropolitan: an hour and a half, a trip across Lima Metropolitana.
DEFAULT_CATCHMENT_MIN = {MUNICIPAL: 30.0, NETWORK: 60.0, METROPOLITAN: 90.0}

#: Where a scale or catchment was decided: the catalogue, or an option of the run.
CATALOGUE, OPTION = "catalogue", "option"


@dataclass(frozen=True)
class Scale:
    """A service's scale and catchment, with the source's words behind them."""

    kind: str  # municipal | network | metropolitan
    catchment_km: float
    reason_es: str
    reason_en: str
    given_by: str = CATALOGUE  # or OPTION when --scale or --catchment changed it
    #: The catchment in minutes along the streets, used when the run measures on roads.
    catchment_min: float | None = None

    def reason(self, lang: str) -> str:
        return self.reason_es if lang == "es" else self.reason_en

    def catchment(self, unit: str) -> float:
        """The catchment in unit: straight-line km, or minutes along streets (MIN)."""
        if unit == MIN:
            return self.catchment_min if self.catchment_min is not None else DEFAULT_CATCHMENT_MIN[self.kind]
        return self.catchment_km


def pairs(value: Mapping | Iterable | None, *, separator: str = "=") -> tuple[tuple[str, str], ...]:
    """Overrides as (service, value) pairs of text, from a mapping, from pairs, or from
    "SERVICE=VALUE" texts as the command line gives them (no "=": an empty value); another
    separator for other options ("HRT:2")."""
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    found = []
    for item in items:
        if isinstance(item, str):
            service, _, given = item.partition(separator)
        else:
            service, given = item
        found.append((str(service).strip(), str(given).strip()))
    return tuple(found)


def service_scales(
    catalogue: Catalogue,
    *,
    scales: Iterable[tuple[str, str]] = (),
    catchments: Iterable[tuple[str, str]] = (),
    unit: str = KM,
) -> dict[str, Scale]:
    """The scale of every place-based service: the catalogue's (DEFAULT_SCALE where it gives
    none), with a run's overrides. Every place-based service has one, so callers index the
    result; a service that is not place-based has none.

    scales and catchments are (service, value) pairs ("HRT", "municipal"), ("CEM", "5"); a
    catchment is in km ("5", "5km") or in minutes along streets ("30min"). A service given
    another scale takes that scale's default catchments unless its catchment is given too.
    A catchment must be in the run's unit (minutes with --roads, else km): one in the other
    would be silently unused. Every bad override is reported at once in one InputError.
    """
    problems: list[dict[str, str]] = []  # in every language
    unknown = False  # a service the catalogue lacks: the message says where the codes are
    services = catalogue.services
    found = {code: _catalogue_scale(services.loc[code]) for code in catalogue.place_based}
    for service, kind in scales:
        code = _service(catalogue, service, f"--scale {service}={kind}", problems)
        unknown |= code is None
        if not kind:
            problems.append(in_languages("error_item_scale_missing", service=service))
        elif kind.strip().lower() not in SCALES:
            problems.append(in_languages("error_item_scale_unknown", service=service, kind=kind, scales=", ".join(SCALES)))
        elif code is not None:
            kind = kind.strip().lower()
            found[code] = Scale(kind, DEFAULT_CATCHMENT_KM[kind], found[code].reason_es, found[code].reason_en, OPTION)
    for service, km in catchments:
        code = _service(catalogue, service, f"--catchment {service}={km}", problems)
        unknown |= code is None
        value, given_unit = catchment_value(km)
        if value is None:
            problems.append(in_languages("error_item_catchment_bad", service=service, km=km))
        elif given_unit != unit:
            key = "error_item_catchment_in_min" if unit == MIN else "error_item_catchment_in_km"
            problems.append(in_languages(key, service=service, km=km))
        elif code is not None:
            found[code] = replace(found[code], given_by=OPTION,
                                  **({"catchment_min": value} if given_unit == MIN else {"catchment_km": value}))
    if problems:
        raise InputError("error_scales_services" if unknown else "error_scales",
                         problems=listed(problems, word=None, sep="; "))
    return found


def _catalogue_scale(row: pd.Series) -> Scale:
    kind = row["scale"] or DEFAULT_SCALE
    km = _km(row["catchment_km"]) if row["catchment_km"] else DEFAULT_CATCHMENT_KM[kind]
    return Scale(kind, km, row["scale_reason_es"], row["scale_reason_en"])


def _service(catalogue: Catalogue, service: str, option: str, problems: list[dict[str, str]]) -> str | None:
    code = catalogue.resolve(service)
    if code is None or code not in catalogue.place_based:
        closest = ", ".join(catalogue.closest(service, place_based=True))
        problems.append(in_languages("error_item_option_service", option=option, service=repr(service), closest=closest))
        return None
    return code


def catchment_value(text: str) -> tuple[float | None, str]:
    """A catchment as given ("5", "5km", "30min", "30 min") as (value, unit); value None
    where it is not a positive number."""
    text = str(text).strip().lower()
    unit = MIN if text.endswith(MIN) else KM
    return _km(text.removesuffix(unit).strip()), unit


def _km(text: str) -> float | None:
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def apply_scales(coverage: Coverage, scales: Mapping[str, Scale]) -> Coverage:
    """Coverage whose gaps are what each service's scale calls a gap.

    The table gains gap (True where a district lacks a municipal or network service it is
    known not to have; never for a metropolitan one; NA where the service has no district
    data); the summary gains scale, catchment_km (catchment_min on streets) and without_site (the districts known to
    have no site), and its gaps count the scale's gaps only.
    """
    table = coverage.table.copy()
    kind = table["service"].map({code: s.kind for code, s in scales.items()})
    absent = table["status"] == GAP
    gap = pd.array(absent & (kind != METROPOLITAN), dtype="boolean")
    gap[(table["status"] == UNKNOWN).to_numpy()] = pd.NA
    table["gap"] = gap
    summary = coverage.summary.copy()
    summary.insert(1, "scale", summary.index.map(lambda code: scales[code].kind))
    unit = coverage.unit
    summary.insert(2, f"catchment_{unit}", summary.index.map(lambda code: scales[code].catchment(unit)))
    # the districts known to have no site stay counted, as without_site, beside the scale's gaps
    summary.insert(summary.columns.get_loc("gaps") + 1, "without_site", summary["gaps"])
    summary["gaps"] = table.groupby("service")["gap"].sum().reindex(summary.index).fillna(0).astype(int)
    return replace(coverage, table=table, summary=summary)


def without_metropolitan_rates(coverage: Coverage, scales: Mapping[str, Scale]) -> Coverage:
    """Coverage without people per centre for metropolitan services: one seat serves the
    whole area, so its host district's people are no measure of its load."""
    if "people_per_centre" not in coverage.table:
        return coverage
    table = coverage.table.copy()
    metropolitan = table["service"].map(lambda code: code in scales and scales[code].kind == METROPOLITAN)
    table["people_per_centre"] = table["people_per_centre"].mask(metropolitan.astype(bool))
    return replace(coverage, table=table)
