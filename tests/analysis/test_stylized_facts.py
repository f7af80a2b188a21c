"""Stylized-fact statistics against known answers (Gaussian, Pareto, AR(1), planted leverage effect)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis import stylized_facts as sf


def test_gaussian_sample_has_no_excess_kurtosis_or_skew_and_known_vol():
    r = np.random.default_rng(1).normal(0.0, 0.01, 200_000)
    assert abs(sf.excess_kurtosis(r)) < 0.05          # s.e. ~ sqrt(24 / n) = 0.011
    assert abs(sf.skewness(r)) < 0.03                  # s.e. ~ sqrt(6 / n) = 0.0055
    assert sf.annualized_vol(r) == pytest.approx(0.01 * math.sqrt(252), rel=0.01)


def test_student_t_kurtosis_matches_closed_form():
    nu = 8.0  # excess kurtosis of Student t = 6 / (nu - 4) = 1.5
    r = np.random.default_rng(2).standard_t(nu, 400_000)
    assert sf.excess_kurtosis(r) == pytest.approx(6.0 / (nu - 4.0), abs=0.25)


@pytest.mark.parametrize("alpha", [2.0, 3.0, 4.0])
def test_hill_recovers_the_tail_index_of_a_pareto_sample(alpha):
    rng = np.random.default_rng(3)
    losses = rng.pareto(alpha, 100_000) + 1.0          # P(L > x) = x^-alpha, x >= 1 (exact Pareto)
    returns = -losses
    est = sf.hill_index(returns, k=2_000)
    assert est == pytest.approx(alpha, rel=0.06)       # s.e. alpha / sqrt(k) = 2.2%


def test_hill_of_a_gaussian_is_thin_tailed_and_of_a_student_t_near_nu():
    rng = np.random.default_rng(4)
    assert sf.hill_index(rng.normal(size=5_000)) > 4.0
    assert sf.hill_index(rng.standard_t(3.0, 200_000), tail_fraction=0.005) == pytest.approx(3.0, rel=0.12)


def test_hill_rejects_too_few_points():
    with pytest.raises(ValueError, match="k = 10"):
        sf.hill_index(np.arange(5.0), k=10)


@pytest.mark.parametrize("phi", [0.5, -0.3])
def test_acf_of_an_ar1_is_phi_to_the_k(phi):
    rng = np.random.default_rng(5)
    n = 200_000
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    rho = sf.acf(x, 5)
    np.testing.assert_allclose(rho, phi ** np.arange(1, 6), atol=0.01)


def test_acf_of_white_noise_is_zero_and_of_abs_white_noise_too():
    r = np.random.default_rng(6).normal(size=50_000)
    assert np.max(np.abs(sf.acf(r, 20))) < 0.02        # 2 s.e. = 2 / sqrt(n) = 0.009
    assert np.max(np.abs(sf.acf(np.abs(r), 20))) < 0.02


def test_leverage_effect_is_found_where_planted_and_absent_otherwise():
    rng = np.random.default_rng(7)
    n = 100_000
    z = rng.normal(size=n)
    vol = np.ones(n)
    r = np.empty(n)
    for t in range(n):   # volatility rises after a fall: vol_t = 1 + 0.5 max(-r_t-1, 0)
        vol[t] = 1.0 + (0.5 * max(-r[t - 1], 0.0) if t else 0.0)
        r[t] = vol[t] * z[t]
    assert sf.leverage_effect(r, 3)[0] < -0.1
    assert abs(sf.leverage_effect(z, 3)[0]) < 0.02


def test_stylized_facts_bundle_and_log_returns():
    levels = 100.0 * np.exp(np.cumsum(np.random.default_rng(8).normal(0, 0.01, 3_000)))
    r = sf.log_returns(levels)
    assert r.size == 2_999
    facts = sf.stylized_facts(r)
    row = facts.row()
    assert row["days"] == 2_999 and facts.acf_abs_returns.size == 100 and facts.leverage_effect.size == 10
    assert abs(row["excess_kurtosis"]) < 0.5 and row["hill_index"] > 3.5
    with pytest.raises(ValueError, match="need more than"):
        sf.stylized_facts(r[:50])


def test_skewness_and_pearson_agree_with_scipy_and_numpy():
    """The CPU-independent formulas give scipy's unbiased skewness and numpy's corrcoef (to rounding),
    and the textbook values: an exponential sample has skewness 2; y = 3x + 1 has correlation 1."""
    from scipy import stats

    rng = np.random.default_rng(5)
    x = rng.exponential(size=50_000)
    y = 0.3 * x + rng.normal(size=x.size)
    assert sf.skewness(x) == pytest.approx(stats.skew(x, bias=False), rel=1e-12)
    assert sf.skewness(x) == pytest.approx(2.0, abs=0.1)               # s.e. ~ sqrt(6 / n) x 4
    assert sf.skewness(np.ones(10)) == 0.0
    assert sf.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert sf.pearson(x, 3.0 * x + 1.0) == pytest.approx(1.0, rel=1e-14)
    assert sf.pearson(x, -x) == pytest.approx(-1.0, rel=1e-14)


def test_tail_grid_is_numpys_logspace():
    from sim.analysis.validate import tail_grid

    np.testing.assert_allclose(tail_grid(), np.logspace(-0.5, 1.2, 35), rtol=1e-15)
