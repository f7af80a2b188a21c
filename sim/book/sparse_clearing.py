"""One clearing pass over a sparse book: mark, compare with the house requirement, sell the called down.

:func:`clearing_pass_sparse` checks and allocates; the private ``@kernel`` (:mod:`sim.core.jit`)
works on arrays only, draws no random numbers and walks the accounts in order. For each account
it marks the positions at ``prices``, takes equity (cash + net value), gross value and the house
requirement (:func:`sim.core.house.position_requirement`, the concentration add-on included)
and, for an account short of maintenance (:func:`sim.core.margin.in_deficit`), sells the same
fraction of every position, longs sold and shorts bought in pro rata
(:func:`sim.core.margin.liquidation_fraction`: selling a fraction f at the marked price leaves
equity and every position's share of gross unchanged, so the requirement, concentration add-on
included, scales by 1 - f and f = 1 - equity / (target x requirement) restores the target
exactly). Prices do not move inside the pass: that is the caller's round loop.

The common case reads each position once: the kernel marks an account (equity, gross value) and
tests it against bounds on its requirement, cheapest first. A position's rate is its name's base
rate for its sign (:func:`base_rates`), plus ``add_on`` when concentrated (a long's capped at 1),
so the requirement is at most the broker's highest base rate + ``add_on`` (:func:`top_rates`)
times gross, and at most the positions' base requirements + ``add_on`` x gross
(:func:`base_bound`). An account whose equity covers a bound cannot be short and skips the exact
requirement (unless every account's requirement is recorded). Each bound is multiplied by
:func:`rounding_slack` so that it holds for the sums as computed: the products |v| x rate are the
same in bound and requirement, a rate rounded from base + add_on is at most the top rate rounded
the same way (rounding is monotone), and k sequential additions of non-negative terms err by at
most (k - 1)u relative (u = 2^-53), so the computed requirement is at most (1 + (2k + 2)u) x the
computed bound (for k u < 0.01), below ``rounding_slack(k)`` = 1 + 4u(k + 2) x it. Passing a
bound means ``equity >= requirement``: not :func:`~sim.core.margin.in_deficit`, whatever its slack.

Sums run sequentially in account order, position by position, in the kernel and in the
plain-Python reference (:mod:`sim.book.sparse_reference`) alike, with the same formulas: the two
agree to rounding (tests use 1e-12 relative; in practice they are equal bit for bit, as numba
compiles without ``fastmath`` and so neither reorders nor fuses the additions).
"""

from __future__ import annotations

import numpy as np

from sim.book import sparse
from sim.book.sparse import (
    SPARSE_RULE_ADD_ON,
    SPARSE_RULE_CONCENTRATION_SHARE,
    SPARSE_RULE_HOUSE_LONG,
    SPARSE_RULE_HOUSE_SHORT,
    SPARSE_RULE_TARGET,
    SPARSE_STAT_BOUGHT_USD,
    SPARSE_STAT_CALLS,
    SPARSE_STAT_CLOSE_OUTS,
    SPARSE_STAT_LOSSES,
    SPARSE_STAT_SHORTFALL,
    SPARSE_STAT_SOLD_USD,
    SparseBook,
    SparseClearing,
    SparseRules,
    check_prices,
    empty_result,
    trim,
)
from sim.core import house, jit, margin
from sim.core.errors import InputError
from sim.core.house import concentrated_rate, position_rate
from sim.core.jit import jitable, kernel, prefetch
from sim.core.margin import in_deficit, liquidation_fraction


