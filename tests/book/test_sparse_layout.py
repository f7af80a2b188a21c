"""The sparse book's recommended order (grouped by position count) and the pass's bounds on a requirement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.book import sparse_clearing
from sim.book.sparse import SPARSE_STAT_CALLS, SPARSE_STAT_CLOSE_OUTS, SparseBook, SparseRules
from sim.book.sparse_clearing import base_bound, base_rates, rounding_slack, top_rates
from sim.core.house import position_rate
from tests.book.test_sparse import random_rules, random_sparse_book

U = 2.0**-53


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 150), m=st.integers(1, 30), n_brokers=st.integers(1, 3),
       shock=st.floats(-0.6, 0.2), add_on=st.sampled_from([0.0, 0.15]))
def test_grouped_book_gives_each_account_the_same_results(seed, n, m, n_brokers, shock, add_on):
    """Per account: equal bit for bit. Per name and in the counters: the same terms added in another
    order, so equal within 1e-12 x the sum of their absolute values (n terms err by at most (n - 1)u
    of it in either order)."""
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, n, m, n_brokers, prices)
    rules = random_rules(rng, m, n_brokers, add_on, 0.1)
    grouped, order = book.grouped()
    counts = np.diff(grouped.offsets)
    assert sorted(order) == list(range(n)) and np.all(np.diff(counts) >= 0)
    np.testing.assert_array_equal(counts, np.diff(book.offsets)[order])
    marked = prices * (1.0 + shock)
    a = sparse_clearing.clearing_pass_sparse(book, marked, rules, per_account=True)
    g = sparse_clearing.clearing_pass_sparse(grouped, marked, rules, per_account=True)
    for name in ("equity", "requirement", "gross"):
        np.testing.assert_array_equal(getattr(g, name), getattr(a, name)[order], err_msg=name)
    where = {int(i): k for k, i in enumerate(a.called)}
    assert sorted(order[g.called]) == sorted(where)
    for k, i in enumerate(order[g.called]):
        for name in ("fraction", "account_sold_usd", "account_bought_usd"):
            assert getattr(g, name)[k] == getattr(a, name)[where[int(i)]], name
    traded = np.zeros(book.positions)
    for i, f in zip(a.called, a.fraction, strict=True):
        traded[book.account(int(i))] = np.abs(f * book.shares[book.account(int(i))])
    scale = {"sold_shares": np.bincount(book.names, traded, m), "sold_usd": a.sold_usd, "bought_usd": a.bought_usd}
    for name, size in scale.items():
        assert_close(getattr(g, name), getattr(a, name), size)
    assert g.stats[SPARSE_STAT_CALLS] == a.stats[SPARSE_STAT_CALLS]
    assert g.stats[SPARSE_STAT_CLOSE_OUTS] == a.stats[SPARSE_STAT_CLOSE_OUTS]
    assert_close(g.stats, a.stats, np.abs(a.stats))  # counters of terms of one sign each


def assert_close(x, y, size):
    assert np.all(np.abs(x - y) <= 1e-12 * size), (x, y)


def test_grouped_book_in_a_known_case():
    book = SparseBook(np.array([0, 3, 4, 4, 6]), np.array([0, 1, 2, 0, 1, 2]), np.arange(1.0, 7.0),
                      np.zeros(4), np.array([0, 1, 0, 1]), 3)
    grouped, order = book.grouped()
    np.testing.assert_array_equal(order, [2, 1, 3, 0])
    np.testing.assert_array_equal(grouped.offsets, [0, 0, 1, 3, 6])
    np.testing.assert_array_equal(grouped.shares, [4.0, 5.0, 6.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grouped.broker, [0, 1, 1, 0])


@pytest.mark.parametrize(("marginable", "expected"), [(True, 0.5 + 0.1), (False, 1.0 + 0.1)])
def test_top_rate_is_the_highest_base_rate_plus_the_add_on(marginable, expected):
    rules = SparseRules(np.array([[0.3, 0.35, 0.25, 0.1, 1.1], [0.25, 0.3, 0.25, 0.0, 1.0]]), np.array([0.0, 0.5]),
                        np.array([0.4, 0.0]), np.array([True, marginable]))
    top, varied = top_rates(*base_rates(rules.broker, rules.name_long, rules.name_short, rules.marginable),
                            rules.broker)
    assert varied.tolist() == [True, True]
    uniform = SparseRules(np.array([[0.3, 0.3, 0.25, 0.1, 1.1]]), np.zeros(3), np.zeros(3), np.ones(3, dtype=bool))
    top_u, varied_u = top_rates(*base_rates(uniform.broker, uniform.name_long, uniform.name_short,
                                            uniform.marginable), uniform.broker)
    assert top_u[0] == pytest.approx(0.4, rel=1e-15) and not varied_u[0]
    assert top[0] == pytest.approx(expected, rel=1e-15)
    assert top[1] == (1.0 if not marginable else 0.5)  # no add-on: the highest base rate itself
    rng = np.random.default_rng(5)
    for value in rng.normal(0.0, 10.0, 200):
        for j in range(2):
            rate = position_rate(value, abs(value) * rng.uniform(1.0, 3.0), rules.name_long[j], rules.name_short[j],
                                 rules.marginable[j], 0.3, 0.35, 0.25, 0.1)
            assert rate <= top[0]


def test_base_bound_is_the_rate_of_each_sign_bit_for_bit():
    rng = np.random.default_rng(7)
    m = 20
    prices, rate_long, rate_short = rng.uniform(1.0, 300.0, m), rng.uniform(0.25, 1.0, m), rng.uniform(0.3, 2.0, m)
    shares = rng.normal(0.0, 100.0, 500) * (rng.random(500) < 0.9)
    shares[:3] = [0.0, -0.0, 1e-300]
    names = rng.integers(0, m, 500)
    expected = 0.0
    for q in range(500):
        v = shares[q] * prices[names[q]]
        expected += abs(v) * (rate_long[names[q]] if v >= 0.0 else rate_short[names[q]])
    assert base_bound(0, 500, names, shares, prices, rate_long, rate_short, 0.0, 0.0) == expected
    assert base_bound(0, 500, names, shares, prices, rate_long, rate_short, 0.1, 7.0) == expected + 0.1 * 7.0


def test_rounding_slack_is_four_units_per_position():
    assert rounding_slack(0) == 1.0 + 8 * U and rounding_slack(10) == 1.0 + 48 * U
