"""Valid inputs at the edges of their ranges: a run completes with finite, positive prices.

After a crash to a millionth of the price, dollar wealth (free credit, value funds) can be
many times a sector's market cap; the price limit per substep (sim.core.impact.MAX_LOG_MOVE)
and the price range (sim.model.market.LOG_PRICE_RANGE) keep prices representable there, and
the conservation checks scale their tolerance with the trades' size.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import sim
from sim.config.scenario import EVENT_SIZES, ScenarioError, from_dict, read_toml
from sim.core.impact import LINEAR, MAX_LOG_MOVE, SQRT, log_impact, price_with_dealers
from sim.model.market import LOG_PRICE_RANGE, Market
from tests.conftest import small_scenario

BASES = ("finra-2026-05", "tfg-2012", "baseline")
"""Every channel (dealers, leveraged ETFs, vol control); leveraged value funds; a plain market."""


def _short_run(base: str, events: list[dict], days: int = 30, **sections: dict):
    data = read_toml(base)
    data["margin"]["accounts"] = 200
    data["simulation"]["days"] = days
    for section, fields in sections.items():
        data[section].update(fields)
    first = data["market"]["assets"][0]
    data["events"] = [{**e, "target": first if e["target"] == "first" else e["target"]} for e in events]
    return from_dict(data)


def _assert_finite_positive_prices(result, days: int) -> None:
    ts = result.timeseries
    prices = ts[[c for c in ts if c.startswith("price_")]].to_numpy()
    assert len(ts) == days
    assert np.all(np.isfinite(prices)) and np.all(prices > 0.0)


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("kind", ["price_gap", "fundamental_gap"])
@pytest.mark.parametrize("size", [EVENT_SIZES["price_gap"][0], EVENT_SIZES["price_gap"][1]])
def test_gap_at_the_edge_of_its_range(base, kind, size):
    spec = _short_run(base, [{"day": 3, "kind": kind, "target": "first", "size": size}])
    _assert_finite_positive_prices(sim.simulate(spec, seed=1, check_every_day=True), 30)


@pytest.mark.parametrize("base", BASES)
def test_largest_vol_regime_on_the_largest_fundamental_vol(base):
    top = EVENT_SIZES["vol_regime"][1]
    spec = _short_run(base, [{"day": 1, "kind": "vol_regime", "target": "index", "size": top}], days=60,
                      market={"fundamental_vol": 0.2})
    _assert_finite_positive_prices(sim.simulate(spec, seed=2, check_every_day=True), 60)


def test_repeated_crashes_stop_at_the_price_range():
    events = [{"day": d, "kind": kind, "target": "first", "size": -0.999999}
              for d in range(60) for kind in ("price_gap", "fundamental_gap")]
    spec = _short_run("baseline", events, days=60)
    result = sim.simulate(spec, seed=3, check_every_day=True)
    _assert_finite_positive_prices(result, 60)
    floor = 100.0 * math.exp(-LOG_PRICE_RANGE)
    assert result.timeseries["price_tech"].min() == pytest.approx(floor, rel=0.1)


@st.composite
def extreme_events(draw, assets: list[str]) -> dict:
    kind = draw(st.sampled_from(list(EVENT_SIZES)))
    lo, hi, _meaning = EVENT_SIZES[kind]
    size = draw(st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi)))
    target = draw(st.sampled_from(["index", *assets]))
    return {"day": draw(st.integers(0, 19)), "kind": kind, "target": target, "size": size}


@settings(max_examples=40)
@given(data=st.data(), base=st.sampled_from(BASES), seed=st.integers(0, 1000))
def test_any_valid_events_keep_prices_finite_and_positive(data, base, seed):
    assets = read_toml(base)["market"]["assets"]
    events = data.draw(st.lists(extreme_events(assets), min_size=1, max_size=4))
    try:
        spec = _short_run(base, events, days=20)
    except ScenarioError:  # e.g. an index gap beyond -1 / beta, or maintenance above 100%
        assume(False)
    _assert_finite_positive_prices(sim.simulate(spec, seed=seed, check_every_day=True), 20)


# ------------------------------------------------------------------------------ the two limits

@pytest.mark.parametrize(("model", "coef"), [(LINEAR, 1e-12), (SQRT, 0.01)])
def test_price_limit_caps_one_substeps_move(model, coef):
    adv = 1e9
    assert log_impact(1e30, model, coef, adv) == MAX_LOG_MOVE
    assert log_impact(-1e30, model, coef, adv) == -MAX_LOG_MOVE
    assert abs(log_impact(1e8, model, coef, adv)) < MAX_LOG_MOVE  # ordinary flows: the law itself


def test_price_limit_holds_with_dealers():
    # short gamma stronger than the market's depth saturates the dealers; the move stays within the limit
    price, dealer, _ = price_with_dealers(math.log(100.0), -1e30, -1e20, 1e15, LINEAR, 1e-12, 1e9)
    assert price == pytest.approx(100.0 / 10.0, rel=1e-12) and dealer == -1e15


def test_price_range_bounds_gaps_and_flows():
    m = Market(small_scenario(impact={"transient_fraction": 0.5}))
    for _ in range(40):
        m.gap_price("health", -0.999999)
        m.gap_fundamental("health", -0.999999)
    j = m.names.index("health")
    assert m.prices[j] == pytest.approx(100.0 * math.exp(-LOG_PRICE_RANGE), rel=1e-9)
    assert m.fundamentals[j] == pytest.approx(100.0 * math.exp(-LOG_PRICE_RANGE), rel=1e-9)
    for _ in range(200):
        _, coef, adv = m.begin_substep()
        m.commit(np.full(m.n_assets, 1e30), coef, adv)
    assert np.all(np.isfinite(m.prices))
    assert np.all(m.prices <= 100.0 * math.exp(LOG_PRICE_RANGE) * (1 + 1e-9))
