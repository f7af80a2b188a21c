"""The price-impact market: K assets (sectors), their fundamentals and prices.

Log prices move only through net dollar order flow (see :mod:`sim.core.impact`) and scheduled
gaps; they are kept in logs, so a price stays > 0 under any shock, and within
:data:`LOG_PRICE_RANGE` of the initial price, so it stays finite. Each substep's impact
splits into a permanent part and a transient part that decays geometrically.
Fundamental values follow a one-factor model: every sector loads sqrt(rho) on a market
factor and sqrt(1 - rho) on its own factor. Optional, off at the defaults: the news vol scales
with sqrt(h), h a GJR-GARCH(1,1) variance ratio (Glosten, Jagannathan and Runkle 1993) driven by
the standardised index news; ``market.news_to_price`` of each day's fundamental news moves
prices at the open; ``market.vol_basis = 'index'`` makes ``fundamental_vol`` the index's news vol
(the sector shocks, and so the sqrt impact model's sigma, scaled by 1/sqrt(w'Cw)). exp, log and
index sums use :mod:`sim.core.detmath` and :mod:`sim.core.detarrays`, so the numbers are the
same on every CPU.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.config.scenario import Scenario
from sim.core import detmath, impact
from sim.core.detarrays import exp_array
from sim.core.impact import MODELS
from sim.core.jit import kernel
from sim.model.rules import market as rules

LOG_PRICE_RANGE = detmath.log(1e100)
"""Prices and fundamental values stay within a factor of 1e100 of the initial price either way.

Far beyond any calibrated run: only inputs at the edges of their ranges get there (dozens of
-99.9999% gaps, or centuries at the largest drift); there a log price stops at the bound
instead of overflowing or underflowing.
"""


_COMPILED: dict[str, Callable] = {}


def _compiled(name: str) -> Callable:
    """The rule ``name`` of :mod:`sim.model.rules.market` as a compiled kernel (built on first use)."""
    if name not in _COMPILED:
        _COMPILED[name] = kernel(impact, detmath, rules)(getattr(rules, name))
    return _COMPILED[name]


def _impact_state() -> Callable:
    return _compiled("impact_state")


def _update_variances() -> Callable:
    return _compiled("update_variances")


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
        self.rho = mk.correlation
        news_vol = mk.fundamental_vol
        if mk.vol_basis == "index":  # fundamental_vol is the index's: scale the sector shocks
            news_vol = mk.fundamental_vol * rules.index_news_scale(self.weights, self.betas, self.rho)
        self.vol = news_vol
        self.base_vol = news_vol
        self.news_variance = 1.0
        """GJR-GARCH variance ratio h of the news (today's news vol = vol x sqrt(h)); stays 1.0 when off."""
        self.garch = (mk.garch_alpha, mk.garch_beta, mk.garch_asymmetry)
        self.news_to_price = mk.news_to_price
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
        return rules.index_at(self.weights, prices, self.initial_prices)

    def cap_weights(self, prices: np.ndarray) -> np.ndarray:
        """Current index weights (fraction of total market value) at ``prices``."""
        return rules.cap_weights(self.shares_outstanding, prices, np.empty_like(prices), np.empty_like(prices))

    @property
    def realized_vol(self) -> float:
        """Annualised EWMA volatility of the index, fraction."""
        return rules.annualized_vol(self.index_variance)

    # --------------------------------------------------------------------- dynamics
    def _code(self, target: str) -> int:
        """An event's target as the rules take it: -1 for the index, else the asset's position."""
        return -1 if target == "index" else self.names.index(target)

    def gap_price(self, target: str, size: float) -> None:
        """An exogenous jump of the price (e.g. an overnight gap) by ``size`` (fraction)."""
        rules.gap(self.log_perm, self.betas, self._code(target), size)
        self._hold_prices_in_range()

    def gap_fundamental(self, target: str, size: float) -> None:
        """A jump of fundamental value by ``size`` (fraction); prices follow through flows."""
        rules.gap(self.log_fundamental, self.betas, self._code(target), size)
        np.clip(self.log_fundamental, self.log_floor, self.log_ceiling, out=self.log_fundamental)

    def evolve_fundamentals(self, z: np.ndarray) -> None:
        """One day of the factor model; ``z[0]`` is the market factor, ``z[1:]`` the sectors.

        log V_k += drift + vol sqrt(h) x (beta_k sqrt(rho) z_0 + sqrt(1 - rho) z_k); a share
        ``news_to_price`` of the change moves prices; h then follows GJR-GARCH
        (:func:`sim.model.rules.market.fundamentals_day`).
        """
        alpha, beta, asymmetry = self.garch
        self.news_variance = rules.fundamentals_day(
            self.log_fundamental, self.log_perm, self.transient, self.weights, self.betas, self.rho, self.drift,
            self.vol, self.news_variance, alpha, beta, asymmetry, self.news_to_price, z, self.log_floor,
            self.log_ceiling)

    def begin_substep(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decay the transient impact; return (log base prices, impact coef, ADV $) for a substep."""
        self.transient *= self.decay
        log_base = self.log_perm + self.transient
        coef, adv = np.empty(self.n_assets), np.empty(self.n_assets)
        _impact_state()(log_base, self.variance, self.shares_outstanding, self.model, self.multiplier, self.sqrt_y,
                        self.vol, self.adv_fraction, self.reference_vol, self.thinning, self.max_thinning, coef, adv)
        return log_base, coef, adv

    def commit(self, flow: np.ndarray, coef: np.ndarray, adv: np.ndarray) -> None:
        """Make a substep's total net flow's impact permanent (and partly transient)."""
        rules.commit(self.log_perm, self.transient, flow, self.model, coef, adv, self.transient_fraction,
                     self.log_floor, self.log_ceiling)

    def _hold_prices_in_range(self) -> None:
        """Keep log prices within :data:`LOG_PRICE_RANGE` of the start; any excess comes off the permanent part."""
        rules.hold_in_range(self.log_perm, self.transient, self.log_floor, self.log_ceiling)

    def close_day(self) -> float:
        """Update realized volatility at the close; return the index's simple return."""
        prices = self.prices
        _update_variances()(self.variance, prices, self.prev_close, self.ewma_lambda)
        index = self.index_level
        index_return = index / self.prev_index - 1.0
        log_index_return = detmath.log(index / self.prev_index)
        self.index_variance = rules.ewma_variance(self.ewma_lambda, self.index_variance, log_index_return)
        self.prev_close = prices
        self.prev_index = index
        return index_return
