"""`marginsim validate`'s files: ``validation.json``, ``validation.md`` and ``validation.png``.

Everything here reads the JSON-ready result of :func:`sim.analysis.validate.validate` (so a saved
``validation.json`` can be drawn again): the Markdown tables and the eight-panel figure of the
simulated baseline vs the S&P 500 and FINRA, and of the TFG (2012) leverage sweep; the validated
scenarios' section comes from :mod:`sim.report.validated`.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from sim.analysis.validate import MONTH
from sim.core.files import write_json, write_text
from sim.report import style
from sim.report.validated import scenarios_markdown

REAL = dict(color=style.PALETTE["black"], label="S&P 500 1999-2018")
SIM = dict(color=style.PALETTE["vermillion"], label="baseline (seed 1)")
OFF = dict(color=style.PALETTE["sky"], label="baseline, every channel off")
SERIES = (("real", REAL), ("simulated", SIM), ("channels_off", OFF))
"""The three return series of the distribution panels, with their looks."""

FACT_ROWS = (("days", "days", 0), ("annualized vol", "annualized_vol", 3), ("skewness", "skewness", 2),
             ("excess kurtosis", "excess_kurtosis", 2), ("Hill index, 2.5% worst days", "hill_index", 2),
             ("ACF of r, lag 1", "acf_r_1", 3), ("max abs ACF of r, lags 1-5", "max_abs_acf_r_1_5", 3),
             ("ACF of abs r, lag 1", "acf_abs_r_1", 3), ("ACF of abs r, lag 10", "acf_abs_r_10", 3),
             ("ACF of abs r, lag 50", "acf_abs_r_50", 3), ("ACF of abs r, lag 100", "acf_abs_r_100", 3),
             ("corr(r_t, abs r_t+1)", "leverage_1", 3))
"""The stylized-facts table: row label, key and decimals."""
DEBT_ROWS = (("year-on-year growth, median", "yoy_median"), ("year-on-year growth, std", "yoy_std"),
             ("year-on-year growth, lowest", "yoy_min"), ("year-on-year growth, highest", "yoy_max"),
             ("corr(debt growth, index growth), yoy", "corr_with_index_yoy"),
             ("index fall in its worst crash", "index_fall"),
             ("debt fall after the index peak (24 months)", "debt_fall_after_peak"),
             ("debt's own max drawdown", "debt_max_drawdown"))
"""The margin-debt table: row label and key."""


def write(res: dict, out: Path) -> list[Path]:
    """Write validation.json, validation.md and validation.png into ``out`` (created if missing), atomically.

    Parameters
    ----------
    res : dict
        The result of :func:`sim.analysis.validate.validate` (or a saved ``validation.json``).
    out : Path
        The output folder.

    Returns
    -------
    list of Path
        The Markdown report, the JSON document and the figure.
    """
    out.mkdir(parents=True, exist_ok=True)
    json_path = write_json(out / "validation.json", res, indent=1)
    md_path = write_text(out / "validation.md", report_markdown(res))
    png = plot_validation(res, out / "validation.png")
    return [md_path, json_path, png]


# --------------------------------------------------------------------------- Markdown

def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def report_markdown(res: dict) -> str:
    """The validation report (tables) as Markdown."""
    lines = [*_intro(res), *_facts_table(res), *_targets_table(res), *scenarios_markdown(res),
             *_margin_debt_table(res), *_tfg_table(res), "", "![Validation: simulated vs S&P 500](validation.png)", ""]
    return "\n".join(lines)


def _intro(res: dict) -> list[str]:
    sizes, base, real = res["sizes"], res["baseline"], res["real"]
    return [
        "# Validation against real data",
        "",
        f"Written by `marginsim validate` ({res['mode']} mode), marginsim {res['version']}, in "
        f"{res['seconds']:.0f} s. Baseline: scenario `{base['scenario']}` (hash "
        f"{base['scenario_hash']}), {sizes['baseline_days']} trading days, "
        f"{sizes['accounts']:,} margin accounts, seeds {', '.join(map(str, base['seeds']))}, the first "
        f"{sizes['burn_in']} days dropped. Real: S&P 500 daily log returns "
        f"{real['first_day']} to {real['last_day']} ({real['source']}).",
    ]


def _facts_table(res: dict) -> list[str]:
    real, med, off = res["real"]["facts"], res["simulated_median"], res["channels_off"]
    seeds = res["baseline"]["seeds"]
    first = res["simulated"][0]
    lines = ["", "## Stylized facts of daily returns", "",
             f"| statistic | S&P 500 | baseline, median of {len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
             f"| range over seeds | seed {seeds[0]} "
             "| every channel off |",
             "|---|---|---|---|---|---|"]
    for label, key, d in FACT_ROWS:
        values = [s[key] for s in res["simulated"]]
        lines.append(f"| {label} | {_fmt(real[key], d)} | {_fmt(med[key], d)} | {_fmt(min(values), d)} to "
                     f"{_fmt(max(values), d)} | {_fmt(first[key], d)} | {_fmt(off[key], d)} |")
    return lines


def _targets_table(res: dict) -> list[str]:
    seeds = res["baseline"]["seeds"]
    lines = ["", "## Targets", "",
             "Judged on the median over seeds; 'seeds' counts the seeds that meet the target on their own.", "",
             "| target | allowed | S&P 500 | baseline (median) | met | miss by | seeds |",
             "|---|---|---|---|---|---|---|"]
    for t in res["targets"]:
        lines.append(f"| {t['label']} | {t['range']} | {_fmt(t['real'])} | {_fmt(t['simulated_median'])} | "
                     f"{'yes' if t['met'] else '**no**'} | {_fmt(t['miss']) if not t['met'] else '-'} | "
                     f"{t['seeds_met']}/{len(seeds) if t['key'] != 'off_excess_kurtosis' else 1} |")
    return lines


def _margin_debt_table(res: dict) -> list[str]:
    s, f = res["margin_debt"]["simulated"], res["margin_debt"]["finra"]
    lines = ["", "## Margin debt", "",
             f"Simulated margin debt (seed {res['baseline']['seeds'][0]}, sampled every {MONTH} trading days) next "
             f"to FINRA's monthly debit balances from {f['first_month']} over the S&P 500 sample. The crash is each "
             "index's largest peak-to-trough fall (monthly); the debt's fall is from its level at the index peak to "
             "its low in the 24 months after.", "",
             "| margin debt | simulated | FINRA |", "|---|---|---|"]
    lines += [f"| {label} | {_fmt(s[key])} | {_fmt(f[key])} |" for label, key in DEBT_ROWS]
    return lines


def _tfg_table(res: dict) -> list[str]:
    tfg = res["tfg"]
    lines = ["", "## Thurner, Farmer and Geanakoplos (2012)", "",
             f"Scenario `{tfg['scenario']}` with `value_funds.max_leverage` = lambda_max, {tfg['days']:,} steps, "
             f"seeds {', '.join(map(str, tfg['seeds']))} (mean, and range over seeds). Their finding: near-normal "
             "returns without leverage, fat tails and clustered volatility rising with leverage.", "",
             "| lambda_max | excess kurtosis | range | Hill index | range | ACF of abs r, lag 1 | funds wound up |",
             "|---|---|---|---|---|---|---|"]
    for row in tfg["rows"]:
        lines.append(f"| {row['max_leverage']:g} | {row['excess_kurtosis']:.2f} | {row['excess_kurtosis_min']:.2f} to "
                     f"{row['excess_kurtosis_max']:.2f} | {row['hill_index']:.2f} | {row['hill_index_min']:.2f} to "
                     f"{row['hill_index_max']:.2f} | {row['acf_abs_r_1']:.3f} | {row['failures']:.0f} |")
    return lines


# --------------------------------------------------------------------------- figure

def plot_validation(res: dict, path: str | Path) -> Path:
    """Eight panels: return density, loss tail, ACF of |r|, ACF of r, leverage effect, margin debt, TFG."""
    style.apply()
    fig, axes = plt.subplots(4, 2, figsize=(10, 13), constrained_layout=True)
    real, sims, off = res["real"]["facts"], res["simulated"], res["channels_off"]
    _density(axes[0, 0], res["distribution"])
    _loss_tail(axes[0, 1], res["distribution"])
    _acf_abs(axes[1, 0], real, sims, off)
    _acf(axes[1, 1], real, sims, off)
    _leverage_effect(axes[2, 0], real, sims, off)
    _margin_debt(axes[2, 1], res["margin_debt"])
    _tfg(axes[3], res["tfg"]["rows"])
    fig.suptitle("Validation: calibrated baseline vs S&P 500 and FINRA; the TFG (2012) leverage sweep", fontsize=11)
    return style.savefig(fig, path)


def _density(ax, dist: dict) -> None:
    edges = np.array(dist["edges"])
    mid = 0.5 * (edges[1:] + edges[:-1])
    for key, kw in SERIES:
        d = np.array(dist[key]["density"])
        ax.plot(mid[d > 0], d[d > 0], marker=".", markersize=3, linewidth=1, **kw)
    ax.plot(mid, np.exp(-mid**2 / 2) / math.sqrt(2 * math.pi), linestyle="--", color="grey", label="normal")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1.0)
    ax.set_xlabel("daily return, standard deviations from the mean")
    ax.set_ylabel("probability density (log scale)")
    ax.set_title("Distribution of daily returns")
    ax.legend(loc="upper right")


def _loss_tail(ax, dist: dict) -> None:
    grid = np.array(dist["tail_grid"])
    for key, kw in SERIES:
        t = np.array(dist[key]["loss_tail"])
        ax.loglog(grid[t > 0], t[t > 0], marker=".", markersize=3, linewidth=1, **kw)
    ax.loglog(grid, norm.sf(grid), linestyle="--", color="grey", label="normal")
    ax.set_ylim(1e-4, 1.0)
    ax.set_xlabel("loss x, standard deviations (log scale)")
    ax.set_ylabel("share of days with a loss > x (log scale)")
    ax.set_title("Loss tail: straight line = power law")
    ax.legend(loc="lower left")


def _acf_abs(ax, real: dict, sims: list[dict], off: dict) -> None:
    lags = np.arange(1, len(real["acf_abs_returns"]) + 1)
    for s in sims[1:]:
        ax.plot(lags, s["acf_abs_returns"], color=SIM["color"], alpha=0.25, linewidth=0.8)
    ax.plot(lags, sims[0]["acf_abs_returns"], **(SIM | {"label": f"baseline (seed 1; faint: {len(sims) - 1} more)"}))
    ax.plot(lags, real["acf_abs_returns"], **REAL)
    ax.plot(lags, off["acf_abs_returns"], **OFF)
    ax.axhline(2 / math.sqrt(real["days"]), linestyle=":", color="grey", label="2 / sqrt(n): noise level")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag, trading days")
    ax.set_ylabel("autocorrelation of |r|")
    ax.set_title("Volatility clustering: ACF of absolute returns")
    ax.legend(loc="upper right")


def _acf(ax, real: dict, sims: list[dict], off: dict) -> None:
    lags = np.arange(1, len(real["acf_returns"]) + 1)
    width = 0.27
    ax.bar(lags - width, real["acf_returns"], width, color=REAL["color"], label=REAL["label"])
    ax.bar(lags, sims[0]["acf_returns"], width, color=SIM["color"], label=SIM["label"])
    ax.bar(lags + width, off["acf_returns"], width, color=OFF["color"], label=OFF["label"])
    band = 2 / math.sqrt(real["days"])
    ax.axhspan(-band, band, color="grey", alpha=0.15, label="+/- 2 / sqrt(n)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag, trading days")
    ax.set_ylabel("autocorrelation of r")
    ax.set_title("Returns themselves are nearly uncorrelated")
    ax.legend(loc="lower right")


def _leverage_effect(ax, real: dict, sims: list[dict], off: dict) -> None:
    lags = np.arange(1, len(real["leverage_effect"]) + 1)
    for s in sims[1:]:
        ax.plot(lags, s["leverage_effect"], color=SIM["color"], alpha=0.25, linewidth=0.8)
    ax.plot(lags, sims[0]["leverage_effect"], marker="o", markersize=3, **SIM)
    ax.plot(lags, real["leverage_effect"], marker="o", markersize=3, **REAL)
    ax.plot(lags, off["leverage_effect"], marker="o", markersize=3, **OFF)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("lag k, trading days")
    ax.set_ylabel("corr(r_t, |r_t+k|)")
    ax.set_title("Leverage effect: falls raise later volatility (< 0)")
    ax.legend(loc="lower right")


def _margin_debt(ax, md: dict) -> None:
    for key, kw in (("finra", dict(color=REAL["color"], label="FINRA debit balances")),
                    ("simulated", dict(color=SIM["color"], label="simulated margin book (seed 1)"))):
        yoy = 100 * np.array(md[key]["yoy"])
        ax.plot(1 + np.arange(yoy.size) / 12, yoy, **kw)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel(f"years since the start (FINRA: from {md['finra']['first_month'][:7]})")
    ax.set_ylabel("year-on-year growth, %")
    ax.set_title("Margin debt: year-on-year growth")
    ax.legend(loc="upper right")


def _tfg(axes, rows: list[dict]) -> None:
    """Two panels: excess kurtosis and Hill index against the leverage cap (mean and range over seeds)."""
    lam = np.array([r["max_leverage"] for r in rows])
    for ax, key, label in ((axes[0], "excess_kurtosis", "excess kurtosis"),
                           (axes[1], "hill_index", "Hill tail index (2.5% worst)")):
        mean = np.array([r[key] for r in rows])
        lo = np.array([r[f"{key}_min"] for r in rows])
        hi = np.array([r[f"{key}_max"] for r in rows])
        ax.fill_between(lam, lo, hi, color=style.PALETTE["orange"], alpha=0.25, label="range over seeds")
        ax.plot(lam, mean, marker="o", color=style.PALETTE["orange"], label="mean over seeds")
        ax.set_xlabel("leverage cap lambda_max")
        ax.set_ylabel(label)
        ax.set_title(f"TFG (2012) model: {label} vs leverage cap")
        ax.legend(loc="best")
    axes[0].axhline(0, color="grey", linestyle="--", linewidth=0.8)
