"""Errors a user can fix. The CLI prints them as one line in the run's language and exits with status 2.

An error carries a key of the text catalogue (texts.py) and the values of its placeholders,
not a sentence: the CLI words it in the run's language (`exc.text(lang)`); `str(exc)` is the
English text, for logs and tracebacks. A value that differs by language (a list joined with
"o"/"or", a noun) is given as {"es": ..., "en": ...}.

    raise InputError("error_file_not_found", path=path, option="--facilities")
"""

from __future__ import annotations

#: Items a one-line message names before "... and N more" (formatting.listing's limit).
MESSAGE_ITEMS = 8


class CoverageMapError(Exception):
    """Base of every error caused by the user's input or environment, not by a bug."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in lang (es or en): the catalogue's sentence with its values."""
        from .texts import TEXTS, worded  # the catalogue imports nothing of ours; lazily all the same

        if self.key not in TEXTS[lang] and " " in self.key:  # TRANSITIONAL: a sentence not yet in the catalogue
            return self.key
        return worded(self.key, lang, **self.values)


class InputError(CoverageMapError, ValueError):
    """An input file or value is missing, unreadable or inconsistent."""


class DistrictMatchError(InputError):
    """A district name or ubigeo matches no district of the gazetteer."""


class SourceError(CoverageMapError):
    """A registered data source cannot be fetched, or its bytes fail the sha256 check."""
