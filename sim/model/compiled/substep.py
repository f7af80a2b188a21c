"""One substep of the compiled engine: quote, orders, the value funds, clearing, settlement.

Mirrors :meth:`sim.model.market_model.MarketModel._substep` step for step, on the state arrays
of :mod:`sim.model.compiled.layout`; every formula is a rule of :mod:`sim.model.rules` or a book
kernel. Sums run in the order the Mesa model's run (numpy's pairwise order for ``.sum()``).
"""

from __future__ import annotations

import numpy as np

from sim.book.clearing import _clear_kernel
from sim.book.daily import _rebalance_kernel
from sim.book.stats import (
    STAT_CALLS,
    STAT_CONVERGED,
    STAT_DEALER_UNCONVERGED,
    STAT_DEPOSITS,
    STAT_LIQUIDATIONS,
    STAT_LOSSES,
)
from sim.core import detmath, margin
from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum
from sim.model.agents.leveraged_value_fund import _clear_funds
from sim.model.compiled.layout import (
    C_ADV_FRACTION,
    C_BAND,
    C_BUY_SPEED,
    C_CONCENTRATION,
    C_DAYS_PER_YEAR,
    C_DEADLINE,
    C_DECAY,
    C_HAS_DEALER,
    C_LETF_FLOW_RESPONSE,
    C_LETF_MAX_SHARE,
    C_LOG_CEILING,
    C_LOG_FLOOR,
    C_MAX_ROUNDS,
    C_MAX_THINNING,
    C_MODEL,
    C_MULTIPLIER,
    C_ON_MARGIN,
    C_OPT_RATE,
    C_OPT_VOL,
    C_REFERENCE_VOL,
    C_SELL_SPEED,
    C_SHORT_EQUITY,
    C_SQRT_Y,
    C_THINNING,
    C_TRANSIENT_FRACTION,
    C_VC_BAND,
    C_VC_CAP,
    C_VC_TARGET,
    C_VF_MAX_LEVERAGE,
    EV_DAY,
    EV_KIND,
    EV_SIZE,
    EV_TARGET,
    F_BETA,
    F_CASH,
    F_UNITS,
    L_CASH,
    L_INVESTOR_CASH,
    L_LAST_EXPOSURE,
    L_LAST_RETURN,
    L_LEVERAGE,
    L_TERMINATED,
    N_CH,
    O_EXPIRY,
    O_QUANTITY,
    O_STRIKE,
    S_DEALER_CASH,
    S_INITIAL_LONG,
    S_LARGEST_USD,
    S_LEVERAGE_GROWTH,
    S_MAX_LEVERAGE,
    S_MM_CASH,
    S_VC_CASH,
    S_VOL,
    T_CALLS,
    T_DEPOSITS,
    T_FLOW_DEALER,
    T_FLOW_FORCED,
    T_FORCED_BUYINS,
    T_FORCED_SALES,
    T_LIQUIDATIONS,
    T_LOSSES,
    T_UNCONVERGED,
    TARGET_ALL,
    V_ADDON,
    V_DEALER_SHARES,
    V_INITIAL_PRICES,
    V_LARGEST_SHARES,
    V_LOG_FUNDAMENTAL,
    V_LOG_PERM,
    V_MM_SHARES,
    V_SHARES_OUT,
    V_TRANSIENT,
    V_VARIANCE,
    V_VC_SHARES,
    V_VF_BASKET,
    V_WEIGHTS,
    W_ADV,
    W_BOUGHT_USD,
    W_CAP_WEIGHTS,
    W_CAPS,
    W_CLEAR_PRICES,
    W_COEF,
    W_DEALER_SHARES,
    W_DEALER_USD,
    W_FLOW,
    W_FUNDAMENTALS,
    W_GAMMA,
    W_LIMIT,
    W_LOG_BASE,
    W_PRICES,
    W_SOLD_SHARES,
    W_SOLD_USD,
    W_TMP,
    W_TMP2,
)
from sim.model.rules import dealer, funds, market

LETF_OUTFLOW = 7
"""Position of ``letf_outflow`` in :data:`sim.model.compiled.layout.EVENT_KINDS`."""


