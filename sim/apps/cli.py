"""Command line: ``marginsim`` (or ``python -m sim``).

Bad input of any kind ends with one line on stderr naming the field and the allowed range,
exit code 2, no traceback and no output file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sim import __version__

EXIT_BAD_INPUT = 2
EXIT_INVARIANT = 3


class UsageError(Exception):
    """Bad command-line usage (reported as one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed {text!r}: must be an integer in [0, 2^63 - 1]") from None
    return value


def _float(name: str):
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{name} {text!r}: must be a number") from None
    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port {text!r}: must be an integer in [1, 65535]")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="marginsim", description="Leverage feedback loops in equity markets.")
    p.add_argument("--version", action="version", version=f"marginsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write timeseries.parquet, summary.json, overview.png")
    run.add_argument("scenario", help="built-in scenario name (see `marginsim scenarios`) or a .toml path")
    run.add_argument("--seed", type=_seed, default=0, help="root seed for numpy.random.SeedSequence (default 0)")
    run.add_argument("--days", type=int, help="override simulation.days")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                     help="override a scenario field (repeatable), e.g. --set margin.accounts=10000")
    run.add_argument("--out", help="output folder (default results/runs/SCENARIO-seedN)")
    run.add_argument("--mode", choices=("kernel", "agents"), default="kernel",
                     help="margin book as numba arrays (default) or one Mesa agent per account")
    run.add_argument("--no-figure", action="store_true", help="do not write overview.png")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    acc = sub.add_parser("account", help="margin account calculator (one long position)")
    acc.add_argument("--value", type=_float("value"), required=True, help="market value of the position, $")
    acc.add_argument("--debt", type=_float("debt"), required=True, help="debit balance (money borrowed), $")
    acc.add_argument("--maintenance", type=_float("maintenance"), default=0.30,
                     help="maintenance margin, fraction (default 0.30, a common house rule)")
    acc.add_argument("--initial", type=_float("initial"), default=0.50, help="initial margin (Reg T 0.50)")
    acc.add_argument("--json", action="store_true", help="print JSON")

    bal = sub.add_parser("balance", help="FINRA margin balance: borrowed + shares borrowed - repaid")
    bal.add_argument("--borrowed", type=_float("borrowed"), required=True, help="money borrowed, $")
    bal.add_argument("--shares-borrowed", type=_float("shares-borrowed"), default=0.0,
                     help="market value of shares borrowed (short sales), $")
    bal.add_argument("--repaid", type=_float("repaid"), default=0.0, help="amount repaid, $")

    att = sub.add_parser("attribute", help="Shapley attribution of the drawdown to the four leverage channels")
    att.add_argument("scenario")
    att.add_argument("--seed", type=_seed, default=0)
    att.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    att.add_argument("--out", help="output folder (default results/attribution/SCENARIO-seedN)")
    att.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                     help="processes for the 16 runs (default: up to 4)")
    att.add_argument("--json", action="store_true", help="print the JSON instead of the table")

    bench = sub.add_parser("bench", help="benchmarks: results/benchmarks.json and .md")
    bench.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    bench.add_argument("--out", default="results", help="folder for benchmarks.json and benchmarks.md")

    figs = sub.add_parser("figures", help="regenerate every figure into results/figures/ with MANIFEST.json")
    figs.add_argument("--quick", action="store_true", help="small sizes (the tests run this twice)")
    figs.add_argument("--out", default=None, help="output folder (default results/figures, or results/figures-quick)")
    figs.add_argument("--only", action="append", default=[], metavar="NAME", help="only this figure (repeatable)")

    val = sub.add_parser("validate", help="calibrated baseline vs S&P 500 returns and FINRA margin debt; TFG 2012")
    val.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    val.add_argument("--out", default="results", help="folder for validation.md, .json and .png (default results)")

    dash = sub.add_parser("dashboard", help="interactive dashboard in the browser (Mesa SolaraViz)")
    dash.add_argument("--port", type=_port, default=8765, help="TCP port (default 8765)")
    dash.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only)")

    sw = sub.add_parser("sweep", help="run an experiment (experiments/NAME.toml): grid, Latin hypercube or Sobol")
    sw.add_argument("experiment", help="the experiment's .toml file")
    sw.add_argument("--workers", type=int, help="processes in the local pool (default: the CPU count)")
    sw.add_argument("--scheduler", help="address of a running dask scheduler (tcp://HOST:PORT) instead of the pool")
    sw.add_argument("--serial", action="store_true", help="run every run in this process (no pool)")
    sw.add_argument("--out", help="output folder (default results/experiments/NAME; NAME-small with --small)")
    sw.add_argument("--small", action="store_true", help="the experiment's [small] size (what the tests run)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                    help="scenario override for every run (repeatable), e.g. --set margin.accounts=20000")
    sw.add_argument("--values", action="append", default=[], metavar="NAME=V1,V2",
                    help="run only these values of a parameter (repeatable), e.g. --values scenario=baseline,recession")
    sw.add_argument("--retry-failed", action="store_true", help="run again the runs recorded with an error")
    sw.add_argument("--chunk-runs", type=int, default=64, help="runs per chunk file (default 64; also every 30 s)")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--no-analysis", action="store_true", help="skip the experiment's summary and figure")

    sub.add_parser("scenarios", help="list the built-in scenarios")
    show = sub.add_parser("show", help="print a resolved scenario as JSON with its hash")
    show.add_argument("scenario")
    show.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    return p


def _fmt_bn(x: float) -> str:
    return f"{'-' if x < 0 else ''}${abs(x) / 1e9:,.1f} bn"


def print_summary(summary: dict, seconds: float, files: list[Path]) -> None:
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
    out = Path(args.out) if args.out else Path("results") / "runs" / f"{spec.meta.name}-seed{args.seed}"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r}: must be a folder, not a file")
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


