"""What the stock layer is made of and what one run of it returns (N stocks, D days, F funds).

The stock layer runs on the market's path: the market (every channel of :mod:`sim.model`, on
either engine) gives the daily market factor; the layer adds sector and idiosyncratic factors,
name-level leveraged-ETF rebalancing, retail flows, recalls and the forced sales of a sparse,
concentrated margin book (:mod:`sim.book.sparse_cascade`), each moving its names' prices by the
square-root law. Its flows do not feed back into the market's index (see docs/stocks.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.book.sparse import SparseBook, SparseRules
from sim.config.universe import Universe

STOCK_CHANNELS = ("margin", "letf", "squeeze")
"""The layer's channels, each of which can be switched off (attribution): forced margin sales and
buy-ins; the single-stock and sector leveraged ETFs' rebalancing; recalls of borrowed shares (buy-ins)
and retail buying flows."""


@dataclass(frozen=True)
class StockBook:
    """The stock layer at day 0: universe, sparse margin book and its rules.

    Attributes
    ----------
    universe : Universe
        The N stocks (``idio_vol`` already multiplied by ``stocks.idio_scale``).
    book : SparseBook
        The accounts in CSR layout, grouped by position count (:meth:`SparseBook.grouped`).
    rules : SparseRules
        One row per stock-book broker, per-name requirements at day 0.
    broker_names : tuple of str
        The brokers, in row order of ``rules.broker``.
    price0 : numpy.ndarray
        (N,) $ per share at day 0.
    shares_outstanding : numpy.ndarray
        (N,) market value at day 0 / price0.
    """
    universe: Universe
    book: SparseBook
    rules: SparseRules
    broker_names: tuple[str, ...]
    price0: np.ndarray
    shares_outstanding: np.ndarray


@dataclass
class StockPath:
    """One run of the stock layer: per day and name (D, N) arrays, and per-day (D,) totals.

    Per name and day, after the day's close and clearing: ``price`` ($), ``ret`` (simple return
    from the previous close; day 0 from ``price0``), ``forced_sales_usd`` ($ of longs sold by
    margin calls), ``buy_ins_usd`` ($ of shorts bought in: margin calls and recalls),
    ``margin_debt_usd`` ($ of debt held against the name: each account's debt shared over its
    longs by value), ``short_interest`` (shares short / shares outstanding), ``letf_flow_usd``
    (leveraged ETFs' net $ traded, + = bought).

    Per day: ``index_level`` (cap-weighted, 100 at day 0's open), ``margin_debt_usd``, ``calls``
    (accounts called, summed over rounds), ``close_outs``, ``losses_usd`` (written off by
    brokers), ``forced_sales_usd``, ``buy_ins_usd``, ``hhi`` (Herfindahl index of margin debt
    across names, in (0, 1]), ``top10_share`` (share of margin debt against the 10 names holding
    the most).

    Per day and broker of the stock book ((D, B), brokers in ``StockBook.broker_names`` order):
    ``broker_forced_sales_usd`` ($ of longs its accounts were forced to sell, valued at the day's
    prices before its forced selling) and ``broker_close_outs`` (its accounts closed out that day:
    every position sold and the negative balance written off by the broker).
    """
    tickers: tuple[str, ...]
    sectors: tuple[str, ...]
    price0: np.ndarray
    price: np.ndarray
    ret: np.ndarray
    forced_sales_usd: np.ndarray
    buy_ins_usd: np.ndarray
    margin_debt_usd: np.ndarray
    short_interest: np.ndarray
    letf_flow_usd: np.ndarray
    index_level: np.ndarray
    total_margin_debt_usd: np.ndarray
    calls: np.ndarray
    close_outs: np.ndarray
    losses_usd: np.ndarray
    total_forced_sales_usd: np.ndarray
    total_buy_ins_usd: np.ndarray
    hhi: np.ndarray
    top10_share: np.ndarray
    broker_forced_sales_usd: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    broker_close_outs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def days(self) -> int:
        """D, the days run."""
        return self.price.shape[0]

    @property
    def n(self) -> int:
        """N, the stocks."""
        return self.price.shape[1]
