"""The multi-name fire-sale cascade on a sparse book: clearing passes and price impact to a fixed point.

Each round runs one clearing pass at the round's prices (the pass kernel of
:mod:`sim.book.sparse_clearing` itself: one rule, one place), applies its sales to a copy of
the book (every position of a called account shrinks by the pass's fraction; the proceeds, at
the round's prices, go to cash; a closed-out account's negative equity is written off by its
broker, so its cash is set to 0), adds each name's net forced flow to its cumulative flow and
moves every price by its impact from the post-shock price it started at:

    P_j = P0_j x exp(I_j(Q_j)),   Q_j = -(cumulative $ sold - cumulative $ bought in) in name j,

with I_j either linear, I_j(Q) = coef_j x Q (dP/P = -coef_j x $ sold for small moves; the
exponential keeps prices positive), or the square-root law of :func:`sim.core.stock_impact.stock_log_impact`
(per-name daily volatility, ADV and depth thinning), both within the price limit of
:mod:`sim.core.impact`. Rounds repeat until a pass calls nobody (converged) or ``max_rounds``.
Impact acts on the cumulative flow, as in the one-asset cascade (:func:`sim.book.clearing.clear`),
so the square-root law is concave in the whole fire sale, not in each round's slice of it.

Skipping accounts out of reach: a round's pass looks only at accounts that could be short at the
round's prices. Each account looked at and not called gets a reach (``reach_after`` in
:mod:`sim.book.sparse_clearing`); the cascade keeps the drift W, the product over rounds of
(1 + d), d the round's largest relative price move (``CASCADE_ROUND_MAX_MOVE``), and a pass
skips an account while W < its reach. Proof that a skipped account is not short (so it would
not be called, and the reference, which looks at every account each round, agrees): the
account's shares and cash are as when it was looked at (only calls change them, and a called
account gets reach 0), at prices P, with equity E, gross G and a bound B on its requirement:
B >= sum |v_q| (r_q + a c_q) (r_q its name's base rate for the position's sign, a the add-on,
c_q = 1 for every position that may be concentrated after a move of up to m_B; each position's
rate is at most r_q + a when concentrated, r_q when not). Two bounds serve: the pass's bounds
(every c_q = 1, m_B = 1), and for an account whose requirement was computed exactly, the tight
bound of ``exact_requirement`` (c_q = 1 only within a factor 1.05 of the threshold, m_B = 0.02).
Since then every price moved by a factor in
[prod(1 - d), prod(1 + d)], so |P'/P - 1| <= prod(1 + d) - 1 = W'/W - 1 =: m (as
prod(1 - d) + prod(1 + d) >= 2). At P' each |v'_q| <= (1 + m)|v_q|, so equity
E' >= E - m G and requirement' <= sum |v'_q| (r_q + a) <= (1 + m) B; not short while
E - m G >= (1 + m) B, i.e. m <= (E - B) / (G + B). ``reach_after`` takes
m* = (E - B - allowance) / (G + B), capped at m_B, and the reach W (1 + m*): W' < reach means
m < m*. The allowance, (1e-7 + 1e-14 k)(|cash| + G + B) for k positions, covers rounding many
times over: sums of k terms err by at most k u (u = 2^-53) relative to their absolute sum, the
products and quotients by u each, and the drift, over at most 10^6 rounds, by some 4 10^6 u
relative, all below 1e-9 (|cash| + G + B) with m <= 1. An account with no positions has
m* = 1 while its cash is >= the allowance, and never moves.

Money: a round's sales change no account's cash + shares x price at the round's prices (each
share sold brings its price in cash); only the write-offs of closed-out accounts change the
book's wealth, by exactly the brokers' losses. Sums run sequentially in account order (names
in index order); the plain-Python reference (:mod:`sim.book.sparse_cascade_reference`) does the
same arithmetic in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.book import sparse, sparse_clearing
from sim.book.sparse import N_SPARSE_STATS, SPARSE_STAT_CALLS, SparseBook, SparseRules
from sim.book.sparse_clearing import _pass_kernel, check_pass_inputs
from sim.core import detmath, house, jit, margin, stock_impact
from sim.core import impact as impact_laws  # the module; ``impact`` in cascade_sparse is the spec
from sim.core.errors import InputError
from sim.core.impact import LINEAR, SQRT, log_impact
from sim.core.jit import jitable, kernel
from sim.core.stock_impact import DEFAULT_Y, stock_log_impact

# columns of SparseCascade.per_round: the pass's SPARSE_STAT_* counters of the round, then the price move
CASCADE_ROUND_CALLS = sparse.SPARSE_STAT_CALLS
"""Accounts called in the round (count)."""
CASCADE_ROUND_CLOSE_OUTS = sparse.SPARSE_STAT_CLOSE_OUTS
"""Accounts closed out in the round (count)."""
CASCADE_ROUND_SOLD_USD = sparse.SPARSE_STAT_SOLD_USD
"""$ of longs sold in the round, at the round's prices."""
CASCADE_ROUND_BOUGHT_USD = sparse.SPARSE_STAT_BOUGHT_USD
"""$ of shorts bought in in the round, at the round's prices."""
CASCADE_ROUND_LOSSES = sparse.SPARSE_STAT_LOSSES
"""$ of negative equity written off by the brokers in the round."""
CASCADE_ROUND_SHORTFALL = sparse.SPARSE_STAT_SHORTFALL
"""$ by which the round's called accounts fell short of maintenance."""
CASCADE_ROUND_MAX_MOVE = N_SPARSE_STATS
"""Largest relative price move |P_new / P_old - 1| over names after the round's sales (0 in a round with none)."""
N_CASCADE_ROUND_STATS = N_SPARSE_STATS + 1

