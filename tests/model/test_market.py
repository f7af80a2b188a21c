"""Price impact and the market's dynamics against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core.impact import LINEAR, SQRT, log_impact, thinning_factor
from sim.model.market import Market
from tests.conftest import small_scenario


def test_linear_impact_closed_form():
    spec = small_scenario(impact={"model": "linear", "multiplier": 5.0, "transient_fraction": 0.0,
                                  "thinning_elasticity": 0.0})  # full depth: the textbook linear rule
    m = Market(spec)
    log_base, coef, adv = m.begin_substep()
    cap = m.shares_outstanding[0] * m.prices[0]
    flow = np.zeros(m.n_assets)
    flow[0] = -1e11
    m.commit(flow, coef, adv)
    assert math.log(m.prices[0]) - log_base[0] == pytest.approx(5.0 * -1e11 / cap, rel=1e-12)


def test_sqrt_impact_closed_form():
    q, y, sigma, adv = 4e9, 0.7, 0.01, 1e11
    assert log_impact(q, SQRT, y * sigma, adv) == pytest.approx(y * sigma * math.sqrt(q / adv), rel=1e-15)
    assert log_impact(-q, SQRT, y * sigma, adv) == pytest.approx(-y * sigma * math.sqrt(q / adv), rel=1e-15)
    assert log_impact(q, LINEAR, 2e-12, adv) == pytest.approx(8e-3)


def test_transient_impact_decays_with_half_life():
    spec = small_scenario(impact={"transient_fraction": 1.0, "transient_halflife": 2.0})
    m = Market(spec)
    _, coef, adv = m.begin_substep()
    flow = np.full(m.n_assets, -5e10)
    m.commit(flow, coef, adv)
    moved = m.transient.copy()
    assert np.all(moved < 0) and np.all(m.log_perm == math.log(100.0))
    m.begin_substep()
    m.begin_substep()
    np.testing.assert_allclose(m.transient, moved / 2, rtol=1e-12)


def test_depth_thins_only_above_reference_vol():
    assert thinning_factor(0.005, 0.01, 2.0, 10.0) == 1.0
    assert thinning_factor(0.02, 0.01, 2.0, 10.0) == pytest.approx(4.0)
    assert thinning_factor(0.02, 0.01, 0.0, 10.0) == 1.0
    assert thinning_factor(0.10, 0.01, 2.0, 10.0) == 10.0  # capped by impact.max_thinning


def test_factor_model_correlation_and_vol():
    spec = small_scenario(market={"fundamental_vol": 0.01, "correlation": 0.6, "fundamental_drift": 0.0,
                                  "betas": [], "vol_basis": "sector",  # each sector's vol, constant:
                                  "garch_alpha": 0.0, "garch_beta": 0.0, "garch_asymmetry": 0.0})
    m = Market(spec)
    rng = np.random.default_rng(0)
    moves = []
    for _ in range(20_000):
        before = m.log_fundamental.copy()
        m.evolve_fundamentals(rng.standard_normal(m.n_assets + 1))
        moves.append(m.log_fundamental - before)
    moves = np.array(moves)
    assert moves.std(0) == pytest.approx(np.full(m.n_assets, 0.01), rel=0.03)
    corr = np.corrcoef(moves.T)[np.triu_indices(m.n_assets, 1)]
    assert corr == pytest.approx(np.full(corr.shape, 0.6), abs=0.03)


def test_index_gap_uses_betas():
    spec = small_scenario()
    m = Market(spec)
    m.gap_price("index", -0.10)
    np.testing.assert_allclose(m.prices / 100.0, 1.0 - 0.10 * np.array(spec.market.betas), rtol=1e-12)
    m.gap_price("health", -0.5)
    assert m.prices[m.names.index("health")] == pytest.approx(100.0 * (1 - 0.06) * 0.5)
