"""Errors a user can fix. The CLI prints them as one line in the run's language and exits with status 2.

An error carries a key of the text catalogue (texts.py) and the values of its placeholders,
not a sentence: the CLI words it in the run's language (`exc.text(lang)`); `str(exc)` is the
English text, for logs and tracebacks. A value that differs by language (a list joined with
"o"/"or", a noun) is given as {"es": ..., "en": ...}, or as a Message (worded in the same language).

    raise InputError("error_out_is_file", out=out)

Lists inside a message are built with formatting.listed (in every language, joined with
"y"/"and"), their items with texts.in_languages; a file's kind, as {what}/{What}, with
tables.file_named. pipeline.Problems keeps these errors, not their text, so that
`coverage-map validate` words every problem in the run's language.
"""

from __future__ import annotations

#: Items a one-line message names before "... and N more" (formatting.listing's limit).
MESSAGE_ITEMS = 8


class Message:
    """A catalogue key and the values of its placeholders, worded in any language on demand."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        """The text in lang (es or en): the catalogue's sentence with its values."""
        from .texts import worded  # the catalogue imports nothing of ours; lazily all the same

        return worded(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.values!r})"


class Note(Message):
    """Something a run could not do, said beside its errors (validate's inputs left unchecked)."""


class CoverageMapError(Message, Exception):
    """Base of every error caused by the user's input or environment, not by a bug."""

    def __init__(self, key: str, /, **values: object) -> None:
        Message.__init__(self, key, **values)
        Exception.__init__(self, self.text("en"))

    __str__ = Exception.__str__

    def __reduce__(self):  # pickled with its key and values, not its English text
        return _rebuilt, (type(self), self.key, self.values)


def _rebuilt(kind: type[CoverageMapError], key: str, values: dict) -> CoverageMapError:
    return kind(key, **values)


class InputError(CoverageMapError, ValueError):
    """An input file or value is missing, unreadable or inconsistent."""


class DistrictMatchError(InputError):
    """A district name or ubigeo matches no district of the gazetteer."""


class SourceError(CoverageMapError):
    """A registered data source cannot be fetched, or its bytes fail the sha256 check."""
