"""The stock layer's day: parity of its compiled steps with their plain-Python twins, and known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.book.sparse import SparseBook, SparseRules
from sim.config.schema_stocks import StockEvent, StockLetf, Stocks
from sim.config.universe import synthetic_universe
from sim.core.errors import InputError
from sim.core.stock_impact import daily_vol, stock_log_impact, total_vol
from sim.model.stocks.layer import MARKET_VOL, run_stock_layer
from sim.model.stocks.types import StockBook
from tests.book.test_sparse import random_rules, random_sparse_book

GRIDS = ("price", "ret", "forced_sales_usd", "buy_ins_usd", "margin_debt_usd", "short_interest", "letf_flow_usd")
LINES = ("index_level", "total_margin_debt_usd", "calls", "close_outs", "losses_usd", "total_forced_sales_usd",
         "total_buy_ins_usd", "hhi", "top10_share")


def stock_book(book: SparseBook, rules: SparseRules, seed: int = 7) -> StockBook:
    """A StockBook on a synthetic universe of the book's names, every price 100 at day 0."""
    u = synthetic_universe(book.n_names, seed)
    return StockBook(u, book, rules, tuple(f"b{k}" for k in range(rules.n_brokers)), np.full(book.n_names, 100.0),
                     u.market_value_usd / 100.0)


def random_stock_book(rng, n, m, n_brokers=2) -> StockBook:
    prices = np.full(m, 100.0)
    book = random_sparse_book(rng, n, m, n_brokers, prices, max_positions=min(8, m), empty_share=0.0)
    # scale positions to the universe's volumes so the book's sales move prices a few percent
    u = synthetic_universe(m, 7)
    scale = 0.05 * float(np.median(u.adv_usd)) / max(1.0, float(np.abs(book.shares).sum() * 100.0 / max(n, 1)))
    book = SparseBook(book.offsets, book.names, book.shares * scale, book.cash * scale, book.broker, m)
    return stock_book(book, random_rules(rng, m, n_brokers, 0.1, 0.0))


def one_account(m=3, long_usd=1e6, debt_usd=4e5, short=None) -> SparseBook:
    names, shares = [0], [long_usd / 100.0]
    cash = -debt_usd
    if short is not None:
        names.append(short[0])
        shares.append(-short[1] / 100.0)
        cash += short[1]
    return SparseBook(np.array([0, len(names)]), np.array(names), np.array(shares), np.array([cash]),
                      np.array([0]), m)


def rules(m, house_long=0.25, target=1.05, add_on=0.0):
    return SparseRules(np.array([[house_long, 0.3, 0.5, add_on, target]]), np.zeros(m), np.zeros(m),
                       np.ones(m, dtype=bool))


QUIET = Stocks(sector_vol=0.0, idio_scale=0.0, interest_rate=0.0)


def quiet_book(book: SparseBook, rule: SparseRules) -> StockBook:
    """Idiosyncratic vols at zero: the names move only with the market, shocks and flows."""
    sb = stock_book(book, rule)
    u = sb.universe
    from sim.config.universe import Universe
    quiet = Universe(u.ticker, u.sector, u.market_value_usd, u.beta, np.full(len(u.ticker), 1e-300), u.adv_usd)
    return StockBook(quiet, sb.book, sb.rules, sb.broker_names, sb.price0, sb.shares_outstanding)


def assert_paths_equal(a, b):
    for name in GRIDS + LINES:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), m=st.integers(10, 30), days=st.integers(1, 12),
       crash=st.floats(-0.3, 0.0), letf=st.booleans(), recall=st.floats(0.0, 1.0))
