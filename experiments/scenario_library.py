"""Run every built-in scenario once (100,000 accounts, seed 1) and tabulate the headline numbers.

Writes ``results/scenarios/library.json`` (each run's metrics) and ``results/scenarios/library.md``
(the README's "Scenario library" table). Usage::

    python experiments/scenario_library.py [--accounts 100000] [--seed 1] [--spread 8] [--out results/scenarios]

``--spread N`` also runs seeds 1..N and reports the range of the max drawdown: over a long
scenario the random part of the fundamentals moves the index as much as the scheduled events.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import sim
from sim import __version__
from sim.config import finra
from sim.config.scenario import builtin_names, load
from sim.core.files import write_text

HISTORY = {  # what happened to the S&P 500 over each historical scenario's span (public closes)
    "dotcom-2000": "S&P 500 -45.6% (1,498.58 on 2000-03-31 -> 815.28 on 2002-09-30)",
    "gfc-2007": "S&P 500 -49.5% (1,455.27 on 2007-07-31 -> 735.09 on 2009-02-27)",
    "peak-2021": "S&P 500 -16.6% (4,605.38 on 2021-10-29 -> 3,839.50 on 2022-12-30), -25.4% peak to low",
    "volmageddon-2018": "S&P 500 -8.6% in six trading days (2,823.81 on 2018-01-31 -> 2,581.00 on 2018-02-08)",
    "covid-2020": "S&P 500 -33.9% in 23 trading days (3,386.15 on 2020-02-19 -> 2,237.40 on 2020-03-23)",
}


def run(accounts: int, seed: int, spread: int) -> list[dict]:
    rows = []
    for name in builtin_names():
        spec = load(name, [f"margin.accounts={accounts}"])
        start = time.perf_counter()
        result = sim.simulate(spec, seed=seed)
        seconds = time.perf_counter() - start
        m, ts = result.summary["metrics"], result.timeseries
        month = finra.SCENARIO_MONTHS.get(name)
        spread_dd = [m["max_drawdown"] if s == seed else
                     sim.simulate(spec, seed=s).summary["metrics"]["max_drawdown"] for s in range(1, spread + 1)]
        finra_fall = None
        if month and month != "2026-05":
            fall = finra.fall_after(month)
            finra_fall = {"trough": str(fall.trough), "fall": fall.fall}
        rows.append({
            "scenario": name, "scenario_hash": result.summary["scenario_hash"], "days": spec.simulation.days,
            "seconds": seconds, "finra_month": month, "finra_fall": finra_fall, "history": HISTORY.get(name),
            "debt_fall": float(ts["margin_debt"].min() / ts["margin_debt"].iloc[0] - 1.0),
            "max_drawdown_seeds": spread_dd,
            "metrics": {k: v for k, v in m.items() if k not in ("channel_flows", "regime_days")},
        })
        print(f"{name:<18} {spec.simulation.days:4d} days in {seconds:5.1f} s: shock {m['shock_drawdown']:.1%}, "
              f"max drawdown {m['max_drawdown']:.1%}, forced sales ${m['forced_sales_usd'] / 1e9:,.1f} bn, "
              f"{m['margin_calls']:,} calls", flush=True)
    return rows


def table(rows: list[dict], accounts: int, seed: int, spread: int) -> str:
    lines = [f"`python experiments/scenario_library.py` (marginsim {__version__}, {accounts:,} accounts, seed {seed}; "
             "calls and liquidations count simulated accounts, each standing for many real ones).", "",
             "| scenario | days | shock day | shock drawdown (21 d) | max drawdown | worst day | forced sales | "
             f"margin calls | liquidations | margin debt, day 0 -> low | FINRA: fall to the low | "
             f"max drawdown, seeds 1-{spread}: mean (range) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["metrics"]
        shock = "-" if m["shock_day"] is None else str(m["shock_day"])
        f = r["finra_fall"]
        finra_text = f"{f['fall']:+.1%} ({r['finra_month']} -> {f['trough']})" if f else "-"
        dd = r["max_drawdown_seeds"]
        spread_text = f"{sum(dd) / len(dd):.1%} ({min(dd):.1%}-{max(dd):.1%})"
        lines.append(
            f"| `{r['scenario']}` | {r['days']} | {shock} | {m['shock_drawdown']:.1%} | {m['max_drawdown']:.1%} | "
            f"{m['worst_day_return']:+.1%} (day {m['worst_day']}) | ${m['forced_sales_usd'] / 1e9:,.1f} bn | "
            f"{m['margin_calls']:,} | {m['liquidations']:,} | ${m['initial_margin_debt_usd'] / 1e9:,.1f} bn -> "
            f"${m['min_margin_debt_usd'] / 1e9:,.1f} bn ({r['debt_fall']:+.1%}) | {finra_text} | {spread_text} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", type=int, default=8, help="seeds 1..N for the max-drawdown range")
    parser.add_argument("--out", default="results/scenarios")
    args = parser.parse_args(argv)
    rows = run(args.accounts, args.seed, max(args.spread, 1))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"version": __version__, "accounts": args.accounts, "seed": args.seed, "spread_seeds": args.spread,
               "runs": rows}
    write_text(out / "library.json", json.dumps(payload, indent=2) + "\n")
    text = table(rows, args.accounts, args.seed, max(args.spread, 1))
    write_text(out / "library.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