# counters of the whole cascade: SparseCascade.stats, (N_CASCADE_STATS,) float64
CASCADE_STAT_ROUNDS = 0
"""Clearing passes run (the last finds nobody when the cascade converged)."""
CASCADE_STAT_CALLS = 1
"""Calls summed over rounds (an account called in two rounds counts twice)."""
CASCADE_STAT_CLOSE_OUTS = 2
"""Accounts closed out (count)."""
CASCADE_STAT_SOLD_USD = 3
"""$ of longs sold, each round at its prices."""
CASCADE_STAT_BOUGHT_USD = 4
"""$ of shorts bought in, each round at its prices."""
CASCADE_STAT_LOSSES = 5
"""$ written off by the brokers on closed-out accounts."""
CASCADE_STAT_CONVERGED = 6
"""1 when a pass called nobody before ``max_rounds`` ran out, else 0."""
N_CASCADE_STATS = 7


@dataclass(frozen=True)
class CascadeImpact:
    """How forced flow moves each name's price; build it with :func:`linear_impact` or :func:`sqrt_impact`.

    ``model`` is :data:`sim.core.impact.LINEAR` (``coef`` used) or :data:`~sim.core.impact.SQRT`
    (``y``, ``sigma_daily``, ``adv_usd``, ``thinning`` used); the unused arrays are placeholders
    of the same length.
    """

    model: int
    coef: np.ndarray
    y: float
    sigma_daily: np.ndarray
    adv_usd: np.ndarray
    thinning: np.ndarray

    @property
    def n_names(self) -> int:
        """Number of names covered."""
        return self.coef.shape[0]


def _vector(field: str, arr, low: float, strict: bool, m: int | None = None) -> np.ndarray:
    out = np.ascontiguousarray(arr, dtype=np.float64)
    allowed = f"finite float64 {'>' if strict else '>='} {low:g}, 1-D" + (f" of length {m}" if m else "")
    if out.ndim != 1 or (m is not None and out.shape[0] != m) or not np.isfinite(out).all() or \
            not np.all(out > low if strict else out >= low):
        raise InputError(f"impact.{field}: must be {allowed}", field=f"impact.{field}", allowed=allowed)
    return out


