"""The compiled close of a day: interest, realized volatility, the funds' close, the day's record row."""

from __future__ import annotations

import numpy as np

from sim.book.daily import _end_of_day_kernel
from sim.book.stats import (
    AGG_DEBIT,
    AGG_EQUITY,
    AGG_FREE_CREDIT,
    AGG_INTEREST,
    AGG_LONG_VALUE,
    AGG_MARGIN_BALANCE,
    AGG_OPEN_CALLS,
    AGG_SHORT_VALUE,
    N_AGG,
)
from sim.core import detmath, margin
from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum, python_sum
from sim.model.compiled.layout import (
    C_DAYS_PER_YEAR,
    C_EWMA_LAMBDA,
    C_HAS_DEALER,
    C_HAS_VC,
    C_HAS_VF,
    C_ON_VF,
    C_OPT_RATE,
    C_OPT_VOL,
    C_SUBSTEPS,
    C_VC_FAST,
    C_VC_SLOW,
    C_VF_BENCHMARK,
    C_VF_FLOW_SENSITIVITY,
    C_VF_MIN_WEALTH,
    C_VF_REINTRODUCE,
    C_VF_SMOOTHING,
    C_VF_WEALTH,
    F_CASH,
    F_PERFORMANCE,
    F_UNITS,
    F_WEALTH_AFTER_FLOWS,
    L_CASH,
    N_TOT,
    O_EXPIRY,
    O_QUANTITY,
    O_STRIKE,
    R_CASH_DEBIT,
    R_EQUITY,
    R_FREE_CREDIT,
    R_GEX,
    R_INTEREST,
    R_LETF_AUM,
    R_LEVERAGE,
    R_LONG_VALUE,
    R_MARGIN_DEBT,
    R_NET_CREDIT,
    R_OPEN_CALLS,
    R_REALIZED_VOL,
    R_ROUNDS,
    R_SHORT_VALUE,
    R_TALLIED,
    R_VC_EXPOSURE,
    R_VF_ALIVE,
    R_VF_FAILED,
    R_VF_FLOW,
    R_VF_LEVERAGE,
    R_VF_POSITION,
    R_VF_WEALTH,
    S_BROKER_CASH,
    S_INDEX_VARIANCE,
    S_PREV_INDEX,
    S_VC_CASH,
    S_VC_VAR_FAST,
    S_VC_VAR_SLOW,
    S_VF_BANKRUPTCIES,
    S_VF_INVESTOR_CASH,
    T_FLOW_VF,
    V_ADDON,
    V_INITIAL_PRICES,
    V_LOG_FUNDAMENTAL,
    V_LOG_PERM,
    V_PREV_CLOSE,
    V_SHARES_OUT,
    V_TRANSIENT,
    V_VARIANCE,
    V_VC_SHARES,
    V_VF_BASKET,
    V_WEIGHTS,
    W_LOG_BASE,
    W_PRICES,
)
from sim.model.rules import dealer, funds, market
from sim.model.rules import value_funds as value_fund_rules


@jitable
def book_close(cst, rules, accounts, prices, addon, agg):
    """Interest, call reset and the FINRA aggregates, broker by broker, summed in broker order."""
    long, short, cash, short_credit, reserve, call_day, _target_leverage, _short_target, _home, broker_start = accounts
    agg[:] = 0.0
    part = np.empty(N_AGG)
    one = np.zeros(2, dtype=np.int64)
    for b in range(broker_start.shape[0] - 1):
        s, e = broker_start[b], broker_start[b + 1]
        one[1] = e - s
        part[:] = 0.0
        _end_of_day_kernel(long[s:e], short[s:e], cash[s:e], short_credit[s:e], reserve[s:e], call_day[s:e], one,
                           rules[b:b + 1], cst[C_DAYS_PER_YEAR], prices, addon, part)
        for i in range(N_AGG):
            agg[i] = agg[i] + part[i]


