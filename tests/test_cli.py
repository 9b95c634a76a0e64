import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from coverage_map.cli import main


@pytest.fixture
def run(cache_env):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_and_option_has_help_text_in_both_languages():
    from coverage_map.texts import TEXTS

    for path, command in all_commands(main):
        assert command.help, f"coverage-map {' '.join(path)} has no help"
        keys = [command.__dict__["_help_key"]] + [p.__dict__["_help_key"] for p in command.params if isinstance(p, click.Option)]
        for key in keys:
            assert key in TEXTS["es"] and key in TEXTS["en"], f"coverage-map {' '.join(path)}: {key}"


def test_help_is_spanish_by_default_english_with_lang_en_or_an_english_locale(run, monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    spanish = run("--help").stdout
    assert spanish.startswith("Uso: main [OPCIONES] COMANDO") and "Opciones:" in spanish and "Comandos:" in spanish
    assert "Show this message" not in spanish and "Muestra este mensaje y termina." in spanish
    gaps = " ".join(spanish.split()).split("gaps ", 1)[1].split(" plan ", 1)[0]
    assert "(e.g." not in spanish and gaps.startswith("Lista los distritos sin SERVICIO")
    english = run("gaps", "--help", "--lang", "en").stdout
    assert english.startswith("Usage: main gaps [OPTIONS] SERVICE") and "[default: lima]" in " ".join(english.split())
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert run("build", "--help").stdout.startswith("Usage: main build [OPTIONS]")
    assert run("build", "--help", "--lang", "es").stdout.startswith("Uso: main build [OPCIONES]")


def test_build_says_where_each_output_went(run, tmp_path):
    result = run("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Escrito en {tmp_path / 'out'}:")
    assert f"  {tmp_path / 'out' / 'coverage.geojson'}" in result.stdout.splitlines()
    assert (tmp_path / "out" / "coverage.geojson").exists()


def test_quiet_build_prints_nothing(run, tmp_path):
    result = run("build", "--out", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "out" / "map.html").exists()


def test_gaps_lists_the_districts_without_ciam(run):
    result = run("gaps", "CIAM", "--quiet")
    assert result.exit_code == 0
    assert "2 de 43 distritos sin Centro Integral del Adulto Mayor" in result.stdout
    assert "Chorrillos" in result.stdout and "San Borja" in result.stdout
    assert "Barranco" in result.stdout and "Surquillo" in result.stdout
    assert "5,4" in result.stdout and "5.4" not in result.stdout  # km as the report writes them


def test_gaps_in_english_and_for_a_service_without_district_data(run):
    result = run("gaps", "cem", "--lang", "en", "--quiet")
    assert result.exit_code == 0
    assert "Women's Emergency Centre (CEM): the source gives no district data" in " ".join(result.stdout.split())


def test_gaps_of_a_metropolitan_service_says_access_only(run):
    result = run("gaps", "OREDIS", "--quiet")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "una sede para toda el área: sin brechas por distrito; solo acceso" in text
    assert "1501" not in text  # no district listed


def test_gaps_of_hrt_lists_40(run):
    result = run("gaps", "HRT", "--lang", "en", "--quiet")
    assert "40 of 43 districts without a Temporary Shelter Home (HRT) site in the district, with their access" in " ".join(result.stdout.split())
    assert result.stdout.count("\n│ 1501") == 40


def test_gaps_without_population_shows_no_access_column(run):
    """Access is not measured without a population (Coverage.access_measured), whatever columns exist."""
    result = run("gaps", "HRT", "--lang", "en", "--population", "none", "--quiet")
    text = " ".join(result.stdout.split())
    assert "40 of 43 districts without" in text and "with their access" not in text
    assert "Access (sites per 100,000)" not in text


def test_services_lists_the_catalogue(run):
    result = run("services", "--lang", "en")
    assert result.exit_code == 0
    for code in ("CEM", "HRT", "CIAM", "DEMUNA", "LINEA100"):
        assert code in result.stdout


def test_sources_list_and_verify(run):
    listed = run("sources", "list")
    assert listed.exit_code == 0 and "lima_callao_distritos" in listed.stdout
    verified = run("sources", "verify")
    assert verified.exit_code == 0 and "lima_callao_distritos: correcto (incluido)" in verified.stdout
    english = run("sources", "verify", "--lang", "en")
    assert "lima_callao_distritos: ok (embedded)" in english.stdout and "censo_2017_edades: ok (cached)" in english.stdout


def test_a_user_error_is_one_line_and_exit_code_2(run, tmp_path):
    result = run("build", "--boundaries", str(tmp_path / "nada.geojson"), "--out", str(tmp_path / "out"), "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: Boundary file not found: {tmp_path / 'nada.geojson'}. Check the path, or leave out "
        "--boundaries to use the default boundaries of Lima and Callao."
    ]
    assert not (tmp_path / "out").exists()
    spanish = run("build", "--boundaries", str(tmp_path / "nada.geojson"), "--out", str(tmp_path / "out"))
    assert spanish.exit_code == 2
    assert spanish.stderr.strip().splitlines() == [
        f"Error: El archivo de límites distritales {tmp_path / 'nada.geojson'} no existe. Revise la ruta, u omita "
        "--boundaries para usar los límites por defecto de Lima y Callao."
    ]


def test_a_bad_inventory_names_the_row_and_leaves_no_output(run, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("distrito,servicio,cantidad\nComas,CIAM,dos\n", encoding="utf-8")
    result = run("build", "--inventory", str(inventory), "--out", str(tmp_path / "out"), "--quiet", "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {inventory}: 1 problem: row 2, count 'dos': not a whole number of 0 or more."
    spanish = run("build", "--inventory", str(inventory), "--out", str(tmp_path / "out"), "--quiet")
    assert spanish.stderr.strip() == f"Error: {inventory}: 1 problema: fila 2, cantidad 'dos': no es un número entero de 0 o más."
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback(run, tmp_path):
    from coverage_map.errors import InputError

    with pytest.raises(InputError):
        run("build", "--boundaries", str(tmp_path / "nada.geojson"), "--debug")


def test_unknown_service_is_refused_before_anything_is_read(run):
    result = run("gaps", "CIAMM", "--lang", "en")
    assert result.exit_code == 2
    # one line, no progress line: the service is checked before the boundaries are read
    assert result.stderr == "Error: Unknown or non place-based service 'CIAMM' (closest: CIAM, CEM, CAI). See `coverage-map services`.\n"


def test_a_district_typed_as_a_service_is_told_so(run):
    result = run("gaps", "Chorrillos")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Chorrillos es un distrito; los servicios son CEM, CAI, ")
    assert "CAR NNA" in result.stderr and "CAR_NNA" not in result.stderr


def test_codes_are_suggested_as_every_output_writes_them(run, tmp_path):
    result = run("build", "--plan", "XYZ:2", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "CAR NNA" in result.stderr and "CAR_NNA" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_fetch_without_internet_says_how_to_seed_the_cache(tmp_path):
    result = CliRunner().invoke(main, ["sources", "fetch", "peru_distrital_simple", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "sources fetch --from DIR" in result.stderr


def test_python_dash_m_runs_from_any_directory(tmp_path):
    result = subprocess.run([sys.executable, "-m", "coverage_map", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0 and ("Usage:" in result.stdout or "Uso:" in result.stdout)


def test_validate_lists_every_problem_of_every_input(run, tmp_path):
    inventory = tmp_path / "inv.csv"
    inventory.write_text("district,service,count\nComas,CIAMM,1\nChorillos,CIAM,x\n", encoding="utf-8")
    facilities = tmp_path / "fac.csv"
    facilities.write_text("tipo,nombre,latitud,longitud\nCIAM,A,-77.0,-12.0\n", encoding="utf-8")
    population = tmp_path / "pob.csv"
    population.write_text("ubigeo,total\n150101,5\n", encoding="utf-8")
    result = run("validate", "--inventory", str(inventory), "--facilities", str(facilities),
                 "--population", str(population), "--quiet", "--lang", "en")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    spanish = run("validate", "--inventory", str(inventory), "--facilities", str(facilities),
                  "--population", str(population), "--quiet").stderr.strip().splitlines()
    assert len(spanish) == 3 and spanish[0].startswith(f"Error: {inventory}: 3 problemas: fila 2, servicio 'CIAMM'")
    assert "fila 3, distrito: 'Chorillos' no es el nombre de un distrito del área 'lima'" in spanish[0]
    assert "la latitud y la longitud parecen intercambiadas" in spanish[1]
    assert spanish[2].startswith(f"Error: Al archivo de población {population} le faltan 42 distritos del área: Ancón (150102)")
    assert spanish[2].endswith("y 34 más. Use un archivo que los cubra, o --population none para medir solo cantidades.")
    assert len(lines) == 3
    assert lines[0].startswith(f"Error: {inventory}: 3 problems: row 2, service 'CIAMM'")
    assert "row 3, district: 'Chorillos' is not the name of a district of the area 'lima'" in lines[0]
    assert "latitude and longitude look swapped" in lines[1]
    assert lines[2].startswith(f"Error: Population file {population} lacks 42 districts of the area: Ancón (150102)")
    assert lines[2].endswith("and 34 more. Use a file that covers them, or --population none to measure counts only.")
    assert not (tmp_path / "outputs").exists()


def test_validate_passes_the_default_inputs(run):
    result = run("validate", "--lang", "en", "--quiet")
    assert result.exit_code == 0 and "No problems" in result.stdout


# ---- the build log: each stage's counts in the run's language; decisions only with --debug


def test_build_log_in_spanish_has_the_counts_of_each_stage(run, tmp_path):
    from test_languages import foreign_fragments

    result = run("build", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[:5] == [
        "Límites (lima_callao_distritos.geojson): 50 distritos; en Lima Metropolitana: 43 distritos",
        "Población objetivo 2025 (census_2017_lima_callao.csv, projection_lima_callao.csv): 43 distritos del área",
        "Inventario (el incluido, del MIMP): 93 conteos por distrito de 7 servicios",
        # districts counted once (issue 19): each lacks CAI and OREDIS's seat (Lima) or UA's (Miraflores)
        "Cobertura de 17 servicios en 43 distritos: 82 brechas; 43 distritos sin la sede de algún servicio "
        "metropolitano: sin brecha, por lectura nuestra su sede atiende toda el área",
        "Comprobación de las fuentes: 3 hallazgos (checks.csv)",
    ]
    assert lines[5].startswith("  - CIAM: el total declarado es 43, pero la tabla por distrito suma 41")
    assert lines[8] == "Acceso entre distritos (E2SFCA) de 7 servicios: CAI, HRT, UA, UPE, OREDIS, DEMUNA, CIAM"
    assert len(lines) == 9  # nothing else: no internal decision
    assert not [f for f in foreign_fragments("es") if f in result.stderr + result.stdout]


def test_build_log_in_english(run, tmp_path):
    from test_languages import foreign_fragments

    result = run("build", "--out", str(tmp_path / "out"), "--lang", "en")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == "Boundaries (lima_callao_distritos.geojson): 50 districts; in Lima Metropolitana: 43 districts"
    assert lines[3] == ("Coverage of 17 services in 43 districts: 82 gaps; 43 districts without the seat of some "
                        "metropolitan service: not a gap, by our reading its seat serves the whole area")
    assert lines[4] == "Source checks: 3 findings (checks.csv)"
    assert lines[8] == "Access across district lines (E2SFCA) for 7 services: CAI, HRT, UA, UPE, OREDIS, DEMUNA, CIAM"
    assert not [f for f in foreign_fragments("en") if f in result.stderr + result.stdout]
    assert result.stdout.startswith(f"Wrote to {tmp_path / 'out'}:")


def test_debug_adds_the_decisions_the_default_log_leaves_out(run, tmp_path):
    decisions = ("districts by name 'distrito'", "costs in km, EPSG:32718", "static maps", "class(es)")
    quiet = run("build", "--out", str(tmp_path / "a"))
    assert not [d for d in decisions if d in quiet.stderr]
    debug = run("build", "--out", str(tmp_path / "b"), "--debug")
    assert debug.exit_code == 0
    assert [d for d in decisions if d in " ".join(debug.stderr.split())] == list(decisions)
    assert "DEBUG" in debug.stderr and "Límites (lima_callao_distritos.geojson)" in debug.stderr


def test_the_inventory_option_names_every_format_it_reads(run):
    result = run("build", "--help", "--lang", "en")
    assert "--inventory FILE" in result.stdout and "CSV, Excel or JSON" in " ".join(result.stdout.split())


def test_validate_and_gaps_log_their_reading_stages_too(run):
    result = run("validate", "--lang", "en")
    assert result.exit_code == 0
    assert result.stderr.startswith("Boundaries (lima_callao_distritos.geojson): 50 districts")
    assert "Source checks: 3 findings" in result.stderr
    assert run("gaps", "CIAM", "--quiet").stderr == ""
