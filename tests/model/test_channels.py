"""The other three channels (LETFs, dealers, vol-control), events and attribution: known answers."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import attribution
from sim.config.scenario import Dealers, OptionSeries, load
from sim.core import options
from sim.core.regimes import regime_label
from sim.model.agents.leveraged_etf import LeveragedETF
from sim.model.agents.options_dealer import OptionsDealer
from sim.model.agents.vol_control_fund import VolControlFund
from sim.model.market_model import CHANNELS, MarketModel
from tests.conftest import small_scenario

ONE = np.array([1.0])


# --------------------------------------------------------------------- leveraged ETFs

@pytest.mark.parametrize("leverage", [-3, -2, -1, 2, 3])
@pytest.mark.parametrize("r", [-0.07, -0.01, 0.02, 0.05])
def test_letf_rebalance_is_aum_L_L_minus_1_r(leverage, r):
    aum = 1e9
    fund = LeveragedETF(mesa.Model(), "f", leverage, aum, 0, 0.0, np.array([50.0]), ONE)
    usd = fund.rebalance(np.array([50.0 * (1 + r)]), ONE)
    assert usd.sum() == pytest.approx(aum * leverage * (leverage - 1) * r, rel=1e-12)
    # after the trade the fund is back at L x NAV, NAV = aum (1 + L r)
    nav = aum * (1 + leverage * r)
    assert fund.nav(np.array([50.0 * (1 + r)])) == pytest.approx(nav, rel=1e-12)
    assert fund.exposure(np.array([50.0 * (1 + r)])) == pytest.approx(leverage * nav, rel=1e-12)


def test_long_and_inverse_funds_trade_in_the_same_direction():
    p0, p1 = np.array([100.0]), np.array([97.0])
    trades = [LeveragedETF(mesa.Model(), "f", lev, 1e9, 0, 0.0, p0, ONE).rebalance(p1, ONE).sum()
              for lev in (-3, -2, -1, 2, 3)]
    assert all(t < 0 for t in trades)  # everyone sells after a fall


@pytest.mark.parametrize("leverage", [-3, 2, 3])
def test_flows_that_fully_offset_make_the_net_trade_vanish(leverage):
    fund = LeveragedETF(mesa.Model(), "f", leverage, 1e9, 0, 1.0, np.array([100.0]), ONE)
    usd = fund.rebalance(np.array([95.0]), ONE)
    assert abs(usd.sum()) < 1e-6 * 1e9


def test_letf_outflow_sells_leverage_times_redemption():
    fund = LeveragedETF(mesa.Model(), "f", 3, 1e9, 0, 0.0, np.array([100.0]), ONE)
    usd = fund.rebalance(np.array([100.0]), ONE, redeem_fraction=0.2)
    assert usd.sum() == pytest.approx(-3 * 0.2 * 1e9, rel=1e-12)
    assert fund.investor_cash == pytest.approx(0.2 * 1e9)


def test_letf_sector_concentration_in_the_2026_scenario():
    spec = load("finra-2026-05")
    total = sum(f.aum_usd for f in spec.letf_funds)
    tech = sum(f.aum_usd for f in spec.letf_funds if f.underlying == "tech_ai_semis")
    assert total == pytest.approx(179e9) and tech / total == pytest.approx(0.85, abs=0.005)


# ------------------------------------------------------------------------ dealers

def _dealer(side: str, kind: str = "put") -> OptionsDealer:
    series = [OptionSeries(underlying="a", kind=kind, side=side, moneyness=1.0, tenor_days=20, notional_usd=1e9,
                           ladder=1)]
    return OptionsDealer(mesa.Model(), Dealers(implied_vol=0.2, rate=0.0, roll=True), series, ["a"],
                         np.array([100.0]), 100.0, ONE, 252.0)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_hedge_trade_is_minus_gamma_dS_and_flips_with_the_side(kind):
    trades = {}
    for side in ("short", "long"):
        dealer = _dealer(side, kind)
        _, pos_gamma = dealer.position_greeks(0.0, np.array([100.0]), 100.0)
        ds = 0.01
        trade = dealer.rehedge(0.0, np.array([100.0 + ds]), 100.0, ONE)[0] / (100.0 + ds)  # shares
        assert trade == pytest.approx(-pos_gamma.sum() * ds, rel=1e-3)
        trades[side] = trade
    assert trades["short"] > 0 > trades["long"]  # short gamma buys strength; long gamma sells it


def test_gex_is_dollar_gamma_per_one_percent_and_negative_when_short():
    dealer = _dealer("short")
    s, k, t = 100.0, 100.0, 20 / 252
    gamma = options.gamma(np.array([s]), np.array([k]), np.array([t]), 0.2, 0.0)[0]
    expected = -(1e9 / s) * gamma * s * s * 0.01
    assert dealer.gex(0.0, np.array([s]), s, ONE) == pytest.approx(expected, rel=1e-12)
    assert expected < 0


def test_black_scholes_delta_matches_finite_difference_of_price():
    from scipy.stats import norm
    s, k, t, v, r = 100.0, 95.0, 0.25, 0.3, 0.01

    def call(x):
        d1 = (math.log(x / k) + (r + v * v / 2) * t) / (v * math.sqrt(t))
        return x * norm.cdf(d1) - k * math.exp(-r * t) * norm.cdf(d1 - v * math.sqrt(t))

    h = 1e-3
    fd_delta = (call(s + h) - call(s - h)) / (2 * h)
    fd_gamma = (call(s + h) - 2 * call(s) + call(s - h)) / (h * h)
    arr = np.array
    assert options.delta(arr([s]), arr([k]), arr([t]), v, r, arr([True]))[0] == pytest.approx(fd_delta, rel=1e-7)
    assert options.gamma(arr([s]), arr([k]), arr([t]), v, r)[0] == pytest.approx(fd_gamma, rel=1e-4)


def test_expiries_roll_with_the_schedule():
    dealer = _dealer("short")
    q = dealer.quantity.copy()
    dealer.roll_expired(20, np.array([80.0]), 80.0)
    assert dealer.expiry[0] == 40 and dealer.strike[0] == pytest.approx(80.0)
    np.testing.assert_array_equal(dealer.quantity, q)
    assert dealer.rolled == 1


# ---------------------------------------------------------------------- vol control

def test_vol_control_exposure_follows_the_formula_on_a_known_path():
    target, cap, lag = 0.10, 1.5, 1
    fund = VolControlFund(mesa.Model(), 1e9, target, cap, 0.0, lag, 0.94, 0.97, 0.15, 252.0,
                          np.array([100.0]), ONE)
    returns = [0.001, -0.002, 0.03, -0.05, 0.01, 0.0, -0.02, 0.004]
    v94 = v97 = 0.15**2 / 252
    estimates = [math.sqrt(max(v94, v97) * 252)]
    price = 100.0
    for r in returns:
        price *= math.exp(r)
        fund.rebalance(np.array([price]), ONE)
        expected = min(cap, target / estimates[-lag])  # the estimate through the close lag days ago
        assert fund.exposure(np.array([price])) == pytest.approx(expected, rel=1e-12)
        fund.observe(r)
        v94 = 0.94 * v94 + 0.06 * r * r
        v97 = 0.97 * v97 + 0.03 * r * r
        estimates.append(math.sqrt(max(v94, v97) * 252))
    assert fund.estimate() == pytest.approx(estimates[-1], rel=1e-12)


def test_vol_control_band_suppresses_small_trades():
    fund = VolControlFund(mesa.Model(), 1e9, 0.10, 1.5, 0.2, 1, 0.94, 0.97, 0.15, 252.0, np.array([100.0]), ONE)
    fund.observe(0.004)
    fund.observe(-0.003)
    assert not fund.rebalance(np.array([100.0]), ONE).any()


# ------------------------------------------------------------ the whole model, known answers

QUIET = dict(liquidity={"noise_vol": 0.0, "value_intensity": 0.0},
             market={"fundamental_vol": 0.0, "fundamental_drift": 0.0, "betas": [],
                     "garch_alpha": 0.0, "garch_beta": 0.0, "garch_asymmetry": 0.0, "news_to_price": 0.0},
             impact={"transient_fraction": 0.0, "thinning_elasticity": 0.0},
             value_funds={"count": 0})  # no news, no value traders, full depth: nothing but the channels moves prices


def test_all_channels_off_a_gap_moves_prices_by_exactly_the_gap():
    spec = small_scenario(**QUIET, channels={c: False for c in CHANNELS},
                          events=[{"day": 3, "kind": "price_gap", "target": "index", "size": -0.10}])
    ts = sim.simulate(spec, seed=1).timeseries
    assert ts["index_level"].iloc[:3].tolist() == pytest.approx([100.0] * 3, rel=1e-12)
    assert ts["index_level"].iloc[3:].to_numpy() == pytest.approx(90.0, rel=1e-12)
    for col in ("flow_margin_forced_usd", "flow_margin_voluntary_usd", "flow_letf_usd", "flow_dealer_usd",
                "flow_vol_control_usd"):
        assert (ts[col] == 0).all()


def test_brunnermeier_pedersen_loss_spiral_multiplier():
    """One leverage targeter, linear impact with depth D = cap / M: a shock is multiplied by 1/(1-k)."""
    multiplier, cap, debt = 13.0, 6.5e13, 1e12
    spec = small_scenario(
        liquidity=QUIET["liquidity"], impact={**QUIET["impact"], "multiplier": multiplier},
        market={**QUIET["market"], "assets": ["m"], "weights": [1.0], "market_cap_usd": cap},
        value_funds=QUIET["value_funds"],
        simulation={"days": 300, "substeps": 1},
        margin={"accounts": 1, "leverage_drift": 0.0, "short_fraction": 0.0, "buy_speed": 1.0, "sell_speed": 1.0,
                "rebalance_band": 0.0, "benchmark_rate": 0.0, "margin_debt_usd": debt},
        brokers=[{"name": "b", "share": 1.0, "interest_spread": 0.0}],
        channels={"margin": True, "letf": False, "dealers": False, "vol_control": False},
        letf_funds=[], options=[], vol_control={"aum_usd": 0.0},
        events=[{"day": 0, "kind": "price_gap", "target": "index", "size": -1e-7}])
    model = MarketModel(spec, seed=0)
    lev = model.book.accounts.target_leverage[0]
    value = lev * debt / (lev - 1.0)
    k = (lev - 1.0) * value * multiplier / cap    # k = (L - 1) P / D
    for _ in range(spec.simulation.days):
        model.step()
    total = math.log(model.market.prices[0] / 100.0)
    assert 0.2 < k < 0.6
    assert total / -1e-7 == pytest.approx(1.0 / (1.0 - k), rel=1e-6)


@pytest.fixture(scope="module")
def finra_attribution():
    spec = load("finra-2026-05", ["margin.accounts=10000", "simulation.days=90"])
    return attribution.attribute(spec, seed=1, workers=1)


def test_each_channel_deepens_the_shock_and_all_four_deepen_it_more_than_any_one(finra_attribution):
    """Each channel alone deepens the 10% shock, and the four together more than any one alone.

    Not "all four deepen it most": the market's dealers are long gamma above the put strikes, so a
    coalition without them can fall a little further than all four (an interaction, not a bug).
    """
    runs = finra_attribution.runs
    none = runs[frozenset()]["shock_drawdown"]
    everything = runs[frozenset(CHANNELS)]["shock_drawdown"]
    for channel in CHANNELS:
        assert runs[frozenset({channel})]["shock_drawdown"] > none, channel
    assert everything > max(runs[frozenset({c})]["shock_drawdown"] for c in CHANNELS)
    assert everything > none + 0.01


def test_shapley_shares_sum_to_the_total(finra_attribution):
    for metric, values in finra_attribution.values.items():
        parts = values["base"] + sum(values[c] for c in CHANNELS)
        assert parts == pytest.approx(values["total"], rel=1e-12), metric
        assert sum(finra_attribution.shares(metric).values()) == pytest.approx(1.0, rel=1e-12)


def test_shapley_of_an_additive_game_is_each_players_own_value():
    own = {"a": 1.0, "b": 2.5, "c": -0.5}
    phi = attribution.shapley(own, lambda s: sum(own[p] for p in s) + 0.25 * ("a" in s and "b" in s))
    assert phi == pytest.approx({"a": 1.125, "b": 2.625, "c": -0.5})


def test_finra_run_shows_all_four_channels_trading():
    spec = load("finra-2026-05", ["margin.accounts=5000", "simulation.days=80"])
    result = sim.simulate(spec, seed=1)
    ts = result.timeseries
    for col in ("flow_margin_forced_usd", "flow_margin_voluntary_usd", "flow_letf_usd", "flow_dealer_usd",
                "flow_vol_control_usd", "flow_value_usd", "flow_noise_usd"):
        assert (ts[col] != 0).any(), col
    gex = ts["dealer_gex_usd"]  # the market's open interest: long gamma at the strikes, short once the index falls
    assert gex.iloc[0] > 0 and (gex.iloc[60:] < 0).any()
    assert ts["vol_control_exposure"].iloc[70] < ts["vol_control_exposure"].iloc[55]  # they de-risked
    assert set(ts["regime"]) <= {"leverage-supported risk-on", "stress building", "deleveraging",
                                 "less leverage in the rally"}


# ------------------------------------------------------------------------- events

def _run(events, **extra):
    return sim.simulate(small_scenario(**QUIET, events=events, **extra), seed=2).timeseries


def test_rate_shock_raises_interest_on_debit_balances():
    base = _run([])
    shocked = _run([{"day": 10, "kind": "rate_shock", "target": "index", "size": 0.02}])
    assert shocked["interest_usd"].iloc[5] == base["interest_usd"].iloc[5]
    ratio = shocked["interest_usd"].iloc[10] / base["interest_usd"].iloc[10]
    spec = small_scenario()
    rates = [spec.margin.benchmark_rate + b.interest_spread for b in spec.brokers]
    assert min((r + 0.02) / r for r in rates) - 1e-3 < ratio < max((r + 0.02) / r for r in rates) + 1e-3


def test_maintenance_raise_calls_more_accounts():
    gap = [{"day": 15, "kind": "price_gap", "target": "index", "size": -0.15}]
    base = _run(gap)
    raised = _run([{"day": 14, "kind": "maintenance_raise", "target": "index", "size": 0.10}, *gap])
    concentrated = _run([{"day": 14, "kind": "maintenance_raise", "target": "tech_ai_semis", "size": 0.25}, *gap])
    assert raised["margin_calls"].sum() > base["margin_calls"].sum()
    assert base["margin_calls"].sum() < concentrated["margin_calls"].sum()


def test_lending_cut_caps_leverage_targets():
    rally = [{"day": 5, "kind": "price_gap", "target": "index", "size": 0.10}]
    base = _run(rally)
    cut = _run([{"day": 2, "kind": "lending_cut", "target": "index", "size": 0.8}, *rally])
    assert cut["flow_margin_voluntary_usd"].iloc[2:].sum() < base["flow_margin_voluntary_usd"].iloc[2:].sum()
    assert cut["margin_debt"].iloc[-1] < base["margin_debt"].iloc[-1]


def test_vol_regime_raises_realized_volatility():
    spec = small_scenario(events=[{"day": 5, "kind": "vol_regime", "target": "index", "size": 4.0}],
                          simulation={"days": 40})
    ts = sim.simulate(spec, seed=3).timeseries
    calm = sim.simulate(small_scenario(events=[], simulation={"days": 40}), seed=3).timeseries
    assert ts["index_return"].iloc[5:].std() > 2 * calm["index_return"].iloc[5:].std()


def test_letf_outflow_event_shrinks_the_funds():
    spec = small_scenario(**QUIET, events=[{"day": 10, "kind": "letf_outflow", "target": "all", "size": 0.5}])
    ts = sim.simulate(spec, seed=1).timeseries
    assert ts["letf_aum_usd"].iloc[10] < 0.55 * ts["letf_aum_usd"].iloc[9]
    assert ts["flow_letf_usd"].iloc[10] < 0


def test_regime_labels():
    assert regime_label(+1.0, +0.01) == "leverage-supported risk-on"
    assert regime_label(+1.0, -0.01) == "stress building"
    assert regime_label(-1.0, -0.01) == "deleveraging"
    assert regime_label(-1.0, +0.01) == "less leverage in the rally"


def test_attribute_cli_writes_table_json_and_chart(tmp_path, capsys):
    from sim.apps.cli import main
    out = tmp_path / "att"
    assert main(["attribute", "finra-2026-05", "--seed", "1", "--out", str(out), "--workers", "2",
                 "--set", "margin.accounts=2000", "--set", "simulation.days=85"]) == 0
    text = capsys.readouterr().out
    assert "shock drawdown" in text and "vol_control" in text
    data = pd.read_json(out / "attribution.json", typ="series")
    assert len(data["runs"]) == 16
    assert (out / "attribution.png").stat().st_size > 10_000
