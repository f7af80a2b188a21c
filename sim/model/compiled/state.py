"""The compiled engine's state: a built :class:`~sim.model.market_model.MarketModel` as arrays, and back.

:func:`extract` copies the model's numbers into the arrays of :mod:`sim.model.compiled.layout`
(the margin book and the brokers' rules are shared, not copied: the kernels update them in
place); :func:`write_back` puts the numbers back on the Mesa objects, so the conservation checks
and anything else that reads the model see the state the compiled days left.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.core import margin
from sim.model.compiled import layout as L
from sim.model.market_model import MarketModel


class State(NamedTuple):
    """Everything the day kernel reads and writes (see :mod:`sim.model.compiled.layout`)."""

    cst: np.ndarray
    sc: np.ndarray
    vec: np.ndarray
    letf: np.ndarray
    letf_shares: np.ndarray
    letf_underlying: np.ndarray
    opt: np.ndarray
    opt_underlying: np.ndarray
    opt_is_call: np.ndarray
    vf: np.ndarray
    vf_alive: np.ndarray
    vf_restart: np.ndarray
    vc_history: np.ndarray
    events: np.ndarray
    rules: np.ndarray
    accounts: tuple


def _constants(model: MarketModel) -> np.ndarray:
    spec, mk = model.spec, model.market
    m, sim = spec.margin, spec.simulation
    cst = np.zeros(L.N_CST)
    for slot, value in ((L.C_BASE_VOL, mk.base_vol), (L.C_RHO, mk.rho), (L.C_DRIFT, mk.drift),
                        (L.C_EWMA_LAMBDA, mk.ewma_lambda), (L.C_LOG_FLOOR, mk.log_floor),
                        (L.C_LOG_CEILING, mk.log_ceiling), (L.C_GARCH_ALPHA, mk.garch[0]),
                        (L.C_GARCH_BETA, mk.garch[1]), (L.C_GARCH_ASYMMETRY, mk.garch[2]),
                        (L.C_NEWS_TO_PRICE, mk.news_to_price), (L.C_MODEL, mk.model), (L.C_MULTIPLIER, mk.multiplier),
                        (L.C_SQRT_Y, mk.sqrt_y), (L.C_ADV_FRACTION, mk.adv_fraction),
                        (L.C_TRANSIENT_FRACTION, mk.transient_fraction), (L.C_DECAY, mk.decay),
                        (L.C_THINNING, mk.thinning), (L.C_REFERENCE_VOL, mk.reference_vol),
                        (L.C_MAX_THINNING, mk.max_thinning), (L.C_SUBSTEPS, sim.substeps),
                        (L.C_DAYS_PER_YEAR, sim.days_per_year), (L.C_VT_INTENSITY, model.value_trader.intensity),
                        (L.C_NT_VOL, model.noise_trader.vol), (L.C_NT_KEEP, model.noise_trader.keep),
                        (L.C_NT_SCALE, model.noise_trader.scale), (L.C_LETF_FLOW_RESPONSE, spec.letf.flow_response),
                        (L.C_LETF_MAX_SHARE, spec.letf.max_market_share), (L.C_CONCENTRATION, m.concentration),
                        (L.C_BUY_SPEED, m.buy_speed), (L.C_SELL_SPEED, m.sell_speed), (L.C_BAND, m.rebalance_band),
                        (L.C_SHORT_EQUITY, margin.short_equity_rate(m.initial_margin_short)),
                        (L.C_DEADLINE, m.call_deadline_days), (L.C_MAX_ROUNDS, sim.max_clearing_rounds)):
        cst[slot] = value
    if model.dealer is not None:
        cst[L.C_HAS_DEALER] = 1.0
        cst[L.C_OPT_VOL], cst[L.C_OPT_RATE], cst[L.C_OPT_ROLL] = model.dealer.vol, model.dealer.rate, model.dealer.roll
        cst[L.C_OPT_STEP] = model.dealer.strike_step
    if model.vol_fund is not None:
        vc = model.vol_fund
        cst[L.C_HAS_VC] = 1.0
        cst[L.C_VC_TARGET], cst[L.C_VC_CAP], cst[L.C_VC_BAND] = vc.target_vol, vc.cap, vc.band
        cst[L.C_VC_FAST], cst[L.C_VC_SLOW] = vc.lambdas
    if model.value_funds is not None:
        cfg = model.value_funds.config
        cst[L.C_HAS_VF] = 1.0
        for slot, value in ((L.C_VF_MAX_LEVERAGE, cfg.max_leverage), (L.C_VF_SMOOTHING, cfg.performance_smoothing),
                            (L.C_VF_FLOW_SENSITIVITY, cfg.flow_sensitivity), (L.C_VF_BENCHMARK, cfg.benchmark_return),
                            (L.C_VF_WEALTH, cfg.wealth_usd), (L.C_VF_MIN_WEALTH, cfg.min_wealth_fraction),
                            (L.C_VF_REINTRODUCE, cfg.reintroduce_days)):
            cst[slot] = value
    for slot, name in ((L.C_ON_MARGIN, "margin"), (L.C_ON_LETF, "letf"), (L.C_ON_DEALERS, "dealers"),
                       (L.C_ON_VC, "vol_control"), (L.C_ON_VF, "value_funds")):
        cst[slot] = float(model.active[name])
    return cst


def _events(model: MarketModel) -> np.ndarray:
    names = model.market.names
    rows = []
    for ev in model.spec.events:
        target = (L.TARGET_ALL if ev.target == "all" else L.TARGET_INDEX if ev.target == "index"
                  else names.index(ev.target))
        rows.append((ev.day, L.EVENT_KINDS.index(ev.kind), target, ev.size))
    return np.array(rows, dtype=np.float64).reshape(len(rows), L.N_EV)


def extract(model: MarketModel) -> State:
    """The model's state as arrays (the book and rules shared, the rest copied)."""
    mk, k = model.market, model.spec.n_assets
    sc = np.zeros(L.N_SC)
    vec = np.zeros((L.N_VEC, k))
    for row, value in ((L.V_LOG_PERM, mk.log_perm), (L.V_TRANSIENT, mk.transient),
                       (L.V_LOG_FUNDAMENTAL, mk.log_fundamental), (L.V_VARIANCE, mk.variance),
                       (L.V_PREV_CLOSE, mk.prev_close), (L.V_WEIGHTS, mk.weights), (L.V_BETAS, mk.betas),
                       (L.V_SHARES_OUT, mk.shares_outstanding), (L.V_INITIAL_PRICES, mk.initial_prices),
                       (L.V_ADDON, model.addon), (L.V_LARGEST_SHARES, model.largest_trade_shares),
                       (L.V_VT_SHARES, model.value_trader.shares), (L.V_NT_DEMAND, model.noise_trader.demand),
                       (L.V_NT_SHARES, model.noise_trader.shares), (L.V_MM_SHARES, model.market_maker.shares)):
        vec[row] = value
    for slot, value in ((L.S_VOL, mk.vol), (L.S_INDEX_VARIANCE, mk.index_variance), (L.S_PREV_INDEX, mk.prev_index),
                        (L.S_NEWS_VARIANCE, mk.news_variance),
                        (L.S_INITIAL_LONG, model.initial_long), (L.S_MAX_LEVERAGE, model.max_leverage),
                        (L.S_LEVERAGE_GROWTH, model.leverage_growth), (L.S_BROKER_CASH, model.broker_cash),
                        (L.S_LARGEST_USD, model.largest_trade_usd), (L.S_VT_CASH, model.value_trader.cash),
                        (L.S_NT_CASH, model.noise_trader.cash), (L.S_MM_CASH, model.market_maker.cash)):
        sc[slot] = value
    letf, letf_shares, letf_underlying = _letfs(model, k)
    opt, opt_underlying, opt_is_call = _dealer(model, sc, vec)
    vc_history = _vol_fund(model, sc, vec)
    vf, vf_alive, vf_restart = _value_funds(model, sc, vec)
    a = model.book.arrays()
    accounts = (a.long, a.short, a.cash, a.short_credit, a.reserve, a.call_day, a.target_leverage, a.short_target,
                a.home, a.broker_start)
    return State(_constants(model), sc, vec, letf, letf_shares, letf_underlying, opt, opt_underlying, opt_is_call,
                 vf, vf_alive, vf_restart, vc_history, _events(model), model.rules, accounts)