@jitable
def quote(cst, sc, vec, work):
    """Decay the transient impact; the substep's base prices, caps, weights, impact; returns the index level."""
    k = vec.shape[1]
    for j in range(k):
        vec[V_TRANSIENT, j] *= cst[C_DECAY]
        work[W_LOG_BASE, j] = vec[V_LOG_PERM, j] + vec[V_TRANSIENT, j]
    market.impact_state(work[W_LOG_BASE], vec[V_VARIANCE], vec[V_SHARES_OUT], int(cst[C_MODEL]),
                        cst[C_MULTIPLIER], cst[C_SQRT_Y], sc[S_VOL], cst[C_ADV_FRACTION], cst[C_REFERENCE_VOL],
                        cst[C_THINNING], cst[C_MAX_THINNING], work[W_COEF], work[W_ADV])
    market.prices_at(work[W_LOG_BASE], work[W_PRICES])
    market.cap_weights(vec[V_SHARES_OUT], work[W_PRICES], work[W_CAPS], work[W_CAP_WEIGHTS])
    for j in range(k):
        work[W_GAMMA, j] = 0.0
        work[W_LIMIT, j] = 0.0
    return market.index_at(vec[V_WEIGHTS], work[W_PRICES], vec[V_INITIAL_PRICES])


@jitable
def rehedge(cst, sc, vec, opt, opt_underlying, opt_is_call, time, index_level, work, out):
    """The dealers' full re-hedge ($ order into ``out``); notes their dollar gamma and limit in ``work``."""
    m = opt.shape[1]
    pos_delta = np.empty(m)
    pos_gamma = np.empty(m)
    prices, cw = work[W_PRICES], work[W_CAP_WEIGHTS]
    dealer.book_greeks(opt_underlying, opt_is_call, opt[O_STRIKE], opt[O_EXPIRY], opt[O_QUANTITY], time, prices,
                       index_level, cst[C_DAYS_PER_YEAR], cst[C_OPT_VOL], cst[C_OPT_RATE], pos_delta, pos_gamma)
    target = work[W_TMP]
    dealer.target_hedge(opt_underlying, pos_delta, index_level, cw, prices, target)
    sc[S_DEALER_CASH] -= dealer.rehedge_to(target, vec[V_DEALER_SHARES], prices, out)
    dealer.dollar_gamma(opt_underlying, pos_gamma, prices, index_level, cw, work[W_GAMMA])
    dealer.hedge_limit(opt_underlying, opt[O_QUANTITY], prices, index_level, cw, work[W_LIMIT])


@jitable
def redeem_fraction(events, day, underlying):
    """The fraction of a leveraged ETF's NAV its investors redeem today (``letf_outflow`` events)."""
    total = 0.0
    for e in range(events.shape[0]):
        if events[e, EV_DAY] == day and events[e, EV_KIND] == LETF_OUTFLOW:
            target = int(events[e, EV_TARGET])
            if target == TARGET_ALL or target == underlying:
                total += events[e, EV_SIZE]
    return min(total, 1.0)


@jitable
def letf_orders(cst, letf, letf_shares, letf_underlying, events, day, work, out):
    """The leveraged ETFs' close-of-day orders, $ per asset, summed over funds in order."""
    k = out.shape[0]
    prices, caps, cw = work[W_PRICES], work[W_CAPS], work[W_CAP_WEIGHTS]
    for j in range(k):
        out[j] = 0.0
    basket = np.empty(k)
    usd = np.empty(k)
    for f in range(letf.shape[1]):
        u = letf_underlying[f]
        for j in range(k):
            basket[j] = cw[j] if u < 0 else (1.0 if j == u else 0.0)
        shares = letf_shares[f]
        exposure = funds.holdings_value(shares, prices)
        nav = letf[L_CASH, f] + exposure
        leverage = letf[L_LEVERAGE, f]
        ucap = pairwise_sum(caps) if u < 0 else caps[u]
        if funds.letf_must_close(letf[L_TERMINATED, f] != 0.0, nav, leverage, cst[C_LETF_MAX_SHARE], ucap):
            letf[L_CASH, f] -= funds.liquidate(shares, prices, usd)
            letf[L_TERMINATED, f] = 1.0
        else:
            r, creations = funds.letf_creations(cst[C_LETF_FLOW_RESPONSE], leverage, letf[L_LAST_EXPOSURE, f],
                                                exposure, nav, redeem_fraction(events, day, u))
            letf[L_LAST_RETURN, f] = r
            letf[L_CASH, f] += creations
            letf[L_INVESTOR_CASH, f] -= creations
            target = leverage * (nav + creations)
            letf[L_CASH, f] -= funds.rebalance_to(target, basket, shares, prices, usd)
            letf[L_LAST_EXPOSURE, f] = target
        for j in range(k):
            out[j] = out[j] + usd[j]


