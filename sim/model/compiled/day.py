"""The compiled trading day: events, fundamentals, the substeps, the close and the day's record.

Mirrors :meth:`sim.model.market_model.MarketModel.step`; :func:`run_days` is the one kernel,
called once per block of days with the pre-drawn normals of those days. State arrays and their
slots are described in :mod:`sim.model.compiled.layout`.
"""

from __future__ import annotations

import numpy as np

from sim.book import arrays as book_arrays
from sim.book import clearing, daily, listing, scan, settle, stats
from sim.book.arrays import RULE_MAINT_LONG, RULE_RATE, RULE_TARGET_LONG
from sim.book.stats import N_AGG, N_STATS
from sim.core import deterf, detlanes, detmath, impact, margin, options, pairwise
from sim.core.jit import jitable, kernel
from sim.model.agents import leveraged_value_fund
from sim.model.compiled import close, layout, substep
from sim.model.compiled.close import close_day
from sim.model.compiled.layout import (
    C_BASE_VOL,
    C_DRIFT,
    C_GARCH_ALPHA,
    C_GARCH_ASYMMETRY,
    C_GARCH_BETA,
    C_HAS_DEALER,
    C_HAS_VC,
    C_HAS_VF,
    C_LOG_CEILING,
    C_LOG_FLOOR,
    C_NEWS_TO_PRICE,
    C_NT_KEEP,
    C_NT_SCALE,
    C_NT_VOL,
    C_ON_DEALERS,
    C_ON_LETF,
    C_ON_MARGIN,
    C_ON_VC,
    C_ON_VF,
    C_OPT_ROLL,
    C_OPT_STEP,
    C_RHO,
    C_SUBSTEPS,
    C_VT_INTENSITY,
    CH_DEALER,
    CH_LETF,
    CH_MARGIN,
    CH_NOISE,
    CH_TOTAL,
    CH_VALUE,
    CH_VC,
    CH_VF,
    EV_DAY,
    EV_KIND,
    EV_SIZE,
    EV_TARGET,
    N_CH,
    N_TOT,
    N_WORK,
    O_EXPIRY,
    O_MONEYNESS,
    O_QUANTITY,
    O_STRIKE,
    O_TENOR,
    S_BROKER_CASH,
    S_DEALER_ROLLED,
    S_INITIAL_LONG,
    S_LEVERAGE_GROWTH,
    S_MAX_LEVERAGE,
    S_MM_CASH,
    S_NEWS_VARIANCE,
    S_NT_CASH,
    S_VOL,
    S_VT_CASH,
    T_LOSSES,
    V_ADDON,
    V_BETAS,
    V_INITIAL_PRICES,
    V_LOG_FUNDAMENTAL,
    V_LOG_PERM,
    V_NT_DEMAND,
    V_NT_SHARES,
    V_TRANSIENT,
    V_VT_SHARES,
    V_WEIGHTS,
    W_CAPS,
    W_FLOW,
    W_LOG_BASE,
    W_PRICES,
    W_TMP,
)
from sim.model.rules import dealer, funds, market, traders
from sim.model.rules import value_funds as value_fund_rules

(PRICE_GAP, FUNDAMENTAL_GAP, VOL_REGIME, MAINTENANCE_RAISE, RATE_SHOCK, LENDING_CUT, LEVERAGE_GROWTH) = range(7)


