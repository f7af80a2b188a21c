"""Designs: the points of an experiment (full grid, Latin hypercube, Sobol/Saltelli) and their seeds.

Every design is a deterministic function of the experiment file: the Latin hypercube and the
Saltelli sample draw from ``SeedSequence((root_seed, DESIGN_TAG))``, so rerunning an
experiment gives the same points (resume depends on it). Run seeds come from
``SeedSequence(root_seed).spawn(n)``: with ``seeds = "common"`` there is one child per
replicate, shared by every design point (common random numbers: differences between points are
not blurred by different shocks), with ``"independent"`` one child per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.config.experiment import Experiment

DESIGN_TAG = 0xDE5161
"""Mixed into the root seed for the design's own random draws (LHS, Saltelli scrambling)."""


@dataclass
class Design:
    """Design points (parameter name -> value) and, for Sobol, SALib's problem definition."""

    points: list[dict[str, Any]]
    replicates: int
    problem: dict[str, Any] | None = None

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates

    def table(self) -> pd.DataFrame:
        """One row per design point: ``point`` and the parameter values."""
        df = pd.DataFrame(self.points)
        df.insert(0, "point", np.arange(len(self.points), dtype=np.int64))
        return df


def design_rng(exp: Experiment) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence((exp.root_seed, DESIGN_TAG)))


def grid_points(exp: Experiment) -> list[dict[str, Any]]:
    """Every combination of the parameters' values (the last parameter varies fastest)."""
    return list(exp.grid_points())


def lhs_points(exp: Experiment) -> list[dict[str, Any]]:
    """``samples`` points of a Latin hypercube (scipy.stats.qmc) mapped onto the ranges."""
    unit = qmc.LatinHypercube(d=len(exp.parameters), rng=design_rng(exp)).random(exp.samples)
    return [{p.name: p.from_unit(float(u[j])) for j, p in enumerate(exp.parameters)} for u in unit]


def sobol_problem(exp: Experiment) -> dict[str, Any]:
    """SALib's problem: the parameters on [0, 1] (mapped to their ranges afterwards, log or not)."""
    return {"num_vars": len(exp.parameters), "names": [p.name for p in exp.parameters],
            "bounds": [[0.0, 1.0]] * len(exp.parameters)}


def saltelli_points(exp: Experiment) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Saltelli's extension of the Sobol sequence (SALib): N(D+2) points, N(2D+2) with second order."""
    from SALib.sample import sobol

    problem = sobol_problem(exp)
    seed = int(design_rng(exp).integers(2**32))
    unit = sobol.sample(problem, exp.samples, calc_second_order=exp.second_order, scramble=True, seed=seed)
    points = [{p.name: p.from_unit(float(u[j])) for j, p in enumerate(exp.parameters)} for u in unit]
    return points, problem


def build_design(exp: Experiment) -> Design:
    if exp.design == "grid":
        return Design(grid_points(exp), exp.replicates)
    if exp.design == "lhs":
        return Design(lhs_points(exp), exp.replicates)
    points, problem = saltelli_points(exp)
    return Design(points, exp.replicates, problem)


def seed_children(exp: Experiment, n_points: int) -> int:
    """How many children of ``SeedSequence(root_seed)`` the runs use."""
    return exp.replicates if exp.seeds == "common" else n_points * exp.replicates


def spawn_index(exp: Experiment, point: int, replicate: int) -> int:
    """Index of the run's child in ``SeedSequence(root_seed).spawn(...)``."""
    return replicate if exp.seeds == "common" else point * exp.replicates + replicate


def run_seed(root_seed: int, index: int) -> int:
    """The integer seed handed to ``sim.run.simulate``: 63 bits of child ``index`` of the root.

    Reproduce one run by hand: ``SeedSequence(root_seed, spawn_key=(index,))`` is the same child
    as ``SeedSequence(root_seed).spawn(index + 1)[index]``, and this takes its first 64-bit word.
    """
    child = np.random.SeedSequence(root_seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
