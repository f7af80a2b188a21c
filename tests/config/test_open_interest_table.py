"""``[open_interest]``: its expansion into option series and its validation."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest

from sim.config import open_interest, scenario
from sim.config.fields import ScenarioError
from sim.config.schema import OpenInterest

CAP = 1e13
ON = OpenInterest(put_share=0.02, call_share=0.01)


def test_off_by_default():
    assert open_interest.series(OpenInterest(), CAP) == []
    assert not open_interest.enabled(OpenInterest())


def test_row_counts_sides_and_tenors():
    rows = open_interest.series(ON, CAP)
    puts = [s for s in rows if s.kind == "put"]
    calls = [s for s in rows if s.kind == "call"]
    # puts 0.80..0.95 and calls 1.00..1.08 every 0.01: 16 and 9 strikes, a weekly and a monthly ladder each
    assert len(puts) == 2 * 16 and len(calls) == 2 * 9
    assert {s.side for s in puts} == {"short"} and {s.side for s in calls} == {"long"}
    assert {s.underlying for s in rows} == {"index"}
    assert {(s.tenor_days, s.ladder) for s in rows} == {(20, 4), (63, 3)}
    assert sum(s.ladder for s in rows) == 25 * 7
    assert puts[0].moneyness == pytest.approx(0.80) and puts[-1].moneyness == pytest.approx(0.95)
    assert calls[0].moneyness == pytest.approx(1.00) and calls[-1].moneyness == pytest.approx(1.08)


def test_total_notionals_and_weekly_share():
    rows = open_interest.series(ON, CAP)
    for kind, total in (("put", ON.put_share * CAP), ("call", ON.call_share * CAP)):
        mine = [s for s in rows if s.kind == kind]
        assert math.fsum(s.notional_usd for s in mine) == pytest.approx(total, rel=1e-12)
        weekly = math.fsum(s.notional_usd for s in mine if s.tenor_days == 20)
        assert weekly == pytest.approx(0.4 * total, rel=1e-12)


def test_profile_declines_exponentially_away_from_spot():
    rows = [s for s in open_interest.series(ON, CAP) if s.kind == "call" and s.tenor_days == 63]
    for a, b in itertools.pairwise(rows):
        assert b.notional_usd / a.notional_usd == pytest.approx(math.exp(-0.01 / 0.03), rel=1e-9)
    puts = [s for s in open_interest.series(ON, CAP) if s.kind == "put" and s.tenor_days == 63]
    assert puts[-1].notional_usd / puts[0].notional_usd == pytest.approx(math.exp(0.15 / 0.10), rel=1e-9)


def test_one_sided_and_all_monthly():
    rows = open_interest.series(dataclasses.replace(ON, call_share=0.0, weekly_share=0.0), CAP)
    assert {s.kind for s in rows} == {"put"} and {s.tenor_days for s in rows} == {63}
    assert len(rows) == 16


def test_default_table_keeps_the_hash():
    data = scenario.read_toml("validation-baseline")
    data = {**data, "dealers": {k: v for k, v in data["dealers"].items() if k != "strike_step"}}
    del data["open_interest"]  # the one market's table and strike grid removed: both at their defaults
    plain = scenario.from_dict(data).hash()
    assert scenario.load("validation-baseline").hash() != plain
    assert scenario.from_dict({**data, "open_interest": dataclasses.asdict(OpenInterest())}).hash() == plain
    assert scenario.from_dict({**data, "dealers": {**data["dealers"], "strike_step": 0.0}}).hash() == plain
    assert scenario.from_dict({**data, "open_interest": {"call_share": 1e-4}}).hash() != plain


@pytest.mark.parametrize(("table", "field"), [
    ({"open_interest": {"put_low": 0.9, "put_high": 0.85}}, "open_interest.put_high"),
    ({"open_interest": {"call_low": 1.1, "call_high": 1.0}}, "open_interest.call_high"),
    ({"open_interest": {"weekly_share": 1.5}}, "open_interest.weekly_share"),
    ({"open_interest": {"put_share": -1.0}}, "open_interest.put_share"),
    ({"open_interest": {"call_share": 1.5}}, "open_interest.call_share"),
    ({"open_interest": {"weeks_listed": 0}}, "open_interest.weeks_listed"),
    ({"open_interest": {"call_share": 1e-4, "strike_spacing": 0.001, "put_low": 0.2, "call_high": 5.0}},
     "open_interest.strike_spacing"),
    ({"open_interest": {"bogus": 1}}, "open_interest.bogus"),
    ({"dealers": {"strike_step": -0.01}}, "dealers.strike_step"),
])
def test_bad_inputs_name_the_field(table, field):
    data = scenario.read_toml("validation-baseline")
    for section, fields in table.items():
        data[section] = {**data.get(section, {}), **fields}
    with pytest.raises(ScenarioError) as err:
        scenario.from_dict(data)
    assert err.value.field == field
    assert "\n" not in str(err.value) and field in str(err.value)