@jitable
def vol_control_order(cst, sc, vec, vc_history, work, out):
    """The volatility-control fund's close-of-day order, $ per asset (zero inside its band)."""
    prices = work[W_PRICES]
    value = funds.holdings_value(vec[V_VC_SHARES], prices)
    nav = sc[S_VC_CASH] + value
    target = funds.vol_target_exposure(cst[C_VC_CAP], cst[C_VC_TARGET], vc_history[0])
    if not funds.vol_outside_band(nav, value, target, cst[C_VC_BAND]):
        for j in range(out.shape[0]):
            out[j] = 0.0
        return
    sc[S_VC_CASH] -= funds.rebalance_to(target * nav, work[W_CAP_WEIGHTS], vec[V_VC_SHARES], prices, out)


@jitable
def margin_orders(cst, sc, vec, rules, accounts, work, out):
    """The margin investors' voluntary rebalancing, broker by broker: $ per asset into ``out``."""
    long, short, cash, short_credit, _reserve, _call_day, target_leverage, short_target, home, broker_start = accounts
    k = out.shape[0]
    if sc[S_LEVERAGE_GROWTH] != 0.0:
        factor = detmath.exp(sc[S_LEVERAGE_GROWTH] / cst[C_DAYS_PER_YEAR])
        for i in range(target_leverage.shape[0]):
            target_leverage[i] = margin.grown_leverage_target(target_leverage[i], factor)
    for j in range(k):
        out[j] = 0.0
    bought = np.empty(k)
    flow = np.empty(k)
    one = np.zeros(2, dtype=np.int64)
    for b in range(broker_start.shape[0] - 1):
        s, e = broker_start[b], broker_start[b + 1]
        one[1] = e - s
        bought[:] = 0.0
        flow[:] = 0.0
        _rebalance_kernel(long[s:e], short[s:e], cash[s:e], short_credit[s:e], target_leverage[s:e],
                          short_target[s:e], home[s:e], one, rules[b:b + 1], vec[V_ADDON], vec[V_WEIGHTS],
                          cst[C_CONCENTRATION], cst[C_BUY_SPEED], cst[C_SELL_SPEED], cst[C_BAND],
                          sc[S_INITIAL_LONG], cst[C_SHORT_EQUITY], work[W_PRICES], sc[S_MAX_LEVERAGE], bought, flow)
        for j in range(k):
            out[j] = out[j] + flow[j]


@jitable
def value_funds_order(cst, vec, vf, vf_alive, orders, present, work, out):
    """The value funds' order ($ per asset into ``out``), cleared against all others; returns the $ paid beyond it."""
    k = out.shape[0]
    others = work[W_TMP2]
    for j in range(k):
        others[j] = 0.0
    for c in range(N_CH):
        if present[c]:
            for j in range(k):
                others[j] = others[j] + orders[c, j]
    prices = work[W_PRICES]
    market.prices_at(vec[V_LOG_FUNDAMENTAL], work[W_FUNDAMENTALS])
    desired = np.empty(vf.shape[1])
    unit_price = _clear_funds(vec[V_VF_BASKET], prices, work[W_FUNDAMENTALS], others, int(cst[C_MODEL]),
                              work[W_COEF], work[W_ADV], vf[F_UNITS], vf[F_CASH], vf[F_BETA], vf_alive,
                              cst[C_VF_MAX_LEVERAGE], desired)
    trade = np.empty(vf.shape[1])
    for h in range(vf.shape[1]):
        trade[h] = desired[h] - vf[F_UNITS, h]
        vf[F_UNITS, h] = desired[h]
        vf[F_CASH, h] -= trade[h] * unit_price
    total = pairwise_sum(trade)
    for j in range(k):
        out[j] = total * vec[V_VF_BASKET, j] * prices[j]
    return total * unit_price - pairwise_sum(out)