def linear_impact(coef) -> CascadeImpact:
    """Linear impact per name: log P_j moves by coef_j x its net $ flow, so dP/P = -coef_j x $ sold.

    Parameters
    ----------
    coef : array of float, (M,)
        Log-price move per $ of net buying in each name (>= 0; 0 = the name does not move).

    Returns
    -------
    CascadeImpact
        The spec for :func:`cascade_sparse`.
    """
    c = _vector("coef", coef, 0.0, False)
    ones = np.ones(c.shape[0])
    return CascadeImpact(LINEAR, c, 0.0, ones, ones, ones)


def sqrt_impact(sigma_daily, adv_usd, y: float = DEFAULT_Y, thinning=None) -> CascadeImpact:
    """Square-root impact per name (:func:`sim.core.stock_impact.stock_log_impact`).

    Parameters
    ----------
    sigma_daily : array of float, (M,)
        Each name's daily volatility (>= 0).
    adv_usd : array of float, (M,)
        Each name's average daily dollar volume (> 0).
    y : float
        The square-root law's Y (> 0; default :data:`sim.core.stock_impact.DEFAULT_Y`).
    thinning : array of float, (M,), optional
        Depth-thinning factors (>= 1); default 1 (normal depth).

    Returns
    -------
    CascadeImpact
        The spec for :func:`cascade_sparse`.
    """
    sigma = _vector("sigma_daily", sigma_daily, 0.0, False)
    m = sigma.shape[0]
    adv = _vector("adv_usd", adv_usd, 0.0, True, m)
    thin = _vector("thinning", np.ones(m) if thinning is None else thinning, 1.0, False, m)
    if not (np.isfinite(y) and y > 0.0):
        raise InputError(f"impact.y: must be finite > 0, got {y}", field="impact.y", allowed="finite > 0")
    return CascadeImpact(SQRT, np.zeros(m), float(y), sigma, adv, thin)


@dataclass
class SparseCascade:
    """What a sparse cascade did (M names, R rounds run).

    ``prices`` ((M,) $): after the last round. ``shares`` and ``cash``: the book after every
    sale and write-off (new arrays; :meth:`book` wraps them with the start's layout).
    Per name, cumulative over rounds ((M,) float64): ``sold_shares`` (net shares sold, buy-ins
    negative), ``sold_usd`` and ``bought_usd`` ($ at each round's prices) and ``flow_usd`` (net
    $ flow sent to the market, = bought_usd - sold_usd up to rounding). ``per_round``: (R,
    N_CASCADE_ROUND_STATS), columns ``CASCADE_ROUND_*``. ``stats``: ``CASCADE_STAT_*``.
    """

    start: SparseBook
    prices: np.ndarray
    shares: np.ndarray
    cash: np.ndarray
    sold_shares: np.ndarray
    sold_usd: np.ndarray
    bought_usd: np.ndarray
    flow_usd: np.ndarray
    per_round: np.ndarray
    stats: np.ndarray

    @property
    def rounds(self) -> int:
        """Clearing passes run."""
        return int(self.stats[CASCADE_STAT_ROUNDS])

    @property
    def converged(self) -> bool:
        """Whether the last pass called nobody."""
        return bool(self.stats[CASCADE_STAT_CONVERGED])

    def book(self) -> SparseBook:
        """The book after the cascade, as a checked :class:`SparseBook`."""
        s = self.start
        return SparseBook(s.offsets, s.names, self.shares, self.cash, s.broker, s.n_names)


def check_impact_rounds(book: SparseBook, impact_spec: CascadeImpact, max_rounds: int) -> None:
    """Raise InputError unless ``impact_spec`` covers the book's names and ``max_rounds`` is in [1, 10^6].

    The checks every cascade shares (:func:`check_cascade_inputs`,
    :func:`sim.book.sparse_targeting.check_targeting_inputs`).

    Parameters
    ----------
    book : SparseBook
        The accounts (their number of names, M).
    impact_spec : CascadeImpact
        Must be a :class:`CascadeImpact` of M names.
    max_rounds : int
        Most passes: an integer in [1, 10^6].
    """
    if not isinstance(impact_spec, CascadeImpact) or impact_spec.n_names != book.n_names:
        raise InputError(f"impact: must be a CascadeImpact (linear_impact / sqrt_impact) for the book's "
                         f"{book.n_names} names", field="impact", allowed=f"CascadeImpact of {book.n_names} names")
    if not (isinstance(max_rounds, int | np.integer) and 1 <= max_rounds <= 10**6):
        raise InputError(f"max_rounds: must be an integer in [1, 10^6], got {max_rounds!r}", field="max_rounds",
                         allowed="[1, 10^6]")


