"""Scenario loading, overrides, validation and hashing."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from sim.config import scenario as sc
from sim.config.scenario import ScenarioError


def test_builtin_scenarios_load_and_validate():
    names = sc.builtin_names()
    assert {"baseline", "finra-2026-05"} <= set(names)
    for name in names:
        spec = sc.load(name)
        assert spec.meta.name == name and spec.meta.description


def test_finra_scenario_matches_packaged_finra_history():
    path = resources.files("sim") / "data" / "finra_margin_debt_1997_2026.csv"
    with path.open() as fh:
        rows = {r["date"]: float(r["value"]) for r in csv.DictReader(fh)}
    spec = sc.load("finra-2026-05")
    assert spec.margin.margin_debt_usd == rows["2026-05-01"] * 1e6  # FINRA reports $ millions
    assert spec.margin.margin_debt_usd - spec.margin.free_credit_usd == pytest.approx(991.7e9, rel=1e-12)
    assert any(e.size == -0.10 for e in spec.events)


def test_override_changes_value_and_hash():
    base = sc.load("baseline")
    changed = sc.load("baseline", ["margin.accounts=1234", "brokers.0.house_maintenance=0.4",
                                   "impact.model=sqrt", "meta.name=renamed"])
    assert changed.margin.accounts == 1234 and changed.brokers[0].house_maintenance == 0.4
    assert changed.impact.model == "sqrt"
    assert changed.hash() != base.hash()
    assert sc.load("baseline").hash() == base.hash()  # stable


def test_hash_is_stable_across_equal_inputs():
    a = sc.from_dict({"margin": {"accounts": 10}})
    b = sc.from_dict({"margin": {"accounts": 10}, "simulation": {}})
    assert a.hash() == b.hash() and len(a.hash()) == 16


def test_file_path_scenario(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('[meta]\nname = "mine"\n[margin]\naccounts = 50\n')
    assert sc.load(str(p)).margin.accounts == 50


BAD = [
    ({"margin": {"maintenance": 0.6}}, "margin.maintenance"),                  # above initial margin
    ({"margin": {"maintenance": 0.2}}, "margin.maintenance"),                  # below FINRA 25%
    ({"margin": {"accounts": 0}}, "margin.accounts"),                          # out of range
    ({"margin": {"accounts": 1.5}}, "margin.accounts"),                        # wrong type
    ({"margin": {"accounts": "many"}}, "margin.accounts"),                     # wrong type
    ({"margin": {"leverage_mean": float("nan")}}, "margin.leverage_mean"),     # NaN
    ({"margin": {"leverage_mean": 2.5}}, "margin.leverage_mean"),              # above Reg T buying power
    ({"margin": {"bogus": 1}}, "margin.bogus"),                                # unknown field
    ({"bogus": {}}, "bogus"),                                                  # unknown section
    ({"impact": {"model": "cubic"}}, "impact.model"),                          # not a choice
    ({"market": {"weights": [0.5, 0.6], "assets": ["a", "b"]}}, "market.weights"),  # do not sum to 1
    ({"market": {"assets": ["a", "b"]}}, "market.weights"),                    # length mismatch
    ({"market": {"fundamental_vol": -0.1}}, "market.fundamental_vol"),         # negative
    ({"market": {"correlation": True}}, "market.correlation"),                 # bool is not a number
    ({"simulation": {"substeps": 0}}, "simulation.substeps"),
    ({"brokers": [{"house_maintenance": 0.2}]}, "brokers[0].house_maintenance"),
    ({"brokers": [{"share": 0.5}]}, "brokers.share"),
    ({"brokers": [{"liquidate_to": "never"}]}, "brokers[0].liquidate_to"),
    ({"events": [{"day": 400}]}, "events[0].day"),
    ({"events": [{"target": "mars"}]}, "events[0].target"),
    ({"events": [{"size": -1.0}]}, "events[0].size"),
    ({"margin": {"initial_margin_short": 1.2}}, "margin.maintenance_short"),
    ({"liquidity": {"value_intensity": 1.0}}, "liquidity.value_intensity"),   # overshooting value traders
    ({"market": {"betas": [1.0, 2.0]}}, "market.betas"),
    # the channels and events of issue 3
    ({"channels": {"margin": 1}}, "channels.margin"),                          # not a boolean
    ({"letf_funds": [{"leverage": 4}]}, "letf_funds[0].leverage"),             # not in {-3,-2,-1,2,3}
    ({"letf_funds": [{"aum_usd": -1.0}]}, "letf_funds[0].aum_usd"),
    ({"letf_funds": [{"underlying": "mars"}]}, "letf_funds[0].underlying"),
    ({"letf": {"flow_response": 3.0}}, "letf.flow_response"),
    ({"options": [{"kind": "straddle"}]}, "options[0].kind"),
    ({"options": [{"side": "both"}]}, "options[0].side"),
    ({"options": [{"tenor_days": 0}]}, "options[0].tenor_days"),
    ({"dealers": {"implied_vol": 0.0}}, "dealers.implied_vol"),
    ({"vol_control": {"target_vol": float("inf")}}, "vol_control.target_vol"),
    ({"vol_control": {"lag_days": 0}}, "vol_control.lag_days"),
    ({"vol_control": {"fast_lambda": 0.99, "slow_lambda": 0.97}}, "vol_control.slow_lambda"),
    ({"events": [{"kind": "rate_shock", "size": 0.9}]}, "events[0].size"),
    ({"events": [{"kind": "lending_cut", "size": 0.3}]}, "events[0].size"),
    ({"events": [{"kind": "vol_regime", "size": -1.0}]}, "events[0].size"),
    ({"events": [{"kind": "meteor"}]}, "events[0].kind"),
    ({"events": [{"kind": "maintenance_raise", "size": 0.7}]}, "events[0].size"),
    ({"meta": {"extends": "nope"}}, "meta.extends"),
]


@pytest.mark.parametrize(("data", "field"), BAD)
def test_bad_values_name_the_field_in_one_line(data, field):
    with pytest.raises(ScenarioError) as err:
        sc.from_dict(data)
    msg = str(err.value)
    assert field in msg
    assert "\n" not in msg
    assert "must" in msg or "unknown" in msg


def test_unknown_scenario_and_bad_override():
    with pytest.raises(ScenarioError, match="unknown; built-in scenarios"):
        sc.load("no-such-scenario")
    with pytest.raises(ScenarioError, match=r"section\.field=value"):
        sc.load("baseline", ["margin.accounts"])
    with pytest.raises(ScenarioError, match="unknown section"):
        sc.load("baseline", ["nope.x=1"])
    with pytest.raises(ScenarioError, match=r"brokers\.7: the scenario has 1 broker; must be an item number"):
        sc.load("baseline", ["brokers.7.share=1"])
