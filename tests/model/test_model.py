"""The Mesa model: reference mode == kernel mode, conservation, extreme shocks, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.agents import MarginBook, MarginInvestor, MarketMaker, NoiseTrader, ValueTrader
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel
from tests.conftest import small_scenario


def test_agents_mode_equals_kernel_mode_1000_accounts_60_days():
    spec = small_scenario(margin={"accounts": 1_000}, simulation={"days": 60},
                          events=[{"day": 30, "kind": "fundamental_gap", "target": "index", "size": -0.25},
                                  {"day": 30, "kind": "price_gap", "target": "index", "size": -0.25}])
    fast = sim.simulate(spec, seed=7, mode="kernel").timeseries
    slow = sim.simulate(spec, seed=7, mode="agents").timeseries
    assert fast["margin_calls"].sum() > 0 and fast["forced_sales_usd"].sum() > 0  # the test exercises calls
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12, atol=0)


def test_model_uses_mesa_agents():
    spec = small_scenario(margin={"accounts": 50})
    kernel_model = MarketModel(spec, seed=1, mode="kernel")
    assert len(kernel_model.agents_by_type[MarginBook]) == len(spec.brokers)
    for cls in (ValueTrader, NoiseTrader, MarketMaker):
        assert len(kernel_model.agents_by_type[cls]) == 1
    agent_model = MarketModel(spec, seed=1, mode="agents")
    assert len(agent_model.agents_by_type[MarginInvestor]) == 50
    ids = [a.unique_id for a in agent_model.agents]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("mode", ["kernel", "agents"])
def test_conservation_every_day(mode):
    spec = small_scenario(margin={"accounts": 300, "sell_speed": 0.0, "free_credit_usd": 0.0},
                          events=[{"day": 20, "kind": "price_gap", "target": "index", "size": -0.35}])
    model = MarketModel(spec, seed=3, mode=mode)
    for _ in range(spec.simulation.days):
        model.step()
        check_conservation(model)  # shares of every asset, and every $ (cash + debt + broker)
    ts = pd.DataFrame(model.records)
    assert ts["liquidations"].sum() > 0
    a = model.book.arrays()
    assert np.all(a.long >= 0) and np.all(a.short >= 0)


def test_conservation_detects_a_leak():
    spec = small_scenario(margin={"accounts": 100})
    model = MarketModel(spec, seed=3)
    model.step()
    model.book.arrays().cash[0] += 1e6
    with pytest.raises(sim.model.invariants.InvariantError, match="cash"):
        check_conservation(model)


def test_minus_99_percent_fundamental_shock_keeps_prices_positive():
    spec = small_scenario(margin={"accounts": 500},
                          events=[{"day": 5, "kind": "fundamental_gap", "target": "index", "size": -0.99},
                                  {"day": 5, "kind": "price_gap", "target": "index", "size": -0.5}],
                          market={"betas": []})
    result = sim.simulate(spec, seed=11, check_every_day=True)
    ts = result.timeseries
    price_cols = [c for c in ts if c.startswith("price_")]
    assert (ts[price_cols].to_numpy() > 0).all()
    assert not ts.drop(columns=["margin_leverage"]).isna().any().any()
    assert ts["index_level"].iloc[-1] < 20  # it really fell
    assert result.summary["metrics"]["broker_losses_usd"] > 0  # negative equity became broker losses


def test_same_seed_identical_different_seed_differs():
    spec = small_scenario(margin={"accounts": 500})
    a = sim.simulate(spec, seed=5)
    b = sim.simulate(spec, seed=5)
    c = sim.simulate(spec, seed=6)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    assert a.summary == b.summary
    assert not a.timeseries["index_level"].equals(c.timeseries["index_level"])


def test_k_equals_one_is_the_same_code_path():
    spec = small_scenario(market={"assets": ["market"], "weights": [1.0], "betas": []},
                          margin={"accounts": 500},
                          letf_funds=[{"name": "x3", "underlying": "market", "leverage": 3, "aum_usd": 1e10}],
                          options=[{"underlying": "market", "notional_usd": 5e10}])
    ts = sim.simulate(spec, seed=2).timeseries
    assert "price_market" in ts and len(ts) == spec.simulation.days


def test_finra_scenario_day0_matches_finra_numbers():
    spec = small_scenario()
    model = MarketModel(spec, seed=0)
    agg = model.initial
    assert agg["margin_debt"] == pytest.approx(1.415557e12, rel=1e-12)
    assert agg["net_credit_balance"] == pytest.approx(-991.7e9, rel=1e-12)


def test_buying_into_strength_and_selling_into_weakness():
    # no noise: a fundamental gap up then down; margin investors buy after the rise, sell after the fall
    base = dict(liquidity={"noise_vol": 0.0}, market={"fundamental_vol": 0.0, "fundamental_drift": 0.0})
    up = small_scenario(**base, events=[{"day": 10, "kind": "price_gap", "target": "index", "size": 0.10}])
    down = small_scenario(**base, events=[{"day": 10, "kind": "price_gap", "target": "index", "size": -0.10}])
    flow_up = sim.simulate(up, seed=1).timeseries["flow_margin_voluntary_usd"].iloc[10]
    flow_down = sim.simulate(down, seed=1).timeseries["flow_margin_voluntary_usd"].iloc[10]
    assert flow_up > 0 > flow_down


def test_interest_accrues_on_debit_balances():
    spec = small_scenario(liquidity={"noise_vol": 0.0}, market={"fundamental_vol": 0.0, "fundamental_drift": 0.0},
                          margin={"benchmark_rate": 0.05}, events=[])
    ts = sim.simulate(spec, seed=1).timeseries
    rates = np.array([0.05 + b.interest_spread for b in spec.brokers])
    daily = ts["interest_usd"].iloc[0]
    debit = 1.415557e12
    assert rates.min() * debit / 252 < daily < rates.max() * debit / 252


def test_intraday_record_adds_up_to_the_daily_record():
    """Hour-by-hour rows (7 substeps) sum to the daily flows and calls, and the last substep's
    index is the close; recording them changes nothing in the daily series."""
    from sim.model.records import FLOW_COLUMNS

    spec = small_scenario(simulation={"days": 25, "substeps": 7})
    plain = sim.simulate(spec, seed=3).timeseries
    result = sim.simulate(spec, seed=3, record_intraday=True)
    pd.testing.assert_frame_equal(plain, result.timeseries)
    hourly = result.intraday
    assert len(hourly) == 25 * 7
    assert result.timeseries["margin_calls"].sum() > 0
    by_day = hourly.groupby("day")
    for col in (*FLOW_COLUMNS, "margin_calls", "liquidations", "forced_sales_usd"):
        np.testing.assert_allclose(by_day[col].sum().to_numpy(), result.timeseries[col].to_numpy(),
                                   rtol=1e-9, atol=1.0, err_msg=col)
    np.testing.assert_allclose(by_day["index_level"].last().to_numpy(), result.timeseries["index_level"].to_numpy(),
                               rtol=1e-12)
