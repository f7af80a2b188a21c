"""Figure: FINRA margin debt 1997-2026 with the 2000, 2007 and 2021 peaks and the falls that followed."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.config import finra
from sim.report import style
from sim.report.paper.base import Figure, FigureData

PEAKS = ("2000-03", "2007-07", "2021-10")


def build(quick: bool) -> FigureData:
    """The packaged FINRA series (no simulation: quick and full are the same)."""
    debt = finra.debit_balances()
    falls = [finra.fall_after(p) for p in PEAKS]
    yoy = finra.yoy_series()
    return FigureData(
        {"month": debt.index.to_timestamp().to_numpy().astype("datetime64[D]"), "debit_usd": debt.to_numpy() * 1e6,
         "yoy_month": yoy.index.to_timestamp().to_numpy().astype("datetime64[D]"), "yoy": yoy.to_numpy()},
        meta={"falls": [{"peak": str(f.peak), "peak_usd": f.peak_usd, "trough": str(f.trough),
                         "trough_usd": f.trough_usd, "fall": f.fall} for f in falls],
              "latest": str(debt.index[-1]), "latest_usd": float(debt.iloc[-1]) * 1e6,
              "may_2026_usd": finra.debit_usd("2026-05")})


def plot(data: FigureData, path: Path) -> None:
    style.apply()
    a, m = data.arrays, data.meta
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=[2.2, 1],
                                  constrained_layout=True)
    ax.plot(a["month"], a["debit_usd"] / 1e9, color=style.PALETTE["blue"], label="debit balances (margin debt)")
    for f in m["falls"]:
        peak, trough = np.datetime64(f["peak"], "D"), np.datetime64(f["trough"], "D")
        ax.plot([peak, trough], [f["peak_usd"] / 1e9, f["trough_usd"] / 1e9], "o--",
                color=style.PALETTE["vermillion"], markersize=4)
        ax.annotate(f"peak {f['peak']}: ${f['peak_usd'] / 1e9:,.0f} bn\n{f['fall']:+.1%} by {f['trough']}",
                    (peak, f["peak_usd"] / 1e9), textcoords="offset points", xytext=(-60, 12), fontsize=8)
    may = np.datetime64("2026-05-01")
    ax.annotate(f"May 2026: ${m['may_2026_usd'] / 1e9:,.1f} bn (record)", (may, m["may_2026_usd"] / 1e9),
                textcoords="offset points", xytext=(-170, 0), fontsize=8, va="center")
    ax.set_ylabel("$ billion")
    ax.set_title("FINRA margin debt (debit balances in customers' securities margin accounts), month ends")
    ax.legend(loc="upper left")
    ax2.plot(a["yoy_month"], 100 * a["yoy"], color=style.PALETTE["green"])
    ax2.axhline(0, color=style.PALETTE["black"], linewidth=0.6)
    ax2.set_ylabel("year-on-year change, %")
    ax2.set_xlabel("month")
    ax2.set_title("Growth of margin debt over 12 months")
    fig.suptitle(f"Margin debt 1997-{m['latest'][:4]}: three peaks, three falls of a third to a half "
                 "(source: FINRA Rule 4521 statistics)", fontsize=11)
    style.savefig(fig, path)


FIGURE = Figure("finra_margin_debt", "FINRA margin debt 1997-2026, the 2000, 2007 and 2021 peaks and falls",
                build, plot)
