"""Plain-Python reference of the margin-book kernels, one account object at a time.

This is the correctness oracle: the same algorithm as :mod:`sim.book.clearing` and :mod:`sim.book.daily`, written for
readability over objects rather than speed over arrays, calling the same formulas in
:mod:`sim.core.margin`. :class:`ReferenceAccount` carries one investor's state and rules of
behaviour; the Mesa reference mode's :class:`~sim.model.agents.margin_investor.MarginInvestor`
is a ``ReferenceAccount`` that is also a ``mesa.Agent``. Tests assert that the kernels and
these functions agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.book.arrays import (
    N_RULES,
    RULE_MAINT_LONG,
    RULE_MAINT_SHORT,
    RULE_RATE,
    RULE_TARGET_LONG,
    RULE_TARGET_SHORT,
    AccountArrays,
    ClearingResult,
)
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
    N_STATS,
    STAT_CALLS,
    STAT_CONVERGED,
    STAT_DEALER_UNCONVERGED,
    STAT_DEPOSITS,
    STAT_LIQUIDATIONS,
    STAT_LOSSES,
    STAT_ROUNDS,
)
from sim.core import margin
from sim.core.impact import price_with_dealers


class ReferenceAccount:
    """One margin investor: holdings (shares), balances ($) and behaviour, in plain Python."""

    long: list[float]
    short: list[float]
    cash: float
    short_credit: float
    reserve: float
    call_day: int
    target_leverage: float
    short_target: float
    home: int
    broker: int

    def set_state(self, long: Sequence[float], short: Sequence[float], cash: float,
                  short_credit: float, reserve: float, call_day: int, target_leverage: float,
                  short_target: float, home: int, broker: int) -> None:
        self.long = [float(x) for x in long]
        self.short = [float(x) for x in short]
        self.cash = float(cash)
        self.short_credit = float(short_credit)
        self.reserve = float(reserve)
        self.call_day = int(call_day)
        self.target_leverage = float(target_leverage)
        self.short_target = float(short_target)
        self.home = int(home)
        self.broker = int(broker)

    def market_values(self, prices: Sequence[float], addon: Sequence[float] | None = None
                      ) -> tuple[float, float, float]:
        """(long value, short value, add-on requirement) in $ at ``prices``."""
        long_value = 0.0
        short_value = 0.0
        extra = 0.0
        for j, p in enumerate(prices):
            long_value += p * self.long[j]
            short_value += p * self.short[j]
            if addon is not None:
                extra += addon[j] * p * self.long[j]
        return long_value, short_value, extra

    def equity(self, prices: Sequence[float]) -> float:
        long_value, short_value, _ = self.market_values(prices)
        return margin.equity(self.cash, self.short_credit, long_value, short_value)

    def settle(self, prices: Sequence[float], rule: Sequence[float], day: int, deadline: int,
               tally: Tally, addon: Sequence[float]) -> None:
        """One clearing round for this account: call, deposit or forced liquidation."""
        long_value, short_value, extra = self.market_values(prices, addon)
        eq = margin.equity(self.cash, self.short_credit, long_value, short_value)
        fraction, deposit, self.call_day, issued = margin.settle_account(
            eq,
            margin.requirement(long_value, short_value, rule[RULE_MAINT_LONG], rule[RULE_MAINT_SHORT]) + extra,
            margin.requirement(long_value, short_value, rule[RULE_TARGET_LONG], rule[RULE_TARGET_SHORT]) + extra,
            self.reserve, self.call_day, day, deadline)
        tally.stats[STAT_CALLS] += issued
        tally.stats[STAT_DEPOSITS] += deposit
        self.reserve -= deposit
        self.cash += deposit
        if fraction > 0.0:
            tally.liquidated += 1
            self.liquidate(fraction, prices, tally)

    def liquidate(self, fraction: float, prices: Sequence[float], tally: Tally) -> None:
        """Sell ``fraction`` of every long and buy in ``fraction`` of every short at ``prices``."""
        for j, p in enumerate(prices):
            sell = fraction * self.long[j]
            cover = fraction * self.short[j]
            self.long[j] -= sell
            self.short[j] -= cover
            self.cash += sell * p
            self.short_credit -= cover * p
            tally.round_shares[j] += sell - cover
            tally.sold_usd[j] += sell * p
            tally.bought_usd[j] += cover * p
        if fraction >= 1.0:  # closed out: the customer owes any negative balance
            balance = self.cash + self.short_credit
            paid, loss = margin.close_out(balance, self.reserve)
            self.reserve -= paid
            tally.stats[STAT_LOSSES] += loss
            self.cash = max(balance, 0.0)
            self.short_credit = 0.0
            self.call_day = -1

    def rebalance(self, prices: Sequence[float], weights: Sequence[float], concentration: float,
                  buy_speed: float, sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
                  max_leverage: float, bought: list[float], flow: list[float], rule: Sequence[float],
                  addon: Sequence[float]) -> None:
        """Voluntary leverage targeting (buy into strength, sell into weakness), within Reg T's and
        the house's buying power (``rule`` = this broker's rates, ``addon`` per asset)."""
        long_value, short_value, extra = self.market_values(prices, addon)
        eq = margin.equity(self.cash, self.short_credit, long_value, short_value)
        m_long, m_short = rule[RULE_MAINT_LONG], rule[RULE_MAINT_SHORT]
        house = m_long + max(0.0, *addon) if m_long > 0.0 else 0.0
        power = margin.buying_power(eq, long_value, short_value, initial_long, initial_short_equity,
                                    margin.requirement(long_value, short_value, m_long, m_short) + extra, house)
        target = min(self.target_leverage, max_leverage) * eq
        trade = margin.leverage_trade(eq, long_value, target, buy_speed, sell_speed, band, power)
        power_left = max(power - max(trade, 0.0), 0.0) * initial_long / initial_short_equity
        short_trade = margin.leverage_trade(eq, short_value, self.short_target * eq, buy_speed,
                                            sell_speed, band,
                                            power_left)
        if trade == 0.0 and short_trade == 0.0:
            return
        for j, p in enumerate(prices):
            alloc = (1.0 - concentration) * weights[j] + (concentration if self.home == j else 0.0)
            usd = trade * alloc if trade >= 0.0 else trade * (p * self.long[j] / long_value)
            short_usd = (short_trade * weights[j] if short_trade >= 0.0
                         else short_trade * (p * self.short[j] / short_value))
            shares = usd / p
            short_shares = short_usd / p
            self.long[j] += shares
            self.short[j] += short_shares
            self.cash -= usd
            self.short_credit += short_usd
            bought[j] += shares - short_shares
            flow[j] += usd - short_usd

    def close_day(self, prices: Sequence[float], rule: Sequence[float], days_per_year: float,
                  agg: list[float], addon: Sequence[float]) -> None:
        """Interest on the debit balance, short-credit sweep, call reset and aggregates."""
        long_value, short_value, extra = self.market_values(prices, addon)
        interest = margin.daily_interest(self.cash, rule[RULE_RATE], days_per_year)
        self.cash -= interest
        if short_value == 0.0:
            self.cash += self.short_credit
            self.short_credit = 0.0
        eq = margin.equity(self.cash, self.short_credit, long_value, short_value)
        required = margin.requirement(long_value, short_value, rule[RULE_MAINT_LONG],
                                      rule[RULE_MAINT_SHORT]) + extra
        if not margin.in_deficit(eq, required):
            self.call_day = -1
        debit = margin.debit_balance(self.cash)
        agg[AGG_DEBIT] += debit
        agg[AGG_FREE_CREDIT] += margin.free_credit(self.cash) + self.reserve
        agg[AGG_INTEREST] += interest
        agg[AGG_LONG_VALUE] += long_value
        agg[AGG_SHORT_VALUE] += short_value
        agg[AGG_EQUITY] += eq
        agg[AGG_OPEN_CALLS] += self.call_day >= 0
        agg[AGG_MARGIN_BALANCE] += margin.margin_balance(debit, short_value, 0.0)


@dataclass
class Tally:
    """Running totals of one clearing call."""
    n_assets: int
    stats: list[float] = field(default_factory=lambda: [0.0] * N_STATS)
    round_shares: list[float] = field(default_factory=list)
    sold_usd: list[float] = field(default_factory=list)
    bought_usd: list[float] = field(default_factory=list)
    liquidated: int = 0

    def __post_init__(self) -> None:
        self.sold_usd = [0.0] * self.n_assets
        self.bought_usd = [0.0] * self.n_assets


def clear(accounts: Sequence[ReferenceAccount], rules: np.ndarray, day: int, deadline_days: int,
          log_base: np.ndarray, flow: np.ndarray, model: int, coef: np.ndarray, adv: np.ndarray,
          max_rounds: int, dealer_gamma: np.ndarray | None = None, dealer_limit: np.ndarray | None = None,
          addon: np.ndarray | None = None, margin_active: bool = True) -> ClearingResult:
    """Reference of :func:`sim.book.clearing.clear`; ``accounts`` in broker order, ``flow`` updated."""
    k = len(log_base)
    gamma = [0.0] * k if dealer_gamma is None else [float(g) for g in dealer_gamma]
    limit = [0.0] * k if dealer_limit is None else [float(x) for x in dealer_limit]
    add = [0.0] * k if addon is None else [float(a) for a in addon]
    rule_rows = [list(map(float, r)) for r in rules]
    tally = Tally(k)
    prices, dealer_usd, dealer_shares = [0.0] * k, [0.0] * k, [0.0] * k
    for j in range(k):
        prices[j], dealer_usd[j], it = price_with_dealers(log_base[j], flow[j], gamma[j], limit[j], model, coef[j],
                                                         adv[j])
        dealer_shares[j] = dealer_usd[j] / prices[j]
        tally.stats[STAT_DEALER_UNCONVERGED] += it < 0
    sold_shares = [0.0] * k
    converged = 0.0
    rounds = 0
    for _ in range(max_rounds):
        rounds += 1
        tally.round_shares = [0.0] * k
        tally.liquidated = 0
        for account in (accounts if margin_active else ()):
            account.settle(prices, rule_rows[account.broker], day, deadline_days, tally, add)
        tally.stats[STAT_LIQUIDATIONS] += tally.liquidated
        if tally.liquidated == 0:
            converged = 1.0
            break
        for j in range(k):
            sold_shares[j] += tally.round_shares[j]
            flow[j] -= tally.round_shares[j] * prices[j]
            prices[j], dealer_new, it = price_with_dealers(log_base[j], flow[j], gamma[j], limit[j], model, coef[j],
                                                         adv[j])
            tally.stats[STAT_DEALER_UNCONVERGED] += it < 0
            dealer_shares[j] += (dealer_new - dealer_usd[j]) / prices[j]
            dealer_usd[j] = dealer_new
    for j in range(k):
        flow[j] += dealer_usd[j]
    tally.stats[STAT_ROUNDS] = rounds
    tally.stats[STAT_CONVERGED] = converged
    return ClearingResult(np.array(prices), np.array(sold_shares), np.array(tally.sold_usd),
                          np.array(tally.bought_usd), np.array(dealer_usd), np.array(dealer_shares),
                          np.array(tally.stats))


def rebalance(accounts: Sequence[ReferenceAccount], index_weights: np.ndarray,
              concentration: float, buy_speed: float, sell_speed: float, band: float, initial_long: float,
              initial_short_equity: float, prices: np.ndarray, max_leverage: float = math.inf,
              rules: np.ndarray | None = None, addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reference of :func:`sim.book.daily.rebalance` (``rules`` indexed by each account's broker)."""
    k = len(prices)
    bought, flow = [0.0] * k, [0.0] * k
    p, w = [float(x) for x in prices], [float(x) for x in index_weights]
    add = [0.0] * k if addon is None else [float(x) for x in addon]
    for account in accounts:
        rule = [0.0] * N_RULES if rules is None else [float(x) for x in rules[account.broker]]
        account.rebalance(p, w, concentration, buy_speed, sell_speed, band, initial_long, initial_short_equity,
                          max_leverage, bought, flow, rule, add)
    return np.array(bought), np.array(flow)