def _letfs(model: MarketModel, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    funds = model.letfs
    letf = np.zeros((L.N_LETF, len(funds)))
    for f, fund in enumerate(funds):
        letf[:, f] = (fund.leverage, fund.cash, fund.investor_cash, fund.last_exposure, fund.last_return,
                      float(fund.terminated))
    shares = np.array([fund.shares for fund in funds], dtype=np.float64).reshape(len(funds), k)
    return letf, shares, np.array([fund.underlying for fund in funds], dtype=np.int64)


def _dealer(model: MarketModel, sc: np.ndarray, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = model.dealer
    if d is None:
        return np.zeros((L.N_OPT, 0)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_)
    opt = np.array([d.strike, d.expiry, d.quantity, d.moneyness, d.tenor], dtype=np.float64)
    vec[L.V_DEALER_SHARES] = d.shares
    sc[L.S_DEALER_CASH], sc[L.S_DEALER_ROLLED] = d.cash, d.rolled
    return opt, d.underlying.astype(np.int64), d.is_call.astype(np.bool_)


def _vol_fund(model: MarketModel, sc: np.ndarray, vec: np.ndarray) -> np.ndarray:
    vc = model.vol_fund
    if vc is None:
        return np.zeros(1)
    vec[L.V_VC_SHARES] = vc.shares
    sc[L.S_VC_CASH] = vc.cash
    sc[L.S_VC_VAR_FAST], sc[L.S_VC_VAR_SLOW] = vc.variances
    return np.array(vc.history, dtype=np.float64)


def _value_funds(model: MarketModel, sc: np.ndarray, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = model.value_funds
    if f is None:
        return np.zeros((L.N_VF, 0)), np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.int64)
    vec[L.V_VF_BASKET] = f.basket
    sc[L.S_VF_INVESTOR_CASH], sc[L.S_VF_BANKRUPTCIES] = f.investor_cash, f.bankruptcies
    vf = np.array([f.beta, f.units, f.fund_cash, f.performance, f.wealth_after_flows], dtype=np.float64)
    return vf, f.alive.copy(), f.restart_day.astype(np.int64)


def write_back(state: State, model: MarketModel) -> None:
    """Put the compiled state back on the Mesa objects (the book and rules are shared already)."""
    mk, sc, vec = model.market, state.sc, state.vec
    mk.log_perm, mk.transient = vec[L.V_LOG_PERM].copy(), vec[L.V_TRANSIENT].copy()
    mk.log_fundamental, mk.variance = vec[L.V_LOG_FUNDAMENTAL].copy(), vec[L.V_VARIANCE].copy()
    mk.prev_close = vec[L.V_PREV_CLOSE].copy()
    mk.vol, mk.index_variance, mk.prev_index = sc[L.S_VOL], sc[L.S_INDEX_VARIANCE], sc[L.S_PREV_INDEX]
    mk.news_variance = sc[L.S_NEWS_VARIANCE]
    model.addon[:] = vec[L.V_ADDON]
    model.largest_trade_shares = vec[L.V_LARGEST_SHARES].copy()
    model.initial_long, model.max_leverage = sc[L.S_INITIAL_LONG], sc[L.S_MAX_LEVERAGE]
    model.leverage_growth, model.broker_cash = sc[L.S_LEVERAGE_GROWTH], sc[L.S_BROKER_CASH]
    model.largest_trade_usd = sc[L.S_LARGEST_USD]
    for agent, shares, cash in ((model.value_trader, L.V_VT_SHARES, L.S_VT_CASH),
                                (model.noise_trader, L.V_NT_SHARES, L.S_NT_CASH),
                                (model.market_maker, L.V_MM_SHARES, L.S_MM_CASH)):
        agent.shares, agent.cash = vec[shares].copy(), sc[cash]
    model.noise_trader.demand = vec[L.V_NT_DEMAND].copy()
    for f, fund in enumerate(model.letfs):
        fund.cash, fund.investor_cash, fund.last_exposure, fund.last_return = state.letf[L.L_CASH:L.L_TERMINATED, f]
        fund.terminated = bool(state.letf[L.L_TERMINATED, f])
        fund.shares = state.letf_shares[f].copy()
    if model.dealer is not None:
        d = model.dealer
        d.strike, d.expiry, d.quantity = (state.opt[row].copy() for row in (L.O_STRIKE, L.O_EXPIRY, L.O_QUANTITY))
        d.shares, d.cash, d.rolled = vec[L.V_DEALER_SHARES].copy(), sc[L.S_DEALER_CASH], int(sc[L.S_DEALER_ROLLED])
    if model.vol_fund is not None:
        vc = model.vol_fund
        vc.shares, vc.cash = vec[L.V_VC_SHARES].copy(), sc[L.S_VC_CASH]
        vc.variances = [sc[L.S_VC_VAR_FAST], sc[L.S_VC_VAR_SLOW]]
        vc.history = [float(x) for x in state.vc_history]
    if model.value_funds is not None:
        f = model.value_funds
        f.units, f.fund_cash = state.vf[L.F_UNITS].copy(), state.vf[L.F_CASH].copy()
        f.performance, f.wealth_after_flows = state.vf[L.F_PERFORMANCE].copy(), state.vf[L.F_WEALTH_AFTER_FLOWS].copy()
        f.alive, f.restart_day = state.vf_alive.copy(), state.vf_restart.copy()
        f.investor_cash, f.bankruptcies = sc[L.S_VF_INVESTOR_CASH], int(sc[L.S_VF_BANKRUPTCIES])

