"""The build log's words: every stage event phrased in both languages, numbers and plurals
as formatting.py writes them."""

import pytest

from coverage_map.progress import (AccessMeasured, BoundariesRead, CountsRead, CoverageMeasured, Downloading,
                                   FacilitiesRead, PopulationRead, SourcesChecked, phrase)

NBSP = "\u00a0"


def test_numbers_and_plurals_follow_each_language():
    event = CoverageMeasured(services=1, districts=1874, gaps=65389, served_from_seat=0)
    assert phrase(event, "es") == [f"Cobertura de 1 servicio en 1{NBSP}874 distritos: 65{NBSP}389 brechas"]
    assert phrase(event, "en") == ["Coverage of 1 service in 1,874 districts: 65,389 gaps"]
    assert phrase(CoverageMeasured(2, 1, 1, 0), "en") == ["Coverage of 2 services in 1 district: 1 gap"]


def test_findings_are_listed_up_to_five_then_counted():
    findings = tuple({"es": f"hallazgo {i}", "en": f"finding {i}"} for i in range(7))
    lines = phrase(SourcesChecked(findings), "en")
    assert lines[0] == "Source checks: 7 findings (checks.csv)"
    assert lines[1:6] == [f"  - finding {i}" for i in range(5)]
    assert lines[6] == "  - 2 more"
    assert phrase(SourcesChecked(findings[:1]), "es") == ["Comprobación de las fuentes: 1 hallazgo (checks.csv)",
                                                          "  - hallazgo 0"]


def test_no_population_says_access_was_not_measured():
    assert phrase(AccessMeasured((), measured=False), "es") == [
        "Acceso entre distritos no medido: requiere la población (--population)."]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_event_has_words(lang):
    events = [Downloading("peru_distrital_simple", "https://example.org/x.zip"),
              BoundariesRead("x.geojson", 50, 43, "lima"), PopulationRead("p.csv", 43),
              CountsRead("", 7, 93), CountsRead("mine.xlsx", 1, 1), FacilitiesRead("d.json", 10, 2),
              CoverageMeasured(17, 43, 82, 126), SourcesChecked(()), AccessMeasured(("CIAM",))]
    for event in events:
        lines = phrase(event, lang)
        assert lines and all(line and "{" not in line for line in lines), event
    assert phrase(FacilitiesRead("d.json", 10, 2), "es") == ["Centros (d.json): 10 en el área; 2 fuera de ella, sin contar"]
    assert phrase(CountsRead("mine.xlsx", 1, 1), "en") == ["Inventory (mine.xlsx): 1 district count of 1 service"]