@jitable
def apply_events(cst, sc, vec, rules, events, day):
    """The day's scheduled events, in the scenario's order (as ``MarketModel.apply_event``)."""
    for e in range(events.shape[0]):
        if events[e, EV_DAY] != day:
            continue
        kind, target, size = int(events[e, EV_KIND]), int(events[e, EV_TARGET]), events[e, EV_SIZE]
        if kind == PRICE_GAP:
            market.gap(vec[V_LOG_PERM], vec[V_BETAS], target, size)
            market.hold_in_range(vec[V_LOG_PERM], vec[V_TRANSIENT], cst[C_LOG_FLOOR], cst[C_LOG_CEILING])
        elif kind == FUNDAMENTAL_GAP:
            market.gap(vec[V_LOG_FUNDAMENTAL], vec[V_BETAS], target, size)
            for j in range(vec.shape[1]):
                vec[V_LOG_FUNDAMENTAL, j] = market.clip(vec[V_LOG_FUNDAMENTAL, j], cst[C_LOG_FLOOR],
                                                        cst[C_LOG_CEILING])
        elif kind == VOL_REGIME:
            sc[S_VOL] = cst[C_BASE_VOL] * size
        elif kind == MAINTENANCE_RAISE:
            if target < 0:
                for b in range(rules.shape[0]):
                    rules[b, RULE_MAINT_LONG] += size
                    rules[b, RULE_TARGET_LONG] += size
            else:
                vec[V_ADDON, target] += size
        elif kind == RATE_SHOCK:
            for b in range(rules.shape[0]):
                rules[b, RULE_RATE] += size
        elif kind == LENDING_CUT:
            sc[S_INITIAL_LONG] = size
            sc[S_MAX_LEVERAGE] = 1.0 / size
        elif kind == LEVERAGE_GROWTH:
            sc[S_LEVERAGE_GROWTH] = size


@jitable
def one_substep(cst, sc, vec, letf, letf_shares, letf_underlying, opt, opt_underlying, opt_is_call, vf, vf_alive,
                vc_history, events, rules, accounts, day, s, eps, tot, work, orders, present, clear_stats, found,
                near):
    """One round of orders, then clearing (as ``MarketModel._substep``); returns the clearing rounds."""
    n_sub = int(cst[C_SUBSTEPS])
    time = day + s / n_sub
    index_level = substep.quote(cst, sc, vec, work)
    present[:] = False
    if cst[C_HAS_DEALER] != 0.0 and cst[C_ON_DEALERS] != 0.0:
        substep.rehedge(cst, sc, vec, opt, opt_underlying, opt_is_call, time, index_level, work, orders[CH_DEALER])
        present[CH_DEALER] = True
    prices = work[W_PRICES]
    traders.value_order(cst[C_VT_INTENSITY], work[W_CAPS], vec[V_LOG_FUNDAMENTAL], work[W_LOG_BASE], n_sub,
                        orders[CH_VALUE])
    traders.noise_order(vec[V_NT_DEMAND], cst[C_NT_KEEP], cst[C_NT_VOL], eps, cst[C_NT_SCALE], work[W_CAPS],
                        orders[CH_NOISE])
    present[CH_VALUE] = True
    present[CH_NOISE] = True
    sc[S_VT_CASH] -= traders.fill(vec[V_VT_SHARES], orders[CH_VALUE], prices)
    sc[S_NT_CASH] -= traders.fill(vec[V_NT_SHARES], orders[CH_NOISE], prices)
    if s == n_sub - 1:
        if cst[C_ON_LETF] != 0.0:
            substep.letf_orders(cst, letf, letf_shares, letf_underlying, events, day, work, orders[CH_LETF])
            present[CH_LETF] = True
        if cst[C_HAS_VC] != 0.0 and cst[C_ON_VC] != 0.0:
            substep.vol_control_order(cst, sc, vec, vc_history, work, orders[CH_VC])
            present[CH_VC] = True
        if cst[C_ON_MARGIN] != 0.0:
            substep.margin_orders(cst, sc, vec, rules, accounts, work, orders[CH_MARGIN])
            present[CH_MARGIN] = True
    gap = 0.0
    if cst[C_HAS_VF] != 0.0 and cst[C_ON_VF] != 0.0:
        gap = substep.value_funds_order(cst, vec, vf, vf_alive, orders, present, work, orders[CH_VF])
        present[CH_VF] = True
    flow = work[W_FLOW]
    flow[:] = 0.0
    for c in range(N_CH):
        if present[c]:
            for j in range(flow.shape[0]):
                flow[j] = flow[j] + orders[c, j]
            tot[CH_TOTAL[c]] += pairwise.pairwise_sum(orders[c])
    neg = work[W_TMP]
    for j in range(flow.shape[0]):
        neg[j] = -flow[j]
        vec[layout.V_MM_SHARES, j] += neg[j] / prices[j]
    sc[S_MM_CASH] -= -pairwise.pairwise_sum(flow) - gap
    substep.clear(cst, sc, vec, rules, accounts, day, work, clear_stats, found, near)
    substep.tally(tot, clear_stats, work)
    substep.note_trade_size(sc, vec, orders, present, work)
    return int(clear_stats[stats.STAT_ROUNDS])


