"""Figure: how much of each scenario's fall after its first shock comes from each channel (Shapley)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.analysis.attribution import attribute
from sim.config.finra import SCENARIO_MONTHS
from sim.config.scenario import load
from sim.report import style
from sim.report.paper.base import Figure, FigureData

SEED = 1
KEYS = ("base", "margin", "letf", "dealers", "vol_control")
LABELS = {"base": "base (shock + liquidity side)", "margin": "margin investors", "letf": "leveraged ETFs",
          "dealers": "options dealers", "vol_control": "vol-control funds"}
COLOURS = {"base": "black", "margin": "vermillion", "letf": "orange", "dealers": "blue", "vol_control": "green"}


def build(quick: bool) -> FigureData:
    """Shapley attribution of the 21-day fall after the first shock, per FINRA-calibrated scenario."""
    names = ["finra-2026-05", "recession"] if quick else list(SCENARIO_MONTHS)
    overrides = ["margin.accounts=2000", "simulation.days=100"] if quick else ["margin.accounts=100000"]
    values = np.zeros((len(names), len(KEYS) + 1))
    hashes = {}
    for row, name in enumerate(names):
        spec = load(name, overrides)
        hashes[name] = spec.hash()
        att = attribute(spec, SEED, workers=1 if quick else 2)
        values[row] = [att.values["shock_drawdown"][k] for k in (*KEYS, "total")]
    return FigureData({"values": values, "scenarios": np.array(names)}, seeds=[SEED], scenario_hashes=hashes,
                      meta={"overrides": overrides})


def plot(data: FigureData, path: Path) -> None:
    style.apply()
    v, names = data.arrays["values"], list(data.arrays["scenarios"])
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 2), constrained_layout=True)
    y = np.arange(len(names))
    left_pos = np.zeros(len(names))
    left_neg = np.zeros(len(names))
    for col, key in enumerate(KEYS):
        x = 100 * v[:, col]
        pos, neg = np.maximum(x, 0), np.minimum(x, 0)
        ax.barh(y, pos, left=left_pos, color=style.PALETTE[COLOURS[key]], label=LABELS[key])
        ax.barh(y, neg, left=left_neg, color=style.PALETTE[COLOURS[key]])
        left_pos, left_neg = left_pos + pos, left_neg + neg
    for row in range(len(names)):
        channels = 100 * (v[row, -1] - v[row, 0])
        ax.annotate(f"{100 * v[row, -1]:.1f}% (channels {channels:+.1f} pts)", (left_pos[row], row),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set_xlabel("index fall in the 21 days after the first shock, percentage points (Shapley contributions)")
    ax.set_xlim(right=ax.get_xlim()[1] * 1.3)
    ax.set_title(f"How much of each scenario's fall is leverage: the base and each channel's share "
                 f"(seed {data.seeds[0]})")
    ax.legend(loc="lower right", fontsize=7)
    style.savefig(fig, path)


FIGURE = Figure("attribution_by_scenario", "Shapley attribution of the fall after the first shock, per scenario",
                build, plot)
