"""Reach: the drift below which an account a pass looked at cannot be short, so later passes may skip it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.book import sparse_clearing, sparse_reference
from sim.book.sparse import SparseBook, SparseRules
from sim.book.sparse_clearing import REACH_ALLOWANCE, rounding_slack
from sim.core.errors import InputError
from tests.book.test_sparse import assert_same, random_rules, random_sparse_book


def test_reach_of_one_long_account_in_closed_form():
    s, price, debt = 3.0, 100.0, 150.0  # $300 of one name, $150 borrowed: equity 150, 30% requirement 90
    book = SparseBook(np.array([0, 1]), np.array([0]), np.array([s]), np.array([-debt]), np.array([0]), 1)
    rules = SparseRules(np.array([[0.3, 0.3, 1.0, 0.0, 1.0]]), np.zeros(1), np.zeros(1), np.ones(1, dtype=bool))
    reach = np.zeros(1)
    sparse_clearing.clearing_pass_sparse(book, np.array([price]), rules, reach=reach, drift=2.0)
    gross, bound = s * price, 0.3 * s * price * rounding_slack(1)
    move = (s * price - debt - bound - (REACH_ALLOWANCE + 1e-14) * (debt + gross + bound)) / (gross + bound)
    assert move == pytest.approx((0.7 * 300.0 - 150.0) / (1.3 * 300.0), rel=1e-6)  # (E - 0.3G) / 1.3G
    assert reach[0] == pytest.approx(2.0 * (1.0 + move), rel=1e-15)
    trigger = debt / (0.7 * s)  # the price at which the account is called
    assert trigger < price * (1.0 - move)  # the reach is on the safe side of it
    for impl in (sparse_clearing, sparse_reference):
        assert impl.clearing_pass_sparse(book, np.array([price * (1.0 - move)]), rules).n_called == 0


def skipped_are_not_short(seed, n, m, n_brokers, add_on, move, shock):
    """Every name moved by the full ``move``, up or down at random: an account whose reach exceeds
    the drift 1 + move is not short at the new prices, and the pass that skips it equals the reference.

    Returns (accounts skipped, accounts the reference calls at the moved prices)."""
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 200.0, m) * (1.0 + shock)
    book = random_sparse_book(rng, n, m, n_brokers, prices)
    rules = random_rules(rng, m, n_brokers, add_on, 0.2)
    reach = np.zeros(n)
    sparse_clearing.clearing_pass_sparse(book, prices, rules, reach=reach)
    moved = prices * (1.0 + move * rng.choice([-1.0, 1.0], m))
    ref = sparse_reference.clearing_pass_sparse(book, moved, rules, per_account=True)
    skipped = reach > 1.0 + move
    assert not np.isin(np.flatnonzero(skipped), ref.called).any()
    assert np.all(ref.equity[skipped] >= ref.requirement[skipped])
    out = sparse_clearing.clearing_pass_sparse(book, moved, rules, reach=reach.copy(), drift=1.0 + move)
    plain = sparse_reference.clearing_pass_sparse(book, moved, rules)
    for name in ("equity", "requirement", "gross"):
        setattr(plain, name, getattr(out, name))  # neither records them
    assert_same(out, plain, rtol=0.0)
    return int(skipped.sum()), ref.n_called


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 120), m=st.integers(1, 25), n_brokers=st.integers(1, 3),
       add_on=st.sampled_from([0.0, 0.15, 0.5]), move=st.floats(0.0, 0.3), shock=st.floats(-0.3, 0.1))
def test_no_account_skipped_by_its_reach_is_short(seed, n, m, n_brokers, add_on, move, shock):
    skipped_are_not_short(seed, n, m, n_brokers, add_on, move, shock)


@pytest.mark.parametrize(("seed", "move"), [(1, 0.01), (2, 0.05), (3, 0.1)])
def test_reach_skips_many_accounts_and_none_that_is_short(seed, move):
    """Fixed books where the skip acts (so the property above is not vacuous there): of 300 accounts,
    69-191 are skipped at these moves, and 89-151 others are short at the moved prices."""
    skipped, called = skipped_are_not_short(seed, 300, 20, 2, 0.15, move, 0.0)
    assert skipped > 50 and called > 50


def test_bad_reach_raises():
    book = SparseBook(np.array([0, 1]), np.array([0]), np.array([1.0]), np.array([0.0]), np.array([0]), 1)
    rules = SparseRules(np.array([[0.3, 0.3, 1.0, 0.0, 1.0]]), np.zeros(1), np.zeros(1), np.ones(1, dtype=bool))
    for bad, per_account in ((np.zeros(2), False), (np.zeros(1, dtype=np.float32), False), (np.zeros(1), True)):
        with pytest.raises(InputError, match=r"^reach: must be"):
            sparse_clearing.clearing_pass_sparse(book, np.ones(1), rules, per_account, reach=bad)
    with pytest.raises(InputError, match=r"^drift: must be finite and >= 1"):
        sparse_clearing.clearing_pass_sparse(book, np.ones(1), rules, reach=np.zeros(1), drift=0.5)
