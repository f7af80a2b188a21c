"""The stock sections' scenario checks: every bad reference or inconsistent table is one line naming its field."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from sim.config.fields import ScenarioError
from sim.config.scenario import from_dict, load, resolve
from sim.config.scenario_stocks import scenario_folder, scenario_universe

ON = {"enabled": True}


def _error(data: dict) -> str:
    with pytest.raises(ScenarioError) as excinfo:
        from_dict(data)
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("data,field,value", [
    ({"stock_events": [{"target": "S0001"}, {"target": "XYZ"}]}, "stock_events[1].target", "'XYZ'"),
    ({"stock_letfs": [{"underlying": "all"}]}, "stock_letfs[0].underlying", "'all'"),
    ({"stock_brokers": [{"sector": "S0001"}]}, "stock_brokers[0].sector", "'S0001'"),
    ({"stocks": {"theme_sector": "Semis"}}, "stocks.theme_sector", "'Semis'"),
    ({"stocks": {"short_tilt_sector": "ZZZZ"}}, "stocks.short_tilt_sector", "'ZZZZ'"),
])
def test_a_bad_reference_names_its_field(data, field, value):
    data = {**data, "stocks": {**ON, **data.get("stocks", {})}}
    msg = _error(data)
    assert msg.startswith(f"{field}: {value} is not a ")
    assert "of the universe" in msg and "(500 synthetic names; e.g. 'S0001', sectors: 'Consumer Discretionary', " in msg


def test_references_are_checked_only_with_the_layer_on():
    from_dict({"stock_events": [{"target": "XYZ"}]})
    from_dict({"stocks": {"theme_sector": "nope"}})


def test_valid_references_load():
    spec = from_dict({
        "stocks": {**ON, "theme_sector": "Information Technology", "short_tilt_sector": "S0300"},
        "stock_brokers": [{"name": "a", "share": 0.25, "debt_share": 0.7, "sector": "Energy"},
                          {"name": "b", "share": 0.75}],
        "stock_letfs": [{"underlying": "S0001"}, {"underlying": "Information Technology"}, {"underlying": "index"}],
        "stock_events": [{"target": "all"}, {"target": "Financials", "kind": "requirement", "size": 0.5},
                         {"target": "S0002", "kind": "retail_buying", "size": 1e9, "days": 5}],
        "simulation": {"days": 10}})
    assert spec.stocks.enabled and len(spec.stock_events) == 3
    assert from_dict({"stocks": {**ON, "short_tilt_sector": "Utilities"}}).stocks.short_tilt_sector == "Utilities"


@pytest.mark.parametrize("brokers,field", [
    ([{"name": "a", "share": 0.5}, {"name": "b", "share": 0.4}], "stock_brokers.share: must sum to 1"),
    ([{"name": "a", "share": 0.5, "debt_share": 0.7}, {"name": "b", "share": 0.5, "debt_share": 0.4}],
     "stock_brokers.debt_share: must sum to at most 1"),
    ([{"name": "a", "share": 0.5, "debt_share": 0.5}, {"name": "b", "share": 0.5, "debt_share": 0.4}],
     "stock_brokers.debt_share: must sum to 1 when every broker sets one"),
    ([{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}], "stock_brokers.name: "),
    ([{"leverage_mean": 0.5}], "stock_brokers[0].leverage_mean: 0.5 must be 0 (the book's stocks.leverage_mean) or in "
                               "[1, 10]"),
    ([{"names_per_account": 0.9}], "stock_brokers[0].names_per_account: 0.9 must be 0"),
])
def test_broker_tables(brokers, field):
    assert _error({"stock_brokers": brokers}).startswith(field)


def test_broker_shares_within_rounding():
    from_dict({"stock_brokers": [{"name": "a", "share": 0.1}, {"name": "b", "share": 0.2},
                                 {"name": "c", "share": 0.7}]})


@pytest.mark.parametrize("event,field", [
    ({"day": 252}, "stock_events[0].day: 252 must be in [0, 251]"),
    ({"kind": "retail_buying", "size": -0.5}, "stock_events[0].size: -0.5 for kind 'retail_buying' must be in [0, "),
    ({"kind": "requirement", "size": 1.5}, "stock_events[0].size: 1.5 for kind 'requirement' must be in [0, 1]"),
    ({"kind": "restrict_buying", "size": 0.1}, "stock_events[0].size: 0.1 for kind 'restrict_buying'"),
    ({"kind": "borrow_fee", "size": 6.0}, "stock_events[0].size: 6 for kind 'borrow_fee' must be in [0, 5]"),
])
def test_event_days_and_sizes(event, field):
    assert _error({"stock_events": [event]}).startswith(field)


def test_idio_scale_beyond_the_largest_vol():
    assert _error({"stocks": {**ON, "idio_scale": 10.0}}).startswith("stocks.idio_scale: 10 would give")


def _scenario_dir(tmp_path: Path, universe: str) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(Path(str(resources.files("sim") / "data" / "universe_example.csv")), tmp_path / "data" / "u.csv")
    path = tmp_path / "mine.toml"
    path.write_text(f'[stocks]\nenabled = true\nuniverse = "{universe}"\n', encoding="utf-8")
    return path


def test_a_user_universe_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    path = _scenario_dir(tmp_path, "data/u.csv")
    monkeypatch.chdir("/")
    spec = load(str(path))
    assert scenario_folder(spec.source) == tmp_path.resolve()
    universe = scenario_universe(spec)
    assert universe.n == 20 and universe.ticker[0] == "S0001"
    monkeypatch.chdir(tmp_path)  # the same scenario from a table, relative to the current folder: same hash
    assert spec.hash() == resolve({"stocks": {"enabled": True, "universe": "data/u.csv"}}).hash()


def test_user_universe_errors(tmp_path, monkeypatch):
    with pytest.raises(ScenarioError, match=r"^stocks.universe: 'data/missing.csv': universe file .* not found$"):
        load(str(_scenario_dir(tmp_path, "data/missing.csv")))
    (tmp_path / "mine.toml").unlink()
    shutil.rmtree(tmp_path / "data")
    with pytest.raises(ScenarioError, match=r"^stocks.universe: '../u.csv' is outside the scenario's folder"):
        load(str(_scenario_dir(tmp_path, "../u.csv")))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match=r"^stocks.universe: '/etc/passwd.csv' is outside"):
        from_dict({"stocks": {**ON, "universe": "/etc/passwd.csv"}})
    msg = _error({"stocks": {**ON, "universe": "data/u.csv", "theme_sector": "Semis"}})
    assert "20 names from 'data/u.csv'" in msg


def test_builtin_scenarios_still_load():
    load("baseline")
    assert scenario_folder("built-in baseline").name == "scenarios"


def test_a_brokers_names_must_be_tickers_of_the_universe():
    with pytest.raises(ScenarioError, match=r"stock_brokers\[0\]\.names: 'ZZZZ' is not a ticker of the universe"):
        from_dict({"stocks": {"enabled": True}, "stock_brokers": [{"name": "p", "names": "S0001 ZZZZ"}]})
