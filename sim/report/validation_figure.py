"""The validation figure: simulated vs S&P 500 stylized facts, margin debt vs FINRA, TFG sweep."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.report import style

REAL = dict(color=style.PALETTE["black"], label="S&P 500 1999-2018")
SIM = dict(color=style.PALETTE["vermillion"], label="baseline (seed 1)")
OFF = dict(color=style.PALETTE["sky"], label="baseline, every channel off")


def plot_validation(res: dict, path: str | Path) -> Path:
    """Eight panels: return density, loss tail, ACF of |r|, ACF of r, leverage effect, margin debt, TFG."""
    style.apply()
    fig, axes = plt.subplots(4, 2, figsize=(10, 13), constrained_layout=True)
    dist = res["distribution"]
    edges = np.array(dist["edges"])
    mid = 0.5 * (edges[1:] + edges[:-1])

    ax = axes[0, 0]
    for key, kw in (("real", REAL), ("simulated", SIM), ("channels_off", OFF)):
        d = np.array(dist[key]["density"])
        ax.plot(mid[d > 0], d[d > 0], marker=".", markersize=3, linewidth=1, **kw)
    ax.plot(mid, np.exp(-mid**2 / 2) / math.sqrt(2 * math.pi), linestyle="--", color="grey", label="normal")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1.0)
    ax.set_xlabel("daily return, standard deviations from the mean")
    ax.set_ylabel("probability density (log scale)")
    ax.set_title("Distribution of daily returns")
    ax.legend(loc="upper right")

    ax = axes[0, 1]
    grid = np.array(dist["tail_grid"])
    for key, kw in (("real", REAL), ("simulated", SIM), ("channels_off", OFF)):
        t = np.array(dist[key]["loss_tail"])
        ax.loglog(grid[t > 0], t[t > 0], marker=".", markersize=3, linewidth=1, **kw)
    from scipy.stats import norm
    ax.loglog(grid, norm.sf(grid), linestyle="--", color="grey", label="normal")
    ax.set_ylim(1e-4, 1.0)
    ax.set_xlabel("loss x, standard deviations (log scale)")
    ax.set_ylabel("share of days with a loss > x (log scale)")
    ax.set_title("Loss tail: straight line = power law")
    ax.legend(loc="lower left")

    real, sims, off = res["real"]["facts"], res["simulated"], res["channels_off"]
    n_real = real["days"]
    ax = axes[1, 0]
    lags = np.arange(1, len(real["acf_abs_returns"]) + 1)
    for s in sims[1:]:
        ax.plot(lags, s["acf_abs_returns"], color=SIM["color"], alpha=0.25, linewidth=0.8)
    ax.plot(lags, sims[0]["acf_abs_returns"], **(SIM | {"label": f"baseline (seed 1; faint: {len(sims) - 1} more)"}))
    ax.plot(lags, real["acf_abs_returns"], **REAL)
    ax.plot(lags, off["acf_abs_returns"], **OFF)
    ax.axhline(2 / math.sqrt(n_real), linestyle=":", color="grey", label="2 / sqrt(n): noise level")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag, trading days")
    ax.set_ylabel("autocorrelation of |r|")
    ax.set_title("Volatility clustering: ACF of absolute returns")
    ax.legend(loc="upper right")

    ax = axes[1, 1]
    lags5 = np.arange(1, len(real["acf_returns"]) + 1)
    width = 0.27
    ax.bar(lags5 - width, real["acf_returns"], width, color=REAL["color"], label=REAL["label"])
    ax.bar(lags5, sims[0]["acf_returns"], width, color=SIM["color"], label=SIM["label"])
    ax.bar(lags5 + width, off["acf_returns"], width, color=OFF["color"], label=OFF["label"])
    band = 2 / math.sqrt(n_real)
    ax.axhspan(-band, band, color="grey", alpha=0.15, label="+/- 2 / sqrt(n)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag, trading days")
    ax.set_ylabel("autocorrelation of r")
    ax.set_title("Returns themselves are nearly uncorrelated")
    ax.legend(loc="lower right")

    ax = axes[2, 0]
    lagsl = np.arange(1, len(real["leverage_effect"]) + 1)
    for s in sims[1:]:
        ax.plot(lagsl, s["leverage_effect"], color=SIM["color"], alpha=0.25, linewidth=0.8)
    ax.plot(lagsl, sims[0]["leverage_effect"], marker="o", markersize=3, **SIM)
    ax.plot(lagsl, real["leverage_effect"], marker="o", markersize=3, **REAL)
    ax.plot(lagsl, off["leverage_effect"], marker="o", markersize=3, **OFF)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag k, trading days")
    ax.set_ylabel("corr(r_t, |r_t+k|)")
    ax.set_title("Leverage effect: falls raise later volatility (< 0)")
    ax.legend(loc="lower right")

    ax = axes[2, 1]
    md = res["margin_debt"]
    for key, kw in (("finra", dict(color=REAL["color"], label="FINRA debit balances")),
                    ("simulated", dict(color=SIM["color"], label="simulated margin book (seed 1)"))):
        yoy = 100 * np.array(md[key]["yoy"])
        ax.plot(1 + np.arange(yoy.size) / 12, yoy, **kw)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(f"years since the start (FINRA: from {md['finra']['first_month'][:7]})")
    ax.set_ylabel("year-on-year growth, %")
    ax.set_title("Margin debt: year-on-year growth")
    ax.legend(loc="upper right")

    rows = res["tfg"]["rows"]
    lam = np.array([r["max_leverage"] for r in rows])
    for ax, key, label in ((axes[3, 0], "excess_kurtosis", "excess kurtosis"),
                           (axes[3, 1], "hill_index", "Hill tail index (2.5% worst)")):
        mean = np.array([r[key] for r in rows])
        lo = np.array([r[f"{key}_min"] for r in rows])
        hi = np.array([r[f"{key}_max"] for r in rows])
        ax.fill_between(lam, lo, hi, color=style.PALETTE["orange"], alpha=0.25, label="range over seeds")
        ax.plot(lam, mean, marker="o", color=style.PALETTE["orange"], label="mean over seeds")
        ax.set_xlabel("leverage cap lambda_max")
        ax.set_ylabel(label)
        ax.set_title(f"TFG (2012) model: {label} vs leverage cap")
        ax.legend(loc="best")
    axes[3, 0].axhline(0, color="grey", linestyle="--", linewidth=0.8)

    fig.suptitle("Validation: calibrated baseline vs S&P 500 and FINRA; the TFG (2012) leverage sweep", fontsize=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
