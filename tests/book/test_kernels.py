"""The numba kernels against the plain-Python reference, and their known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.book import clearing, daily, reference, stats
from sim.book.arrays import AccountArrays
from sim.core.impact import LINEAR, SQRT, log_impact
from tests.conftest import random_book

ARRAY_FIELDS = ("long", "short", "cash", "short_credit", "reserve", "call_day")


def _rules(rng, n_brokers):
    maint = rng.uniform(0.25, 0.45, n_brokers)
    maint_s = rng.uniform(0.30, 0.45, n_brokers)
    return np.column_stack([maint, maint_s, maint + rng.uniform(0, 0.2, n_brokers),
                            maint_s + rng.uniform(0, 0.2, n_brokers), rng.uniform(0.0, 0.1, n_brokers)])


def assert_books_equal(a, b, rel=1e-12):
    for name in ARRAY_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        np.testing.assert_allclose(x, y, rtol=rel, atol=1e-12 * max(1.0, float(np.abs(y).max(initial=0))),
                                   err_msg=name)


def run_both_clear(book, rules, day, deadline, log_base, flow, model, coef, adv, max_rounds, *extra):
    ref_accounts = reference.accounts_from_arrays(book.copy())
    f_kernel, f_ref = flow.copy(), flow.copy()
    out_k = clearing.clear(book, rules, day, deadline, log_base, f_kernel, model, coef, adv, max_rounds, *extra)
    out_r = reference.clear(ref_accounts, rules, day, deadline, log_base, f_ref, model, coef, adv, max_rounds,
                            *extra)
    return out_k, out_r, f_kernel, f_ref, reference.arrays_from_accounts(ref_accounts, len(rules))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), k=st.integers(1, 5),
       n_brokers=st.integers(1, 4), shock=st.floats(-0.6, 0.3), model=st.sampled_from([LINEAR, SQRT]),
       depth=st.floats(1e1, 1e6), deadline=st.integers(0, 3), max_rounds=st.integers(1, 60),
       gamma_scale=st.floats(-0.9, 2.0), with_addon=st.booleans(), margin_active=st.booleans())
def test_clear_kernel_equals_reference(seed, n, k, n_brokers, shock, model, depth, deadline, max_rounds,
                                       gamma_scale, with_addon, margin_active):
    rng = np.random.default_rng(seed)
    price = rng.uniform(5, 200, k)
    book = random_book(rng, n, k, n_brokers, price=price)
    rules = _rules(rng, n_brokers)
    log_base = np.log(price * (1 + shock))
    coef = np.full(k, 5.0 / depth) if model == LINEAR else np.full(k, 0.7 * 0.02)
    adv = np.full(k, depth)
    flow = rng.normal(0, depth * 0.01, k)
    # dealers: dollar gamma as a multiple of the market's depth (negative = short gamma), a notional cap
    dealer_gamma = gamma_scale * depth / 5.0 * rng.uniform(0.5, 1.0, k)
    dealer_limit = rng.uniform(0.0, 0.05, k) * depth
    addon = rng.uniform(0.0, 0.3, k) * with_addon
    out_k, out_r, f_k, f_r, ref_book = run_both_clear(book, rules, 4, deadline, log_base, flow, model, coef,
                                                      adv, max_rounds, dealer_gamma, dealer_limit, addon,
                                                      margin_active)
    for name in ("prices", "sold_shares", "sold_usd", "bought_usd", "dealer_usd", "dealer_shares", "stats"):
        np.testing.assert_allclose(getattr(out_k, name), getattr(out_r, name), rtol=1e-12, atol=1e-9,
                                   err_msg=name)
    np.testing.assert_allclose(f_k, f_r, rtol=1e-12, atol=1e-9)
    assert_books_equal(book, ref_book)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), k=st.integers(1, 5),
       n_brokers=st.integers(1, 3), move=st.floats(-0.4, 0.4), conc=st.floats(0, 1),
       buy=st.floats(0, 1), sell=st.floats(0, 1), band=st.floats(0, 0.2), max_lev=st.floats(1.0, 5.0),
       house=st.sampled_from(["none", "low", "above_reg_t"]), with_addon=st.booleans())
def test_rebalance_kernel_equals_reference(seed, n, k, n_brokers, move, conc, buy, sell, band, max_lev, house,
                                           with_addon):
    rng = np.random.default_rng(seed)
    price = rng.uniform(5, 200, k)
    book = random_book(rng, n, k, n_brokers, price=price, max_leverage=2.5)
    weights = rng.dirichlet(np.ones(k))
    p = price * (1 + move)
    rules = None if house == "none" else _rules(rng, n_brokers) + (0.2 if house == "above_reg_t" else 0.0)
    addon = rng.uniform(0.0, 0.2, k) * with_addon
    ref_accounts = reference.accounts_from_arrays(book.copy())
    bk, fk = daily.rebalance(book, weights, conc, buy, sell, band, 0.5, 0.5, p, max_lev, rules, addon)
    br, fr = reference.rebalance(ref_accounts, weights, conc, buy, sell, band, 0.5, 0.5, p, max_lev, rules, addon)
    np.testing.assert_allclose(bk, br, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(fk, fr, rtol=1e-12, atol=1e-6)
    assert_books_equal(book, reference.arrays_from_accounts(ref_accounts, n_brokers))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), k=st.integers(1, 4), n_brokers=st.integers(1, 3))
def test_end_of_day_kernel_equals_reference(seed, n, k, n_brokers):
    rng = np.random.default_rng(seed)
    price = rng.uniform(5, 200, k)
    book = random_book(rng, n, k, n_brokers, price=price)
    rules = _rules(rng, n_brokers)
    ref_accounts = reference.accounts_from_arrays(book.copy())
    addon = rng.uniform(0.0, 0.3, k)
    ak = daily.end_of_day(book, rules, 252.0, price * 0.9, addon)
    ar = reference.end_of_day(ref_accounts, rules, 252.0, price * 0.9, addon)
    np.testing.assert_allclose(ak, ar, rtol=1e-12)
    assert_books_equal(book, reference.arrays_from_accounts(ref_accounts, n_brokers))


# ----------------------------------------------------------------- known answers

def _one_account(lev: float, equity: float = 100.0, price: float = 100.0, reserve: float = 0.0):
    shares = lev * equity / price
    return AccountArrays(
        long=np.array([[shares]]), short=np.zeros((1, 1)), cash=np.array([-(lev - 1) * equity]),
        short_credit=np.zeros(1), reserve=np.array([reserve]), call_day=np.array([-1], dtype=np.int32),
        target_leverage=np.array([lev]), short_target=np.zeros(1), home=np.zeros(1, dtype=np.int32),
        broker_start=np.array([0, 1], dtype=np.int64))


RULES = np.array([[0.30, 0.30, 0.35, 0.35, 0.05]])


def test_no_impact_liquidation_restores_target_in_one_round():
    # 2x account, price falls 30%: equity 40 on 140 of stock -> 28.6% < 30%: liquidate to 35%
    book = _one_account(2.0)
    out = clearing.clear(book, RULES, 0, 0, np.log([70.0]), np.zeros(1), LINEAR, np.zeros(1), np.ones(1), 10)
    lv = book.long[0, 0] * 70.0
    eq = book.cash[0] + lv
    assert eq == pytest.approx(40.0)
    assert eq == pytest.approx(0.35 * lv, rel=1e-12)
    assert out.sold_usd[0] == pytest.approx(140.0 - 40.0 / 0.35)
    assert out.stats[stats.STAT_CALLS] == 1 and out.stats[stats.STAT_LIQUIDATIONS] == 1
    assert out.converged and out.rounds == 2


def test_deposit_instead_of_sale_when_free_credit_covers_it():
    book = _one_account(2.0, reserve=1_000.0)
    out = clearing.clear(book, RULES, 0, 0, np.log([70.0]), np.zeros(1), LINEAR, np.zeros(1), np.ones(1), 10)
    assert out.sold_usd[0] == 0.0
    assert out.stats[stats.STAT_DEPOSITS] == pytest.approx(0.35 * 140.0 - 40.0)
    assert book.reserve[0] == pytest.approx(1_000.0 - (0.35 * 140.0 - 40.0))


def test_negative_equity_becomes_broker_loss():
    # 2x account, price falls 60%: equity -20 -> closed out; reserve 5 pays part, broker loses 15
    book = _one_account(2.0, reserve=5.0)
    out = clearing.clear(book, RULES, 0, 3, np.log([40.0]), np.zeros(1), LINEAR, np.zeros(1), np.ones(1), 10)
    assert out.stats[stats.STAT_LOSSES] == pytest.approx(15.0)
    assert book.long[0, 0] == 0.0 and book.cash[0] == 0.0 and book.reserve[0] == 0.0


def test_short_squeeze_forces_buy_in():
    # short $50 of stock on $100 equity (cash 100, proceeds 50); price doubles -> equity 50 < 30% of 100?
    # no: 50 >= 30. Price x3.5 -> short value 175, equity -25 -> closed out with a buy-in.
    book = _one_account(1.0)
    book.long[:] = 0.0
    book.cash[:] = 100.0
    book.short[:] = 0.5
    book.short_credit[:] = 50.0
    out = clearing.clear(book, RULES, 0, 0, np.log([200.0]), np.zeros(1), LINEAR, np.zeros(1), np.ones(1), 10)
    assert out.bought_usd[0] == 0.0
    out = clearing.clear(book, RULES, 0, 0, np.log([290.0]), np.zeros(1), LINEAR, np.zeros(1), np.ones(1), 10)
    # equity 100 + 50 - 145 = 5 < 0.30 x 145: buy in to 35%
    assert out.bought_usd[0] == pytest.approx(145.0 - 5.0 / 0.35)
    assert out.sold_shares[0] < 0.0


def _identical_2x_book(n: int) -> AccountArrays:
    """n long-only accounts, each 2 shares at $100 on $100 of debt (2x leverage)."""
    return AccountArrays(
        long=np.full((n, 1), 2.0), short=np.zeros((n, 1)), cash=np.full(n, -100.0), short_credit=np.zeros(n),
        reserve=np.zeros(n), call_day=np.full(n, -1, dtype=np.int32), target_leverage=np.full(n, 2.0),
        short_target=np.zeros(n), home=np.zeros(n, dtype=np.int32), broker_start=np.array([0, n], dtype=np.int64))


def test_cascade_converges_to_a_fixed_point_with_no_deficit():
    # Identical accounts liquidated exactly to maintenance (no buffer): every round's sales push
    # the price down and call them again; rounds shrink geometrically to a fixed point where
    # no account is short of maintenance and the price is exactly the impact of what was sold.
    book = _identical_2x_book(1000)
    cap = 2e5 * 100  # market value
    coef = np.array([5.0 / cap])
    flow = np.zeros(1)
    tight = np.array([[0.30, 0.30, 0.30, 0.30, 0.05]])
    out = clearing.clear(book, tight, 0, 0, np.log([70.0]), flow, LINEAR, coef, np.ones(1), 500)
    assert out.converged and out.rounds > 5
    price = out.prices[0]
    assert price == pytest.approx(70.0 * math.exp(log_impact(flow[0], LINEAR, coef[0], 1.0)), rel=1e-14)
    lv = book.long[:, 0] * price
    eq = book.cash + lv
    assert np.all(eq >= 0.30 * lv * (1 - 1e-9))
    assert flow[0] == pytest.approx(-out.sold_usd[0], rel=1e-12)


def test_round_cap_is_reported_not_silent():
    book = _identical_2x_book(1000)
    out = clearing.clear(book, RULES, 0, 0, np.log([70.0]), np.zeros(1), LINEAR, np.array([5.0 / 2e7]),
                        np.ones(1), 1)
    assert not out.converged and out.rounds == 1


def test_public_functions_reject_bad_shapes(rng):
    book = random_book(rng, 10, 2, 1, price=np.array([10.0, 20.0]))
    with pytest.raises(ValueError, match=r"accounts\.long"):
        clearing.clear(book, RULES, 0, 0, np.zeros(3), np.zeros(3), LINEAR, np.zeros(3), np.ones(3), 5)
    with pytest.raises(ValueError, match="flow"):
        clearing.clear(book, RULES, 0, 0, np.zeros(2), np.zeros(3), LINEAR, np.zeros(2), np.ones(2), 5)
    with pytest.raises(ValueError, match="rules"):
        clearing.clear(book, np.zeros((2, 5)), 0, 0, np.zeros(2), np.zeros(2), LINEAR, np.zeros(2), np.ones(2), 5)
    with pytest.raises(ValueError, match="max_rounds"):
        clearing.clear(book, RULES, 0, 0, np.zeros(2), np.zeros(2), LINEAR, np.zeros(2), np.ones(2), 0)
    bad = book.copy()
    bad.cash = bad.cash.astype(np.float32)
    with pytest.raises(ValueError, match=r"accounts\.cash"):
        daily.end_of_day(bad, RULES, 252.0, np.ones(2))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), k=st.integers(1, 4), n_brokers=st.integers(1, 3),
       shock=st.floats(-0.5, 0.2))
def test_numpy_baseline_equals_kernel(seed, n, k, n_brokers, shock):
    """The benchmark's numpy baseline runs the same algorithm (to rounding: its sums add in another order)."""
    from sim.book.numpy_twin import clear_numpy

    rng = np.random.default_rng(seed)
    price = rng.uniform(5, 200, k)
    book = random_book(rng, n, k, n_brokers, price=price)
    rules = _rules(rng, n_brokers)
    log_base, coef, adv = np.log(price * (1 + shock)), np.full(k, 5.0 / 1e5), np.ones(k)
    other = book.copy()
    out_k = clearing.clear(book, rules, 3, 1, log_base, np.zeros(k), LINEAR, coef, adv, 100)
    out_n = clear_numpy(other, rules, 3, 1, log_base, np.zeros(k), LINEAR, coef, adv, 100)
    for name in ("prices", "sold_usd", "bought_usd", "stats"):
        np.testing.assert_allclose(getattr(out_n, name), getattr(out_k, name), rtol=1e-9, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(other.cash, book.cash, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(other.call_day, book.call_day)


@pytest.mark.parametrize("shock", [-0.005, -0.01, -0.12])
def test_sparse_and_dense_cascades_equal_reference(shock):
    """20,000 accounts (20 blocks) with leverage 1.2-3.3: a 0.5% gap leaves a few accounts short
    (the sparse path counts blocks first), a 12% gap thousands (the dense path lists every block);
    later rounds switch paths as the cascade thins, and late in a dense cascade rescan only the
    accounts noted within reach of a call (falling back to a full listing when prices move further).
    Every path settles what the reference settles."""
    from sim.apps.bench import RULES, book

    accounts = book(20_000, np.random.default_rng(3), 1.2, 3.3)
    coef = np.array([0.5 / float(accounts.long.sum() * 100.0)])
    out_k, out_r, _, _, ref_book = run_both_clear(accounts, RULES, 0, 0, np.log([100.0 * (1 + shock)]),
                                                  np.zeros(1), LINEAR, coef, np.ones(1), 200)
    assert out_k.stats[stats.STAT_LIQUIDATIONS] > 0
    assert out_k.converged
    for name in ("prices", "sold_usd", "bought_usd", "stats"):
        np.testing.assert_allclose(getattr(out_k, name), getattr(out_r, name), rtol=1e-12, atol=1e-9, err_msg=name)
    assert_books_equal(accounts, ref_book)


def test_house_maintenance_above_reg_t_stops_buying_into_a_call():
    """An account at 1.9x (equity 52.6% of value) has Reg T buying power, but with house maintenance
    raised to 55% it is short of maintenance: it must not buy (the churn of buy-then-liquidate)."""
    long_value, equity = 190_000.0, 100_000.0
    book = AccountArrays(
        long=np.array([[long_value / 100.0]]), short=np.zeros((1, 1)), cash=np.array([equity - long_value]),
        short_credit=np.zeros(1), reserve=np.zeros(1), call_day=np.full(1, -1, dtype=np.int32),
        target_leverage=np.array([2.0]), short_target=np.zeros(1), home=np.zeros(1, dtype=np.int32),
        broker_start=np.array([0, 1], dtype=np.int64))
    args = (np.ones(1), 0.0, 1.0, 1.0, 0.0, 0.5, 0.5, np.array([100.0]))
    reg_t_only, _ = daily.rebalance(book.copy(), *args)
    assert reg_t_only[0] * 100.0 == pytest.approx(10_000.0)  # Reg T: up to 2x, (100k - 95k) / 0.5
    low = np.array([[0.30, 0.30, 0.35, 0.35, 0.05]])
    same, _ = daily.rebalance(book.copy(), *args, math.inf, low)
    assert same[0] == reg_t_only[0]  # a 30% house rule does not bind below Reg T
    raised = low + np.array([[0.25, 0.25, 0.25, 0.25, 0.0]])
    none, flow = daily.rebalance(book.copy(), *args, math.inf, raised)
    assert none[0] == 0.0 and flow[0] == 0.0
    # a concentrated-position add-on counts too: 35% + 20% add-on
    addon_only, _ = daily.rebalance(book.copy(), *args, math.inf, low + np.array([[0.05, 0, 0, 0, 0]]),
                                      np.array([0.20]))
    assert addon_only[0] == 0.0


def test_named_fields_cover_each_vector_once():
    from sim.book import arrays

    for prefix, size in (("STAT_", stats.N_STATS), ("AGG_", stats.N_AGG)):
        values = sorted(v for k, v in vars(stats).items() if k.startswith(prefix))
        assert values == list(range(size)), prefix
    rules = sorted(v for k, v in vars(arrays).items() if k.startswith("RULE_"))
    assert rules == list(range(arrays.N_RULES))
