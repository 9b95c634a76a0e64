import re
from importlib.resources import files

from coverage_map.texts import LANGUAGES, TEXTS, messages


def test_both_languages_have_the_same_keys():
    assert LANGUAGES == ("es", "en")
    assert TEXTS["es"].keys() == TEXTS["en"].keys()


def test_both_languages_take_the_same_fields():
    fields = {lang: {k: set(re.findall(r"{(\w*)}", v)) for k, v in TEXTS[lang].items()} for lang in LANGUAGES}
    assert fields["es"] == fields["en"]


def test_messages_are_given_in_every_language():
    assert messages("check_boundary_repaired", name="Rímac") == {
        "message_es": "Límites: la geometría de Rímac era inválida y se reparó.",
        "message_en": "Boundaries: the geometry of Rímac was invalid and was repaired.",
    }
    localized = messages("check_confidential_facility", service={"es": "CEM", "en": "WEC"})
    assert localized["message_es"].startswith("Un CEM") and localized["message_en"].startswith("A WEC")


#: Keys built from a value (role_{role}, group_{column}, check_{kind}, ...), not written whole.
BUILT = ("role_", "short_", "site_kind_", "group_", "noun_", "field_", "status_", "matched_by_", "legend_", "check_", "area_", "doc_", "scale_", "source_state_", "source_kind_", "plan_objective_", "kind_", "license_", "profile_")


def test_every_text_is_used():
    package = files("coverage_map")
    sources = [p for p in package.iterdir() if p.name.endswith(".py") and p.name != "texts.py"]
    sources += [p for folder in ("templates", "assets") for p in package.joinpath(folder).iterdir()]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    def used(key: str) -> bool:  # formatting.counted(n, key) reads key_one for 1
        return bool(re.search(rf"""["'.]{key}\b""", code)) or key.endswith("_one") and used(key.removesuffix("_one"))

    unused = [key for key in TEXTS["es"] if not key.startswith(BUILT) and not used(key)]
    assert unused == []


def test_every_kind_of_check_has_a_name_in_both_languages():
    package = files("coverage_map")
    code = "\n".join(package.joinpath(name).read_text(encoding="utf-8") for name in ("checks.py", "facilities.py", "projection.py"))
    kinds = set(re.findall(r'finding\(\s*"(\w+)"', code)) | set(re.findall(r'"check": "(\w+)"', code))
    assert {"declared_vs_listed", "spelling", "boundary_repaired", "facility_outside", "population_missing"} <= kinds
    for lang in ("es", "en"):
        assert [kind for kind in sorted(kinds) if f"kind_{kind}" not in TEXTS[lang]] == [], lang


def test_every_registered_source_has_its_licence_in_both_languages():
    from coverage_map.sources import registry

    for lang in LANGUAGES:
        assert [name for name in registry() if f"license_{name}" not in TEXTS[lang]] == [], lang
    assert TEXTS["es"]["license_censo_2017_edades"].startswith("estadística pública del INEI")
