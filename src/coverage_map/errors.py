"""Errors a user can fix. The CLI prints them as one line and exits with status 2."""

#: Items a one-line message names before "... and N more" (formatting.listing's limit).
MESSAGE_ITEMS = 8


class CoverageMapError(Exception):
    """Base of every error caused by the user's input or environment, not by a bug."""


class InputError(CoverageMapError, ValueError):
    """An input file or value is missing, unreadable or inconsistent."""


class DistrictMatchError(InputError):
    """A district name or ubigeo matches no district of the gazetteer."""


class SourceError(CoverageMapError):
    """A registered data source cannot be fetched, or its bytes fail the sha256 check."""

