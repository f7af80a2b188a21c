"""How long one dashboard step takes on the server: the model's day plus drawing the five panels.

``python -m sim.apps.dashboard.timing [--accounts N] [--days D] [--out FILE]`` steps a DashboardModel
at its defaults (finra-2026-05, shock on day 60) and times, per day, ``step()`` and rendering
every panel to SVG, as the page does after each Step. The browser-side time (click to figures
updated in Chromium) is measured by tests/test_dashboard_browser.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sim import __version__
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.plots import PANELS, LiveFigure


def measure(accounts: int = 100_000, days: int = 100) -> dict[str, float | int | str]:
    """Median and max seconds per day for the model step and for rendering all panels."""
    model = DashboardModel(accounts=accounts)
    if model.error:
        raise ValueError(model.error)
    model.step()  # loads the numba kernels; not timed
    ctx = model.plot_context()
    figures = [LiveFigure(panel, ctx) for panel in PANELS]  # as the page does: one per panel and model
    steps, renders = [], []
    for _ in range(days):
        start = time.perf_counter()
        model.step()
        mid = time.perf_counter()
        for figure in figures:
            figure.svg(model.records)
        renders.append(time.perf_counter() - mid)
        steps.append(mid - start)
    return {"version": __version__, "accounts": accounts, "days": days,
            "step_median_s": statistics.median(steps), "step_max_s": max(steps),
            "render_median_s": statistics.median(renders), "render_max_s": max(renders),
            "total_median_s": statistics.median(s + r for s, r in zip(steps, renders, strict=True))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.apps.dashboard.timing", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--out", help="also write the numbers as JSON here")
    args = parser.parse_args(argv)
    result = measure(args.accounts, args.days)
    print(f"{args.accounts:,} accounts, {args.days} days: step median {1000 * result['step_median_s']:.1f} ms "
          f"(max {1000 * result['step_max_s']:.1f}), five panels median {1000 * result['render_median_s']:.1f} ms "
          f"(max {1000 * result['render_max_s']:.1f}), together {1000 * result['total_median_s']:.1f} ms")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
