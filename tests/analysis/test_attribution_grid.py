"""The attribution grid: Shapley axioms, horizons, the spiral gain and call deadlines, known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.attribution_grid import attribute_grid, coalitions, grid_json, shapley_arrays
from sim.analysis.attribution_horizons import HORIZONS, horizon_values, shock_events
from sim.config.scenario import load
from sim.core.errors import InputError
from sim.model.market_model import CHANNELS

SMALL = ["margin.accounts=300", "simulation.days=85"]


# ------------------------------------------------------------------ Shapley on toy games
def test_shapley_of_a_toy_game_is_symmetric_additive_and_gives_a_dummy_nothing():
    players = ("a", "b", "c")
    coals = coalitions(players)
    v = np.array([2.0 * ("a" in s) + 2.0 * ("b" in s) + 3.0 * ("a" in s and "b" in s) for s in coals])
    w = np.array([1.0 * ("c" in s) + 4.0 * (len(s) == 3) for s in coals])
    phi_v, phi_w = shapley_arrays(players, coals, v), shapley_arrays(players, coals, w)
    assert phi_v == pytest.approx([3.5, 3.5, 0.0])            # a, b symmetric; c a dummy
    assert phi_w == pytest.approx([4 / 3, 4 / 3, 1 + 4 / 3])  # the 3-way synergy split in three
    assert shapley_arrays(players, coals, v + w) == pytest.approx(phi_v + phi_w)  # additivity
    assert phi_v.sum() == pytest.approx(v[-1] - v[0])


def test_shapley_arrays_match_the_scalar_shapley_on_many_games_at_once():
    from sim.analysis.attribution import shapley

    rng = np.random.default_rng(0)
    coals = coalitions()
    values = rng.normal(size=(3, len(coals)))
    for row, phi in zip(values, shapley_arrays(CHANNELS, coals, values), strict=True):
        scalar = shapley(CHANNELS, lambda s, r=row: r[coals.index(s)])
        assert phi == pytest.approx([scalar[c] for c in CHANNELS], rel=1e-12)


# ------------------------------------------------------------------ horizons
def test_horizons_on_hand_made_paths():
    off = np.array([100.0, 100.0, 90.0, 90.0, 90.0, 90.0])
    deep = np.array([100.0, 100.0, 80.0, 72.0, 81.0, 99.0])
    v = horizon_values(np.stack([off, deep]), shock_day=2, horizons=HORIZONS)
    assert v["trough"] == pytest.approx([0.10, 0.28])
    assert v["dd5"] == pytest.approx([0.10, 0.28]) and v["dd21"] == pytest.approx([0.10, 0.28])
    gaps = np.log(off[2:] / deep[2:])
    assert v["gap21"] == pytest.approx([0.0, gaps.mean()])
    assert v["impact"] == pytest.approx([0.0, np.abs(gaps).sum()])
    assert v["total_return"] == pytest.approx([-0.10, -0.01])


def test_shock_events_resize_the_index_gaps_or_add_them():
    data, index, day = shock_events(load("finra-2026-05").to_dict(), 0.3, 10, 252)
    assert day == 60 and [data["events"][i]["size"] for i in index] == [-0.3, -0.3]
    data, index, day = shock_events(load("baseline").to_dict(), 0.2, 40, 252)
    assert day == 40 and {data["events"][i]["kind"] for i in index} == {"fundamental_gap", "price_gap"}
    with pytest.raises(InputError, match="shock size"):
        shock_events(load("baseline").to_dict(), 1.2, 40, 252)


# ------------------------------------------------------------------ the grid on the model
@pytest.fixture(scope="module")
def grid():
    spec = load("finra-2026-05", SMALL)
    return attribute_grid(spec, seeds=[1, 2], shocks=[0.2, 0.3], deadlines=[0, 2], horizons=HORIZONS)


def test_shapley_values_add_up_to_the_all_on_minus_channels_off_value_on_every_horizon(grid):
    for h in HORIZONS:
        v, phi = grid.values[h], grid.phi[h]
        assert phi.sum(axis=-1) == pytest.approx(v[..., -1] - v[..., 0], rel=1e-12, abs=1e-14), h
        parts = grid.parts(h)
        assert parts["base"] + sum(parts[c] for c in CHANNELS) == pytest.approx(parts["total"], rel=1e-12, abs=1e-14)


def test_deadline_zero_sells_earlier_than_deadline_two(grid):
    first = grid.first_forced_day          # (deadline, shock, seed)
    assert (first >= 60).all()
    assert (first[0] < first[1]).any() and (first[0] <= first[1]).all()
    assert (first[0, 0] == 60).all()       # same-day calls: sold on the shock day


def test_grid_json_has_a_band_for_every_cell_and_part(grid):
    doc = grid_json(grid)
    assert len(doc["cells"]) == 4 and doc["shock_day"] == 60
    band = doc["cells"][0]["horizons"]["trough"]["share"]["margin"]
    assert band["q05"] <= band["median"] <= band["q95"]


def _k(margin_debt: float) -> tuple[float, float]:
    spec = load("finra-2026-05", [*SMALL, f"margin.margin_debt_usd={margin_debt}", "margin.free_credit_usd=1e9"])
    g = attribute_grid(spec, seeds=[1], shocks=[0.3], deadlines=[0], horizons=["trough"])
    return float(g.realised_k("trough")[0, 0, 0]), float(g.analytic_k[0, 0])


def test_spiral_gain_is_zero_for_a_tiny_margin_book_and_positive_for_a_crowded_one():
    tiny_real, tiny_analytic = _k(1e6)
    crowded_real, crowded_analytic = _k(2.0e12)
    assert abs(tiny_real) < 1e-4 and abs(tiny_analytic) < 1e-5
    assert crowded_real > 0.01 and crowded_analytic > 0.01