def check_cascade_inputs(book: SparseBook, prices, rules: SparseRules, impact_spec: CascadeImpact,
                         max_rounds: int) -> np.ndarray:
    """Raise InputError unless the inputs fit one another (see :func:`cascade_sparse`); return prices as float64.

    Parameters
    ----------
    book : SparseBook
        The accounts.
    prices : array of float, (M,)
        $ per share of each name: finite and > 0.
    rules : SparseRules
        Rules for the book's names and brokers (:func:`sim.book.sparse_clearing.check_pass_inputs`).
    impact_spec : CascadeImpact
        Impact for the book's M names.
    max_rounds : int
        Most clearing passes, in [1, 10^6].

    Returns
    -------
    ndarray
        ``prices`` as C-contiguous float64.
    """
    p = check_pass_inputs(book, prices, rules)
    check_impact_rounds(book, impact_spec, max_rounds)
    return p


def empty_cascade(book: SparseBook, prices: np.ndarray, max_rounds: int) -> SparseCascade:
    """The outputs, allocated: prices and the book copied, per-name sums and counters at 0.

    Parameters
    ----------
    book : SparseBook
        The book at the start (kept as ``start``; its shares and cash are copied).
    prices : ndarray, (M,)
        $ per share at the start (checked float64; copied).
    max_rounds : int
        Rows of ``per_round`` (cut to the rounds run at the end).

    Returns
    -------
    SparseCascade
        With the book's and the prices' copies, per-name sums, ``per_round`` and ``stats`` at 0.
    """
    m = book.n_names
    return SparseCascade(book, prices.copy(), book.shares.copy(), book.cash.copy(), np.zeros(m), np.zeros(m),
                         np.zeros(m), np.zeros(m), np.zeros((max_rounds, N_CASCADE_ROUND_STATS)),
                         np.zeros(N_CASCADE_STATS))


def cascade_sparse(book: SparseBook, prices, rules: SparseRules, impact: CascadeImpact,
                   max_rounds: int) -> SparseCascade:
    """Run the fire-sale cascade on a sparse book from ``prices`` (the post-shock prices) to a fixed point.

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed: the cascade works on a copy of shares and cash).
    prices : array of float, (M,)
        $ per share of each name at the start (after the initial shock), > 0.
    rules : SparseRules
        The brokers' house rules and each name's requirements.
    impact : CascadeImpact
        How net forced flow moves each price (:func:`linear_impact`, :func:`sqrt_impact`).
    max_rounds : int
        Most clearing passes (>= 1).

    Returns
    -------
    SparseCascade
        Final prices and book, per-name cumulative forced trading, per-round counters, totals.
    """
    p = check_cascade_inputs(book, prices, rules, impact, max_rounds)
    out = empty_cascade(book, p, max_rounds)
    n, m = book.n, book.n_names
    _cascade_kernel(book.offsets, book.names, out.shares, out.cash, book.broker, p, rules.broker, rules.name_long,
                    rules.name_short, rules.marginable, impact.model, impact.coef, impact.y, impact.sigma_daily,
                    impact.adv_usd, impact.thinning, max_rounds, out.prices, out.flow_usd, out.sold_shares,
                    out.sold_usd, out.bought_usd, out.per_round, out.stats, np.empty(m), np.empty(m), np.empty(m),
                    np.empty(n, dtype=np.int64), np.empty(n), np.empty(n), np.empty(n), np.empty(N_SPARSE_STATS))
    out.per_round = out.per_round[:out.rounds]
    return out


@jitable
def name_log_impact(flow_usd, model, coef, y, sigma_daily, adv_usd, thinning):
    """One name's log-price move from its cumulative net $ flow (positive = buying), by ``model``."""
    if model == LINEAR:
        return log_impact(flow_usd, LINEAR, coef, 1.0)
    return stock_log_impact(flow_usd, y, sigma_daily, adv_usd, thinning)


