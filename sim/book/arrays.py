"""The margin book as a struct of arrays, the brokers' rules, and what a clearing call returns.

Account arrays (accounts sorted by broker; N accounts, K assets):
``long``/``short`` (N, K) float64 shares; ``cash``, ``short_credit``, ``reserve`` (N,) float64 $;
``call_day`` (N,) int32 trading day, -1 when no call is open; ``target_leverage``,
``short_target`` (N,) float64 multiples of equity; ``home`` (N,) int32 sector (an asset index).
Broker ``b`` owns accounts ``broker_start[b]:broker_start[b+1]`` (``broker_start``: (B + 1,)
int64); its rates are row ``b`` of ``rules`` ((B, N_RULES) float64, fractions; columns RULE_*).

The public kernel functions (:mod:`sim.book.clearing`, :mod:`sim.book.daily`) check their
inputs here and raise :class:`~sim.core.errors.InputError` naming the array at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.book.stats import STAT_CONVERGED, STAT_ROUNDS
from sim.core.errors import InputError

# columns of ``rules``: one row per broker
RULE_MAINT_LONG = 0
"""Maintenance requirement on long positions."""
RULE_MAINT_SHORT = 1
"""Maintenance requirement on short positions (equity rate)."""
RULE_TARGET_LONG = 2
"""Level a liquidation (or a deposit) restores, on longs."""
RULE_TARGET_SHORT = 3
"""Level a liquidation (or a deposit) restores, on shorts."""
RULE_RATE = 4
"""Annual interest rate on debit balances."""
N_RULES = 5


@dataclass
class AccountArrays:
    """The margin book as a struct of arrays (see the module docstring for shapes and units)."""

    long: np.ndarray
    short: np.ndarray
    cash: np.ndarray
    short_credit: np.ndarray
    reserve: np.ndarray
    call_day: np.ndarray
    target_leverage: np.ndarray
    short_target: np.ndarray
    home: np.ndarray
    broker_start: np.ndarray

    @property
    def n(self) -> int:
        """Number of accounts."""
        return self.cash.shape[0]

    def copy(self) -> AccountArrays:
        """A deep copy (every array copied)."""
        return AccountArrays(**{k: v.copy() for k, v in self.__dict__.items()})

    def validate(self, n_assets: int) -> None:
        """Raise InputError when shapes or dtypes do not match the kernels' contract.

        Parameters
        ----------
        n_assets : int
            K, the number of assets the holdings must have.
        """
        n = self.n
        for name in ("long", "short"):
            arr = getattr(self, name)
            if arr.shape != (n, n_assets) or arr.dtype != np.float64 or not arr.flags.c_contiguous:
                raise InputError(f"accounts.{name}: must be C-contiguous float64 of shape ({n}, {n_assets})",
                                 field=f"accounts.{name}", allowed=f"C-contiguous float64 ({n}, {n_assets})")
        for name in ("cash", "short_credit", "reserve", "target_leverage", "short_target"):
            arr = getattr(self, name)
            if arr.shape != (n,) or arr.dtype != np.float64:
                raise InputError(f"accounts.{name}: must be float64 of shape ({n},)", field=f"accounts.{name}",
                                 allowed=f"float64 ({n},)")
        for name in ("call_day", "home"):
            arr = getattr(self, name)
            if arr.shape != (n,) or arr.dtype != np.int32:
                raise InputError(f"accounts.{name}: must be int32 of shape ({n},)", field=f"accounts.{name}",
                                 allowed=f"int32 ({n},)")
        bs = self.broker_start
        if bs.dtype != np.int64 or bs[0] != 0 or bs[-1] != n or np.any(np.diff(bs) < 0):
            raise InputError(f"accounts.broker_start: must be non-decreasing int64 from 0 to {n}",
                             field="accounts.broker_start", allowed=f"non-decreasing int64 from 0 to {n}")


@dataclass
class ClearingResult:
    """What one clearing call did: prices after it and per-asset forced trading ((K,) float64 each)."""

    prices: np.ndarray          # $ per share after the last round
    sold_shares: np.ndarray     # net shares sold by brokers per asset (buy-ins negative)
    sold_usd: np.ndarray        # $ of forced long sales per asset, at fill prices
    bought_usd: np.ndarray      # $ of forced short buy-ins per asset, at fill prices
    dealer_usd: np.ndarray      # $ bought by delta-hedging dealers inside the clearing, per asset
    dealer_shares: np.ndarray   # shares bought by the dealers inside the clearing, per asset
    stats: np.ndarray           # (N_STATS,) counters, see sim.book.stats.STAT_*

    @property
    def rounds(self) -> int:
        """Rounds run."""
        return int(self.stats[STAT_ROUNDS])

    @property
    def converged(self) -> bool:
        """Did the rounds reach a fixed point (rather than ``max_rounds``)?"""
        return bool(self.stats[STAT_CONVERGED])


def check_rules(rules: np.ndarray, accounts: AccountArrays) -> None:
    """Raise InputError unless ``rules`` is float64 of shape (brokers, N_RULES)."""
    n_brokers = accounts.broker_start.shape[0] - 1
    if rules.shape != (n_brokers, N_RULES) or rules.dtype != np.float64:
        raise InputError(f"rules: must be float64 of shape ({n_brokers}, {N_RULES})", field="rules",
                         allowed=f"float64 ({n_brokers}, {N_RULES})")


def check_vector(name: str, arr: np.ndarray, k: int) -> None:
    """Raise InputError unless ``arr`` (called ``name``) is float64 of shape (k,)."""
    if arr.shape != (k,) or arr.dtype != np.float64:
        raise InputError(f"{name}: must be float64 of shape ({k},)", field=name, allowed=f"float64 ({k},)")
