"""Stock-layer tables: drawdowns, sector indices, summaries and Shapley attribution per name and sector."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.stock_tables import (
    max_drawdowns,
    name_attribution,
    name_metric,
    sector_attribution,
    sector_levels,
    sector_summary,
    stock_summary,
)
from sim.core.errors import InputError
from sim.model.stocks.types import STOCK_CHANNELS
from tests.stock_paths import additive_runs, random_path, stock_path

BASE = np.array([0.05, 0.10, 0.02])
EFFECTS = {"margin": np.array([0.10, 0.00, 0.04]), "letf": np.array([0.03, 0.05, 0.00]),
           "squeeze": np.array([0.00, 0.02, 0.20])}


def test_drawdown_of_a_known_path():
    price0 = np.array([100.0, 10.0])
    price = np.array([[110.0, 9.0], [99.0, 12.0], [121.0, 6.0], [60.5, 15.0]])
    # name 0: peak 121 then 60.5 (50%); name 1: peak 12 then 6 (50%), before that 10 -> 9 (10%)
    np.testing.assert_allclose(max_drawdowns(price0, price), [0.5, 0.5])
    np.testing.assert_array_equal(max_drawdowns(price0, price0 * np.ones((3, 2)) * 1.01), [0.0, 0.0])
    with pytest.raises(InputError, match="price"):
        max_drawdowns(price0, -price)


def test_shock_drawdown_is_the_fall_from_the_close_before_the_shock_to_the_trough_after():
    price0 = np.array([100.0, 10.0])
    price = np.array([[110.0, 9.0], [120.0, 12.0], [90.0, 6.0], [60.0, 15.0], [130.0, 3.0]])
    path = stock_path(price0, price, ["a", "b"])
    # shock on day 2: before = day 1's close (120, 12); troughs from day 2 on: 60 and 3
    np.testing.assert_allclose(name_metric(path, "shock_drawdown", 2), [0.5, 0.75])
    np.testing.assert_allclose(name_metric(path, "shock_drawdown", 0), [0.4, 0.7])  # before = price0
    with pytest.raises(InputError, match="shock_day"):
        name_metric(path, "shock_drawdown")


def test_sector_levels_are_cap_weighted_buy_and_hold():
    price0 = np.array([10.0, 20.0, 5.0])
    price = np.array([[11.0, 20.0, 5.0], [12.0, 10.0, 6.0]])
    path = stock_path(price0, price, ["A", "A", "B"])
    levels = sector_levels(path, market_value0=np.array([300.0, 100.0, 50.0]))
    assert list(levels.columns) == ["A", "B"]
    np.testing.assert_allclose(levels["A"], [100 * (300 * 1.1 + 100) / 400, 100 * (300 * 1.2 + 50) / 400])
    np.testing.assert_allclose(levels["B"], [100.0, 120.0])
    np.testing.assert_allclose(sector_levels(path)["A"], [105.0, 85.0])  # equal $ by default


@pytest.mark.parametrize("metric", ["drawdown", "return", "forced_sales"])
def test_name_attribution_is_efficient(metric):
    runs = additive_runs(BASE, EFFECTS, interaction=np.array([0.05, -0.01, 0.0]))
    table = name_attribution(runs, metric)
    assert list(table.columns) == ["sector", "none", *STOCK_CHANNELS, "total"]
    np.testing.assert_allclose(table[["none", *STOCK_CHANNELS]].sum(axis=1), table["total"], rtol=1e-12)


def test_an_additive_game_gives_each_channel_its_own_effect():
    table = name_attribution(additive_runs(BASE, EFFECTS), "drawdown")
    np.testing.assert_allclose(table["none"], BASE, atol=1e-12)
    for c in STOCK_CHANNELS:
        np.testing.assert_allclose(table[c], EFFECTS[c], atol=1e-12)
    sales = name_attribution(additive_runs(BASE, EFFECTS), "forced_sales")
    np.testing.assert_allclose(sales["margin"], 1e6 * EFFECTS["margin"], rtol=1e-12)


def test_symmetric_channels_share_their_interaction_equally():
    """margin and letf with equal own effects and a joint term: equal values, each half the joint term."""
    same = {"margin": np.full(3, 0.04), "letf": np.full(3, 0.04), "squeeze": np.zeros(3)}
    table = name_attribution(additive_runs(BASE, same, interaction=np.full(3, 0.06)), "drawdown")
    np.testing.assert_allclose(table["margin"], table["letf"], atol=1e-12)
    np.testing.assert_allclose(table["margin"], 0.04 + 0.03, atol=1e-12)
    np.testing.assert_allclose(table["squeeze"], 0.0, atol=1e-12)  # a null player gets nothing


def test_sector_attribution_is_efficient_and_additive_on_the_sector_index():
    runs = additive_runs(BASE, EFFECTS)
    table = sector_attribution(runs, "drawdown")
    assert list(table.index) == ["A", "B"]
    np.testing.assert_allclose(table[["none", *STOCK_CHANNELS]].sum(axis=1), table["total"], rtol=1e-12)
    # sector A holds names 0 and 1 at equal $: its index falls by the mean of their depths
    np.testing.assert_allclose(table.loc["A", "margin"], EFFECTS["margin"][:2].mean(), atol=1e-12)
    sales = sector_attribution(runs, "forced_sales")
    np.testing.assert_allclose(sales.loc["B", "squeeze"], 1e6 * EFFECTS["squeeze"][2], rtol=1e-12)


def test_attribution_needs_every_subset():
    runs = additive_runs(BASE, EFFECTS)
    del runs[frozenset({"letf"})]
    with pytest.raises(InputError, match="missing letf"):
        name_attribution(runs)
    with pytest.raises(InputError, match="metric"):
        name_attribution(additive_runs(BASE, EFFECTS), "volume")


def test_summaries_add_up_to_the_daily_totals():
    path = random_path()
    names = stock_summary(path)
    assert names.shape[0] == path.n and names.index.name == "ticker"
    assert names["forced_sales_usd"].sum() == pytest.approx(path.total_forced_sales_usd.sum(), rel=1e-12)
    assert names["buy_ins_usd"].sum() == pytest.approx(path.total_buy_ins_usd.sum(), rel=1e-12)
    np.testing.assert_allclose(names["drawdown"], max_drawdowns(path.price0, path.price))
    sectors = sector_summary(path)
    assert sectors["names"].sum() == path.n
    assert sectors["forced_sales_usd"].sum() == pytest.approx(path.total_forced_sales_usd.sum(), rel=1e-12)
    assert sectors["drawdown"].idxmax() == sectors.index[0]  # the crashed sector falls most
    debt = path.margin_debt_usd[:, np.asarray(path.sectors) == sectors.index[1]].sum(axis=1)
    assert sectors["peak_margin_debt_usd"].iloc[1] == pytest.approx(debt.max(), rel=1e-12)
