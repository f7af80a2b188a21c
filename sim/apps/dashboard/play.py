"""Playing a run: step the model at a chosen pace and redraw the page only as often as it can keep up.

Drawing the five panels costs far more than a model day (about 15 ms per panel against 5 ms
per day at 100,000 accounts), so redrawing after every day would cap playing at a few days per
second. :func:`play` steps days on schedule and redraws between them, waiting at least
``MIN_FRAME_S``, and at least twice the last redraw's time, between redraws: the redraws take
at most a third of the time and the model the rest. At a slow pace every day is drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

MIN_FRAME_S = 0.1
"""At most ten redraws a second."""
SPEEDS = {"1": 1.0, "2": 2.0, "5": 5.0, "10": 10.0, "20": 20.0, "50": 50.0, "as fast as possible": None}
"""Play speeds offered on the page: days per second (None: as fast as the machine goes)."""
DEFAULT_SPEED = "20"


class Steppable(Protocol):
    running: bool

    def step(self) -> None: ...


@dataclass(eq=False)  # a new object is always news to the page, whatever its numbers
class PlayStats:
    """What one spell of playing did, kept up to date while it plays: days stepped, redraws, seconds."""

    days: int = 0
    redraws: int = 0
    seconds: float = 0.0
    redraw_seconds: list[float] = field(default_factory=list)

    @property
    def days_per_second(self) -> float:
        return self.days / self.seconds if self.seconds > 0 else 0.0


def play(model: Steppable, draw: Callable[[], None], keep_going: Callable[[], bool], speed: float | None,
         clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep,
         stats: PlayStats | None = None) -> PlayStats:
    """Step ``model`` at ``speed`` days per second (None: flat out) until it stops running or
    ``keep_going()`` turns false, calling ``draw()`` between days as often as the pace allows
    (and once at the end for the last days)."""
    stats = stats if stats is not None else PlayStats()
    start, before = clock(), stats.seconds
    stepped = drawn = 0
    next_draw = start
    while keep_going() and model.running:
        now = clock()
        if stepped > drawn and now >= next_draw:
            stats.seconds = before + now - start
            draw()
            took = clock() - now
            stats.redraws += 1
            stats.redraw_seconds.append(took)
            drawn, next_draw = stepped, now + took + max(MIN_FRAME_S, 2 * took)
            continue
        due = start if speed is None else start + stepped / speed
        if now >= due:
            model.step()
            stepped += 1
            stats.days += 1
            continue
        sleep(max(0.0, min(due, next_draw) - now) if stepped > drawn else due - now)
    stats.seconds = before + clock() - start
    if stepped > drawn:
        draw()
        stats.redraws += 1
    return stats