def check_pass_inputs(book: SparseBook, prices: np.ndarray, rules: SparseRules) -> np.ndarray:
    """Raise InputError unless ``prices`` and ``rules`` fit ``book``; return prices as float64.

    Parameters
    ----------
    book : SparseBook
        The accounts.
    prices : array of float, (M,)
        $ per share of each name: finite and > 0.
    rules : SparseRules
        Rules for M names and at least as many brokers as ``book.broker`` names.

    Returns
    -------
    ndarray
        ``prices`` as C-contiguous float64.
    """
    m = book.n_names
    p = check_prices(book, prices)
    if rules.n_names != m:
        raise InputError(f"rules.name_long: must cover the book's {m} names, got {rules.n_names}",
                         field="rules.name_long", allowed=f"shape ({m},)")
    if book.max_broker >= rules.n_brokers:
        raise InputError(f"broker: must be in [0, {rules.n_brokers}) (rows of rules.broker), got {book.max_broker}",
                         field="broker", allowed=f"[0, {rules.n_brokers})")
    return p


def clearing_pass_sparse(book: SparseBook, prices: np.ndarray, rules: SparseRules, per_account: bool = False,
                         reach: np.ndarray | None = None, drift: float = 1.0) -> SparseClearing:
    """One clearing pass over a sparse book at fixed prices: who is short of maintenance and what is sold.

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed: the sales are returned, not applied).
    prices : array of float, (M,)
        $ per share of each name.
    rules : SparseRules
        The brokers' house rules and each name's requirements.
    per_account : bool
        Also record every account's equity, requirement and gross value ((N,) $ each).
    reach : array of float, (N,), optional
        For a loop of passes as prices move (:mod:`sim.book.sparse_cascade`): an account whose
        reach is above ``drift`` is skipped (it cannot be short: see there), and every account
        looked at gets its reach, updated in place (0 for one called). All zeros: look at all.
    drift : float
        The product, over the passes since the first that filled ``reach``, of 1 + the largest
        relative move of any price between one pass and the next (1 at the first; >= 1).

    Returns
    -------
    SparseClearing
        Per-name forced sales, the called accounts with their fraction sold, counters.
    """
    p = check_pass_inputs(book, prices, rules)
    if reach is None:
        reach = np.empty(0)
    elif per_account or not (isinstance(reach, np.ndarray) and reach.dtype == np.float64 and reach.shape == (book.n,)
                             and reach.flags.c_contiguous):
        raise InputError(f"reach: must be a C-contiguous float64 array of shape ({book.n},), without per_account",
                         field="reach", allowed=f"float64 ({book.n},)")
    if not (np.isfinite(drift) and drift >= 1.0):
        raise InputError(f"drift: must be finite and >= 1, got {drift}", field="drift", allowed="finite >= 1")
    out = empty_result(book.n, book.n_names, per_account)
    _pass_kernel(book.offsets, book.names, book.shares, book.cash, book.broker, p, rules.broker, rules.name_long,
                 rules.name_short, rules.marginable, out.sold_shares, out.sold_usd, out.bought_usd, out.called,
                 out.fraction, out.account_sold_usd, out.account_bought_usd, out.equity, out.requirement, out.gross,
                 out.stats, reach, float(drift), False)
    return trim(out)


@jitable
def base_rates(rules, name_long, name_short, marginable):
    """Each broker's rate on a long and on a short in each name, before any concentration add-on.

    From :func:`sim.core.house.position_rate` itself (a $1 position, add-on 0): (B, M) float64
    for longs and for shorts, ``rules`` and the per-name arrays as in :class:`SparseRules`.
    """
    n_brokers, m = rules.shape[0], name_long.shape[0]
    longs, shorts = np.empty((n_brokers, m)), np.empty((n_brokers, m))
    for b in range(n_brokers):
        for j in range(m):
            longs[b, j] = position_rate(1.0, 1.0, name_long[j], name_short[j], marginable[j],
                                        rules[b, SPARSE_RULE_HOUSE_LONG], rules[b, SPARSE_RULE_HOUSE_SHORT], 1.0, 0.0)
            shorts[b, j] = position_rate(-1.0, 1.0, name_long[j], name_short[j], marginable[j],
                                         rules[b, SPARSE_RULE_HOUSE_LONG], rules[b, SPARSE_RULE_HOUSE_SHORT], 1.0,
                                         0.0)
    return longs, shorts


