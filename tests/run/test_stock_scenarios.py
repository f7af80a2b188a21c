"""The three stock-layer scenarios, run: the known results they must show (numbers in docs/stocks.md).

* semis-crash: the book matches FINRA's May 2026 debit balances; the cross-sectional correlation
  of returns rises in the crash window (and beyond a one-factor model's rise); leveraged ETFs
  sell after the fall, long and inverse alike (Cheng and Madhavan 2009); attribution adds up.
* concentrated-unwind: forced selling in a name is explained by its holders' overlap with the
  shocked name (Greenwood, Landier and Thesmar 2015); the stricter prime broker sells first.
* meme-squeeze: the squeezed name rises while retail buys and shorts are bought in, and falls once
  purchases are restricted; a recall buys in that share of the shorts; a 100% requirement makes
  the margined longs repay their debt.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.analysis.stock_checks import crash_day_correlation
from sim.analysis.stock_overlap import holder_overlap_exposure, overlap_regression
from sim.analysis.stock_tables import stock_attribution
from sim.config.scenario import load
from sim.model.stocks.types import STOCK_CHANNELS
from sim.run.stocks import STOCK_COLUMNS, STOCK_DAILY_COLUMNS, STOCK_METRICS

SEED = 1


@pytest.fixture(scope="module")
def semis():
    return sim.simulate("semis-crash", seed=SEED)


@pytest.fixture(scope="module")
def unwind():
    return sim.simulate("concentrated-unwind", seed=SEED)


@pytest.fixture(scope="module")
def meme():
    return sim.simulate("meme-squeeze", seed=SEED)


def test_outputs_have_the_documented_columns(semis):
    assert list(semis.stocks.columns) == list(STOCK_COLUMNS)
    assert len(semis.stocks) == 126 * 500
    assert set(STOCK_DAILY_COLUMNS) <= set(semis.timeseries.columns)
    assert list(semis.summary["stocks"]) == list(STOCK_METRICS)
    assert semis.stocks.attrs["scenario_hash"] == semis.summary["scenario_hash"]


def test_semis_book_is_finras_may_2026_debit_balances(semis):
    st = semis.summary["stocks"]
    assert st["initial_margin_debt_usd"] == pytest.approx(1.415557e12, rel=1e-9)
    assert 1 / 500 < st["initial_hhi"] < 0.1 and st["initial_top10_share"] > 0.3  # crowded, not spread evenly


def test_correlation_rises_in_the_crash_window_beyond_a_one_factor_model(semis):
    """Forbes-Rigobon: a factor's variance rise alone raises correlation; the crash raises it further."""
    path = semis.stock_path
    cc = crash_day_correlation(path.ret, [60], factor=semis.timeseries["index_return"].to_numpy())
    assert cc.crash > cc.calm + 0.3
    assert cc.one_factor_rise > 0 and cc.excess > 0


def test_leveraged_etfs_sell_tech_after_the_fall_long_and_inverse_alike(semis):
    path = semis.stock_path
    tech = np.array(path.sectors) == "Information Technology"
    assert path.letf_flow_usd[60, tech].sum() < -1e11  # L(L-1) x NAV x r < 0 for L = 3, 2 and -3 alike


def test_name_attribution_adds_up_and_tech_falls_most(semis):
    att = stock_attribution(load("semis-crash"), SEED, semis.timeseries, semis.stock_book)
    names = att["names_drawdown"]
    parts = names["none"] + names[list(STOCK_CHANNELS)].sum(axis=1)
    np.testing.assert_allclose(parts, names["total"], rtol=1e-9, atol=1e-12)
    sectors = att["sectors_drawdown"]
    assert sectors["total"].idxmax() == "Information Technology"
    assert sectors.loc["Information Technology", "margin"] > 0 and sectors.loc["Information Technology", "letf"] > 0
    forced = att["sectors_forced_sales"]
    assert forced["total"].idxmax() == "Information Technology"
    shock = att["names_shock_drawdown"]  # the fall in the 21 days from day 60
    parts = shock["none"] + shock[list(STOCK_CHANNELS)].sum(axis=1)
    np.testing.assert_allclose(parts, shock["total"], rtol=1e-9, atol=1e-12)
    tech = att["sectors_shock_drawdown"].loc["Information Technology"]
    assert tech["margin"] > 0 and tech["letf"] > 0  # both deepen the crashed sector's fall


def test_forced_selling_follows_holders_overlap_with_the_shocked_name(unwind):
    """Greenwood-Landier-Thesmar: a name's forced sales in the unwind grow with its exposure to S0168."""
    path, book = unwind.stock_path, unwind.stock_book
    j = path.tickers.index("S0168")
    exposure = holder_overlap_exposure(book.book, book.price0, j)
    sold = path.forced_sales_usd[10:15].sum(axis=0)
    fit = overlap_regression(sold, exposure, exclude=[j], scale=book.price0 * book.shares_outstanding)
    assert fit.slope > 0 and fit.r2 > 0.9 and fit.n == 499
    held = [path.tickers.index(t) for t in ("S0205", "S0241", "S0278", "S0318")]
    others = np.setdiff1d(np.arange(path.n), [*held, j])
    assert sold[held].min() > 10 * sold[others].max()


def test_the_stricter_prime_broker_sells_first(unwind):
    path, book = unwind.stock_path, unwind.stock_book
    strict, lax = (book.broker_names.index(b) for b in ("prime-strict", "prime-lax"))
    sales = path.broker_forced_sales_usd
    first = [int(np.flatnonzero(sales[:, k])[0]) for k in (strict, lax)]
    assert first[0] < first[1] <= 10
    assert sales[: 11, strict].sum() > sales[: 11, lax].sum()


def test_the_squeezed_name_rises_then_falls_once_purchases_stop(meme):
    path = meme.stock_path
    j = path.tickers.index("S2992")
    price = path.price[:, j]
    assert price[5:18].max() > 1.4 * price[4]
    assert price[25] < 0.8 * price[17]
    assert path.short_interest[0, j] > 1.0  # more than the float sold short, as GME in January 2021


def test_a_recall_buys_in_its_share_of_the_shorts(meme):
    path = meme.stock_path
    j = path.tickers.index("S2992")
    si = path.short_interest[:, j]
    assert si[12] <= 0.8 * si[11] * (1 + 1e-12)  # 20% recalled (and any margin buy-ins on top)


def test_a_100_percent_requirement_makes_margined_longs_repay_their_debt(meme):
    path, book = meme.stock_path, meme.stock_book
    j = path.tickers.index("S2992")
    k = book.broker_names.index("meme-buyers")
    assert path.broker_forced_sales_usd[:17, k].sum() == 0
    assert path.forced_sales_usd[17, j] >= 0.5e9 * 0.99  # their $0.5 bn of debt, at least
