"""The registry of data sources: the embedded defaults and the files fetched into a cache.

Every source pins the sha256 of its bytes (geo/sources.toml). The defaults (Lima and
Callao's boundaries, their 2017 census figures and INEI's projected totals for 2018-2025)
ship inside the package and are only
checked; the others are downloaded from their pinned URL by pooch, which owns the cache
folder, writes to a temporary file and checks it before it takes its place. Offline
machines seed the cache from a folder that holds the same files
(`coverage-map sources fetch --from DIR`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import pooch
import requests

from .errors import SourceError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised by the 3.10 smoke test in .ci/run
    import tomli as tomllib

log = logging.getLogger(__name__)

DEFAULT_BOUNDARIES = "lima_callao_distritos"
DEFAULT_POPULATION = "censo_2017_lima_callao"
NATIONAL_POPULATION = "censo_2017_edades"
#: INEI's projected totals that go with each census source: its own districts, 2018-2025.
PROJECTION_OF = {DEFAULT_POPULATION: "proyeccion_lima_callao", NATIONAL_POPULATION: "proyeccion_2018_2025"}
CACHE_ENV = "COVERAGE_MAP_CACHE"
APP = "coverage-map"


@dataclass(frozen=True)
class Source:
    """A file pinned by sha256: shipped in the package (embedded) or fetched from its URL."""

    name: str
    kind: str
    title: str
    file: str
    url: str
    sha256: str
    license: str
    attribution: str
    size: int | None = None
    embedded: bool = False
    package: str = "coverage_map.geo"  # where an embedded file lies
    ubigeo_field: str | None = None
    name_field: str | None = None
    province_field: str | None = None
    department_field: str | None = None


@cache
def registry() -> dict[str, Source]:
    """The registered sources, by name."""
    text = files("coverage_map.geo").joinpath("sources.toml").read_text(encoding="utf-8")
    return {name: Source(name=name, **entry) for name, entry in tomllib.loads(text).items()}


def get_source(name: str) -> Source:
    try:
        return registry()[name]
    except KeyError:
        raise SourceError("error_unknown_source", name=repr(name), known=", ".join(registry())) from None


def _pooch(cache: str | os.PathLike | None, sources: list[Source]) -> pooch.Pooch:
    """A pooch for the given remote sources, in the cache folder (pooch resolves the default)."""
    remote = [s for s in sources if not s.embedded]
    return pooch.create(
        path=cache if cache else pooch.os_cache(APP),
        base_url="",
        env=None if cache else CACHE_ENV,  # an explicit folder wins over the environment
        registry={s.file: f"sha256:{s.sha256}" for s in remote},
        urls={s.file: s.url for s in remote},
    )


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The cache folder: the override, else $COVERAGE_MAP_CACHE, else the user cache dir."""
    return Path(_pooch(override, []).abspath)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_path(source: Source) -> Path:
    """Where the file of an embedded source lies in the installed package."""
    return Path(str(files(source.package).joinpath(source.file)))


def cached_path(source: Source, cache: Path) -> Path | None:
    """The intact file of source (the packaged one if embedded, else in the cache), or None."""
    path = packaged_path(source) if source.embedded else cache / source.file
    if path.is_file() and sha256_of(path) == source.sha256:
        return path
    return None


def status(source: Source, cache: Path) -> str:
    """'embedded', 'cached', 'not cached', or 'sha256 mismatch' for a file that fails the check."""
    path = packaged_path(source) if source.embedded else cache / source.file
    if not path.exists():
        return "missing from the package" if source.embedded else "not cached"
    if sha256_of(path) != source.sha256:
        return "sha256 mismatch"
    return "embedded" if source.embedded else "cached"


def fetch(source: Source, *, cache: Path) -> Path:
    """The intact file of source: the packaged one, or the cached one, downloaded if needed."""
    if source.embedded:
        path = cached_path(source, cache)
        if path is None:
            raise SourceError("error_source_packaged_broken", path=packaged_path(source), name=source.name,
                              sha256=source.sha256[:12])
        return path
    path = cached_path(source, cache)
    if path is not None:
        return path
    log.debug("Downloading %s from %s", source.file, source.url)
    pooch.get_logger().setLevel(logging.WARNING)  # our own line above says it once
    try:
        # the bar goes where the log goes: --quiet hides both
        return Path(_pooch(cache, [source]).fetch(source.file, progressbar=log.isEnabledFor(logging.INFO)))
    except ValueError as exc:
        if "hash" not in str(exc):
            raise
        raise SourceError("error_source_hash_mismatch", file=source.file, url=source.url,
                          sha256=source.sha256[:12]) from exc
    except (requests.RequestException, OSError) as exc:
        raise SourceError("error_source_download_failed", file=source.file, url=source.url,
                          detail=type(exc).__name__) from exc


def seed_from(folder: Path, *, cache: Path) -> dict[str, str]:
    """Copy each registered file found in folder (or its subfolders) into the cache.

    Returns a status per source name: 'embedded' (never copied), 'cached', 'already
    cached' or 'not found'. A file that is found but fails the sha256 check raises an
    error and is not copied.
    """
    if not folder.is_dir():
        raise SourceError("error_seed_folder_not_found", folder=folder)
    result: dict[str, str] = {}
    for source in registry().values():
        if source.embedded:
            result[source.name] = "embedded"
            continue
        if cached_path(source, cache) is not None:
            result[source.name] = "already cached"
            continue
        found = next(iter(sorted(folder.rglob(source.file))), None)
        if found is None:
            result[source.name] = "not found"
            continue
        if sha256_of(found) != source.sha256:
            raise SourceError("error_seed_hash_mismatch", path=found, name=source.name, sha256=source.sha256[:12],
                              url=source.url)
        cache.mkdir(parents=True, exist_ok=True)
        with found.open("rb") as src, tempfile.NamedTemporaryFile(
            dir=cache, delete=False, suffix=".part"
        ) as tmp:
            shutil.copyfileobj(src, tmp)
        os.replace(tmp.name, cache / source.file)
        result[source.name] = "cached"
        log.debug("Cached %s from %s", source.file, found)
    return result
