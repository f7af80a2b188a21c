"""Margin arithmetic: the one place where every margin formula lives.

Used by the account calculator, the array kernels (through their numba-compiled twins
below), the plain-Python reference, the per-investor Mesa agents and the tests.
Every function is plain Python on floats and, through :func:`sim.core.jit.jitable` (numba's
``register_jitable``, registered when the first kernel is built: importing this module does not
load numba), is compiled into the kernels that call it: the kernel and the reference run the same source.

Conventions (all amounts in $, rates as fractions):

* ``cash``: the margin account's cash balance; negative = money borrowed from the broker.
* ``short_credit``: proceeds of short sales, held by the broker against the short (restricted).
* ``long_value`` / ``short_value``: market value of long positions / of shares borrowed and sold.
* equity = cash + short_credit + long_value - short_value.
* A requirement is ``rate_long * long_value + rate_short * short_value`` of equity.
  Reg T initial: 50% on longs; 150% on shorts, i.e. the proceeds (100%) plus 50% equity,
  so its equity rate is 0.5. FINRA 4210 maintenance: 25% on longs, 30% on shorts.
* Margin balance (FINRA "debit balance"): money borrowed plus shares borrowed at market value.

The rules' constants (``REG_T_INITIAL``, ``FINRA_MAINTENANCE``...) live in :mod:`sim.core.rules`.
"""

from __future__ import annotations

import math

from sim.core.jit import jitable

DEFICIT_TOLERANCE = 1e-9
"""Relative slack below which equity is not treated as short of a requirement (rounding)."""


@jitable(inline="always")
def short_equity_rate(initial_short: float) -> float:
    """Equity rate of a short requirement quoted with proceeds included (150% -> 0.5)."""
    return initial_short - 1.0


@jitable(inline="always")
def equity(cash: float, short_credit: float, long_value: float, short_value: float) -> float:
    """Account equity in $: what the customer would keep after closing every position."""
    return cash + short_credit + long_value - short_value


@jitable(inline="always")
def requirement(long_value: float, short_value: float, rate_long: float, rate_short: float) -> float:
    """Equity the rules require, in $: rate_long x long value + rate_short x short value."""
    return rate_long * long_value + rate_short * short_value


@jitable(inline="always")
def debit_balance(cash: float) -> float:
    """Money borrowed from the broker, in $ (0 when the cash balance is positive)."""
    return max(-cash, 0.0)


@jitable(inline="always")
def free_credit(cash: float) -> float:
    """Free credit balance of the margin account, in $ (0 when money is borrowed)."""
    return max(cash, 0.0)


@jitable(inline="always")
def margin_balance(borrowed: float, shares_borrowed_value: float, repaid: float = 0.0) -> float:
    """FINRA margin (debit) balance in $: money borrowed + shares borrowed at market - repaid."""
    return borrowed + shares_borrowed_value - repaid


@jitable(inline="always")
def equity_ratio(equity_usd: float, long_value: float, short_value: float = 0.0) -> float:
    """Equity as a fraction of gross market value (0 for an empty account)."""
    gross = long_value + short_value
    return equity_usd / gross if gross > 0.0 else 0.0


@jitable(inline="always")
def call_value(debt: float, maintenance: float) -> float:
    """Long market value at which equity equals maintenance: debt / (1 - maintenance), in $."""
    return debt / (1.0 - maintenance)


@jitable(inline="always")
def max_drop_before_call(value: float, debt: float, maintenance: float) -> float:
    """Largest fractional fall of a long position's value before a maintenance call."""
    return 1.0 - call_value(debt, maintenance) / value


@jitable(inline="always")
def buying_power(equity_usd: float, long_value: float, short_value: float,
                 initial_long: float, initial_short_equity: float, house_required: float = 0.0,
                 house_rate: float = 0.0) -> float:
    """New long purchases in $ allowed by Reg T and by the broker's house maintenance.

    Reg T: excess equity over the initial requirement / the initial rate. House: excess over
    the maintenance requirement (``house_required``, $) / the maintenance rate a purchase adds
    (``house_rate``, a fraction; 0 = no house limit). Below Reg T's 50% the house limit never
    binds; when a broker raises maintenance above it, it stops investors buying into a call.
    """
    excess = equity_usd - requirement(long_value, short_value, initial_long, initial_short_equity)
    power = max(excess, 0.0) / initial_long
    if house_rate > 0.0:
        power = min(power, max(equity_usd - house_required, 0.0) / house_rate)
    return power


@jitable(inline="always")
def in_deficit(equity_usd: float, required: float) -> bool:
    """True when equity is short of the requirement by more than rounding slack."""
    return equity_usd < required - DEFICIT_TOLERANCE * required