ROUNDING = 4.0 * 2.0**-53
"""Four units of rounding (u = 2^-53): :func:`rounding_slack` allows ``ROUNDING`` per position."""

REACH_ALLOWANCE = 1e-7
"""Relative allowance for rounding in :func:`reach_after` (as :func:`sim.core.margin.within_reach`'s)."""


PREFETCH_AHEAD = 512
"""Positions ahead (4 KiB of shares) whose shares and names the pass asks the CPU for
(:func:`sim.core.jit.prefetch`; 256 to 1024 measured alike on this machine, 2026-12-02)."""

TIGHT_MOVE = 0.02
"""Largest price move (a fraction) for which :func:`exact_requirement`'s tight bound holds."""
TIGHT_WIDEN = 1.05
"""A position within this factor of the concentration threshold is charged the add-on in the tight
bound: > (1 + TIGHT_MOVE) / (1 - TIGHT_MOVE) = 1.041, how much a move of TIGHT_MOVE can bring a
position closer to the threshold (its value up, the account's gross value down)."""


@jitable
def top_rates(base_long, base_short, rules):
    """Each broker's highest rate on any position, (B,): the highest base rate of any name and sign + add_on.

    Also, (B,) bool, whether the broker's base rates differ between names or signs (else the
    positions' base requirements add up to the same bound, and :func:`base_bound` is not tried).
    """
    top, varied = np.empty(rules.shape[0]), np.zeros(rules.shape[0], dtype=np.bool_)
    for b in range(rules.shape[0]):
        highest, lowest = 0.0, np.inf
        for j in range(base_long.shape[1]):
            highest = max(highest, base_long[b, j], base_short[b, j])
            lowest = min(lowest, base_long[b, j], base_short[b, j])
        top[b] = highest + rules[b, SPARSE_RULE_ADD_ON]
        varied[b] = highest > lowest
    return top, varied


@jitable(inline="always")
def rounding_slack(k):
    """1 + 4u(k + 2): a bound on the requirement of ``k`` positions x this holds for the computed sums."""
    return 1.0 + ROUNDING * (k + 2)


@jitable(inline="always")
def base_bound(lo, hi, names, shares, prices, rate_long, rate_short, add_on, gross):
    """Positions ``lo:hi``' requirements before any concentration add-on, + ``add_on`` x ``gross``, $.

    ``rate_long``, ``rate_short``: one broker's rows of :func:`base_rates`. max(v x long rate,
    -v x short rate) is |v| x the rate of v's sign, bit for bit (rates >= 0: the other term is <= 0,
    and negation is exact), without a branch on the sign.
    """
    base = 0.0
    for q in range(lo, hi):
        j = names[q]
        v = shares[q] * prices[j]
        base += max(v * rate_long[j], -v * rate_short[j])
    return base + add_on * gross


@jitable(inline="always")
def exact_requirement(lo, hi, names, shares, prices, rate_long, rate_short, gross, share, add_on):
    """The house requirement on positions ``lo:hi``, $: :func:`sim.core.house.position_requirement`'s sum.

    Each position's rate before the add-on comes from one broker's rows of :func:`base_rates`
    (``rate_long``, ``rate_short``: :func:`~sim.core.house.position_rate`'s own values), then
    :func:`~sim.core.house.concentrated_rate`, the rule's second half: the same rate, bit for bit,
    as the reference's :func:`~sim.core.house.position_requirement`, times |v|, summed in order.

    Also returns a tight bound for :func:`reach_after`: the base requirements plus the add-on on
    each position above 1 / :data:`TIGHT_WIDEN` of the threshold. Under price moves of at most
    :data:`TIGHT_MOVE` no other position becomes concentrated (its value grows by 1.02 at most, the
    gross value falls by 0.98 at most: 1.02 / 1.05 < 0.98, with room for rounding), so the
    requirement stays below it x (1 + move).
    """
    required = 0.0
    tight = 0.0
    for q in range(lo, hi):
        j = names[q]
        v = shares[q] * prices[j]
        size = abs(v)
        rate = rate_long[j] if v >= 0.0 else rate_short[j]
        required += size * concentrated_rate(v, gross, rate, share, add_on)
        tight += size * (rate + (add_on if TIGHT_WIDEN * size > share * gross else 0.0))
    return required, tight


