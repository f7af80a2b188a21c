"""The margin account calculator: the worked examples of the seeds, for one long position.

All amounts in $, rates as fractions. Every formula comes from :mod:`sim.core.margin`.
"""

from __future__ import annotations

from sim.config.fields import Field, ScenarioError, check
from sim.core import margin
from sim.core.rules import REG_T_INITIAL

STRESS_DROPS = (0.05, 0.10, 0.20, 0.30, 0.50)
MAX_USD = 1e15

INPUTS = {
    "value": Field(float, lo=0.0, hi=MAX_USD, lo_open=True, unit="$", doc="market value of the position"),
    "debt": Field(float, lo=0.0, hi=MAX_USD, unit="$", doc="debit balance (money borrowed)"),
    "maintenance": Field(float, lo=0.0, hi=1.0, hi_open=True, default=0.30, doc="maintenance margin, fraction"),
    "initial": Field(float, lo=0.0, hi=1.0, lo_open=True, default=REG_T_INITIAL, doc="initial margin, fraction"),
    "borrowed": Field(float, lo=0.0, hi=MAX_USD, unit="$", doc="money borrowed"),
    "shares_borrowed": Field(float, lo=0.0, hi=MAX_USD, unit="$", default=0.0,
                             doc="market value of shares borrowed (short sales)"),
    "repaid": Field(float, lo=0.0, hi=MAX_USD, unit="$", default=0.0, doc="amount repaid"),
}
"""The calculator's inputs and their allowed ranges."""


def margin_balance(borrowed: float, shares_borrowed: float = 0.0, repaid: float = 0.0) -> float:
    """FINRA margin balance in $: borrowed + shares borrowed at market - repaid (inputs checked)."""
    args = {"borrowed": borrowed, "shares_borrowed": shares_borrowed, "repaid": repaid}
    for name, value in args.items():
        check(value, INPUTS[name], name, error=ScenarioError)
    if repaid > borrowed + shares_borrowed:
        raise ScenarioError(f"repaid = {repaid:g}: must be at most borrowed + shares_borrowed "
                            f"({borrowed + shares_borrowed:g}); a margin balance cannot be negative (money "
                            "repaid beyond the debt is a credit balance)", field="repaid",
                            allowed=f"[0, {borrowed + shares_borrowed:g}]")
    return margin.margin_balance(borrowed, shares_borrowed, repaid)


def account_report(value: float, debt: float, maintenance: float, initial: float = REG_T_INITIAL) -> dict:
    """Equity, requirement, call value, distance to a call, buying power and a stress table.

    Raises
    ------
    ScenarioError
        (an InputError) when an input is outside its range in ``INPUTS``; one line naming it.
    """
    args = {"value": value, "debt": debt, "maintenance": maintenance, "initial": initial}
    for name, x in args.items():
        check(x, INPUTS[name], name, error=ScenarioError)
    if debt >= value:
        raise ScenarioError(f"debt = {debt:g}: must be below value ({value:g}); the account is under water "
                            f"(equity ${value - debt:,.2f}) and has no margin left to compute: a broker would "
                            "already have sold the position", field="debt", allowed=f"[0, {value:g})")
    cash = -debt
    eq = margin.equity(cash, 0.0, value, 0.0)
    required = margin.requirement(value, 0.0, maintenance, 0.0)
    call_at = margin.call_value(debt, maintenance)
    stress = []
    for drop in STRESS_DROPS:
        v = value * (1.0 - drop)
        e = margin.equity(cash, 0.0, v, 0.0)
        r = margin.requirement(v, 0.0, maintenance, 0.0)
        stress.append({"drop": drop, "value": v, "equity": e, "required": r,
                       "equity_ratio": margin.equity_ratio(e, v), "call": margin.in_deficit(e, r),
                       "call_amount": max(r - e, 0.0)})
    return {
        "value": value, "debt": debt, "maintenance": maintenance, "initial_margin": initial,
        "equity": eq,
        "equity_ratio": margin.equity_ratio(eq, value),
        "required": required,
        "margin_call": margin.in_deficit(eq, required),
        "call_value": call_at,
        "max_drop_before_call": margin.max_drop_before_call(value, debt, maintenance),
        "buying_power": margin.buying_power(eq, value, 0.0, initial, 0.0),
        "stress": stress,
    }


def format_report(r: dict) -> str:
    """The report as an aligned text table."""
    lines = [
        f"Position value          ${r['value']:>16,.2f}",
        f"Debit balance (debt)    ${r['debt']:>16,.2f}",
        f"Equity                  ${r['equity']:>16,.2f}   ({r['equity_ratio']:.2%} of value)",
        f"Maintenance required    ${r['required']:>16,.2f}   ({r['maintenance']:.0%})"
        + ("   MARGIN CALL" if r["margin_call"] else ""),
        f"Call value              ${r['call_value']:>16,.2f}   (debt / (1 - maintenance))",
        f"Max drop before call     {r['max_drop_before_call']:>16.2%}",
        f"Buying power            ${r['buying_power']:>16,.2f}   (at {r['initial_margin']:.0%} initial margin)",
        "",
        f"{'drop':>6} {'value $':>14} {'equity $':>14} {'required $':>14} {'equity %':>9}  call",
    ]
    for s in r["stress"]:
        call = f"yes, ${s['call_amount']:,.2f}" if s["call"] else "no"
        lines.append(f"{-s['drop']:>6.0%} {s['value']:>14,.2f} {s['equity']:>14,.2f} "
                     f"{s['required']:>14,.2f} {s['equity_ratio']:>9.2%}  {call}")
    return "\n".join(lines)
