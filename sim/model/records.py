"""The rows a :class:`~sim.model.market_model.MarketModel` records: one per day, one per substep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.book import stats
from sim.book.arrays import ClearingResult
from sim.core import margin
from sim.core.pairwise import python_sum
from sim.model.agents.leveraged_value_fund import LeveragedValueFunds

if TYPE_CHECKING:
    from sim.model.market_model import MarketModel

FLOW_COLUMNS = ("flow_margin_forced_usd", "flow_margin_voluntary_usd", "flow_letf_usd", "flow_dealer_usd",
                "flow_vol_control_usd", "flow_value_usd", "flow_noise_usd")
"""Net $ bought per day by each channel (negative = net selling)."""
TALLIED = ("margin_calls", "deposits_usd", "liquidations", "forced_sales_usd", "forced_buyins_usd",
           "broker_losses", "clearing_unconverged", *FLOW_COLUMNS)
"""Columns of the daily row summed over the day's substeps."""


def substep_row(model: MarketModel, day: int, substep: int, orders: dict[str, np.ndarray],
                result: ClearingResult) -> dict[str, float]:
    """One intraday row: prices after the substep's clearing, each channel's net $ flow, calls."""
    market = model.market
    forced = result.sold_usd - result.bought_usd
    row: dict[str, float] = {"day": day, "substep": substep, "time": day + (substep + 1) / market.substeps,
                             "index_level": market.index_at(market.prices)}
    for key in FLOW_COLUMNS:
        row[key] = float(orders[key].sum()) if key in orders else 0.0
    row["flow_margin_forced_usd"] = -float(forced.sum())
    row["flow_dealer_usd"] += float(result.dealer_usd.sum())
    st = result.stats
    row.update({"margin_calls": float(st[stats.STAT_CALLS]), "liquidations": float(st[stats.STAT_LIQUIDATIONS]),
                "forced_sales_usd": float(result.sold_usd.sum()), "clearing_rounds": float(result.rounds)})
    return row


def day_row(model: MarketModel, day: int, index_return: float, agg: np.ndarray, totals: dict[str, float],
            max_rounds_used: int) -> dict[str, float | str]:
    """The day's row at the close (before the value funds' close and the regime label).

    ``agg`` holds the book's aggregates at the close (``stats.AGG_*``), ``totals`` the
    day's sums over substeps of the :data:`TALLIED` columns.
    """
    market, sim = model.market, model.spec.simulation
    prices = market.prices
    row: dict[str, float | str] = {"day": day, "index_level": market.index_level, "index_return": index_return}
    for name, price in zip(market.names, prices, strict=True):
        row[f"price_{name}"] = float(price)
    for name, value in zip(market.names, market.fundamentals, strict=True):
        row[f"fundamental_{name}"] = float(value)
    balance = agg[stats.AGG_MARGIN_BALANCE]
    free = agg[stats.AGG_FREE_CREDIT]
    equity = agg[stats.AGG_EQUITY]
    row.update({
        "margin_debt": balance,
        "cash_debit": agg[stats.AGG_DEBIT],
        "short_market_value": agg[stats.AGG_SHORT_VALUE],
        "free_credit": free,
        "net_credit_balance": free - balance,
        "margin_long_value": agg[stats.AGG_LONG_VALUE],
        "margin_equity": equity,
        "margin_leverage": margin.book_leverage(agg[stats.AGG_LONG_VALUE], equity),
        "open_calls": agg[stats.AGG_OPEN_CALLS],
        "interest_usd": agg[stats.AGG_INTEREST],
        "realized_vol": market.realized_vol,
        "clearing_rounds": max_rounds_used,
        "dealer_gex_usd": model.gex(prices, day + (sim.substeps - 1) / sim.substeps),  # as last hedged
        "letf_aum_usd": _total(np.array([f.nav(prices) for f in model.letfs], dtype=np.float64)),
        "vol_control_exposure": model.vol_fund.exposure(prices) if model.vol_fund is not None else 0.0,
    })
    for key in TALLIED:
        row[key] = totals.get(key, 0.0)
    return row


def _total(values: np.ndarray) -> float:
    """Python's ``sum()`` of floats (compensated), the order this column has always used."""
    return float(python_sum(values, values.shape[0]))


def value_fund_columns(model: MarketModel, funds: LeveragedValueFunds, day: int,
                       totals: dict[str, float]) -> dict[str, float]:
    """The value funds' columns, after their close (investor flows, wind-ups, restarts)."""
    prices = model.market.prices
    if model.active["value_funds"]:
        funds.close_day(prices, day)
    wealth = float(np.maximum(funds.wealth(prices), 0.0)[funds.alive].sum())
    return {"flow_value_funds_usd": totals.get("flow_value_funds_usd", 0.0),
            "value_funds_wealth_usd": wealth, "value_funds_position_usd": funds.position(prices),
            "value_funds_leverage": funds.position(prices) / wealth if wealth > 0 else 0.0,
            "value_funds_alive": float(funds.alive.sum()), "value_funds_failed": float(funds.bankruptcies)}
