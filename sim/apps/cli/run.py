"""``marginsim run``: one simulation, its files and its summary in words."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sim.apps.cli.common import (
    Progress,
    add_command,
    add_overrides,
    add_progress,
    add_scenario,
    add_seed,
    announce_compile,
    check_out,
    plural,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run``."""
    run = add_command(sub, "run", "run a scenario and write timeseries.parquet, summary.json, overview.png", """
        Run one scenario with one seed. Writes the daily time series (timeseries.parquet: one row
        per trading day, numbered by `day` and, for the historical scenarios, dated by `date`),
        the resolved scenario with its hash and the run's metrics (summary.json) and a one-page
        figure (overview.png), then prints the summary. A scenario with the stock layer on
        (semis-crash, concentrated-unwind, meme-squeeze) also writes stocks.parquet (one row per
        day and name) and the per-stock figures. The same scenario and seed give identical
        files.""", """
        marginsim run finra-2026-05 --seed 3
        marginsim run baseline --set margin.accounts=10000 --days 120 --out results/runs/small
        marginsim run semis-crash --seed 1                # the stock layer: stocks.parquet, per-name figures
        marginsim run gfc-2007 --progress                 # a bar of the days, even when stderr is a file
        marginsim run my-scenario.toml --mode agents --no-figure --json""")
    add_scenario(run)
    add_seed(run)
    run.add_argument("--days", type=int, metavar="N",
                     help="trading days to simulate (same as --set simulation.days=N; default: the scenario's)")
    add_overrides(run)
    run.add_argument("--mode", choices=("kernel", "agents"), default="kernel",
                     help="the margin book as numba arrays (kernel, default) or one Mesa agent per account "
                          "(agents: the reference, slow; same numbers)")
    run.add_argument("--out", metavar="DIR", help="output folder (default results/runs/SCENARIO-seedN)")
    run.add_argument("--no-figure", action="store_true",
                     help="do not draw overview.png (nor, with the stock layer, the per-stock figures)")
    run.add_argument("--json", action="store_true",
                     help="print the run's metrics as JSON instead of the summary (with the stock layer, its "
                          "metrics under 'stocks')")
    add_progress(run, "the days")
    run.set_defaults(handler=cmd_run)


def _fmt_bn(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x) / 1e9:,.1f} bn"


def _dated(ts, day: int) -> str:
    """``day 60`` or ``day 60, 2007-10-25`` when the run has dates."""
    return f"day {day}" + (f", {ts['date'].iloc[day]:%Y-%m-%d}" if "date" in ts else "")


def print_summary(result, seconds: float, files: list[Path]) -> None:
    """The run's summary in words, a few lines; a warning on stderr if clearing hit its round cap."""
    summary, ts = result.summary, result.timeseries
    m, sc = summary["metrics"], summary["scenario"]
    dates = f" ({ts['date'].iloc[0]:%Y-%m-%d} to {ts['date'].iloc[-1]:%Y-%m-%d})" if "date" in ts else ""
    print(f"{summary['scenario_name']}  seed {summary['seed']}  hash {summary['scenario_hash']}  "
          f"{plural(m['days'], 'day')}{dates} x {plural(sc['margin']['accounts'], 'account')} "
          f"({summary['mode']} mode) in {seconds:.1f} s")
    print(f"  index        total return {m['total_return']:+.1%}, max drawdown {m['max_drawdown']:.1%}, "
          f"worst day {m['worst_day_return']:+.1%} ({_dated(ts, m['worst_day'])}), "
          f"excess kurtosis {m['excess_kurtosis']:.1f}")
    print(f"  margin debt  {_fmt_bn(m['initial_margin_debt_usd'])} -> {_fmt_bn(m['final_margin_debt_usd'])} "
          f"(low {_fmt_bn(m['min_margin_debt_usd'])}); net credit balance "
          f"{_fmt_bn(m['initial_net_credit_balance_usd'])} -> {_fmt_bn(m['final_net_credit_balance_usd'])}")
    print(f"  calls        {plural(m['margin_calls'], 'call')}, {plural(m['liquidations'], 'liquidation')}, "
          f"forced sales {_fmt_bn(m['forced_sales_usd'])}, buy-ins {_fmt_bn(m['forced_buyins_usd'])}, deposits "
          f"{_fmt_bn(m['deposits_usd'])}, broker losses {_fmt_bn(m['broker_losses_usd'])}")
    flows = m["channel_flows"]
    names = (("margin forced", "margin_forced"), ("margin voluntary", "margin_voluntary"), ("LETFs", "letf"),
             ("dealers", "dealer"), ("vol-control", "vol_control"))
    print("  channels     " + ", ".join(f"{name} sold {_fmt_bn(flows[key]['sold_usd'])}" for name, key in names))
    if m["shock_day"] is not None:
        print(f"  shock        {_dated(ts, m['shock_day'])}: the index fell {m['shock_drawdown']:.1%} within "
              f"21 days; dealer gamma as low as {_fmt_bn(m['min_dealer_gex_usd'])} per 1% move")
    print(f"  clearing     at most {plural(m['max_clearing_rounds'], 'round')} per substep; "
          f"{plural(m['clearing_unconverged'], 'substep')} hit the round cap")
    if m["clearing_unconverged"]:
        print("  WARNING: clearing hit simulation.max_clearing_rounds; raise it to resolve every cascade",
              file=sys.stderr)
    if "stocks" in summary:
        print_stocks(summary["stocks"])
    for f in files:
        print(f"  wrote        {f}")


