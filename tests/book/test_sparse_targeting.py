"""The leverage-targeting cascade: parity with its plain-Python reference and known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.book import sparse_targeting_reference
from sim.book.sparse import SparseBook
from sim.book.sparse_cascade import (
    CASCADE_STAT_CALLS,
    CASCADE_STAT_CLOSE_OUTS,
    CASCADE_STAT_LOSSES,
    CASCADE_STAT_SOLD_USD,
    linear_impact,
)
from sim.book.sparse_targeting import account_marks, cascade_targeting, initial_leverage
from sim.core.errors import InputError
from sim.core.targeting import targeting_fraction
from tests.book.test_sparse import random_sparse_book
from tests.book.test_sparse_cascade import FIELDS, random_impact


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), m=st.integers(1, 12), shock=st.floats(0.0, 0.6),
       model=st.sampled_from(["linear", "sqrt"]), max_rounds=st.integers(1, 40),
       tolerance=st.sampled_from([0.0, 1e-9, 1e-3]))
def test_kernel_matches_reference(seed, n, m, shock, model, max_rounds, tolerance):
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, n, m, 1, prices, max_positions=8)
    targets = initial_leverage(book, prices) * rng.uniform(0.8, 1.2, n)
    shocked = prices * (1.0 - shock * rng.random(m))
    impact = random_impact(rng, model, book, prices)
    k = cascade_targeting(book, shocked, targets, impact, max_rounds, tolerance)
    r = sparse_targeting_reference.cascade_targeting(book, shocked, targets, impact, max_rounds, tolerance)
    for name in FIELDS:
        a, b = getattr(k, name), getattr(r, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(b).max(initial=0))),
                                   err_msg=name)
    np.testing.assert_array_equal(book.cash, r.start.cash)  # the input book is not changed


def long_book(n, value, equity):
    """n accounts each holding $``value`` of name i % 2 at $1 with equity ``equity``."""
    return SparseBook(np.arange(n + 1), np.arange(n, dtype=np.int32) % 2, np.full(n, value),
                      np.full(n, equity - value), np.zeros(n, np.int32), 2)


def test_without_impact_each_account_sells_leverage_minus_one_times_its_loss():
    """Greenwood-Landier-Thesmar: keeping A/E = lambda after a loss L takes sales of (lambda - 1) x L, in one pass."""
    book = long_book(4, np.array([3.0, 3.0, 3.0, 3.0]), 1.0)  # leverage 3
    targets = initial_leverage(book, np.ones(2))
    np.testing.assert_allclose(targets, 3.0)
    shocked = np.array([0.9, 0.95])  # losses 0.3 (names 0) and 0.15 (names 1)
    out = cascade_targeting(book, shocked, targets, linear_impact(np.zeros(2)), 10)
    assert out.rounds == 2 and out.converged  # the second pass finds everyone on target
    np.testing.assert_allclose(out.sold_usd, [2 * 2 * 0.3, 2 * 2 * 0.15], rtol=1e-12)
    equity, gross = account_marks(out.book(), shocked)
    np.testing.assert_allclose(gross / equity, 3.0, rtol=1e-12)
    np.testing.assert_allclose(out.prices, shocked)  # no impact: nothing moves


def test_with_impact_the_fixed_point_is_on_target_and_money_is_conserved():
    book = long_book(6, 3.0, 1.0)
    prices = np.array([0.93, 0.97])
    out = cascade_targeting(book, prices, initial_leverage(book, np.ones(2)), linear_impact(np.full(2, 0.05)), 200)
    assert out.converged and out.rounds > 3 and out.stats[CASCADE_STAT_CLOSE_OUTS] == 0
    equity, gross = account_marks(out.book(), out.prices)
    assert np.all(gross / equity <= 3.0 * (1 + 1e-9)) and np.all(gross / equity > 3.0 * (1 - 1e-3))
    assert np.all(out.prices < prices)  # only sales: prices only fall
    # each account's cash rose by exactly what it sold, at the prices of the round it sold in
    np.testing.assert_allclose(out.cash.sum() - book.cash.sum(), out.stats[CASCADE_STAT_SOLD_USD], rtol=1e-12)


def test_an_account_with_no_equity_is_closed_out_and_written_off():
    book = long_book(2, 3.0, 1.0)
    out = cascade_targeting(book, np.array([0.5, 0.99]), np.full(2, 3.0), linear_impact(np.zeros(2)), 5)
    assert out.stats[CASCADE_STAT_CLOSE_OUTS] == 1 and out.stats[CASCADE_STAT_LOSSES] == pytest.approx(0.5)
    assert out.shares[0] == 0.0 and out.cash[0] == 0.0  # account 0: equity 1 - 1.5 < 0
    assert out.stats[CASCADE_STAT_CALLS] == 2


def test_targeting_fraction_known_answers():
    assert targeting_fraction(0.7, 2.7, 3.0) == pytest.approx(1 - 2.1 / 2.7)
    assert targeting_fraction(1.0, 2.0, 3.0) == 0.0  # below target: no buying
    assert targeting_fraction(-0.1, 2.0, 3.0) == 1.0 and targeting_fraction(1.0, 0.0, 3.0) == 0.0


@pytest.mark.parametrize(("change", "field"), [({"targets": np.full(3, -1.0)}, "targets"),
                                               ({"targets": np.ones(2)}, "targets"),
                                               ({"prices": np.array([1.0, 0.0])}, "prices"),
                                               ({"impact": linear_impact(np.zeros(3))}, "impact"),
                                               ({"max_rounds": 0}, "max_rounds"),
                                               ({"tolerance": 0.5}, "tolerance")])
def test_bad_inputs_name_the_field(change, field):
    book = long_book(3, 3.0, 1.0)
    args = {"prices": np.ones(2), "targets": np.full(3, 3.0), "impact": linear_impact(np.zeros(2)),
            "max_rounds": 5, "tolerance": 1e-9} | change
    with pytest.raises(InputError) as err:
        cascade_targeting(book, args["prices"], args["targets"], args["impact"], args["max_rounds"],
                          args["tolerance"])
    assert err.value.field == field


def test_initial_leverage_needs_positive_equity():
    with pytest.raises(InputError) as err:
        initial_leverage(long_book(2, 3.0, -0.5), np.ones(2))
    assert err.value.field == "book.cash"
