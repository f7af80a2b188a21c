"""The sparse fire-sale cascade: parity with its plain-Python reference and known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.book import sparse_cascade_reference
from sim.book.sparse import SparseBook, SparseRules
from sim.book.sparse_cascade import (
    CASCADE_ROUND_CALLS,
    CASCADE_ROUND_LOSSES,
    CASCADE_STAT_BOUGHT_USD,
    CASCADE_STAT_CALLS,
    CASCADE_STAT_LOSSES,
    CASCADE_STAT_SOLD_USD,
    N_CASCADE_ROUND_STATS,
    cascade_sparse,
    linear_impact,
    sqrt_impact,
)
from sim.core.errors import InputError
from tests.book.test_sparse import random_rules, random_sparse_book

FIELDS = ("prices", "shares", "cash", "sold_shares", "sold_usd", "bought_usd", "flow_usd", "per_round", "stats")


def random_impact(rng, model, book, prices):
    """Linear: selling 10-50% of the book's gross holding of a name moves it 5%; sqrt: ADV near that holding."""
    held = np.bincount(book.names, np.abs(book.shares) * prices[book.names], book.n_names) + 1.0
    if model == "linear":
        return linear_impact(rng.uniform(0.1, 0.5, book.n_names) / held)
    return sqrt_impact(rng.uniform(0.01, 0.05, book.n_names), held * rng.uniform(0.5, 5.0, book.n_names),
                       thinning=rng.uniform(1.0, 2.0, book.n_names))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), m=st.integers(1, 12), n_brokers=st.integers(1, 3),
       shock=st.floats(0.0, 0.6), model=st.sampled_from(["linear", "sqrt"]), max_rounds=st.integers(1, 40),
       add_on=st.sampled_from([0.0, 0.2]))
def test_kernel_matches_reference(seed, n, m, n_brokers, shock, model, max_rounds, add_on):
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, n, m, n_brokers, prices, max_positions=8)
    rules = random_rules(rng, m, n_brokers, add_on, 0.2)
    shocked = prices * (1.0 - shock * rng.random(m))
    impact = random_impact(rng, model, book, prices)
    k = cascade_sparse(book, shocked, rules, impact, max_rounds)
    r = sparse_cascade_reference.cascade_sparse(book, shocked, rules, impact, max_rounds)
    for name in FIELDS:
        a, b = getattr(k, name), getattr(r, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(b).max(initial=0))),
                                   err_msg=name)
    assert k.per_round.shape == (k.rounds, N_CASCADE_ROUND_STATS) and 1 <= k.rounds <= max_rounds
    assert k.converged == (k.per_round[-1, CASCADE_ROUND_CALLS] == 0)
    np.testing.assert_array_equal(book.cash, r.start.cash)  # the input book is not changed


def house_rules(m: int, house: float, target: float) -> SparseRules:
    return SparseRules(np.array([[house, house, 1.0, 0.0, target]]), np.zeros(m), np.zeros(m), np.ones(m, bool))


def identical_book(n, shares, cash):
    return SparseBook(np.arange(n + 1), np.zeros(n, np.int32), np.full(n, shares), np.full(n, cash),
                      np.zeros(n, np.int32), 1)


def closed_form_cascade(n, s, c, p1, m, t, k):
    """The recursion of test_identical_accounts_reach_the_closed_form's docstring: (rounds, P, total $ sold)."""
    theta = (1.0 - t * m) / (1.0 - m)
    equity = c + s * p1
    q = n * (s * p1 - equity / (t * m))  # round 1
    v = equity / (t * m)
    total, passes = q, 2
    while (x := math.exp(-k * q)) < theta:
        q = n * v * (1.0 - t * m) * (1.0 - x) / (t * m)
        v = v * (x - (1.0 - t * m)) / (t * m)
        total += q
        passes += 1
    return passes, p1 * math.exp(-k * total), total


