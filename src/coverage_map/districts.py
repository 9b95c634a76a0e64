"""The district gazetteer of Lima and Callao, and the one matcher every input goes through.

A value is matched by INEI ubigeo first (always as text: 070101 is not 70101), then by
name, normalised for case, accents, spaces, punctuation and a leading "distrito de", after
repairing mojibake. Names are also looked up among known variants (old names, common
misspellings, abbreviations). A value that matches nothing raises an error that lists the
closest district names: nothing is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from importlib.resources import files

import pandas as pd
from rapidfuzz import fuzz, process

from .errors import DistrictMatchError
from .texts import in_languages

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_DISTRICT_PREFIX = re.compile(r"^DISTRITO( DE)? ")
_UBIGEO = re.compile(r"^\d{5,6}$")


@lru_cache(maxsize=8192)
def normalize_name(text: str) -> str:
    """Return the matching key of a district name: 'Distrito de  Rímac' -> 'RIMAC'."""
    text = str(text)
    if not text.isascii():  # only non-ASCII text can be mojibake
        import ftfy  # imported here: it costs a tenth of a second and most names are ASCII

        text = ftfy.fix_text(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_ALNUM.sub(" ", text.upper()).strip()
    return _DISTRICT_PREFIX.sub("", text)


def normalize_ubigeo(value: object) -> str | None:
    """Return a 6-digit ubigeo string, or None when the value is not a code.

    Five digits are taken as a code whose leading zero was lost (Excel does that to
    070101); anything else that is not five or six digits is not a ubigeo.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):  # a code read as a float
        text = text[:-2]
    if not _UBIGEO.match(text):
        return None
    return text.zfill(6)


@dataclass(frozen=True)
class Gazetteer:
    """Districts (ubigeo, name, province, department) and the names they are known by."""

    districts: pd.DataFrame
    variants: pd.DataFrame
    _keys: dict[str, str] = field(repr=False)
    _ambiguous: dict[str, list[str]] = field(default_factory=dict, repr=False)
    area: str = ""  # the study area whose districts were added (with_districts), for messages; "" for Lima or Callao

    @classmethod
    def from_frames(cls, districts: pd.DataFrame, variants: pd.DataFrame) -> Gazetteer:
        keys: dict[str, str] = {}
        names = list(zip(districts["ubigeo"], districts["name"]))
        names += list(zip(variants["ubigeo"], variants["variant"]))
        for ubigeo, name in names:
            key = normalize_name(name)
            if keys.setdefault(key, ubigeo) != ubigeo:
                msg = f"Gazetteer name {name!r} is given to two districts ({keys[key]}, {ubigeo})"
                raise ValueError(msg)
        return cls(districts.set_index("ubigeo", drop=False), variants, keys)

    def within(self, prefixes: tuple[str, ...]) -> Gazetteer:
        """Only the districts whose ubigeo starts with one of prefixes, and their names."""
        keep = self.districts.index.str.startswith(prefixes)
        kept = set(self.districts.index[keep])
        keys = {k: u for k, u in self._keys.items() if u in kept}
        return Gazetteer(self.districts[keep], self.variants[self.variants["ubigeo"].isin(kept)], keys, {}, self.area)

    def with_districts(self, extra: pd.DataFrame, *, area: str) -> Gazetteer:
        """This gazetteer and the districts of extra it lacks (ubigeo, name, province, department).

        Their names are matched too, unless two districts share one (Santa Rosa is the name
        of ten districts of Peru): such a name needs its ubigeo, and the error says so.
        """
        new = extra.loc[~extra["ubigeo"].isin(self.districts.index), ["ubigeo", "name", "province", "department"]]
        if new.empty:
            return replace(self, area=area)
        keys, ambiguous = dict(self._keys), {k: list(v) for k, v in self._ambiguous.items()}
        by_key = new.groupby(new["name"].map(normalize_name))["ubigeo"].agg(list)
        for key, ubigeos in by_key.items():
            if key in keys or len(ubigeos) > 1:
                ambiguous[key] = sorted({*ubigeos, *([keys.pop(key)] if key in keys else [])})
            elif key not in ambiguous:
                keys[key] = ubigeos[0]
        districts = pd.concat([self.districts, new.set_index("ubigeo", drop=False)])
        return Gazetteer(districts, self.variants, keys, ambiguous, area)

    def __contains__(self, ubigeo: str) -> bool:
        return ubigeo in self.districts.index

    def name(self, ubigeo: str) -> str:
        return self.districts.at[ubigeo, "name"]

    def lookup(self, value: object) -> str | None:
        """Return the ubigeo a code or name stands for, or None."""
        code = normalize_ubigeo(value)
        if code is not None:
            return code if code in self else None
        if value is None or pd.isna(value):
            return None
        return self._keys.get(normalize_name(value))

    def ambiguous(self, value: object) -> list[str]:
        """The ubigeos of the districts that share the name value (empty if none do)."""
        return self._ambiguous.get(normalize_name(value), []) if isinstance(value, str) else []

    def closest(self, value: object, limit: int = 3) -> list[str]:
        """The official names of the districts whose names are closest to value."""
        matches = process.extract(
            normalize_name(value), list(self._keys), scorer=fuzz.WRatio, limit=limit * 4
        )
        names: list[str] = []
        for key, _score, _ in matches:
            name = self.name(self._keys[key])
            if name not in names:
                names.append(name)
        return names[:limit]

    def match(self, value: object, *, where: str) -> str:
        """Return the ubigeo of value, or raise an error naming where it was read."""
        ubigeo = self.lookup(value)
        if ubigeo is None:
            raise self.explain(value, where=where)
        return ubigeo

    def explain(self, value: object, *, where: str | dict[str, str]) -> DistrictMatchError:
        """Why value matches no district, and what would: the error, to raise or to word
        among others (where: the row or feature, a text or a text by language)."""
        if normalize_ubigeo(value) is not None:
            return DistrictMatchError("error_ubigeo_not_a_district", where=where, ubigeo=normalize_ubigeo(value),
                                      scope=self._scope())
        if shared := self.ambiguous(value):
            return DistrictMatchError("error_district_name_shared", where=where, name=repr(value),
                                      ubigeos=", ".join(shared))
        return DistrictMatchError("error_district_name_unknown", where=where, name=repr(value), scope=self._scope(),
                                  closest=", ".join(self.closest(value)))

    def _scope(self) -> dict[str, str]:
        """What the districts are, for messages: Lima or Callao, or the study area."""
        return in_languages("error_scope_area", area=repr(self.area)) if self.area else in_languages("error_scope_lima_callao")

    def is_official_spelling(self, name: str, ubigeo: str) -> bool:
        """True when name is the official name up to case, accents and spacing."""
        return normalize_name(name) == normalize_name(self.name(ubigeo))


