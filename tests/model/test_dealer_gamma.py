"""Strikes on a fixed grid and the dealers' gamma from ``[open_interest]``: sign and size (GEX)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.config import scenario
from sim.model.rules import dealer


@pytest.mark.parametrize(("strike", "unit", "expected"), [
    (0.9731, 0.01, 0.97), (97.5, 5.0, 100.0), (97.49, 5.0, 95.0), (103.3, 1.0, 103.0), (0.004, 0.01, 0.01),
    (123.456, 0.0, 123.456),
])
def test_on_grid_known_values(strike, unit, expected):
    assert dealer.on_grid(strike, unit) == pytest.approx(expected, rel=1e-12)


def test_on_grid_is_nearest_multiple():
    rng = np.random.default_rng(5)
    for _ in range(2000):
        unit = 10.0 ** rng.uniform(-3, 1)
        strike = unit * rng.uniform(1.0, 500.0)
        got = dealer.on_grid(strike, unit)
        n = got / unit
        assert abs(n - round(n)) < 1e-9                      # a listed level
        assert abs(got - strike) <= 0.5 * unit * (1 + 1e-9)  # the nearest one
        assert got == math.floor(strike / unit + 0.5) * unit


def test_roll_lists_the_nearest_grid_strike_around_current_spot():
    underlying = np.array([dealer.INDEX, 0])
    strike, expiry = np.array([95.0, 50.0]), np.array([3.0, 3.0])
    quantity, moneyness, tenor = np.array([-1.0, 1.0]), np.array([0.97, 1.05]), np.array([20.0, 20.0])
    prices, initial = np.array([61.0]), np.array([50.0])
    rolled = dealer.roll_expired(underlying, strike, expiry, quantity, moneyness, tenor, 3, prices, 90.3, True,
                                 initial, 0.02)
    assert rolled == 2 and list(expiry) == [23.0, 23.0]
    # index grid: 2 points (0.02 x 100); 0.97 x 90.3 = 87.59 -> 88. Asset grid: 1 (0.02 x 50); 1.05 x 61 = 64.05 -> 64
    assert strike[0] == pytest.approx(88.0) and strike[1] == pytest.approx(64.0)


def _run(gap: float, days: int = 16, step: float = 0.01):
    data = scenario.read_toml("validation-baseline")
    cap = data["market"]["market_cap_usd"]
    data["options"] = []
    data["simulation"]["days"] = days
    data["market"]["fundamental_vol"] = 0.0
    data["liquidity"]["noise_vol"] = 0.0
    data["margin"]["accounts"] = 200
    data["dealers"]["strike_step"] = step
    data["open_interest"] = {"put_share": 0.013, "call_share": 0.0065}
    data["events"] = [{"day": 8, "kind": "price_gap", "target": "index", "size": gap}]
    result = sim.simulate(scenario.from_dict(data), 1, engine="mesa")
    return result.timeseries["dealer_gex_usd"].to_numpy() / cap


def test_gex_positive_at_listing_negative_after_a_fall():
    gex = _run(-0.10)
    assert 2e-4 < gex[0] < 3e-4      # +2..3e-4 of market value per 1% (published S&P 500 GEX: -2e-4..+4e-4)
    assert (gex[:8] > 0).all()
    assert (gex[8:] < 0).all()       # the index fell into the put strikes


def test_gex_negative_through_a_crash():
    assert (_run(-0.20)[8:] < 0).all()