@jitable
def clear(cst, sc, vec, rules, accounts, day, work, stats, found, near):
    """Clear the margin book at the substep's flow, settle with the market maker and dealers, move prices."""
    long, short, cash, short_credit, reserve, call_day, _target_leverage, _short_target, _home, broker_start = accounts
    k = vec.shape[1]
    for w in (W_SOLD_SHARES, W_SOLD_USD, W_BOUGHT_USD, W_DEALER_USD, W_DEALER_SHARES):
        work[w, :] = 0.0
    stats[:] = 0.0
    _clear_kernel(long, short, cash, short_credit, reserve, call_day, broker_start, rules, day,
                  int(cst[C_DEADLINE]), work[W_LOG_BASE], work[W_FLOW], int(cst[C_MODEL]), work[W_COEF],
                  work[W_ADV], int(cst[C_MAX_ROUNDS]), work[W_GAMMA], work[W_LIMIT], vec[V_ADDON],
                  cst[C_ON_MARGIN] != 0.0, work[W_CLEAR_PRICES], work[W_SOLD_SHARES], work[W_SOLD_USD],
                  work[W_BOUGHT_USD], work[W_DEALER_USD], work[W_DEALER_SHARES], stats, found, near)
    forced = work[W_TMP]
    for j in range(k):
        forced[j] = work[W_SOLD_USD, j] - work[W_BOUGHT_USD, j]
        vec[V_MM_SHARES, j] += work[W_SOLD_SHARES, j] - work[W_DEALER_SHARES, j]
    dealer_usd = pairwise_sum(work[W_DEALER_USD])
    sc[S_MM_CASH] -= pairwise_sum(forced) - dealer_usd
    if cst[C_HAS_DEALER] != 0.0:
        for j in range(k):
            vec[V_DEALER_SHARES, j] += work[W_DEALER_SHARES, j]
        sc[S_DEALER_CASH] -= dealer_usd
    market.commit(vec[V_LOG_PERM], vec[V_TRANSIENT], work[W_FLOW], int(cst[C_MODEL]), work[W_COEF], work[W_ADV],
                  cst[C_TRANSIENT_FRACTION], cst[C_LOG_FLOOR], cst[C_LOG_CEILING])


@jitable
def tally(tot, stats, work):
    """Add one clearing's counters and forced flows to the day's totals (as ``MarketModel._tally``)."""
    tot[T_CALLS] += stats[STAT_CALLS]
    tot[T_DEPOSITS] += stats[STAT_DEPOSITS]
    tot[T_LIQUIDATIONS] += stats[STAT_LIQUIDATIONS]
    tot[T_LOSSES] += stats[STAT_LOSSES]
    tot[T_UNCONVERGED] += (1.0 - stats[STAT_CONVERGED]) + stats[STAT_DEALER_UNCONVERGED]
    tot[T_FORCED_SALES] += pairwise_sum(work[W_SOLD_USD])
    tot[T_FORCED_BUYINS] += pairwise_sum(work[W_BOUGHT_USD])
    tot[T_FLOW_FORCED] -= pairwise_sum(work[W_TMP])  # sold - bought, left there by ``clear``
    tot[T_FLOW_DEALER] += pairwise_sum(work[W_DEALER_USD])


@jitable
def note_trade_size(sc, vec, orders, present, work):
    """Keep the largest gross shares and $ traded in one substep (the conservation checks' scale)."""
    k = vec.shape[1]
    usd = work[W_TMP2]
    for j in range(k):
        usd[j] = work[W_SOLD_USD, j] + work[W_BOUGHT_USD, j] + abs(work[W_DEALER_USD, j])
    for c in range(N_CH):
        if present[c]:
            for j in range(k):
                usd[j] = usd[j] + abs(orders[c, j])
    sc[S_LARGEST_USD] = max(sc[S_LARGEST_USD], pairwise_sum(usd))
    for j in range(k):
        shares = usd[j] / min(work[W_PRICES, j], work[W_CLEAR_PRICES, j])
        vec[V_LARGEST_SHARES, j] = max(vec[V_LARGEST_SHARES, j], shares)
