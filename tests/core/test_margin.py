"""Margin formulas and the account calculator, against the seeds' worked examples."""

from __future__ import annotations

import json
import math

import pytest

from sim.analysis.calculator import account_report
from sim.apps.cli import main
from sim.core import margin


def test_textbook_example_no_call_after_20_percent_drop():
    # $50,000 ETF position, $25,000 borrowed, 30% maintenance; value falls 20% to $40,000
    eq = margin.equity(-25_000.0, 0.0, 40_000.0, 0.0)
    required = margin.requirement(40_000.0, 0.0, 0.30, 0.0)
    assert eq == 15_000.0 and required == 12_000.0
    assert not margin.in_deficit(eq, required)


def test_textbook_example_call_at_35000():
    eq = margin.equity(-25_000.0, 0.0, 35_000.0, 0.0)
    required = margin.requirement(35_000.0, 0.0, 0.30, 0.0)
    assert eq == 10_000.0 and required == pytest.approx(10_500.0)
    assert margin.in_deficit(eq, required)


def test_call_value_is_where_equity_equals_maintenance():
    v = margin.call_value(25_000.0, 0.30)
    assert round(v, 2) == 35_714.29
    assert margin.equity(-25_000.0, 0.0, v, 0.0) == pytest.approx(0.30 * v, rel=1e-12)
    assert not margin.in_deficit(margin.equity(-25_000.0, 0.0, v * (1 + 1e-6), 0.0), 0.30 * v * (1 + 1e-6))
    assert margin.in_deficit(margin.equity(-25_000.0, 0.0, v * (1 - 1e-6), 0.0), 0.30 * v * (1 - 1e-6))
    assert margin.max_drop_before_call(50_000.0, 25_000.0, 0.30) == pytest.approx(1 - 35_714.2857 / 50_000, rel=1e-6)


def test_margin_balance_example():
    assert margin.margin_balance(10_000.0, 5_000.0, 3_000.0) == 12_000.0


def test_buying_power_reg_t():
    # $20,000 cash, no positions: Reg T 50% -> $40,000 of purchases
    assert margin.buying_power(20_000.0, 0.0, 0.0, 0.5, 0.5) == 40_000.0
    # fully used at 2x
    assert margin.buying_power(25_000.0, 50_000.0, 0.0, 0.5, 0.5) == 0.0
    # short requirement (150% incl. proceeds -> 0.5 of equity) uses buying power too
    assert margin.buying_power(20_000.0, 0.0, 10_000.0, 0.5, margin.short_equity_rate(1.5)) == 30_000.0


def test_buying_power_house_limit():
    # $60,000 equity on $100,000 of stock: Reg T excess $10,000 -> $20,000 of purchases
    assert margin.buying_power(60_000.0, 100_000.0, 0.0, 0.5, 0.5, 30_000.0, 0.30) == 20_000.0
    # house maintenance raised to 55%: excess over it $5,000 buys only $5,000 / 0.55
    assert margin.buying_power(60_000.0, 100_000.0, 0.0, 0.5, 0.5, 55_000.0, 0.55) == pytest.approx(9_090.909, rel=1e-6)
    # at 65% the account is short of maintenance: nothing
    assert margin.buying_power(60_000.0, 100_000.0, 0.0, 0.5, 0.5, 65_000.0, 0.65) == 0.0


def test_liquidation_fraction_restores_target_exactly():
    lv, sv, eq = 100.0, 20.0, 25.0
    target = margin.requirement(lv, sv, 0.35, 0.35)
    f = margin.liquidation_fraction(eq, target)
    assert margin.requirement(lv * (1 - f), sv * (1 - f), 0.35, 0.35) == pytest.approx(eq, rel=1e-12)
    assert margin.liquidation_fraction(-1.0, target) == 1.0
    assert margin.liquidation_fraction(0.0, target) == 1.0
    assert margin.liquidation_fraction(50.0, target) == 0.0


@pytest.mark.parametrize(("reserve", "call_day", "day", "deadline", "expect"), [
    (1e9, -1, 5, 2, "deposit"),        # can pay: deposits, no sale
    (0.0, -1, 5, 2, "wait"),           # cannot pay, call just issued, 2-day deadline
    (0.0, 3, 5, 2, "liquidate"),       # call 2 days old: broker sells
    (0.0, -1, 5, 0, "liquidate"),      # no deadline: immediate
])
def test_settle_account_paths(reserve, call_day, day, deadline, expect):
    lv, debt = 35_000.0, 25_000.0
    eq = margin.equity(-debt, 0.0, lv, 0.0)
    f, dep, new_day, issued = margin.settle_account(eq, 0.30 * lv, 0.35 * lv, reserve, call_day, day, deadline)
    assert issued == (call_day < 0)
    assert new_day == (day if call_day < 0 else call_day)
    if expect == "deposit":
        assert f == 0.0 and dep == pytest.approx(0.35 * lv - eq)
    elif expect == "wait":
        assert f == 0.0 and dep == 0.0
    else:
        assert dep == 0.0 and f == pytest.approx(1 - eq / (0.35 * lv))


def test_negative_equity_is_closed_at_once_even_within_deadline():
    f, dep, _, _ = margin.settle_account(-100.0, 300.0, 350.0, 0.0, -1, 0, 5)
    assert f == 1.0 and dep == 0.0


def test_daily_interest_on_debit_only():
    assert margin.daily_interest(-252_000.0, 0.06, 252.0) == pytest.approx(60.0)
    assert margin.daily_interest(1_000.0, 0.06, 252.0) == 0.0


def test_account_report_worked_example():
    r = account_report(50_000.0, 25_000.0, 0.30)
    assert r["equity"] == 25_000.0 and r["equity_ratio"] == 0.5
    assert round(r["call_value"], 2) == 35_714.29
    assert r["max_drop_before_call"] == pytest.approx(0.285714, abs=1e-6)
    assert r["buying_power"] == 0.0
    by_drop = {s["drop"]: s for s in r["stress"]}
    assert by_drop[0.20]["equity"] == 15_000.0 and by_drop[0.20]["required"] == 12_000.0
    assert not by_drop[0.20]["call"]
    assert by_drop[0.30]["equity"] == pytest.approx(10_000.0)
    assert by_drop[0.30]["required"] == pytest.approx(10_500.0) and by_drop[0.30]["call"]
    assert by_drop[0.50]["equity"] == 0.0 and by_drop[0.50]["call"]


def test_account_cli_json(capsys):
    assert main(["account", "--value", "50000", "--debt", "25000", "--maintenance", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert math.isclose(out["call_value"], 35_714.2857, rel_tol=1e-8)
    assert [s["call"] for s in out["stress"]] == [False, False, False, True, True]


def test_account_cli_text_and_balance(capsys):
    assert main(["account", "--value", "50000", "--debt", "25000"]) == 0
    text = capsys.readouterr().out
    assert "35,714.29" in text and "28.57%" in text
    assert main(["balance", "--borrowed", "10000", "--shares-borrowed", "5000", "--repaid", "3000"]) == 0
    assert "$12,000.00" in capsys.readouterr().out
