"""How fast the dashboard plays on the server: the model's day, drawing the panels, days per second.

:func:`measure` builds the page's model at its defaults (finra-2026-05, shock on day 60) and
times, per day, ``step()`` and drawing every panel to SVG (what a redraw after every day costs),
then plays the same days on a fresh model flat out as the page's ▶ does
(:func:`sim.apps.dashboard.play.play`: several days per redraw when drawing is the slower part)
and counts days per second. The command is
``marginsim dashboard-timing [--accounts N] [--days D] [--out FILE]``. The browser-side speed
(days shown per second in Chromium) is measured by tests/apps/test_dashboard_browser.py.
"""

from __future__ import annotations

import statistics
import time

from sim import __version__
from sim.apps.dashboard.model import DashboardModel
from sim.apps.dashboard.panels import PANELS
from sim.apps.dashboard.play import play
from sim.apps.dashboard.plots import LiveFigure
from sim.core.errors import InputError


def measure(accounts: int = 100_000, days: int = 100) -> dict[str, float | int | str]:
    """Seconds per day (median, max) for the model step and for drawing all panels, and days per
    second when playing: redrawing after every day, and as the page plays (flat out)."""
    model = DashboardModel(accounts=accounts)
    if model.error:
        raise InputError(model.error, field="accounts")
    if not 1 <= days < model.days:
        raise InputError(f"days = {days}: must be an integer in [1, {model.days - 1}] (the run has {model.days} "
                         "days, the first one untimed)", field="days", allowed=f"1 to {model.days - 1}")
    steps, renders = _redraw_every_day(model, days)
    played = DashboardModel(accounts=accounts)  # the same days again, played as the page plays them
    played.step()
    figures = [LiveFigure(panel, played.contexts()) for panel in PANELS]
    stats = play(played, lambda: [figure.svg(played.records) for figure in figures],
                 lambda: len(played.records) <= days, speed=None)
    every_day = statistics.median(s + r for s, r in zip(steps, renders, strict=True))
    return {"version": __version__, "accounts": accounts, "days": days,
            "step_median_s": statistics.median(steps), "step_max_s": max(steps),
            "render_median_s": statistics.median(renders), "render_max_s": max(renders),
            "total_median_s": every_day, "days_per_s_redraw_every_day": 1.0 / every_day,
            "days_per_s_playing": stats.days_per_second, "redraws_playing": stats.redraws}


def _redraw_every_day(model: DashboardModel, days: int) -> tuple[list[float], list[float]]:
    """Seconds per day in ``step()`` and in drawing all panels, after one untimed day."""
    model.step()  # loads the numba kernels; not timed
    figures = [LiveFigure(panel, model.contexts()) for panel in PANELS]  # as the page: one per panel and model
    steps, renders = [], []
    for _ in range(days):
        start = time.perf_counter()
        model.step()
        mid = time.perf_counter()
        for figure in figures:
            figure.svg(model.records)
        renders.append(time.perf_counter() - mid)
        steps.append(mid - start)
    return steps, renders
