"""The architecture, checked: no import cycles, small modules and functions, imports at the top.

The layers contract itself (what may import what) is import-linter's, in pyproject.toml, run by
``scripts/test`` as ``lint-imports``; these tests cover what it does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

SIM = Path(__file__).resolve().parents[2] / "sim"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Functions allowed to be longer than MAX_FUNCTION_LINES, each with the reason (also a comment
# at the function). Keep this list short.
LONG_FUNCTIONS: dict[str, str] = {}

# Imports inside functions: only in sim/apps (lazy loading keeps `marginsim --help` fast) and of
# optional or heavy extras that most runs never need.
# (sim.sweep.dask_executor is the module that wraps distributed.)
# sim/core/jit.py imports numba when the first kernel is built, so that the formulas (and the
# command line's calculator) load without it.
# sim/run/dates.py imports exchange_calendars (0.6 s) only for a scenario with a start date.
# sim/config/universe.py imports pandas only to read a user's universe file (the scenario checks
# build the universe, and the config layer loads without pandas).
LAZY_MODULES = {"sim/core/jit.py": ("numba",), "sim/run/dates.py": ("exchange_calendars",),
                "sim/config/universe.py": ("pandas",)}
OPTIONAL_EXTRAS = ("distributed", "dask", "SALib", "solara", "mesa.visualization", "playwright", "psutil",
                   "sim.sweep.dask_executor")


def _sources() -> list[Path]:
    return sorted(p for p in SIM.rglob("*.py") if "__pycache__" not in p.parts)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_strongly_connected_finds_a_known_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _strongly_connected(graph) == [{"a", "b", "c"}]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    g = grimp.build_graph("sim", exclude_type_checking_imports=True)
    graph = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    cycles = _strongly_connected(graph)
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_modules_are_small():
    big = {str(p.relative_to(SIM.parent)): n for p in _sources()
           if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def _functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function, its docstring not counted (numpydoc parameter lists are welcome)."""
    n = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1
    return n


def test_functions_are_short():
    long = {}
    for p in _sources():
        for fn in _functions(p):
            name = f"{p.relative_to(SIM.parent)}:{fn.name}"
            if (n := _code_lines(fn)) > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                long[name] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_imports_inside_functions_only_where_allowed():
    bad = []
    for p in _sources():
        if "apps" in p.relative_to(SIM).parts:
            continue
        for fn in _functions(p):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                lazy = LAZY_MODULES.get(str(p.relative_to(SIM.parent)), ())
                names = [n for n in names if not n.startswith(OPTIONAL_EXTRAS + lazy)]
                if names:
                    bad.append(f"{p.relative_to(SIM.parent)}:{node.lineno} {fn.name}: {', '.join(names)}")
    assert not bad, "imports inside functions (move them to the top):\n" + "\n".join(bad)


@pytest.mark.parametrize("package", ["core", "book", "config", "model", "run", "sweep", "analysis", "report", "apps"])
def test_every_layer_is_a_package_with_a_docstring(package):
    init = SIM / package / "__init__.py"
    assert init.is_file()
    assert ast.get_docstring(ast.parse(init.read_text())), f"sim/{package}/__init__.py: say what the layer holds"


def test_test_modules_have_unique_basenames():
    """pytest imports test modules by basename (the test folders are not packages): two files with
    the same name stop the collection of the whole suite."""
    names = [p.name for p in (Path(__file__).resolve().parents[1]).rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
