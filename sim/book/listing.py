"""Which accounts a clearing round settles: three ways of listing them that find the same accounts.

Pieces of the clearing kernel (:mod:`sim.book.clearing`), called once per round. Each lists the
accounts short of maintenance in account order into ``found`` (int32, (N,)) and records, per
block, its broker (``block_broker``) and where its accounts end in ``found`` (``block_hi``);
the settling pass then walks the blocks in order. Arrays and rates as in :mod:`sim.book.scan`.

- near: late in a dense cascade the accounts within ``reach`` of a call were noted (``near``);
  while every price stays within ``reach`` of where they were noted, only those can be short;
- dense: nearly every block holds one: list every block, noting the near ones once the last
  round moved prices by at most 2 x MAX_REACH;
- sparse: count block by block, then list only the blocks that hold some.

Once-a-round pieces are ordinary calls (``jitable`` without ``inline``): inlining them too took
the kernels' cold compile from 16 s to 28 s of CPU and changed nothing at run time.
"""

from __future__ import annotations

from sim.book.arrays import RULE_MAINT_LONG, RULE_MAINT_SHORT
from sim.book.scan import list_block, scan_block, scan_near
from sim.core.jit import jitable

BLOCK = 1024
"""Accounts per block in the clearing scan: only blocks holding a deficit are listed and settled."""
REACH_FACTOR = 0.5
MAX_REACH = 0.01
"""Late in a dense cascade (the last round moved prices by m <= 2 x MAX_REACH) the listing pass
also notes the accounts within REACH_FACTOR x m of a call (:func:`sim.core.margin.within_reach`);
while every price stays that close to where it looked, later rounds rescan only those. The same
accounts are found either way: further out the kernel lists the whole book again."""


@jitable
def count_short(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers):
    """Accounts short of maintenance in the first ``n_brokers`` brokers (an int; read-only).

    Arrays as in :func:`sim.book.scan.scan_block`; ``broker_start`` (B + 1,) int64 and ``rules``
    (B, N_RULES) float64 as in :mod:`sim.book.arrays`.
    """
    n_short = 0
    for b in range(n_brokers):
        n_short += scan_block(long, short, cash, short_credit, prices, addon, broker_start[b],
                              broker_start[b + 1], rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT], None, 0)
    return n_short


@jitable
def within_move(prices, near_prices, reach):
    """Is every price ((K,) float64, $) within ``reach`` (a relative move) of ``near_prices``?"""
    move = 0.0
    for j in range(prices.shape[0]):
        move = max(move, abs(prices[j] / near_prices[j] - 1.0))
    return move <= reach


@jitable
def list_near(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers, near, n_near,
              found, block_broker, block_hi):
    """List the accounts of ``near[:n_near]`` short of maintenance, one block per broker.

    Arrays as in :func:`count_short`; ``near``, ``found`` (N,) int32; ``block_broker``,
    ``block_hi`` (max blocks,) int64. Returns ``(n_found, n_blocks)`` (ints).
    """
    n_found = 0
    n_blocks = 0
    f = 0
    for b in range(n_brokers):
        lo = f
        while f < n_near and near[f] < broker_start[b + 1]:
            f += 1
        n_found = scan_near(long, short, cash, short_credit, prices, addon, near, lo, f,
                            rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT], found, n_found)
        block_broker[n_blocks] = b
        block_hi[n_blocks] = n_found  # where broker b's accounts end in ``found``
        n_blocks += 1
    return n_found, n_blocks


@jitable
def list_noting_near(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers, found,
                     near, reach, block_broker, block_hi):
    """List every account short of maintenance and, in ``near``, every one within ``reach`` of it.

    Arrays as in :func:`list_near`; ``reach`` a relative price move. One block per broker.
    Returns ``(n_found, n_blocks, n_near)`` (ints).
    """
    n_found = 0
    n_near = 0
    n_blocks = 0
    for b in range(n_brokers):
        n_found, n_near = list_block(long, short, cash, short_credit, prices, addon, broker_start[b],
                                     broker_start[b + 1], rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT],
                                     found, n_found, near, n_near, reach)
        block_broker[n_blocks] = b
        block_hi[n_blocks] = n_found
        n_blocks += 1
    return n_found, n_blocks, n_near


@jitable
def list_blocks(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers, dense, found,
                block_lo, block_hi, block_broker):
    """List the accounts short of maintenance block by block (of BLOCK accounts within one broker).

    Dense: every block is listed. Sparse: blocks are counted first and only those holding one
    are listed. Arrays as in :func:`list_near` (``block_lo`` too). Returns ``(n_found, n_blocks)``.
    """
    n_blocks = 0
    for b in range(n_brokers):
        for lo in range(broker_start[b], broker_start[b + 1], BLOCK):
            hi = min(lo + BLOCK, broker_start[b + 1])
            block_lo[n_blocks] = lo
            block_hi[n_blocks] = hi
            block_broker[n_blocks] = b
            if dense:
                n_blocks += 1
            else:
                n_blocks += scan_block(long, short, cash, short_credit, prices, addon, lo, hi,
                                       rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT], None, 0) > 0
    n_found = 0
    for q in range(n_blocks):
        b = block_broker[q]
        n_found += scan_block(long, short, cash, short_credit, prices, addon, block_lo[q], block_hi[q],
                              rules[b, RULE_MAINT_LONG], rules[b, RULE_MAINT_SHORT], found, n_found)
        block_hi[q] = n_found  # from here on: where block q's accounts end in ``found``
    return n_found, n_blocks


@jitable
def list_short(long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers, rounds, n_short,
               last_move, found, near, n_near, have_near, reach, near_prices, block_lo, block_hi, block_broker):
    """List this round's accounts short of maintenance, choosing one of the three ways.

    Parameters
    ----------
    long, short, cash, short_credit, prices, addon, broker_start, rules, n_brokers
        As in :func:`count_short`.
    rounds : int
        This round's number, from 1.
    n_short : int
        Accounts short last round (counted, in the first).
    last_move : float
        The last round's largest relative price move (inf before any).
    found, near : ndarray, (N,) int32
        The list written; the accounts within ``reach`` of a call (``near[:n_near]``), valid while
        ``have_near``, noted at ``near_prices`` ((K,) float64, $).
    block_lo, block_hi, block_broker : ndarray, (max blocks,) int64
        Scratch for the blocks listed.

    Returns
    -------
    n_found, n_blocks, n_near : int
        Accounts and blocks listed; the new length of ``near``.
    have_near : bool
    reach : float
        The new state of ``near``.
    """
    if have_near:
        have_near = within_move(prices, near_prices, reach)
    # dense: two or more per block now, or ten per block last round (rounds shrink about fivefold)
    dense = n_short * BLOCK > (2 if rounds == 1 else 10) * cash.shape[0]
    if have_near:
        n_found, n_blocks = list_near(long, short, cash, short_credit, prices, addon, broker_start, rules,
                                      n_brokers, near, n_near, found, block_broker, block_hi)
    elif dense and last_move <= 2.0 * MAX_REACH:
        reach = REACH_FACTOR * max(last_move, 1e-6)
        n_found, n_blocks, n_near = list_noting_near(long, short, cash, short_credit, prices, addon, broker_start,
                                                     rules, n_brokers, found, near, reach, block_broker, block_hi)
        near_prices[:] = prices
        have_near = True
    else:
        n_found, n_blocks = list_blocks(long, short, cash, short_credit, prices, addon, broker_start, rules,
                                        n_brokers, dense, found, block_lo, block_hi, block_broker)
    return n_found, n_blocks, n_near, have_near, reach
