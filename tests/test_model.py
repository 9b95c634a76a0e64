import pytest

from coverage_map.model import RunInputs


def test_run_inputs_from_options_and_back_to_text():
    inputs = RunInputs.of(area="arequipa", breaks=(1.0, 2.5), population=None)
    assert inputs.area == "arequipa" and inputs.lang == "es"
    assert inputs.options() == {"area": "arequipa", "lang": "es", "scheme": "quantiles", "breaks": "1,2.5", "place_by": "evidence"}
    assert RunInputs.of(inputs, lang="en").lang == "en" and inputs.lang == "es"


def test_an_unknown_option_is_named():
    with pytest.raises(TypeError, match="Unknown run option.*colour"):
        RunInputs.of(colour="red")


def test_analysis_records_its_decisions(default_build):
    analysis, _ = default_build
    assert analysis.lima_figures and analysis.area == "lima"
    assert analysis.population_columns["CIAM"] == "age_60_plus"
    assert analysis.origin("CIAM").embedded and analysis.file("boundaries").role == "boundaries"
