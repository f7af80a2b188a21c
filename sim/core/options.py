"""Black-Scholes delta and gamma (the dealers' hedge ratios), vectorised over option series.

log, exp and the normal CDF are :mod:`sim.core.detarrays`' (the same bits on every CPU).
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.detarrays import exp_array, log_array, ndtr_array

SQRT_2PI = math.sqrt(2.0 * math.pi)


def d1(spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, rate: float) -> np.ndarray:
    return (log_array(spot / strike) + (rate + 0.5 * vol * vol) * years) / (vol * np.sqrt(years))


def delta(spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, rate: float,
          is_call: np.ndarray) -> np.ndarray:
    """dV/dS per unit of underlying: N(d1) for calls, N(d1) - 1 for puts (years > 0)."""
    nd1 = ndtr_array(d1(spot, strike, years, vol, rate))
    return np.where(is_call, nd1, nd1 - 1.0)


def gamma(spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, rate: float) -> np.ndarray:
    """d2V/dS2 per unit of underlying: phi(d1) / (S sigma sqrt(T)), the same for calls and puts."""
    x = d1(spot, strike, years, vol, rate)
    return exp_array(-0.5 * x * x) / SQRT_2PI / (spot * vol * np.sqrt(years))
