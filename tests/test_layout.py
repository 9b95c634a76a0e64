"""Renderers only read the Analysis: no renderer opens an input or calls a reader.

The renderers are the modules that turn an Analysis into outputs (RENDERERS: the map, the
report and its helpers, the workbook, the figures, the GeoPackage and the other exports).
Each is parsed with ast, every import and call included (module level, inside functions,
under TYPE_CHECKING), and refused when it

1. imports from the pipeline, or a reader module whole (``from . import inventory``), or a
   reader by name from any module: ``read_*`` and ``load_*`` (boundaries.read_vector,
   inventory.load_usage, districts.load_gazetteer, population.read_population,
   facilities.read_facilities, pandas' read_csv), and to_lonlat, json's load and sources'
   fetch, registry, get_source, seed_from, packaged_path and sha256_of;
2. calls a reader, however it is reached: a callee named as in 1 (``load_usage()``,
   ``inventory.load_usage()``, ``pd.read_csv()``, ``gpd.read_file()``, ``json.load()``);
3. reads a file (``open()``, ``.open()``, ``.read_text()``, ``.read_bytes()``) that is not a
   package resource of the program: a path built (through ``/``, ``.joinpath()`` and names
   assigned in the same function) from ``importlib.resources.files()`` of an installed
   package (Leaflet) or of coverage_map's templates/ or assets/, or from ``Path(__file__)``
   (a module's own code). coverage_map.data and coverage_map.geo hold inputs (the usage
   figures, the gazetteer): even naming them with files() is refused. The only other reads
   allowed are of files a renderer wrote itself (OWN_FILES: the static maps' drawing cache,
   the run's images the HTML report embeds).

Whatever else a renderer needs is a field of the Analysis, filled by the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import coverage_map

PACKAGE = Path(coverage_map.__file__).parent

#: The modules that turn an Analysis into outputs, and the helpers of their templates.
RENDERERS = ("maps", "report", "workbook", "figures", "export", "gpkg", "provenance", "phrases", "proposals", "plan_words",
             "formatting", "styles", "classify")
#: The stages that read and measure: they may read, and are no renderers.
STAGES = ("pipeline", "plan", "plan_request", "plan_costs", "cli", "model")
#: Package modules whose work is reading inputs: a renderer imports none of them whole.
READER_MODULES = ("pipeline", "boundaries", "inventory", "districts", "population", "facilities", "sources", "tables")
#: Readers named otherwise than read_* and load_*.
READERS = ("to_lonlat", "load", "fetch", "registry", "get_source", "seed_from", "packaged_path", "sha256_of")
#: Calls that read a file: allowed on a package resource of the program only (rule 3).
FILE_READS = ("open", "read_text", "read_bytes")
#: Packages whose files are inputs, not part of the program.
INPUT_PACKAGES = ("coverage_map.data", "coverage_map.geo")
#: coverage_map's own folders of program resources.
PROGRAM_FOLDERS = ("templates", "assets")
#: Functions that read back files their renderer wrote: the drawing cache and the run's images.
OWN_FILES = {"figures": ("draw_service_maps", "_keep", "draw_gains_charts"), "report": ("data_uri",)}


def is_reader(name: str) -> bool:
    return (name.startswith(("read_", "load_")) and name not in FILE_READS) or name in READERS


class Readers(ast.NodeVisitor):
    """The lines of a module that break the rule, each with what it does."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.functions: list[str] = []
        self.names: list[dict[str, ast.expr]] = [{}]
        self.found: list[str] = []

    def flag(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.module}.py:{node.lineno}: {what}")

    def visit_Module(self, node: ast.Module) -> None:
        self.names = [_assignments(node)]
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.names.append(self.names[-1] | _assignments(node))
        self.generic_visit(node)
        self.functions.pop()
        self.names.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == "coverage_map" and len(parts) > 1 and parts[1] in READER_MODULES:
                self.flag(node, f"imports the reader module {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        own = node.level > 0 or module.split(".")[0] == "coverage_map"
        inner = module.removeprefix("coverage_map").strip(".") if node.level == 0 else module
        if own and inner.split(".")[0] == "pipeline":
            self.flag(node, "imports from the pipeline")
        for alias in node.names:
            if own and not inner and alias.name in READER_MODULES:
                self.flag(node, f"imports the reader module {alias.name}")
            elif is_reader(alias.name):
                self.flag(node, f"imports the reader {alias.name} from {module or '.'}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if is_reader(name) or (isinstance(func, ast.Name) and name in FILE_READS[1:]):
            self.flag(node, f"calls the reader {name}()")
        elif name in FILE_READS:
            path = node.args[0] if isinstance(func, ast.Name) else func.value
            if node.args or isinstance(func, ast.Attribute):
                self._check_read(node, name, path)
        if name == "files" and _package(node) in INPUT_PACKAGES:
            self.flag(node, f"opens the input package {_package(node)}")
        self.generic_visit(node)

    def _check_read(self, node: ast.Call, name: str, path: ast.expr) -> None:
        if self.functions and self.functions[-1] in OWN_FILES.get(self.module, ()):
            return
        root, segments = _root(path, self.names[-1])
        if not _program_resource(root, segments):
            self.flag(node, f"reads a file with {name}() that is no package resource of the program")


def _assignments(node: ast.AST) -> dict[str, ast.expr]:
    """name -> value of the plain assignments (x = ...) in node's own body, not in nested functions."""
    found = {}
    for child in ast.walk(node) if isinstance(node, ast.Module) else _own_nodes(node):
        if isinstance(child, ast.Assign) and len(child.targets) == 1 and isinstance(child.targets[0], ast.Name):
            found[child.targets[0].id] = child.value
    return found


def _own_nodes(function: ast.AST):
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _root(path: ast.expr, names: dict[str, ast.expr]) -> tuple[ast.expr, list[str]]:
    """The expression a path is built from, through /, .joinpath(), attributes, subscripts and
    names assigned in scope, with the literal segments joined to it (in order)."""
    segments: list[str] = []
    seen: set[str] = set()
    while True:
        if isinstance(path, ast.BinOp) and isinstance(path.op, ast.Div):
            segments[:0] = _literals([path.right])
            path = path.left
        elif isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute) and path.func.attr == "joinpath":
            segments[:0] = _literals(path.args)
            path = path.func.value
        elif isinstance(path, ast.Subscript):
            path = path.value
        elif isinstance(path, ast.Name) and path.id in names and path.id not in seen:
            seen.add(path.id)
            path = names[path.id]
        else:
            return path, segments


def _literals(nodes: list[ast.expr]) -> list[str]:
    return [n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else "?" for n in nodes]


def _package(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _program_resource(root: ast.expr, segments: list[str]) -> bool:
    """Whether root (and its segments) is a file of the program: Path(__file__), or files() of an
    installed package other than the input packages (coverage_map's templates/ and assets/)."""
    if not isinstance(root, ast.Call) or not isinstance(root.func, (ast.Name, ast.Attribute)):
        return False
    callee = root.func.id if isinstance(root.func, ast.Name) else root.func.attr
    if callee == "Path":
        return len(root.args) == 1 and isinstance(root.args[0], ast.Name) and root.args[0].id == "__file__"
    if callee != "files":
        return False
    package = _package(root)
    if package is None or package in INPUT_PACKAGES:
        return False
    return package != "coverage_map" or (bool(segments) and segments[0] in PROGRAM_FOLDERS)


def readers_in(source: str, module: str = "snippet") -> list[str]:
    visitor = Readers(module)
    visitor.visit(ast.parse(source))
    return visitor.found


@pytest.mark.parametrize("module", RENDERERS)
def test_renderers_read_no_input(module):
    path = PACKAGE / f"{module}.py"
    assert readers_in(path.read_text(encoding="utf-8"), module) == []


def test_every_module_that_takes_an_analysis_is_a_renderer_or_a_stage():
    """A new module that renders an Analysis falls under the rule without being listed by hand."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        takes = any(isinstance(n, ast.ImportFrom) and n.module in ("model", "coverage_map.model")
                    and any(a.name == "Analysis" for a in n.names) for n in ast.walk(tree))
        if takes:
            assert path.stem in RENDERERS + STAGES, f"{path.name} takes an Analysis: add it to RENDERERS or STAGES"


@pytest.mark.parametrize("source", [
    "from .inventory import load_usage\ndef f():\n    return load_usage()\n",
    "from . import inventory\ndef f():\n    return inventory.load_usage()\n",
    "from coverage_map.inventory import load_indicators\n",
    "import coverage_map.inventory\n",
    "from .pipeline import analyse\n",
    "from .boundaries import metric_crs, read_vector, to_lonlat\n",
    "from .districts import load_gazetteer\n",
    "from .sources import fetch, registry\n",
    "import pandas as pd\ndef f(p):\n    return pd.read_csv(p)\n",
    "import geopandas as gpd\ndef f(analysis):\n    return gpd.read_file(analysis.boundary.path)\n",
    "import json\ndef f(p):\n    with open(p) as handle:\n        return json.load(handle)\n",
    "from pathlib import Path\ndef f(analysis):\n    return Path(analysis.boundary.path).read_bytes()\n",
    "def f(path):\n    with path.open() as handle:\n        return handle.read()\n",
    "from importlib.resources import files\ndef f():\n    return files('coverage_map.data').joinpath('usage.csv').read_text()\n",
    "from importlib.resources import files\ndef f():\n    data = files('coverage_map') / 'data'\n    return (data / 'usage.csv').read_text()\n",
    "from importlib.resources import files\ndef f():\n    return files('coverage_map.geo')\n",
])
def test_the_rule_refuses_a_reader(source):
    assert readers_in(source), source


@pytest.mark.parametrize("source", [
    "from importlib.resources import files\ndef f():\n    return (files('coverage_map') / 'templates' / 'map.html.j2').read_text()\n",
    "from importlib.resources import files\ndef f():\n    leaflet = files('xstatic.pkg.leaflet') / 'data'\n"
    "    return leaflet.joinpath('leaflet.js').read_text(encoding='utf-8')\n",
    "from pathlib import Path\ndef f():\n    return Path(__file__).read_bytes()\n",
    "from .boundaries import metric_crs\nfrom .districts import normalize_name\n",
    "import json\ndef f(data):\n    return json.loads(json.dumps(data))\n",
])
def test_the_rule_allows_the_program_s_own_resources(source):
    assert readers_in(source) == [], source


def test_a_reader_added_to_the_report_fails():
    """The check that the issue asks for: report.py calling load_usage() again is caught."""
    source = (PACKAGE / "report.py").read_text(encoding="utf-8")
    changed = source.replace("usage, indicators = analysis.usage, analysis.indicators",
                             "usage, indicators = load_usage(), analysis.indicators")
    assert changed != source
    assert any("load_usage" in line for line in readers_in(changed, "report"))
