"""Sobol sensitivity indices of a Saltelli sweep (SALib), as a table (the figure: :mod:`sim.report.sensitivity`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.config.experiment import ExperimentError


def sobol_indices(problem: dict[str, Any], y: np.ndarray, *, second_order: bool = False, num_resamples: int = 1000,
                  conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with bootstrap confidence half-widths.

    ``y`` holds one model output per Saltelli point, in the sample's order.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ExperimentError(f"sobol: {int(np.sum(~np.isfinite(y)))} of {y.size} outputs are missing or not "
                              "finite (failed runs?); the indices need every point")
    res = sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=num_resamples,
                        conf_level=conf_level, seed=seed)
    return pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def point_means(runs: pd.DataFrame, metric: str, n_points: int) -> np.ndarray:
    """A metric averaged over replicates, one value per design point (NaN where a point has none)."""
    means = runs.groupby("point")[metric].mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)

