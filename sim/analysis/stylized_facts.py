"""Stylized facts of daily returns: the statistics `marginsim validate` compares with real data.

Every function takes a 1-D array of daily log returns (fraction) and returns plain floats or
numpy arrays. Sample moments follow the usual unbiased conventions (scipy's ``bias=False``);
the ACF is the standard sample autocorrelation (mean removed, lag-k cross products divided
by n times the variance), which for an AR(1) with coefficient phi tends to phi^k.

Logarithms, powers and sums of products go through :mod:`sim.core.detarrays` (not ``np.log``,
``np.power``, ``np.dot`` or ``np.corrcoef``, whose last bits depend on the CPU's SIMD code and
BLAS kernels), so the validation numbers are the same on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.core.detarrays import dot, log_array
from sim.core.errors import InputError
from sim.run.metrics import excess_kurtosis

TRADING_DAYS = 252.0
"""Trading days per year used to annualise volatility."""
TAIL_FRACTION = 0.025
"""Share of the sample (the worst days) used by the Hill estimator of the loss tail."""


def log_returns(levels: np.ndarray) -> np.ndarray:
    """Daily log returns of a price or index level series (length n - 1)."""
    x = np.asarray(levels, dtype=float)
    return np.diff(log_array(x))


def annualized_vol(returns: np.ndarray, days_per_year: float = TRADING_DAYS) -> float:
    """Sample standard deviation (ddof 1) times sqrt(days per year), fraction per year."""
    r = np.asarray(returns, dtype=float)
    return float(np.std(r, ddof=1) * math.sqrt(days_per_year))


def skewness(returns: np.ndarray) -> float:
    """Unbiased sample skewness (0 for a symmetric distribution).

    ``scipy.stats.skew(r, bias=False)``'s formula, G1 = g1 sqrt(n (n - 1)) / (n - 2) with
    g1 = m3 / m2^1.5, the cube written as a product (``np.power`` rounds per CPU).
    """
    r = np.asarray(returns, dtype=float)
    n = r.size
    d = r - r.mean()
    m2 = float((d * d).mean())
    if n < 3 or m2 == 0.0:
        return 0.0
    m3 = float((d * d * d).mean())
    return m3 / (m2 * math.sqrt(m2)) * math.sqrt(n * (n - 1.0)) / (n - 2.0)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two equal-length samples (``np.corrcoef(x, y)[0, 1]``), summed in index order."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    a = a - a.mean()
    b = b - b.mean()
    return dot(a, b) / math.sqrt(dot(a, a) * dot(b, b))


def hill_index(returns: np.ndarray, tail_fraction: float = TAIL_FRACTION, k: int | None = None) -> float:
    """Hill estimator of the tail index alpha of the losses (-returns), from the k largest.

    alpha = k / sum_{i<=k} log(L_(i) / L_(k+1)), where L_(1) >= L_(2) >= ... are the losses
    sorted in decreasing order; k = round(tail_fraction x n) unless given. For a Pareto tail
    P(L > x) ~ x^-alpha the estimate converges to alpha; a Gaussian gives large values (> 4
    at the usual sample sizes). Needs k + 1 positive losses.
    """
    losses = -np.asarray(returns, dtype=float)
    if k is None:
        k = max(round(tail_fraction * losses.size), 2)
    if not 2 <= k < losses.size:
        raise InputError(f"hill_index: k = {k} must be in [2, {losses.size - 1}] (sample of {losses.size})",
                         field="k", allowed=f"[2, {losses.size - 1}]")
    top = np.sort(losses)[::-1][:k + 1]
    if top[k] <= 0.0:
        raise InputError(f"hill_index: the {k + 1} largest losses must be > 0", field="returns",
                         allowed=f"at least {k + 1} losses > 0")
    return float(k / np.sum(log_array(top[:k] / top[k])))


def acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags 1..max_lag (mean removed, divided by n x variance)."""
    y = np.asarray(x, dtype=float)
    y = y - y.mean()
    n = y.size
    if not 1 <= max_lag < n:
        raise InputError(f"acf: max_lag = {max_lag} must be in [1, {n - 1}]", field="max_lag", allowed=f"[1, {n - 1}]")
    denom = dot(y, y)
    return np.array([dot(y[:-k], y[k:]) / denom for k in range(1, max_lag + 1)])


def leverage_effect(returns: np.ndarray, max_lag: int) -> np.ndarray:
    """corr(r_t, |r_t+k|) for k = 1..max_lag (Pearson): negative when falls raise later volatility."""
    r = np.asarray(returns, dtype=float)
    a = np.abs(r)
    return np.array([pearson(r[:-k], a[k:]) for k in range(1, max_lag + 1)])


@dataclass
class StylizedFacts:
    """The statistics of one daily return series."""

    days: int
    annualized_vol: float
    skewness: float
    excess_kurtosis: float
    hill_index: float
    acf_returns: np.ndarray       # lags 1..5
    acf_abs_returns: np.ndarray   # lags 1..100
    leverage_effect: np.ndarray   # corr(r_t, |r_t+k|), k = 1..10

    def row(self) -> dict[str, float]:
        """The headline numbers, one per validation-table row."""
        return {
            "days": float(self.days),
            "annualized_vol": self.annualized_vol,
            "skewness": self.skewness,
            "excess_kurtosis": self.excess_kurtosis,
            "hill_index": self.hill_index,
            "acf_r_1": float(self.acf_returns[0]),
            "max_abs_acf_r_1_5": float(np.max(np.abs(self.acf_returns))),
            "acf_abs_r_1": float(self.acf_abs_returns[0]),
            "acf_abs_r_10": float(self.acf_abs_returns[9]),
            "acf_abs_r_50": float(self.acf_abs_returns[49]),
            "acf_abs_r_100": float(self.acf_abs_returns[99]),
            "leverage_1": float(self.leverage_effect[0]),
        }

    def to_json(self) -> dict:
        return {**self.row(), "acf_returns": self.acf_returns.tolist(),
                "acf_abs_returns": self.acf_abs_returns.tolist(), "leverage_effect": self.leverage_effect.tolist()}


def stylized_facts(returns: np.ndarray, acf_lags: int = 5, abs_acf_lags: int = 100,
                   leverage_lags: int = 10) -> StylizedFacts:
    """All the statistics of a daily log-return series (needs more than ``abs_acf_lags`` days)."""
    r = np.asarray(returns, dtype=float)
    if r.size <= max(abs_acf_lags, acf_lags, leverage_lags) + 1 or not np.all(np.isfinite(r)):
        raise InputError(f"stylized_facts: need more than {abs_acf_lags + 1} finite returns, got {r.size}",
                         field="returns", allowed=f"more than {abs_acf_lags + 1} finite values")
    return StylizedFacts(
        days=int(r.size), annualized_vol=annualized_vol(r), skewness=skewness(r),
        excess_kurtosis=excess_kurtosis(r), hill_index=hill_index(r), acf_returns=acf(r, acf_lags),
        acf_abs_returns=acf(np.abs(r), abs_acf_lags), leverage_effect=leverage_effect(r, leverage_lags))