@jitable
def market_close(cst, sc, vec, prices):
    """Realized volatility at the close; returns the index's simple return (as ``Market.close_day``)."""
    market.update_variances(vec[V_VARIANCE], prices, vec[V_PREV_CLOSE], cst[C_EWMA_LAMBDA])
    index = market.index_at(vec[V_WEIGHTS], prices, vec[V_INITIAL_PRICES])
    index_return = index / sc[S_PREV_INDEX] - 1.0
    log_index_return = detmath.log(index / sc[S_PREV_INDEX])
    sc[S_INDEX_VARIANCE] = market.ewma_variance(cst[C_EWMA_LAMBDA], sc[S_INDEX_VARIANCE], log_index_return)
    vec[V_PREV_CLOSE, :] = prices
    sc[S_PREV_INDEX] = index
    return index_return


@jitable
def vol_observe(cst, sc, vc_history, log_return):
    """The volatility-control fund's two EWMAs and its lagged estimates after a day."""
    sc[S_VC_VAR_FAST] = market.ewma_variance(cst[C_VC_FAST], sc[S_VC_VAR_FAST], log_return)
    sc[S_VC_VAR_SLOW] = market.ewma_variance(cst[C_VC_SLOW], sc[S_VC_VAR_SLOW], log_return)
    for i in range(vc_history.shape[0] - 1):
        vc_history[i] = vc_history[i + 1]
    vc_history[vc_history.shape[0] - 1] = funds.vol_estimate(sc[S_VC_VAR_FAST], sc[S_VC_VAR_SLOW],
                                                             cst[C_DAYS_PER_YEAR])


@jitable
def gex(cst, vec, opt, opt_underlying, opt_is_call, time, prices):
    """Dealer gamma exposure at ``prices``, $ per 1% move (as ``OptionsDealer.gex``)."""
    k, m = prices.shape[0], opt.shape[1]
    pos_delta = np.empty(m)
    pos_gamma = np.empty(m)
    caps = np.empty(k)
    cw = np.empty(k)
    out = np.empty(k)
    market.cap_weights(vec[V_SHARES_OUT], prices, caps, cw)
    level = market.index_at(vec[V_WEIGHTS], prices, vec[V_INITIAL_PRICES])
    dealer.book_greeks(opt_underlying, opt_is_call, opt[O_STRIKE], opt[O_EXPIRY], opt[O_QUANTITY], time, prices,
                       level, cst[C_DAYS_PER_YEAR], cst[C_OPT_VOL], cst[C_OPT_RATE], pos_delta, pos_gamma)
    dealer.dollar_gamma(opt_underlying, pos_gamma, prices, level, cw, out)
    return pairwise_sum(out) * 0.01


@jitable
def value_funds_close(cst, sc, vec, vf, vf_alive, vf_restart, day, tot, prices, row):
    """The value funds' close (when active) and their columns of the day's row."""
    unit_value = funds.holdings_value(vec[V_VF_BASKET], prices)
    if cst[C_ON_VF] != 0.0:
        sc[S_VF_INVESTOR_CASH], failed = value_fund_rules.close_funds(
            vf[F_UNITS], vf[F_CASH], vf_alive, vf_restart, vf[F_PERFORMANCE], vf[F_WEALTH_AFTER_FLOWS], unit_value,
            day, cst[C_VF_SMOOTHING], cst[C_VF_FLOW_SENSITIVITY], cst[C_VF_BENCHMARK], cst[C_VF_WEALTH],
            cst[C_VF_MIN_WEALTH], int(cst[C_VF_REINTRODUCE]), sc[S_VF_INVESTOR_CASH])
        sc[S_VF_BANKRUPTCIES] += failed
    h = vf.shape[1]
    wealth = value_fund_rules.wealth(vf[F_UNITS], vf[F_CASH], unit_value, np.empty(h))
    for i in range(h):
        wealth[i] = value_fund_rules.maximum(wealth[i], 0.0)
    total = value_fund_rules.masked_sum(wealth, vf_alive)
    position = pairwise_sum(vf[F_UNITS]) * unit_value
    row[R_VF_FLOW] = tot[T_FLOW_VF]
    row[R_VF_WEALTH] = total
    row[R_VF_POSITION] = position
    row[R_VF_LEVERAGE] = position / total if total > 0 else 0.0
    row[R_VF_ALIVE] = np.sum(vf_alive)
    row[R_VF_FAILED] = sc[S_VF_BANKRUPTCIES]


