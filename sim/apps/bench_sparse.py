"""``marginsim bench``, the sparse book: one clearing pass over accounts holding a few of many names.

Measured as in :mod:`sim.apps.bench`: against the STREAM read-only bandwidth measured in the same
run, as a ratio (the bytes the pass must read / that bandwidth = the floor; floor / time = the
share of it reached), after checking the kernel against the plain-Python reference
(:class:`~sim.apps.bench.BenchmarkMismatch` otherwise). The target is issue 15's: a pass over
10^7 accounts with ~8 positions each at >= 60% of the floor.

The benchmark books are stored in the layout's recommended order, accounts grouped by position
count (:meth:`sim.book.sparse.SparseBook.grouped`; each result says so under ``layout``): a pass
over the same accounts in draw order runs slower, its loop over positions ending at another
count account after account (measured with the sparse-perf helper on this machine, under load, at
10^6 accounts, 2026-12-01, before the kernel prefetched: a pass took 1.42-1.55 ns per position
grouped vs 2.88-3.66 in draw order).

The sparse cascade (:func:`sparse_cascade_bench`) is measured against the one-asset cascade of
:func:`sim.apps.bench.cascade` at the same number of accounts in the same run, as a ratio of
times; issue 15's target is a cascade at 10^7 accounts within 10x the one-asset cascade.
"""

from __future__ import annotations

import numpy as np

from sim.apps.bench import cascade, same_as_reference, summary_times, time_calls
from sim.book import sparse_cascade_reference, sparse_reference
from sim.book.sparse import SparseBook, SparseRules
from sim.book.sparse_cascade import (
    CASCADE_STAT_CALLS,
    CASCADE_STAT_CLOSE_OUTS,
    CASCADE_STAT_SOLD_USD,
    CascadeImpact,
    cascade_sparse,
    linear_impact,
)
from sim.book.sparse_clearing import clearing_pass_sparse

N_NAMES = 5000
"""Names in the benchmark's market (assumption: about the number of US-listed common stocks)."""
RULES = np.array([[0.30, 0.30, 0.25, 0.10, 1.10]])
"""One broker (assumptions): 30% house floor on longs and shorts, +10% on a position above 25% of its
account's gross value, forced sales restore 110% of maintenance."""
CHECKED_ACCOUNTS = 2000
"""Accounts the reference checks before the kernel is timed (the reference is plain Python)."""
LAYOUT = "grouped by position count"
"""The benchmark books' order of accounts (:meth:`sim.book.sparse.SparseBook.grouped`)."""


