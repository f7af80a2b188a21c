"""Long checks (run with ``scripts/test --slow``)."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.config.scenario import load
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel

pytestmark = pytest.mark.slow


def test_agents_mode_equals_kernel_mode_full_year_10000_accounts():
    spec = load("finra-2026-05", ["margin.accounts=10000", "events.0.size=-0.2", "events.1.size=-0.2"])
    fast = sim.simulate(spec, seed=21).timeseries
    slow = sim.simulate(spec, seed=21, mode="agents").timeseries
    assert fast["liquidations"].sum() > 0
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_million_accounts_conserve_shares_and_cash():
    spec = load("finra-2026-05", ["margin.accounts=1000000", "simulation.days=80"])
    model = MarketModel(spec, seed=4)
    for _ in range(spec.simulation.days):
        model.step()
    check_conservation(model)
    ts = pd.DataFrame(model.records)
    assert ts["margin_calls"].iloc[60] > 0