def end_of_day(accounts: Sequence[ReferenceAccount], rules: np.ndarray, days_per_year: float,
               prices: np.ndarray, addon: np.ndarray | None = None) -> np.ndarray:
    """Reference of :func:`sim.book.daily.end_of_day`."""
    agg = [0.0] * N_AGG
    p = [float(x) for x in prices]
    add = [0.0] * len(p) if addon is None else [float(a) for a in addon]
    rule_rows = [list(map(float, r)) for r in rules]
    for account in accounts:
        account.close_day(p, rule_rows[account.broker], days_per_year, agg, add)
    return np.array(agg)


# ------------------------------------------------------------------- arrays <-> accounts

class PlainAccount(ReferenceAccount):
    """A ReferenceAccount that is nothing else (for tests and converters)."""


def accounts_from_arrays(arrays: AccountArrays, cls: type = PlainAccount,
                         make=None) -> list[ReferenceAccount]:
    """One account object per row, in broker order (``make()`` builds each object)."""
    out = []
    starts = arrays.broker_start
    for b in range(len(starts) - 1):
        for i in range(starts[b], starts[b + 1]):
            acct = make() if make is not None else cls()
            acct.set_state(arrays.long[i], arrays.short[i], arrays.cash[i], arrays.short_credit[i],
                           arrays.reserve[i], arrays.call_day[i], arrays.target_leverage[i],
                           arrays.short_target[i], arrays.home[i], b)
            out.append(acct)
    return out


def arrays_from_accounts(accounts: Sequence[ReferenceAccount], n_brokers: int) -> AccountArrays:
    """Struct of arrays from account objects (which must be in broker order)."""
    counts = np.bincount([a.broker for a in accounts], minlength=n_brokers)
    return AccountArrays(
        long=np.array([a.long for a in accounts], dtype=np.float64).reshape(len(accounts), -1),
        short=np.array([a.short for a in accounts], dtype=np.float64).reshape(len(accounts), -1),
        cash=np.array([a.cash for a in accounts]),
        short_credit=np.array([a.short_credit for a in accounts]),
        reserve=np.array([a.reserve for a in accounts]),
        call_day=np.array([a.call_day for a in accounts], dtype=np.int32),
        target_leverage=np.array([a.target_leverage for a in accounts]),
        short_target=np.array([a.short_target for a in accounts]),
        home=np.array([a.home for a in accounts], dtype=np.int32),
        broker_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )
