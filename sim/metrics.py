"""Summary statistics of a run's daily series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def max_drawdown(levels: np.ndarray, start: float = 100.0) -> float:
    """Largest peak-to-trough fall of a level series (fraction, >= 0), day-0 level included."""
    path = np.concatenate([[start], np.asarray(levels, dtype=float)])
    peaks = np.maximum.accumulate(path)
    return float(np.max(1.0 - path / peaks))


def excess_kurtosis(returns: np.ndarray) -> float:
    """Fisher (excess) kurtosis of daily returns; 0 for a normal distribution."""
    r = np.asarray(returns, dtype=float)
    if r.size < 4 or np.std(r) == 0.0:
        return 0.0
    return float(stats.kurtosis(r, fisher=True, bias=False))


def summarize(ts: pd.DataFrame, initial: dict[str, float]) -> dict[str, float | int]:
    """Headline metrics of a run (returns as fractions, flows and losses in $)."""
    returns = ts["index_return"].to_numpy()
    worst = int(np.argmin(returns))
    return {
        "days": len(ts),
        "total_return": float(ts["index_level"].iloc[-1] / 100.0 - 1.0),
        "max_drawdown": max_drawdown(ts["index_level"].to_numpy()),
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
    }
