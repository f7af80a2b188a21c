"""The per-stock view: the stock layer on the page's market path, as a heatmap, sector bars and a table.

The stock layer (:mod:`sim.run.stocks`) runs on a *finished* market path, so the view is not
drawn day by day: :func:`stock_view` takes run A of the page's model and, when its scenario has
``stocks.enabled``, runs the layer on that run's daily series, exactly as ``sim.simulate(spec,
seed)`` does (same spec, seed and market path: the same numbers, tested). If the live run has
reached its last day its own records are the path; otherwise the market is run to its last day
here (the compiled engine, as ``sim.simulate``), leaving the live run where it is.

It returns the figures of the static set (:func:`sim.report.stocks.stock_heatmap`,
:func:`sim.report.stocks.sector_bars`) as PNG and the ten names with the largest forced sales.
"""

from __future__ import annotations

import functools
import io
import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.stock_tables import stock_summary
from sim.apps.dashboard.model import DashboardModel
from sim.config.scenario import Scenario, builtin_names, load
from sim.report.stocks import sector_bars, stock_heatmap
from sim.run.simulate import path_series
from sim.run.stocks import stock_layer, stock_metrics

HEATMAP_NAMES = 25
"""Names in the heatmap (the most sold by margin calls, grouped by sector)."""
TABLE_NAMES = 10
"""Rows of the table: the names with the largest forced sales."""
TABLE_COLUMNS = {"ticker": "ticker", "sector": "sector", "drawdown_pct": "max drawdown, %",
                 "forced_sales_busd": "forced sales, $ bn"}
"""The table's columns and their headings."""


@functools.cache
def stock_scenarios() -> tuple[str, ...]:
    """The built-in scenarios with ``stocks.enabled``, in name order."""
    return tuple(name for name in builtin_names() if load(name).stocks.enabled)


def no_layer_line(name: str) -> str:
    """What the view says for a scenario without the stock layer: one line naming those that have it."""
    have = stock_scenarios()
    listed = ", ".join(have[:-1]) + f" and {have[-1]}" if len(have) > 1 else "".join(have)
    return f"{name} has no stock layer (stocks.enabled is off); the scenarios that have one: {listed}."


@dataclass(frozen=True)
class StockView:
    """What the view shows for one model: both figures (PNG), the top names and a summary line."""

    model_id: int
    scenario: str
    seed: int
    source: str
    heatmap_png: bytes
    sectors_png: bytes
    table: pd.DataFrame
    summary: str
    seconds: float


def top_forced(path, k: int = TABLE_NAMES) -> pd.DataFrame:
    """The ``k`` names with the largest forced sales (then the deepest drawdown): :data:`TABLE_COLUMNS`."""
    names = stock_summary(path).reset_index()
    names = names.sort_values(["forced_sales_usd", "drawdown"], ascending=False, kind="stable").head(k)
    return pd.DataFrame({"ticker": names["ticker"].to_numpy(), "sector": names["sector"].to_numpy(),
                         "drawdown_pct": 100.0 * names["drawdown"].to_numpy(),
                         "forced_sales_busd": names["forced_sales_usd"].to_numpy() / 1e9})


def market_path(model: DashboardModel) -> tuple[pd.DataFrame, str]:
    """Run A's daily series (its own records if it has run to the end, else run here) and where it came from."""
    run = model.runs[0]
    if run.done:
        ts = pd.DataFrame.from_records(run.model.records)
        return ts, f"the live run's market path (all {run.days} days)"
    ts, _ = path_series(run.resolved.spec, run.resolved.seed)
    return ts, (f"the market run to its last day (day {run.days - 1}) beside the live run, which stays on day "
                f"{len(run.model.records)}")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=90)
    finally:
        plt.close(fig)
    return buf.getvalue()


def _summary(spec: Scenario, book, path) -> str:
    m = stock_metrics(spec, book, path)
    top = (f", most in {m['top_forced_name']} ({m['top_forced_name_share']:.0%} of it)" if m["top_forced_name"]
           else "")
    return (f"{m['names']:,} names, a stock book of {m['accounts']:,} accounts with "
            f"${m['initial_margin_debt_usd'] / 1e9:,.0f} bn of margin debt: forced sales "
            f"${m['forced_sales_usd'] / 1e9:,.1f} bn over the run{top}; stock index max drawdown "
            f"{m['max_drawdown']:.1%}, worst name {m['worst_name']} ({m['worst_name_drawdown']:.1%}).")


def stock_view(model: DashboardModel) -> StockView:
    """The stock layer on run A's market path: figures, top names and summary (needs ``stocks.enabled``)."""
    if model.resolved is None:
        raise ValueError("stock_view: the model has no good run (bad inputs)")
    spec, seed = model.resolved.spec, model.resolved.seed
    if not spec.stocks.enabled:
        raise ValueError(f"stock_view: {no_layer_line(spec.meta.name)}")
    start = time.perf_counter()
    ts, source = market_path(model)
    book, path = stock_layer(spec, seed, ts)
    caps = book.price0 * book.shares_outstanding
    heat = _png(stock_heatmap(path, HEATMAP_NAMES))
    bars = _png(sector_bars(path, market_value0=caps))
    return StockView(id(model), spec.meta.name, seed, source, heat, bars, top_forced(path), _summary(spec, book, path),
                     time.perf_counter() - start)
