"""Static maps: drawn from hand-made districts, titled in the run's language, and drawn once per
distinct content (the cache gives the bytes a drawing gives)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from coverage_map import figures
from coverage_map.figures import COLOURS, INSET_PADDING, draw_maps, draw_service_maps, prepare_frame
from coverage_map.styles import SERVED_FROM_SEAT, STYLES


def test_static_maps_from_hand_made_districts_with_part_unknown(grid_districts, tmp_path):
    """Squares of equal size: no inset; a service known in half of them is hatched elsewhere."""
    squares = grid_districts(["Uno", "Dos", "Tres", "Cuatro"], size=0.05)
    districts = squares.assign(ubigeo=[f"1501{i:02d}" for i in range(1, 5)], name=squares["distrito"])
    frame = prepare_frame(districts)
    assert not frame.small.any() and len(frame.districts) == 4
    statuses = {
        "A": pd.Series(["present", "gap", "unknown", "unknown"], index=districts["ubigeo"]),
        "B": pd.Series(["gap", "gap", "present", "gap"], index=districts["ubigeo"]),
    }
    labels = {"present": "yes", "gap": "no", "unknown": "?"}
    written = draw_service_maps(frame, statuses, {"A": "A", "B": "B"}, labels, {"A": "src", "B": "src"}, tmp_path)
    assert sorted(p.name for p in written.values()) == ["A.png", "B.png"]
    with Image.open(written["A"]) as a, Image.open(written["B"]) as b:
        assert a.size == b.size
        assert np.asarray(a.convert("RGB")).tobytes() != np.asarray(b.convert("RGB")).tobytes()


def test_every_mapped_service_gets_a_map_titled_and_sourced_in_its_language(default_build, tmp_path):
    analysis, _ = default_build
    written = draw_maps(analysis, tmp_path, lang="en")
    assert sorted(written) == sorted(analysis.coverage.mapped())
    assert all(path.stat().st_size > 10_000 for path in written.values())


def test_fills_come_from_the_style_table():
    assert COLOURS == {**{status: style.fill for status, style in STYLES.items()}, "served": SERVED_FROM_SEAT.fill}
    assert 0 < INSET_PADDING < 0.1


def test_a_metropolitan_service_map_shows_districts_without_its_seat_as_served_not_gaps(default_build, tmp_path):
    analysis, _ = default_build
    written = draw_maps(analysis, tmp_path, lang="es")

    def share(code: str, hex_colour: str) -> float:
        rgb = np.asarray(Image.open(written[code]).convert("RGB")).reshape(-1, 3).astype(int)
        target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(rgb - target).sum(axis=1) < 12).mean())

    assert share("OREDIS", SERVED_FROM_SEAT.fill) > 0.1 and share("OREDIS", STYLES["gap"].fill) < 0.001
    assert share("HRT", STYLES["gap"].fill) > 0.1 and share("HRT", SERVED_FROM_SEAT.fill) < 0.001


LABELS = {"present": "yes", "gap": "no", "unknown": "?"}


@pytest.fixture
def squares(grid_districts):
    cells = grid_districts(["Uno", "Dos", "Tres", "Cuatro"], size=0.05)
    return cells.assign(ubigeo=[f"1501{i:02d}" for i in range(1, 5)], name=cells["distrito"])


def statuses_of(districts) -> dict[str, pd.Series]:
    return {
        "A": pd.Series(["present", "gap", "unknown", "unknown"], index=districts["ubigeo"]),
        "B": pd.Series(["gap", "gap", "present", "gap"], index=districts["ubigeo"]),
    }


def draw(districts, statuses, folder, cache, titles=None):
    titles = titles or {code: f"Service {code}" for code in statuses}
    sources = {code: "Source: hand-made squares" for code in statuses}
    return draw_service_maps(prepare_frame(districts), statuses, titles, LABELS, sources, folder, cache=cache)


def test_a_map_drawn_alone_or_after_others_has_the_same_bytes(squares, tmp_path):
    both = draw(squares, statuses_of(squares), tmp_path / "both", tmp_path / "cache1")
    alone = draw(squares, {"B": statuses_of(squares)["B"]}, tmp_path / "alone", tmp_path / "cache2")
    assert alone["B"].read_bytes() == both["B"].read_bytes()
    assert len(list((tmp_path / "cache1" / "figures").glob("*.png"))) == 2


def test_the_second_run_copies_from_the_cache_and_draws_nothing(squares, tmp_path, monkeypatch, caplog):
    first = draw(squares, statuses_of(squares), tmp_path / "first", tmp_path / "cache")
    monkeypatch.setattr(figures, "_draw_base", lambda frame: pytest.fail("drew a cached map"))
    with caplog.at_level("DEBUG", logger="coverage_map.figures"):
        second = draw(squares, statuses_of(squares), tmp_path / "second", tmp_path / "cache")
    assert "Drew 0 static maps, 2 from the cache" in caplog.text
    assert [p.read_bytes() for p in second.values()] == [p.read_bytes() for p in first.values()]


def test_any_change_in_what_is_drawn_draws_again(squares, tmp_path, caplog):
    draw(squares, statuses_of(squares), tmp_path / "first", tmp_path / "cache")
    caplog.clear()  # a CLI test run before may have set the package's logger to INFO already
    changed = statuses_of(squares) | {"B": pd.Series(["gap", "present", "present", "gap"], index=squares["ubigeo"])}
    renamed = squares.assign(name=["Uno", "Dos", "Tres", "Cinco"])
    with caplog.at_level("DEBUG", logger="coverage_map.figures"):
        draw(squares, changed, tmp_path / "status", tmp_path / "cache")
        draw(squares, statuses_of(squares), tmp_path / "title", tmp_path / "cache", titles={"A": "Service A", "B": "B!"})
        draw(renamed, statuses_of(renamed), tmp_path / "name", tmp_path / "cache")
        draw(squares.set_geometry(squares.geometry.translate(0.001)), statuses_of(squares), tmp_path / "moved", tmp_path / "cache")
    drawn = [line for line in caplog.text.splitlines() if "static maps" in line]
    assert [line.split("Drew ")[1] for line in drawn] == [
        "1 static maps, 1 from the cache",  # status of B
        "1 static maps, 1 from the cache",  # title of B
        "2 static maps, 0 from the cache",  # a district's name
        "2 static maps, 0 from the cache",  # the geometry
    ]


def test_a_cache_that_cannot_be_written_costs_only_a_drawing(squares, tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    written = draw(squares, statuses_of(squares), tmp_path / "out", blocked)
    assert sorted(p.name for p in written.values()) == ["A.png", "B.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written.values())


def test_a_long_title_wraps_inside_the_figure(default_build):
    """Issue 19: OREDIS's long name was cut at the static map's right edge. The drawn title,
    measured with matplotlib's renderer, fits the figure's width; a short one stays on one line."""
    from coverage_map.figures import TITLE_RIGHT, _draw_base, fit_title
    from coverage_map.phrases import service_name

    analysis, _ = default_build
    canvas = _draw_base(prepare_frame(analysis.districts))
    renderer = canvas.figure.canvas.get_renderer()
    long = service_name(analysis.catalogue, "OREDIS", "es")
    canvas.title.set_text(long)
    assert canvas.title.get_window_extent(renderer).x1 > canvas.figure.bbox.width  # cut without wrapping
    fit_title(canvas.title, long)
    extent = canvas.title.get_window_extent(renderer)
    assert extent.x1 <= canvas.figure.bbox.width * TITLE_RIGHT + 0.5
    assert "\n" in canvas.title.get_text() and canvas.title.get_text().replace("\n", " ") == long
    fit_title(canvas.title, "CIAM")
    assert canvas.title.get_text() == "CIAM"


def test_every_gap_is_named_on_its_static_map_over_no_other_name(default_build, tmp_path, monkeypatch):
    """Issue 21: the CIAM gaps Chorrillos and San Borja carry their names on the report's map,
    however small the district; a name that would overlap a gap's is left out, never the gap's."""
    analysis, _ = default_build
    drawn = {}
    save = figures._save_png

    def record(canvas, path, labels):
        renderer = canvas.figure.canvas.get_renderer()
        for label in canvas.shown:
            label.set_visible(True)
        drawn[path.stem] = [(label.get_text().replace("\n", " "), label.get_window_extent(renderer)) for label in canvas.shown]
        for label in canvas.shown:
            label.set_visible(False)
        save(canvas, path, labels)

    monkeypatch.setattr(figures, "_save_png", record)
    monkeypatch.setenv("COVERAGE_MAP_CACHE", str(tmp_path / "cache"))  # draw, do not copy
    table = analysis.coverage.table
    draw_service_maps(prepare_frame(analysis.districts), {"CIAM": figures._statuses(table[table["service"] == "CIAM"].set_index("ubigeo"))},
                      {"CIAM": "CIAM"}, LABELS | {"served": "s"}, {"CIAM": "src"}, tmp_path, cache=tmp_path / "cache")
    names = dict(drawn["CIAM"])
    assert {"Chorrillos", "San Borja"} <= set(names)
    for gap in ("Chorrillos", "San Borja"):
        for other, box in names.items():
            if other != gap:
                assert not names[gap].overlaps(box), f"{gap} overlaps {other}"


def _shown_names(monkeypatch, districts, status: list[str], tmp_path) -> list[str]:
    shown = {}
    save = figures._save_png

    def record(canvas, path, labels):
        shown[path.stem] = [label.get_text().replace("\n", " ") for label in canvas.shown]
        save(canvas, path, labels)

    monkeypatch.setattr(figures, "_save_png", record)
    draw(districts, {"A": pd.Series(status, index=districts["ubigeo"])}, tmp_path / "out", tmp_path / "cache")
    return shown["A"]


def test_a_gap_too_small_for_its_name_is_named_all_the_same(squares, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "MIN_LABEL_PX", 10_000)  # no district is large enough for its name
    assert _shown_names(monkeypatch, squares, ["present", "gap", "present", "gap"], tmp_path) == ["Dos", "Cuatro"]


def test_a_name_that_would_overlap_a_gaps_is_left_out_not_the_gaps(grid_districts, tmp_path, monkeypatch):
    names = ["Alfaaaaaaaaaaaaaaaaaa", "Bravoooooooooooooooooo", "Charlieeeeeeeeeeeeeeee", "Deltaaaaaaaaaaaaaaaaaa",
             "Echooooooooooooooooooo", "Foxtrotttttttttttttttt", "Golfffffffffffffffffff"]
    cells = grid_districts(names, size=0.05)  # one row of seven: each name wider than its square
    districts = cells.assign(ubigeo=[f"1501{i:02d}" for i in range(1, 8)], name=cells["distrito"])
    status = ["present"] * 7
    status[3] = "gap"
    shown = _shown_names(monkeypatch, districts, status, tmp_path)
    assert "Deltaaaaaaaaaaaaaaaaaa" in shown
    assert "Charlieeeeeeeeeeeeeeee" not in shown and "Echooooooooooooooooooo" not in shown
    assert {"Alfaaaaaaaaaaaaaaaaaa", "Golfffffffffffffffffff"} <= set(shown)
