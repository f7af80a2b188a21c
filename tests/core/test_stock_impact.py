"""Per-stock square-root impact and the factor return rule: known answers, and the compiled kernels agree."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim.core.impact
import sim.core.stock_impact
from sim.core.impact import MAX_LOG_MOVE, thinning_factor
from sim.core.stock_impact import (
    DEFAULT_Y,
    daily_vol,
    factor_return,
    factor_returns,
    stock_log_impact,
    stock_log_impacts,
    stressed_adv,
    total_vol,
)

SIGMA = 0.02
ADV = 5e8


def test_flow_equal_to_adv_moves_the_price_by_y_sigma():
    assert stock_log_impact(ADV, 0.7, SIGMA, ADV, 1.0) == pytest.approx(0.7 * SIGMA, rel=1e-15)
    assert stock_log_impact(-ADV, 0.7, SIGMA, ADV, 1.0) == pytest.approx(-0.7 * SIGMA, rel=1e-15)


def test_four_times_the_volume_doubles_the_impact():
    for q in (1e5, 3e7, 2e9):
        one = stock_log_impact(q, DEFAULT_Y, SIGMA, ADV, 1.0)
        assert stock_log_impact(4.0 * q, DEFAULT_Y, SIGMA, ADV, 1.0) == pytest.approx(2.0 * one, rel=1e-14)
        assert stock_log_impact(-q, DEFAULT_Y, SIGMA, ADV, 1.0) == -one


def test_zero_flow_gives_zero():
    assert stock_log_impact(0.0, DEFAULT_Y, SIGMA, ADV, 3.0) == 0.0


def test_thinning_multiplies_the_impact_and_equals_a_smaller_adv():
    q, f = 1e8, 2.5
    normal = stock_log_impact(q, DEFAULT_Y, SIGMA, ADV, 1.0)
    assert stock_log_impact(q, DEFAULT_Y, SIGMA, ADV, f) == pytest.approx(f * normal, rel=1e-14)
    assert stock_log_impact(q, DEFAULT_Y, SIGMA, stressed_adv(ADV, f), 1.0) == pytest.approx(f * normal, rel=1e-14)
    # the market's own rule: realised vol twice the reference, elasticity 0.5 -> f = sqrt(2); capped at 4
    assert thinning_factor(0.02, 0.01, 0.5, 4.0) == pytest.approx(math.sqrt(2.0), rel=1e-15)
    assert thinning_factor(0.005, 0.01, 0.5, 4.0) == 1.0


def test_the_price_limit_applies():
    assert stock_log_impact(1e30, 1.0, SIGMA, 1.0, 1.0) == MAX_LOG_MOVE
    assert stock_log_impact(-1e30, 1.0, SIGMA, 1.0, 1.0) == -MAX_LOG_MOVE


def test_vol_helpers():
    assert daily_vol(0.16 * math.sqrt(252)) == pytest.approx(0.16, rel=1e-15)
    assert total_vol(1.0, 0.03, 0.04, 0.0) == pytest.approx(0.05, rel=1e-15)  # 3-4-5
    assert total_vol(2.0, 0.01, 0.0, 0.0) == pytest.approx(0.02, rel=1e-15)


def test_factor_rule_without_sector_or_idiosyncratic_vol_is_beta_times_the_market():
    beta = np.array([0.5, 1.0, 1.7, -0.3])
    out = factor_returns(beta, np.array([0, 1, 0, 1]), -0.031, np.zeros(2), np.array([1.3, -2.0]), np.zeros(4),
                         np.array([0.4, -1.1, 2.2, 0.9]), np.empty(4))
    assert np.array_equal(out, beta * -0.031)


def test_factor_rule_known_answer_and_shared_sector_draw():
    out = factor_returns(np.array([1.0, 2.0, 1.0]), np.array([0, 0, 1]), 0.01, np.array([0.02, 0.03]),
                         np.array([1.0, -1.0]), np.array([0.1, 0.0, 0.2]), np.array([0.5, 9.0, -0.5]), np.empty(3))
    assert out == pytest.approx([0.01 + 0.02 + 0.05, 0.02 + 0.02, 0.01 - 0.03 - 0.1], rel=1e-15)
    assert factor_return(1.5, 0.02, 0.0, 5.0, 0.0, -3.0) == 1.5 * 0.02


def test_the_compiled_kernels_give_the_same_bits():
    from sim.core.jit import kernel

    @kernel(sim.core.stock_impact, sim.core.impact)
    def both(flows, sigma, adv, thin, beta, sector, rm, svol, zs, ivol, zi):
        a = stock_log_impacts(flows, DEFAULT_Y, sigma, adv, thin, np.empty(flows.shape[0]))
        b = factor_returns(beta, sector, rm, svol, zs, ivol, zi, np.empty(beta.shape[0]))
        return a, b

    rng = np.random.default_rng(7)
    n = 64
    args = (rng.normal(0, 1e8, n), rng.uniform(0.01, 0.04, n), rng.uniform(1e7, 1e10, n), rng.uniform(1, 3, n),
            rng.uniform(0.5, 1.5, n), rng.integers(0, 3, n), -0.02, rng.uniform(0.005, 0.01, 3), rng.normal(size=3),
            rng.uniform(0.01, 0.03, n), rng.normal(size=n))
    compiled = both(*args)
    plain = both.py_func(*args)
    assert np.array_equal(compiled[0], plain[0]) and np.array_equal(compiled[1], plain[1])
