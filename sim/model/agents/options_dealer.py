"""OptionsDealer: market makers who delta-hedge an options book (negative gamma when short)."""

from __future__ import annotations

import mesa
import numpy as np

from sim.config.scenario import Dealers, OptionSeries
from sim.core import options

INDEX = -1


class OptionsDealer(mesa.Agent):
    """The dealers' aggregate options book and its delta hedge.

    Each series has a strike, an expiry (trading day), a signed quantity in units of the
    underlying (+ = dealers long) and a type. The hedge holds -sum(q x delta) of each
    underlying; index options are hedged with the cap-weighted basket. With short gamma the
    hedge sells as prices fall and buys as they rise. Expired series are replaced by new
    ones at the same moneyness, tenor and quantity when ``roll`` is on.
    """

    def __init__(self, model: mesa.Model, config: Dealers, series: list[OptionSeries], asset_names: list[str],
                 prices: np.ndarray, index_level: float, cap_weights: np.ndarray, days_per_year: float) -> None:
        super().__init__(model)
        self.vol, self.rate, self.roll = config.implied_vol, config.rate, config.roll
        self.days_per_year = days_per_year
        self.n_assets = prices.shape[0]
        rows = []
        for s in series:
            u = INDEX if s.underlying == "index" else asset_names.index(s.underlying)
            spot = index_level if u == INDEX else prices[u]
            sign = 1.0 if s.side == "long" else -1.0
            for j in range(s.ladder):
                expiry = max(1, round(s.tenor_days * (j + 1) / s.ladder))
                qty = sign * s.notional_usd / s.ladder / spot
                rows.append((u, s.kind == "call", s.moneyness * spot, expiry, qty, s.moneyness, s.tenor_days))
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
    def _spots(self, prices: np.ndarray, index_level: float) -> np.ndarray:
        return np.where(self.underlying == INDEX, index_level, prices[np.maximum(self.underlying, 0)])

    def _years(self, time: float) -> np.ndarray:
        return np.maximum(self.expiry - time, 1e-6) / self.days_per_year

    def roll_expired(self, day: int, prices: np.ndarray, index_level: float) -> None:
        """Expired series roll into new ones or leave the book.

        A rolled series keeps its quantity (units of the underlying), moneyness and tenor, so
        the book's $ size scales with the market, as open interest does after a crash.
        """
        expired = self.expiry <= day
        if not np.any(expired):
            return
        if self.roll:
            spots = self._spots(prices, index_level)
            self.strike[expired] = self.moneyness[expired] * spots[expired]
            self.expiry[expired] = day + self.tenor[expired]
            self.rolled += int(expired.sum())
        else:
            self.quantity[expired] = 0.0
            self.expiry[expired] = np.inf

    def position_greeks(self, time: float, prices: np.ndarray, index_level: float) -> tuple[np.ndarray, np.ndarray]:
        """(delta, gamma) of the dealers' position per series, in units of the underlying."""
        spots = self._spots(prices, index_level)
        years = self._years(time)
        live = self.quantity != 0.0
        d = np.where(live, options.delta(spots, self.strike, years, self.vol, self.rate, self.is_call), 0.0)
        g = np.where(live, options.gamma(spots, self.strike, years, self.vol, self.rate), 0.0)
        return self.quantity * d, self.quantity * g

    def target_hedge(self, time: float, prices: np.ndarray, index_level: float,
                     cap_weights: np.ndarray) -> np.ndarray:
        """Shares of each asset that make the book delta-neutral."""
        pos_delta, _ = self.position_greeks(time, prices, index_level)
        hedge = np.zeros(self.n_assets)
        np.add.at(hedge, self.underlying[self.underlying != INDEX], -pos_delta[self.underlying != INDEX])
        index_units = -pos_delta[self.underlying == INDEX].sum()
        hedge += index_units * index_level * cap_weights / prices
        return hedge

    def dollar_gamma(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Gamma x S^2 per asset ($ of delta per unit relative move); index gamma split by cap weight."""
        _, pos_gamma = self.position_greeks(time, prices, index_level)
        spots = self._spots(prices, index_level)
        dollar = pos_gamma * spots * spots
        out = np.zeros(self.n_assets)
        np.add.at(out, self.underlying[self.underlying != INDEX], dollar[self.underlying != INDEX])
        out += dollar[self.underlying == INDEX].sum() * cap_weights
        return out

    def hedge_limit(self, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Most $ the hedge of each asset can change: the book's whole notional on it."""
        notional = np.abs(self.quantity) * self._spots(prices, index_level)
        out = np.zeros(self.n_assets)
        np.add.at(out, self.underlying[self.underlying != INDEX], notional[self.underlying != INDEX])
        out += notional[self.underlying == INDEX].sum() * cap_weights
        return out

    def gex(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> float:
        """Dealer gamma exposure: $ of hedge the dealers must trade per 1% move (negative = short gamma)."""
        return float(self.dollar_gamma(time, prices, index_level, cap_weights).sum() * 0.01)

    # -------------------------------------------------------------------- trading
    def rehedge(self, time: float, prices: np.ndarray, index_level: float, cap_weights: np.ndarray) -> np.ndarray:
        """Full Black-Scholes re-hedge at ``prices``: the $ order per asset (fills at ``prices``)."""
        trade = self.target_hedge(time, prices, index_level, cap_weights) - self.shares
        usd = trade * prices
        self.shares += trade
        self.cash -= float(usd.sum())
        return usd

    def fill(self, shares: np.ndarray, usd: np.ndarray) -> None:
        """Record hedge trades done inside the clearing."""
        self.shares += shares
        self.cash -= float(usd.sum())
