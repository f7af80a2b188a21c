"""How long one dashboard step takes on the server: the model's day plus drawing the five panels.

:func:`measure` steps a DashboardModel at its defaults (finra-2026-05, shock on day 60) and times,
per day, ``step()`` and rendering every panel to SVG, as the page does after each Step. The
command is ``marginsim dashboard-timing [--accounts N] [--days D] [--out FILE]``. The browser-side
time (click to figures updated in Chromium) is measured by tests/apps/test_dashboard_browser.py.
"""

from __future__ import annotations

import statistics
import time

from sim import __version__
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.plots import PANELS, LiveFigure
from sim.core.errors import InputError


def measure(accounts: int = 100_000, days: int = 100) -> dict[str, float | int | str]:
    """Median and max seconds per day for the model step and for rendering all panels."""
    model = DashboardModel(accounts=accounts)
    if model.error:
        raise InputError(model.error, field="accounts")
    if not 1 <= days < model.days:
        raise InputError(f"days = {days}: must be an integer in [1, {model.days - 1}] (the run has {model.days} "
                         "days, the first one untimed)", field="days")
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

