"""Figures of single channels: leveraged-ETF rebalancing flow, and dealer gamma vs next-day moves."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.analysis.stylized_facts import pearson
from sim.config.scenario import load
from sim.model.market_model import MarketModel
from sim.report import style
from sim.report.paper.base import Figure, FigureData
from sim.run.simulate import simulate

SEED = 11


def _letf_run(spec) -> tuple[np.ndarray, np.ndarray]:
    """Step the model; per day: the closed-form rebalancing sum_f E_f (L_f - 1) r_f ($, with
    E_f = L_f x NAV_f at the previous close and r_f the fund's return since) and the simulated flow."""
    model = MarketModel(spec, seed=SEED)
    closed = []
    for _ in range(spec.simulation.days):
        before = [(f.last_exposure, f.terminated) for f in model.letfs]
        model.step()
        closed.append(sum(e * (f.leverage - 1) * f.last_return
                          for (e, was_closed), f in zip(before, model.letfs, strict=True)
                          if not (was_closed or f.terminated)))
    flow = np.array([row["flow_letf_usd"] for row in model.records])
    return np.array(closed), flow


def build_letf(quick: bool) -> FigureData:
    """finra-2026-05 with creations off (pure rebalancing) and as calibrated (creations offset half)."""
    days = 120 if quick else 252
    accounts = 5_000 if quick else 100_000
    arrays: dict[str, np.ndarray] = {}
    hashes = {}
    response = load("finra-2026-05").letf.flow_response
    for label, value in (("pure", 0.0), ("calibrated", response)):
        spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={days}",
                                      f"letf.flow_response={value}"])
        hashes[f"finra-2026-05 (flow_response={value})"] = spec.hash()
        arrays[f"{label}_closed_form"], arrays[f"{label}_flow"] = _letf_run(spec)
    return FigureData(arrays, seeds=[SEED], scenario_hashes=hashes, meta={"response": response, "days": days})


def plot_letf(data: FigureData, path: Path) -> None:
    style.apply()
    a, m = data.arrays, data.meta
    fig, ax = plt.subplots(figsize=(7, 5.5), constrained_layout=True)
    ax.scatter(a["pure_closed_form"] / 1e9, a["pure_flow"] / 1e9, s=12, color=style.PALETTE["blue"],
               label="rebalancing only (creations off)")
    ax.scatter(a["calibrated_closed_form"] / 1e9, a["calibrated_flow"] / 1e9, s=14, marker="x",
               color=style.PALETTE["vermillion"], label=f"with creations offsetting {m['response']:.0%} of it")
    lim = np.abs(np.concatenate([a["pure_closed_form"], a["calibrated_closed_form"]])).max() / 1e9 * 1.05
    x = np.linspace(-lim, lim, 10)
    ax.plot(x, x, color=style.PALETTE["black"], linewidth=1, label="flow = closed form")
    ax.plot(x, (1 - m["response"]) * x, color=style.PALETTE["black"], linewidth=1, linestyle="--",
            label=f"flow = {1 - m['response']:.1f} x closed form")
    ax.set_xlabel(r"closed form $\sum_f$ AUM$_f\cdot L_f(L_f-1)\cdot r_f$, \$ billion")
    ax.set_ylabel("simulated leveraged-ETF net flow at the close, $ billion")
    ax.set_title(f"Leveraged-ETF rebalancing: simulated flow against the closed form\n"
                 f"finra-2026-05, {m['days']} days, $179 bn of leveraged ETFs (85% on tech), seed {data.seeds[0]}")
    ax.legend(loc="upper left")
    style.savefig(fig, path)


def build_gamma(quick: bool) -> FigureData:
    """Five years of finra-2026-05 without the scheduled shock: daily dealer GEX and next-day |return|."""
    days = 250 if quick else 1260
    accounts = 5_000 if quick else 100_000
    spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={days}",
                                  "events.0.size=0", "events.1.size=0"])
    ts = simulate(spec, seed=SEED).timeseries
    gex = ts["dealer_gex_usd"].to_numpy()[:-1]
    nxt = np.abs(ts["index_return"].to_numpy()[1:])
    bins = 5 if quick else 10
    edges = np.quantile(gex, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, gex, side="right") - 1, 0, bins - 1)
    mean = np.array([nxt[which == b].mean() for b in range(bins)])
    sem = np.array([nxt[which == b].std(ddof=1) / np.sqrt((which == b).sum()) for b in range(bins)])
    centre = np.array([np.median(gex[which == b]) for b in range(bins)])
    return FigureData({"gex": gex, "next_abs_return": nxt, "bin_centre": centre, "bin_mean": mean, "bin_sem": sem},
                      seeds=[SEED], scenario_hashes={"finra-2026-05 (no shock)": spec.hash()},
                      meta={"days": days, "bins": bins})


def plot_gamma(data: FigureData, path: Path) -> None:
    style.apply()
    a, m = data.arrays, data.meta
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    ax.scatter(a["gex"] / 1e9, 100 * a["next_abs_return"], s=6, alpha=0.35, color=style.PALETTE["sky"],
               label="one trading day")
    ax.errorbar(a["bin_centre"] / 1e9, 100 * a["bin_mean"], yerr=100 * 1.96 * a["bin_sem"], fmt="o-",
                color=style.PALETTE["vermillion"], capsize=3, label=f"mean by {m['bins']}-quantile of GEX (95% CI)")
    ax.axvline(0, color=style.PALETTE["black"], linewidth=0.5)
    ax.set_xlabel("dealer gamma exposure at the close, $ billion per 1% move (short gamma < 0)")
    ax.set_ylabel("next day's absolute index return, %")
    corr = pearson(a["gex"], a["next_abs_return"])
    ax.set_title(f"Next-day absolute return by dealer gamma: correlation {corr:+.2f}\n"
                 f"finra-2026-05 without the scheduled shock, {m['days']} days, seed {data.seeds[0]}")
    ax.legend(loc="upper right")
    style.savefig(fig, path)


LETF_FIGURE = Figure("letf_flow", "Leveraged-ETF rebalancing flow against the sector return", build_letf, plot_letf)
GAMMA_FIGURE = Figure("gamma_next_day", "Next-day absolute return against dealer gamma", build_gamma, plot_gamma)
