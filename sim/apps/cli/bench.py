"""``marginsim bench``: the speed of the clearing kernels against the memory bandwidth and the baselines."""

from __future__ import annotations

import argparse

from sim.apps.cli.common import add_command, check_out


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``bench``."""
    bench = add_command(sub, "bench", "benchmarks: results/benchmarks.json and .md", """
        Time one clearing pass of the numba kernel, the numpy version and the Mesa agents against
        a STREAM-style triad (the memory-bandwidth floor), one clearing pass over a sparse book
        (accounts holding ~8 of 5,000 names), a forced-selling cascade (one asset, and on the
        sparse book after a 12% gap, as a ratio of the two), a full year of
        the finra-2026-05 scenario against its memory-traffic floor, the compiled engine against
        the Mesa engine, an ensemble against the same paths one by one, an ensemble's peak memory
        and the start-up time, and check them against the targets.
        Every kernel is first checked against the plain-Python reference: a kernel that disagrees
        is not timed. Writes benchmarks.json and benchmarks.md and prints the tables.""", """
        marginsim bench --quick
        marginsim bench --out results""")
    bench.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    bench.add_argument("--out", default="results", metavar="DIR", help="folder for benchmarks.json and benchmarks.md "
                       "(default results)")
    bench.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.apps.bench import measure
    from sim.apps.bench_engine import measure_runs
    from sim.apps.bench_report import check_targets, markdown, write
    from sim.apps.bench_sparse import measure_sparse, measure_sparse_cascade

    out = check_out(args.out)
    data = measure(args.quick)
    data["sparse_pass"] = measure_sparse(args.quick, data["stream"])
    data["sparse_cascade"] = measure_sparse_cascade(args.quick, data["cascade"])
    data["runs"] = measure_runs(args.quick, data["full_year"], data["stream"])
    data["targets"] = check_targets(data)
    write(data, out)
    print(markdown(data))
    return 0