@pytest.mark.parametrize("k", [0.0003, 0.0006, 0.00065, 0.0007])
def test_identical_accounts_reach_the_closed_form(k):
    """N identical accounts of s shares and cash c in one name, house rate m, target t, linear impact k.

    Round 1 at the shocked price p1 (equity E = c + s p1 < m s p1): each account sells
    f = 1 - E / (t m s p1) of its shares, N (s p1 - E / (t m)) dollars in all, and keeps
    V1 = E / (t m) of stock with debt V1 (1 - t m). Prices follow P_r = p1 exp(-k Q), Q the
    cumulative $ sold, so x = P_{r+1} / P_r = exp(-k Q_r). An account sold to target at P_r is
    short of maintenance at P_{r+1} iff V (x - (1 - t m)) < m V x, i.e. iff
    x < theta = (1 - t m) / (1 - m); then it sells Q_{r+1} = N V (1 - t m)(1 - x) / (t m) and
    keeps V' = V (x - (1 - t m)) / (t m). The fixed point is the first round with x >= theta:
    P = p1 exp(-k sum Q), every account's cash c + sum Q / N and stock V_last / P_last.
    """
    n, s, c, p1, m, t = 10, 1.0, -65.0, 90.0, 0.3, 1.2
    out = cascade_sparse(identical_book(n, s, c), [p1], house_rules(1, m, t), linear_impact([k]), 100)
    passes, price, total = closed_form_cascade(n, s, c, p1, m, t, k)
    assert out.converged and out.rounds == passes
    assert out.prices[0] == pytest.approx(price, rel=1e-12)
    assert out.sold_usd[0] == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(out.cash, c + total / n, rtol=1e-12)
    assert np.all(out.cash == out.cash[0]) and np.all(out.shares == out.shares[0])
    if k == 0.0003:  # one selling round: P = p1 exp(-k N (s p1 - E / (t m)))
        assert passes == 2 and price == pytest.approx(p1 * math.exp(-k * n * (s * p1 - (c + s * p1) / (t * m))))
    if k == 0.0007:
        assert passes >= 4


def test_square_root_impact_moves_by_sigma_times_root_of_the_flow():
    """One selling round of N identical accounts (Q = N (s p1 - E / (t m)) dollars, as above) under the
    square-root law: P = p1 exp(-Y sigma f sqrt(Q / ADV)) (Toth et al. 2011; f the depth thinning)."""
    n, s, c, p1, m, t = 10, 1.0, -65.0, 90.0, 0.3, 1.2
    y, sigma, adv, f = 0.7, 0.02, 5e3, 1.5
    out = cascade_sparse(identical_book(n, s, c), [p1], house_rules(1, m, t), sqrt_impact([sigma], [adv], y, [f]), 1)
    q = n * (s * p1 - (c + s * p1) / (t * m))
    assert out.sold_usd[0] == pytest.approx(q, rel=1e-12) and out.rounds == 1 and not out.converged
    assert out.prices[0] == pytest.approx(p1 * math.exp(-y * sigma * f * math.sqrt(q / adv)), rel=1e-12)


def round_by_round(book, prices, rules, impact, rounds):
    """The cascade stopped after 1, 2, ... rounds: the states a round starts from and ends with."""
    return [cascade_sparse(book, prices, rules, impact, r) for r in range(1, rounds + 1)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sales_create_no_money(seed):
    """Each round changes cash + shares x price (at the round's prices) only by the brokers' write-offs,
    and the per-name totals equal the sums over accounts and positions."""
    rng = np.random.default_rng(seed)
    m = 8
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, 200, m, 2, prices, max_positions=6)
    rules = random_rules(rng, m, 2, 0.2, 0.2)
    impact = random_impact(rng, "linear", book, prices)
    shocked = prices * 0.75
    full = cascade_sparse(book, shocked, rules, impact, 50)
    states = round_by_round(book, shocked, rules, impact, full.rounds)
    before_shares, before_cash, at = book.shares, book.cash, shocked
    for state in states:
        def wealth(shares, cash, p=at):
            return cash.sum() + (shares * p[book.names]).sum()
        lost = state.per_round[-1, CASCADE_ROUND_LOSSES]
        assert wealth(state.shares, state.cash) == pytest.approx(wealth(before_shares, before_cash) + lost,
                                                                  rel=1e-12, abs=1e-9)
        before_shares, before_cash, at = state.shares, state.cash, state.prices
    np.testing.assert_array_equal(full.prices, states[-1].prices)
    after = full.book()
    np.testing.assert_array_equal(after.cash, full.cash)
    assert after.n == book.n and np.all(after.names == book.names)
    sold = np.bincount(book.names, book.shares - full.shares, m)
    np.testing.assert_allclose(full.sold_shares, sold, rtol=1e-12, atol=1e-9)
    assert full.sold_usd.sum() == pytest.approx(full.stats[CASCADE_STAT_SOLD_USD], rel=1e-12)
    assert full.bought_usd.sum() == pytest.approx(full.stats[CASCADE_STAT_BOUGHT_USD], rel=1e-12, abs=1e-12)
    assert (full.cash - book.cash).sum() == pytest.approx(
        (full.sold_usd - full.bought_usd).sum() + full.stats[CASCADE_STAT_LOSSES], rel=1e-12)
    np.testing.assert_allclose(full.flow_usd, full.bought_usd - full.sold_usd, rtol=1e-12, atol=1e-9)
    assert full.stats[CASCADE_STAT_CALLS] == full.per_round[:, CASCADE_ROUND_CALLS].sum() > 0


