"""sim.core.detlanes: log, exp and the normal CDF over arrays (vectorised) give the scalar functions' bits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.core import deterf, detlanes, detmath
from sim.core.jit import _numba

# the boundaries of every range the scalar functions treat differently, and the special values
EDGES = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308, 1.0, -1.0,
         1.0 + 2.0**-21, 1.0 - 2.0**-21, 2.0**-28, -2.0**-28, 0.34657359027997264, 1.0397207708399179,
         0.7071067811865476, 0.84375 / 0.7071067811865476, 1.25 / 0.7071067811865476,
         1 / 0.35 / 0.7071067811865476, 6.0 / 0.7071067811865476, 26.0 / 0.7071067811865476,
         28.0 / 0.7071067811865476, 38.0, 699.9, 700.0, -700.0, 709.78, -745.2, 1e300, -1e300]


def _compiled():
    numba = _numba()

    @numba.njit(error_model="numpy")  # the kernels' error model: a division by zero gives inf, not an exception
    def lanes(x, log_out, exp_out, ndtr_out, odd):
        detlanes.log_all(x, log_out, odd)
        detlanes.exp_all(x, exp_out, odd)
        detlanes.ndtr_all(x, ndtr_out, odd)

    @numba.njit(error_model="numpy")
    def scalars(x, log_out, exp_out, ndtr_out):
        for i in range(x.shape[0]):
            log_out[i] = detmath.log(x[i])
            exp_out[i] = detmath.exp(x[i])
            ndtr_out[i] = deterf.ndtr(x[i])

    return lanes, scalars


_FNS: list = []


def _check(x: np.ndarray) -> None:
    if not _FNS:
        _FNS.extend(_compiled())
    lanes, scalars = _FNS
    got = [np.empty_like(x) for _ in range(3)]
    want = [np.empty_like(x) for _ in range(3)]
    lanes(x, *got, np.empty(x.size, dtype=np.bool_))
    scalars(x, *want)
    for name, g, w in zip(("log", "exp", "ndtr"), got, want, strict=True):
        same = (g.view(np.int64) == w.view(np.int64)) | (np.isnan(g) & np.isnan(w))
        assert same.all(), (name, x[~same][:5])


def test_lanes_give_the_scalar_bits_over_every_range():
    rng = np.random.default_rng(3)
    _check(np.concatenate([
        rng.normal(0, 2, 20000),                   # d1 of the dealers' series
        rng.normal(0, 40, 5000), rng.uniform(-1000, 1000, 5000),
        np.exp(rng.normal(0, 0.3, 5000)),          # S / K
        rng.integers(-2**63, 2**63 - 1, 20000, dtype=np.int64).view(np.float64),  # any double
        np.ldexp(rng.uniform(0.5, 1, 5000), rng.integers(-1074, 1024, 5000)),
        np.array(EDGES), np.nextafter(np.array(EDGES), math.inf), np.nextafter(np.array(EDGES), -math.inf),
    ]))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40))
def test_lanes_give_the_scalar_bits(values):
    _check(np.array(values, dtype=np.float64))


@pytest.mark.parametrize("n", [1, 3, 4, 7, 8, 9, 17])
def test_any_length_and_odd_lanes_anywhere(n):
    """Vector loops run in chunks with a remainder: every length, an odd element at every position."""
    base = np.linspace(0.3, 3.0, n)
    for i in range(n):
        x = base.copy()
        x[i] = [0.0, math.nan, 1e-30, 1000.0][i % 4]
        _check(x)


def test_book_greeks_are_the_scalar_greeks_of_every_series():
    """The dealers' book (vectorised log, N and exp) against options.greeks series by series, bit for bit."""
    from sim.core import options
    from sim.model.agents.options_dealer import _book_greeks

    rng = np.random.default_rng(8)
    m = 300
    underlying = rng.integers(-1, 3, m)
    is_call = rng.random(m) < 0.5
    strike = 100.0 * np.exp(rng.normal(0, 0.4, m))
    expiry = rng.integers(1, 400, m).astype(float)
    quantity = np.where(rng.random(m) < 0.1, 0.0, rng.normal(0, 1e6, m))
    prices = np.array([95.0, 130.0, 20.0])
    time, level, days, vol, rate = 3.25, 101.5, 252.0, 0.2, 0.04
    pos_delta, pos_gamma = np.empty(m), np.empty(m)
    _book_greeks()(underlying, is_call, strike, expiry, quantity, time, prices, level, days, vol, rate, pos_delta,
                   pos_gamma)
    for i in range(m):
        spot = level if underlying[i] < 0 else prices[underlying[i]]
        d, g = options.greeks(spot, strike[i], max(expiry[i] - time, 1e-6) / days, vol, rate, bool(is_call[i]))
        live = quantity[i] != 0.0
        assert pos_delta[i] == quantity[i] * (d if live else 0.0) and pos_gamma[i] == quantity[i] * (g if live else 0.0)
