"""``marginsim validate`` and ``marginsim figures``: the model against data, and the paper's figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.apps.cli.common import Progress, UsageError, add_command, add_progress, check_out, plural


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` and ``figures``."""
    val = add_command(sub, "validate", "calibrated baseline vs S&P 500 returns and FINRA margin debt; TFG 2012", """
        Compare the calibrated baseline with real data and a published result: the stylized facts
        of daily returns against the S&P 500 1999-2018, the simulated margin debt against FINRA's
        monthly debit balances, and Thurner, Farmer and Geanakoplos (2012), whose fat tails grow
        with the leverage cap; and the scenarios users run (the calibrated market alone and
        finra-2026-05 without its events, several seeds) against the real facts with bootstrap
        bands, with the dealer-gamma regimes. Writes validation.md, validation.json and validation.png.
        The full comparison (5 seeds x 20 years, TFG's sweep, 4 seeds of each validated scenario) takes
        about 2 minutes on 2 cores; --quick is a smoke test of about 10 s at small sizes, expected to
        miss some targets.""", """
        marginsim validate
        marginsim validate --quick --out results/validation-quick""")
    val.add_argument("--quick", action="store_true",
                     help="small sizes (1 seed x 5 years): a smoke test in seconds, expected to miss some targets")
    val.add_argument("--out", default="results", metavar="DIR",
                     help="folder for validation.md, .json and .png (default results)")
    add_progress(val, "the simulations")
    val.set_defaults(handler=cmd_validate)

    figs = add_command(sub, "figures", "regenerate every figure into results/figures/ with MANIFEST.json", """
        Build the data of every figure of the paper, draw it, and record each figure's data hash
        and the command that made it in MANIFEST.json. The same command gives the same data.
        At full size this takes about 4 minutes on 2 cores (the two sweep figures read the committed
        experiment folders, and rerun an experiment whose folder is missing or stale); --quick draws
        every figure at small sizes in about 10 s.""", """
        marginsim figures
        marginsim figures --quick
        marginsim figures --only cascade_anatomy --only finra_margin_debt --out results/some-figures""")
    figs.add_argument("--quick", action="store_true",
                      help="small sizes, to check that every figure builds (the tests run this)")
    figs.add_argument("--out", default=None, metavar="DIR",
                      help="output folder (default results/figures, or results/figures-quick with --quick)")
    figs.add_argument("--only", action="append", default=[], metavar="NAME",
                      help="only this figure (repeatable), e.g. cascade_anatomy; a wrong name lists them all")
    add_progress(figs, "the figures")
    figs.set_defaults(handler=cmd_figures)


QUICK_NOTE = ("  quick mode is a smoke test at small sizes ({seeds} x {days:,} days, {accounts:,} accounts):\n"
              "  it shows that everything runs and is expected to miss some targets; `marginsim validate`\n"
              "  (without --quick) is the comparison.")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.analysis.validate import FULL, QUICK, validate
    from sim.report.validation import write

    out = check_out(args.out)
    sizes = QUICK if args.quick else FULL
    with Progress(args.progress, "validation runs", "run") as bar:
        res = validate(sizes, on_progress=bar.callback)
    files = write(res, out)
    print(f"validation ({res['mode']}) in {res['seconds']:.1f} s")
    if args.quick:
        print(QUICK_NOTE.format(seeds=plural(len(sizes.seeds), "seed"), days=sizes.baseline_days,
                                accounts=sizes.accounts))
    missed = "not met in quick mode" if args.quick else "NOT met"
    for t in res["targets"]:
        status = "met" if t["met"] else f"{missed} (off by {t['miss']:.3f})"
        real = "" if t["real"] is None else f", S&P 500 {t['real']:.3f}"
        print(f"  {t['label']:<36} {t['range']:<12} baseline {t['simulated_median']:8.3f}{real}  {status}")
    _print_scenarios(res.get("scenarios"), missed)
    for f in files:
        print(f"wrote {f}")
    return 0


def _print_scenarios(block: dict | None, missed: str) -> None:
    """Each validated scenario's fact table (real, band, simulated median and range) and its GEX regimes."""
    from sim.report.validated import gex_sentence

    for t in (block or {}).get("targets", []):
        print(f"{t['label']} (`{t['scenario']}`, {plural(len(t['seeds']), 'seed')} x {t['days']:,} days, "
              f"{t['accounts']:,} accounts): {t['met']} of {t['of']} facts met")
        for f in t["facts"]:
            d = f["digits"]
            sim = "n/a" if f["simulated_median"] is None else f"{f['simulated_median']:.{d}f}"
            spread = ("" if f["simulated_median"] is None
                      else f" ({f['simulated_min']:.{d}f} to {f['simulated_max']:.{d}f})")
            band = f"{f['lo']:.{d}f} to {f['hi']:.{d}f}"
            print(f"  {f['label']:<32} real {f['real']:8.{d}f}  band {band:<18} sim {sim}{spread}  "
                  f"{'met' if f['met'] else missed}")
        print(f"  {gex_sentence(t['gex']).replace('**', '')}")


def cmd_figures(args: argparse.Namespace) -> int:
    from sim.report.paper import build_all, registry

    names = [f.name for f in registry()]
    for name in args.only:
        if name not in names:
            raise UsageError(f"--only {name!r}: must be one of {', '.join(names)}")
    out = check_out(args.out or Path("results") / ("figures-quick" if args.quick else "figures"))
    start = time.perf_counter()
    todo = [name for name in names if not args.only or name in args.only]
    with Progress(args.progress, "figures", "figure") as bar:
        def progress(done: int, total: int) -> None:  # the bar names the figure being built
            if bar.bar is not None and done < total:
                bar.bar.set_postfix_str(todo[done])
            bar.update(done, total)

        manifest = build_all(out, quick=args.quick, only=args.only or None, log=bar.write,
                             on_progress=progress if bar.callback else None)
    built = len(args.only) if args.only else len(manifest["figures"])
    print(f"{plural(built, 'figure')} in {time.perf_counter() - start:.1f} s; wrote {out / 'MANIFEST.json'}")
    return 0
