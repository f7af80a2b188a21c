"""Run-time invariants: cheap checks every day, full conservation checks on demand.

A violated invariant is a bug, never bad input: it raises :class:`InvariantError` naming
what broke, so no run can finish with a silently corrupted result.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.market_model import MarketModel

RELATIVE_TOLERANCE = 1e-9


class InvariantError(RuntimeError):
    """A model invariant failed (shares or cash not conserved, price <= 0, NaN)."""


def check_day(model: MarketModel, row: dict[str, float]) -> None:
    """O(K) checks after every day: prices positive and finite, every recorded number finite."""
    prices = model.market.prices
    if not np.all(np.isfinite(prices)) or np.any(prices <= 0.0):
        raise InvariantError(f"day {row['day']}: prices must be finite and > 0, got {prices}")
    for key, value in row.items():
        if isinstance(value, str):
            continue
        if key != "margin_leverage" and not math.isfinite(value):
            raise InvariantError(f"day {row['day']}: {key} = {value} is not finite")


def check_conservation(model: MarketModel) -> None:
    """O(N K) checks: shares of each asset and total cash are conserved across all agents.

    Both are sums of positions of either sign kept by adding up trades, so their rounding
    grows with the largest positions and trades, not with the net: the tolerance is relative
    to those (after an extreme crash dollar wealth can buy many times the shares outstanding).
    """
    a = model.book.arrays()
    if np.any(a.long < 0.0) or np.any(a.short < 0.0):
        raise InvariantError("margin book holds negative long or short shares")
    traders = model.traders()
    held = model.agent_shares() + model.passive_shares
    outstanding = model.market.shares_outstanding
    gross = (a.long.sum(0) + a.short.sum(0) + np.abs(model.passive_shares)
             + sum((np.abs(t.shares) for t in traders), np.zeros_like(outstanding)))
    scale = np.maximum(np.maximum(outstanding, gross), model.largest_trade_shares)
    if np.any(np.abs(held - outstanding) > RELATIVE_TOLERANCE * scale):
        raise InvariantError(f"shares not conserved: held {held} vs outstanding {outstanding}")
    cash = model.cash_in_system()
    gross_cash = (float(np.abs(a.cash).sum() + np.abs(a.short_credit).sum() + np.abs(a.reserve).sum())
                  + abs(model.broker_cash)
                  + sum(abs(t.cash) + abs(getattr(t, "investor_cash", 0.0)) for t in traders))
    scale_usd = max(abs(model.total_cash), gross_cash, model.largest_trade_usd, 1.0)
    if abs(cash - model.total_cash) > RELATIVE_TOLERANCE * scale_usd:
        raise InvariantError(f"cash not conserved: {cash!r} vs {model.total_cash!r}")
