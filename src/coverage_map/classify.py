"""Classes and colours for a choropleth of service counts.

A scheme name maps to one classifier: quantiles and equal intervals are computed here
with numpy, to the same bins as mapclassify's (tests/test_classify.py compares them), and
natural breaks come from mapclassify, imported only then (it brings scipy.stats and
scikit-learn, about a second of a build). Integer counts get integer class
bounds ("1", "2–3"), never 1.5. When the data have fewer distinct values than the classes
asked for, fewer classes are made (and logged): a class nobody falls in says nothing.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .styles import PALETTES

log = logging.getLogger(__name__)

SCHEMES = ("quantiles", "natural_breaks", "equal_interval")
DEFAULT_CLASSES = 5


@dataclass(frozen=True)
class Classes:
    """Class bounds (inclusive), their labels and colours, and each value's class."""

    lower: tuple[float, ...]
    upper: tuple[float, ...]
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    index: tuple[int, ...]  # class of each input value

    def counts(self) -> list[int]:
        """How many values fall in each class."""
        return [self.index.count(i) for i in range(len(self.labels))]


def check_scheme(scheme: str, breaks: tuple[float, ...] | None = None) -> None:
    """Refuse a scheme that is not one of SCHEMES, unless explicit breaks replace it."""
    if breaks is None and scheme not in SCHEMES:
        raise InputError("error_unknown_scheme", scheme=repr(scheme), schemes=", ".join(SCHEMES))


def classify(
    values, *, scheme: str = "quantiles", k: int = DEFAULT_CLASSES, breaks: tuple[float, ...] | None = None
) -> Classes:
    """Classify positive counts with a mapclassify scheme, or explicit upper bounds (breaks)."""
    y = np.asarray(values, dtype=float)
    if len(y) == 0:
        return Classes((), (), (), (), ())
    check_scheme(scheme, breaks)
    integer = bool(np.all(y == np.round(y)))
    distinct = len(np.unique(y))
    if breaks is None and distinct < k:
        log.debug("Only %d distinct value(s): %d class(es) instead of %d", distinct, distinct, k)
        k = distinct
    uppers = _upper_bounds(y, scheme=scheme, k=k, breaks=breaks)
    lower, upper = _bounds(y, uppers, integer=integer)
    index = tuple(int(i) for i in np.searchsorted(np.asarray(upper), y, side="left"))
    labels = tuple(_label(lo, hi, integer=integer) for lo, hi in zip(lower, upper))
    return Classes(lower, upper, labels, palette(len(labels)), index)


def _upper_bounds(y: np.ndarray, *, scheme: str, k: int, breaks: tuple[float, ...] | None) -> list[float]:
    if breaks is not None:
        uppers = sorted(float(b) for b in breaks if b < y.max())
        return [*uppers, float(y.max())]
    if len(np.unique(y)) <= k:
        return [float(v) for v in np.unique(y)]  # as many values as classes: one class each
    if scheme == "quantiles":
        return sorted(set(quantile_bins(y, k).tolist()))
    if scheme == "equal_interval":
        return sorted(set(equal_interval_bins(y, k).tolist()))
    import mapclassify

    with warnings.catch_warnings():
        # mapclassify warns when it must merge classes; the merge is handled below.
        warnings.simplefilter("ignore")
        classifier = mapclassify.classify(y, scheme=scheme, k=k)
    return sorted(set(float(b) for b in classifier.bins))


def quantile_bins(y: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of k quantile classes, as mapclassify.Quantiles computes them (its
    percentiles are scipy's scoreatpercentile: linear between the two nearest ranks);
    repeated bounds are merged."""
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    ordered = np.sort(np.asarray(y, dtype=float).ravel())
    scores = []
    for percent in percents:
        index = percent / 100.0 * (len(ordered) - 1)
        i = int(index)
        if i == index:
            scores.append(ordered[i])
        else:
            # the same operations in the same order as scipy, so the same last bit
            weights = np.array([i + 1 - index, index - i], float)
            scores.append(np.add.reduce(ordered[i:i + 2] * weights) / weights.sum())
    return np.unique(np.array(scores))


def equal_interval_bins(y: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of k classes of equal width, as mapclassify.EqualInterval computes them."""
    y = np.asarray(y, dtype=float).ravel()
    low, high = y.min(), y.max()
    if low == high:
        msg = f"Equal intervals need at least two distinct values; all are {low:g}."
        raise ValueError(msg)
    width = (high - low) * 1.0 / k
    cuts = np.arange(low + width, high + width, width)
    if len(cuts) > k:  # arange can overshoot by one step
        cuts = cuts[:k]
    cuts[-1] = high
    return cuts


def _bounds(y: np.ndarray, uppers: list[float], *, integer: bool) -> tuple[tuple, tuple]:
    """Inclusive (lower, upper) per class; integer data get whole bounds, empty classes go."""
    lower, upper, previous = [], [], None
    for bound in uppers:
        hi = math.floor(bound) if integer else bound
        if previous is None:
            lo = float(y.min())
        else:
            lo = previous + 1 if integer else previous
        if hi < lo or (previous is not None and hi <= previous):
            continue
        lower.append(lo)
        upper.append(hi)
        previous = hi
    return tuple(lower), tuple(upper)


def _label(lo: float, hi: float, *, integer: bool) -> str:
    fmt = (lambda v: f"{int(v):,}") if integer else (lambda v: f"{v:,.3g}")
    return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"


def palette(k: int, measure: str = "count") -> tuple[str, ...]:
    """The colours of k classes (up to 7) of a measure (styles.PALETTES), lowest class first."""
    if k == 0:
        return ()
    colours = PALETTES[measure]
    if k > max(colours):
        raise InputError("error_too_many_classes", most=max(colours), k=k)
    return colours[k]


def parse_breaks(text: str) -> tuple[float, ...]:
    """Comma-separated class upper bounds, e.g. "1,2,5", as increasing numbers."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise InputError("error_breaks_not_numbers", breaks=repr(text)) from None
    if any(b >= a for a, b in zip(values[1:], values)) or not all(map(math.isfinite, values)):
        raise InputError("error_breaks_not_increasing", breaks=repr(text))
    return values
