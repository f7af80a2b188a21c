"""Figures from the sweep experiments: the phase diagram (experiment 1) and the Sobol indices (experiment 5).

Full size reads (and, where runs are missing, completes) ``results/experiments/NAME``: the sweep
resumes, so a folder that is already complete costs nothing. Quick mode runs the experiment's
``[small]`` size into a fresh temporary folder every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.experiments import PhaseDiagram, phase_cells, sobol_tables
from sim.config.experiment import load_experiment
from sim.report.experiments import plot_phase as draw_phase
from sim.report.paper.base import Figure, FigureData
from sim.report.sensitivity import plot_indices
from sim.sweep.design import build_design
from sim.sweep.engine import run_sweep
from sim.sweep.store import fingerprint, read_runs

EXPERIMENTS = Path(__file__).resolve().parents[3] / "experiments"
RESULTS = Path(__file__).resolve().parents[3] / "results" / "experiments"


def _runs(name: str, quick: bool):
    """(experiment, runs) for ``experiments/NAME.toml``, run to completion (small size when ``quick``)."""
    exp = load_experiment(os.path.relpath(EXPERIMENTS / f"{name}.toml"), small=quick)
    workers = max(1, min(2, os.cpu_count() or 1))
    if quick:
        with tempfile.TemporaryDirectory(prefix=f"marginsim-{name}-") as tmp:
            run_sweep(exp, tmp, workers=workers, progress=False)
            return exp, read_runs(tmp)
    folder = RESULTS / name
    if not _complete(exp, folder):  # a complete, matching folder is read as it is (nothing appended)
        run_sweep(exp, folder, workers=workers, progress=False)
    return exp, read_runs(folder)


def _complete(exp, folder: Path) -> bool:
    """Does ``folder`` hold every run of this very experiment (same fingerprint)?"""
    path = folder / "manifest.json"
    if not path.exists():
        return False
    saved = json.loads(path.read_text())
    return saved.get("status") == "complete" and saved.get("fingerprint") == fingerprint(exp, build_design(exp))


def _seeds(runs: pd.DataFrame) -> list[int]:
    return sorted({int(s) for s in runs["seed"]})


def _hashes(name: str, runs: pd.DataFrame) -> dict[str, str]:
    """One digest of every design point's scenario hash (there are up to thousands of points)."""
    unique = sorted(set(runs["scenario_hash"].astype(str)))
    digest = hashlib.sha256("\n".join(unique).encode()).hexdigest()[:16]
    return {f"experiments/{name}.toml: {len(unique)} scenarios (digest of their hashes)": digest}


def build_phase(quick: bool) -> FigureData:
    exp, runs = _runs("phase-diagram", quick)
    cells = phase_cells(exp, runs)
    arrays = {col: cells[col].to_numpy() for col in cells.columns}
    return FigureData(arrays, seeds=_seeds(runs), scenario_hashes=_hashes("phase-diagram", runs),
                      meta={"small": quick, "runs": int((runs["status"] == "ok").sum()), "root_seed": exp.root_seed})


def plot_phase(data: FigureData, path: Path) -> None:
    exp = load_experiment(EXPERIMENTS / "phase-diagram.toml", small=data.meta["small"], check_points=False)
    draw_phase(exp, PhaseDiagram.from_cells(exp, pd.DataFrame(data.arrays), data.meta["runs"]), path)


def build_sobol(quick: bool) -> FigureData:
    exp, runs = _runs("sobol", quick)
    arrays: dict[str, np.ndarray] = {}
    for metric, table in sobol_tables(exp, runs).items():
        for col in table.columns:
            arrays[f"{metric}|{col}"] = table[col].to_numpy()
    meta = {"small": quick, "points": int(runs["point"].nunique()), "samples": exp.samples,
            "root_seed": exp.root_seed, "runs": int((runs["status"] == "ok").sum())}
    return FigureData(arrays, seeds=_seeds(runs), scenario_hashes=_hashes("sobol", runs), meta=meta)


def plot_sobol(data: FigureData, path: Path) -> None:
    exp = load_experiment(EXPERIMENTS / "sobol.toml", small=data.meta["small"], check_points=False)
    tables: dict[str, dict[str, np.ndarray]] = {}
    for key, values in data.arrays.items():
        metric, col = key.split("|")
        tables.setdefault(metric, {})[col] = values
    frames = {m: pd.DataFrame(cols) for m, cols in tables.items()}
    plot_indices(frames, dict(exp.options.get("labels", {})),
                 f"Sobol indices of the drawdown, {data.meta['points']:,} Saltelli points (N = {data.meta['samples']}; "
                 f"root seed {data.meta['root_seed']}), 95% bootstrap intervals", path)


PHASE_FIGURE = Figure("phase_diagram", "Average leverage x shock size: P(drawdown >= 2 x shock), median cascade",
                      build_phase, plot_phase)
SOBOL_FIGURE = Figure("sobol_indices", "Sobol indices of the max drawdown (experiment 5)", build_sobol, plot_sobol)
