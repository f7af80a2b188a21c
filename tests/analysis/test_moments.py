"""Calibration moments against known answers, and the month-block bootstrap against the iid variance of a mean."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis import moments as mo


def _sample(r: np.ndarray, month: int = 21, debt_change: np.ndarray | None = None) -> mo.MonthlySample:
    months = r.size // month
    starts = np.arange(months) * month
    idx = np.add.reduceat(r[:months * month], starts)
    debt = np.zeros(months) if debt_change is None else debt_change
    return mo.MonthlySample(r[:months * month], starts, idx, debt)


def test_acf_of_r_matches_an_ar1_coefficient():
    n, phi = 40_000, 0.4
    rng = np.random.default_rng(1)
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    (acf1,) = mo.moments(_sample(x * 0.01), ["acf_r_1"])
    assert abs(acf1 - phi) < 4 * math.sqrt((1 - phi ** 2) / n)  # Bartlett: sd of the lag-1 ACF of an AR(1)


def test_excess_kurtosis_of_a_laplace_sample_is_three():
    r = np.random.default_rng(2).laplace(0.0, 0.01, 400_000)
    (kurt,) = mo.moments(_sample(r), ["excess_kurtosis"])
    # Laplace: excess kurtosis 3; sd of the sample kurtosis about sqrt(mu8 / sigma^8 / n) = sqrt(2520 / n)
    assert abs(kurt - 3.0) < 4 * math.sqrt(2520 / r.size)


def test_hill_index_of_pareto_losses_is_alpha():
    alpha, n = 3.0, 80_000
    losses = np.random.default_rng(3).pareto(alpha, n) + 1.0  # P(L > x) = x^-alpha, x >= 1
    (hill,) = mo.moments(_sample(-losses * 0.01), ["hill_index"])
    k = round(0.025 * n)
    assert abs(hill - alpha) < 4 * alpha / math.sqrt(k)  # the Hill estimator's sd on an exact Pareto: alpha / sqrt(k)


def test_vol_and_leverage_of_iid_gaussian_returns():
    r = np.random.default_rng(4).normal(0.0, 0.01, 50_000)
    vol, lev = mo.moments(_sample(r), ["annualized_vol", "leverage_1"])
    assert vol == pytest.approx(0.01 * math.sqrt(252), rel=0.02)
    assert abs(lev) < 4 / math.sqrt(r.size)


def test_margin_debt_moments_of_constant_growth_and_of_a_debt_that_follows_the_index():
    r = np.random.default_rng(5).normal(0.0005, 0.01, 21 * 60)
    s = _sample(r, debt_change=np.full(60, 0.01))
    mean, sd, corr = mo.moments(s, ["debt_yoy_mean", "debt_yoy_sd", "debt_index_corr"])
    assert mean == pytest.approx(0.12) and sd == pytest.approx(0.0, abs=1e-12) and math.isnan(corr)  # no variation
    s2 = mo.MonthlySample(s.returns, s.starts, s.index_change, 2.0 * s.index_change)
    assert mo.moments(s2, ["debt_index_corr"])[0] == pytest.approx(1.0)


def test_yoy_is_the_sum_of_twelve_consecutive_monthly_changes():
    c = np.arange(1.0, 25.0)
    y = mo.yoy(c)
    assert y.size == 13 and y[0] == sum(range(1, 13)) and y[-1] == sum(range(13, 25))


def test_path_sample_takes_months_of_21_days_after_the_burn_in():
    level = np.exp(np.arange(300) * 0.001)
    debt = np.exp(np.arange(300) * 0.002)
    s = mo.path_sample(level, debt, burn_in=10, days=252)
    assert s.returns.size == 252 and s.months == 12
    assert np.allclose(s.returns, 0.001) and np.allclose(s.index_change, 0.021) and np.allclose(s.debt_change, 0.042)
    with pytest.raises(mo.InputError):
        mo.path_sample(level, debt, burn_in=100, days=252)


def test_real_sample_of_sp500_1999_2008_has_its_days_and_months():
    s = mo.real_sample("1999-01-01", "2008-12-31")
    assert s.returns.size == 2514 and s.months == 120
    assert s.index_change[5] == pytest.approx(s.month_returns(5).sum())
    real = dict(zip(mo.MOMENTS, mo.moments(s), strict=True))
    assert 0.18 < real["annualized_vol"] < 0.25 and real["leverage_1"] < 0 and real["debt_index_corr"] > 0.5


def _mean_stats(x: mo.MonthlySample) -> np.ndarray:
    return np.array([x.returns.mean(), x.index_change.mean()])


def test_month_bootstrap_variance_of_a_mean_matches_the_iid_formula():
    n_months, sigma, reps = 240, 0.01, 2000
    r = np.random.default_rng(6).normal(0.0, sigma, 21 * n_months)
    var = mo.bootstrap_draws(_sample(r), _mean_stats, replications=reps, block=1, seed=3).var(axis=0, ddof=1)
    # iid data: the mean of n days has variance sigma^2 / n, the mean of M monthly sums 21 sigma^2 / M.
    # Tolerance: 5 x the relative sd of the estimate, sqrt(2 / M) (the data's variance) and sqrt(2 / B) (the draws)
    tol = 5 * math.sqrt(2 / n_months + 2 / reps)
    assert var[0] == pytest.approx(sigma ** 2 / r.size, rel=tol)
    assert var[1] == pytest.approx(21 * sigma ** 2 / n_months, rel=tol)


def test_circular_block_bootstrap_variance_is_the_variance_of_the_block_means():
    n_months, block, reps = 240, 12, 4000
    r = np.random.default_rng(7).normal(0.0, 0.01, 21 * n_months)
    s = _sample(r)
    draws = mo.bootstrap_draws(s, _mean_stats, replications=reps, block=block, seed=3)
    x = s.index_change
    ring = np.concatenate([x, x[:block]])
    block_means = np.array([ring[i:i + block].mean() for i in range(n_months)])
    exact = ((block_means - x.mean()) ** 2).mean() / (n_months // block)  # k independent uniform circular blocks
    assert draws[:, 1].mean() == pytest.approx(x.mean(), abs=4 * math.sqrt(exact / reps))
    assert draws[:, 1].var(ddof=1) == pytest.approx(exact, rel=5 * math.sqrt(2 / reps))
    again = mo.bootstrap_draws(s, _mean_stats, replications=20, block=block, seed=3)
    assert np.array_equal(again, draws[:20])  # seeded: the same rows


def test_bootstrap_cov_is_symmetric_and_positive_on_real_data():
    s = mo.real_sample("1999-01-01", "2008-12-31")
    cov = mo.bootstrap_cov(s, replications=60, seed=1)
    assert cov.shape == (13, 13) and np.allclose(cov, cov.T) and np.all(np.diag(cov) > 0)


def test_moment_names_are_checked():
    assert mo.check_names(["hill_index"]) == ["hill_index"]
    with pytest.raises(mo.InputError, match="unknown moment 'skew'"):
        mo.check_names(["skew"])
