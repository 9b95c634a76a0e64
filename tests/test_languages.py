"""No text of one language in the other's outputs: the map page, the report (HTML and
Markdown), the workbook's sheet names and headers, and the command line."""

import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from coverage_map.cli import main
from coverage_map.texts import TEXTS

#: Shorter fragments ("Fuente", "Total") could be data or the same word in both languages.
MIN_LENGTH = 12
OTHER = {"es": "en", "en": "es"}


def foreign_fragments(lang: str) -> set[str]:
    """The literal parts of the other language's texts that differ from lang's and are long
    enough to be unambiguous."""
    own = TEXTS[lang]
    fragments = set()
    for key, text in TEXTS[OTHER[lang]].items():
        if text == own[key]:
            continue
        for part in re.split(r"{\w*}", text):
            part = part.strip(" .,;:()«»“”")
            if len(part) >= MIN_LENGTH and part not in own[key]:
                fragments.add(part)
    return fragments


def outputs(out, stdout: str) -> dict[str, str]:
    workbook = load_workbook(out / "coverage.xlsx", read_only=True)
    headers = [" | ".join([sheet.title, *(str(c.value) for c in next(sheet.iter_rows(max_row=1)))])
               for sheet in workbook.worksheets]
    workbook.close()
    return {
        "map.html": (out / "map.html").read_text(encoding="utf-8"),
        "report.html": (out / "report.html").read_text(encoding="utf-8"),
        "report.md": (out / "report.md").read_text(encoding="utf-8"),
        "coverage.xlsx": "\n".join(headers),
        "cli": stdout,
    }


@pytest.mark.parametrize("lang", ["es", "en"])
def test_no_text_of_the_other_language(lang, cache_env, shared_data, tmp_path):
    out = tmp_path / "out"
    facilities = shared_data / "mimp_directorio" / "directorio.json"
    runner = CliRunner()
    stdout = ""
    for args in (["build", "--out", str(out), "--facilities", str(facilities)],
                 ["gaps", "CIAM"], ["gaps", "CEM"], ["services"], ["validate"]):
        result = runner.invoke(main, [*args, "--lang", lang], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        stdout += result.stdout + result.stderr  # the build log too (only --debug lines are English)
    fragments = foreign_fragments(lang)
    assert len(fragments) > 100
    # the report's summary, access tables and annexes, and the sources' licences, are checked too
    new = {"es": ("Gaps to act on", "Access to network and metropolitan services", "Annex: files, versions and options",
                  "INEI public statistics (an extract of censo_2017_edades"),
           "en": ("Brechas que atender", "Acceso a los servicios en red y metropolitanos", "Anexo: archivos, versiones y opciones",
                  "estadística pública del INEI (un extracto de censo_2017_edades")}
    assert set(new[lang]) <= fragments
    found = {name: sorted(f for f in fragments if f in text) for name, text in outputs(out, stdout).items()}
    assert found == {name: [] for name in found}
