"""The scenario library: FINRA calibration (sim.config.finra) and every built-in scenario end to end."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config import finra
from sim.config.scenario import Scenario, ScenarioError, builtin_names, load
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel
from tests.conftest import small_scenario

QUOTED = {"2000-03": 299_933, "2007-07": 416_403, "2021-10": 935_862, "2026-05": 1_415_557}
"""Debit balances ($ million) as quoted in shared/data/README.md."""
HISTORICAL = {name: (month, QUOTED.get(month)) for name, month in finra.SCENARIO_MONTHS.items()}
NEW = ["dotcom-2000", "gfc-2007", "peak-2021", "volmageddon-2018", "covid-2020", "broker-tightening"]
SMALL = ["margin.accounts=2000"]


# ------------------------------------------------------------------------------ sim.config.finra

def test_peaks_and_falls_reproduce_the_readme_facts():
    falls = [(str(f.peak), f.peak_usd / 1e6, str(f.trough), round(f.fall, 3)) for f in finra.major_falls(0.30)]
    assert falls == [("2000-03", 299_933, "2002-09", -0.546), ("2007-07", 416_403, "2009-02", -0.521),
                     ("2021-10", 935_862, "2022-12", -0.352)]


def test_year_on_year_extremes_and_monthly_volatility():
    yoy = finra.yoy_series()
    assert str(yoy.idxmax()) == "2000-03" and round(yoy.max(), 3) == 0.805
    assert str(yoy.idxmin()) == "2009-02" and round(yoy.min(), 3) == -0.471
    assert finra.yoy_growth("2000-03") == pytest.approx(299_933 / 166_212 - 1, rel=1e-12)  # row 1999-03
    assert round(float(np.log(finra.debit_balances()).diff().std()), 3) == 0.045


def test_the_two_files_agree_on_debit_balances():
    stats = finra.statistics()
    debit = finra.debit_balances().loc[stats.index]
    assert len(stats) == 299 and np.array_equal(stats["debit"].to_numpy(), debit.to_numpy())


def test_free_credit_and_net_credit_balance():
    # after 2010-01 FINRA reports cash and margin accounts separately; before, one combined column
    assert finra.free_credit_usd("2021-10") == (226_159 + 200_548) * 1e6
    assert finra.net_credit_balance_usd("2021-10") == (226_159 + 200_548 - 935_862) * 1e6
    assert finra.free_credit_usd("2007-07") == 380_971 * 1e6
    assert finra.free_credit_usd("2010-01") == 281_035 * 1e6


def test_months_outside_the_history_say_so_in_one_line():
    with pytest.raises(finra.FinraDataError, match=r"free credit balances for 2026-05: not in .*2021-11"):
        finra.free_credit_usd("2026-05")
    with pytest.raises(finra.FinraDataError, match="1996-12"):
        finra.debit_usd("1996-12")


def test_leverage_growth_is_the_finra_pace_beyond_the_price_drift():
    assert finra.leverage_growth("2000-03", 0.05) == pytest.approx(math.log(1.805) - 0.05, abs=1e-3)
    assert finra.leverage_growth("2020-01", 0.0) < 0.0  # margin debt fell in the year to January 2020


# ------------------------------------------------------------------------------ calibration of the scenarios

@pytest.mark.parametrize("name", list(HISTORICAL))
def test_day0_margin_debt_and_free_credit_equal_finra_at_the_scenario_date(name):
    month, quoted = HISTORICAL[name]
    spec = load(name)
    assert spec.margin.margin_debt_usd == finra.debit_usd(month)
    if quoted is not None:
        assert spec.margin.margin_debt_usd == quoted * 1e6
    if pd.Period(month, "M") <= finra.statistics().index[-1]:
        assert spec.margin.free_credit_usd == finra.free_credit_usd(month)
    initial = MarketModel(load(name, SMALL), seed=0).initial   # the simulated book on day 0
    assert initial["margin_debt"] == pytest.approx(finra.debit_usd(month), rel=1e-12)
    assert initial["free_credit"] == pytest.approx(spec.margin.free_credit_usd, rel=1e-12)


@pytest.mark.parametrize("name", [n for n, (month, _) in HISTORICAL.items() if month != "2026-05"])
def test_run_up_leverage_growth_comes_from_the_finra_year_on_year_growth(name):
    spec = load(name)
    growth = [e for e in spec.events if e.kind == "leverage_growth"]
    assert growth[0].day == 0 and growth[1].size == 0.0 and growth[1].day > 0   # on until the turn
    drift = spec.market.fundamental_drift * spec.simulation.days_per_year
    assert growth[0].size == round(finra.leverage_growth(HISTORICAL[name][0], drift), 4)


def test_broker_tightening_is_finra_2026_05_plus_tightening():
    base, tight = load("finra-2026-05").to_dict(), load("broker-tightening").to_dict()
    differ = {k for k in base if base[k] != tight[k]}
    assert differ == {"meta", "margin", "events"}
    assert {k for k in base["margin"] if base["margin"][k] != tight["margin"][k]} == {"call_deadline_days"}
    assert [e for e in tight["events"] if e["kind"] != "maintenance_raise"] == base["events"]


# ------------------------------------------------------------------------------ every scenario runs

@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_runs_end_to_end_with_invariants(name):
    spec = load(name, SMALL)
    result = sim.simulate(spec, seed=1, check_every_day=True)   # shares and cash conserved every day
    ts, m = result.timeseries, result.summary["metrics"]
    assert len(ts) == spec.simulation.days and ts["day"].tolist() == list(range(spec.simulation.days))
    numbers = ts.drop(columns=["regime", "margin_leverage", "date"], errors="ignore")
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    assert (ts["index_level"] > 0).all() and (ts["margin_debt"] >= 0).all()
    assert np.allclose(ts["net_credit_balance"], ts["free_credit"] - ts["margin_debt"], rtol=1e-12, atol=1.0)
    assert 0.0 <= m["shock_drawdown"] <= m["max_drawdown"] < 1.0
    assert m["initial_margin_debt_usd"] == pytest.approx(spec.margin.margin_debt_usd, rel=1e-12)


def test_shock_day_is_the_first_event_that_is_not_a_drift():
    spec = load("dotcom-2000", SMALL)
    assert min(e.day for e in spec.events) == 0
    assert sim.simulate(load("volmageddon-2018", SMALL), seed=1).summary["metrics"]["shock_day"] == 2


def test_broker_tightening_deepens_the_fall_of_finra_2026_05():
    short = [*SMALL, "simulation.days=90"]
    base = sim.simulate(load("finra-2026-05", short), seed=1).summary["metrics"]
    tight = sim.simulate(load("broker-tightening", short), seed=1).summary["metrics"]
    assert tight["shock_drawdown"] >= base["shock_drawdown"]
    assert tight["max_drawdown"] >= base["max_drawdown"]
    assert tight["worst_day_return"] <= base["worst_day_return"]
    assert tight["forced_sales_usd"] > base["forced_sales_usd"] and tight["margin_calls"] > base["margin_calls"]


# ------------------------------------------------------------------------------ the leverage_growth event

def _calm(events: list[dict], days: int = 40) -> Scenario:
    return small_scenario(market={"fundamental_vol": 0.0, "fundamental_drift": 0.0}, liquidity={"noise_vol": 0.0},
                          simulation={"days": days}, events=events)


def test_leverage_growth_compounds_every_target_above_one():
    g, days = 0.5, 30
    model = MarketModel(_calm([{"day": 0, "kind": "leverage_growth", "target": "index", "size": g},
                               {"day": days - 10, "kind": "leverage_growth", "target": "index", "size": 0.0}],
                              days), seed=1)
    before = model.book.arrays().target_leverage.copy()
    for _ in range(days):
        model.step()
    after = model.book.arrays().target_leverage
    assert np.allclose(after - 1.0, (before - 1.0) * math.exp(g / 252.0) ** (days - 10), rtol=1e-12, atol=0.0)
    check_conservation(model)


def test_leverage_growth_raises_margin_debt_and_is_the_same_in_both_modes():
    grow = [{"day": 0, "kind": "leverage_growth", "target": "index", "size": 0.6}]
    flat = sim.simulate(_calm([]), seed=1).timeseries
    grown = sim.simulate(_calm(grow), seed=1).timeseries
    assert grown["margin_debt"].iloc[-1] > flat["margin_debt"].iloc[-1] * 1.01
    assert grown["flow_margin_voluntary_usd"].sum() > 0.0
    spec = small_scenario(margin={"accounts": 200}, simulation={"days": 25}, events=[
        *grow, {"day": 20, "kind": "price_gap", "target": "index", "size": -0.15},
        {"day": 20, "kind": "leverage_growth", "target": "index", "size": 0.0}])
    a = sim.simulate(spec, seed=4).timeseries
    b = sim.simulate(spec, seed=4, mode="agents").timeseries
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_leverage_growth_sizes_are_checked():
    with pytest.raises(ScenarioError, match=r"events\[0\]\.size = 3: for kind 'leverage_growth' must be in"):
        small_scenario(events=[{"day": 0, "kind": "leverage_growth", "target": "index", "size": 3.0}])


# ------------------------------------------------------------------------------ the CLI listing

def test_marginsim_scenarios_lists_every_builtin_on_one_line():
    out = subprocess.run([sys.executable, "-m", "sim", "scenarios"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == builtin_names()
    assert set(NEW) <= set(builtin_names()) and len(builtin_names()) >= 10
    assert all(len(line.split(maxsplit=1)[1]) > 40 for line in lines)
