"""Dotted paths into a raw scenario (sim.config.paths): overrides and parameters, one implementation."""

from __future__ import annotations

import pytest

import sim
from sim.config import paths
from sim.config.scenario import ScenarioError, apply_value, load, read_toml
from sim.config.schema import SHAPE


def test_parse_override_values_are_toml_or_bare_words():
    assert paths.parse_override("margin.accounts=10") == (["margin", "accounts"], 10)
    assert paths.parse_override("impact.model=sqrt") == (["impact", "model"], "sqrt")
    assert paths.parse_override("market.assets=['a', 'b']") == (["market", "assets"], ["a", "b"])
    assert paths.parse_override("events.0.size = -0.2") == (["events", "0", "size"], -0.2)


BAD = [
    ("baseline", "margin.accounts.x=1", r"^margin\.accounts is an integer, not a table$"),
    ("finra-2026-05", "events.0.size.x=1", r"^events\.0\.size is a number, not a table$"),
    ("finra-2026-05", "events.9.size=1", r"^events\.9: the scenario has 2 events; must be an item number in \[0, 1\]$"),
    ("baseline", "events.0.size=1", r"^events\.0: the scenario has no events; a path must name an existing item$"),
    ("baseline", "brokers.3.share=1", r"^brokers\.3: the scenario has 1 broker; must be an item number in \[0, 0\]$"),
    ("baseline", "brokers.share=1", r"^brokers\.share: brokers is a list: name an item, e\.g\. brokers\.0\.share"),
    ("baseline", "brokers.0=1", r"^brokers\.0: name a field of the item"),
    ("baseline", "margin.levrage_mean=1", r"^margin\.levrage_mean: unknown field; did you mean 'leverage_mean'\?$"),
    ("baseline", "margin.zzz=1", r"^margin\.zzz: unknown field; allowed: accounts, margin_debt_usd"),
    ("baseline", "margn.accounts=1", r"^margn: unknown section; did you mean 'margin'\?$"),
    ("baseline", "market.weights.0=1", r"^market\.weights is a list of numbers, not a table$"),
    ("baseline", "letf_funds.*.aum_usd=1", r"^letf_funds\.\*: '\*' stands for every item, and the scenario has no "),
    ("baseline", "margin.*.x=1", r"^margin\.\*: '\*' stands for every item of a list, and margin is not a list$"),
    ("baseline", "margin.accounts", r"^scenario override 'margin\.accounts': must look like section\.field=value$"),
    ("baseline", "margin=1", r"^scenario override 'margin=1': key must be section\.field"),
    ("baseline", "margin..x=1", r"key must be section\.field"),
]


@pytest.mark.parametrize(("base", "override", "expected"), BAD, ids=[b[1] for b in BAD])
def test_bad_paths_are_one_clear_line(base, override, expected):
    with pytest.raises(ScenarioError, match=expected) as err:
        load(base, [override])
    assert "\n" not in str(err.value) and err.value.field


def test_star_sets_every_item_and_missing_lists_take_their_default():
    spec = load("finra-2026-05", ["letf_funds.*.aum_usd=1e9"])
    assert len(spec.letf_funds) == 6 and all(f.aum_usd == 1e9 for f in spec.letf_funds)
    data = {"margin": {"accounts": 10}}
    apply_value(data, "brokers.0.house_maintenance", 0.4)  # no brokers yet: the one default broker
    assert data["brokers"][0]["house_maintenance"] == 0.4 and data["brokers"][0]["share"] == 1.0


def test_ops_act_on_the_value_or_the_default():
    data = read_toml("finra-2026-05")
    before = [f["aum_usd"] for f in data["letf_funds"]]
    apply_value(data, "letf_funds.*.aum_usd", 0.0, op="scale")  # scale by 0 is fine (no division)
    assert [f["aum_usd"] for f in data["letf_funds"]] == [0.0] * len(before)
    data = {}
    apply_value(data, "margin.accounts", 2, op="scale")  # not in the file: the field's default
    assert data["margin"]["accounts"] == 200_000 and isinstance(data["margin"]["accounts"], int)
    with pytest.raises(ScenarioError, match="op 'divide' by 0"):
        apply_value({}, "impact.multiplier", 0, op="divide")
    with pytest.raises(ScenarioError, match="op 'scale' needs numbers"):
        apply_value({}, "impact.model", 2, op="scale")
    with pytest.raises(ScenarioError, match="op = 'pow': must be one of set, add, scale, divide"):
        apply_value({}, "impact.multiplier", 2, op="pow")


def test_a_table_that_is_not_a_table_in_the_data():
    with pytest.raises(ScenarioError, match=r"^margin: must be a table, not 5$"):
        paths.set_path({"margin": 5}, "margin.accounts", 1, SHAPE)
    with pytest.raises(ScenarioError, match=r"^events: must be a list of tables, not 'x'$"):
        paths.set_path({"events": "x"}, "events.0.size", 1, SHAPE)


def test_get_path_and_expand_path():
    data = read_toml("finra-2026-05")
    assert paths.get_path(data, "events.1.size", SHAPE) == data["events"][1]["size"]
    assert paths.get_path(data, "margin.wealth_sigma", SHAPE) == 1.0  # the default when absent
    assert paths.expand_path(data, "events.*.day", SHAPE) == [["events", "0", "day"], ["events", "1", "day"]]


def test_merge_tables_field_by_field_and_lists_replace():
    base = {"margin": {"accounts": 1, "leverage_mean": 1.5}, "events": [{"day": 1}, {"day": 2}]}
    out = paths.merge(base, {"margin": {"accounts": 2}, "events": [{"day": 3}]})
    assert out == {"margin": {"accounts": 2, "leverage_mean": 1.5}, "events": [{"day": 3}]}
    assert base["margin"]["accounts"] == 1


def test_simulate_params_rejects_bad_params_before_running():
    with pytest.raises(ValueError, match=r"params = \[.*\]: must be a dict of dotted path -> value"):
        sim.simulate_params([("margin.accounts", 10)], seed=1)
    with pytest.raises(ValueError, match=r"'margin': must be section\.field"):
        sim.simulate_params({"margin": 10}, seed=1)
    with pytest.raises(ValueError, match=r"params key 5: must be a dotted path"):
        sim.simulate_params({5: 10}, seed=1)
    with pytest.raises(ValueError, match=r"margin\.levrage_mean: unknown field"):
        sim.simulate_params({"margin.levrage_mean": 1.5}, seed=1)
    with pytest.raises(ValueError, match=r"seed = 'x': must be an integer"):
        sim.simulate_params({"margin.accounts": 10}, seed="x")
    with pytest.raises(ValueError, match=r"series 'nope': not a daily column"):
        sim.simulate_params({"margin.accounts": 10}, seed=1, series=["nope"])
    with pytest.raises(ValueError, match=r"series = 'index_level': must be a list of strings"):
        sim.simulate_params({"margin.accounts": 10}, seed=1, series="index_level")
