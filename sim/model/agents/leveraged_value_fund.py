"""LeveragedValueFunds: value funds that borrow up to a leverage cap (Thurner, Farmer and Geanakoplos 2012).

Value investing with leverage: fund h wants a position of beta_h x (log V - log P) times its
wealth, capped at ``max_leverage`` x wealth by its lender. In calm times competition for
investors' money makes the funds big and leveraged, and they damp volatility. When a fall
pushes a capped fund's leverage above the cap it must sell into the fall (its margin call);
when all of them do at once the fall feeds on itself, and the wealth they lose makes the
market thin and volatile until they have rebuilt it: fat tails and clustered volatility.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config.scenario import ValueFunds
from sim.core import detmath, impact, margin
from sim.core.detarrays import exp_array
from sim.core.detmath import exp, log
from sim.core.impact import log_impact
from sim.core.jit import kernel
from sim.core.pairwise import pairwise_sum
from sim.model.rules import value_funds as rules
from sim.model.rules.funds import holdings_value

MAX_BRACKET_STEPS = 200
BISECTION_STEPS = 200
RELATIVE_TOLERANCE = 1e-13


class LeveragedValueFunds(mesa.Agent):
    """The value funds as arrays, one entry per fund (like a broker's margin book).

    Each fund holds ``units`` of its basket and ``fund_cash`` ($, negative = borrowed). The
    basket is every share outstanding of the underlying (``basket_shares``, shares per unit),
    so one unit of the index basket is the whole market, cap-weighted at any prices. Wealth
    = cash + units x basket value ($).

    Funds trade in every substep at the price their own orders produce together with
    everyone else's (see :meth:`order`): the market clears them the way Thurner, Farmer and
    Geanakoplos clear theirs. At the close investors move money in or out (``close_day``),
    funds below the wealth floor are wound up and new ones start later. ``investor_cash`` is
    the $ the investors paid in minus what they took out (including the lenders' losses when a
    wound-up fund owes more than it holds), so the market stays a closed system.
    """

    def __init__(self, model: mesa.Model, config: ValueFunds, basket_shares: np.ndarray) -> None:
        super().__init__(model)
        n = config.count
        self.config = config
        self.basket = np.asarray(basket_shares, dtype=np.float64)
        self.beta = np.linspace(config.aggressiveness_min, config.aggressiveness_max, n)
        self.units = np.zeros(n)
        self.fund_cash = np.full(n, config.wealth_usd)
        self.alive = np.ones(n, dtype=np.bool_)
        self.restart_day = np.full(n, -1, dtype=np.int64)
        self.performance = np.zeros(n)
        self.wealth_after_flows = np.full(n, config.wealth_usd)
        self.investor_cash = 0.0
        self.bankruptcies = 0

    # ------------------------------------------------------------------ observables
    @property
    def shares(self) -> np.ndarray:
        """Shares of each asset held by all funds together."""
        return float(self.units.sum()) * self.basket

    @property
    def cash(self) -> float:
        return float(self.fund_cash.sum())

    def basket_value(self, prices: np.ndarray) -> float:
        """$ value of one unit of the basket."""
        return holdings_value(self.basket, prices)

    def wealth(self, prices: np.ndarray) -> np.ndarray:
        """Each fund's wealth (equity), $."""
        return rules.wealth(self.units, self.fund_cash, self.basket_value(prices), np.empty_like(self.units))

    def position(self, prices: np.ndarray) -> float:
        """$ value of all funds' holdings."""
        return float(pairwise_sum(self.units)) * self.basket_value(prices)

    # ---------------------------------------------------------------------- trading
    def order(self, prices: np.ndarray, log_fundamental: np.ndarray, other_flow: np.ndarray, model: int,
              coef: np.ndarray, adv: np.ndarray) -> tuple[np.ndarray, float]:
        """The funds' trade this substep: ($ order per asset at ``prices``, $ they actually pay).

        ``prices`` are the substep's base prices; the $ order at those prices is what moves the
        market (as every other order's does). The funds trade at the price their own orders
        produce together with everyone else's (``other_flow``), as in Thurner, Farmer and
        Geanakoplos's market clearing: a one-dimensional fixed point in the total units traded,
        bracketed outward from zero in the direction the funds push and bisected. Where leverage
        feeds on itself (capped funds selling into a fall) the root reached is the first one in
        that direction, as a cascade reaches it. A fund that moves the price pays the moved price,
        so it cannot profit from its own impact.
        """
        desired = np.empty_like(self.units)
        unit_price = _clear_funds(self.basket, prices, exp_array(log_fundamental), other_flow, model, coef, adv,
                                  self.units, self.fund_cash, self.beta, self.alive, self.config.max_leverage,
                                  desired)
        trade = desired - self.units
        self.units = desired
        self.fund_cash -= trade * unit_price
        total = float(trade.sum())
        return total * self.basket * prices, total * unit_price

    def close_day(self, prices: np.ndarray, day: int) -> None:
        """Investor flows by performance, winding up funds below the floor, restarting new ones."""
        cfg = self.config
        self.investor_cash, failed = rules.close_funds(
            self.units, self.fund_cash, self.alive, self.restart_day, self.performance, self.wealth_after_flows,
            self.basket_value(prices), day, cfg.performance_smoothing, cfg.flow_sensitivity, cfg.benchmark_return,
            cfg.wealth_usd, cfg.min_wealth_fraction, cfg.reintroduce_days, self.investor_cash)
        self.bankruptcies += int(failed)


START, BRACKET, BISECT, FINAL = range(4)
"""The phases of :func:`_clear_funds`' search: the excess at 0, bracketing, bisection, the holdings at the root."""


@kernel(margin, impact, detmath)
def _clear_funds(basket, prices, fundamentals, other_flow, model, coef, adv, units, cash, beta, alive,
                 max_leverage, desired):
    """Write into ``desired`` the units each fund holds after the substep clears (see ``order``).

    Returns the basket's unit price at the clearing point ($ per unit).

    The funds' excess demand when together they trade ``traded`` units is evaluated at 0, then
    at points doubling away from 0 until the sign of ``traded - excess`` turns (a bracket), then
    by bisection to a relative width of :data:`RELATIVE_TOLERANCE`, and once more at the root
    to leave each fund's holdings in ``desired``. The evaluation is written once, in this loop,
    rather than as a function: a compiled call that passes arrays costs an atomic reference
    count per array each time, which was three quarters of the search's time.
    """
    unit_value = 0.0
    for k in range(basket.shape[0]):
        unit_value += basket[k] * fundamentals[k]
    log_value = log(unit_value)  # the basket's fundamental value, the same in every evaluation below
    phase, traded = START, 0.0
    direction, lo, hi, step = 1.0, 0.0, 0.0, 0.0
    steps = 0
    while True:
        # the funds' excess demand (units) if together they trade ``traded`` units; writes their holdings
        unit_price = 0.0
        for k in range(basket.shape[0]):
            base = basket[k] * prices[k]
            unit_price += base * exp(log_impact(other_flow[k] + traded * base, model, coef[k], adv[k]))
        mispricing = log_value - log(unit_price)
        excess = 0.0
        for h in range(units.shape[0]):
            wealth = margin.equity(cash[h], 0.0, units[h] * unit_price, 0.0)
            position = margin.capped_position(wealth, beta[h] * mispricing, max_leverage) if alive[h] else 0.0
            desired[h] = position / unit_price
            excess += desired[h] - units[h]
        if phase == FINAL:
            return unit_price
        if phase == START:
            if excess == 0.0:
                return unit_price
            direction = 1.0 if excess > 0.0 else -1.0
            step = abs(excess)
            phase, steps = BRACKET, 0
            hi = direction * step
            traded = hi
            continue
        gap = traded - excess
        if phase == BRACKET:
            steps += 1
            if gap * direction >= 0.0:
                phase, steps = BISECT, 0
            else:
                lo = hi
                step *= 2.0
                if steps < MAX_BRACKET_STEPS:
                    hi = direction * step
                    traded = hi
                    continue
                phase, steps = BISECT, 0  # no bracket found: bisect the last point with itself
        else:  # BISECT: ``traded`` is the midpoint just evaluated
            steps += 1
            if gap * direction >= 0.0:
                hi = traded
            else:
                lo = traded
            if abs(hi - lo) <= RELATIVE_TOLERANCE * abs(hi) or steps == BISECTION_STEPS:
                phase, traded = FINAL, hi
                continue
        traded = 0.5 * (lo + hi)
