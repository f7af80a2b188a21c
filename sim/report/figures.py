"""Figures of a single run."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.core.detarrays import matvec
from sim.report import style
from sim.run.results import SimulationResult

BN = 1e9
CHANNEL_FLOWS = [("flow_margin_forced_usd", "margin: forced", "vermillion"),
                 ("flow_margin_voluntary_usd", "margin: voluntary", "orange"),
                 ("flow_letf_usd", "leveraged ETFs", "purple"),
                 ("flow_dealer_usd", "options dealers", "blue"),
                 ("flow_vol_control_usd", "vol-control funds", "green")]
"""The procyclical channels' net flow columns, with their labels and colours in every figure."""


def stack_channel_flows(ax, x: np.ndarray, flows_usd: dict[str, np.ndarray], width: float,
                        align: str = "center") -> None:
    """Stacked bars of each channel's net $ flow in $ billion: buying stacks up, selling down."""
    pos = np.zeros(len(x))
    neg = np.zeros(len(x))
    for col, label, colour in CHANNEL_FLOWS:
        v = flows_usd[col] / BN
        up, down = np.maximum(v, 0), np.minimum(v, 0)
        ax.bar(x, up, bottom=pos, width=width, align=align, color=style.PALETTE[colour], label=label)
        ax.bar(x, down, bottom=neg, width=width, align=align, color=style.PALETTE[colour])
        pos, neg = pos + up, neg + down


def plot_overview(ts: pd.DataFrame, summary: dict, path: str | Path) -> Path:
    """Write :func:`overview_figure` to ``path`` (PNG, atomically); returns the path."""
    return style.savefig(overview_figure(ts, summary), path)


def plot_result(result: SimulationResult) -> Figure:
    """The run overview of ``result`` as a matplotlib Figure (what ``result.plot()`` returns).

    Parameters
    ----------
    result : SimulationResult
        A run from :func:`sim.simulate`.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels (see :func:`overview_figure`). It is not left open in pyplot, so a notebook
        shows it once, as the cell's value; elsewhere save it (``fig.savefig("overview.png")``).
    """
    fig = overview_figure(result.timeseries, result.summary)
    plt.close(fig)  # pyplot forgets it; the Figure itself stays whole (Jupyter would otherwise show it twice)
    return fig


def overview_figure(ts: pd.DataFrame, summary: dict) -> Figure:
    """Four panels: prices vs fundamentals, FINRA aggregates, forced trading, calls and vol.

    The x axis is the trading day number; the title gives the first and last dates when the
    run has them (``meta.start_date``).
    """
    style.apply()
    sc = summary["scenario"]
    names, weights = sc["market"]["assets"], sc["market"]["weights"]
    p0 = sc["market"]["initial_price"]
    day = ts["day"].to_numpy()
    fig, axes = plt.subplots(4, 1, figsize=(8, 9.5), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.plot(day, ts["index_level"], label="index (price)")
    fund = 100.0 * matvec(ts[[f"fundamental_{n}" for n in names]].to_numpy() / p0, np.array(weights))
    ax.plot(day, fund, linestyle="--", label="fundamental value")
    for ev in sc.get("events", []):
        ax.axvline(ev["day"], color=style.PALETTE["black"], linewidth=0.6, alpha=0.5)
    ax.set_ylabel("index level (day 0 = 100)")
    ax.set_title("Index price and fundamental value")
    ax.legend(loc="best")

    ax = axes[1]
    ax.plot(day, ts["margin_debt"] / BN, label="margin debt (debit balances)")
    ax.plot(day, ts["free_credit"] / BN, label="free credit balances")
    ax.plot(day, ts["net_credit_balance"] / BN, label="net credit balance")
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set_ylabel("$ billion")
    ax.set_title("FINRA aggregates of the simulated margin book")
    ax.legend(loc="center right", ncols=3, bbox_to_anchor=(1.0, 0.5))

    ax = axes[2]
    stack_channel_flows(ax, day, {col: ts[col].to_numpy() for col, _, _ in CHANNEL_FLOWS}, width=1.0)
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set_ylabel("net $ billion bought per day")
    ax.set_title("Procyclical trading by channel (selling below zero)")
    ax.legend(loc="lower left", ncols=3)

    ax = axes[3]
    ax.bar(day, ts["margin_calls"], width=1.0, label="margin calls issued", color=style.PALETTE["orange"])
    ax.set_ylabel("calls per day (accounts)")
    ax2 = ax.twinx()
    ax2.plot(day, 100 * ts["realized_vol"], color=style.PALETTE["purple"], label="realized vol (EWMA)")
    ax2.set_ylabel("annualised volatility, %")
    ax2.grid(False)
    ax.set_title("Margin calls and realized volatility")
    ax.set_xlabel("trading day")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left")

    m = summary["metrics"]
    dates = f" ({ts['date'].iloc[0]:%Y-%m-%d} to {ts['date'].iloc[-1]:%Y-%m-%d})" if "date" in ts else ""
    fig.suptitle(f"{summary['scenario_name']}{dates}: seed {summary['seed']}, max drawdown {m['max_drawdown']:.1%}, "
                 f"forced sales ${m['forced_sales_usd'] / BN:,.1f} bn", fontsize=11)
    return fig
