"""The Sobol indices figure: first-order and total indices per parameter, one panel per metric."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.report import style


def plot_indices(tables: dict[str, pd.DataFrame], labels: dict[str, str], title: str, path: Path) -> Path:
    """One panel per metric: S1 and ST per parameter with their confidence intervals.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Per metric, the indices as :func:`sim.analysis.sensitivity.sobol_indices` returns them.
    labels : dict of str to str
        Display names of the parameters (a parameter without one shows its name).
    title : str
        The figure's title.
    path : Path
        Where to write the figure.
    """
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
    return style.savefig(fig, path)
