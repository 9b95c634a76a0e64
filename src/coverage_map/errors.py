"""Errors a user can fix. The CLI prints them as one line and exits with status 2."""


class CoverageMapError(Exception):
    """Base of every error caused by the user's input or environment, not by a bug."""


class InputError(CoverageMapError, ValueError):
    """An input file or value is missing, unreadable or inconsistent."""


class DistrictMatchError(InputError):
    """A district name or ubigeo matches no district of the gazetteer."""


class SourceError(CoverageMapError):
    """A registered data source cannot be fetched, or its bytes fail the sha256 check."""


def listing(items: list[str], limit: int = 8) -> str:
    """Items for a one-line message: 'a, b, c' or 'a, b, ... and 12 more'."""
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit} more"