def cmd_attribute(args: argparse.Namespace) -> int:
    from sim.analysis.attribution import attribute, plot_attribution
    from sim.config.scenario import load
    from sim.core.files import atomic_write
    from sim.run.simulate import check_seed

    spec = load(args.scenario, args.overrides)
    check_seed(args.seed)
    if not 1 <= args.workers <= 256:
        raise UsageError(f"--workers {args.workers}: must be in [1, 256]")
    out = Path(args.out) if args.out else Path("results") / "attribution" / f"{spec.meta.name}-seed{args.seed}"
    start = time.perf_counter()
    att = attribute(spec, args.seed, args.workers)
    seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    payload = {"version": __version__, **att.to_json()}
    atomic_write(out / "attribution.json",
                  lambda p: Path(p).write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n"))
    png = plot_attribution(att, out / "attribution.png")
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(f"{spec.meta.name}  seed {args.seed}  hash {spec.hash()}  16 runs in {seconds:.1f} s")
        print(att.table())
        print(f"wrote {out / 'attribution.json'}\nwrote {png}")
    return 0


def _toml_value(text: str):
    """A --values item as TOML reads it (1.5, true), or the bare word as a string."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.config.experiment import load_experiment
    from sim.sweep.engine import run_sweep

    if args.scheduler and (args.workers is not None or args.serial):
        raise UsageError("marginsim sweep: --scheduler runs on the cluster's workers; drop --workers / --serial")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if not 1 <= workers <= 1024:
        raise UsageError(f"--workers {workers}: must be in [1, 1024]")
    if not 1 <= args.chunk_runs <= 1_000_000:
        raise UsageError(f"--chunk-runs {args.chunk_runs}: must be in [1, 1000000]")
    values = {}
    for text in args.values:
        name, sep, listed = text.partition("=")
        if not sep or not name or not listed:
            raise UsageError(f"--values {text!r}: must look like NAME=V1,V2")
        values[name.strip()] = [_toml_value(v.strip()) for v in listed.split(",")]
    exp = load_experiment(args.experiment, small=args.small, overrides=args.overrides, values=values)
    out = Path(args.out) if args.out else Path("results") / "experiments" / (exp.name + ("-small" if args.small
                                                                                         else ""))
    executor = "dask" if args.scheduler else "serial" if args.serial else "pool"
    report = run_sweep(exp, out, executor=executor, workers=workers, scheduler=args.scheduler,
                       progress=not args.no_progress, chunk_runs=args.chunk_runs, retry_failed=args.retry_failed)
    where = {"pool": f"process pool, {workers} worker{'s' if workers > 1 else ''}", "serial": "serial",
             "dask": f"dask at {args.scheduler}"}[executor]
    print(f"{exp.name} ({exp.size}): {report.n_runs:,} runs: {report.skipped:,} already done, {report.new:,} new, "
          f"{report.failed:,} failed, in {report.seconds:.1f} s ({where})")
    if report.stats.worker_deaths:
        print(f"  {report.stats.worker_deaths} worker process(es) lost; {report.stats.resubmitted} runs resubmitted")
    files = list(report.files)
    if report.skipped + report.new < report.n_runs:
        print(f"  incomplete: rerun the same command to finish (finished runs are in {out / 'chunks'})")
    elif exp.analysis and not args.no_analysis:
        from sim.analysis.analyses import analyze
        from sim.sweep.store import read_runs

        files += analyze(exp, read_runs(out), out)
    for f in files:
        print(f"  wrote        {f}")
    return 0


def cmd_account(args: argparse.Namespace) -> int:
    from sim.analysis.calculator import account_report, format_report

    report = account_report(args.value, args.debt, args.maintenance, args.initial)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    from sim.analysis.calculator import _check
    from sim.core import margin

    for name in ("borrowed", "shares_borrowed", "repaid"):
        _check(name.replace("_", "-"), getattr(args, name), 0.0, 1e15)
    total = margin.margin_balance(args.borrowed, args.shares_borrowed, args.repaid)
    print(f"margin balance ${total:,.2f} = borrowed ${args.borrowed:,.2f} + shares borrowed "
          f"${args.shares_borrowed:,.2f} - repaid ${args.repaid:,.2f}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.apps.bench import main as bench_main

    return bench_main([*(["--quick"] if args.quick else []), "--out", args.out])


def cmd_figures(args: argparse.Namespace) -> int:
    from sim.report.paper import build_all, registry

    names = [f.name for f in registry()]
    for name in args.only:
        if name not in names:
            raise UsageError(f"marginsim figures: --only {name!r}: must be one of {', '.join(names)}")
    out = Path(args.out) if args.out else Path("results") / ("figures-quick" if args.quick else "figures")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r}: must be a folder, not a file")
    start = time.perf_counter()
    manifest = build_all(out, quick=args.quick, only=args.only or None)
    built = len(args.only) if args.only else len(manifest["figures"])
    print(f"{built} figures in {time.perf_counter() - start:.1f} s; wrote {out / 'MANIFEST.json'}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.analysis.validate import FULL, QUICK, validate, write

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r}: must be a folder, not a file")
    res = validate(QUICK if args.quick else FULL)
    files = write(res, out)
    print(f"validation ({res['mode']}) in {res['seconds']:.1f} s")
    for t in res["targets"]:
        status = "met" if t["met"] else f"NOT met (off by {t['miss']:.3f})"
        real = "" if t["real"] is None else f", S&P 500 {t['real']:.3f}"
        print(f"  {t['label']:<36} {t['range']:<12} baseline {t['simulated_median']:8.3f}{real}  {status}")
    for f in files:
        print(f"wrote {f}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from sim.apps.dashboard.server import DashboardError, serve

    try:
        serve(args.host, args.port)
    except DashboardError as exc:
        raise UsageError(f"marginsim dashboard: {exc}") from None
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.config.scenario import builtin_names, load

    names = builtin_names()
    width = max(len(name) for name in names)
    for name in names:
        print(f"{name:<{width}}  {load(name).meta.description}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sim.config.scenario import load

    spec = load(args.scenario, args.overrides)
    print(json.dumps({"scenario_hash": spec.hash(), "scenario": spec.to_dict()}, indent=2))
    return 0


COMMANDS = {"run": cmd_run, "attribute": cmd_attribute, "account": cmd_account, "balance": cmd_balance,
            "scenarios": cmd_scenarios, "show": cmd_show, "bench": cmd_bench, "figures": cmd_figures,
            "validate": cmd_validate, "dashboard": cmd_dashboard, "sweep": cmd_sweep}


def main(argv: list[str] | None = None) -> int:
    from sim.config.scenario import ScenarioError
    from sim.model.invariants import InvariantError

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ScenarioError) as exc:
        print(f"marginsim: error: {exc}" if isinstance(exc, ScenarioError) else f"{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvariantError as exc:
        print(f"marginsim: invariant violated (a bug, please report): {exc}", file=sys.stderr)
        return EXIT_INVARIANT
    except KeyboardInterrupt:
        print("marginsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that closed early (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