def overlap_book(n_both: int) -> SparseBook:
    """Names A (0) and B (1): 10 accounts hold A only ($100, debt $65), ``n_both`` hold $60 of A and
    $40 of B (debt $65), 5 hold B only unlevered ($100, no debt). Prices $100."""
    rows = [[(0, 1.0)]] * 10 + [[(0, 0.6), (1, 0.4)]] * n_both + [[(1, 1.0)]] * 5
    cash = [-65.0] * (10 + n_both) + [0.0] * 5
    counts = [len(r) for r in rows]
    return SparseBook(np.concatenate([[0], np.cumsum(counts)]), [j for r in rows for j, _ in r],
                      [s for r in rows for _, s in r], cash, np.zeros(len(rows), np.int32), 2)


def test_contagion_runs_through_overlapping_holdings():
    """Shock only A (-20%). B falls iff some account holds both; its first-round forced sales are
    proportional to the number of overlapping accounts (each sells the same fraction of the same B
    position: a Greenwood-Landier-Thesmar (2015) exposure); its final fall grows with the overlap."""
    rules, impact = house_rules(2, 0.3, 1.2), linear_impact([6e-4, 3e-3])
    shocked = np.array([80.0, 100.0])
    first = {k: cascade_sparse(overlap_book(k), shocked, rules, impact, 1) for k in (0, 1, 2, 4)}
    for k in (2, 4):
        assert first[k].sold_shares[1] == pytest.approx(k * first[1].sold_shares[1], rel=1e-12)
    full = {k: cascade_sparse(overlap_book(k), shocked, rules, impact, 100) for k in (0, 1, 2, 4)}
    assert full[0].prices[1] == 100.0 and full[0].sold_shares[1] == 0.0 and full[0].sold_shares[0] > 0
    falls = [100.0 - full[k].prices[1] for k in (0, 1, 2, 4)]
    assert falls[0] == 0.0 and 0.0 < falls[1] < falls[2] < falls[3]
    assert all(full[k].converged and full[k].rounds >= 4 for k in full)
    np.testing.assert_array_equal(full[4].shares[-5:], 1.0)  # the unlevered holders of B are never called


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_a_larger_shock_never_gives_a_smaller_cascade(seed):
    rng = np.random.default_rng(seed)
    m = 6
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, 300, m, 2, prices, max_positions=5, short_share=0.0, empty_share=0.0)
    rules = random_rules(rng, m, 2, 0.2, 0.2)
    impact = random_impact(rng, "linear", book, prices)
    tilt = rng.uniform(0.5, 1.0, m)
    runs = [cascade_sparse(book, prices * (1.0 - g * tilt), rules, impact, 200) for g in np.linspace(0.0, 0.5, 11)]
    assert all(r.converged for r in runs)
    sold = np.array([r.sold_shares for r in runs])
    final = np.array([r.prices / prices for r in runs])
    assert np.all(np.diff(sold, axis=0) >= -1e-9 * (1.0 + sold[1:]))
    assert np.all(np.diff(final, axis=0) <= 1e-12)
    assert sold[-1].sum() > sold[1].sum() > 0.0


def test_bad_inputs_are_one_line_errors():
    book = identical_book(3, 1.0, -50.0)
    rules = house_rules(1, 0.3, 1.2)
    with pytest.raises(InputError, match="max_rounds"):
        cascade_sparse(book, [100.0], rules, linear_impact([1e-4]), 0)
    with pytest.raises(InputError, match="impact"):
        cascade_sparse(book, [100.0], rules, linear_impact([1e-4, 1e-4]), 10)
    with pytest.raises(InputError, match=r"impact\.coef"):
        linear_impact([-1.0])
    with pytest.raises(InputError, match=r"impact\.adv_usd"):
        sqrt_impact([0.02], [0.0])
    with pytest.raises(InputError, match=r"impact\.thinning"):
        sqrt_impact([0.02], [1e6], thinning=[0.5])
    with pytest.raises(InputError, match="prices"):
        cascade_sparse(book, [-1.0], rules, linear_impact([1e-4]), 10)
