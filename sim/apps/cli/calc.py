"""``marginsim account`` and ``marginsim balance``: margin arithmetic for one account, no simulation.

An account whose debt is at least its value is under water (no equity left: nothing to compute
about margin), and more repaid than was borrowed is not a margin balance: both are refused in
one line with exit code 2 rather than printed as negative numbers.
"""

from __future__ import annotations

import argparse
import json

from sim.apps.cli.common import add_command, number

"""Largest amount accepted, $ (a thousand trillion)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``account`` and ``balance``."""
    acc = add_command(sub, "account", "margin account calculator (one long position)", """
        Equity, the maintenance requirement, the value at which a margin call comes, how far the
        position may fall before it, buying power under Reg T, and the account after falls of
        5% to 50%. One long position bought partly with borrowed money (the debit balance).""", """
        marginsim account --value 50000 --debt 25000
        marginsim account --value 50000 --debt 25000 --maintenance 0.35 --json""")
    acc.add_argument("--value", type=number, metavar="USD", required=True, help="market value of the position, $ (> 0)")
    acc.add_argument("--debt", type=number, metavar="USD", required=True,
                     help="debit balance (money borrowed), $, below --value")
    acc.add_argument("--maintenance", type=number, metavar="FRACTION", default=0.30,
                     help="maintenance margin, a fraction in [0, 1) (default 0.30, a common house rule)")
    acc.add_argument("--initial", type=number, metavar="FRACTION", default=0.50,
                     help="initial margin, a fraction in (0, 1] (default 0.50, Reg T)")
    acc.add_argument("--json", action="store_true", help="print JSON instead of the table")
    acc.set_defaults(handler=cmd_account)

    bal = add_command(sub, "balance", "FINRA margin balance: borrowed + shares borrowed - repaid", """
        The margin (debit) balance FINRA reports: money borrowed plus the market value of shares
        borrowed for short sales, less what has been repaid. Repaying more than was borrowed is
        refused: the excess would be a credit balance, not margin debt.""", """
        marginsim balance --borrowed 10000 --shares-borrowed 5000 --repaid 3000
        marginsim balance --borrowed 10000 --repaid 2500 --json""")
    bal.add_argument("--borrowed", type=number, metavar="USD", required=True, help="money borrowed, $ (>= 0)")
    bal.add_argument("--shares-borrowed", type=number, metavar="USD", default=0.0,
                     help="market value of shares borrowed (short sales), $ (>= 0, default 0)")
    bal.add_argument("--repaid", type=number, metavar="USD", default=0.0,
                     help="amount repaid, $ (>= 0, at most borrowed + shares borrowed; default 0)")
    bal.add_argument("--json", action="store_true", help="print JSON instead of the sentence")
    bal.set_defaults(handler=cmd_balance)


def _usd(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x):,.2f}"


def cmd_account(args: argparse.Namespace) -> int:
    from sim.analysis.calculator import account_report, format_report

    report = account_report(args.value, args.debt, args.maintenance, args.initial)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(format_report(report))
    if report["margin_call"]:
        print(f"\nAlready below maintenance: a call of {_usd(report['required'] - report['equity'])} is due now "
              f"(the value would have to rise {-report['max_drop_before_call']:.2%} to clear it).")
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    from sim.analysis.calculator import margin_balance

    borrowed, shares, repaid = args.borrowed, args.shares_borrowed, args.repaid
    total = margin_balance(borrowed, shares, repaid)
    if args.json:
        print(json.dumps({"borrowed": borrowed, "shares_borrowed": shares, "repaid": repaid,
                          "margin_balance": total}, indent=2))
    else:
        print(f"margin balance {_usd(total)} = borrowed {_usd(borrowed)} + shares borrowed {_usd(shares)} "
              f"- repaid {_usd(repaid)}")
    return 0
