"""Placement by evidence: the district a facility record belongs to, by the weight of its signals.

A record may name its district in up to five ways, its signals: its ubigeo, its district
field (the directory's `distrito`), its point (the district it falls in), and the district
names found in its address and in its name. The district most signals name decides; a tie
keeps the first of the tied signals in SIGNALS order, so the ubigeo first.

A district name is found in a text through the gazetteer (accents, case, punctuation and the
known variants tolerated: "Cem Regular Magdalena Del Mar", "Bayovar - Sjl -Lima"): where
names overlap the longest wins ("San Juan de Lurigancho", not "Lurigancho"); a name right
after a street word is a street's ("Av. Arequipa", "Jr. Huaura"); a name that is also a
province's ("Lima", "Callao") names no district in a text, as it names the province or the
region as often ("SAU Lima", "Cercado De Lima" does name the district); of several districts,
the text names the last (an address ends with its district). A name names only a district
of the province of the record's ubigeo (Lima and Callao, one city, count as one): "Cem
Regular Miraflores" of Arequipa does not name Lima's Miraflores. A name that several districts
share names the one among them the record's ubigeo or point names, else none.

The district field repeats the ubigeo when a list derives one from the other (MIMP's
directory as processed to JSON does): then the ubigeo weighs two signals, which the name,
the address and the point can still outvote together.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundaries import metric_crs
from .districts import Gazetteer, normalize_name, normalize_ubigeo
from .texts import LANGUAGES, listed, messages

#: A record's signals, in the order that breaks a tie, and the catalogue key of each one's words.
SIGNAL_WORDS = {"ubigeo": "signal_ubigeo", "district": "signal_district", "point": "signal_point",
                "address": "signal_address", "name": "signal_name"}
SIGNALS = tuple(SIGNAL_WORDS)
#: Where a record was counted, by (a tie decided it, it counts in the area): the catalogue key.
_OUTCOMES = {(False, True): "placement_counted", (False, False): "placement_not_counted",
             (True, True): "placement_tie_counted", (True, False): "placement_tie_not_counted"}
#: Provinces taken as one where names are matched: Lima and Callao are one city.
METROPOLIS = ("1501", "0701")
#: Words that introduce a street: the name after them is the street's, not a district.
STREET_WORDS = frozenset({
    "AV", "AVDA", "AVENIDA", "JR", "JIRON", "CALLE", "CLL", "CA", "PJE", "PSJE", "PASAJE", "CARR", "CARRETERA",
    "PROL", "PROLONG", "PROLONGACION", "MALECON", "ALAMEDA",
})


@dataclass(frozen=True)
class Evidence:
    """What a record's signals name (signal -> ubigeo, only those that name a district) and
    the district they decide (None when none names one)."""

    signals: dict[str, str]
    district: str | None

    @property
    def in_doubt(self) -> dict[str, str]:
        """The signals that name another district than the one decided."""
        return {signal: ubigeo for signal, ubigeo in self.signals.items() if ubigeo != self.district}

    @property
    def tie(self) -> bool:
        """Whether another district had as many signals as the one decided."""
        votes = Counter(self.signals.values())
        return sum(n == votes[self.district] for n in votes.values()) > 1


def decide(signals: dict[str, str]) -> Evidence:
    """The district most signals name; of tied ones, the first signal's in SIGNALS order."""
    votes = Counter(signals.values())
    if not votes:
        return Evidence({}, None)
    most = max(votes.values())
    return Evidence(dict(signals), next(signals[s] for s in SIGNALS if s in signals and votes[signals[s]] == most))


