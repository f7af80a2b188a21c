"""The compiled engine equals the Mesa engine bit for bit (timeseries and summary)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.config import scenario as scenario_mod
from sim.core import detrandom
from sim.core.errors import InputError
from sim.core.pairwise import pairwise_sum, python_sum
from tests.conftest import small_scenario

SHORT_DAYS = 45


def _short(name: str, days: int = SHORT_DAYS, accounts: int = 2_000) -> scenario_mod.Scenario:
    """A built-in scenario cut to ``days`` (events moved into them, in order) and ``accounts``."""
    data = scenario_mod.read_toml(name)
    data["margin"]["accounts"] = accounts
    full = data["simulation"].get("days", 252)
    data["simulation"]["days"] = days
    for ev in data.get("events", []) + data.get("stock_events", []):
        ev["day"] = ev["day"] * days // max(full, 1)
    if "stocks" in data:
        data["stocks"]["accounts"] = min(accounts, data["stocks"].get("accounts", accounts))
    return scenario_mod.from_dict(data)


def assert_same(spec: scenario_mod.Scenario, seed: int = 7) -> None:
    mesa = sim.simulate(spec, seed, engine="mesa")
    fast = sim.simulate(spec, seed, engine="compiled")
    assert fast.engine == "compiled" and mesa.engine == "mesa"
    pd.testing.assert_frame_equal(fast.timeseries, mesa.timeseries, check_exact=True)
    for col in mesa.timeseries.columns:
        a, b = mesa.timeseries[col].to_numpy(), fast.timeseries[col].to_numpy()
        assert a.dtype == b.dtype and (a.tobytes() == b.tobytes() if a.dtype != object else list(a) == list(b)), col
    assert fast.summary == mesa.summary


def test_pairwise_sum_is_numpys_sum():
    """In Python and compiled, every length through the unrolled tree (up to 464) and the stacks beyond."""
    from sim.core.jit import _numba

    compiled = _numba().njit(pairwise_sum)
    rng = np.random.default_rng(3)
    for n in [*range(0, 600), 929, 1000, 4099]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert pairwise_sum(a) == a.sum() and compiled(a) == a.sum(), n
    assert str(pairwise_sum(np.array([-0.0]))) == str(np.array([-0.0]).sum()) == str(compiled(np.array([-0.0])))


def test_python_sum_is_builtin_sum():
    rng = np.random.default_rng(4)
    for _ in range(500):
        n = int(rng.integers(0, 12))
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-9, 12, n)
        assert python_sum(a, n) == sum(float(x) for x in a)


def test_block_draws_equal_daily_draws():
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    block = detrandom.standard_normal(a, (30, 4, 3))
    daily = np.stack([detrandom.standard_normal(b, (4, 3)) for _ in range(30)])
    assert block.tobytes() == daily.tobytes()


@pytest.mark.parametrize("name", sorted(scenario_mod.scenarios()))
def test_engines_equal_short(name):
    assert_same(_short(name))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(scenario_mod.scenarios()))
def test_engines_equal_full_length(name):
    data = scenario_mod.read_toml(name)
    data["margin"]["accounts"] = 5_000
    assert_same(scenario_mod.from_dict(data), seed=1)


@settings(max_examples=6, deadline=None)
@given(accounts=st.integers(1, 3_000), substeps=st.integers(1, 5), days=st.integers(21, 40),
       gap=st.floats(-0.4, 0.2), channels=st.tuples(*[st.booleans()] * 5), seed=st.integers(0, 2**32))
def test_engines_equal_random(accounts, substeps, days, gap, channels, seed):
    names = ("margin", "letf", "dealers", "vol_control", "value_funds")
    spec = small_scenario(margin={"accounts": accounts}, simulation={"days": days, "substeps": substeps},
                          channels=dict(zip(names, channels, strict=True)),
                          value_funds={"count": 6}, events=[{"day": 20, "kind": "price_gap", "target": "index",
                                                              "size": gap}])
    assert_same(spec, seed)


def test_engines_equal_open_interest():
    """Open interest on, strikes on a grid (finra-2026-05's sector options too), a -10% gap: rolls on both engines."""
    spec = small_scenario(simulation={"days": 45}, dealers={"strike_step": 0.01},
                          open_interest={"put_share": 0.013, "call_share": 0.0065,
                                         "weeks_listed": 2, "months_listed": 2},
                          events=[{"day": 12, "kind": "price_gap", "target": "index", "size": -0.1}])
    assert_same(spec, seed=3)
    assert sim.simulate(spec, 3).summary != sim.simulate(small_scenario(simulation={"days": 45}, events=[
        {"day": 12, "kind": "price_gap", "target": "index", "size": -0.1}]), 3).summary


def test_engines_equal_with_garch_news_and_index_vol_basis():
    spec = small_scenario(market={"garch_alpha": 0.08, "garch_beta": 0.85, "garch_asymmetry": 0.1,
                                  "news_to_price": 0.6, "vol_basis": "index"},
                          simulation={"days": 30}, margin={"accounts": 500})
    assert_same(spec, 5)


def test_daily_checks_and_progress():
    seen = []
    spec = small_scenario(simulation={"days": 25})
    fast = sim.simulate(spec, 2, engine="compiled", check_every_day=True, progress=lambda d, t: seen.append(d))
    assert seen == list(range(26))
    pd.testing.assert_frame_equal(fast.timeseries, sim.simulate(spec, 2, engine="mesa").timeseries,
                                  check_exact=True)


def test_engine_choice():
    spec = small_scenario(simulation={"days": 21}, margin={"accounts": 50})
    with pytest.raises(InputError, match="engine"):
        sim.simulate(spec, engine="numba")
    assert sim.simulate(spec, mode="agents", engine="compiled").engine == "mesa"
    assert sim.simulate(spec, record_intraday=True, engine="compiled").engine == "mesa"
