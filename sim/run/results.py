"""Typed results of a run: the daily series, the summary and its headline metrics.

``summary`` stays a plain dict because it is what ``summary.json`` holds (version, seed, scenario
hash, scenario, metrics); :attr:`SimulationResult.metrics` reads the same numbers as a typed
:class:`Metrics`, so code says ``result.metrics.max_drawdown`` instead of
``result.summary["metrics"]["max_drawdown"]`` (both work).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import sim
from sim.core.files import atomic_write, write_json

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChannelFlow:
    """One channel's trading over a run: $ bought, $ sold, days with a trade."""

    bought_usd: float
    sold_usd: float
    days_traded: int


@dataclass(frozen=True)
class Metrics:
    """Headline metrics of a run (returns and drawdowns as fractions; flows, losses and balances in $)."""

    days: int
    total_return: float
    max_drawdown: float
    shock_day: int | None
    shock_drawdown: float
    worst_day: int
    worst_day_return: float
    annualized_vol: float
    excess_kurtosis: float
    margin_calls: int
    liquidations: int
    deposits_usd: float
    forced_sales_usd: float
    forced_buyins_usd: float
    broker_losses_usd: float
    interest_usd: float
    clearing_unconverged: int
    max_clearing_rounds: int
    initial_margin_debt_usd: float
    initial_free_credit_usd: float
    initial_net_credit_balance_usd: float
    final_margin_debt_usd: float
    final_net_credit_balance_usd: float
    min_margin_debt_usd: float
    min_dealer_gex_usd: float
    channel_flows: dict[str, ChannelFlow]
    regime_days: dict[str, int]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Metrics:
        """From the ``metrics`` dict of a summary (``summary.json``)."""
        flows = {k: ChannelFlow(**v) for k, v in d["channel_flows"].items()}
        return cls(**{**d, "channel_flows": flows})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __repr__(self) -> str:
        return (f"Metrics(total_return={self.total_return:+.1%}, max_drawdown={self.max_drawdown:.1%}, "
                f"shock_drawdown={self.shock_drawdown:.1%}, margin_calls={self.margin_calls:,}, "
                f"forced_sales_usd={self.forced_sales_usd / 1e9:,.1f}e9, ...)")


@dataclass
class SimulationResult:
    """Daily series (one row per trading day) and the run's summary."""

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    intraday: pd.DataFrame | None = None  # one row per substep, with ``record_intraday=True``
    engine: str = "mesa"  # which engine ran (see ``sim.simulate``); results are the same either way
    stocks: pd.DataFrame | None = None  # one row per (day, name), with ``stocks.enabled`` (sim.run.stocks)
    stock_path: Any = None  # the stock layer's StockPath (arrays), with ``stocks.enabled``
    stock_book: Any = None  # the stock layer's StockBook at day 0, with ``stocks.enabled``

    @property
    def metrics(self) -> Metrics:
        """The summary's headline metrics, typed."""
        return Metrics.from_dict(self.summary["metrics"])

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])

    @property
    def scenario_hash(self) -> str:
        return str(self.summary["scenario_hash"])

    def __repr__(self) -> str:
        s = self.summary
        ts = self.timeseries
        dates = f" ({ts['date'].iloc[0]:%Y-%m-%d} to {ts['date'].iloc[-1]:%Y-%m-%d})" if "date" in ts else ""
        extra = f", intraday={len(self.intraday)} rows" if self.intraday is not None else ""
        return (f"SimulationResult({s['scenario_name']!r}, seed={s['seed']}, hash={s['scenario_hash']}, "
                f"mode={s['mode']!r}, {len(ts)} days{dates}{extra}; {self.metrics!r})")

    def plot(self) -> Figure:
        """The run overview (index and fundamentals, FINRA aggregates, selling by channel, calls
        and volatility) as a matplotlib Figure: a notebook shows it as the cell's value, and
        ``result.plot().savefig("overview.png")`` writes it."""
        return sim.plot(self)  # drawn by sim.report (through the package's API: the run layer draws nothing)

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``timeseries.parquet`` (``intraday.parquet``, ``stocks.parquet``) and ``summary.json`` atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        ts_path, summary_path = out / "timeseries.parquet", out / "summary.json"
        atomic_write(ts_path, lambda p: self.timeseries.to_parquet(p, index=False))
        if self.intraday is not None:
            atomic_write(out / "intraday.parquet", lambda p: self.intraday.to_parquet(p, index=False))
        if self.stocks is not None:
            atomic_write(out / "stocks.parquet", lambda p: self.stocks.to_parquet(p, index=False))
        write_json(summary_path, self.summary)
        return ts_path, summary_path

