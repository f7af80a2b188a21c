"""``marginsim sweep``: run an experiment (grid, Latin hypercube or Sobol), resumably."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.apps.cli.common import UsageError, add_command, add_overrides, add_progress, check_out, integer, plural


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep``."""
    sw = add_command(sub, "sweep", "run an experiment (experiments/NAME.toml): grid, Latin hypercube or Sobol", """
        Run every (design point, replicate) of an experiment on a local process pool, serially or
        on a running dask cluster; all three give bit-identical runs.parquet. Finished runs are
        kept as they complete: rerunning the same command after an interruption finishes the rest.
        When every run is done, the experiment's analysis (summary tables and a figure) is written.""", """
        marginsim sweep experiments/phase-diagram.toml --small
        marginsim sweep experiments/sobol.toml --workers 8 --out results/experiments/sobol
        marginsim sweep experiments/channel-ablation.toml --scheduler tcp://127.0.0.1:8786
        marginsim sweep experiments/channel-ablation.toml --values scenario=baseline,gfc-2007 --serial""")
    sw.add_argument("experiment", help="the experiment's .toml file (see experiments/)")
    sw.add_argument("--workers", type=integer(1, 1024), metavar="N", help="processes in the local pool, 1 to 1024 "
                    "(default: the CPU count)")
    sw.add_argument("--scheduler", metavar="ADDRESS",
                    help="address of a running dask scheduler (tcp://HOST:PORT) instead of the pool")
    sw.add_argument("--serial", action="store_true", help="run every run in this process (no pool)")
    sw.add_argument("--out", metavar="DIR",
                    help="output folder (default results/experiments/NAME; NAME-small with --small)")
    sw.add_argument("--small", action="store_true", help="the experiment's [small] size (what the tests run)")
    add_overrides(sw, "scenario override for every run")
    sw.add_argument("--values", action="append", default=[], metavar="NAME=V1,V2",
                    help="run only these values of a parameter (repeatable), e.g. --values scenario=baseline,recession")
    sw.add_argument("--retry-failed", action="store_true", help="run again the runs recorded with an error")
    sw.add_argument("--chunk-runs", type=integer(1, 1_000_000), default=64, metavar="N",
                    help="runs per chunk file, 1 to 1000000 (default 64; a chunk is also written every 30 s)")
    add_progress(sw, "the runs, failures and ETA")
    sw.add_argument("--no-analysis", action="store_true", help="skip the experiment's summary and figure")
    sw.set_defaults(handler=cmd_sweep)


def _toml_value(text: str):
    """A --values item as TOML reads it (1.5, true), or the bare word as a string."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_values(items: list[str]) -> dict[str, list]:
    """``--values NAME=V1,V2`` items -> {name: [v1, v2]}."""
    values = {}
    for text in items:
        name, sep, listed = text.partition("=")
        if not sep or not name or not listed:
            raise UsageError(f"--values {text!r}: must look like NAME=V1,V2")
        values[name.strip()] = [_toml_value(v.strip()) for v in listed.split(",")]
    return values


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.config.experiment import load_experiment
    from sim.sweep.engine import run_sweep

    if args.scheduler and (args.workers is not None or args.serial):
        raise UsageError("--scheduler runs on the cluster's workers; drop --workers / --serial")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    exp = load_experiment(args.experiment, small=args.small, overrides=args.overrides,
                          values=parse_values(args.values))
    out = check_out(args.out or Path("results") / "experiments" / (exp.name + ("-small" if args.small else "")))
    executor = "dask" if args.scheduler else "serial" if args.serial else "pool"
    report = run_sweep(exp, out, executor=executor, workers=workers, scheduler=args.scheduler,
                       progress=sys.stderr.isatty() if args.progress is None else args.progress,
                       chunk_runs=args.chunk_runs, retry_failed=args.retry_failed)
    where = {"pool": f"process pool, {plural(workers, 'worker')}", "serial": "serial",
             "dask": f"dask at {args.scheduler}"}[executor]
    print(f"{exp.name} ({exp.size}): {plural(report.n_runs, 'run')}: {report.skipped:,} already done, "
          f"{report.new:,} new, {report.failed:,} failed, in {report.seconds:.1f} s ({where})")
    if report.stats.worker_deaths:
        print(f"  {report.stats.worker_deaths} worker process(es) lost; {plural(report.stats.resubmitted, 'run')} "
              "resubmitted")
    files = list(report.files)
    if report.skipped + report.new < report.n_runs:
        print(f"  incomplete: rerun the same command to finish (finished runs are in {out / 'chunks'})")
    elif exp.analysis and not args.no_analysis:
        files += _analyze(exp, out)
    for f in files:
        print(f"  wrote        {f}")
    return 0


def _analyze(exp, out: Path) -> list[Path]:
    """The experiment's summary tables and figure, from its finished runs."""
    from sim.report.experiments import analyze
    from sim.sweep.store import read_runs

    return analyze(exp, read_runs(out), out)
