"""Sobol sensitivity indices of a Saltelli sweep (SALib), as a table, JSON, markdown and a figure."""

from __future__ import annotations

from pathlib import Path
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


def plot_indices(tables: dict[str, pd.DataFrame], labels: dict[str, str], title: str, path: Path) -> Path:
    """One panel per metric: S1 and ST per parameter with their confidence intervals."""
    import matplotlib.pyplot as plt

    from sim.report import style

    style.apply()
    fig, axes = plt.subplots(1, len(tables), figsize=(5.2 * len(tables), 4.2), constrained_layout=True,
                             squeeze=False)
    for ax, (metric, table) in zip(axes[0], tables.items(), strict=True):
        x = np.arange(len(table))
        ax.bar(x - 0.2, table["S1"], 0.4, yerr=table["S1_conf"], capsize=3, color=style.PALETTE["blue"],
               label="first order S1")
        ax.bar(x + 0.2, table["ST"], 0.4, yerr=table["ST_conf"], capsize=3, color=style.PALETTE["vermillion"],
               label="total ST")
        ax.set_xticks(x, [labels.get(p, p) for p in table["parameter"]], rotation=30, ha="right")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("Sobol index (share of output variance)")
        ax.set_title(metric.replace("_", " "))
        ax.legend(loc="upper right")
    fig.suptitle(title, fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
