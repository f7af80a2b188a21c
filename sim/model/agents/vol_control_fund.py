"""VolControlFund: funds that size equity exposure to hit a target volatility."""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.core.detarrays import dot


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
        return math.sqrt(max(self.variances) * self.days_per_year)

    def target_exposure(self, vol_estimate: float) -> float:
        return min(self.cap, self.target_vol / vol_estimate) if vol_estimate > 0 else self.cap

    def observe(self, log_return: float) -> None:
        """Update both EWMAs with the day's index log return."""
        square = log_return * log_return
        self.variances = [lam * v + (1.0 - lam) * square for lam, v in zip(self.lambdas, self.variances, strict=True)]
        self.history.append(self.estimate())
        del self.history[: -self.lag_days]

    def exposure(self, prices: np.ndarray) -> float:
        value = dot(self.shares, prices)
        return value / (self.cash + value)

    def rebalance(self, prices: np.ndarray, basket: np.ndarray) -> np.ndarray:
        """Close-of-day order in $ per asset (zero inside the band)."""
        value = dot(self.shares, prices)
        nav = self.cash + value
        target = self.target_exposure(self.history[0])
        if nav <= 0.0 or abs(target - value / nav) <= self.band:
            return np.zeros_like(prices)
        usd = target * nav * basket - self.shares * prices
        self.shares += usd / prices
        self.cash -= float(usd.sum())
        return usd
