"""`marginsim attribute`'s files: the Shapley attribution as JSON and as a bar chart."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from sim import __version__
from sim.analysis.attribution import METRICS, Attribution
from sim.core.files import write_json
from sim.model.market_model import CHANNELS
from sim.report import style

BAR_LABELS = ["base (shock +\nliquidity side)", "margin\ninvestors", "leveraged\nETFs", "options\ndealers",
              "vol-control\nfunds"]
TITLES = ("Fall in the 21 days after the shock", "Max drawdown over the run", "Worst day's fall")


def payload(att: Attribution) -> dict:
    """The ``attribution.json`` document: the package version and :meth:`Attribution.to_json`."""
    return {"version": __version__, **att.to_json()}


def plot_attribution(att: Attribution, path: str | Path) -> Path:
    """Bar chart: the base shock and each channel's contribution to each metric, with its share."""
    style.apply()
    keys = ("base", *CHANNELS)
    colors = [style.PALETTE[c] for c in ("black", "vermillion", "orange", "blue", "green")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    for ax, metric, title in zip(axes, METRICS, TITLES, strict=True):
        vals = [100 * att.values[metric][k] for k in keys]
        shares = att.shares(metric)
        bars = ax.bar(BAR_LABELS, vals, color=colors)
        for bar, k in zip(bars, keys, strict=True):
            ax.annotate(f"{shares[k]:.0%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom" if bar.get_height() >= 0 else "top", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("contribution, percentage points")
        ax.set_title(f"{title}: total {100 * att.values[metric]['total']:.1f}%")
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"Shapley attribution, {att.scenario_name} (seed {att.seed}): share of the fall from each channel",
                 fontsize=11)
    return style.savefig(fig, path)


def write(att: Attribution, out: str | Path) -> list[Path]:
    """Write ``attribution.json`` and ``attribution.png`` into ``out`` (created if missing), atomically.

    Returns
    -------
    list of Path
        The JSON file and the figure.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(out / "attribution.json", payload(att)), plot_attribution(att, out / "attribution.png")]
