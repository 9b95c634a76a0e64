"""Map classes: known answers, and quantiles and equal intervals computed with numpy that
give mapclassify's bins and classes."""

from __future__ import annotations

import subprocess
import sys
import warnings

import mapclassify
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_map.classify import _bounds, classify, equal_interval_bins, parse_breaks, quantile_bins
from coverage_map.errors import InputError
from coverage_map.styles import YLGNBU


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


#: Counts (many ties, like services per district) and measures (people per centre, km).
counts = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200)
measures = st.lists(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_subnormal=False), min_size=1, max_size=200)
classes = st.integers(min_value=1, max_value=9)


def reference(scheme, y, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values": merged as we do
        return mapclassify.classify(np.asarray(y, dtype=float), scheme=scheme, k=k)


def mapclassify_classes(y, bins):
    """Each value's class as mapclassify's bin1d gives it: the first bin it does not exceed."""
    return np.searchsorted(bins, np.asarray(y, dtype=float), side="left")


@settings(max_examples=400, deadline=None)
@given(y=st.one_of(counts, measures), k=classes)
def test_quantiles_equal_mapclassify(y, k):
    expected = reference("quantiles", y, k)
    bins = quantile_bins(np.asarray(y, dtype=float), k)
    assert bins.tolist() == expected.bins.tolist()  # bit for bit
    assert mapclassify_classes(y, bins).tolist() == expected.yb.tolist()


@settings(max_examples=400, deadline=None)
@given(y=st.one_of(counts, measures), k=classes)
def test_equal_intervals_equal_mapclassify(y, k):
    if min(y) == max(y):
        with pytest.raises(ValueError, match="at least two distinct values"):
            equal_interval_bins(np.asarray(y, dtype=float), k)
        return
    expected = reference("equal_interval", y, k)
    bins = equal_interval_bins(np.asarray(y, dtype=float), k)
    assert bins.tolist() == expected.bins.tolist()
    assert mapclassify_classes(y, bins).tolist() == expected.yb.tolist()


def test_known_quantiles_and_intervals():
    # mapclassify's own doctest: quantile(arange(1000)) is [249.75, 499.5, 749.25, 999]
    assert quantile_bins(np.arange(1000), 4).tolist() == [249.75, 499.5, 749.25, 999.0]
    assert quantile_bins(np.arange(1000), 3).tolist() == pytest.approx([333.0, 666.0, 999.0], abs=1e-9)
    assert equal_interval_bins(np.array([0.0, 10.0]), 4).tolist() == [2.5, 5.0, 7.5, 10.0]


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval"])
@pytest.mark.parametrize("rate", [1.5, 6.0, 40.0])
def test_map_classes_are_those_mapclassify_gave(scheme, rate):
    y = np.random.default_rng(2017).poisson(rate, 1834) + 1  # hosts' counts, all of Peru
    assert len(np.unique(y)) > 5  # else each value is its own class, without a scheme
    ours = classify(y, scheme=scheme, k=5)
    lower, upper = _bounds(y.astype(float), sorted(set(reference(scheme, y, 5).bins.tolist())), integer=True)
    assert (ours.lower, ours.upper) == (lower, upper)
    assert ours.index == tuple(np.searchsorted(upper, y, side="left").tolist())


def test_quantiles_and_equal_intervals_do_not_import_mapclassify():
    code = (
        "import sys\n"
        "from coverage_map.classify import classify\n"
        "classify(list(range(1, 40)), scheme='quantiles')\n"
        "classify(list(range(1, 40)), scheme='equal_interval')\n"
        "assert 'mapclassify' not in sys.modules and 'scipy' not in sys.modules, sorted(sys.modules)\n"
        "classify(list(range(1, 40)), scheme='natural_breaks')\n"
        "assert 'mapclassify' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
