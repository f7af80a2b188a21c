"""The names of a run's outputs: summary metrics (flattened) and daily columns.

Experiments name the metrics and daily series they keep; these tuples let them be checked
without running anything. They list what every run has; ``sim.run`` checks against them and a
test compares them with a real run, so they cannot drift from what a run produces.
"""

from __future__ import annotations

from sim.core.regimes import REGIMES

SCALAR_METRICS = (
    "days", "total_return", "max_drawdown", "shock_day", "shock_drawdown", "worst_day", "worst_day_return",
    "annualized_vol", "excess_kurtosis", "margin_calls", "liquidations", "deposits_usd", "forced_sales_usd",
    "forced_buyins_usd", "broker_losses_usd", "interest_usd", "clearing_unconverged", "max_clearing_rounds",
    "initial_margin_debt_usd", "initial_free_credit_usd", "initial_net_credit_balance_usd", "final_margin_debt_usd",
    "final_net_credit_balance_usd", "min_margin_debt_usd", "min_dealer_gex_usd")
"""The summary's scalar metrics, in its order."""
FLOW_CHANNELS = ("margin_forced", "margin_voluntary", "letf", "dealer", "vol_control", "value", "noise")
"""The channels whose daily net flow every run records (``flow_<channel>_usd``)."""
FLOW_STATS = ("bought_usd", "sold_usd", "days_traded")
"""What ``channel_flows`` reports per channel."""

METRIC_NAMES = (*SCALAR_METRICS,
                *(f"channel_flows.{c}.{s}" for c in FLOW_CHANNELS for s in FLOW_STATS),
                *(f"regime_days.{label}" for label in sorted(REGIMES.values())))
"""Every metric a sweep can keep: the run summary's metrics, flattened (``channel_flows.letf.sold_usd``)."""

DAILY_COLUMNS = (
    "day", "index_level", "index_return", "margin_debt", "cash_debit", "short_market_value", "free_credit",
    "net_credit_balance", "margin_long_value", "margin_equity", "margin_leverage", "open_calls", "interest_usd",
    "realized_vol", "clearing_rounds", "dealer_gex_usd", "letf_aum_usd", "vol_control_exposure", "margin_calls",
    "deposits_usd", "liquidations", "forced_sales_usd", "forced_buyins_usd", "broker_losses",
    "clearing_unconverged", *(f"flow_{c}_usd" for c in FLOW_CHANNELS), "regime")
"""Daily columns every run has, besides ``price_<asset>`` and ``fundamental_<asset>``."""
PER_ASSET_COLUMNS = ("price", "fundamental")
"""Daily columns per asset: ``price_<asset>``, ``fundamental_<asset>``."""
VALUE_FUNDS_COLUMNS = ("flow_value_funds_usd", "value_funds_wealth_usd", "value_funds_position_usd",
                       "value_funds_leverage", "value_funds_alive", "value_funds_failed")
"""Daily columns of a run whose scenario has leveraged value funds (``value_funds.count`` > 0)."""


def daily_columns(assets: list[str] | tuple[str, ...], value_funds: bool = False) -> tuple[str, ...]:
    """Every daily column of a run over ``assets`` (with the value funds' columns when it has them)."""
    per_asset = tuple(f"{kind}_{a}" for kind in PER_ASSET_COLUMNS for a in assets)
    return (*DAILY_COLUMNS, *per_asset, *(VALUE_FUNDS_COLUMNS if value_funds else ()))
