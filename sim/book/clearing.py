"""Clearing: margin calls, deposits and forced trades resolved to a fixed point with price impact.

Layering (as in ``arch`` and QuantEcon): :func:`clear` checks shapes and dtypes and allocates the
outputs; the private ``@kernel`` (``njit(cache=True)`` with a cache keyed on its dependencies, see
:mod:`sim.core.jit`) works on arrays only, writes into the preallocated outputs and draws no
random numbers. It is a short loop over rounds of small compiled pieces: list the accounts short
of maintenance (:mod:`sim.book.listing`, :mod:`sim.book.scan`), settle them
(:mod:`sim.book.settle`), move prices (below). Per-account arithmetic comes from
:mod:`sim.core.margin` and :mod:`sim.core.impact`, the same source the plain-Python reference
(:mod:`sim.book.reference`) runs, and tests assert the two agree.
"""

from __future__ import annotations

import numpy as np

from sim.book import arrays, listing, scan, settle
from sim.book import stats as stat_names  # the module; ``stats`` in the kernels is the counters array
from sim.book.arrays import AccountArrays, ClearingResult, check_rules, check_vector
from sim.book.listing import BLOCK, count_short, list_short
from sim.book.scan import drop_out_of_reach
from sim.book.settle import settle_found
from sim.book.stats import N_STATS, STAT_CONVERGED, STAT_DEALER_UNCONVERGED, STAT_LIQUIDATIONS, STAT_ROUNDS
from sim.core import detmath, impact, margin
from sim.core.errors import InputError
from sim.core.impact import price_with_dealers
from sim.core.jit import jitable, kernel


def clear(accounts: AccountArrays, rules: np.ndarray, day: int, deadline_days: int,
          log_base: np.ndarray, flow: np.ndarray, model: int, coef: np.ndarray,
          adv: np.ndarray, max_rounds: int, dealer_gamma: np.ndarray | None = None,
          dealer_limit: np.ndarray | None = None, addon: np.ndarray | None = None,
          margin_active: bool = True) -> ClearingResult:
    """Resolve margin calls, deposits and forced trades to a fixed point with price impact.

    Rounds of (mark -> call/deposit/liquidate -> move prices) run until no account is liquidated
    or ``max_rounds`` is reached. Every price update includes the delta-hedging dealers' response
    (:func:`sim.core.impact.price_with_dealers`).

    Parameters
    ----------
    accounts : AccountArrays
        The book (N accounts, K assets; see :mod:`sim.book.arrays`), updated in place.
    rules : ndarray, (B, N_RULES) float64
        Each broker's rates (columns ``sim.book.arrays.RULE_*``, fractions).
    day, deadline_days : int
        Today's trading day (recorded on new calls); days a call may stay open before liquidation.
    log_base : ndarray, (K,) float64
        Each asset's log price ($) before this substep's flow.
    flow : ndarray, (K,) float64
        Net $ flow already sent this substep; updated in place with the forced and dealer flow.
    model : int
        Impact model, ``sim.core.impact.LINEAR`` or ``SQRT``.
    coef, adv : ndarray, (K,) float64
        Impact coefficient (log price per $, or per sqrt(flow / ADV)) and average daily volume ($).
    max_rounds : int
        At least 1; ``stats[STAT_CONVERGED]`` says whether the rounds stopped before it.
    dealer_gamma, dealer_limit : ndarray, (K,) float64, optional
        Dealers' $ of hedge per unit relative move (negative = short gamma) and the most $ they
        trade either way; default none.
    addon : ndarray, (K,) float64, optional
        Extra maintenance rate on long positions per asset (a broker's concentrated-position rule).
    margin_active : bool
        False leaves the book alone (the margin channel switched off): only the dealers trade.

    Returns
    -------
    ClearingResult
        Prices after the last round, per-asset forced and dealer trading, counters (``stats``).
    """
    k = log_base.shape[0]
    dealer_gamma = np.zeros(k) if dealer_gamma is None else dealer_gamma
    dealer_limit = np.zeros(k) if dealer_limit is None else dealer_limit
    addon = np.zeros(k) if addon is None else addon
    accounts.validate(k)
    check_rules(rules, accounts)
    for name, arr in (("log_base", log_base), ("flow", flow), ("coef", coef), ("adv", adv),
                      ("dealer_gamma", dealer_gamma), ("dealer_limit", dealer_limit), ("addon", addon)):
        check_vector(name, arr, k)
    if max_rounds < 1:
        raise InputError(f"max_rounds: must be >= 1, got {max_rounds}", field="max_rounds", allowed=">= 1")
    out = ClearingResult(np.empty(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k),
                         np.zeros(N_STATS))
    a = accounts
    found, near = _workspace(a.n)
    _clear_kernel(a.long, a.short, a.cash, a.short_credit, a.reserve, a.call_day, a.broker_start,
                  rules, day, deadline_days, log_base, flow, model, coef, adv, max_rounds, dealer_gamma,
                  dealer_limit, addon, margin_active, out.prices, out.sold_shares, out.sold_usd, out.bought_usd,
                  out.dealer_usd, out.dealer_shares, out.stats, found, near)
    return out


_WORKSPACE: dict[str, np.ndarray] = {}


def _workspace(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two int32 index lists of at least ``n`` entries for the clearing kernel, kept between calls.

    A cascade writes them every round; fresh arrays would cost a page fault per 4 KB on every
    call (about 1 ms at 10^6 accounts). Scratch only: nothing is read before it is written, and
    two threads cannot use them at once because the kernels hold the GIL (no ``nogil``).
    """
    if "found" not in _WORKSPACE or _WORKSPACE["found"].shape[0] < n:
        _WORKSPACE["found"] = np.empty(n, dtype=np.int32)
        _WORKSPACE["near"] = np.empty(n, dtype=np.int32)
    return _WORKSPACE["found"], _WORKSPACE["near"]


@jitable
def open_prices(log_base, flow, model, coef, adv, dealer_gamma, dealer_limit, prices, dealer_usd, dealer_shares,
                stats):
    """Prices after the flow already sent, with the dealers' response.

    Inputs as in :func:`clear` (``log_base``, ``flow``, ``coef``, ``adv``, ``dealer_gamma``,
    ``dealer_limit``: (K,) float64); writes ``prices`` ($), ``dealer_usd`` ($) and
    ``dealer_shares`` ((K,) float64) and counts unconverged dealer solutions in ``stats``.
    """
    for j in range(log_base.shape[0]):
        prices[j], dealer_usd[j], it = price_with_dealers(log_base[j], flow[j], dealer_gamma[j], dealer_limit[j],
                                                          model, coef[j], adv[j])
        dealer_shares[j] = dealer_usd[j] / prices[j]
        stats[STAT_DEALER_UNCONVERGED] += it < 0


@jitable
def move_prices(log_base, flow, model, coef, adv, dealer_gamma, dealer_limit, round_shares, prices, sold_shares,
                dealer_usd, dealer_shares, stats):
    """Send a round's forced sales (``round_shares``, (K,) float64 net shares sold) to the market.

    Arrays as in :func:`open_prices`; updates ``sold_shares``, ``flow`` ($), ``prices`` ($) and
    the dealers' trading in place. Returns the largest relative price move (float).
    """
    last_move = 0.0
    for j in range(prices.shape[0]):
        sold_shares[j] += round_shares[j]
        flow[j] -= round_shares[j] * prices[j]
        old_price = prices[j]
        prices[j], dealer_new, it = price_with_dealers(log_base[j], flow[j], dealer_gamma[j],
                                                       dealer_limit[j], model, coef[j], adv[j])
        stats[STAT_DEALER_UNCONVERGED] += it < 0
        dealer_shares[j] += (dealer_new - dealer_usd[j]) / prices[j]
        dealer_usd[j] = dealer_new
        last_move = max(last_move, abs(prices[j] / old_price - 1.0))
    return last_move


# Arrays are passed one by one, not grouped in (named) tuples: numba types a tuple argument in
# Python at every call, about 5 us more per call (an eighth of a small book's clearing call).
@kernel(margin, impact, detmath, arrays, stat_names, scan, listing, settle)
def _clear_kernel(long, short, cash, short_credit, reserve, call_day, broker_start, rules,
                  day, deadline, log_base, flow, model, coef, adv, max_rounds, dealer_gamma, dealer_limit,
                  addon, margin_active, prices, sold_shares, sold_usd, bought_usd, dealer_usd, dealer_shares,
                  stats, found, near):  # pragma: no cover - jitted
    open_prices(log_base, flow, model, coef, adv, dealer_gamma, dealer_limit, prices, dealer_usd, dealer_shares,
                stats)
    n_brokers = broker_start.shape[0] - 1 if margin_active else 0
    rounds = 0
    converged = 0.0
    n_short = 0  # accounts short of maintenance in the last round
    if max_rounds >= 1:  # count them over whole brokers first: the common pass ends here (none are)
        rounds = 1
        n_short = count_short(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers)
        converged = 1.0 if n_short == 0 else 0.0
    if n_short > 0:  # some are: the rounds, with their work arrays (allocated only now)
        round_shares = np.zeros(log_base.shape[0])
        max_blocks = cash.shape[0] // BLOCK + n_brokers + 1
        block_lo = np.empty(max_blocks, dtype=np.int64)  # blocks (within one broker) holding a deficit
        block_hi = np.empty(max_blocks, dtype=np.int64)
        block_broker = np.empty(max_blocks, dtype=np.int64)
        near_prices = np.empty(log_base.shape[0])  # ``near``: the accounts within ``reach`` of a call at these prices
        n_near = 0
        have_near = False
        reach = 0.0
        last_move = np.inf  # largest relative price move of the last round
        rounds = 0
        for _ in range(max_rounds):
            rounds += 1
            # list them in account order (near, dense or sparse: all three find the same accounts)
            n_found, n_blocks, n_near, have_near, reach = list_short(
                long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers, rounds, n_short,
                last_move, found, near, n_near, have_near, reach, near_prices, block_lo, block_hi, block_broker)
            n_short = n_found
            if n_found == 0:
                converged = 1.0
                break
            round_shares[:] = 0.0
            liquidated = settle_found(long, short, cash, short_credit, reserve, call_day, rules, day, deadline,
                                      prices, addon, found, block_broker, block_hi, n_blocks, round_shares, sold_usd,
                                      bought_usd, stats)
            stats[STAT_LIQUIDATIONS] += liquidated
            if have_near:  # accounts settled this round stay in ``near`` only while still within reach
                n_near = drop_out_of_reach(long, short, cash, short_credit, prices, addon, broker_start, rules,
                                           near, n_near, found, n_found, reach)
            if liquidated == 0:
                converged = 1.0
                break
            last_move = move_prices(log_base, flow, model, coef, adv, dealer_gamma, dealer_limit, round_shares,
                                    prices, sold_shares, dealer_usd, dealer_shares, stats)
    for j in range(log_base.shape[0]):
        flow[j] += dealer_usd[j]
    stats[STAT_ROUNDS] = rounds
    stats[STAT_CONVERGED] = converged