def load_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the package (geo/districts.csv, geo/district_variants.csv),
    as a gazetteer of its own that the caller may change."""
    districts, variants = _gazetteer_frames()
    return Gazetteer.from_frames(districts.copy(), variants.copy())


@cache
def _gazetteer_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    geo = files("coverage_map.geo")
    with geo.joinpath("districts.csv").open(encoding="utf-8") as f:
        districts = pd.read_csv(f, dtype=str)
    with geo.joinpath("district_variants.csv").open(encoding="utf-8") as f:
        variants = pd.read_csv(f, dtype=str)
    return districts, variants


AREAS = {
    "lima": ("1501",),
    "lima-callao": ("1501", "0701"),
    "peru": ("",),  # every district of the boundary file
}

_WORDS_IN_LOWER_CASE = {"de", "del", "la", "las", "los", "el", "y", "e"}


def display_name(name: str) -> str:
    """A district name written in capitals, as people write it: 'CERRO COLORADO' -> 'Cerro Colorado'."""
    words = str(name).strip().lower().split()
    return " ".join(w if i and w in _WORDS_IN_LOWER_CASE else w.capitalize() for i, w in enumerate(words))


@cache
def departments() -> dict[str, str]:
    """Department name keys (normalised) to their 2-digit ubigeo prefix."""
    with files("coverage_map.geo").joinpath("departments.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype=str)
    return {normalize_name(name): code for code, name in zip(table["code"], table["name"])}


def area_prefixes(area: str, provinces: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The ubigeo prefixes of a study area.

    area is 'lima' (the 43 districts of Lima Metropolitana), 'lima-callao', 'peru' (every
    district of the boundary file), a ubigeo prefix
    (04, 0401), a department (arequipa) or, given the boundary file's provinces (columns
    code, name), a province.
    """
    key = normalize_name(area)
    if area in AREAS:
        return AREAS[area]
    if area.isdigit() and len(area) in (2, 4, 6):
        return (area,)
    if key in departments():
        return (departments()[key],)
    if provinces is not None:
        codes = sorted(set(provinces.loc[provinces["name"].map(normalize_name) == key, "code"]))
        if codes:
            return tuple(codes)
    raise DistrictMatchError("error_unknown_area", area=repr(area))