@jitable
def move_prices(base, model, coef, y, sigma_daily, adv_usd, thinning, round_shares, round_sold, round_bought,
                flow, prices, sold_shares, sold_usd, bought_usd):
    """Add a round's per-name forced trading to the totals and reprice every name from ``base``.

    Returns the largest relative price move over names (float).
    """
    largest = 0.0
    for j in range(base.shape[0]):
        sold_shares[j] += round_shares[j]
        sold_usd[j] += round_sold[j]
        bought_usd[j] += round_bought[j]
        flow[j] -= round_sold[j] - round_bought[j]
        old = prices[j]
        prices[j] = base[j] * detmath.exp(name_log_impact(flow[j], model, coef[j], y, sigma_daily[j], adv_usd[j],
                                                          thinning[j]))
        largest = max(largest, abs(prices[j] / old - 1.0))
    return largest


@jitable
def add_round(pass_stats, per_round, r, stats):
    """Record a pass's counters as round ``r`` and add them to the cascade's totals."""
    for k in range(pass_stats.shape[0]):
        per_round[r, k] = pass_stats[k]
    stats[CASCADE_STAT_CALLS] += pass_stats[sparse.SPARSE_STAT_CALLS]
    stats[CASCADE_STAT_CLOSE_OUTS] += pass_stats[sparse.SPARSE_STAT_CLOSE_OUTS]
    stats[CASCADE_STAT_SOLD_USD] += pass_stats[sparse.SPARSE_STAT_SOLD_USD]
    stats[CASCADE_STAT_BOUGHT_USD] += pass_stats[sparse.SPARSE_STAT_BOUGHT_USD]
    stats[CASCADE_STAT_LOSSES] += pass_stats[sparse.SPARSE_STAT_LOSSES]


# Rounds of: the clearing pass (the pass kernel itself, at the round's prices, nothing recorded
# per account; accounts out of reach skipped, see the module docstring; its sales made in the book
# as it finds them: every position of a called account shrinks by the pass's fraction, the
# proceeds at the round's prices go to cash, and a closed-out account's cash is written off to 0),
# prices moved and the drift grown by the round's largest move.
@kernel(house, margin, sparse, sparse_clearing, impact_laws, stock_impact, detmath, jit)
def _cascade_kernel(offsets, names, shares, cash, broker, base, rules, name_long, name_short, marginable,
                    model, coef, y, sigma_daily, adv_usd, thinning, max_rounds, prices, flow, sold_shares,
                    sold_usd, bought_usd, per_round, stats, round_shares, round_sold, round_bought, called,
                    fraction, account_sold, account_bought, pass_stats):  # pragma: no cover - jitted
    unrecorded = np.empty(0)
    reach = np.zeros(cash.shape[0])  # 0: every account is looked at in the first round
    drift = 1.0
    converged = 0.0
    rounds = 0
    for r in range(max_rounds):
        rounds += 1
        round_shares[:] = 0.0
        round_sold[:] = 0.0
        round_bought[:] = 0.0
        pass_stats[:] = 0.0
        _pass_kernel(offsets, names, shares, cash, broker, prices, rules, name_long, name_short, marginable,
                     round_shares, round_sold, round_bought, called, fraction, account_sold, account_bought,
                     unrecorded, unrecorded, unrecorded, pass_stats, reach, drift, True)
        add_round(pass_stats, per_round, r, stats)
        n_called = int(pass_stats[SPARSE_STAT_CALLS])
        if n_called == 0:
            converged = 1.0
            break
        largest = move_prices(base, model, coef, y, sigma_daily, adv_usd, thinning, round_shares, round_sold,
                              round_bought, flow, prices, sold_shares, sold_usd, bought_usd)
        per_round[r, CASCADE_ROUND_MAX_MOVE] = largest
        drift *= 1.0 + largest
    stats[CASCADE_STAT_ROUNDS] = rounds
    stats[CASCADE_STAT_CONVERGED] = converged
