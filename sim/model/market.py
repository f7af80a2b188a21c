"""The price-impact market: K assets (sectors), their fundamentals and prices.

Log prices move only through net dollar order flow (see :mod:`sim.core.impact`) and scheduled
gaps; they are kept in logs, so a price stays > 0 under any shock, and within
:data:`LOG_PRICE_RANGE` of the initial price, so it stays finite. Each substep's impact
splits into a permanent part and a transient part that decays geometrically.
Fundamental values follow a one-factor model: every sector loads sqrt(rho) on a market
factor and sqrt(1 - rho) on its own factor. exp, log and index sums use :mod:`sim.core.detmath` and
:mod:`sim.core.detarrays`, so the numbers are the same on every CPU.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.scenario import Scenario
from sim.core import detmath
from sim.core.detarrays import dot, exp_array, log1p_array, log_array
from sim.core.impact import MODELS, log_impact, thinning_factor

LOG_PRICE_RANGE = detmath.log(1e100)
"""Prices and fundamental values stay within a factor of 1e100 of the initial price either way.

Far beyond any calibrated run: only inputs at the edges of their ranges get there (dozens of
-99.9999% gaps, or centuries at the largest drift); there a log price stops at the bound
instead of overflowing or underflowing.
"""


class Market:
    """Prices, fundamentals, impact state and realized volatility of the K assets."""

    def __init__(self, scenario: Scenario) -> None:
        mk, im = scenario.market, scenario.impact
        self.names = list(mk.assets)
        self.weights = np.array(mk.weights, dtype=np.float64)
        self.n_assets = len(self.names)
        self.betas = np.array(mk.betas, dtype=np.float64) if mk.betas else np.ones(self.n_assets)
        self.substeps = scenario.simulation.substeps
        self.shares_outstanding = self.weights * mk.market_cap_usd / mk.initial_price
        log_price = detmath.log(mk.initial_price)
        self.log_perm = np.full(self.n_assets, log_price)
        self.transient = np.zeros(self.n_assets)
        self.log_fundamental = self.log_perm.copy()
        self.log_floor = log_price - LOG_PRICE_RANGE
        self.log_ceiling = log_price + LOG_PRICE_RANGE
        self.drift = mk.fundamental_drift
        self.vol = mk.fundamental_vol
        self.base_vol = mk.fundamental_vol
        self.rho = mk.correlation
        self.ewma_lambda = mk.vol_ewma_lambda
        self.variance = np.full(self.n_assets, mk.fundamental_vol * mk.fundamental_vol)
        self.index_variance = mk.fundamental_vol * mk.fundamental_vol
        self.model = MODELS[im.model]
        self.multiplier = im.multiplier
        self.sqrt_y = im.sqrt_y
        self.adv_fraction = im.adv_fraction
        self.transient_fraction = im.transient_fraction
        self.decay = detmath.pow(0.5, 1.0 / im.transient_halflife)
        self.thinning = im.thinning_elasticity
        self.reference_vol = im.reference_vol
        self.max_thinning = im.max_thinning
        self.initial_prices = self.prices.copy()
        self.prev_close = self.initial_prices.copy()
        self.prev_index = self.index_level

    # ------------------------------------------------------------------ observables
    @property
    def prices(self) -> np.ndarray:
        """$ per share."""
        return exp_array(self.log_perm + self.transient)

    @property
    def fundamentals(self) -> np.ndarray:
        """Fundamental value, $ per share."""
        return exp_array(self.log_fundamental)

    @property
    def market_caps(self) -> np.ndarray:
        """$ market value of each asset."""
        return self.shares_outstanding * self.prices

    @property
    def index_level(self) -> float:
        """Cap-weighted index, 100 at day 0."""
        return self.index_at(self.prices)

    def index_at(self, prices: np.ndarray) -> float:
        """The index level at ``prices``."""
        return 100.0 * dot(self.weights, prices / self.initial_prices)

    def cap_weights(self, prices: np.ndarray) -> np.ndarray:
        """Current index weights (fraction of total market value) at ``prices``."""
        caps = self.shares_outstanding * prices
        return caps / caps.sum()

    @property
    def realized_vol(self) -> float:
        """Annualised EWMA volatility of the index, fraction."""
        return math.sqrt(self.index_variance * 252.0)

    def asset_index(self, target: str) -> np.ndarray:
        """Indices of the assets an event's target names ('index' = all)."""
        if target == "index":
            return np.arange(self.n_assets)
        return np.array([self.names.index(target)])

    # --------------------------------------------------------------------- dynamics
    def gap_sizes(self, target: str, size: float) -> tuple[np.ndarray, np.ndarray]:
        """(asset indices, log moves) of a gap: an index gap moves asset k by beta_k x size."""
        idx = self.asset_index(target)
        scale = self.betas[idx] if target == "index" else np.ones(idx.shape[0])
        return idx, log1p_array(scale * size)

    def gap_price(self, target: str, size: float) -> None:
        """An exogenous jump of the price (e.g. an overnight gap) by ``size`` (fraction)."""
        idx, moves = self.gap_sizes(target, size)
        self.log_perm[idx] += moves
        self._hold_prices_in_range()

    def gap_fundamental(self, target: str, size: float) -> None:
        """A jump of fundamental value by ``size`` (fraction); prices follow through flows."""
        idx, moves = self.gap_sizes(target, size)
        self.log_fundamental[idx] += moves
        np.clip(self.log_fundamental, self.log_floor, self.log_ceiling, out=self.log_fundamental)

    def evolve_fundamentals(self, z: np.ndarray) -> None:
        """One day of the factor model; ``z[0]`` is the market factor, ``z[1:]`` the sectors.

        log V_k += drift + vol x (beta_k sqrt(rho) z_0 + sqrt(1 - rho) z_k).
        """
        shocks = self.betas * math.sqrt(self.rho) * z[0] + math.sqrt(1.0 - self.rho) * z[1:]
        self.log_fundamental += self.drift + self.vol * shocks
        np.clip(self.log_fundamental, self.log_floor, self.log_ceiling, out=self.log_fundamental)

    def begin_substep(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decay the transient impact; return (log base prices, impact coef, ADV $) for a substep."""
        self.transient *= self.decay
        log_base = self.log_perm + self.transient
        prices = exp_array(log_base)
        caps = self.shares_outstanding * prices
        thin = np.array([thinning_factor(math.sqrt(v), self.reference_vol, self.thinning, self.max_thinning)
                         for v in self.variance])
        adv = self.adv_fraction * caps
        if self.model == MODELS["linear"]:
            coef = self.multiplier / caps * thin
        else:
            coef = np.full(self.n_assets, self.sqrt_y * self.vol) * thin
        return log_base, coef, adv

    def commit(self, flow: np.ndarray, coef: np.ndarray, adv: np.ndarray) -> None:
        """Make a substep's total net flow's impact permanent (and partly transient)."""
        for j in range(self.n_assets):
            move = log_impact(float(flow[j]), self.model, float(coef[j]), float(adv[j]))
            self.log_perm[j] += (1.0 - self.transient_fraction) * move
            self.transient[j] += self.transient_fraction * move
        self._hold_prices_in_range()

    def _hold_prices_in_range(self) -> None:
        """Keep log prices within :data:`LOG_PRICE_RANGE` of the start; any excess comes off the permanent part."""
        log_price = self.log_perm + self.transient
        excess = log_price - np.clip(log_price, self.log_floor, self.log_ceiling)
        if np.any(excess != 0.0):
            self.log_perm -= excess

    def close_day(self) -> float:
        """Update realized volatility at the close; return the index's simple return."""
        prices = self.prices
        returns = log_array(prices / self.prev_close)
        self.variance = self.ewma_lambda * self.variance + (1.0 - self.ewma_lambda) * (returns * returns)
        index = self.index_level
        index_return = index / self.prev_index - 1.0
        log_index_return = detmath.log(index / self.prev_index)
        self.index_variance = (self.ewma_lambda * self.index_variance
                               + (1.0 - self.ewma_lambda) * (log_index_return * log_index_return))
        self.prev_close = prices
        self.prev_index = index
        return index_return
