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
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files

import pandas as pd
from rapidfuzz import fuzz, process

from .errors import DistrictMatchError

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
            raise DistrictMatchError(self.explain(value, where=where))
        return ubigeo

    def explain(self, value: object, *, where: str) -> str:
        """Say why value matches no district, and what would."""
        if normalize_ubigeo(value) is not None:
            return (
                f"{where}: ubigeo {normalize_ubigeo(value)} is not a district of Lima or Callao. "
                "Check the code (6 digits, e.g. 150101 for Lima, 070101 for Callao)."
            )
        closest = ", ".join(self.closest(value))
        return (
            f"{where}: {value!r} is not the name of a district of Lima or Callao "
            f"(closest: {closest}). Correct the name or give its ubigeo."
        )

    def is_official_spelling(self, name: str, ubigeo: str) -> bool:
        """True when name is the official name up to case, accents and spacing."""
        return normalize_name(name) == normalize_name(self.name(ubigeo))


@cache
def load_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the package (geo/districts.csv, geo/district_variants.csv)."""
    geo = files("coverage_map.geo")
    with geo.joinpath("districts.csv").open(encoding="utf-8") as f:
        districts = pd.read_csv(f, dtype=str)
    with geo.joinpath("district_variants.csv").open(encoding="utf-8") as f:
        variants = pd.read_csv(f, dtype=str)
    return Gazetteer.from_frames(districts, variants)


AREAS = {
    "lima": ("1501",),
    "lima-callao": ("1501", "0701"),
}


def area_prefixes(area: str) -> tuple[str, ...]:
    """The ubigeo prefixes that make up a named study area."""
    try:
        return AREAS[area]
    except KeyError:
        known = ", ".join(AREAS)
        msg = f"Unknown area {area!r}. Use one of: {known}."
        raise DistrictMatchError(msg) from None
