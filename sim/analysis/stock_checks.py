"""Known-result checks of the stock layer (issue 15, item 7): crash-day correlation and holder overlap.

* :func:`crash_day_correlation`: the average pairwise correlation of the names' returns in windows
  around crash days against the rest of the run, with a one-factor benchmark. Conditional
  correlations rise mechanically when the market factor's variance rises (Forbes and Rigobon 2002,
  "No contagion, only interdependence", J. Finance 57: 2223-2261), so "correlation rises on crash
  days" says little on its own; the benchmark is what a one-factor model, its betas and
  idiosyncratic variances estimated on the calm days, gives with only the factor's variance raised
  to its crash-window value. Forced selling through shared holders adds common moves beyond the
  factor, so the measured rise exceeds the benchmark's (:attr:`CrashCorrelation.excess`).
* :func:`holder_overlap_exposure` and :func:`overlap_regression`: Greenwood, Landier and Thesmar
  (2015, "Vulnerable banks", J. Financial Economics 115: 471-485) style exposure of each name to a
  shock in one name through the accounts that hold both, and the cross-sectional regression of the
  names' forced sales on it.

:func:`mean_pairwise_correlation` is the O(N D) closed form used by both correlation measures
(the variance of the average of standardised returns), equal to averaging ``np.corrcoef``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.stock_overlap import (
    OverlapFit,
    holder_overlap_exposure,
    holder_overlap_exposure_reference,
    overlap_regression,
)
from sim.core.errors import InputError

__all__ = ["CRASH_HALF_WINDOW", "CrashCorrelation", "OverlapFit", "crash_day_correlation", "crash_window",
           "holder_overlap_exposure", "holder_overlap_exposure_reference", "mean_pairwise_correlation",
           "one_factor_correlation", "overlap_regression"]

CRASH_HALF_WINDOW = 5
"""Days on either side of a crash day counted as its window (assumption: forced selling after a
crash day plays out over days; one trading week each side)."""


def _returns(ret) -> np.ndarray:
    r = np.asarray(ret, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] < 2 or r.shape[1] < 2 or not np.isfinite(r).all():
        raise InputError("ret: must be finite float64 of shape (D >= 2, N >= 2)", field="ret",
                         allowed="finite, shape (D >= 2, N >= 2)")
    return r


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not (np.isfinite(w).all() and np.all(w >= 0.0)) or np.count_nonzero(w) < 2:
        raise InputError(f"weights: must be finite >= 0 of shape ({n},), at least two > 0", field="weights",
                         allowed=f"finite >= 0, shape ({n},)")
    return w


def _pair_average(w: np.ndarray, var_of_sum: float, own: float) -> float:
    """Pair average sum_{j != k} w_j w_k c_jk / sum_{j != k} w_j w_k.

    From var_of_sum = sum_jk w_j w_k c_jk and own = sum_j w_j^2 c_jj.
    """
    s1, s2 = w.sum(), np.dot(w, w)
    return float((var_of_sum - own) / (s1 * s1 - s2))


def mean_pairwise_correlation(ret, weights=None) -> float:
    """Average correlation over pairs of distinct names, in O(N D) without the N x N matrix.

    With z the returns standardised per name (mean 0, variance 1 over the D days) and
    ``zbar_t = sum_j w_j z_tj``, ``var(zbar) = sum_j w_j^2 + sum_{j != k} w_j w_k rho_jk``, so

        rho_bar = (var(zbar) - sum_j w_j^2) / ((sum_j w_j)^2 - sum_j w_j^2),

    which with equal weights is (var(zbar) - N) / (N^2 - N) = (N var(mean_j z_j) - 1) / (N - 1), the
    plain average of the off-diagonal entries of ``np.corrcoef(ret.T)``.

    Parameters
    ----------
    ret : array of float, (D, N)
        Returns, D >= 2 days of N >= 2 names.
    weights : array of float, (N,), optional
        Pair (j, k) counts w_j w_k (e.g. market values); equal by default.

    Returns
    -------
    float
        The average, in [-1, 1]. Names that do not move over the D days (no defined correlation)
        are left out; nan when fewer than two names move.
    """
    r = _returns(ret)
    w = _weights(weights, r.shape[1])
    z = r - r.mean(axis=0)
    sd = np.sqrt((z * z).mean(axis=0))
    moving = (sd > 1e-12 * np.abs(r).max(axis=0)) & (w > 0.0)  # a constant column's sd is rounding
    if np.count_nonzero(moving) < 2:
        return float("nan")
    z, w = z[:, moving] / sd[moving], w[moving]
    zbar = z @ w
    return _pair_average(w, float(np.dot(zbar, zbar) / r.shape[0]), float(np.dot(w, w)))


def one_factor_correlation(beta, factor_var: float, idio_var, weights=None) -> float:
    """Average pairwise correlation of the one-factor model r_j = beta_j f + e_j, in closed form.

    corr(j, k) = a_j a_k with a_j = beta_j sigma_f / sqrt(beta_j^2 sigma_f^2 + s_j^2), so the
    (weighted) average over pairs j != k is ((sum w a)^2 - sum w^2 a^2) / ((sum w)^2 - sum w^2).

    Parameters
    ----------
    beta : array of float, (N,)
        Loadings on the factor.
    factor_var : float
        Variance of the factor, sigma_f^2 >= 0.
    idio_var : array of float, (N,)
        Idiosyncratic variances s_j^2 >= 0.
    weights : array of float, (N,), optional
        Pair weights, as in :func:`mean_pairwise_correlation`.

    Returns
    -------
    float
        The average correlation (names with zero total variance count a_j = 0).
    """
    b = np.asarray(beta, dtype=np.float64)
    s2 = np.asarray(idio_var, dtype=np.float64)
    w = _weights(weights, b.shape[0])
    total = b * b * factor_var + s2
    a = np.divide(b * np.sqrt(factor_var), np.sqrt(total), out=np.zeros_like(b), where=total > 0.0)
    wa = w * a
    return _pair_average(w, float(wa.sum() ** 2), float(np.dot(wa, wa)))


@dataclass(frozen=True)
class CrashCorrelation:
    """Average pairwise correlation of returns in crash windows and on calm days, and its one-factor benchmark.

    Attributes
    ----------
    crash, calm : float
        :func:`mean_pairwise_correlation` over the days within ``half_window`` of a crash day, and
        over the other days (each sample demeaned on its own).
    one_factor_crash, one_factor_calm : float
        :func:`one_factor_correlation` with the betas and idiosyncratic variances estimated on the
        calm days and the factor's variance of the crash windows, resp. of the calm days.
    factor_var_crash, factor_var_calm : float
        Variance of the market factor (the weighted average return) in each sample.
    crash_days, calm_days : int
        Days in each sample.
    """

    crash: float
    calm: float
    one_factor_crash: float
    one_factor_calm: float
    factor_var_crash: float
    factor_var_calm: float
    crash_days: int
    calm_days: int

    @property
    def rise(self) -> float:
        """Measured rise of the average correlation, crash minus calm."""
        return self.crash - self.calm

    @property
    def one_factor_rise(self) -> float:
        """Rise a one-factor market gives from the factor's variance alone."""
        return self.one_factor_crash - self.one_factor_calm

    @property
    def excess(self) -> float:
        """Rise beyond the one-factor benchmark's (> 0: common moves beyond the market factor's)."""
        return self.rise - self.one_factor_rise


