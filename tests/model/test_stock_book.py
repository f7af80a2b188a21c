"""The stock layer's day-0 margin book: debt, requirements, shares and the draws' laws, against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.book.sparse import SPARSE_RULE_TARGET
from sim.book.sparse_clearing import clearing_pass_sparse
from sim.config.scenario import from_dict
from sim.model.market_model import STREAMS
from sim.model.stocks.portfolios import (
    PRICE0,
    STOCK_STREAMS,
    build_stock_book,
    debt_targets,
    stock_streams,
    stock_universe,
)
from sim.model.stocks.sampling import distinct_names, largest_remainder, poisson_capped

DEBT = 2.5e11


def _book(stocks=None, brokers=None, seed=7):
    data = {"stocks": {"enabled": True, "margin_debt_usd": DEBT, **(stocks or {})}}
    if brokers is not None:
        data["stock_brokers"] = brokers
    spec = from_dict(data)
    universe = stock_universe(spec)
    return spec, universe, build_stock_book(spec, universe, seed)


def _accounts(book):
    """Per account: equity, long value, short value, debt (long value - equity, at least 0), long count."""
    rows = np.repeat(np.arange(book.n), np.diff(book.offsets))
    value = book.shares * PRICE0
    longs = np.bincount(rows, weights=np.where(value > 0, value, 0.0), minlength=book.n)
    shorts = -np.bincount(rows, weights=np.where(value < 0, value, 0.0), minlength=book.n)
    equity = book.cash + longs - shorts
    count = np.bincount(rows, weights=(value > 0).astype(float), minlength=book.n)
    return equity, longs, shorts, np.maximum(longs - equity, 0.0), count


@pytest.fixture(scope="module")
def default():
    return _book({"accounts": 20_000})


def test_total_margin_debt_is_the_target(default):
    _, _, sb = default
    debt = _accounts(sb.book)[3]
    assert math.fsum(debt) == pytest.approx(DEBT, rel=1e-9)
    assert sb.book.n == 20_000 and sb.broker_names == ("broker",)
    assert np.array_equal(sb.price0, np.full(sb.universe.n, 100.0))
    assert np.allclose(sb.shares_outstanding * sb.price0, sb.universe.market_value_usd, rtol=1e-15)


def test_debt_shares_per_broker():
    brokers = [{"name": "x", "share": 0.5, "debt_share": 0.5}, {"name": "y", "share": 0.3},
               {"name": "z", "share": 0.2}]
    _, _, sb = _book({"accounts": 10_000}, brokers)
    debt = _accounts(sb.book)[3]
    per = [math.fsum(debt[sb.book.broker == b]) / DEBT for b in range(3)]
    # y and z share the 50% x leaves in proportion to their 3,000 and 2,000 accounts
    assert per == pytest.approx([0.5, 0.3, 0.2], rel=1e-9)
    assert np.bincount(sb.book.broker).tolist() == [5000, 3000, 2000]


def test_debt_targets_split():
    from sim.config.schema_stocks import StockBroker
    brokers = [StockBroker(debt_share=0.0), StockBroker(debt_share=0.0)]
    assert debt_targets(10.0, brokers, np.array([1, 3])).tolist() == [2.5, 7.5]
    assert largest_remainder(10, [0.34, 0.33, 0.33]).tolist() == [4, 3, 3]


@pytest.mark.parametrize("stocks,brokers", [
    ({"accounts": 5000}, None),
    ({"accounts": 5000, "leverage_mean": 6.0, "short_fraction": 0.3, "concentration": 0.2},
     [{"name": "a", "share": 0.5, "add_on": 0.3, "concentration_share": 0.3, "target": 1.5},
      {"name": "b", "share": 0.5, "house_long": 0.5, "house_short": 1.0}]),
])
def test_every_account_starts_at_or_above_its_target(stocks, brokers):
    _, _, sb = _book(stocks, brokers)
    out = clearing_pass_sparse(sb.book, sb.price0, sb.rules, per_account=True)
    target = sb.rules.broker[sb.book.broker, SPARSE_RULE_TARGET]
    assert np.all(out.equity >= target * out.requirement)
    assert out.n_called == 0


def test_leverage_is_cut_to_the_target_exactly():
    # longs only, no add-on: requirement = 30% of long value, so leverage <= 1 / (1.05 x 0.3)
    _, _, sb = _book({"accounts": 5000, "leverage_mean": 6.0, "short_fraction": 0.0})
    equity, longs, *_ = _accounts(sb.book)
    leverage = longs / equity
    cap = 1.0 / (1.05 * 0.30)
    assert leverage.max() <= cap and leverage.max() == pytest.approx(cap, rel=1e-8)
    assert np.mean(np.isclose(leverage, cap, rtol=1e-8)) > 0.5


def test_mean_leverage_when_no_cap_binds(default):
    # lev = 1 + 0.6 z, z lognormal with mean 1 and sd sqrt(e^(0.25^2) - 1): 5 standard errors
    equity, longs, *_ = _accounts(default[2].book)
    sd = 0.6 * math.sqrt(math.exp(0.25 ** 2) - 1.0)
    assert abs(np.mean(longs / equity) - 1.6) < 5 * sd / math.sqrt(20_000)


def test_signs_cash_and_shorts(default):
    _, _, sb = default
    b = sb.book
    equity, longs, shorts, _, _ = _accounts(b)
    rows = np.repeat(np.arange(b.n), np.diff(b.offsets))
    assert np.all(b.shares != 0.0)
    first = b.offsets[:-1]
    assert np.all(b.shares[first] > 0)  # every account holds at least one long, first
    short_rows = np.unique(rows[b.shares < 0])
    assert np.allclose(shorts[short_rows], 0.3 * longs[short_rows], rtol=1e-12)
    # 5% of accounts short (5 standard errors)
    assert abs(short_rows.size / b.n - 0.05) < 5 * math.sqrt(0.05 * 0.95 / b.n)
    # cash = equity - long value + short proceeds; no name both long and short in an account
    assert np.allclose(b.cash, equity - longs + shorts, rtol=1e-12, atol=1e-3)
    pairs = rows.astype(np.int64) * b.n_names + b.names
    assert np.unique(pairs).size == pairs.size
    assert np.all(np.diff(np.diff(b.offsets)) >= 0)  # grouped by position count


def test_names_per_account(default):
    count = _accounts(default[2].book)[4]
    # 1 + Poisson(4) (the cap at 20 is hit with probability ~1e-8): mean 5, sd 2
    assert abs(count.mean() - 5.0) < 5 * 2.0 / math.sqrt(count.size)
    p1 = math.exp(-4.0)
    assert abs(np.mean(count == 1) - p1) < 5 * math.sqrt(p1 * (1 - p1) / count.size)
    assert count.max() <= 20


def test_poisson_capped_law():
    rng = np.random.default_rng(1)
    draws = poisson_capped(rng, 3.0, 5, 200_000)
    pmf = [math.exp(-3.0) * 3.0 ** k / math.factorial(k) for k in range(5)]
    expected = np.array([*pmf, 1 - sum(pmf)]) * draws.size
    observed = np.bincount(draws, minlength=6)
    assert ((observed - expected) ** 2 / expected).sum() < stats.chi2.ppf(0.9999, 5)


def _single_name_counts(stocks):
    _, universe, sb = _book({"names": 20, "accounts": 20_000, "names_per_account": 1.0, "short_fraction": 0.0,
                             **stocks})
    return universe, np.bincount(sb.book.names, minlength=universe.n)


@pytest.mark.parametrize("popularity", [1.0, 2.0])
def test_name_frequency_follows_cap_to_the_popularity(popularity):
    universe, observed = _single_name_counts({"popularity": popularity})
    p = universe.market_value_usd ** popularity
    expected = p / p.sum() * observed.sum()
    assert ((observed - expected) ** 2 / expected).sum() < stats.chi2.ppf(0.9999, universe.n - 1)
    wrong = universe.market_value_usd ** (3.0 - popularity)  # the other law is rejected: the test can fail
    wrong = wrong / wrong.sum() * observed.sum()
    assert ((observed - wrong) ** 2 / wrong).sum() > stats.chi2.ppf(0.9999, universe.n - 1)


def test_a_brokers_own_popularity_overrides_the_books():
    """Broker 0 draws every name alike (popularity 0), broker 1 by cap (the book's 1): chi-square on each."""
    _, universe, sb = _book({"names": 20, "accounts": 20_000, "names_per_account": 1.0, "short_fraction": 0.0},
                            [{"name": "flat", "share": 0.5, "popularity": 0.0}, {"name": "cap", "share": 0.5}])
    b = sb.book
    owner = np.repeat(b.broker, np.diff(b.offsets))
    critical = stats.chi2.ppf(0.9999, universe.n - 1)
    for k, p in ((0, np.ones(universe.n)), (1, universe.market_value_usd)):
        observed = np.bincount(b.names[owner == k], minlength=universe.n)
        expected = p / p.sum() * observed.sum()
        assert ((observed - expected) ** 2 / expected).sum() < critical
    flat = np.bincount(b.names[owner == 0], minlength=universe.n)
    cap = universe.market_value_usd / universe.market_value_usd.sum() * flat.sum()
    assert ((flat - cap) ** 2 / cap).sum() > critical  # the book's law is rejected for broker 0


def test_theme_boost_raises_the_theme_share():
    universe, observed = _single_name_counts({"theme_sector": "Energy", "theme_boost": 5.0})
    energy = np.array([s == "Energy" for s in universe.sector])
    w = universe.weights[energy].sum()
    share = 5.0 * w / (5.0 * w + 1.0 - w)  # single-name accounts: drawn with probability 5w / (5w + 1 - w)
    got = observed[energy].sum() / observed.sum()
    assert abs(got - share) < 5 * math.sqrt(share * (1 - share) / observed.sum())
    assert got > 2 * w


def test_ticker_short_tilt_holds_every_short():
    _, universe, sb = _book({"accounts": 10_000, "short_fraction": 0.5, "short_tilt_sector": "S0042"})
    b = sb.book
    j = universe.ticker.index("S0042")
    assert np.all(b.names[b.shares < 0] == j) and np.sum(b.shares < 0) > 3000
    rows = np.repeat(np.arange(b.n), np.diff(b.offsets))
    assert not np.any(np.isin(np.unique(rows[b.shares < 0]), rows[(b.names == j) & (b.shares > 0)]))


def test_sector_shorts_and_sector_broker():
    _, universe, sb = _book({"accounts": 5000, "short_fraction": 0.5, "short_tilt_sector": "Utilities"},
                            [{"name": "tech", "share": 0.4, "sector": "Information Technology"},
                             {"name": "all", "share": 0.6}])
    b = sb.book
    sector = np.array(universe.sector)
    assert set(sector[b.names[b.shares < 0]]) == {"Utilities"}
    tech_longs = b.names[(b.shares > 0) & (np.repeat(b.broker, np.diff(b.offsets)) == 0)]
    assert set(sector[tech_longs]) == {"Information Technology"}


def test_a_broker_with_named_tickers_holds_only_those():
    _, universe, sb = _book({"accounts": 2000, "short_fraction": 0.0},
                            [{"name": "prime", "share": 0.5, "names": "S0168 S0205 S0241", "names_per_account": 3.0},
                             {"name": "all", "share": 0.5}])
    b = sb.book
    owner = np.repeat(b.broker, np.diff(b.offsets))
    held = {universe.ticker[j] for j in np.unique(b.names[owner == 0])}
    assert held == {"S0168", "S0205", "S0241"}
    assert len({universe.ticker[j] for j in np.unique(b.names[owner == 1])}) > 100


def test_same_seed_same_book_other_seed_other_book(default):
    spec, universe, sb = default
    again = build_stock_book(spec, universe, 7)
    other = build_stock_book(spec, universe, 8)
    for name in ("offsets", "names", "shares", "cash", "broker"):
        assert np.array_equal(getattr(sb.book, name), getattr(again.book, name))
    assert not np.array_equal(sb.book.cash, other.book.cash)


def test_streams_are_apart_from_the_market():
    streams = stock_streams(5)
    assert tuple(streams) == STOCK_STREAMS
    market = np.random.SeedSequence(5).spawn(len(STREAMS))
    states = {tuple(s.generate_state(4)) for s in [*streams.values(), *market]}
    assert len(states) == len(STREAMS) + len(STOCK_STREAMS)
    assert stock_streams(5)["book"].generate_state(4).tolist() == streams["book"].generate_state(4).tolist()


def test_distinct_names_exhausts_a_small_pool():
    # every row takes the whole pool, whatever the weights: the exact tail finishes what rejection leaves
    rng = np.random.default_rng(3)
    out = distinct_names(rng, np.array([1e6, 1.0, 1e-6, 1.0]), np.array([4, 5, 6, 7]), np.full(50, 4))
    assert np.all(np.sort(out, axis=1) == [4, 5, 6, 7])


def test_idio_scale():
    spec = from_dict({"stocks": {"enabled": True, "idio_scale": 2.0}})
    base = stock_universe(from_dict({"stocks": {"enabled": True}}))
    assert np.array_equal(stock_universe(spec).idio_vol, 2.0 * base.idio_vol)
    zero = stock_universe(from_dict({"stocks": {"enabled": True, "idio_scale": 0.0}}))
    assert np.all(zero.idio_vol == 0.0) and zero.ticker == base.ticker


def test_no_debt_gives_an_empty_valued_book():
    _, _, sb = _book({"accounts": 100, "margin_debt_usd": 0.0})
    assert np.all(sb.book.shares == 0.0) and np.all(sb.book.cash == 0.0)