def _run_days(first, z, eps, cst, sc, vec, letf, letf_shares, letf_underlying, opt, opt_underlying, opt_is_call, vf,
              vf_alive, vf_restart, vc_history, events, rules, accounts, rec, found, near):  # pragma: no cover - jitted
    """Days ``first`` ... ``first + len(z) - 1``: their normals ``z`` and ``eps``, their rows into ``rec``."""
    k = vec.shape[1]
    work = np.zeros((N_WORK, k))
    orders = np.zeros((N_CH, k))
    present = np.zeros(N_CH, dtype=np.bool_)
    clear_stats = np.zeros(N_STATS)
    tot = np.zeros(N_TOT)
    agg = np.zeros(N_AGG)
    for d in range(z.shape[0]):
        day = first + d
        apply_events(cst, sc, vec, rules, events, day)
        sc[S_NEWS_VARIANCE] = market.fundamentals_day(
            vec[V_LOG_FUNDAMENTAL], vec[V_LOG_PERM], vec[V_TRANSIENT], vec[V_WEIGHTS], vec[V_BETAS], cst[C_RHO],
            cst[C_DRIFT], sc[S_VOL], sc[S_NEWS_VARIANCE], cst[C_GARCH_ALPHA], cst[C_GARCH_BETA],
            cst[C_GARCH_ASYMMETRY], cst[C_NEWS_TO_PRICE], z[d], cst[C_LOG_FLOOR], cst[C_LOG_CEILING])
        if cst[C_HAS_DEALER] != 0.0 and cst[C_ON_DEALERS] != 0.0:
            for j in range(k):
                work[W_LOG_BASE, j] = vec[V_LOG_PERM, j] + vec[V_TRANSIENT, j]
            market.prices_at(work[W_LOG_BASE], work[W_PRICES])
            level = market.index_at(vec[V_WEIGHTS], work[W_PRICES], vec[V_INITIAL_PRICES])
            sc[S_DEALER_ROLLED] += dealer.roll_expired(opt_underlying, opt[O_STRIKE], opt[O_EXPIRY], opt[O_QUANTITY],
                                                       opt[O_MONEYNESS], opt[O_TENOR], day, work[W_PRICES], level,
                                                       cst[C_OPT_ROLL] != 0.0, vec[V_INITIAL_PRICES],
                                                       cst[C_OPT_STEP])
        tot[:] = 0.0
        max_rounds = 0
        for s in range(int(cst[C_SUBSTEPS])):
            rounds = one_substep(cst, sc, vec, letf, letf_shares, letf_underlying, opt, opt_underlying, opt_is_call,
                                 vf, vf_alive, vc_history, events, rules, accounts, day, s, eps[d, s], tot, work,
                                 orders, present, clear_stats, found, near)
            max_rounds = max(max_rounds, rounds)
        sc[S_BROKER_CASH] -= tot[T_LOSSES]
        close_day(cst, sc, vec, letf, letf_shares, opt, opt_underlying, opt_is_call, vf, vf_alive, vf_restart,
                  vc_history, rules, accounts, day, tot, max_rounds, work, agg, rec[d])


_KERNEL: list = []


def run_days():
    """The day loop as one compiled kernel (built, or loaded from the cache, on first use: loads numba)."""
    if not _KERNEL:
        _KERNEL.append(kernel(margin, impact, detmath, deterf, detlanes, options, pairwise, book_arrays, stats, scan,
                              listing, settle, clearing, daily, layout, substep, close, market, dealer, funds, traders,
                              value_fund_rules, leveraged_value_fund)(_run_days))
    return _KERNEL[0]
