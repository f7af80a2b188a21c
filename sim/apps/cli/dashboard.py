"""``marginsim dashboard`` (the page in the browser) and ``marginsim dashboard-timing`` (its speed)."""

from __future__ import annotations

import argparse

from sim.apps.cli.common import UsageError, add_command, check_out_file, integer
from sim.apps.dashboard.server import DEFAULT_HOST, DEFAULT_PORT


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``dashboard`` and ``dashboard-timing``."""
    dash = add_command(sub, "dashboard", "interactive dashboard in the browser (solara, Mesa model)", """
        Serve the interactive dashboard: choose a scenario, leverage, maintenance margin, the
        leveraged-ETF and dealer-gamma sizes and a shock, then step or play the model day by day
        and watch the index, margin debt, net buying by channel, margin calls and dealer gamma.
        Compare two scenarios, or two values of one input, on the same seed; draw a fan chart of
        the index and margin debt over 2 to 50 seeds. Listens on this machine only (127.0.0.1)
        unless --host says otherwise. Needs the viz extra.""", f"""
        marginsim dashboard                      # then open http://{DEFAULT_HOST}:{DEFAULT_PORT}
        marginsim dashboard --port 9000
        marginsim dashboard --host 0.0.0.0       # reachable from other machines: a deliberate choice""")
    dash.add_argument("--port", type=integer(1, 65535), default=DEFAULT_PORT, metavar="N",
                      help=f"TCP port, 1 to 65535 (default {DEFAULT_PORT})")
    dash.add_argument("--host", default=DEFAULT_HOST, metavar="ADDRESS",
                      help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    dash.set_defaults(handler=cmd_dashboard)

    timing = add_command(sub, "dashboard-timing", "time the dashboard on the server (model, panels, play speed)", """
        Step the dashboard's model at its defaults (finra-2026-05, shock on day 60) and time, per
        day, the model's step and the drawing of the five panels to SVG (what a redraw after every
        day costs), then play as many days flat out on a fresh model, as the page's play button
        does (several days per redraw), and count days per second. Prints the medians and the
        speeds; --out also writes them as JSON. (The speed in the browser is measured by
        tests/apps/test_dashboard_browser.py.)""", """
        marginsim dashboard-timing
        marginsim dashboard-timing --accounts 20000 --days 30 --out results/dashboard_timing.json""")
    timing.add_argument("--accounts", type=int, default=100_000, metavar="N",
                        help="margin accounts in the book (default 100000)")
    timing.add_argument("--days", type=integer(1, 10_000), default=100, metavar="N",
                        help="days timed drawing every day, then as many played (default 100; at most "
                             "the run's length - 1)")
    timing.add_argument("--out", metavar="FILE", help="also write the numbers as JSON to this file")
    timing.set_defaults(handler=cmd_dashboard_timing)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from sim.apps.dashboard.server import DashboardError, serve

    try:
        serve(args.host, args.port)
    except DashboardError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_dashboard_timing(args: argparse.Namespace) -> int:
    from sim.apps.dashboard.timing import measure
    from sim.core.files import write_json

    out = None if args.out is None else check_out_file(args.out)
    result = measure(args.accounts, args.days)
    print(f"{args.accounts:,} accounts, {args.days} days: step median {1000 * result['step_median_s']:.1f} ms "
          f"(max {1000 * result['step_max_s']:.1f}), five panels median {1000 * result['render_median_s']:.1f} ms "
          f"(max {1000 * result['render_max_s']:.1f}), together {1000 * result['total_median_s']:.1f} ms")
    print(f"play speed: {result['days_per_s_redraw_every_day']:.1f} days per second redrawing every day, "
          f"{result['days_per_s_playing']:.1f} as the page plays ({result['redraws_playing']} redraws "
          f"for {args.days} days)")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, result)
        print(f"wrote {out}")
    return 0