@jitable
def close_day(cst, sc, vec, letf, letf_shares, opt, opt_underlying, opt_is_call, vf, vf_alive, vf_restart,
              vc_history, rules, accounts, day, tot, max_rounds, work, agg, rec):
    """Interest, volatility, the funds' close and the day's record (as ``MarketModel._close``)."""
    k = vec.shape[1]
    prices = work[W_PRICES]
    for j in range(k):
        work[W_LOG_BASE, j] = vec[V_LOG_PERM, j] + vec[V_TRANSIENT, j]
    market.prices_at(work[W_LOG_BASE], prices)
    book_close(cst, rules, accounts, prices, vec[V_ADDON], agg)
    sc[S_BROKER_CASH] += agg[AGG_INTEREST]
    index_return = market_close(cst, sc, vec, prices)
    if cst[C_HAS_VC] != 0.0:
        vol_observe(cst, sc, vc_history, detmath.log1p(index_return))
    rec[0] = day
    rec[1] = market.index_at(vec[V_WEIGHTS], prices, vec[V_INITIAL_PRICES])
    rec[2] = index_return
    for j in range(k):
        rec[3 + j] = prices[j]
        rec[3 + k + j] = detmath.exp(vec[V_LOG_FUNDAMENTAL, j])
    row = rec[3 + 2 * k:]
    equity = agg[AGG_EQUITY]
    row[R_MARGIN_DEBT] = agg[AGG_MARGIN_BALANCE]
    row[R_CASH_DEBIT] = agg[AGG_DEBIT]
    row[R_SHORT_VALUE] = agg[AGG_SHORT_VALUE]
    row[R_FREE_CREDIT] = agg[AGG_FREE_CREDIT]
    row[R_NET_CREDIT] = agg[AGG_FREE_CREDIT] - agg[AGG_MARGIN_BALANCE]
    row[R_LONG_VALUE] = agg[AGG_LONG_VALUE]
    row[R_EQUITY] = equity
    row[R_LEVERAGE] = margin.book_leverage(agg[AGG_LONG_VALUE], equity)
    row[R_OPEN_CALLS] = agg[AGG_OPEN_CALLS]
    row[R_INTEREST] = agg[AGG_INTEREST]
    row[R_REALIZED_VOL] = market.annualized_vol(sc[S_INDEX_VARIANCE])
    row[R_ROUNDS] = max_rounds
    n_sub = int(cst[C_SUBSTEPS])
    row[R_GEX] = (gex(cst, vec, opt, opt_underlying, opt_is_call, day + (n_sub - 1) / n_sub, prices)
                  if cst[C_HAS_DEALER] != 0.0 else 0.0)
    navs = np.empty(letf.shape[1])
    for f in range(letf.shape[1]):
        navs[f] = letf[L_CASH, f] + funds.holdings_value(letf_shares[f], prices)
    row[R_LETF_AUM] = python_sum(navs, navs.shape[0])  # the Mesa row uses Python's sum()
    exposure = 0.0
    if cst[C_HAS_VC] != 0.0:
        exposure = funds.exposure(funds.holdings_value(vec[V_VC_SHARES], prices), sc[S_VC_CASH])
    row[R_VC_EXPOSURE] = exposure
    for t in range(N_TOT - 1):
        row[R_TALLIED + t] = tot[t]
    if cst[C_HAS_VF] != 0.0:
        value_funds_close(cst, sc, vec, vf, vf_alive, vf_restart, day, tot, prices, row)