@jitable(inline="always")
def reach_after(drift, equity, cash, gross, bound, k, cap):
    """The drift below which an account of ``k`` positions, clear of ``bound`` now, stays clear.

    ``bound`` (>= the account's requirement at any prices, scaled by how far prices moved: see
    :mod:`sim.book.sparse_cascade`) and ``equity``, ``cash``, ``gross`` ($) at the prices of
    ``drift``. Returns ``drift`` x (1 + m), m = (equity - bound - allowance) / (gross + bound)
    capped at ``cap`` (the largest move for which ``bound`` holds), or 0 (look again next time)
    when equity does not clear the bound by the allowance.
    """
    margin_left = equity - bound - (REACH_ALLOWANCE + 1e-14 * k) * (abs(cash) + gross + bound)
    if margin_left < 0.0:
        return 0.0
    exposure = gross + bound
    move = min(cap, margin_left / exposure) if exposure > 0.0 else cap
    return drift * (1.0 + move)


@jitable(inline="always")
def sell_pro_rata(i, lo, hi, f, names, shares, cash, prices, sold_shares, sold_usd, bought_usd, apply):
    """Sell ``f`` of every position ``lo:hi`` of account ``i`` (shorts bought in) at ``prices``, added to the
    per-name sums; with ``apply``, in the book too: each position shrinks by the shares traded and
    their $ (the same products) go to ``cash[i]``, position after position.

    Arrays as in :func:`clearing_pass_sparse` and :class:`SparseClearing`. Returns ($ of longs
    sold, $ of shorts bought in) for the account.
    """
    sold = 0.0
    bought = 0.0
    for q in range(lo, hi):
        j = names[q]
        traded = f * shares[q]
        usd = traded * prices[j]
        sold_shares[j] += traded
        if traded > 0.0:
            sold_usd[j] += usd
            sold += usd
        elif traded < 0.0:
            bought_usd[j] -= usd
            bought -= usd
        if apply:
            cash[i] += usd
            shares[q] -= traded
    return sold, bought


@jitable(inline="always")
def write_off(i, f, equity, cash):
    """Close-out: an account sold out entirely (``f`` = 1) with ``equity`` <= 0 ($, at the pass's prices,
    before its sale) has its cash set to 0, its broker taking the loss; else nothing changes."""
    if f == 1.0 and equity <= 0.0:
        cash[i] = 0.0


@jitable(inline="always")
def count_call(stats, sold, bought, shortfall, equity):
    """Add one account sold down (``sold``, ``bought`` $; ``shortfall`` $ short of its requirement or target;
    ``equity`` $ before the sale) to a pass's ``SPARSE_STAT_*`` counters: the margin pass and the
    leverage-targeting pass (:mod:`sim.book.sparse_targeting`) both count with it."""
    stats[SPARSE_STAT_CALLS] += 1.0
    stats[SPARSE_STAT_SOLD_USD] += sold
    stats[SPARSE_STAT_BOUGHT_USD] += bought
    stats[SPARSE_STAT_SHORTFALL] += shortfall
    if equity <= 0.0:
        stats[SPARSE_STAT_CLOSE_OUTS] += 1.0
        stats[SPARSE_STAT_LOSSES] -= equity


@jitable(inline="always")
def note_call(k, i, f, sold, bought, equity, required, called, fraction, account_sold, account_bought, stats):
    """Record account ``i``, the ``k``-th called, sold down by ``f`` (``sold``, ``bought`` $), in the pass's outputs."""
    called[k] = i
    fraction[k] = f
    account_sold[k] = sold
    account_bought[k] = bought
    count_call(stats, sold, bought, required - equity, equity)


