"""Fundamental news: GJR-GARCH volatility, news that moves prices, the index basis of the news vol."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.config import scenario as scenario_mod
from sim.model.market import Market
from sim.model.rules import market as rules
from tests.conftest import small_scenario

FIVE = {"assets": ["a", "b", "c", "d", "e"], "weights": [0.42, 0.13, 0.10, 0.17, 0.18],
        "betas": [1.25, 1.0, 0.6, 0.8, 0.9], "correlation": 0.65, "fundamental_drift": 0.0}


def _market(**fields) -> Market:
    return Market(scenario_mod.from_dict({"market": fields}))


def test_garch_update_follows_the_gjr_recursion():
    # a plain-Python GJR-GARCH(1,1) recursion, written from Glosten, Jagannathan and Runkle (1993)
    a, b, g = 0.08, 0.85, 0.1
    z = np.random.default_rng(1).standard_normal(500)
    h_rule = h_plain = 1.0
    for x in z:
        h_rule = rules.garch_update(h_rule, x, a, b, g)
        omega = 1.0 - a - b - g / 2.0
        h_plain = omega + b * h_plain + (a + (g if x < 0 else 0.0)) * h_plain * x ** 2
        assert h_rule == pytest.approx(h_plain, rel=1e-13)
    assert rules.garch_update(2.0, -1.0, a, b, g) == pytest.approx(1 - a - b - g / 2 + (a + g) * 2 + b * 2)
    assert rules.garch_update(2.0, 1.0, a, b, g) == pytest.approx(1 - a - b - g / 2 + a * 2 + b * 2)


def test_garch_off_keeps_h_exactly_one_and_the_news_unchanged():
    m, plain = _market(**FIVE), _market(**FIVE)
    rng = np.random.default_rng(2)
    for _ in range(200):
        z = rng.standard_normal(6) * 3.0
        m.evolve_fundamentals(z)
        rules.evolve_fundamentals(plain.log_fundamental, plain.betas, plain.rho, plain.drift, plain.vol, z,
                                  plain.log_floor, plain.log_ceiling)
        assert m.news_variance == 1.0
    assert m.log_fundamental.tobytes() == plain.log_fundamental.tobytes()
    assert m.log_perm.tobytes() == plain.log_perm.tobytes()  # news_to_price 0: prices untouched


def test_unconditional_mean_of_h_is_one():
    # E[h] = omega / (1 - p) = 1 with p = a + b + g/2. With c = (a + g 1[z<0]) z^2 + b: E c = p,
    # E c^2 = m2, so Var h = (omega^2 + 2 omega p) / (1 - m2) - 1; h is AR(1)-like with coefficient p,
    # so the sample mean's std is sqrt(Var h / n x (1 + p) / (1 - p)); tolerance 5 of those.
    a, b, g, n = 0.05, 0.85, 0.1, 200_000
    p, omega = a + b + g / 2, 1.0 - a - b - g / 2
    m2 = b * b + 2 * b * (a + g / 2) + 3 * (a * a + (2 * a * g + g * g) / 2)
    var_h = (omega ** 2 + 2 * omega * p) / (1 - m2) - 1.0
    z = np.random.default_rng(3).standard_normal(n)
    h, total = 1.0, 0.0
    for x in z:
        total += h
        h = rules.garch_update(h, x, a, b, g)
    se = math.sqrt(var_h / n * (1 + p) / (1 - p))
    assert abs(total / n - 1.0) < 5 * se


def test_garch_news_vol_and_asymmetry_reach_the_fundamental():
    m = _market(assets=["x"], weights=[1.0], correlation=0.0, fundamental_drift=0.0, fundamental_vol=0.01,
                garch_alpha=0.1, garch_beta=0.8, garch_asymmetry=0.1)
    z = np.zeros(2)
    z[1] = -2.0  # one asset, rho = 0: the index news is the asset's own shock z_1
    m.evolve_fundamentals(z)
    assert m.log_fundamental[0] - math.log(100.0) == pytest.approx(-0.02, rel=1e-14)
    h = (1 - 0.1 - 0.8 - 0.05) + (0.1 + 0.1) * 4.0 + 0.8
    assert m.news_variance == pytest.approx(h, rel=1e-14)
    before = m.log_fundamental[0]
    z[1] = 1.0
    m.evolve_fundamentals(z)
    assert m.log_fundamental[0] - before == pytest.approx(0.01 * math.sqrt(h), rel=1e-12)


def test_index_innovation_is_standard_normal_and_z0_for_one_factor_asset():
    w, betas = np.array(FIVE["weights"]), np.array(FIVE["betas"])
    z = np.random.default_rng(4).standard_normal((40_000, 6))
    e = np.array([rules.index_innovation(w, betas, 0.65, row) for row in z])
    # n = 40,000: std of the sample mean 0.005, of the sample std 0.0035; 5 of those
    assert abs(e.mean()) < 0.025 and abs(e.std() - 1.0) < 0.018
    assert rules.index_innovation(np.ones(1), np.ones(1), 1.0, np.array([-1.3, 0.7])) == -1.3


def test_index_news_scale_closed_form():
    w, betas, rho = np.array(FIVE["weights"]), np.array(FIVE["betas"]), 0.65
    c = rho * np.outer(betas, betas) + (1 - rho) * np.eye(5)
    assert rules.index_news_scale(w, betas, rho) == pytest.approx(1 / math.sqrt(w @ c @ w), rel=1e-14)
    assert rules.index_news_scale(np.ones(1), np.ones(1), 0.3) == 1.0


def test_index_basis_gives_the_index_fundamental_the_stated_vol():
    m = _market(**FIVE, fundamental_vol=0.011, vol_basis="index")
    one = _market(fundamental_vol=0.011, vol_basis="index", correlation=0.65, fundamental_drift=0.0)
    assert one.vol == 0.011  # one asset, beta 1: w'Cw = 1, the sector and index bases agree
    rng = np.random.default_rng(5)
    n = 20_000
    moves = np.empty(n)
    w = np.array(FIVE["weights"])
    for t in range(n):
        before = m.log_fundamental.copy()
        m.evolve_fundamentals(rng.standard_normal(6))
        moves[t] = w @ (m.log_fundamental - before)
    # Gaussian: the sample std's relative std is 1 / sqrt(2 n) = 0.5%; tolerance 5 of those
    assert moves.std() == pytest.approx(0.011, rel=5 / math.sqrt(2 * n))
    sector = _market(**FIVE, fundamental_vol=0.011)
    assert sector.vol == 0.011 and m.vol > 0.011  # index basis: larger sector shocks (w'Cw < 1 here)


def test_full_news_to_price_without_flows_keeps_price_on_the_fundamental():
    off = {name: False for name in ("margin", "letf", "dealers", "vol_control", "value_funds")}
    spec = small_scenario(market={"news_to_price": 1.0, "garch_alpha": 0.1, "garch_beta": 0.85,
                                  "garch_asymmetry": 0.0},
                          liquidity={"value_intensity": 0.0, "noise_vol": 0.0}, channels=off, events=[],
                          simulation={"days": 30}, margin={"accounts": 200})
    ts = sim.simulate(spec, 4).timeseries
    for name in spec.market.assets:
        price, value = ts[f"price_{name}"].to_numpy(), ts[f"fundamental_{name}"].to_numpy()
        assert price.tobytes() == value.tobytes()
        assert np.std(np.diff(np.log(price))) > 0.003  # the fundamental (and the price) did move
