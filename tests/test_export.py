import pandas as pd

from coverage_map.export import write_csv


def test_csv_has_a_bom_for_excel_and_lf_line_ends(tmp_path):
    path = tmp_path / "gaps.csv"
    write_csv(pd.DataFrame({"district": ["Rímac"], "km": [5.4]}), path)
    assert path.read_bytes() == "\ufeffdistrict,km\nRímac,5.4\n".encode()
