"""``marginsim tail``: the probability that a metric crosses a threshold, with an interval, over many paths."""

from __future__ import annotations

import argparse
import json
import os
import time

from sim.apps.cli.common import (
    Progress,
    add_command,
    add_overrides,
    add_progress,
    add_scenario,
    integer,
    number,
    seed,
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``tail``."""
    tail = add_command(sub, "tail", "P(metric >= threshold) over many paths, with a confidence interval", """
        Run the scenario on --paths paths (an ensemble: the same scenario, a different seed per
        path, the seeds derived from --seed through numpy's SeedSequence) and print the share of
        paths on which the summary metric is >= the threshold (<= with --below), with its 95%
        Wilson score interval (scipy.stats.binomtest(...).proportion_ci(method="wilson")), and
        the metric's 1, 5, 25, 50, 75, 95 and 99% quantiles. Metrics that are negative numbers
        (worst_day_return, total_return) take --below: P(worst_day_return <= -0.1). Writes
        nothing. `marginsim show SCENARIO --schema` lists the fields --set can change.""", """
        marginsim tail finra-2026-05 --paths 10000 --metric shock_drawdown --threshold 0.2
        marginsim tail finra-2026-05 --paths 1000 --set margin.accounts=1000 --workers 2 --json
        marginsim tail covid-2020 --paths 500 --metric worst_day_return --threshold -0.1 --below""")
    add_scenario(tail)
    tail.add_argument("--paths", type=integer(1, 10_000_000), default=10_000, metavar="P",
                      help="number of paths, 1 to 10,000,000 (default 10000)")
    tail.add_argument("--metric", default="shock_drawdown", metavar="NAME",
                      help="a summary metric, flattened as in sweeps (default shock_drawdown; e.g. max_drawdown, "
                           "worst_day_return, forced_sales_usd, channel_flows.letf.sold_usd)")
    tail.add_argument("--threshold", type=number, required=True, metavar="X",
                      help="the event is metric >= X (metric <= X with --below)")
    tail.add_argument("--below", action="store_true",
                      help="count metric <= threshold instead (for negative metrics such as worst_day_return)")
    tail.add_argument("--seed", type=seed, default=0, metavar="ROOT",
                      help="root seed, an integer in [0, 2^63 - 1] (default 0): each path's seed is derived "
                           "from it, so the same root gives the same numbers")
    add_overrides(tail, "override a scenario field on every path")
    tail.add_argument("--workers", type=integer(1, 1024), default=min(4, os.cpu_count() or 1), metavar="N",
                      help="processes, 1 to 1024 (default: the CPU count, at most 4); the numbers do not depend on it")
    tail.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    add_progress(tail, "the paths")
    tail.set_defaults(handler=cmd_tail)


def cmd_tail(args: argparse.Namespace) -> int:
    from sim.analysis.tail import check_metric, tail
    from sim.config.scenario import load
    from sim.run.simulate import check_seed

    check_metric(args.metric)
    spec = load(args.scenario, args.overrides)
    check_seed(args.seed)
    start = time.perf_counter()
    with Progress(args.progress, f"{spec.meta.name}: paths", "path") as bar:
        res = tail(spec, args.metric, args.threshold, paths=args.paths, root_seed=args.seed, below=args.below,
                   workers=args.workers, progress=bar.callback or False)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({**res.to_dict(), "seconds": seconds}, indent=2))
        return 0
    print(f"{res.scenario_name}  hash {res.scenario_hash}  {res.paths:,} paths  seed root {res.root_seed}  "
          f"in {seconds:.1f} s")
    print(f"P({res.event}) = {res.probability:.4f}  ({res.hits:,} of {res.paths:,} paths)")
    print(f"{res.confidence:.0%} confidence interval (Wilson score): [{res.ci_low:.4f}, {res.ci_high:.4f}]")
    print(f"quantiles of {res.metric}:")
    for q, value in res.quantiles.items():
        print(f"  {q:>4.0%}  {value:.6g}")
    return 0
