"""Figure: anatomy of a cascade, hour by hour, in the May 2026 scenario."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from sim.config.scenario import load
from sim.report import style
from sim.report.figures import CHANNEL_FLOWS, stack_channel_flows
from sim.report.paper.base import Figure, FigureData
from sim.run.simulate import simulate

SEED = 1
HOURS = 7           # substeps per day: about one per hour of the 6.5-hour session
FIRST, LAST = 57, 66  # trading days shown (the 10% shock lands at the open of day 60)


def build(quick: bool) -> FigureData:
    """Run finra-2026-05 with hourly substeps to a few days after the shock; keep the window."""
    accounts = 10_000 if quick else 1_000_000
    spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={LAST + 1}",
                                  f"simulation.substeps={HOURS}"])
    result = simulate(spec, seed=SEED, record_intraday=True)
    hourly = result.intraday
    window = hourly[(hourly["day"] >= FIRST) & (hourly["day"] <= LAST)]
    arrays = {"time": window["time"].to_numpy(), "index_level": window["index_level"].to_numpy(),
              "margin_calls": window["margin_calls"].to_numpy(),
              "liquidations": window["liquidations"].to_numpy()}
    for col, _, _ in CHANNEL_FLOWS:
        arrays[col] = window[col].to_numpy()
    return FigureData(arrays, seeds=[SEED], scenario_hashes={"finra-2026-05": spec.hash()},
                      meta={"accounts": accounts, "shock_day": 60, "hours": HOURS})


def plot(data: FigureData, path: Path) -> None:
    style.apply()
    a = data.arrays
    t = a["time"]
    width = 1.0 / data.meta["hours"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.step(t, a["index_level"], where="post", color=style.PALETTE["black"])
    ax.axvline(data.meta["shock_day"], color=style.PALETTE["vermillion"], linewidth=0.8,
               label="10% shock at the open")
    ax.set_ylabel("index level (day 0 = 100)")
    ax.set_title("Index level, hour by hour")
    ax.legend(loc="upper right")

    ax = axes[1]
    stack_channel_flows(ax, t - width, a, width=width, align="edge")
    ax.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax.set_ylabel("net $ billion bought per hour")
    ax.set_title("Procyclical trading by channel (selling below zero)")
    ax.legend(loc="lower right", ncols=2)

    ax = axes[2]
    ax.bar(t - width, a["margin_calls"], width=width, align="edge", color=style.PALETTE["orange"],
           label="margin calls issued")
    ax.bar(t - width, a["liquidations"], width=width, align="edge", color=style.PALETTE["vermillion"],
           alpha=0.8, label="forced liquidations")
    ax.set_ylabel("accounts per hour")
    ax.set_xlabel("trading day (ticks at the open; 7 substeps of about an hour each)")
    ax.set_title("Margin calls and liquidations")
    ax.legend(loc="upper right")
    fig.suptitle(f"Anatomy of a cascade: finra-2026-05, {data.meta['accounts']:,} margin accounts, "
                 f"seed {data.seeds[0]}", fontsize=11)
    style.savefig(fig, path)


FIGURE = Figure("cascade_anatomy", "A 10% shock hour by hour: prices, trading by channel, calls", build, plot)