def test_compiled_day_equals_reference(seed, n, m, days, crash, letf, recall):
    """Every step compiled (and the compiled cascade) gives the plain-Python layer's path, bit for bit."""
    rng = np.random.default_rng(seed)
    sb = random_stock_book(rng, n, m)
    u = sb.universe
    returns = rng.normal(0.0, 0.01, days)
    returns[days // 2] += math.log1p(crash)
    thinning = rng.uniform(1.0, 2.0, days)
    funds = [StockLetf("one", u.ticker[0], 2, 5e9), StockLetf("sector", u.sector[-1], -3, 2e9),
             StockLetf("index", "index", 3, 1e10)] if letf else []
    events = [StockEvent(days // 2, "shock", u.sector[0], crash, 1), StockEvent(days - 1, "recall", "all", recall, 1),
              StockEvent(0, "retail_buying", u.ticker[1], 1e8, days), StockEvent(0, "borrow_fee", "all", 0.3, 1),
              StockEvent(days - 1, "requirement", u.ticker[2], 0.6, 1)]
    seq = np.random.SeedSequence(seed)
    a = run_stock_layer(sb, Stocks(), funds, events, returns, thinning, seq)
    b = run_stock_layer(sb, Stocks(), funds, events, returns, thinning, seq, reference=True)
    assert_paths_equal(a, b)


def test_prices_follow_the_market_factor_exactly_without_flows():
    """No debt, no funds, zero sector and idiosyncratic vol: price = 100 x exp(beta x cumulative log return)."""
    book = one_account(debt_usd=0.0)
    sb = quiet_book(book, rules(3))
    returns = np.array([0.01, -0.02, 0.005, -0.1])
    path = run_stock_layer(sb, QUIET, [], [], returns, np.ones(4), np.random.SeedSequence(1))
    expected = 100.0 * np.exp(np.outer(np.cumsum(returns), sb.universe.beta))
    np.testing.assert_allclose(path.price, expected, rtol=1e-12)
    np.testing.assert_allclose(path.ret[1:], expected[1:] / expected[:-1] - 1.0, rtol=1e-10)
    assert not path.forced_sales_usd.any() and not path.calls.any()


def test_a_leveraged_etf_buys_l_times_l_minus_1_of_nav_times_the_return():
    """Day 0's rebalance of a 2x single-stock fund: L(L-1) x AUM x r (Cheng and Madhavan 2009)."""
    book = one_account(debt_usd=0.0)
    sb = quiet_book(book, rules(3))
    aum, lev = 1e9, 3
    returns = np.array([0.02, 0.0])
    path = run_stock_layer(sb, QUIET, [StockLetf("f", sb.universe.ticker[1], lev, aum)], [], returns, np.ones(2),
                           np.random.SeedSequence(1), channels={"margin": False})
    r = math.exp(sb.universe.beta[1] * 0.02) - 1.0
    assert path.letf_flow_usd[0, 1] == pytest.approx(lev * (lev - 1) * aum * r, rel=1e-12)
    assert path.letf_flow_usd[0, 0] == 0.0 and path.letf_flow_usd[0, 2] == 0.0


def test_retail_buying_moves_a_name_by_the_square_root_law_and_decays():
    """Q $ of buying: log move Y sigma sqrt(Q / ADV) that day; (1 - decay) of it is left the next day."""
    book = one_account(debt_usd=0.0)
    sb = quiet_book(book, rules(3))
    u = sb.universe
    q = 0.1 * u.adv_usd[2]
    stocks = Stocks(sector_vol=0.0, idio_scale=0.0, interest_rate=0.0, impact_decay=0.25)
    path = run_stock_layer(sb, stocks, [], [StockEvent(0, "retail_buying", u.ticker[2], q, 1)], np.zeros(2),
                           np.ones(2), np.random.SeedSequence(1))
    sigma = daily_vol(total_vol(u.beta[2], MARKET_VOL, 0.0, 1e-300))
    move = stock_log_impact(q, stocks.impact_y, sigma, u.adv_usd[2], 1.0)
    assert move == pytest.approx(stocks.impact_y * sigma * math.sqrt(0.1), rel=1e-12)
    assert math.log(path.price[0, 2] / 100.0) == pytest.approx(move, rel=1e-12)
    assert math.log(path.price[1, 2] / 100.0) == pytest.approx(0.75 * move, rel=1e-12)


def test_debt_compounds_at_the_daily_rate_and_is_shared_over_longs_by_value():
    book = SparseBook(np.array([0, 2]), np.array([0, 1]), np.array([6e3, 4e3]), np.array([-5e5]), np.array([0]), 3)
    sb = quiet_book(book, rules(3))
    stocks = Stocks(sector_vol=0.0, idio_scale=0.0, interest_rate=0.0504)
    path = run_stock_layer(sb, stocks, [], [], np.zeros(3), np.ones(3), np.random.SeedSequence(1))
    debt = 5e5 * (1 + 0.0504 / 252) ** np.arange(1, 4)
    np.testing.assert_allclose(path.total_margin_debt_usd, debt, rtol=1e-12)
    np.testing.assert_allclose(path.margin_debt_usd[:, 0], 0.6 * debt, rtol=1e-12)
    assert path.hhi[0] == pytest.approx(0.6**2 + 0.4**2) and path.top10_share[0] == pytest.approx(1.0)


def test_a_recall_buys_in_that_fraction_of_the_shorts():
    book = one_account(long_usd=1e6, debt_usd=0.0, short=(2, 3e5))
    sb = quiet_book(book, rules(3))
    path = run_stock_layer(sb, QUIET, [], [StockEvent(1, "recall", sb.universe.ticker[2], 0.4, 1)], np.zeros(3),
                           np.ones(3), np.random.SeedSequence(1), channels={"margin": False})
    si = path.short_interest[:, 2]
    assert si[0] == pytest.approx(3e3 / sb.shares_outstanding[2], rel=1e-12)
    assert si[1] == pytest.approx(0.6 * si[0], rel=1e-12) and si[2] == si[1]
    assert path.buy_ins_usd[1, 2] == pytest.approx(0.4 * 3e5, rel=1e-12)


def test_making_a_name_not_marginable_forces_its_holders_to_sell_it():
    """Requirement 1 on the only long: the account's equity 60% < 100% x target: it sells."""
    book = one_account(long_usd=1e6, debt_usd=4e5)
    sb = quiet_book(book, rules(3))
    events = [StockEvent(2, "requirement", sb.universe.ticker[0], 1.0, 1)]
    path = run_stock_layer(sb, QUIET, [], events, np.zeros(4), np.ones(4), np.random.SeedSequence(1))
    assert not path.forced_sales_usd[:2].any()
    assert path.forced_sales_usd[2, 0] > 0 and path.calls[2] >= 1
    assert path.price[2, 0] < path.price[1, 0]  # its own sale moves its price
    off = run_stock_layer(sb, QUIET, [], events, np.zeros(4), np.ones(4), np.random.SeedSequence(1),
                          channels={"margin": False})
    assert not off.forced_sales_usd.any()


def test_a_shock_to_one_name_spreads_to_names_its_holders_own():
    """Accounts hold A and B; a 40% fall in A forces sales of B too (overlapping portfolios), not of C."""
    n = 50
    offsets = np.arange(0, 2 * n + 1, 2)
    names = np.tile([0, 1], n)
    shares = np.full(2 * n, 5e4)
    cash = np.full(n, -6e6)  # $10m long, $6m debt: 40% equity
    book = SparseBook(offsets, names, shares, cash, np.zeros(n, dtype=np.int32), 3)
    sb = quiet_book(book, rules(3, house_long=0.3))
    path = run_stock_layer(sb, QUIET, [], [StockEvent(1, "shock", sb.universe.ticker[0], -0.4, 1)], np.zeros(3),
                           np.ones(3), np.random.SeedSequence(1))
    assert path.forced_sales_usd[1, 1] > 0 and path.price[1, 1] < path.price[0, 1]
    assert path.forced_sales_usd[1, 2] == 0 and path.price[1, 2] == path.price[0, 2]


def test_bad_inputs_are_one_line_errors():
    sb = quiet_book(one_account(), rules(3))
    with pytest.raises(InputError, match=r"stock_events\[0\].day: 5 is past the run's last day 2"):
        run_stock_layer(sb, QUIET, [], [StockEvent(5, "shock", "all", -0.1, 1)], np.zeros(3), np.ones(3),
                        np.random.SeedSequence(1))
    with pytest.raises(InputError, match="thinning: must be finite >= 1"):
        run_stock_layer(sb, QUIET, [], [], np.zeros(3), np.zeros(3), np.random.SeedSequence(1))
    with pytest.raises(InputError, match="unknown stock channel 'gamma'"):
        run_stock_layer(sb, QUIET, [], [], np.zeros(3), np.ones(3), np.random.SeedSequence(1), channels={"gamma": 1})


def test_the_stricter_broker_sells_first_and_the_laxer_one_closes_accounts_out():
    """Two brokers, identical accounts in one name (40% equity): a 15% fall calls the 35% broker, not the 25% one;
    a further 30% fall leaves the 25% broker's accounts owing more than they hold."""
    offsets = np.arange(0, 21)
    book = SparseBook(offsets, np.zeros(20, dtype=np.int64), np.full(20, 1e4), np.full(20, -6e5),
                      np.repeat([0, 1], 10).astype(np.int32), 2)
    rule = SparseRules(np.array([[0.35, 0.3, 0.5, 0.0, 1.0], [0.25, 0.3, 0.5, 0.0, 1.0]]), np.zeros(2),
                       np.zeros(2), np.ones(2, dtype=bool))
    sb = quiet_book(book, rule)
    events = [StockEvent(1, "shock", sb.universe.ticker[0], -0.15, 1),
              StockEvent(2, "shock", sb.universe.ticker[0], -0.30, 1)]
    path = run_stock_layer(sb, QUIET, [], events, np.zeros(3), np.ones(3), np.random.SeedSequence(1))
    strict, lax = path.broker_forced_sales_usd[:, 0], path.broker_forced_sales_usd[:, 1]
    assert strict[0] == 0 and strict[1] > 0 and lax[1] == 0  # equity 25/85 = 29% < 35%, but > 25%
    assert path.broker_close_outs[2, 1] == 10 and path.losses_usd[2] > 0
    assert path.broker_close_outs[:, 0].sum() == 0
