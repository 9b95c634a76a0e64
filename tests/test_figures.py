import numpy as np
import pandas as pd
from PIL import Image

from coverage_map.figures import COLOURS, INSET_PADDING, draw_maps, draw_service_maps, prepare_frame
from coverage_map.styles import STYLES


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
    assert COLOURS == {status: style.fill for status, style in STYLES.items()}
    assert 0 < INSET_PADDING < 0.1
