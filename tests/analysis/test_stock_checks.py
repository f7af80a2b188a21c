"""Crash-day correlation and Greenwood-Landier-Thesmar holder overlap (issue 15, item 7), against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.stock_checks import (
    crash_day_correlation,
    crash_window,
    holder_overlap_exposure,
    holder_overlap_exposure_reference,
    mean_pairwise_correlation,
    one_factor_correlation,
    overlap_regression,
)
from sim.book.sparse import SparseBook
from sim.book.sparse_cascade import linear_impact
from sim.book.sparse_targeting import cascade_targeting, initial_leverage
from sim.core import detrandom
from sim.core.errors import InputError
from tests.book.test_sparse import random_sparse_book


def _corrcoef_average(ret, weights=None):
    c = np.corrcoef(ret.T)
    w = np.ones(ret.shape[1]) if weights is None else weights
    ww = np.outer(w, w)
    np.fill_diagonal(ww, 0.0)
    return (c * ww).sum() / ww.sum()


@pytest.mark.parametrize("seed", range(4))
def test_mean_pairwise_correlation_is_the_corrcoef_average(seed):
    rng = np.random.default_rng(seed)
    d, n = 30 + 10 * seed, 5 + 7 * seed
    ret = detrandom.standard_normal(rng, (d, n)) + rng.random() * detrandom.standard_normal(rng, (d, 1))
    assert mean_pairwise_correlation(ret) == pytest.approx(_corrcoef_average(ret), abs=1e-12)
    w = rng.random(n)
    assert mean_pairwise_correlation(ret, w) == pytest.approx(_corrcoef_average(ret, w), abs=1e-12)


def test_names_that_do_not_move_are_left_out():
    rng = np.random.default_rng(1)
    ret = detrandom.standard_normal(rng, (50, 6))
    flat = np.hstack([ret, np.full((50, 1), 0.01)])
    assert mean_pairwise_correlation(flat) == pytest.approx(_corrcoef_average(ret), abs=1e-12)


def _one_factor(rng, days, beta, factor_sd, idio_sd, with_factor=False):
    f = factor_sd * detrandom.standard_normal(rng, (days, 1))
    ret = beta * f + idio_sd * detrandom.standard_normal(rng, (days, beta.shape[0]))
    return (ret, f[:, 0]) if with_factor else ret


def test_one_factor_returns_match_the_closed_form_within_sampling_error():
    rng = np.random.default_rng(7)
    beta = np.linspace(0.5, 1.5, 40)
    idio_sd = np.linspace(0.01, 0.03, 40)
    expected = one_factor_correlation(beta, 0.01 ** 2, idio_sd ** 2)
    assert 0.1 < expected < 0.5
    got = mean_pairwise_correlation(_one_factor(rng, 20_000, beta, 0.01, idio_sd))
    assert got == pytest.approx(expected, abs=0.01)  # sampling sd of the average ~ 0.005 at 20,000 days


def test_one_factor_closed_form_equals_the_pair_average_of_its_correlation_matrix():
    beta, s2, var_f = np.array([0.5, 1.0, 2.0]), np.array([1.0, 2.0, 0.5]), 1.5
    cov = var_f * np.outer(beta, beta) + np.diag(s2)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert one_factor_correlation(beta, var_f, s2) == pytest.approx((corr.sum() - 3) / 6, abs=1e-14)


def test_crash_windows_cover_the_days_around_each_crash():
    mask = crash_window(20, [0, 10], half_window=2)
    assert np.flatnonzero(mask).tolist() == [0, 1, 2, 8, 9, 10, 11, 12]
    assert np.array_equal(crash_window(5, np.array([False, True, False, False, False]), 0),
                          [False, True, False, False, False])
    with pytest.raises(InputError, match="crash_days"):
        crash_window(5, [5])


def test_a_factor_variance_rise_alone_is_the_benchmarks_rise():
    """One factor whose variance is 9x in crash windows: the correlation rises, all of it explained."""
    rng = np.random.default_rng(3)
    days, beta, idio = 6000, np.linspace(0.6, 1.4, 30), np.full(30, 0.02)
    crash = crash_window(days, np.arange(50, days, 200), half_window=5)
    ret, f = _one_factor(rng, days, beta, 0.01, idio, with_factor=True)
    ret[crash], f[crash] = _one_factor(rng, int(crash.sum()), beta, 0.03, idio, with_factor=True)
    for given_factor in (None, f):
        cc = crash_day_correlation(ret, np.arange(50, days, 200), half_window=5, factor=given_factor)
        assert cc.rise > 0.25
        assert cc.factor_var_crash / cc.factor_var_calm == pytest.approx(9.0, rel=0.15)
        assert cc.excess == pytest.approx(0.0, abs=0.03)


def test_common_selling_in_crash_windows_raises_correlation_beyond_the_benchmark():
    """Crash windows add a common move to all names off the market factor (forced sales by shared holders).

    The market's own factor (exogenous, as the market's index is to the stock layer) keeps its
    variance, so the benchmark does not move and the whole rise is excess."""
    rng = np.random.default_rng(4)
    days, beta, idio = 6000, np.linspace(0.6, 1.4, 30), np.full(30, 0.02)
    crash_days = np.arange(50, days, 200)
    crash = crash_window(days, crash_days, half_window=5)
    ret, f = _one_factor(rng, days, beta, 0.01, idio, with_factor=True)
    ret[crash] += 0.02 * detrandom.standard_normal(rng, (int(crash.sum()), 1))
    cc = crash_day_correlation(ret, crash_days, half_window=5, factor=f)
    assert cc.one_factor_rise == pytest.approx(0.0, abs=0.03)
    assert cc.rise > 0.2
    assert cc.excess > 0.2


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), m=st.integers(1, 25), shocked=st.integers(0, 24))
def test_exposure_kernel_equals_the_reference(seed, n, m, shocked):
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 50.0, m)
    book = random_sparse_book(rng, n, m, 2, prices)
    s = shocked % m
    np.testing.assert_allclose(holder_overlap_exposure(book, prices, s),
                               holder_overlap_exposure_reference(book, prices, s), rtol=1e-12, atol=1e-12)


def test_a_name_no_holder_of_the_shocked_name_holds_has_no_exposure():
    # account 0: names 0, 1 (levered); account 1: names 2, 3 (levered); account 2: short name 0, long 4
    book = SparseBook(np.array([0, 2, 4, 6]), np.array([0, 1, 2, 3, 0, 4]), np.array([1.0, 1.0, 1.0, 1.0, -1.0, 3.0]),
                      np.array([-1.0, -1.0, 0.0]), np.zeros(3, dtype=np.int32), 5)
    x = holder_overlap_exposure(book, np.ones(5), 0)
    # account 0: gross 2, equity 1, leverage - 1 = 1, weight in name 0 = 1/2: X = 0.5 x $1 each
    np.testing.assert_array_equal(x, [0.5, 0.5, 0.0, 0.0, 0.0])


def test_bad_shocked_name_raises():
    book = SparseBook(np.array([0, 1]), np.array([0]), np.array([1.0]), np.array([0.0]), np.zeros(1, np.int32), 2)
    with pytest.raises(InputError, match="shocked"):
        holder_overlap_exposure(book, np.ones(2), 2)


def test_regression_recovers_a_planted_slope():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1e8, 200)
    y = 3e6 + 0.4 * x + 1e6 * detrandom.standard_normal(rng, 200)
    y[17] = 1e12  # the shocked name: left out
    fit = overlap_regression(y, x, exclude=17)
    assert fit.n == 199
    assert fit.slope == pytest.approx(0.4, abs=0.005)
    assert fit.intercept == pytest.approx(3e6, rel=0.15)
    assert fit.r2 > 0.99
    scaled = overlap_regression(y * 2.0, x * 2.0, exclude=[17], scale=np.full(200, 2.0))
    assert scaled.slope == pytest.approx(fit.slope, rel=1e-12)


def test_leverage_targeting_sales_are_shock_times_exposure():
    """GLT's linear rule: with no impact, a fall delta in name s makes the book sell delta X_j of each j."""
    rng = np.random.default_rng(11)
    m, n, s, delta = 30, 400, 3, 0.01
    prices = rng.uniform(5.0, 50.0, m)
    book = random_sparse_book(rng, n, m, 1, prices, max_positions=8, short_share=0.0, empty_share=0.0)
    x = holder_overlap_exposure(book, prices, s)
    shocked = prices.copy()
    shocked[s] *= 1.0 - delta
    out = cascade_targeting(book, shocked, initial_leverage(book, prices), linear_impact(np.zeros(m)), 5, 0.0)
    fit = overlap_regression(out.sold_usd, x, exclude=s)
    assert fit.slope == pytest.approx(delta, rel=0.02)
    assert fit.r2 > 0.999
    assert abs(fit.intercept) < 1e-3 * out.sold_usd.max()