class DistrictNames:
    """The district names of a gazetteer (official names and variants), found in free text."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        names = [*gazetteer.districts["name"], *gazetteer.variants["variant"]]
        self._ubigeos: dict[str, tuple[str, ...]] = {}
        for name in names:
            key = normalize_name(name)
            one = gazetteer.lookup(name)
            ubigeos = (one,) if one else tuple(gazetteer.ambiguous(name))
            if key and ubigeos:
                self._ubigeos[key] = ubigeos
        provinces = {normalize_name(p) for p in gazetteer.districts["province"].dropna()}
        in_text = sorted(set(self._ubigeos) - provinces, key=len, reverse=True)
        alternatives = "|".join(re.escape(key) for key in in_text)
        self._pattern = re.compile(rf"(?<![A-Z0-9])(?:{alternatives})(?![A-Z0-9])")

    def _resolve(self, key: str, prefer: tuple[str | None, ...], within: tuple[str, ...]) -> str | None:
        ubigeos = tuple(u for u in self._ubigeos[key] if u.startswith(within))
        if len(ubigeos) > 1:
            ubigeos = tuple(u for u in ubigeos if u in prefer)
        return ubigeos[0] if len(ubigeos) == 1 else None

    def named(self, value: object, prefer: tuple[str | None, ...] = (), within: tuple[str, ...] = ("",)) -> str | None:
        """The district a field names as a whole (a name or a ubigeo), or None; only one whose
        ubigeo starts with one of within, ambiguous names resolved among prefer."""
        code = normalize_ubigeo(value)
        if code is not None:
            return code
        key = normalize_name(value) if isinstance(value, str) else ""
        return self._resolve(key, prefer, within) if key in self._ubigeos else None

    def named_in(self, text: object, prefer: tuple[str | None, ...] = (), within: tuple[str, ...] = ("",)) -> str | None:
        """The district a free text (a name, an address) names, by the rules above, or None."""
        if not isinstance(text, str) or not text.strip():
            return None
        text = normalize_name(text)
        found = None
        for match in self._pattern.finditer(text):
            before = text[:match.start()].split()
            if not (before and before[-1] in STREET_WORDS):
                found = self._resolve(match.group(), prefer, within) or found
        return found


def weigh(names: DistrictNames, *, ubigeo: str | None, district: object = None, point: str | None = None,
          address: object = None, name: object = None) -> Evidence:
    """A record's evidence: the district each of its signals names, and the one they decide."""
    prefer = (ubigeo, point)
    within = ("",) if not ubigeo else METROPOLIS if ubigeo.startswith(METROPOLIS) else (ubigeo[:4],)
    signals = {"ubigeo": ubigeo, "district": names.named(district, prefer, within), "point": point,
               "address": names.named_in(address, prefer, within), "name": names.named_in(name, prefer, within)}
    return decide({signal: found for signal, found in signals.items() if found})


#: A point this far outside the district decided for it (or, by ubigeo, the district of its
#: ubigeo) is probably a coordinate error.
COORDINATE_ERROR_KM = 3.0


def district_at(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> pd.Series:
    """The ubigeo of the first polygon (ubigeo, geometry) each point falls within; NaN for none."""
    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=points), polygons[["ubigeo", "geometry"]], predicate="within")
    return inside.loc[~inside.index.duplicated(), "ubigeo"].reindex(points.index)


def km_outside(points: gpd.GeoSeries, ubigeos: pd.Series, polygons: gpd.GeoDataFrame) -> pd.Series:
    """km from each point to the polygon of its ubigeo (NaN where either is unknown)."""
    crs = metric_crs(polygons)
    shapes = polygons.drop_duplicates("ubigeo").set_index("ubigeo").geometry.to_crs(crs)
    return points.to_crs(crs).distance(shapes.reindex(ubigeos).set_axis(points.index)) / 1000


def points_set_aside(evidence: list[Evidence], points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each record's point is judged wrong: it falls in another district than the one
    decided, more than COORDINATE_ERROR_KM outside it. A point near the boundary is kept (the
    boundaries are simplified), and so is one whose decided district has no known polygon."""
    decided = pd.Series([e.district for e in evidence], index=points.index, dtype=object)
    outvoted = pd.Series([e.signals.get("point", e.district) != e.district for e in evidence], index=points.index)
    outvoted &= decided.isin(set(polygons["ubigeo"]))  # else nothing to judge the point by
    km = km_outside(points[outvoted], decided[outvoted], polygons).reindex(points.index)
    return (outvoted & (km > COORDINATE_ERROR_KM)).to_numpy(bool)


def evidence_message(evidence: Evidence, *, facility: str | dict[str, str], names: dict[str, str], counted: bool,
                     set_aside: dict[str, str] | None = None) -> dict[str, str]:
    """A finding on a record whose signals disagree, as message_es and message_en: the signals
    in doubt and the district they name, those that outvote them, where it was counted and,
    when its point was judged wrong, that the point is not used (set_aside: the sentence)."""
    code = evidence.signals.get("ubigeo", "")

    def signals(which: list[str]) -> dict[str, str]:
        return listed([worded(SIGNAL_WORDS[s], code=code) for s in which])

    doubt = {}
    for signal, ubigeo in evidence.in_doubt.items():
        doubt.setdefault(ubigeo, []).append(signal)
    doubt_text = listed([worded("evidence_signals_naming", signals=signals(which), district=names.get(u, u))
                         for u, which in doubt.items()])
    agree = [s for s, u in evidence.signals.items() if u == evidence.district]
    district = names.get(evidence.district, evidence.district)
    key = "check_facility_evidence" if len(evidence.in_doubt) == 1 else "check_facility_evidence_many"
    first = worded(key, facility=facility, doubt=doubt_text, agree=signals(agree), district=district)
    decider = worded(SIGNAL_WORDS[agree[0]], code=code)
    outcome = worded(_OUTCOMES[evidence.tie, counted], district=district, signal=decider)
    return {f"message_{lang}": " ".join(part for part in (first[lang], outcome[lang], (set_aside or {}).get(lang)) if part)
            for lang in LANGUAGES}


def worded(key: str, **values) -> dict[str, str]:
    """A finding's text (or part of one) in every language, {"es": ..., "en": ...}."""
    return {column.removeprefix("message_"): text for column, text in messages(key, **values).items()}
