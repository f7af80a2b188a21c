"""Trading dates: historical scenarios are dated in NYSE trading days from ``meta.start_date``."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.config.scenario import ScenarioError, builtin_names, from_dict, load
from sim.run.dates import trading_days

SCENARIOS = Path(sim.__file__).parent / "scenarios"
DATED = {"dotcom-2000": "2000-03-31", "gfc-2007": "2007-07-31", "volmageddon-2018": "2018-01-31",
         "covid-2020": "2020-01-31", "peak-2021": "2021-10-29", "rally-2025": "2025-05-30"}


@pytest.mark.parametrize("name", builtin_names())
def test_start_date_is_the_day_0_the_header_gives(name):
    header = re.search(r"day 0 = (\d{4}-\d{2}-\d{2})", (SCENARIOS / f"{name}.toml").read_text())
    assert load(name).meta.start_date == (header.group(1) if header else "")
    assert load(name).meta.start_date == DATED.get(name, "")


@pytest.mark.parametrize(("start", "day", "date"), [
    ("2000-03-31", 364, "2001-09-17"),   # dotcom-2000: markets reopen after 9/11 (closed 11-14 September)
    ("2000-03-31", 625, "2002-09-30"),   # dotcom-2000: "2002-09-30 is day 625"
    ("2007-07-31", 398, "2009-02-27"),   # gfc-2007: "399 trading days to 2009-02-27"
    ("2020-01-31", 12, "2020-02-19"),    # covid-2020: "the peak is day 12"
    ("2020-01-31", 35, "2020-03-23"),    # covid-2020: "the trough day 35"
    ("2021-10-29", 44, "2022-01-03"),    # peak-2021: "the turn is day 44 (2022-01-03)"
    ("2018-01-31", 62, "2018-05-01"),    # volmageddon-2018: "63 trading days to 2018-05-01"
    ("2025-05-30", 250, "2026-05-29"),   # rally-2025: "day 250 = 2026-05-29"
    ("2012-10-26", 1, "2012-10-31"),     # Hurricane Sandy closed the exchange on 29 and 30 October 2012
])
def test_day_numbers_are_nyse_trading_days(start, day, date):
    assert trading_days(start, day + 1)[day] == pd.Timestamp(date)


@pytest.mark.parametrize("name", sorted(DATED))
def test_every_dated_event_falls_on_the_trading_day_its_comment_names(name):
    """An event block opening ``[[events]]  # YYYY-MM-DD...`` happens on that NYSE trading day
    (the first date named; "2008-03-14/17" means from the 14th)."""
    text = (SCENARIOS / f"{name}.toml").read_text()
    blocks = re.findall(r"^\[\[events\]\]\s*#\s*(\d{4}-\d{2}-\d{2})[^\n]*\nday = (\d+)", text, flags=re.M)
    assert len(blocks) >= 3
    dates = trading_days(DATED[name], load(name).simulation.days)
    wrong = [(date, int(day), str(dates[int(day)].date())) for date, day in blocks
             if dates[int(day)] != pd.Timestamp(date)]
    assert not wrong, f"(comment date, day, that day's date): {wrong}"


def test_a_dated_run_has_a_date_column_next_to_day_and_keeps_it_in_parquet(tmp_path):
    spec = load("covid-2020", ["margin.accounts=1000"])
    result = sim.simulate(spec, seed=1)
    ts = result.timeseries
    assert list(ts.columns[:2]) == ["day", "date"] and ts["day"].tolist() == list(range(126))
    assert ts["date"].iloc[0] == pd.Timestamp("2020-01-31") and ts["date"].iloc[12] == pd.Timestamp("2020-02-19")
    assert ts["date"].is_monotonic_increasing and (ts["date"].dt.day_of_week < 5).all()
    ts_path, _ = result.write(tmp_path)
    pd.testing.assert_frame_equal(pd.read_parquet(ts_path), ts, check_exact=True)
    # the date changes nothing else: the same scenario without a start date gives the same numbers
    undated = sim.simulate(load("covid-2020", ["margin.accounts=1000", "meta.start_date=''"]), seed=1).timeseries
    pd.testing.assert_frame_equal(ts.drop(columns="date"), undated, check_exact=True)


def test_a_scenario_without_a_start_date_has_no_date_column():
    ts = sim.simulate(load("baseline", ["margin.accounts=500", "simulation.days=5"]), seed=1).timeseries
    assert "date" not in ts.columns and ts["day"].tolist() == list(range(5))


def test_start_date_leaves_the_hash_of_scenarios_without_one_alone():
    # the all-defaults scenario's hash, the same before meta.start_date existed (computed at 53fcdb7^)
    assert from_dict({}).hash() == from_dict({"meta": {"start_date": ""}}).hash() == "8248fa9a3b7a6915"
    assert load("baseline", ["meta.start_date=''"]).hash() == load("baseline").hash()
    assert load("baseline", ["meta.start_date=2020-01-31"]).hash() != load("baseline").hash()
    assert "start_date" not in load("baseline").to_dict()["meta"]
    assert load("baseline").to_dict(full=True)["meta"]["start_date"] == ""
    assert load("gfc-2007").to_dict()["meta"]["start_date"] == "2007-07-31"


@pytest.mark.parametrize(("value", "message"), [
    ("2000-3-31", "must be '' or a date YYYY-MM-DD from 1960-01-01 to 2100-12-31"),
    ("1900-01-02", "must be '' or a date YYYY-MM-DD"),
    ("yesterday", "must be '' or a date YYYY-MM-DD"),
])
def test_bad_start_dates_are_refused_on_load(value, message):
    with pytest.raises(ScenarioError, match=re.escape(f"meta.start_date = {value!r}: {message}")):
        load("baseline", [f"meta.start_date='{value}'"])


def test_a_toml_date_is_accepted_as_the_start_date():
    assert load("baseline", ["meta.start_date=2000-03-31"]).meta.start_date == "2000-03-31"


@pytest.mark.parametrize(("start", "message"), [
    ("2000-04-01", "'2000-04-01': must be an NYSE trading day (a Saturday); the nearest are 2000-03-31 and 2000-04-03"),
    ("2001-09-11", "'2001-09-11': must be an NYSE trading day (a day the exchange was closed); the nearest are "
                   "2001-09-10 and 2001-09-17"),
])
def test_a_start_date_that_is_not_a_trading_day_is_refused_before_the_run(start, message):
    spec = load("baseline", [f"meta.start_date='{start}'", "margin.accounts=100"])
    with pytest.raises(ScenarioError, match=re.escape(f"meta.start_date = {message}")) as info:
        sim.simulate(spec, seed=1)
    assert info.value.field == "meta.start_date"


def test_a_run_past_the_calendar_is_refused():
    with pytest.raises(ScenarioError, match=r"simulation.days = 100000: .* must be at most \d+") as info:
        trading_days("2100-12-01", 100_000)
    assert info.value.field == "simulation.days"
