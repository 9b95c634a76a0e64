from coverage_map.phrases import check_message, group_label, people, service_name


def test_service_names_carry_their_acronym_once(default_build):
    catalogue = default_build[0].catalogue
    assert service_name(catalogue, "CIAM", "es") == "Centro Integral del Adulto Mayor (CIAM)"
    assert service_name(catalogue, "MI60", "es") == catalogue.label("MI60", "es")  # "Servicio Mi60+" holds it


def test_target_groups_and_people(default_build):
    analysis, _ = default_build
    assert group_label(analysis, "CIAM", "en") == "People aged 60 and over"
    assert people(analysis, "CIAM", 65389, "es") == "65\u00a0389 personas de 60 años y más"


def test_findings_in_the_run_language(default_build):
    analysis, _ = default_build
    row = analysis.checks.iloc[0]
    assert check_message(analysis, row, "en") == row["message_en"]
