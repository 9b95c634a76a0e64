"""The registry of remote data sources, and the cache they are fetched into.

Every source pins a URL and the sha256 of its bytes (geo/sources.toml). A download goes
to a temporary file and is checked before it takes its place in the cache (pooch does
this); a file that fails the check is refused and not kept. Offline machines seed the
cache from a folder that holds the same files (`coverage-map sources fetch --from DIR`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import platformdirs
import pooch

from .errors import SourceError

log = logging.getLogger(__name__)

DEFAULT_BOUNDARIES = "lima_callao_distritos"
DEFAULT_POPULATION = "censo_2017_edades"
CACHE_ENV = "COVERAGE_MAP_CACHE"


@dataclass(frozen=True)
class Source:
    """A remote file pinned by URL and sha256."""

    name: str
    kind: str
    title: str
    file: str
    url: str
    sha256: str
    license: str
    attribution: str
    size: int | None = None
    ubigeo_field: str | None = None
    name_field: str | None = None
    province_field: str | None = None
    department_field: str | None = None


@cache
def registry() -> dict[str, Source]:
    """The sources shipped with the package, by name."""
    text = files("coverage_map.geo").joinpath("sources.toml").read_text(encoding="utf-8")
    return {name: Source(name=name, **entry) for name, entry in tomllib.loads(text).items()}


def get_source(name: str) -> Source:
    try:
        return registry()[name]
    except KeyError:
        known = ", ".join(registry())
        msg = f"Unknown data source {name!r}. Registered sources: {known}."
        raise SourceError(msg) from None


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The cache folder: the override, else $COVERAGE_MAP_CACHE, else the user cache dir."""
    if override:
        return Path(override)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(platformdirs.user_cache_dir("coverage-map", appauthor=False))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_path(source: Source, cache: Path) -> Path | None:
    """The cached file of source if it is there and intact, else None."""
    path = cache / source.file
    if path.is_file() and sha256_of(path) == source.sha256:
        return path
    return None


def fetch(source: Source, *, cache: Path) -> Path:
    """Return the cached file of source, downloading and checking it first if needed."""
    path = cached_path(source, cache)
    if path is not None:
        return path
    log.info("Downloading %s from %s", source.file, source.url)
    pooch.get_logger().setLevel(logging.WARNING)  # our own line above says it once
    try:
        return Path(
            pooch.retrieve(
                source.url,
                known_hash=f"sha256:{source.sha256}",
                fname=source.file,
                path=cache,
                progressbar=False,
            )
        )
    except ValueError as exc:  # pooch's message for a hash mismatch
        msg = (
            f"Downloaded {source.file} from {source.url} but its sha256 does not match the "
            f"registry ({source.sha256[:12]}…): the file was refused and not cached. "
            "The server may have changed it; report this, or seed the cache with "
            "`coverage-map sources fetch --from DIR`."
        )
        raise SourceError(msg) from exc
    except Exception as exc:
        msg = (
            f"Cannot download {source.file} from {source.url} ({type(exc).__name__}). "
            "Without internet, copy the file from a machine that has it and run "
            "`coverage-map sources fetch --from DIR`."
        )
        raise SourceError(msg) from exc


def seed_from(folder: Path, *, cache: Path) -> dict[str, str]:
    """Copy each registered file found in folder (or its subfolders) into the cache.

    Returns a status per source name: 'cached', 'already cached' or 'not found'. A file
    that is found but fails the sha256 check raises an error and is not copied.
    """
    if not folder.is_dir():
        msg = f"Folder not found: {folder}. Give the folder that holds the downloaded files."
        raise SourceError(msg)
    status: dict[str, str] = {}
    for source in registry().values():
        if cached_path(source, cache) is not None:
            status[source.name] = "already cached"
            continue
        found = next(iter(sorted(folder.rglob(source.file))), None)
        if found is None:
            status[source.name] = "not found"
            continue
        if sha256_of(found) != source.sha256:
            msg = (
                f"{found}: sha256 does not match the registered {source.name} "
                f"({source.sha256[:12]}…); it was not copied. Use the file from the pinned URL "
                f"{source.url}"
            )
            raise SourceError(msg)
        cache.mkdir(parents=True, exist_ok=True)
        with found.open("rb") as src, tempfile.NamedTemporaryFile(
            dir=cache, delete=False, suffix=".part"
        ) as tmp:
            shutil.copyfileobj(src, tmp)
        os.replace(tmp.name, cache / source.file)
        status[source.name] = "cached"
        log.info("Cached %s from %s", source.file, found)
    return status
