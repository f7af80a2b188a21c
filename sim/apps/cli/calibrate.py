"""``marginsim calibrate``: a scenario's parameters estimated from data by simulated method of moments."""

from __future__ import annotations

import argparse
import math
import os

from sim.apps.cli.common import Progress, add_command, add_progress, check_out, integer, seed


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``calibrate``."""
    cal = add_command(sub, "calibrate", "estimate scenario fields from S&P 500 and FINRA data (simulated moments)", """
        Estimate the scenario fields a calibration spec lists ([[parameters]]: dotted path, bounds,
        start) by simulated method of moments: 13 moments of daily index returns (volatility,
        kurtosis, Hill tail index, ACF of |r| and r, leverage effect) and of FINRA margin debt
        (year-on-year growth, its correlation with the index) in the spec's data window
        (default S&P 500 1999-2008), weighted by their block-bootstrap covariance; S paths on the
        compiled engine with common seeds at every parameter value; a Sobol global stage, then
        Nelder-Mead. Writes estimates.json (estimates, standard errors, J-test, identification,
        fit tables, provenance), fit.md and market.toml (the calibrated scenario). SPEC is a
        built-in spec name (default market, sim/calibration/market.toml) or a .toml file; see
        docs/calibration.md. --quick is a smoke test (3 years, 2 paths, a handful of evaluations;
        seconds, not estimates).""", """
        marginsim calibrate --out results/calibration
        marginsim calibrate --quick --out /tmp/calibration-quick
        marginsim calibrate my-spec.toml --workers 2 --seed 7 --out results/calibration-7""")
    cal.add_argument("spec", nargs="?", default="market",
                     help="a built-in calibration spec (default market) or a .toml spec file")
    cal.add_argument("--out", default="results/calibration", metavar="DIR",
                     help="folder for estimates.json, fit.md and market.toml (default results/calibration)")
    cal.add_argument("--quick", action="store_true",
                     help="tiny sizes (3 years, 2 paths of 300 accounts, 4 Sobol points, 6 Nelder-Mead steps)")
    cal.add_argument("--workers", type=integer(1, 1024), default=min(4, os.cpu_count() or 1), metavar="N",
                     help="processes, 1 to 1024 (default: the CPU count, at most 4); the numbers do not depend on it")
    cal.add_argument("--seed", type=seed, default=None, metavar="N",
                     help="root seed of the common path seeds and the Sobol points, in [0, 2^63 - 1] "
                          "(default: the spec's simulation.root_seed)")
    add_progress(cal, "the parameter values simulated")
    cal.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.analysis.calibrate import calibrate
    from sim.config.calibration import load_calibration, quick
    from sim.report.calibration import write_calibration

    out = check_out(args.out)
    spec = load_calibration(args.spec)
    if args.quick:
        spec = quick(spec)
    if args.seed is not None:
        spec = spec.replace(root_seed=args.seed)
    with Progress(args.progress, "calibrate: parameter values", "point") as bar:
        res = calibrate(spec, workers=args.workers, progress=bar.callback)
    files = write_calibration(res, out)
    f = res.fit
    p = res.provenance
    print(f"calibrated {len(res.parameters)} parameters on {len(res.moments)} moments in {p['wall_seconds']:.1f} s "
          f"({p['simulated_runs']} paths of {p['days']} days)" + ("  [quick: a smoke test, not estimates]"
                                                                 if args.quick else ""))
    for (k, v), s in zip(res.estimates.items(), f.std_errors, strict=True):
        print(f"  {k:<32} {v:12.6g}  (SE {s:.3g})")
    p_text = "n/a" if math.isnan(f.j_pvalue) else f"{f.j_pvalue:.3g}"
    print(f"J = {f.j_stat:.4g}, df {f.j_df}, p = {p_text}; Jacobian rank {f.rank}/{len(res.parameters)}, "
          f"condition {f.condition:.3g}")
    for path in files:
        print(f"wrote {path}")
    return 0
