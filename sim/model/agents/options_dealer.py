"""OptionsDealer: market makers who delta-hedge an options book (negative gamma when short)."""

from __future__ import annotations

import mesa
import numpy as np

from sim.config.scenario import Dealers, OptionSeries
from sim.core import deterf, detlanes, detmath, options, pairwise
from sim.core.jit import kernel
from sim.core.pairwise import pairwise_sum
from sim.model.rules import dealer

INDEX = dealer.INDEX
_COMPILED: list = []


def _book_greeks():
    """:func:`sim.model.rules.dealer.book_greeks` compiled (built on first use)."""
    if not _COMPILED:
        _COMPILED.append(kernel(detmath, deterf, detlanes, options, pairwise, dealer)(dealer.book_greeks))
    return _COMPILED[0]


class OptionsDealer(mesa.Agent):
    """The dealers' aggregate options book and its delta hedge.

    Each series has a strike, an expiry (trading day), a signed quantity in units of the
    underlying (+ = dealers long) and a type. The hedge holds -sum(q x delta) of each
    underlying; index options are hedged with the cap-weighted basket. With short gamma the
    hedge sells as prices fall and buys as they rise. Expired series are replaced by new
    ones at the same moneyness, tenor and quantity when ``roll`` is on. With
    ``strike_step > 0`` every strike, at listing and at each roll, is the nearest level of a
    fixed grid (``strike_step`` x the underlying's day-0 level,
    :func:`sim.model.rules.dealer.on_grid`).
    """

    def __init__(self, model: mesa.Model, config: Dealers, series: list[OptionSeries], asset_names: list[str],
                 prices: np.ndarray, index_level: float, cap_weights: np.ndarray, days_per_year: float) -> None:
        super().__init__(model)
        self.vol, self.rate, self.roll = config.implied_vol, config.rate, config.roll
        self.strike_step = config.strike_step
        self.initial_prices = prices.copy()
        self.days_per_year = days_per_year
        self.n_assets = prices.shape[0]
        rows = []
        for s in series:
            u = INDEX if s.underlying == "index" else asset_names.index(s.underlying)
            spot = index_level if u == INDEX else prices[u]
            unit = self.strike_step * dealer.spot(u, self.initial_prices, dealer.INDEX_DAY0)
            sign = 1.0 if s.side == "long" else -1.0
            for j in range(s.ladder):
                expiry = max(1, round(s.tenor_days * (j + 1) / s.ladder))
                qty = sign * s.notional_usd / s.ladder / spot
                rows.append((u, s.kind == "call", dealer.on_grid(s.moneyness * spot, unit), expiry, qty, s.moneyness,
                             s.tenor_days))
        self.underlying = np.array([r[0] for r in rows], dtype=np.int64)
        self.is_call = np.array([r[1] for r in rows], dtype=bool)
        self.strike = np.array([r[2] for r in rows], dtype=np.float64)
        self.expiry = np.array([r[3] for r in rows], dtype=np.float64)
        self.quantity = np.array([r[4] for r in rows], dtype=np.float64)
        self.moneyness = np.array([r[5] for r in rows], dtype=np.float64)
        self.tenor = np.array([r[6] for r in rows], dtype=np.float64)
        self.shares = self.target_hedge(0.0, prices, index_level, cap_weights)
        self.cash = 0.0
        self.rolled = 0

    # ------------------------------------------------------------------ the book
    def roll_expired(self, day: int, prices: np.ndarray, index_level: float) -> None:
        """Expired series roll into new ones or leave the book.

        A rolled series keeps its quantity (units of the underlying), moneyness and tenor, so
        the book's $ size scales with the market, as open interest does after a crash.
        """
        self.rolled += dealer.roll_expired(self.underlying, self.strike, self.expiry, self.quantity, self.moneyness,
                                           self.tenor, day, prices, index_level, self.roll, self.initial_prices,
                                           self.strike_step)

    def position_greeks(self, time: float, prices: np.ndarray, index_level: float) -> tuple[np.ndarray, np.ndarray]:
        """(delta, gamma) of the dealers' position per series, in units of the underlying."""
        pos_delta, pos_gamma = np.empty_like(self.quantity), np.empty_like(self.quantity)
        _book_greeks()(self.underlying, self.is_call, self.strike, self.expiry, self.quantity, time, prices,
                       index_level, self.days_per_year, self.vol, self.rate, pos_delta, pos_gamma)
        return pos_delta, pos_gamma

    def target_hedge(self, time: float, prices: np.ndarray, index_level: float,
                     cap_weights: np.ndarray) -> np.ndarray:
        """Shares of each asset that make the book delta-neutral."""
        pos_delta, _ = self.position_greeks(time, prices, index_level)
        return dealer.target_hedge(self.underlying, pos_delta, index_level, cap_weights, prices,
                                   np.empty(self.n_assets))

    def dollar_gamma(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Gamma x S^2 per asset ($ of delta per unit relative move); index gamma split by cap weight."""
        _, pos_gamma = self.position_greeks(time, prices, index_level)
        return dealer.dollar_gamma(self.underlying, pos_gamma, prices, index_level, cap_weights,
                                   np.empty(self.n_assets))

    def hedge_limit(self, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Most $ the hedge of each asset can change: the book's whole notional on it."""
        return dealer.hedge_limit(self.underlying, self.quantity, prices, index_level, cap_weights,
                                  np.empty(self.n_assets))

    def gex(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> float:
        """Dealer gamma exposure: $ of hedge the dealers must trade per 1% move (negative = short gamma)."""
        return float(pairwise_sum(self.dollar_gamma(time, prices, index_level, cap_weights)) * 0.01)

    # -------------------------------------------------------------------- trading
    def rehedge(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Full Black-Scholes re-hedge at ``prices``: the $ order per asset (fills at ``prices``)."""
        usd = np.empty(self.n_assets)
        self.cash -= dealer.rehedge_to(self.target_hedge(time, prices, index_level, cap_weights), self.shares, prices,
                                       usd)
        return usd

    def fill(self, shares: np.ndarray, usd: np.ndarray) -> None:
        """Record hedge trades done inside the clearing."""
        self.shares += shares
        self.cash -= float(usd.sum())
