"""The named statistics of the book's kernels: which entry of a result vector holds what.

A clearing call returns its counters in ``ClearingResult.stats`` (float64, ``(N_STATS,)``) and
the end of the day its aggregates (float64, ``(N_AGG,)``); every entry is read and written by
these names, in the kernels too. They are plain integer constants rather than a structured
dtype: numba freezes a module's integer globals into the compiled code, so ``stats[STAT_CALLS]``
compiles to the same constant-offset access as ``stats[0]`` (a record would too, but would
change the type every caller, reference and test reads and sums).
"""

from __future__ import annotations

# ----------------------------------------------------------------- one clearing call
STAT_CALLS = 0
"""Margin calls issued (count)."""
STAT_DEPOSITS = 1
"""$ deposited from free credit to meet calls."""
STAT_LIQUIDATIONS = 2
"""Forced liquidations (count of account-rounds)."""
STAT_LOSSES = 3
"""$ of negative balances the brokers absorbed on closed-out accounts."""
STAT_ROUNDS = 4
"""Rounds of mark -> settle -> move prices run."""
STAT_CONVERGED = 5
"""1.0 when the rounds reached a fixed point (no liquidation), 0.0 when ``max_rounds`` stopped them."""
STAT_DEALER_UNCONVERGED = 6
"""Price updates whose dealer fixed point did not converge (count)."""
N_STATS = 7

# ---------------------------------------------------------------- end-of-day aggregates ($)
AGG_DEBIT = 0
"""Debit balances: money borrowed from the brokers."""
AGG_FREE_CREDIT = 1
"""Free credit: positive cash balances plus reserves."""
AGG_INTEREST = 2
"""Interest charged today."""
AGG_LONG_VALUE = 3
"""Market value of long positions."""
AGG_SHORT_VALUE = 4
"""Market value of shares borrowed and sold."""
AGG_EQUITY = 5
"""Account equity."""
AGG_OPEN_CALLS = 6
"""Accounts with a margin call open (count)."""
AGG_MARGIN_BALANCE = 7
"""FINRA margin balance: debit balances plus shares borrowed at market."""
N_AGG = 8
