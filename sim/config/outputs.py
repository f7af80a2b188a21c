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

STOCK_METRIC_TEXT = ("worst_name", "top_forced_name")
"""The stock table's metrics that are names, not numbers (a sweep keeps only numbers)."""

MARKET_METRIC_NAMES = (*SCALAR_METRICS,
                       *(f"channel_flows.{c}.{s}" for c in FLOW_CHANNELS for s in FLOW_STATS),
                       *(f"regime_days.{label}" for label in sorted(REGIMES.values())))
"""The market's metrics, flattened (``channel_flows.letf.sold_usd``): what every run and every ensemble path has."""

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


STOCK_COLUMNS: dict[str, str] = {
    "day": "trading day (0-based)",
    "ticker": "the stock",
    "sector": "its sector",
    "price": "$ per share at the close, after the day's flows and forced sales (100 at day 0's open)",
    "return": "simple return from the previous close (day 0: from the open)",
    "forced_sales_usd": "$ of the name's longs sold by margin calls that day",
    "buy_ins_usd": "$ of the name's shorts bought in that day (margin calls and recalls)",
    "margin_debt_usd": "$ of margin debt held against the name: each account's debt shared over its longs by value",
    "short_interest": "shares sold short / shares outstanding",
    "letf_flow_usd": "$ the leveraged ETFs traded in the name that day (+ = bought)",
}
"""``stocks.parquet``'s columns, in order, and what each holds."""

STOCK_DAILY_COLUMNS: dict[str, str] = {
    "stock_index_level": "cap-weighted index of the stock universe (100 at day 0's open)",
    "stock_margin_debt_usd": "$ of margin debt in the stock book",
    "stock_margin_debt_hhi": "Herfindahl index of the stock book's margin debt across names (1/N = spread evenly, "
                             "1 = all against one name)",
    "stock_margin_debt_top10_share": "share of the stock book's margin debt held against its 10 largest names",
    "stock_forced_sales_usd": "$ of longs sold by margin calls in the stock book that day",
    "stock_buy_ins_usd": "$ of shorts bought in that day (margin calls and recalls)",
    "stock_calls": "accounts called, summed over the day's clearing rounds",
    "stock_close_outs": "accounts closed out (no equity left)",
    "stock_broker_losses_usd": "$ of negative equity the stock book's brokers wrote off",
}
"""Daily columns a run with ``stocks.enabled`` adds to ``timeseries``."""

STOCK_METRICS: dict[str, str] = {
    "names": "stocks in the universe",
    "accounts": "accounts in the stock book",
    "initial_margin_debt_usd": "$ of margin debt in the stock book at day 0 (debit balances, short-sale proceeds "
                               "set aside: stocks.margin_debt_usd)",
    "final_margin_debt_usd": "$ at the last day",
    "initial_hhi": "Herfindahl index of margin debt across names at the end of day 0",
    "initial_top10_share": "share of margin debt against the 10 largest names at the end of day 0",
    "max_drawdown": "largest peak-to-trough fall of the stock index",
    "shock_day": "the first shock (the market's first event or a name-level shock, sim.run.stocks.stock_shock_day)",
    "shock_drawdown": "the stock index's fall from the close before the shock day to its lowest close in the next "
                      "21 days",
    "worst_name": "the name with the largest peak-to-trough fall",
    "worst_name_drawdown": "its fall",
    "forced_sales_usd": "$ of forced long sales over the run",
    "buy_ins_usd": "$ of shorts bought in over the run",
    "calls": "calls over the run",
    "close_outs": "close-outs over the run",
    "broker_losses_usd": "$ written off by the stock book's brokers",
    "top_forced_name": "the name with the most forced sales",
    "top_forced_name_share": "its share of all forced sales",
}
"""The summary's ``stocks`` table (a run with ``stocks.enabled``)."""

STOCK_METRIC_NAMES = tuple(f"stocks.{m}" for m in STOCK_METRICS if m not in STOCK_METRIC_TEXT)
"""The stock layer's numeric summary metrics, as a sweep names them (``stocks.max_drawdown``)."""

METRIC_NAMES = (*MARKET_METRIC_NAMES, *STOCK_METRIC_NAMES)
"""Every metric a sweep can keep: the market's (:data:`MARKET_METRIC_NAMES`) and, for a scenario with
the stock layer, the stock table's (:data:`STOCK_METRIC_NAMES`; NaN without the layer)."""
