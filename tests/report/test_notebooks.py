"""The research notebooks: committed without outputs, a question first and its answer last, no names in the
text that do not exist, and when run top to bottom (small sizes) no errors and an image from every plotting cell.

A *plotting cell* is a code cell tagged ``plot`` (cell metadata ``tags``). Each must show at least one
image after execution, no untagged cell may show one, and no untagged cell may call a plotting function,
so a new plot without the tag fails here instead of going unchecked.
"""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOT_TAG = "plot"
PLOTTING_CALL = re.compile(
    r"\bplt\.\w|\.plot\b|\bsubplots\(|\.(loglog|semilog[xy]|scatter|hist|imshow|bar|barh|fill_between)\(")
"""Source that draws a figure (pyplot, pandas ``.plot``, an Axes method)."""


def _code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _is_plot_cell(cell: nbformat.NotebookNode) -> bool:
    return PLOT_TAG in cell.metadata.get("tags", [])


def _images(cell: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.outputs)


def _executed(path: Path) -> nbformat.NotebookNode:
    """``path`` executed small, as a reader's Jupyter would: the kernel picks its own (inline) backend."""
    nb = nbformat.read(path, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MARGINSIM_NOTEBOOK_SMALL", "1")
        mp.delenv("MPLBACKEND", raising=False)  # a test (or the CLI run in-process) may have set Agg
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def test_there_are_at_least_four_notebooks():
    assert len(NOTEBOOKS) >= 4, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for _, cell in _code_cells(nb):
        assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_its_question_and_ends_with_the_answer(path):
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and re.match(r"# .+\?\n", first.source), \
        f"{path.name}: the first cell is a markdown title asking the question"
    assert last.cell_type == "markdown" and last.source.startswith("## Answer"), \
        f"{path.name}: the last cell is a markdown '## Answer' in words, with the numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_plotting_cell_is_tagged(path):
    nb = nbformat.read(path, as_version=4)
    untagged = [i for i, c in _code_cells(nb) if not _is_plot_cell(c) and PLOTTING_CALL.search(c.source)]
    assert not untagged, f"{path.name}: cells {untagged} plot but are not tagged {PLOT_TAG!r}"
    assert any(_is_plot_cell(c) for _, c in _code_cells(nb)), f"{path.name}: no plotting cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_every_plotting_cell_shows_an_image(path):
    nb = _executed(path)  # once per notebook: one test, so that test workers do not run it twice
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in _code_cells(nb) for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    missing = [i for i, c in _code_cells(nb) if _is_plot_cell(c) and _images(c) == 0]
    unexpected = [i for i, c in _code_cells(nb) if not _is_plot_cell(c) and _images(c) > 0]
    assert not missing, f"{path.name}: plotting cells {missing} show no image"
    assert not unexpected, f"{path.name}: cells {unexpected} show an image but are not tagged {PLOT_TAG!r}"


def test_importing_the_figure_modules_keeps_the_backend():
    """The library never switches backend (a notebook keeps its inline one); only the CLI chooses Agg."""
    code = ("import matplotlib.pyplot, sim.report.style, sim.report.figures, sim.report.validation; "
            "print(matplotlib.get_backend())")
    env = {**os.environ, "MPLBACKEND": "svg", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_names_in_the_prose_exist(path):
    """Files (``experiments/...``) and Python names (``sim.core.margin``) the markdown mentions exist."""
    prose = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    missing = [f for f in re.findall(r"\b(?:experiments|results|scripts|notebooks|sim)/[\w./-]*\w", prose)
               if not (ROOT / f).exists()]
    for name in re.findall(r"\bsim(?:\.\w+)+", prose):
        try:
            pkgutil.resolve_name(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, f"{path.name}: the text names {missing}, which do not exist"