def sparse_book(n: int, rng: np.random.Generator, positions: int = 8, n_names: int = N_NAMES,
                chunk: int = 1_000_000, lev_low: float = 1.0, lev_high: float = 2.0) -> tuple[SparseBook, np.ndarray]:
    """n long-only accounts of positions / 2 to 3 positions / 2 names (mean ``positions``), leverage
    uniform in [lev_low, lev_high] (default 1 to 2).

    Names are drawn with weights 1 / rank (a Zipf-like popularity: an assumption), independently
    per position (an account may hold a name twice; the pass does not care). At $10 to $200 a
    share and leverage at most 2 (equity >= half of gross) against at most 40% requirements,
    nobody is short of maintenance at the default leverage: the pass only reads. Built ``chunk`` accounts at a time so
    that 10^7 accounts need no temporaries of the book's size. The position counts are sorted before the
    accounts are drawn, so the book comes grouped by count (:data:`LAYOUT`) without a copy to reorder.

    Parameters
    ----------
    n : int
        Accounts.
    rng : numpy.random.Generator
        Draws counts, names, shares, leverages and prices.
    positions : int
        Mean positions per account (counts uniform in [positions / 2, 3 positions / 2]).
    n_names : int
        Names in the market (default :data:`N_NAMES`).
    chunk : int
        Accounts drawn at a time.
    lev_low, lev_high : float
        Range of the accounts' leverage (gross / equity), drawn uniform.

    Returns
    -------
    tuple
        (the :class:`~sim.book.sparse.SparseBook`, the prices: (n_names,) $ per share).
    """
    prices = rng.uniform(10.0, 200.0, n_names)
    cdf = np.cumsum(1.0 / np.arange(1, n_names + 1))
    counts = np.sort(rng.integers(positions // 2, 3 * positions // 2 + 1, n))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    p = int(offsets[-1])
    names, shares, cash = np.empty(p, dtype=np.int32), np.empty(p), np.empty(n)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        a, b = offsets[lo], offsets[hi]
        draw = np.searchsorted(cdf, rng.random(b - a) * cdf[-1], side="right")
        names[a:b] = np.minimum(draw, n_names - 1)
        weight = rng.random(b - a) + 0.1
        owner = np.repeat(np.arange(hi - lo), counts[lo:hi])
        total = np.bincount(owner, weight, hi - lo)
        equity = rng.lognormal(0.0, 1.0, hi - lo)
        gross = rng.uniform(lev_low, lev_high, hi - lo) * equity
        shares[a:b] = (gross / total)[owner] * weight / prices[names[a:b]]
        cash[lo:hi] = equity - gross
    book = SparseBook(offsets, names, shares, cash, np.zeros(n, dtype=np.int32), n_names)
    return book, prices


def sparse_rules(n_names: int = N_NAMES) -> SparseRules:
    """The benchmark's rules: :data:`RULES`, every name marginable, no name above the house floor."""
    return SparseRules(RULES, np.zeros(n_names), np.zeros(n_names), np.ones(n_names, dtype=bool))


def spread(book: SparseBook, k: int) -> SparseBook:
    """``k`` accounts of ``book`` evenly spread over it (in order): every group of position counts is checked."""
    return book.take(np.unique(np.linspace(0, book.n - 1, min(k, book.n)).astype(np.int64)))


def check_against_reference(book: SparseBook, prices: np.ndarray, rules: SparseRules) -> None:
    """Raise BenchmarkMismatch unless kernel and reference agree on accounts spread over the book, at
    the benchmark's prices and 30% lower (where accounts are called and sold down).

    Parameters
    ----------
    book : SparseBook
        The benchmark book (:data:`CHECKED_ACCOUNTS` of its accounts, spread over it, are checked).
    prices : ndarray, (M,)
        The benchmark's prices.
    rules : SparseRules
        The benchmark's rules.
    """
    part = spread(book, CHECKED_ACCOUNTS)
    for marked in (prices, 0.7 * prices):
        k = clearing_pass_sparse(part, marked, rules, per_account=True)
        r = sparse_reference.clearing_pass_sparse(part, marked, rules, per_account=True)
        same_as_reference(k, r, 1e-12, "sparse kernel",
                          ("sold_usd", "bought_usd", "fraction", "equity", "requirement", "stats"))


def sparse_pass(n: int, reps: int, rng: np.random.Generator, stream: dict, positions: int = 8) -> dict:
    """One sparse clearing pass over ``n`` accounts of ~``positions`` names (nobody called), per position.

    Parameters
    ----------
    n : int
        Accounts.
    reps : int
        Timed repetitions (the minimum is the figure).
    rng : numpy.random.Generator
        Draws the book.
    stream : dict
        :func:`sim.apps.bench.stream_bandwidth` of the same run (its ``read_only_bytes_per_s``).
    positions : int
        Mean positions per account.

    Returns
    -------
    dict
        Sizes, times, ns and bytes read per position, the read-only floor and the share of it reached.
    """
    book, prices = sparse_book(n, rng, positions)
    rules = sparse_rules(book.n_names)
    check_against_reference(book, prices, rules)
    out = clearing_pass_sparse(book, prices, rules)  # compiles, and the pass the timings repeat
    times = time_calls(lambda: clearing_pass_sparse(book, prices, rules), reps)
    p = book.positions
    bytes_per_position = book.nbytes / p
    floor_ns = 1e9 * bytes_per_position / stream["read_only_bytes_per_s"]
    kernel = summary_times(times, p)
    ns = kernel.pop("min_ns_per_account"), kernel.pop("median_ns_per_account")
    return {"accounts": n, "positions": p, "names": book.n_names, "layout": LAYOUT, "called": out.n_called,
            "kernel": kernel,
            "min_ns_per_position": ns[0], "median_ns_per_position": ns[1],
            "bytes_per_position": bytes_per_position, "read_only_floor_ns_per_position": floor_ns,
            "share_of_read_only_floor": floor_ns / ns[0]}


def measure_sparse(quick: bool, stream: dict, sizes: list[int] | None = None) -> list[dict]:
    """Sparse passes at ``sizes`` accounts (default 10^5 with ``quick``, else 10^6 and 10^7), ~8 positions each.

    Parameters
    ----------
    quick : bool
        Small and few repetitions (a smoke test).
    stream : dict
        :func:`sim.apps.bench.stream_bandwidth` of the same run.
    sizes : list of int, optional
        Accounts per pass, overriding the default.

    Returns
    -------
    list of dict
        One :func:`sparse_pass` per size.
    """
    rng = np.random.default_rng(20261124)
    sizes = sizes or ([10**5] if quick else [10**6, 10**7])
    return [sparse_pass(n, 3 if quick else 7, rng, stream) for n in sizes]


GAP = 0.12
"""The cascade benchmark's initial shock: every price gaps down 12% (as :func:`sim.apps.bench.cascade`)."""
CASCADE_LEVERAGE = (1.2, 3.3)
"""Leverage of the cascade benchmark's accounts, uniform (as the one-asset cascade's book)."""
MAX_ROUNDS = 1000
"""Most rounds of either cascade (as the one-asset cascade)."""
CHECKED_CASCADE_ACCOUNTS = 1000
"""Accounts the reference cascade checks before the kernel is timed."""


def cascade_impact(book: SparseBook, prices: np.ndarray) -> CascadeImpact:
    """Linear impact as the one-asset cascade's: selling 10% of the book's holding of a name moves it 5%."""
    held = np.bincount(book.names, book.shares * prices[book.names], book.n_names)
    return linear_impact(np.divide(0.5, held, out=np.zeros(book.n_names), where=held > 0.0))


def check_cascade_against_reference(book: SparseBook, prices: np.ndarray, rules: SparseRules) -> None:
    """Raise BenchmarkMismatch unless kernel and reference cascades agree on accounts spread over the
    book (impact scaled to their holdings, so that they cascade too).

    Parameters
    ----------
    book : SparseBook
        The benchmark book (``CHECKED_CASCADE_ACCOUNTS`` of its accounts, spread over it, are checked).
    prices : ndarray, (M,)
        The benchmark's prices before the gap (the cascade starts ``GAP`` lower).
    rules : SparseRules
        The benchmark's rules.
    """
    part = spread(book, CHECKED_CASCADE_ACCOUNTS)
    impact, shocked = cascade_impact(part, prices), (1.0 - GAP) * prices
    k = cascade_sparse(part, shocked, rules, impact, MAX_ROUNDS)
    r = sparse_cascade_reference.cascade_sparse(part, shocked, rules, impact, MAX_ROUNDS)
    same_as_reference(k, r, 1e-12, "sparse cascade", ("prices", "shares", "cash", "sold_usd", "per_round", "stats"))


def sparse_cascade_bench(n: int, reps: int, rng: np.random.Generator, dense: dict | None = None,
                         positions: int = 8) -> dict:
    """A cascade after a 12% gap on ``n`` accounts of ~``positions`` names, against the one-asset cascade.

    Parameters
    ----------
    n : int
        Accounts.
    reps : int
        Timed repetitions (the minimum is the figure).
    rng : numpy.random.Generator
        Draws the book (and the one-asset book when ``dense`` is not given).
    dense : dict, optional
        :func:`sim.apps.bench.cascade` at ``n`` accounts measured in the same run; measured here if None.
    positions : int
        Mean positions per account.

    Returns
    -------
    dict
        Sizes, rounds, calls, the value-weighted price fall, times, and ``vs_one_asset``: the
        sparse cascade's best time / the one-asset cascade's.
    """
    book, prices = sparse_book(n, rng, positions, lev_low=CASCADE_LEVERAGE[0], lev_high=CASCADE_LEVERAGE[1])
    rules = sparse_rules(book.n_names)
    shocked = (1.0 - GAP) * prices
    check_cascade_against_reference(book, prices, rules)
    impact = cascade_impact(book, prices)
    out = cascade_sparse(book, shocked, rules, impact, MAX_ROUNDS)  # compiles, and the cascade the timings repeat
    times = time_calls(lambda: cascade_sparse(book, shocked, rules, impact, MAX_ROUNDS), reps)
    dense = dense if dense is not None and dense["accounts"] == n else cascade(n, reps, rng)
    held = np.bincount(book.names, book.shares * prices[book.names], book.n_names)
    fall = 1.0 - float(held @ (out.prices / prices)) / float(held.sum())
    return {"accounts": n, "positions": book.positions, "names": book.n_names, "layout": LAYOUT, "rounds": out.rounds,
            "converged": out.converged, "calls": int(out.stats[CASCADE_STAT_CALLS]),
            "close_outs": int(out.stats[CASCADE_STAT_CLOSE_OUTS]), "sold_usd": float(out.stats[CASCADE_STAT_SOLD_USD]),
            "price_fall": fall, **summary_times(times), "one_asset": dense, "vs_one_asset": min(times) / dense["min_s"]}


def measure_sparse_cascade(quick: bool, dense: list[dict] | None = None, sizes: list[int] | None = None) -> list[dict]:
    """Sparse cascades at ``sizes`` accounts (default 10^5 with ``quick``, else 10^6 and 10^7).

    Parameters
    ----------
    quick : bool
        Small and few repetitions (a smoke test).
    dense : list of dict, optional
        The one-asset cascades of the same run (:func:`sim.apps.bench.cascade`); a size they miss is measured here.
    sizes : list of int, optional
        Accounts per cascade, overriding the default.

    Returns
    -------
    list of dict
        One :func:`sparse_cascade_bench` per size.
    """
    rng = np.random.default_rng(20261125)
    by_n = {d["accounts"]: d for d in dense or []}
    sizes = sizes or ([10**5] if quick else [10**6, 10**7])
    return [sparse_cascade_bench(n, 3 if quick else 7, rng, by_n.get(n)) for n in sizes]
