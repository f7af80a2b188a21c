"""``marginsim validate`` and ``marginsim figures``: the model against data, and the paper's figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.apps.cli.common import UsageError, add_command, check_out


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` and ``figures``."""
    val = add_command(sub, "validate", "calibrated baseline vs S&P 500 returns and FINRA margin debt; TFG 2012", """
        Compare the calibrated baseline with real data and a published result: the stylized facts
        of daily returns against the S&P 500 1999-2018, the simulated margin debt against FINRA's
        monthly debit balances, and Thurner, Farmer and Geanakoplos (2012), whose fat tails grow
        with the leverage cap. Writes validation.md, validation.json and validation.png.""", """
        marginsim validate
        marginsim validate --quick --out results/validation-quick""")
    val.add_argument("--quick", action="store_true", help="small sizes: a smoke test in seconds")
    val.add_argument("--out", default="results", help="folder for validation.md, .json and .png (default results)")
    val.set_defaults(handler=cmd_validate)

    figs = add_command(sub, "figures", "regenerate every figure into results/figures/ with MANIFEST.json", """
        Build the data of every figure of the paper, draw it, and record each figure's data hash
        and the command that made it in MANIFEST.json. The same command gives the same data.""", """
        marginsim figures
        marginsim figures --quick
        marginsim figures --only cascade_anatomy --only finra_margin_debt --out results/some-figures""")
    figs.add_argument("--quick", action="store_true", help="small sizes (the tests run this twice)")
    figs.add_argument("--out", default=None, help="output folder (default results/figures, or results/figures-quick)")
    figs.add_argument("--only", action="append", default=[], metavar="NAME",
                      help="only this figure (repeatable), e.g. cascade_anatomy; a wrong name lists them all")
    figs.set_defaults(handler=cmd_figures)


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.analysis.validate import FULL, QUICK, validate
    from sim.report.validation import write

    out = check_out(args.out)
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


def cmd_figures(args: argparse.Namespace) -> int:
    from sim.report.paper import build_all, registry

    names = [f.name for f in registry()]
    for name in args.only:
        if name not in names:
            raise UsageError(f"--only {name!r}: must be one of {', '.join(names)}")
    out = check_out(args.out or Path("results") / ("figures-quick" if args.quick else "figures"))
    start = time.perf_counter()
    manifest = build_all(out, quick=args.quick, only=args.only or None, log=print)
    built = len(args.only) if args.only else len(manifest["figures"])
    print(f"{built} figures in {time.perf_counter() - start:.1f} s; wrote {out / 'MANIFEST.json'}")
    return 0
