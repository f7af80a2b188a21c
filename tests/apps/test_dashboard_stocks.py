"""The dashboard's per-stock view without a browser: which scenarios have it, its numbers (exactly
``sim.simulate``'s stock layer, from the live run's path or from a market run beside it) and the
component for a stock scenario and a plain one."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara

import sim
from sim.analysis.stock_tables import stock_summary
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.stocks import TABLE_NAMES, no_layer_line, stock_scenarios, stock_view
from sim.apps.dashboard.views import StocksView

PNG = b"\x89PNG\r\n\x1a\n"
ACCOUNTS = 2_000  # the market book's size; the stock book keeps its own (stocks.accounts)


@pytest.fixture(scope="module")
def semis() -> DashboardModel:
    return DashboardModel(scenario_name="semis-crash", accounts=ACCOUNTS)


@pytest.fixture(scope="module")
def expected(semis):
    """What sim.simulate gives for the page's scenario and seed."""
    return sim.simulate(semis.resolved.spec, semis.resolved.seed)


def test_the_three_stock_scenarios_and_the_line_for_the_others():
    assert stock_scenarios() == ("concentrated-unwind", "meme-squeeze", "semis-crash")
    assert no_layer_line("finra-2026-05") == ("finra-2026-05 has no stock layer (stocks.enabled is off); the scenarios "
                                              "that have one: concentrated-unwind, meme-squeeze and semis-crash.")
    with pytest.raises(ValueError, match="finra-2026-05 has no stock layer"):
        stock_view(DashboardModel(accounts=ACCOUNTS))


def _check_table(view, expected) -> None:
    names = stock_summary(expected.stock_path)
    top = names.sort_values("forced_sales_usd", ascending=False, kind="stable").head(TABLE_NAMES)
    assert list(view.table["ticker"]) == list(top.index) and list(view.table["sector"]) == list(top["sector"])
    np.testing.assert_array_equal(view.table["forced_sales_busd"], top["forced_sales_usd"].to_numpy() / 1e9)
    np.testing.assert_array_equal(view.table["drawdown_pct"], 100 * top["drawdown"].to_numpy())
    # the per-stock daily table sums to the same forced sales, name by name
    by_name = expected.stocks.groupby("ticker")["forced_sales_usd"].sum()
    np.testing.assert_allclose(by_name.loc[view.table["ticker"]].to_numpy() / 1e9, view.table["forced_sales_busd"],
                               rtol=1e-12)
    assert np.all(np.diff(view.table["forced_sales_busd"]) <= 0) and view.table["forced_sales_busd"].iloc[0] > 0
    assert view.heatmap_png.startswith(PNG) and view.sectors_png.startswith(PNG)


def test_before_the_last_day_the_market_runs_beside_the_live_run(semis, expected):
    view = stock_view(semis)
    assert semis.day_count == 0 and "stays on day 0" in view.source  # the live run did not move
    _check_table(view, expected)


def test_after_the_last_day_the_live_runs_own_path_gives_the_same_numbers(expected):
    model = DashboardModel(scenario_name="semis-crash", accounts=ACCOUNTS)
    while model.running:
        model.step()
    view = stock_view(model)
    assert view.source == f"the live run's market path (all {model.days} days)"
    _check_table(view, expected)


def test_component_for_a_plain_scenario_says_it_has_no_stock_layer():
    _, rc = solara.render(StocksView(DashboardModel(accounts=ACCOUNTS)), handle_error=False)
    rc.find(v.Html, children=[no_layer_line("finra-2026-05")]).assert_single()
    assert rc.find(v.Btn, children=["Run the stock layer"]).widgets == []


def test_component_for_a_stock_scenario_runs_the_layer_on_click(semis):
    _, rc = solara.render(StocksView(semis), handle_error=False)
    button = rc.find(v.Btn, children=["Run the stock layer"])
    button.assert_single()
    rc.find(tag="table").assert_empty()
    button.widget.click()
    table = rc.find(tag="table").wait_for(timeout=120).widget
    assert table.attributes == {"class": "marginsim-stocks-table"}
    assert table.unsafe_innerHTML.count("<tr>") == TABLE_NAMES + 1  # the heading and ten names
    images = rc.find(widgets.Image).widgets  # the heatmap, then the sector bars
    assert len(images) == 2 and all(bytes(i.value).startswith(PNG) and i.format == "png" for i in images)
    summary = [w for w in rc.find(v.Html).widgets if "marginsim-stocks-summary" in (w.class_ or "")]
    assert len(summary) == 1
    assert summary[0].children[0].startswith(
        f"semis-crash, seed 1, on the market run to its last day (day {semis.days - 1}) beside the live run")
