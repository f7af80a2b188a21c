"""VolControlFund: funds that size equity exposure to hit a target volatility."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model.rules import funds
from sim.model.rules.market import ewma_variance


class VolControlFund(mesa.Agent):
    """Exposure = min(cap, target vol / estimated vol), traded at the close.

    The estimate is the larger of two EWMA volatilities of the index's daily log returns
    (decays ``fast_lambda`` = 0.94 and ``slow_lambda`` = 0.97, annualised), as volatility-
    control indices do. At day t's close the fund acts on the estimate through the close of day
    t - ``lag_days`` (lag 1: yesterday's), and only when its exposure is more than ``band``
    away from the target. Holds the cap-weighted index basket.
    """

    def __init__(self, model: mesa.Model, aum_usd: float, target_vol: float, cap: float, band: float,
                 lag_days: int, fast_lambda: float, slow_lambda: float, initial_vol: float,
                 days_per_year: float, prices: np.ndarray, basket: np.ndarray) -> None:
        super().__init__(model)
        self.target_vol, self.cap, self.band = target_vol, cap, band
        self.lag_days = lag_days
        self.lambdas = (fast_lambda, slow_lambda)
        self.days_per_year = days_per_year
        daily_var = initial_vol * initial_vol / days_per_year
        self.variances = [daily_var, daily_var]
        self.history = [self.estimate()] * lag_days  # estimates through the last lag_days closes
        exposure = self.target_exposure(self.history[0]) * aum_usd
        self.shares = exposure * basket / prices
        self.cash = aum_usd - exposure

    def estimate(self) -> float:
        """Annualised volatility estimate: max of the fast and slow EWMA."""
        return funds.vol_estimate(self.variances[0], self.variances[1], self.days_per_year)

    def target_exposure(self, vol_estimate: float) -> float:
        return funds.vol_target_exposure(self.cap, self.target_vol, vol_estimate)

    def observe(self, log_return: float) -> None:
        """Update both EWMAs with the day's index log return."""
        self.variances = [ewma_variance(lam, v, log_return)
                          for lam, v in zip(self.lambdas, self.variances, strict=True)]
        self.history.append(self.estimate())
        del self.history[: -self.lag_days]

    def exposure(self, prices: np.ndarray) -> float:
        return funds.exposure(funds.holdings_value(self.shares, prices), self.cash)

    def rebalance(self, prices: np.ndarray, basket: np.ndarray) -> np.ndarray:
        """Close-of-day order in $ per asset (zero inside the band)."""
        value = funds.holdings_value(self.shares, prices)
        nav = self.cash + value
        target = self.target_exposure(self.history[0])
        if not funds.vol_outside_band(nav, value, target, self.band):
            return np.zeros_like(prices)
        usd = np.empty_like(prices)
        self.cash -= funds.rebalance_to(target * nav, basket, self.shares, prices, usd)
        return usd
