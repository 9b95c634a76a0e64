import pytest

from coverage_map.classify import YLGNBU, classify, parse_breaks
from coverage_map.errors import InputError


def test_quantiles_of_one_to_ten_make_five_pairs():
    classes = classify(range(1, 11), scheme="quantiles")
    assert classes.labels == ("1–2", "3–4", "5–6", "7–8", "9–10")
    assert classes.counts() == [2, 2, 2, 2, 2]
    assert classes.colors == YLGNBU[5]


def test_equal_interval_known_answer():
    classes = classify([1, 1, 2, 2, 2, 3, 10, 12, 20, 40], scheme="equal_interval")
    assert classes.labels == ("1–8", "9–16", "17–24", "25–32", "33–40")
    assert classes.counts() == [6, 2, 1, 0, 1]


def test_natural_breaks_known_answer():
    classes = classify([1, 1, 2, 2, 2, 3, 10, 12, 20, 40], scheme="natural_breaks")
    assert classes.labels == ("1", "2–3", "4–12", "13–20", "21–40")
    assert classes.counts() == [2, 4, 2, 1, 1]


def test_explicit_breaks_are_upper_bounds():
    classes = classify(range(1, 11), breaks=(1, 2, 5))
    assert classes.labels == ("1", "2", "3–5", "6–10")
    assert classes.counts() == [1, 1, 3, 5]


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_integer_counts_get_integer_labels(scheme):
    classes = classify([1, 2, 3, 4, 7], scheme=scheme, k=4)
    assert classes.labels
    assert not any("." in label for label in classes.labels)
    assert sum(classes.counts()) == 5


def test_fewer_distinct_values_than_classes_degrade(caplog):
    caplog.set_level("DEBUG", logger="coverage_map")
    assert classify([1, 1, 1]).labels == ("1",)
    two = classify([1, 2, 2], scheme="quantiles", k=5)
    assert two.labels == ("1", "2")
    assert two.colors == YLGNBU[2]
    assert "2 class(es) instead of 5" in caplog.text


def test_unknown_scheme_and_bad_breaks_are_input_errors():
    with pytest.raises(InputError, match="Unknown classification scheme 'jenks'"):
        classify([1, 2], scheme="jenks")
    assert parse_breaks("1, 2,5") == (1.0, 2.0, 5.0)
    for bad in ("1,x", "3,2", "1,,2", "nan"):
        with pytest.raises(InputError, match="--breaks"):
            parse_breaks(bad)
