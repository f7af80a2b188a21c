"""Summary statistics of a run's daily series."""

from __future__ import annotations

import numpy as np
import pandas as pd


def max_drawdown(levels: np.ndarray, start: float = 100.0) -> float:
    """Largest peak-to-trough fall of a level series (fraction, >= 0), day-0 level included."""
    path = np.concatenate([[start], np.asarray(levels, dtype=float)])
    peaks = np.maximum.accumulate(path)
    return float(np.max(1.0 - path / peaks))


def running_peak(price0: np.ndarray, price: np.ndarray) -> np.ndarray:
    """(D, N): the highest price so far of each column, ``price0`` (day 0's open) included."""
    return np.maximum.accumulate(np.vstack([price0[None, :], price]), axis=0)[1:]


def max_drawdowns(price0: np.ndarray, price: np.ndarray) -> np.ndarray:
    """(N,): each column's largest fall from its running peak (a fraction >= 0), ``price0`` the first peak."""
    return (1.0 - price / running_peak(price0, price)).max(axis=0)


def excess_kurtosis(returns: np.ndarray) -> float:
    """Fisher (excess) kurtosis of daily returns, bias-corrected; 0 for a normal distribution.

    ``scipy.stats.kurtosis(r, fisher=True, bias=False)``'s formula, with the fourth power as a
    product of squares: scipy raises to the power 4 with ``np.power``, whose last bit depends on
    the CPU (SIMD or the C library's pow).
    """
    r = np.asarray(returns, dtype=float)
    if r.size < 4 or np.std(r) == 0.0:
        return 0.0
    n = r.size
    square = (r - r.mean()) ** 2
    m2 = float(square.mean())
    m4 = float((square * square).mean())
    corrected = 1.0 / (n - 2) / (n - 3) * ((n * n - 1.0) * m4 / (m2 * m2) - 3.0 * float((n - 1) * (n - 1)))
    return (corrected + 3.0) - 3.0  # as scipy: the kurtosis, then Fisher's - 3


DRIFT_EVENTS = ("leverage_growth",)
"""Event kinds that set a drift rather than shock the market; the shock metrics skip them."""


def first_shock_day(spec) -> int | None:
    """Day of the first scheduled event, not counting ``leverage_growth`` (a drift, not a shock)."""
    return min((e.day for e in spec.events if e.kind not in DRIFT_EVENTS), default=None)


SHOCK_WINDOW_DAYS = 21
"""Trading days after the first scheduled event in which the shock's trough is sought."""


def shock_drawdown(levels: np.ndarray, event_day: int | None, window: int = SHOCK_WINDOW_DAYS) -> float:
    """Fall from the close before ``event_day`` to the lowest close in the next ``window`` days.

    0 when there is no event. This isolates the shock from whatever the rest of the year does.
    """
    if event_day is None:
        return 0.0
    before = 100.0 if event_day == 0 else float(levels[event_day - 1])
    trough = float(np.min(levels[event_day:event_day + window]))
    return max(1.0 - trough / before, 0.0)


def channel_flows(ts: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per channel: total $ bought, total $ sold and the number of days it traded."""
    out = {}
    for col in [c for c in ts.columns if c.startswith("flow_")]:
        x = ts[col].to_numpy()
        out[col[len("flow_"):-len("_usd")]] = {"bought_usd": float(x[x > 0].sum()), "sold_usd": float(-x[x < 0].sum()),
                                             "days_traded": int(np.count_nonzero(x))}
    return out


def summarize(ts: pd.DataFrame, initial: dict[str, float], event_day: int | None = None) -> dict:
    """Headline metrics of a run (returns as fractions, flows and losses in $)."""
    returns = ts["index_return"].to_numpy()
    worst = int(np.argmin(returns))
    return {
        "days": len(ts),
        "total_return": float(ts["index_level"].iloc[-1] / 100.0 - 1.0),
        "max_drawdown": max_drawdown(ts["index_level"].to_numpy()),
        "shock_day": event_day,
        "shock_drawdown": shock_drawdown(ts["index_level"].to_numpy(), event_day),
        "worst_day": int(ts["day"].iloc[worst]),
        "worst_day_return": float(returns[worst]),
        "annualized_vol": float(np.std(returns, ddof=1) * np.sqrt(252.0)) if len(ts) > 1 else 0.0,
        "excess_kurtosis": excess_kurtosis(returns),
        "margin_calls": int(ts["margin_calls"].sum()),
        "liquidations": int(ts["liquidations"].sum()),
        "deposits_usd": float(ts["deposits_usd"].sum()),
        "forced_sales_usd": float(ts["forced_sales_usd"].sum()),
        "forced_buyins_usd": float(ts["forced_buyins_usd"].sum()),
        "broker_losses_usd": float(ts["broker_losses"].sum()),
        "interest_usd": float(ts["interest_usd"].sum()),
        "clearing_unconverged": int(ts["clearing_unconverged"].sum()),
        "max_clearing_rounds": int(ts["clearing_rounds"].max()),
        "initial_margin_debt_usd": initial["margin_debt"],
        "initial_free_credit_usd": initial["free_credit"],
        "initial_net_credit_balance_usd": initial["net_credit_balance"],
        "final_margin_debt_usd": float(ts["margin_debt"].iloc[-1]),
        "final_net_credit_balance_usd": float(ts["net_credit_balance"].iloc[-1]),
        "min_margin_debt_usd": float(ts["margin_debt"].min()),
        "min_dealer_gex_usd": float(ts["dealer_gex_usd"].min()),
        "channel_flows": channel_flows(ts),
        "regime_days": {k: int(v) for k, v in ts["regime"].value_counts().sort_index().items()},
    }