def crash_window(days: int, crash_days, half_window: int = CRASH_HALF_WINDOW) -> np.ndarray:
    """(D,) bool: the days within ``half_window`` of a crash day (``crash_days``: indices or a (D,) bool mask)."""
    c = np.asarray(crash_days)
    if c.dtype == np.bool_:
        if c.shape != (days,):
            raise InputError(f"crash_days: a bool mask must have shape ({days},)", field="crash_days",
                             allowed=f"bool of shape ({days},) or day indices in [0, {days})")
        c = np.flatnonzero(c)
    c = c.astype(np.int64).ravel()
    if c.size == 0 or c.min() < 0 or c.max() >= days:
        raise InputError(f"crash_days: must be one or more day indices in [0, {days})", field="crash_days",
                         allowed=f"[0, {days})")
    if not (isinstance(half_window, int | np.integer) and half_window >= 0):
        raise InputError("half_window: must be an integer >= 0", field="half_window", allowed=">= 0")
    diff = np.zeros(days + 1, dtype=np.int64)
    np.add.at(diff, np.maximum(c - half_window, 0), 1)
    np.add.at(diff, np.minimum(c + half_window + 1, days), -1)
    return np.cumsum(diff[:-1]) > 0


def crash_day_correlation(ret, crash_days, weights=None, half_window: int = CRASH_HALF_WINDOW,
                          factor=None) -> CrashCorrelation:
    """Average pairwise correlation of returns in windows around crash days vs the other days.

    On the calm days, each name's beta (cov(r_j, f) / var(f)) on the market factor f and its
    idiosyncratic variance (var(r_j - beta_j f)) are estimated; the benchmark is the one-factor
    correlation with those, at the factor variance of each sample.

    Which factor. The stock layer's flows do not move the market's index (docs/stocks.md), so the
    market's own daily return is an exogenous factor: pass it as ``factor``, and forced selling
    shows as correlation beyond the benchmark. Without it, f is the weighted average of the
    names' returns; forced selling then moves f too, and selling concentrated in part of the
    market raises f's variance (and so the benchmark) more than it raises the average pairwise
    correlation (pairs across the groups do not co-move more), so ``excess`` can be negative.

    Parameters
    ----------
    ret : array of float, (D, N)
        Daily returns of N >= 2 names.
    crash_days : array of int or (D,) bool
        The crash days (e.g. the days the index fell most, or a scenario's shock days).
    weights : array of float, (N,), optional
        Market values: weight of each name in the factor and of each pair in the averages.
    half_window : int
        Days either side of a crash day in its window (:data:`CRASH_HALF_WINDOW`).
    factor : array of float, (D,), optional
        The market factor's daily return (the market model's index return); default the
        ``weights``-weighted average of ``ret``.

    Returns
    -------
    CrashCorrelation
        Both samples' averages and the benchmark. Each sample needs at least 2 days.
    """
    r = _returns(ret)
    w = _weights(weights, r.shape[1])
    crash = crash_window(r.shape[0], crash_days, half_window)
    if crash.sum() < 2 or (~crash).sum() < 2:
        raise InputError("crash_days: the crash windows and the calm days must each hold >= 2 days",
                         field="crash_days", allowed=">= 2 days in and out of the windows")
    f = r @ w / w.sum() if factor is None else np.asarray(factor, dtype=np.float64)
    if f.shape != (r.shape[0],) or not np.isfinite(f).all():
        raise InputError(f"factor: must be finite of shape ({r.shape[0]},)", field="factor",
                         allowed=f"finite, shape ({r.shape[0]},)")
    calm_r, calm_f = r[~crash] - r[~crash].mean(axis=0), f[~crash] - f[~crash].mean()
    var_calm = float(np.dot(calm_f, calm_f) / calm_f.size)
    crash_f = f[crash] - f[crash].mean()
    var_crash = float(np.dot(crash_f, crash_f) / crash_f.size)
    beta = calm_r.T @ calm_f / calm_f.size / var_calm if var_calm > 0.0 else np.zeros(r.shape[1])
    resid = calm_r - calm_f[:, None] * beta
    idio = (resid * resid).mean(axis=0)
    return CrashCorrelation(
        crash=mean_pairwise_correlation(r[crash], w), calm=mean_pairwise_correlation(r[~crash], w),
        one_factor_crash=one_factor_correlation(beta, var_crash, idio, w),
        one_factor_calm=one_factor_correlation(beta, var_calm, idio, w),
        factor_var_crash=var_crash, factor_var_calm=var_calm,
        crash_days=int(crash.sum()), calm_days=int((~crash).sum()))
