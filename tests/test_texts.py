import re

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
