"""Every user error is a catalogue key with named values, worded in the run's language."""

import ast
import pickle
import re
import string
from importlib.resources import files

import pytest

from coverage_map.errors import MESSAGE_ITEMS, CoverageMapError, DistrictMatchError, InputError, Note, SourceError
from coverage_map.formatting import listing
from coverage_map.texts import TEXTS

#: Classes whose first argument is a catalogue key, written whole where they are called.
KEYED = {"CoverageMapError", "InputError", "SourceError", "DistrictMatchError", "Note", "Message"}
#: Functions whose first argument is a catalogue key, literal or looked up (a noun by kind).
WORDING = {"in_languages"}
def test_every_user_error_is_a_coverage_map_error():
    for error in (InputError, DistrictMatchError, SourceError):
        assert issubclass(error, CoverageMapError)
    with pytest.raises(ValueError):  # an input error is also a ValueError for library callers
        raise DistrictMatchError("error_unknown_area", area="'x'")


def test_long_lists_in_messages_are_cut():
    names = [f"d{i}" for i in range(MESSAGE_ITEMS + 3)]
    assert listing(names, limit=MESSAGE_ITEMS).endswith("d7 and 3 more")
    assert listing(names, "es", limit=MESSAGE_ITEMS).endswith("d7 y 3 más")


def test_an_error_is_english_in_str_and_worded_in_either_language():
    error = InputError("error_file_not_found", path="x.csv", option="--facilities",
                       what={"es": "el archivo de establecimientos", "en": "facilities file"},
                       What={"es": "El archivo de establecimientos", "en": "Facilities file"})
    assert str(error) == "Facilities file not found: x.csv. Check the path given to --facilities."
    assert error.text("es") == "El archivo de establecimientos x.csv no existe. Revise la ruta dada a --facilities."
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.key, copy.text("es")) == (InputError, error.key, error.text("es"))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _keys(node: ast.expr) -> list[str] | None:
    """The keys a key argument can take: a string literal, or a choice between literals; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _keyed_calls():
    """(module, line, keys or None) of every call of a KEYED class or function in the package."""
    for path in sorted(files("coverage_map").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
            if isinstance(node, ast.Call) and node.args and name in KEYED | WORDING:
                keys = _keys(node.args[0])
                if keys is not None or name in KEYED:
                    yield path.name, node.lineno, keys


def test_every_error_is_a_catalogue_key_with_the_same_placeholders_in_both_languages():
    calls = list(_keyed_calls())
    assert len(calls) > 100
    problems = []
    for module, line, keys in calls:
        if keys is None:
            problems.append(f"{module}:{line}: the key is not a string literal")
            continue
        for key in keys:
            if key not in TEXTS["es"] or key not in TEXTS["en"]:
                problems.append(f"{module}:{line}: {key} is not in both catalogues")
            elif _placeholders(TEXTS["es"][key]) != _placeholders(TEXTS["en"][key]):
                problems.append(f"{module}:{line}: {key} has other placeholders in Spanish and English")
    assert problems == []


def test_raised_keys_name_errors_and_notes():
    keys = {key for _, _, keys in _keyed_calls() if keys for key in keys}
    assert [key for key in keys if not re.match(r"(error|note)_", key) and key not in ("none",)] == []


def test_a_note_is_worded_like_an_error_but_is_not_one():
    note = Note("note_population_unchecked", value="pob.csv")
    assert not isinstance(note, Exception)
    assert str(note) == "pob.csv: not checked, the population need readable boundaries."
    assert note.text("es").startswith("no se revisó la población pob.csv")