@jitable(inline="always")
def within_reach(equity_usd: float, required: float, long_value: float, short_value: float, move: float) -> bool:
    """Could the account fall short of maintenance if no price moves by more than ``move`` (a fraction)?

    ``equity - required`` is linear in prices, and each asset's term is at most its long value +
    short value + its part of the requirement, so a move of ``move`` in every price shifts it by
    at most ``move x (long value + short value + required)``. An account out of reach stays clear
    of ``in_deficit`` (with a generous allowance for rounding): the clearing kernel rescans only
    the accounts within reach while prices stay within ``move`` of where it looked.
    """
    exposure = long_value + short_value + required
    margin_left = equity_usd - (1.0 - DEFICIT_TOLERANCE) * required
    return margin_left <= move * exposure + 1e-7 * (exposure + abs(equity_usd))


@jitable(inline="always")
def liquidation_fraction(equity_usd: float, target_required: float) -> float:
    """Fraction of every position the broker sells (longs) or buys in (shorts).

    Selling a fraction f at the marked price leaves equity unchanged and scales the
    requirement by (1 - f), so f = 1 - equity / target restores the target exactly;
    an account with no positive equity is closed out (f = 1).
    """
    if equity_usd <= 0.0 or target_required <= 0.0:
        return 1.0
    return min(max(1.0 - equity_usd / target_required, 0.0), 1.0)


@jitable(inline="always")
def settle_account(equity_usd: float, maint_required: float, target_required: float,
                   reserve: float, call_day: int, day: int, deadline_days: int):
    """Decide what happens to one account at marked prices in one clearing round.

    Returns ``(fraction_to_liquidate, deposit_usd, new_call_day, call_issued)``:
    an account short of maintenance is called (``call_day`` records the day, once). Meeting
    the call means restoring the broker's target (``target_required``, the level a
    liquidation would restore): the investor deposits that from free credit when it can;
    otherwise the broker liquidates once the call is ``deadline_days`` old, or at once
    when equity <= 0.
    """
    deficit = in_deficit(equity_usd, maint_required)
    issued = deficit and call_day < 0
    new_call_day = day if issued else call_day
    shortfall = target_required - equity_usd
    deposit = shortfall if (deficit and reserve >= shortfall) else 0.0
    due = deficit and deposit == 0.0 and (day - new_call_day >= deadline_days or equity_usd <= 0.0)
    fraction = liquidation_fraction(equity_usd, target_required) if due else 0.0
    return fraction, deposit, new_call_day, issued


@jitable(inline="always")
def leverage_trade(equity_usd: float, long_value: float, target_value: float, buy_speed: float,
                   sell_speed: float, band: float, buying_power_usd: float) -> float:
    """Voluntary trade in $ (positive = buy) of a leverage-targeting investor.

    The investor closes ``buy_speed`` (when under target) or ``sell_speed`` (when over) of
    the gap between ``long_value`` and ``target_value`` once it exceeds ``band`` x equity, and
    never buys beyond Reg T buying power. Rising prices raise equity, hence the target: they
    buy into strength; falling prices push leverage up and, slowly, they sell into weakness.
    """
    gap = target_value - long_value
    if equity_usd <= 0.0 or abs(gap) <= band * equity_usd:
        return 0.0
    if gap > 0.0:
        return min(buy_speed * gap, buying_power_usd)
    return sell_speed * gap


@jitable
def grown_leverage_target(target_leverage: float, factor: float) -> float:
    """A leverage target after its excess over 1 grows by ``factor`` (debt per $ of equity x factor)."""
    return 1.0 + (target_leverage - 1.0) * factor


@jitable(inline="always")
def close_out(balance: float, reserve: float) -> tuple[float, float]:
    """A closed-out account's cash balance ($, all positions sold) settled with the broker.

    The customer owes a negative balance; their free credit (``reserve``) pays what it can and
    the rest is the broker's loss. Returns (paid from free credit, broker loss), both >= 0.
    """
    owed = max(-balance, 0.0)
    paid = min(reserve, owed)
    return paid, owed - paid


@jitable(inline="always")
def daily_interest(cash: float, annual_rate: float, days_per_year: float) -> float:
    """Interest charged for one trading day on the debit balance, in $."""
    return debit_balance(cash) * annual_rate / days_per_year


@jitable(inline="always")
def capped_position(equity_usd: float, desired_leverage: float, max_leverage: float) -> float:
    """$ position a lender allows a fund with a leverage cap: clip(desired, 0, cap) x equity.

    Leverage = position / equity. When a fall lifts leverage above ``max_leverage`` the
    allowed position shrinks below the one held and the fund must sell (its margin call);
    with equity <= 0 it may hold nothing. Long only: a negative desire means no position.
    """
    if equity_usd <= 0.0 or not desired_leverage > 0.0:
        return 0.0
    return min(desired_leverage, max_leverage) * equity_usd


@jitable
def book_leverage(long_value: float, equity_usd: float) -> float:
    """Aggregate leverage of a margin book: long market value / equity; inf when equity is not positive."""
    return long_value / equity_usd if equity_usd > 0 else math.inf
