"""Building the day-0 margin book from a scenario, scaled to FINRA's aggregates.

Each simulated account stands for many real ones: equities are lognormal, then scaled so
that the book's margin balance (debit balances + shares borrowed) equals
``margin.margin_debt_usd`` and its free credit equals ``margin.free_credit_usd`` exactly on
day 0. Leverage is Beta-distributed between 1 and the Reg T maximum (1 / initial margin)
with the scenario's mean, then scattered (logit-normal, ``margin.leverage_drift``) inside
(1, 97% of the house call level) without piling up at a bound: the tail above Reg T stands
for accounts that got there through losses. Each account's target leverage is its day-0
leverage, so day 0 is an equilibrium: nothing trades until prices move. Draws and exp/log come
from :mod:`sim.core.detrandom` and :mod:`sim.core.detarrays` (numpy's streams, the same bits on every CPU).
"""

from __future__ import annotations

import numpy as np

from sim.book.arrays import AccountArrays
from sim.config.scenario import Broker, Scenario, ScenarioError
from sim.core import detrandom, margin
from sim.core.detarrays import exp_array, log_array

CALL_HEADROOM = 0.97
"""Day-0 leverage stays below this fraction of the leverage at which a call triggers."""


def broker_rules(scenario: Scenario) -> np.ndarray:
    """(B, 5) rates per broker: maintenance long/short, liquidation target long/short, loan rate."""
    m = scenario.margin
    rows = []
    for b in scenario.brokers:
        if b.liquidate_to == "initial":
            t_long, t_short = m.initial_margin, margin.short_equity_rate(m.initial_margin_short)
        else:
            t_long, t_short = b.house_maintenance, b.house_maintenance_short
        rows.append([b.house_maintenance, b.house_maintenance_short, t_long + b.liquidation_buffer,
                     t_short + b.liquidation_buffer, m.benchmark_rate + b.interest_spread])
    return np.array(rows, dtype=np.float64)


def broker_sizes(n: int, brokers: list[Broker]) -> np.ndarray:
    """Accounts per broker: shares of n rounded, the last broker taking the remainder."""
    sizes = [round(b.share * n) for b in brokers[:-1]]
    sizes.append(n - sum(sizes))
    if sizes[-1] < 0:
        raise ScenarioError("brokers.share: shares leave no accounts for the last broker")
    return np.array(sizes, dtype=np.int64)


def _squash(lo: np.ndarray, hi: np.ndarray, centre: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Logit-normal scatter of ``centre`` inside (lo, hi)."""
    u = np.clip((centre - lo) / (hi - lo), 1e-6, 1 - 1e-6)
    logit = log_array(u / (1 - u)) + noise
    return lo + (hi - lo) / (1 + exp_array(-logit))


def build_accounts(scenario: Scenario, rng: np.random.Generator) -> AccountArrays:
    """Draw the day-0 book (accounts sorted by broker)."""
    m, mk = scenario.margin, scenario.market
    n, k = m.accounts, scenario.n_assets
    weights = np.array(mk.weights)
    prices = np.full(k, mk.initial_price)
    rules = broker_rules(scenario)
    sizes = broker_sizes(n, scenario.brokers)
    broker_of = np.repeat(np.arange(len(sizes)), sizes)

    max_lev = 1.0 / m.initial_margin
    mean_u = (m.leverage_mean - 1.0) / (max_lev - 1.0)
    centre = 1.0 + (max_lev - 1.0) * detrandom.beta(rng, mean_u * m.leverage_dispersion,
                                                    (1.0 - mean_u) * m.leverage_dispersion, n)
    is_short = rng.random(n) < m.short_fraction
    short_target = np.where(is_short, m.short_leverage, 0.0)
    call_lev = (1.0 - rules[broker_of, 1] * short_target) / rules[broker_of, 0]
    hi = CALL_HEADROOM * call_lev
    if np.any(hi <= 1.0):
        raise ScenarioError("margin.short_leverage: with these maintenance rates short sellers start "
                            "in a margin call; must be below (1 - house_maintenance) / "
                            "house_maintenance_short")
    lev0 = _squash(np.ones(n), hi, np.minimum(centre, hi), m.leverage_drift * detrandom.standard_normal(rng, n))
    equity = detrandom.lognormal(rng, 0.0, m.wealth_sigma, n)
    home = rng.choice(k, size=n, p=weights).astype(np.int32)
    alloc = (1.0 - m.concentration) * weights[None, :] + m.concentration * np.eye(k)[home]

    long_value = lev0 * equity
    short_value = short_target * equity
    balance = (long_value - equity) + short_value          # margin balance: debit + shares borrowed
    scale = m.margin_debt_usd / balance.sum()
    equity *= scale
    long_value *= scale
    short_value *= scale
    if long_value.sum() > 0.5 * mk.market_cap_usd:
        raise ScenarioError(f"margin.margin_debt_usd = {m.margin_debt_usd:g}: margin longs would exceed "
                            f"half of market.market_cap_usd ({mk.market_cap_usd:g}); must be smaller")
    wealth_draw = equity * detrandom.gamma(rng, 2.0, 0.5, n)
    reserve = (m.free_credit_usd * wealth_draw / wealth_draw.sum() if m.free_credit_usd > 0
               else np.zeros(n))
    return AccountArrays(
        long=np.ascontiguousarray(long_value[:, None] * alloc / prices[None, :]),
        short=np.ascontiguousarray(short_value[:, None] * weights[None, :] / prices[None, :]),
        cash=-(long_value - equity),
        short_credit=short_value.copy(),
        reserve=reserve,
        call_day=np.full(n, -1, dtype=np.int32),
        target_leverage=lev0.copy(),
        short_target=short_target,
        home=home,
        broker_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
    )
