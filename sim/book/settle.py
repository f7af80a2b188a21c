"""Settling the listed accounts in one clearing round: call, deposit, forced liquidation, close-out.

:func:`settle_found` is the clearing kernel's (:mod:`sim.book.clearing`) once-a-round call; the
per-account pieces are inlined into its loop (``inline="always"``: a call that passes arrays
would cost reference counting per account).
Account arrays as in :mod:`sim.book.arrays`; ``prices``, ``addon`` and the per-asset tallies
``round_shares`` (shares), ``sold_usd``, ``bought_usd`` ($) are (K,) float64; counters go to
``stats`` ((N_STATS,) float64) by name. The plain-Python twin is
:meth:`sim.book.reference.ReferenceAccount.settle`.
"""

from __future__ import annotations

from sim.book.arrays import RULE_MAINT_LONG, RULE_MAINT_SHORT, RULE_TARGET_LONG, RULE_TARGET_SHORT
from sim.book.scan import mark
from sim.book.stats import STAT_CALLS, STAT_DEPOSITS, STAT_LOSSES
from sim.core import margin
from sim.core.jit import jitable


@jitable(inline="always")
def liquidate(long, short, cash, short_credit, i, fraction, prices, round_shares, sold_usd, bought_usd):
    """Sell ``fraction`` of every long of account ``i`` and buy in ``fraction`` of every short, at ``prices``.

    Arrays as in the module docstring; the shares and $ traded are added to ``round_shares``
    (net shares sold), ``sold_usd`` and ``bought_usd``.
    """
    for j in range(prices.shape[0]):
        sell = fraction * long[i, j]
        cover = fraction * short[i, j]
        long[i, j] -= sell
        short[i, j] -= cover
        cash[i] += sell * prices[j]
        short_credit[i] -= cover * prices[j]
        round_shares[j] += sell - cover
        sold_usd[j] += sell * prices[j]
        bought_usd[j] += cover * prices[j]


@jitable(inline="always")
def close_out_account(cash, short_credit, reserve, call_day, i):
    """Settle account ``i``, all positions sold, with its broker; returns the broker's loss in $.

    Free credit (``reserve``) pays what it can of a negative balance; the call is closed.
    """
    balance = cash[i] + short_credit[i]
    paid, loss = margin.close_out(balance, reserve[i])
    reserve[i] -= paid
    cash[i] = max(balance, 0.0)
    short_credit[i] = 0.0
    call_day[i] = -1
    return loss


@jitable
def settle_found(long, short, cash, short_credit, reserve, call_day, rules, day, deadline, prices, addon,
                 found, block_broker, block_hi, n_blocks, round_shares, sold_usd, bought_usd, stats):
    """Settle the listed accounts in account order (for the others settling would change nothing).

    Arrays as in the module docstring; ``rules`` (B, N_RULES) float64; ``day``, ``deadline`` in
    trading days; ``found`` (N,) int32; ``block_broker``, ``block_hi`` (max blocks,) int64.

    ``found`` holds them block after block; block ``q`` belongs to broker ``block_broker[q]`` and
    ends at ``block_hi[q]`` in ``found`` (see :mod:`sim.book.listing`). Each account is marked at
    ``prices``, called, and meets the call with a deposit or is liquidated
    (:func:`sim.core.margin.settle_account`). Returns how many were liquidated.
    """
    # The per-account step stays in this loop rather than in an inlined function of the ten
    # arrays: that version took 4x the time of a cascade (reference counts on every call).
    liquidated = 0
    first = 0
    for q in range(n_blocks):
        b = block_broker[q]
        last = block_hi[q]
        for f in range(first, last):
            i = found[f]
            long_value, short_value, extra = mark(long, short, i, prices, addon)
            eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
            maint = margin.requirement(long_value, short_value, rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT])
            target = margin.requirement(long_value, short_value, rules[b, RULE_TARGET_LONG],
                                        rules[b, RULE_TARGET_SHORT])
            fraction, deposit, new_call_day, issued = margin.settle_account(eq, maint + extra, target + extra,
                                                                            reserve[i], call_day[i], day, deadline)
            call_day[i] = new_call_day
            stats[STAT_CALLS] += issued
            stats[STAT_DEPOSITS] += deposit
            reserve[i] -= deposit
            cash[i] += deposit
            if fraction > 0.0:
                liquidated += 1
                liquidate(long, short, cash, short_credit, i, fraction, prices, round_shares, sold_usd, bought_usd)
                if fraction >= 1.0:
                    stats[STAT_LOSSES] += close_out_account(cash, short_credit, reserve, call_day, i)
        first = last
    return liquidated
