"""Per-stock figures of a stock-layer run (issue 15, item 8): drawdown by name and day, and per sector.

* :func:`stock_heatmap`: the top names by forced sales, grouped by sector, drawdown (or cumulative
  return) by day, next to each name's forced sales.
* :func:`sector_bars`: per sector, the max drawdown of its cap-weighted index and its forced sales,
  each stacked by channel when the Shapley attribution (:mod:`sim.analysis.stock_tables`) is given.
* :func:`save_stock_figures`: both as PNG and ``stock_figures.json``, which records each figure's
  title and the SHA-256 of the numbers drawn (as the paper figures' manifest does,
  :mod:`sim.report.paper`), so a regenerated figure can be checked to rest on the same numbers.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from sim import __version__
from sim.analysis.stock_tables import running_peak, sector_summary, stock_summary
from sim.core.errors import InputError
from sim.core.files import atomic_write, write_json
from sim.model.stocks.types import STOCK_CHANNELS, StockPath
from sim.report import style
from sim.report.figdata import FigureData

BN, MN = 1e9, 1e6
VALUES = ("drawdown", "return")
CHANNEL_STYLE = {"none": ("no channel (shocks, factors)", "#BBBBBB"),
                 "margin": ("margin calls and buy-ins", style.PALETTE["vermillion"]),
                 "letf": ("leveraged ETFs", style.PALETTE["purple"]),
                 "squeeze": ("recalls and retail (squeeze)", style.PALETTE["sky"])}
"""Label and colour of each part of a stacked bar: the no-channel value and each stock channel."""


def top_names(path: StockPath, top: int) -> np.ndarray:
    """Indices of the ``top`` names by forced sales (then drawdown), grouped by sector, most sold first."""
    if not (isinstance(top, int | np.integer) and top >= 1):
        raise InputError(f"top: must be an integer >= 1, got {top!r}", field="top", allowed=">= 1")
    summary = stock_summary(path).reset_index()
    summary["pos"] = np.arange(path.n)
    chosen = summary.sort_values(["forced_sales_usd", "drawdown"], ascending=False, kind="stable").head(top)
    rank = chosen.groupby("sector", sort=False)["forced_sales_usd"].transform("sum")
    chosen = chosen.assign(rank=rank).sort_values(["rank", "sector", "forced_sales_usd"],
                                                  ascending=[False, True, False], kind="stable")
    return chosen["pos"].to_numpy()


def heatmap_data(path: StockPath, top: int = 30, value: str = "drawdown") -> FigureData:
    """The numbers :func:`stock_heatmap` draws: (k, D) % by name and day, forced sales $m, names and sectors."""
    if value not in VALUES:
        raise InputError(f"value: must be one of {', '.join(VALUES)}, got {value!r}", field="value",
                         allowed=", ".join(VALUES))
    pick = top_names(path, top)
    if value == "drawdown":
        grid = 100.0 * (1.0 - path.price / running_peak(path.price0, path.price))
    else:
        grid = 100.0 * (path.price / path.price0 - 1.0)
    return FigureData(arrays={"grid_pct": grid[:, pick].T,
                              "forced_sales_musd": path.forced_sales_usd[:, pick].sum(0) / MN,
                              "tickers": np.asarray(path.tickers)[pick], "sectors": np.asarray(path.sectors)[pick]},
                      meta={"value": value, "names": int(path.n), "days": int(path.days)})


def _sector_spans(sectors: np.ndarray) -> list[tuple[str, int, int]]:
    """(sector, first row, last row + 1) of each run of equal sectors."""
    cuts = [0, *(np.flatnonzero(sectors[1:] != sectors[:-1]) + 1).tolist(), len(sectors)]
    return [(str(sectors[a]), a, b) for a, b in itertools.pairwise(cuts)]


def stock_heatmap(path: StockPath | None, top: int = 30, value: str = "drawdown",
                  data: FigureData | None = None) -> Figure:
    """Heatmap of drawdown (or cumulative return) by name and day for the top names by forced sales.

    Parameters
    ----------
    path : StockPath or None
        One run of the stock layer (None when ``data`` is given).
    top : int
        Names shown (the most sold by margin calls; by drawdown where none were sold), grouped by
        sector, the most sold sector first.
    value : str
        ``drawdown`` (% below the running peak, day 0's open included) or ``return`` (% since
        day 0's open).
    data : FigureData, optional
        :func:`heatmap_data` of the same arguments, when already computed.

    Returns
    -------
    matplotlib.figure.Figure
        The heatmap with a colour bar, and beside it each name's forced sales in $ million.
    """
    style.apply()
    d = data or heatmap_data(path, top, value)
    grid, sales = d.arrays["grid_pct"], d.arrays["forced_sales_musd"]
    tickers, sectors = d.arrays["tickers"], d.arrays["sectors"]
    k, days = grid.shape
    fig, (ax, axb) = plt.subplots(1, 2, sharey=True, figsize=(11, 1.6 + 0.2 * k), width_ratios=[4, 1.3],
                                  constrained_layout=True)
    if value == "drawdown":
        im = ax.imshow(grid, aspect="auto", cmap="magma_r", vmin=0.0, vmax=max(float(grid.max()), 1e-9),
                       interpolation="nearest", extent=(-0.5, days - 0.5, k - 0.5, -0.5))
        label = "drawdown from running peak, %"
    else:
        lim = max(float(np.abs(grid).max()), 1e-9)
        im = ax.imshow(grid, aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim, interpolation="nearest",
                       extent=(-0.5, days - 0.5, k - 0.5, -0.5))
        label = "return since day 0's open, %"
    ax.grid(False)
    ax.set_yticks(np.arange(k), tickers, fontsize=7)
    ax.set_xlabel("trading day of the run")
    ax.set_ylabel("name (grouped by sector)")
    fig.colorbar(im, ax=ax, location="bottom", shrink=0.5, aspect=40, label=label)
    colours = {s: style.CYCLE[i % len(style.CYCLE)] for i, s in enumerate(dict.fromkeys(sectors.tolist()))}
    axb.barh(np.arange(k), sales, color=[colours[s] for s in sectors], height=0.75)
    axb.set_xlabel("forced sales over the run, $ million")
    axb.tick_params(axis="y", left=False)
    axb.grid(axis="y", visible=False)
    right = blended_transform_factory(axb.transAxes, axb.transData)
    for sector, a, b in _sector_spans(sectors):
        for a_ in (ax, axb):
            a_.axhline(a - 0.5, color="black", linewidth=0.8)
        axb.text(1.03, (a + b - 1) / 2, textwrap.fill(sector, 18), transform=right, va="center", ha="left", fontsize=7,
                 color=colours[sector])
    what = "Drawdown" if value == "drawdown" else "Cumulative return"
    fig.suptitle(f"{what} by name and day: the {k} names with the largest forced sales "
                 f"(of {d.meta['names']}), grouped by sector", fontsize=10)
    return fig


def sector_data(path: StockPath, attribution: Mapping[str, pd.DataFrame] | None = None,
                market_value0=None) -> FigureData:
    """The numbers :func:`sector_bars` draws: per sector, drawdown % and forced sales $bn (total or by part)."""
    summary = sector_summary(path, market_value0).sort_values("drawdown", ascending=False, kind="stable")
    arrays = {"sectors": summary.index.to_numpy(dtype=str), "drawdown_pct": 100.0 * summary["drawdown"].to_numpy(),
              "forced_sales_busd": summary["forced_sales_usd"].to_numpy() / BN}
    for metric, scale in (("drawdown", 100.0), ("forced_sales", 1.0 / BN)):
        table = (attribution or {}).get(metric)
        if table is None:
            continue
        missing = set(summary.index) - set(table.index)
        if missing or not {"none", *STOCK_CHANNELS} <= set(table.columns):
            raise InputError(f"attribution[{metric!r}]: must be sector_attribution's table of this run's sectors",
                             field="attribution", allowed="sim.analysis.stock_tables.sector_attribution output")
        for part in ("none", *STOCK_CHANNELS):
            arrays[f"{metric}:{part}"] = scale * table.loc[summary.index, part].to_numpy(dtype=np.float64)
    return FigureData(arrays=arrays, meta={"sectors": len(summary)})


def _stacked(ax, y: np.ndarray, arrays: dict, metric: str) -> None:
    """Horizontal bars of each part of ``metric`` (no channel, then the channels): + to the right, - to the left."""
    pos, neg = np.zeros(len(y)), np.zeros(len(y))
    for part in ("none", *STOCK_CHANNELS):
        v = arrays[f"{metric}:{part}"]
        label, colour = CHANNEL_STYLE[part]
        up, down = np.maximum(v, 0.0), np.minimum(v, 0.0)
        ax.barh(y, up, left=pos, color=colour, label=label, height=0.7)
        ax.barh(y, down, left=neg, color=colour, height=0.7)
        pos, neg = pos + up, neg + down


def sector_bars(path: StockPath | None, attribution: Mapping[str, pd.DataFrame] | None = None, market_value0=None,
                data: FigureData | None = None) -> Figure:
    """Per sector: the max drawdown of its index and its forced sales in $ billion, stacked by channel if given.

    Parameters
    ----------
    path : StockPath or None
        One run of the stock layer (all channels on; None when ``data`` is given).
    attribution : mapping of str to DataFrame, optional
        :func:`sim.analysis.stock_tables.sector_attribution` tables keyed by metric (``drawdown``,
        ``forced_sales``): a panel whose metric is given is stacked by channel.
    market_value0 : array of float, (N,), optional
        Day-0 market values for the cap-weighted sector indices (default equal $).
    data : FigureData, optional
        :func:`sector_data` of the same arguments, when already computed.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels of horizontal bars, sectors ordered by drawdown.
    """
    style.apply()
    d = data or sector_data(path, attribution, market_value0)
    a = d.arrays
    y = np.arange(len(a["sectors"]))
    fig, (ax1, ax2) = plt.subplots(1, 2, sharey=True, figsize=(11, 1.4 + 0.38 * len(y)), constrained_layout=True)
    for ax, metric, total, xlabel in ((ax1, "drawdown", a["drawdown_pct"], "max drawdown of the sector index, %"),
                                      (ax2, "forced_sales", a["forced_sales_busd"], "forced sales over the run, $ bn")):
        if f"{metric}:none" in a:
            _stacked(ax, y, a, metric)
            ax.plot(total, y, "|", color="black", markersize=12, label="total (all channels on)")
        else:
            ax.barh(y, total, color=style.PALETTE["blue"], height=0.7)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    ax1.set_yticks(y, a["sectors"])
    ax1.invert_yaxis()
    ax1.set_ylabel("sector")
    handles, labels = (ax1 if "drawdown:none" in a else ax2).get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=len(handles))
    stacked = " (Shapley attribution by channel)" if handles else ""
    fig.suptitle(f"Per sector: fall of the cap-weighted sector index and $ sold by margin calls{stacked}", fontsize=10)
    return fig


def save_stock_figures(path: StockPath, out_dir: str | Path, top: int = 30,
                       attribution: Mapping[str, pd.DataFrame] | None = None, market_value0=None) -> list[Path]:
    """Write ``stock_heatmap.png``, ``stock_sectors.png`` and ``stock_figures.json`` into ``out_dir`` (atomically).

    Parameters
    ----------
    path : StockPath
        One run of the stock layer.
    out_dir : str or Path
        Folder (created if missing).
    top : int
        Names in the heatmap.
    attribution : mapping of str to DataFrame, optional
        Sector attribution tables by metric, for :func:`sector_bars`.
    market_value0 : array of float, (N,), optional
        Day-0 market values for the sector indices.

    Returns
    -------
    list of Path
        The two PNGs and the JSON record (version, and per figure its file, title and the
        SHA-256 of the numbers drawn, :meth:`FigureData.sha256`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    heat = heatmap_data(path, top)
    bars = sector_data(path, attribution, market_value0)
    files = [style.savefig(stock_heatmap(path, top, data=heat), out / "stock_heatmap.png"),
             style.savefig(sector_bars(path, data=bars), out / "stock_sectors.png")]
    entries = [{"file": f.name, "title": title, "data_sha256": data.sha256()}
               for f, title, data in zip(files, ("drawdown by name and day, top names by forced sales",
                                                 "drawdown and forced sales per sector"), (heat, bars), strict=True)]
    files.append(write_json(out / "stock_figures.json", {"version": __version__, "figures": entries}))
    return files


def write_stock_attribution(attribution: Mapping[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """``stock_attribution.csv`` (per name) and ``sector_attribution.csv`` (per sector), written atomically.

    ``attribution`` is :func:`sim.analysis.stock_tables.stock_attribution`'s dict. Each file has one
    row per name (sector) and, for ``drawdown`` (max drawdown over the run, a fraction),
    ``shock_drawdown`` (the fall in the 21 days from the shock, when the scenario has one) and
    ``forced_sales_usd``, the value with no channel on, each channel's Shapley share and the total
    (``shock_drawdown_margin`` is the part of the name's fall after the shock that forced margin
    selling explains).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for level, index in (("names", "ticker"), ("sectors", "sector")):
        parts = [attribution[f"{level}_{metric}"].drop(columns="sector", errors="ignore").add_prefix(f"{prefix}_")
                 for metric, prefix in (("drawdown", "drawdown"), ("shock_drawdown", "shock_drawdown"),
                                        ("forced_sales", "forced_sales_usd")) if f"{level}_{metric}" in attribution]
        if level == "names":
            parts.insert(0, attribution["names_drawdown"][["sector"]])
        table = pd.concat(parts, axis=1).rename_axis(index).reset_index()
        target = out / ("stock_attribution.csv" if level == "names" else "sector_attribution.csv")
        atomic_write(target, lambda p, t=table: t.to_csv(p, index=False, float_format="%.10g"))
        written.append(target)
    return written
