"""The sparse clearing kernel against its plain-Python reference, its known answers, its bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.book import sparse_clearing, sparse_reference
from sim.book.sparse import (
    N_SPARSE_RULES,
    SPARSE_RULE_TARGET,
    SPARSE_STAT_BOUGHT_USD,
    SPARSE_STAT_CALLS,
    SPARSE_STAT_CLOSE_OUTS,
    SPARSE_STAT_LOSSES,
    SPARSE_STAT_SOLD_USD,
    SparseBook,
    SparseRules,
)
from sim.core.errors import InputError
from sim.core.house import position_rate
from sim.core.margin import call_value

FIELDS = ("sold_shares", "sold_usd", "bought_usd", "called", "fraction", "account_sold_usd", "account_bought_usd",
          "equity", "requirement", "gross", "stats")


def random_sparse_book(rng, n, m, n_brokers, prices, max_positions=20, short_share=0.3, empty_share=0.1):
    """Accounts of 0..max_positions distinct names, leverage 1..4 on equity ~ lognormal, some shorts."""
    counts = np.where(rng.random(n) < empty_share, 0, rng.integers(1, min(max_positions, m) + 1, n))
    names, shares, cash = [np.zeros(0, dtype=np.int64)], [np.zeros(0)], np.empty(n)
    for i, k in enumerate(counts):
        held = rng.choice(m, size=k, replace=False)
        equity = rng.lognormal(0.0, 1.0)
        value = rng.uniform(1.0, 4.0) * equity * rng.dirichlet(np.ones(k)) if k else np.zeros(0)
        value = np.where(rng.random(k) < short_share, -0.5 * value, value)
        names.append(held)
        shares.append(value / prices[held])
        cash[i] = equity - value.sum() + (rng.normal(0, equity) if k == 0 else 0.0)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return SparseBook(offsets, np.concatenate(names), np.concatenate(shares), cash,
                      rng.integers(0, n_brokers, n), m)


def random_rules(rng, m, n_brokers, add_on, not_marginable):
    house = np.column_stack([rng.uniform(0.25, 0.5, n_brokers), rng.uniform(0.3, 0.5, n_brokers),
                             rng.uniform(0.0, 1.0, n_brokers), np.full(n_brokers, add_on),
                             rng.uniform(1.0, 1.3, n_brokers)])
    return SparseRules(house, rng.uniform(0.0, 0.6, m) * (rng.random(m) < 0.5), rng.uniform(0.0, 0.8, m),
                       rng.random(m) >= not_marginable)


def assert_same(a, b, rtol=1e-12):
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12 * max(1.0, float(np.abs(y).max(initial=0))),
                                   err_msg=name)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), m=st.integers(1, 40), n_brokers=st.integers(1, 3),
       shock=st.floats(-0.6, 0.3), add_on=st.sampled_from([0.0, 0.15, 0.5]),
       not_marginable=st.sampled_from([0.0, 0.2]), per_account=st.booleans())
def test_sparse_kernel_equals_reference(seed, n, m, n_brokers, shock, add_on, not_marginable, per_account):
    rng = np.random.default_rng(seed)
    prices = rng.uniform(5.0, 200.0, m)
    book = random_sparse_book(rng, n, m, n_brokers, prices)
    rules = random_rules(rng, m, n_brokers, add_on, not_marginable)
    marked = prices * (1.0 + shock) * rng.uniform(0.9, 1.1, m)
    out_k = sparse_clearing.clearing_pass_sparse(book, marked, rules, per_account)
    out_r = sparse_reference.clearing_pass_sparse(book, marked, rules, per_account)
    assert_same(out_k, out_r)
    # conservation: what the names were sold equals what the accounts sold, both ways
    for per_name, per_acct, stat in (("sold_usd", "account_sold_usd", SPARSE_STAT_SOLD_USD),
                                     ("bought_usd", "account_bought_usd", SPARSE_STAT_BOUGHT_USD)):
        total = getattr(out_k, per_name).sum()
        assert total == pytest.approx(getattr(out_k, per_acct).sum(), rel=1e-12, abs=1e-9)
        assert total == pytest.approx(out_k.stats[stat], rel=1e-12, abs=1e-9)
    assert out_k.called.shape == (int(out_k.stats[SPARSE_STAT_CALLS]),)


def _one_name(shares=2.0, price=100.0, lev=2.0, m_long=0.3, add_on=0.0, target=1.0, marginable=True):
    """One account holding one name at ``lev`` x equity (Reg T's 50% initial margin: 2x)."""
    debt = shares * price * (1.0 - 1.0 / lev)
    book = SparseBook(np.array([0, 1]), np.array([0]), np.array([shares]), np.array([-debt]), np.array([0]), 1)
    rules = SparseRules(np.array([[m_long, 0.3, 0.5, add_on, target]]), np.zeros(1), np.zeros(1),
                        np.array([marginable]))
    return book, rules, debt


@pytest.mark.parametrize("m_long", [0.25, 0.3, 0.4, 0.6])
def test_one_name_at_reg_t_is_called_below_the_closed_form_price(m_long):
    shares = 3.0
    book, rules, debt = _one_name(shares=shares, m_long=m_long)
    trigger = debt / ((1.0 - m_long) * shares)
    assert trigger == pytest.approx(call_value(debt, m_long) / shares, rel=1e-15)
    for impl in (sparse_clearing, sparse_reference):
        above = impl.clearing_pass_sparse(book, np.array([trigger * (1 + 1e-6)]), rules)
        below = impl.clearing_pass_sparse(book, np.array([trigger * (1 - 1e-6)]), rules)
        assert above.n_called == 0 and below.n_called == 1


def test_forced_sale_restores_the_target_exactly():
    book, rules, debt = _one_name(m_long=0.3, add_on=0.2, target=1.2)
    price = 0.8 * debt / (0.5 * 2.0)  # 2 shares bought at 2x; the price falls to 80% of the debt per share x 2
    out = sparse_clearing.clearing_pass_sparse(book, np.array([price]), rules, per_account=True)
    f = out.fraction[0]
    equity, required = out.equity[0], out.requirement[0]
    assert required == pytest.approx(0.5 * 2.0 * price)  # 30% + 20% add-on: one name is all of gross
    assert f == pytest.approx(1.0 - equity / (1.2 * required))
    after = SparseBook(np.array([0, 1]), np.array([0]), book.shares * (1 - f), book.cash + out.sold_usd, book.broker, 1)
    again = sparse_reference.clearing_pass_sparse(after, np.array([price]), rules, per_account=True)
    assert again.equity[0] == pytest.approx(1.2 * again.requirement[0], rel=1e-12)
    assert again.n_called == 0


def test_a_not_marginable_name_is_called_with_any_debt():
    book, rules, _ = _one_name(lev=1.01, marginable=False)
    out = sparse_reference.clearing_pass_sparse(book, np.array([100.0]), rules, per_account=True)
    assert out.requirement[0] == pytest.approx(200.0) and out.n_called == 1
    cash_only = _one_name(lev=1.0, marginable=False)[0]
    assert sparse_clearing.clearing_pass_sparse(cash_only, np.array([100.0]), rules).n_called == 0


@pytest.mark.parametrize(("share", "expected"), [(0.4, 0.25 + 0.1), (0.6, 0.25)])
def test_two_equal_names_get_the_add_on_below_half(share, expected):
    book = SparseBook(np.array([0, 2]), np.array([0, 1]), np.array([1.0, 2.0]), np.array([0.0]), np.array([0]), 2)
    rules = SparseRules(np.array([[0.25, 0.3, share, 0.1, 1.0]]), np.zeros(2), np.zeros(2), np.ones(2, dtype=bool))
    for impl in (sparse_clearing, sparse_reference):
        out = impl.clearing_pass_sparse(book, np.array([50.0, 25.0]), rules, per_account=True)
        assert out.gross[0] == 100.0 and out.requirement[0] == pytest.approx(expected * 100.0, rel=1e-15)


def test_closed_out_account_records_the_brokers_loss():
    book, rules, debt = _one_name(lev=2.0)  # 2 shares, $100 debt
    out = sparse_clearing.clearing_pass_sparse(book, np.array([40.0]), rules)
    assert out.fraction[0] == 1.0 and out.stats[SPARSE_STAT_CLOSE_OUTS] == 1
    assert out.stats[SPARSE_STAT_LOSSES] == pytest.approx(debt - 80.0)
    assert out.sold_shares[0] == 2.0 and out.sold_usd[0] == 80.0


def test_position_rate_caps_longs_at_one_and_not_shorts():
    assert position_rate(10.0, 10.0, 0.9, 0.0, True, 0.25, 0.3, 0.5, 0.5) == 1.0
    assert position_rate(-10.0, 10.0, 0.0, 0.9, True, 0.25, 0.3, 0.5, 0.5) == pytest.approx(1.4)
    assert position_rate(10.0, 10.0, 0.0, 0.0, False, 0.25, 0.3, 1.0, 0.5) == 1.0
    assert position_rate(-10.0, 10.0, 0.0, 0.0, False, 0.25, 0.3, 1.0, 0.5) == 0.3


GOOD = {"offsets": [0, 1, 2], "names": [0, 1], "shares": [1.0, -1.0], "cash": [0.0, 0.0], "broker": [0, 0],
        "n_names": 2}


@pytest.mark.parametrize(("field", "bad"), [
    ("offsets", [1, 1, 2]), ("offsets", [0, 2, 1]), ("offsets", [0, 1, 3]), ("names", [0, 2]), ("names", [-1, 0]),
    ("shares", [np.nan, 1.0]), ("shares", [1.0, np.inf]), ("cash", [0.0, -np.inf]), ("broker", [0, -1]),
    ("n_names", 0)])
def test_bad_book_fields_raise_one_line_naming_the_field(field, bad):
    with pytest.raises(InputError, match=f"^{field}: must be") as err:
        SparseBook(**{k: np.asarray(v) if k != "n_names" else v for k, v in {**GOOD, field: bad}.items()})
    assert err.value.field == field and err.value.allowed and "\n" not in str(err.value)


@pytest.mark.parametrize(("col", "value", "name"), [(0, 0.2, "house_long"), (1, 0.29, "house_short"),
                                                    (2, 1.1, "concentration_share"), (3, -0.1, "add_on"),
                                                    (SPARSE_RULE_TARGET, 0.9, "target")])
def test_bad_rules_raise_naming_the_column(col, value, name):
    row = np.array([[0.25, 0.3, 0.5, 0.1, 1.0]])
    row[0, col] = value
    with pytest.raises(InputError, match=f"^rules.{name}: must be in"):
        SparseRules(row, np.zeros(2), np.zeros(2), np.ones(2, dtype=bool))
    assert row.shape[1] == N_SPARSE_RULES


def test_bad_pass_inputs_raise():
    book = SparseBook(**{k: np.asarray(v) if k != "n_names" else v for k, v in GOOD.items()})
    rules = SparseRules(np.array([[0.25, 0.3, 0.5, 0.1, 1.0]]), np.zeros(2), np.zeros(2), np.ones(2, dtype=bool))
    with pytest.raises(InputError, match=r"^prices: must be"):
        sparse_clearing.clearing_pass_sparse(book, np.array([1.0, 0.0]), rules)
    with pytest.raises(InputError, match=r"^rules\.name_long: must cover"):
        sparse_clearing.clearing_pass_sparse(book, np.ones(2), SparseRules(rules.broker, np.zeros(3), np.zeros(3),
                                                                           np.ones(3, dtype=bool)))
    far = SparseBook(book.offsets, book.names, book.shares, book.cash, np.array([0, 1]), 2)
    with pytest.raises(InputError, match=r"^broker: must be in \[0, 1\)"):
        sparse_clearing.clearing_pass_sparse(far, np.ones(2), rules)


def test_take_keeps_the_chosen_accounts_and_the_byte_count():
    rng = np.random.default_rng(3)
    book = random_sparse_book(rng, 50, 30, 2, rng.uniform(5, 50, 30))
    part = book.take(np.array([3, 7, 8]))
    assert part.n == 3 and part.positions == sum(book.offsets[i + 1] - book.offsets[i] for i in (3, 7, 8))
    np.testing.assert_array_equal(part.shares[part.account(1)], book.shares[book.account(7)])
    assert book.nbytes == 12 * book.positions + 20 * book.n + 8