# One loop over accounts: each is marked in one short loop over its positions (value, gross), then
# tested against the bounds of the module docstring, cheapest first; only an account that fails both
# walks its positions again (in cache by then) for the exact requirement, and only a called one is
# sold (sell_pro_rata). With ``reach`` given ((N,), the cascade), an account whose reach is above
# ``drift`` is not looked at, and each account looked at gets its new reach (reach_after; 0 when
# called). The skips change no result: the reference, which never skips, agrees. With ``apply`` (the
# cascade) the sales are made in the book as they are found (each account reads only its own positions).
# Unsigned views of the (checked, non-negative) indices: numba then skips its test for negative
# indices (wrap-around) in the marking loop, some 30% of its time.
# The shares and names PREFETCH_AHEAD positions on are prefetched: without it a pass over a book
# larger than the caches ran at some 60% of the memory's read bandwidth, waiting on the hardware
# prefetchers; with it, at some 80% (marking two adjacent accounts of as many positions in one loop,
# their sums in two independent chains, was tried too and gained nothing once prefetching).
@kernel(house, margin, sparse, jit)
def _pass_kernel(offsets, names, shares, cash, broker, prices, rules, name_long, name_short, marginable,
                 sold_shares, sold_usd, bought_usd, called, fraction, account_sold, account_bought,
                 equity_out, requirement_out, gross_out, stats, reach, drift, apply):  # pragma: no cover - jitted
    record, track = equity_out.shape[0] > 0, reach.shape[0] > 0
    base_long, base_short = base_rates(rules, name_long, name_short, marginable)
    top, varied = top_rates(base_long, base_short, rules)
    uoffsets, unames, ubroker = offsets.view(np.uint64), names.view(np.uint32), broker.view(np.uint32)
    n_called = 0
    for i in range(cash.shape[0]):
        if track and drift < reach[i]:
            continue
        prefetch(shares, offsets[i] + PREFETCH_AHEAD)
        prefetch(names, offsets[i] + PREFETCH_AHEAD)
        value = 0.0
        gross = 0.0
        for q in range(uoffsets[i], uoffsets[i + 1]):
            v = shares[q] * prices[unames[q]]
            value += v
            gross += abs(v)
        equity = cash[i] + value
        lo = offsets[i]
        hi = offsets[i + 1]
        b = ubroker[i]
        add_on = rules[b, SPARSE_RULE_ADD_ON]
        slack = rounding_slack(hi - lo)
        bound = top[b] * gross * slack
        if not record:
            if equity < bound and varied[b]:
                bound = base_bound(lo, hi, names, shares, prices, base_long[b], base_short[b], add_on, gross) * slack
            if equity >= bound:
                if track:
                    reach[i] = reach_after(drift, equity, cash[i], gross, bound, hi - lo, 1.0)
                continue
        required, tight = exact_requirement(lo, hi, names, shares, prices, base_long[b], base_short[b], gross,
                                     rules[b, SPARSE_RULE_CONCENTRATION_SHARE], add_on)
        if record:
            equity_out[i] = equity
            requirement_out[i] = required
            gross_out[i] = gross
        if not in_deficit(equity, required):
            if track:
                reach[i] = reach_after(drift, equity, cash[i], gross, tight * slack, hi - lo, TIGHT_MOVE)
            continue
        f = liquidation_fraction(equity, rules[b, SPARSE_RULE_TARGET] * required)
        sold, bought = sell_pro_rata(i, lo, hi, f, names, shares, cash, prices, sold_shares, sold_usd, bought_usd,
                                     apply)
        if apply:
            write_off(i, f, equity, cash)  # closed out: the broker writes off the negative equity
        if track:
            reach[i] = 0.0
        note_call(n_called, i, f, sold, bought, equity, required, called, fraction, account_sold, account_bought,
                  stats)
        n_called += 1
