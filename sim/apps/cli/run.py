"""``marginsim run``, ``show`` and ``scenarios``: one simulation, and the scenarios it can run."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sim.apps.cli.common import add_command, add_overrides, add_scenario, add_seed, check_out


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run``, ``show`` and ``scenarios``."""
    run = add_command(sub, "run", "run a scenario and write timeseries.parquet, summary.json, overview.png", """
        Run one scenario with one seed. Writes the daily time series (timeseries.parquet), the
        resolved scenario with its hash and the run's metrics (summary.json) and a one-page figure
        (overview.png), then prints the summary. The same scenario and seed give identical files.""", """
        marginsim run finra-2026-05 --seed 3
        marginsim run baseline --set margin.accounts=10000 --days 120 --out results/runs/small
        marginsim run my-scenario.toml --mode agents --no-figure --json""")
    add_scenario(run)
    add_seed(run)
    run.add_argument("--days", type=int,
                     help="override simulation.days (same as --set simulation.days=N)")
    add_overrides(run)
    run.add_argument("--out", help="output folder (default results/runs/SCENARIO-seedN)")
    run.add_argument("--mode", choices=("kernel", "agents"), default="kernel",
                     help="margin book as numba arrays (default) or one Mesa agent per account")
    run.add_argument("--no-figure", action="store_true", help="do not write overview.png")
    run.add_argument("--json", action="store_true", help="print the run's metrics as JSON instead of the summary")
    run.set_defaults(handler=cmd_run)

    scen = add_command(sub, "scenarios", "list the built-in scenarios", """
        List the built-in scenarios, each with its one-line description. Any of them (or a .toml
        file of your own) can be given to run, show, attribute and the experiments.""", """
        marginsim scenarios""")
    scen.set_defaults(handler=cmd_scenarios)

    show = add_command(sub, "show", "print a resolved scenario as JSON with its hash", """
        Print a scenario with every default filled in and every override applied, as JSON, with
        the hash that identifies it in summaries and experiments.""", """
        marginsim show baseline
        marginsim show finra-2026-05 --set margin.accounts=77 --set simulation.days=120""")
    add_scenario(show)
    add_overrides(show)
    show.set_defaults(handler=cmd_show)


def _fmt_bn(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x) / 1e9:,.1f} bn"


def print_summary(summary: dict, seconds: float, files: list[Path]) -> None:
    """The run's summary in words, a few lines; a warning on stderr if clearing hit its round cap."""
    m, sc = summary["metrics"], summary["scenario"]
    print(f"{summary['scenario_name']}  seed {summary['seed']}  hash {summary['scenario_hash']}  "
          f"{m['days']} days x {sc['margin']['accounts']:,} accounts ({summary['mode']} mode) in {seconds:.1f} s")
    print(f"  index        total return {m['total_return']:+.1%}, max drawdown {m['max_drawdown']:.1%}, "
          f"worst day {m['worst_day_return']:+.1%} (day {m['worst_day']}), excess kurtosis {m['excess_kurtosis']:.1f}")
    print(f"  margin debt  {_fmt_bn(m['initial_margin_debt_usd'])} -> {_fmt_bn(m['final_margin_debt_usd'])} "
          f"(low {_fmt_bn(m['min_margin_debt_usd'])}); net credit balance "
          f"{_fmt_bn(m['initial_net_credit_balance_usd'])} -> {_fmt_bn(m['final_net_credit_balance_usd'])}")
    print(f"  calls        {m['margin_calls']:,} calls, {m['liquidations']:,} liquidations, forced sales "
          f"{_fmt_bn(m['forced_sales_usd'])}, buy-ins {_fmt_bn(m['forced_buyins_usd'])}, deposits "
          f"{_fmt_bn(m['deposits_usd'])}, broker losses {_fmt_bn(m['broker_losses_usd'])}")
    flows = m["channel_flows"]
    names = (("margin forced", "margin_forced"), ("margin voluntary", "margin_voluntary"), ("LETFs", "letf"),
             ("dealers", "dealer"), ("vol-control", "vol_control"))
    print("  channels     " + ", ".join(f"{name} sold {_fmt_bn(flows[key]['sold_usd'])}" for name, key in names))
    if m["shock_day"] is not None:
        print(f"  shock        day {m['shock_day']}: the index fell {m['shock_drawdown']:.1%} within 21 days; "
              f"dealer gamma as low as {_fmt_bn(m['min_dealer_gex_usd'])} per 1% move")
    print(f"  clearing     at most {m['max_clearing_rounds']} rounds per substep; "
          f"{m['clearing_unconverged']} substeps hit the round cap")
    if m["clearing_unconverged"]:
        print("  WARNING: clearing hit simulation.max_clearing_rounds; raise it to resolve every cascade",
              file=sys.stderr)
    for f in files:
        print(f"  wrote        {f}")


def cmd_run(args: argparse.Namespace) -> int:
    from sim.config.scenario import load
    from sim.report.figures import plot_overview
    from sim.run.simulate import check_seed, simulate

    overrides = list(args.overrides)
    if args.days is not None:
        overrides.append(f"simulation.days={args.days}")
    spec = load(args.scenario, overrides)
    check_seed(args.seed)
    out = check_out(args.out or Path("results") / "runs" / f"{spec.meta.name}-seed{args.seed}")
    start = time.perf_counter()
    result = simulate(spec, args.seed, mode=args.mode, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    files = list(result.write(out))
    if not args.no_figure:
        files.append(plot_overview(result.timeseries, result.summary, out / "overview.png"))
    if args.json:
        print(json.dumps(result.summary["metrics"], indent=2))
    else:
        print_summary(result.summary, seconds, files)
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.config.scenario import builtin_names, read_toml

    names = builtin_names()
    width = max(len(name) for name in names)
    for name in names:  # the description only: read, not built and checked (twice as fast)
        print(f"{name:<{width}}  {read_toml(name).get('meta', {}).get('description', '')}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sim.config.scenario import load

    spec = load(args.scenario, args.overrides)
    print(json.dumps({"scenario_hash": spec.hash(), "scenario": spec.to_dict()}, indent=2))
    return 0