def print_stocks(st: dict) -> None:
    """The stock layer's lines of the summary (a run with ``stocks.enabled``)."""
    shock = (f"; fell {st['shock_drawdown']:.1%} within 21 days of day {st['shock_day']}"
             if st["shock_day"] is not None else "")
    print(f"  stocks       {plural(st['names'], 'name')} x {plural(st['accounts'], 'account')}: stock index max "
          f"drawdown {st['max_drawdown']:.1%}{shock}, worst name {st['worst_name']} "
          f"({-st['worst_name_drawdown']:+.1%})")
    print(f"  stock book   margin debt {_fmt_bn(st['initial_margin_debt_usd'])} -> "
          f"{_fmt_bn(st['final_margin_debt_usd'])}; concentration at day 0: HHI {st['initial_hhi']:.4f}, top 10 "
          f"names {st['initial_top10_share']:.1%} of the debt")
    top = (f"; most in {st['top_forced_name']} ({st['top_forced_name_share']:.1%})" if st["top_forced_name"]
           else "")
    print(f"  stock sales  forced {_fmt_bn(st['forced_sales_usd'])}{top}, buy-ins {_fmt_bn(st['buy_ins_usd'])}, "
          f"{plural(st['calls'], 'call')}, {plural(st['close_outs'], 'close-out')}, broker losses "
          f"{_fmt_bn(st['broker_losses_usd'])}")


def _stock_files(spec, seed: int, result, out: Path, no_figure: bool) -> list[Path]:
    """The stock layer's attribution tables and figures (the layer rerun with each subset of its channels)."""
    from sim.analysis.stock_tables import stock_attribution
    from sim.report.stocks import save_stock_figures, write_stock_attribution

    att = stock_attribution(spec, seed, result.timeseries, result.stock_book)
    files = write_stock_attribution(att, out)
    if not no_figure:
        caps = result.stock_book.price0 * result.stock_book.shares_outstanding
        sectors = {"drawdown": att["sectors_drawdown"], "forced_sales": att["sectors_forced_sales"]}
        files.extend(save_stock_figures(result.stock_path, out, attribution=sectors, market_value0=caps))
    return files


def cmd_run(args: argparse.Namespace) -> int:
    from sim.config.scenario import load
    from sim.report.figures import plot_overview
    from sim.run.simulate import DEFAULT_ENGINE, check_seed, simulate

    overrides = list(args.overrides)
    if args.days is not None:
        overrides.append(f"simulation.days={args.days}")
    spec = load(args.scenario, overrides)
    check_seed(args.seed)
    out = check_out(args.out or Path("results") / "runs" / f"{spec.meta.name}-seed{args.seed}")
    engine = DEFAULT_ENGINE if args.mode == "kernel" else "mesa"
    announce_compile(engine, args.progress)
    start = time.perf_counter()
    with Progress(args.progress, spec.meta.name, "day") as bar:
        result = simulate(spec, args.seed, mode=args.mode, progress=bar.callback or False, engine=engine)
    seconds = time.perf_counter() - start
    files = list(result.write(out))
    if not args.no_figure:
        files.append(plot_overview(result.timeseries, result.summary, out / "overview.png"))
    if result.stock_path is not None:
        files.append(out / "stocks.parquet")
        files.extend(_stock_files(spec, args.seed, result, out, args.no_figure))
    if args.json:
        stocks = {"stocks": result.summary["stocks"]} if "stocks" in result.summary else {}
        print(json.dumps({**result.summary["metrics"], **stocks}, indent=2))
    else:
        print_summary(result, seconds, files)
    return 0
