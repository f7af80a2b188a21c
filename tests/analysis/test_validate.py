"""`marginsim validate` (quick sizes), the leveraged value funds, and the margin-debt helpers."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

import sim
from sim.analysis import stylized_facts as sf
from sim.analysis.validate import QUICK, baseline_spec, debt_after_crash, finra_margin_debt, run_returns, yoy_growth
from sim.apps.cli import main
from sim.config.scenario import from_dict, load, read_toml
from sim.config.schema import ValueFunds
from sim.core import margin
from sim.model.invariants import check_conservation
from sim.model.market_model import CHANNELS, MarketModel


def test_validate_quick_writes_the_report(tmp_path, capsys):
    assert main(["validate", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "excess kurtosis" in out and "wrote" in out
    res = json.loads((tmp_path / "validation.json").read_text())
    real = res["real"]["facts"]
    assert real["days"] == 5030 and res["real"]["first_day"] == "1999-01-05"
    assert 5.0 < real["excess_kurtosis"] < 27.0 and 2.4 < real["hill_index"] < 3.5  # the real S&P 500 is in range
    off = res["channels_off"]["excess_kurtosis"]  # the Gaussian control: every channel off, constant news vol
    assert off == pytest.approx(sf.stylized_facts(run_returns(baseline_spec(QUICK, channels_on=False), 1,
                                                              QUICK.burn_in)[0]).excess_kurtosis, rel=1e-12)
    assert abs(off) < 1.0  # Gaussian news through the liquidity side alone: near-Gaussian returns
    garch = load("validation-baseline", ["simulation.days=1260", "margin.accounts=2000",
                                         *(f"channels.{c}=false" for c in (*CHANNELS, "value_funds"))])
    assert sf.stylized_facts(run_returns(garch, 1, QUICK.burn_in)[0]).excess_kurtosis > off  # GARCH news fattens
    assert [t["key"] for t in res["targets"]][-1] == "off_excess_kurtosis" and len(res["targets"]) == 7
    assert [row["max_leverage"] for row in res["tfg"]["rows"]] == [1.0, 2.0, 5.0, 7.5, 10.0, 15.0, 20.0]
    assert abs(res["tfg"]["rows"][0]["excess_kurtosis"]) < 1.0  # TFG: no leverage, near-normal
    finra = res["margin_debt"]["finra"]
    assert finra["first_month"] == "1999-01-01" and finra["debt_fall_after_peak"] > 0.3  # 2000-02 and 2008-09
    md = (tmp_path / "validation.md").read_text()
    assert "## Targets" in md and "Thurner" in md and "validation.png" in md
    scenarios = res["scenarios"]["targets"]
    assert [t["scenario"] for t in scenarios] == ["market", "finra-2026-05"]
    assert all(t["events_removed"] and t["seeds"] == [1] and t["days"] == 1260 for t in scenarios)
    assert [f["key"] for f in scenarios[0]["facts"]][:3] == ["annualized_vol", "excess_kurtosis", "hill_index"]
    assert len(scenarios[0]["facts"]) == 13 and res["scenarios"]["real"]["days"] == 5030
    finra_gex = scenarios[1]["gex"]   # the market's open interest: GEX changes sign as the index moves (issue 14)
    assert not finra_gex["always_negative"] and not finra_gex["never_negative"]
    assert 0.0 < finra_gex["stats"]["negative_share"]["median"] < 1.0
    assert math.isfinite(finra_gex["stats"]["ratio"]["median"])
    assert [c["key"] for c in finra_gex["checks"]] == ["negative_share", "ratio"]
    assert "## Validation on the scenarios users run" in md and "### finra-2026-05 without its events" in md
    assert "| dealer-gamma regime |" in md and "| share of days with negative GEX |" in md and "**In short**" in md
    assert "finra-2026-05 without its events" in out and "facts met" in out
    assert (tmp_path / "validation.png").stat().st_size > 50_000


def test_validate_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["validate", "--quick", "--out", str(f)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_margin_debt_helpers_known_answers():
    monthly = 100.0 * 1.1 ** (np.arange(36) / 12)          # 10% a year
    np.testing.assert_allclose(yoy_growth(monthly), 0.1, rtol=1e-12)
    index = np.array([100, 110, 120, 90, 60, 80, 100, 130], dtype=float)
    debt = np.array([10, 11, 12, 10, 6, 7, 9, 12], dtype=float)
    out = debt_after_crash(debt, index)
    assert out["peak_month"] == 2 and out["trough_month"] == 4 and out["index_fall"] == pytest.approx(0.5)
    assert out["debt_fall_after_peak"] == pytest.approx(0.5) and out["debt_max_drawdown"] == pytest.approx(0.5)
    finra = finra_margin_debt()
    assert finra.iloc[0] == 103337 and str(finra.index[0].date()) == "1997-01-01"


def test_capped_position_formula():
    assert margin.capped_position(100.0, 0.5, 2.0) == 50.0
    assert margin.capped_position(100.0, 7.0, 2.0) == 200.0     # the lender's cap
    assert margin.capped_position(100.0, -1.0, 2.0) == 0.0      # overpriced: no position (long only)
    assert margin.capped_position(-5.0, 1.0, 2.0) == 0.0        # no equity, no position


def _tfg(days: int, lam: float, **extra: str):
    return load("tfg-2012", [f"simulation.days={days}", f"value_funds.max_leverage={lam}",
                             *(f"{k}={v}" for k, v in extra.items())])


@pytest.mark.parametrize(("lam", "held", "noise_usd"), [(2.0, 0.0, -5e7), (10.0, 0.0, -2e8), (5.0, 0.01, -3e7),
                                                    (5.0, 0.01, 4e7)])
def test_value_funds_trade_to_their_capped_target_at_the_clearing_price(lam, held, noise_usd):
    """Known answer: after the funds' order every fund holds clip(beta x, 0, cap) x wealth, both
    valued at the price that the other flow plus the funds' own flow produce (TFG's clearing);
    with funds already holding (``held`` units each, leverage near the cap) a fall makes them sell."""
    model = MarketModel(_tfg(10, lam), seed=4)
    funds, market = model.value_funds, model.market
    funds.units[:] = held
    before = funds.units.copy()
    prices = market.prices
    coef = np.array([1.0 / market.market_caps[0]])               # linear impact, multiplier 1
    usd, paid = funds.order(prices, market.log_fundamental, np.array([noise_usd]), market.model, coef,
                            np.array([1e12]))
    p_star = prices[0] * np.exp(coef[0] * (noise_usd + usd[0]))
    unit = funds.basket_value(np.array([p_star]))
    wealth = funds.fund_cash + funds.units * unit
    x = float(market.log_fundamental[0] - np.log(p_star))
    np.testing.assert_allclose(funds.units * unit, np.clip(funds.beta * x, 0, lam) * wealth, rtol=1e-9)
    assert paid == pytest.approx(float((funds.units - before).sum()) * unit, rel=1e-12)
    if held > 0 and noise_usd < 0:
        assert usd[0] < 0  # capped funds sell into the fall (their margin call)


def test_value_funds_conserve_shares_and_cash_with_every_channel():
    spec = load("validation-baseline", ["simulation.days=120", "margin.accounts=300"])
    model = MarketModel(spec, seed=2, check_every_day=True)
    for _ in range(120):
        model.step()
        check_conservation(model)  # shares of every asset and every $ (funds, investors, lenders included)
    assert model.records[-1]["value_funds_position_usd"] > 0


def test_value_funds_off_means_they_never_trade_and_old_scenarios_keep_their_hash():
    ts = sim.simulate(_tfg(200, 5.0, **{"channels.value_funds": "false"}), seed=1).timeseries
    assert (ts["flow_value_funds_usd"] == 0).all() and (ts["value_funds_position_usd"] == 0).all()
    # the all-defaults scenario (no value funds) has the hash it had before they existed (computed at fc28d7a^)
    assert from_dict({}).hash() == "8248fa9a3b7a6915"
    data = read_toml("baseline")
    del data["value_funds"]  # the one market's funds removed: the table and the channel flag at their defaults
    spec = from_dict(data)
    assert "value_funds" not in spec.to_dict() and "value_funds" not in spec.to_dict()["channels"]
    explicit = {**data, "value_funds": dataclasses.asdict(ValueFunds()),
                "channels": {**data["channels"], "value_funds": True}}
    assert from_dict(explicit).hash() == spec.hash() != load("baseline").hash()
    short = {**data, "simulation": {**data["simulation"], "days": 5}, "margin": {**data["margin"], "accounts": 100}}
    base = sim.simulate(from_dict(short), seed=1).timeseries
    assert not any(c.startswith("value_funds") for c in base.columns)
    with_funds = sim.simulate(load("baseline", ["simulation.days=5", "margin.accounts=100"]), seed=1).timeseries
    assert "value_funds_position_usd" in with_funds.columns  # the market's funds do report
