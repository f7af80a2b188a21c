"""The moments `marginsim calibrate` matches: daily index returns plus monthly margin debt.

A sample is a :class:`MonthlySample`: whole calendar months (or, for a simulated path, blocks
of 21 trading days), each carrying its daily log returns, the index's log change over the
month and the margin debt's log change over the month. The 13 moments (:data:`MOMENTS`) are

=====================  ==============================================================
``annualized_vol``     sample sd of daily log returns x sqrt(252)
``excess_kurtosis``    bias-corrected excess kurtosis
``hill_index``         Hill estimator of the loss tail from the 2.5% worst days
``acf_abs_r_K``        ACF of |r| at lags K = 1, 5, 20, 50, 100
``acf_r_1``            ACF of r at lag 1
``leverage_1``         corr(r_t, |r_t+1|) (the leverage effect, negative in real data)
``debt_yoy_mean``      mean of margin debt's year-on-year log growth
``debt_yoy_sd``        its standard deviation (ddof 1)
``debt_index_corr``    corr(debt YoY log growth, index YoY log return)
=====================  ==============================================================

Year-on-year log changes are sums of 12 consecutive monthly log changes (overlapping windows),
so a resampled series of months has them too. The daily statistics come from
:mod:`sim.analysis.stylized_facts` (CPU-independent sums and logarithms).

Real data (offline): the S&P 500 and NASDAQ composite daily adjusted closes shipped in
``arch.data`` (1999-01-04 .. 2018-12-31) and FINRA's month-end debit balances
(:func:`sim.config.finra.debit_balances`, 1997-01 .. 2026-07).

:func:`bootstrap_cov` is the moments' covariance from a circular block bootstrap of whole
months (Politis and Romano 1992): blocks of ``block`` consecutive months (default 12, so a
block holds a year of volatility clustering and the YoY changes inside it) are drawn with
replacement, wrapping around the end, until the resampled series has as many months as the
real one; each month keeps its daily returns and its two monthly changes together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from arch.data import nasdaq, sp500

from sim.analysis import stylized_facts as sf
from sim.analysis.stats import block_rows
from sim.config import finra
from sim.config.calibration import MOMENTS as CONFIG_MOMENTS
from sim.core.detarrays import log_array
from sim.core.errors import InputError
from sim.run.metrics import excess_kurtosis

ABS_LAGS = (1, 5, 20, 50, 100)
"""Lags of the ACF of |r| among the moments."""
MOMENTS = CONFIG_MOMENTS
"""The 13 moments, in the order of every moment vector (listed in the config layer, which validates specs)."""
LABELS = {
    "annualized_vol": "annualised vol", "excess_kurtosis": "excess kurtosis", "hill_index": "Hill index, 2.5% worst",
    **{f"acf_abs_r_{k}": f"ACF |r|, lag {k}" for k in ABS_LAGS}, "acf_r_1": "ACF r, lag 1",
    "leverage_1": "corr(r_t, |r_t+1|)", "debt_yoy_mean": "margin debt YoY log growth, mean",
    "debt_yoy_sd": "margin debt YoY log growth, sd", "debt_index_corr": "corr(debt YoY, index YoY)",
}
MONTH_DAYS = 21
"""Trading days in a simulated month (a block of the daily path)."""
YEAR = 12
"""Months in a year-on-year change."""


@dataclass(frozen=True)
class MonthlySample:
    """Daily returns grouped by month, with the index's and the margin debt's monthly log changes.

    Attributes
    ----------
    returns : numpy.ndarray
        Daily log returns, oldest first.
    starts : numpy.ndarray
        Index in ``returns`` of each month's first day (length M, increasing, first 0).
    index_change, debt_change : numpy.ndarray
        Log change of the index level and of margin debt over each month (length M).
    """

    returns: np.ndarray
    starts: np.ndarray
    index_change: np.ndarray
    debt_change: np.ndarray

    @property
    def months(self) -> int:
        return int(self.starts.size)

    def month_returns(self, m: int) -> np.ndarray:
        """The daily returns of month ``m``."""
        end = self.starts[m + 1] if m + 1 < self.months else self.returns.size
        return self.returns[self.starts[m]:end]

    def take(self, order: np.ndarray) -> MonthlySample:
        """The sample made of months ``order`` (a resampled series), in that order."""
        days = [self.month_returns(int(m)) for m in order]
        sizes = np.array([d.size for d in days], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        return MonthlySample(np.concatenate(days), starts, self.index_change[order], self.debt_change[order])


def yoy(monthly_change: np.ndarray) -> np.ndarray:
    """Year-on-year log changes: sums of 12 consecutive monthly log changes (length M - 11)."""
    c = np.concatenate(([0.0], np.cumsum(np.asarray(monthly_change, dtype=float))))
    return c[YEAR:] - c[:-YEAR]


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if x.size > 1 else math.nan


def _flat(x: np.ndarray) -> bool:
    """Constant up to rounding (a YoY series of constant growth, summed from cumulative sums)."""
    return bool(np.ptp(x) <= 1e-12 * (1.0 + np.max(np.abs(x))))


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3 or _flat(x) or _flat(y):
        return math.nan
    return sf.pearson(x, y)


def moments(sample: MonthlySample, names: Sequence[str] = MOMENTS) -> np.ndarray:
    """The moment vector of ``sample``, in the order of ``names`` (a subset of :data:`MOMENTS`).

    Parameters
    ----------
    sample : MonthlySample
        At least 102 daily returns and 14 months.
    names : sequence of str
        Which moments.

    Returns
    -------
    numpy.ndarray
        One float per name; NaN where a moment is undefined (e.g. a constant margin debt).
    """
    r = np.asarray(sample.returns, dtype=float)
    if r.size <= max(ABS_LAGS) + 1 or sample.months < YEAR + 2:
        raise InputError(f"moments: need more than {max(ABS_LAGS) + 1} days and {YEAR + 2} months, got {r.size} "
                         f"and {sample.months}", field="sample", allowed=f"> {max(ABS_LAGS) + 1} days")
    out: dict[str, float] = {}
    want = set(names)
    if want & {"annualized_vol"}:
        out["annualized_vol"] = sf.annualized_vol(r)
    if "excess_kurtosis" in want:
        out["excess_kurtosis"] = excess_kurtosis(r)
    if "hill_index" in want:
        out["hill_index"] = _hill(r)
    if want & {f"acf_abs_r_{k}" for k in ABS_LAGS}:
        a = sf.acf(np.abs(r), max(ABS_LAGS))
        out.update({f"acf_abs_r_{k}": float(a[k - 1]) for k in ABS_LAGS})
    if "acf_r_1" in want:
        out["acf_r_1"] = float(sf.acf(r, 1)[0])
    if "leverage_1" in want:
        out["leverage_1"] = _corr(r[:-1], np.abs(r[1:]))
    debt, index = yoy(sample.debt_change), yoy(sample.index_change)
    out["debt_yoy_mean"] = float(debt.mean())
    out["debt_yoy_sd"] = _sd(debt)
    out["debt_index_corr"] = _corr(debt, index)
    return np.array([out[n] for n in names])


def _hill(r: np.ndarray) -> float:
    try:
        return sf.hill_index(r)
    except InputError:  # fewer positive losses than the tail needs (a path that only rises)
        return math.nan


def check_names(names: Sequence[str], field: str = "moments") -> list[str]:
    """``names`` as a list, each one of :data:`MOMENTS` and distinct; else a one-line InputError."""
    allowed = ", ".join(MOMENTS)
    names = list(names)
    bad = [n for n in names if n not in MOMENTS]
    if bad or not names or len(set(names)) != len(names):
        what = f"unknown moment {bad[0]!r}" if bad else "must be distinct and non-empty"
        raise InputError(f"{field}: {what}; allowed: {allowed}", field=field, allowed=allowed)
    return names


# ------------------------------------------------------------------------------ bootstrap
def bootstrap_draws(sample: MonthlySample, statistic: Callable[[MonthlySample], np.ndarray], replications: int = 500,
                    block: int = 12, seed: int = 0) -> np.ndarray:
    """``statistic`` on ``replications`` circular block-bootstrap resamples of whole months (rows).

    The draws come from ``numpy.random.default_rng(SeedSequence(seed))``: the same seed gives the
    same rows. Each resample has the real sample's number of months M, made of ceil(M / block)
    blocks of ``block`` consecutive months starting at uniform positions, wrapping around.
    """
    m = sample.months
    if not 1 <= block <= m:
        raise InputError(f"block = {block}: must be in [1, {m}] months", field="block", allowed=f"[1, {m}]")
    if replications < 2:
        raise InputError(f"replications = {replications}: must be >= 2", field="replications", allowed=">= 2")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return np.array([statistic(sample.take(block_rows(rng, m, block, circular=True))) for _ in range(replications)])


def bootstrap_cov(sample: MonthlySample, names: Sequence[str] = MOMENTS, replications: int = 500, block: int = 12,
                  seed: int = 0) -> np.ndarray:
    """Covariance (ddof 1) of the moments ``names`` over block-bootstrap resamples of ``sample``.

    Returns
    -------
    numpy.ndarray
        ``len(names) x len(names)``: the sampling covariance of the moment vector of a sample
        the size of ``sample``.
    """
    draws = bootstrap_draws(sample, lambda s: moments(s, names), replications, block, seed)
    draws = draws[np.all(np.isfinite(draws), axis=1)]
    return np.atleast_2d(np.cov(draws, rowvar=False, ddof=1))


# ------------------------------------------------------------------------------ real data
def _levels(which: str) -> pd.Series:
    module = {"sp500": sp500, "nasdaq": nasdaq}.get(which)
    if module is None:
        raise InputError(f"index {which!r}: must be sp500 or nasdaq", field="index", allowed="sp500, nasdaq")
    return module.load()["Adj Close"].astype(float)


def real_sample(start: str, end: str, index: str = "sp500") -> MonthlySample:
    """Real daily returns of ``index`` (``arch.data``) and FINRA debt changes, calendar months in [start, end].

    A month's index change is the sum of its daily log returns (close to close, so the first
    month of the data lacks its first day); its debt change is the log change of FINRA's
    month-end debit balance from the month before.
    """
    close = _levels(index)
    r = pd.Series(np.diff(log_array(close.to_numpy())), index=close.index[1:])
    r = r[(r.index >= pd.Timestamp(start)) & (r.index <= pd.Timestamp(end))]
    if r.size < 400:
        raise InputError(f"data window {start}..{end}: {r.size} trading days of {index} data (1999-01-04 .. "
                         "2018-12-31); need at least 400", field="window", allowed="within 1999-01..2018-12")
    months = r.index.to_period("M")
    first = np.flatnonzero(np.concatenate(([True], months[1:] != months[:-1])))
    periods = months[first]
    debt = finra.debit_balances()
    prev = periods - 1
    if prev[0] < debt.index[0] or periods[-1] > debt.index[-1]:
        raise InputError(f"data window {start}..{end}: outside FINRA's history ({debt.index[0]}..{debt.index[-1]})",
                         field="window", allowed=f"{debt.index[0]}..{debt.index[-1]}")
    d_now = log_array(debt.reindex(periods).to_numpy())
    d_prev = log_array(debt.reindex(prev).to_numpy())
    idx_change = np.add.reduceat(r.to_numpy(), first)
    return MonthlySample(r.to_numpy(), first.astype(np.int64), idx_change, d_now - d_prev)


def path_sample(index_level: np.ndarray, margin_debt: np.ndarray, burn_in: int, days: int) -> MonthlySample:
    """A simulated path's sample: ``days`` daily returns after ``burn_in`` days, months of 21 days.

    The path needs ``burn_in + days + 1`` levels; month k's changes are the log changes of the
    index level and of margin debt from day ``burn_in + 21 k`` to day ``burn_in + 21 (k + 1)``
    (the last, partial month is dropped from the monthly series, not from the daily returns).
    """
    level = np.asarray(index_level, dtype=float)[burn_in:burn_in + days + 1]
    debt = np.asarray(margin_debt, dtype=float)[burn_in:burn_in + days + 1]
    if level.size != days + 1:
        raise InputError(f"path of {np.asarray(index_level).size} days: needs burn_in + days + 1 = "
                         f"{burn_in + days + 1}", field="days", allowed=f">= {burn_in + days + 1}")
    months = days // MONTH_DAYS
    r = np.diff(log_array(level))
    edges = np.arange(months + 1) * MONTH_DAYS
    log_level = log_array(level[edges])
    log_debt = log_array(np.maximum(debt[edges], 1e-300))  # a book that repaid everything: -690, not -inf
    return MonthlySample(r, edges[:-1].astype(np.int64), np.diff(log_level), np.diff(log_debt))
