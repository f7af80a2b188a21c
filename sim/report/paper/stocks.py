"""Figures: the semiconductor crash name by name (the stock layer, semis-crash).

The heatmap of the names most sold by margin calls (drawdown by name and day, beside their forced
sales) and the per-sector bars (each sector index's fall and forced sales, split by Shapley value
over the layer's channels), both drawn by :mod:`sim.report.stocks`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.analysis.stock_tables import stock_attribution
from sim.config.scenario import load
from sim.report import style
from sim.report.paper.base import Figure, FigureData
from sim.report.stocks import heatmap_data, sector_bars, sector_data, stock_heatmap
from sim.run.simulate import simulate

SCENARIO = "semis-crash"
SEED = 1
TOP = 30


def _run(quick: bool):
    overrides = ["margin.accounts=2000", "stocks.accounts=5000"] if quick else []
    spec = load(SCENARIO, overrides)
    return spec, simulate(spec, seed=SEED)


def _with_source(data: FigureData, spec, quick: bool) -> FigureData:
    data.seeds = [SEED]
    data.scenario_hashes = {SCENARIO: spec.hash()}
    data.meta.update({"scenario": SCENARIO, "stock_accounts": spec.stocks.accounts, "quick": quick})
    return data


def build_heatmap(quick: bool) -> FigureData:
    """Run semis-crash and keep the heatmap's numbers (the 30 names most sold)."""
    spec, result = _run(quick)
    return _with_source(heatmap_data(result.stock_path, TOP), spec, quick)


def plot_heatmap(data: FigureData, path: Path) -> None:
    fig = stock_heatmap(None, TOP, data=data)
    fig.suptitle(f"{SCENARIO}, seed {SEED}: drawdown by name and day of the {len(data.arrays['tickers'])} names "
                 f"most sold by margin calls (of {data.meta['names']}, {data.meta['stock_accounts']:,} accounts), "
                 "grouped by sector", fontsize=10)
    style.savefig(fig, path)


def build_sectors(quick: bool) -> FigureData:
    """Run semis-crash, attribute each sector's fall and forced sales over the layer's channels."""
    spec, result = _run(quick)
    book = result.stock_book
    att = stock_attribution(spec, SEED, result.timeseries, book)
    caps = book.price0 * book.shares_outstanding
    data = sector_data(result.stock_path, {"drawdown": att["sectors_drawdown"],
                                           "forced_sales": att["sectors_forced_sales"]}, caps)
    data.arrays = {k: np.asarray(v) for k, v in data.arrays.items()}
    return _with_source(data, spec, quick)


def plot_sectors(data: FigureData, path: Path) -> None:
    fig = sector_bars(None, data=data)
    fig.suptitle(f"{SCENARIO}, seed {SEED}: each sector index's max drawdown and its forced sales, split by "
                 "channel (Shapley values over 8 runs of the stock layer)", fontsize=10)
    style.savefig(fig, path)


HEATMAP_FIGURE = Figure("stock_heatmap_semis_crash", "A tech crash name by name: drawdown and forced sales",
                        build_heatmap, plot_heatmap)
SECTORS_FIGURE = Figure("stock_sectors_semis_crash", "A tech crash by sector: falls and forced sales by channel",
                        build_sectors, plot_sectors)
