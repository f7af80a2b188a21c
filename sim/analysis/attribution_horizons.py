"""The horizons a Shapley attribution measures, and the shock a grid of attributions resizes.

Every horizon is a number per coalition run, computed from the run's daily index closes
``L[t]`` (``index_level``, day-0 start = 100) and, for the gap horizons, from the closes
``L0[t]`` of the *channels-off* coalition run with the same seed, shock and deadline. The
shock day ``e`` is the day of the index gap events. Falls are positive fractions.

``trough``
    1 - min(L[e:]) / L[e-1]: the fall from the close before the shock to the lowest close
    after it, anywhere in the rest of the run (0 if the index never closes below L[e-1]).
``dd5``, ``dd21``
    1 - min(L[e:e+n]) / L[e-1] for n = 5, 21 trading days (at least 0); ``dd21`` is the
    ``shock_drawdown`` summary metric of :mod:`sim.run.metrics`.
``gap21``
    (1/21) sum_{t=e}^{e+20} (ln L0[t] - ln L[t]): the average log price gap, over the 21 days
    from the shock, of the coalition's index below the channels-off index (log points;
    0 for the channels-off coalition by construction, so all of it is the channels').
``impact``
    sum_{t=0}^{T-1} |ln L[t] - ln L0[t]|: the cumulative absolute price impact of the
    coalition's channels over the whole run (log-point days; 0 for channels off).
``total_return``
    L[T-1] / 100 - 1: the index's return over the run (for the rally: the channels-off value
    is the fundamental's own drift through the liquidity side).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.errors import InputError

SHOCK_HORIZONS = ("trough", "dd5", "dd21", "gap21", "impact")
"""The horizons of a shock attribution, in the order tables list them."""
HORIZONS = (*SHOCK_HORIZONS, "total_return")
"""Every horizon :func:`horizon_values` computes."""
NEEDS_SHOCK = frozenset({"trough", "dd5", "dd21", "gap21"})
"""Horizons measured from the shock day: a scenario without one cannot have them."""
LABELS = {"trough": "trough (fall to the lowest close)", "dd5": "5-day drawdown", "dd21": "21-day drawdown",
          "gap21": "average 21-day log gap vs channels off", "impact": "cumulative |log gap| vs channels off",
          "total_return": "index return over the run"}
UNITS = {"trough": "fraction", "dd5": "fraction", "dd21": "fraction", "gap21": "log points",
         "impact": "log-point days", "total_return": "fraction"}
SHOCK_KINDS = ("fundamental_gap", "price_gap")
"""The index events a grid resizes to each shock size."""


def check_horizons(horizons: Any) -> tuple[str, ...]:
    """``horizons`` as a tuple of known names; one-line :class:`InputError` otherwise."""
    allowed = ", ".join(HORIZONS)
    if isinstance(horizons, str) or not horizons or any(h not in HORIZONS for h in horizons):
        raise InputError(f"horizons = {horizons!r}: must be a non-empty list of {allowed}", field="horizons",
                         allowed=allowed)
    return tuple(dict.fromkeys(horizons))


def _window_drawdown(levels: np.ndarray, day: int, window: int | None) -> np.ndarray:
    before = 100.0 if day == 0 else levels[..., day - 1]
    stop = None if window is None else day + window
    trough = np.min(levels[..., day:stop], axis=-1)
    return np.maximum(1.0 - trough / before, 0.0)


def horizon_values(levels: np.ndarray, shock_day: int | None, horizons: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each horizon's value for every coalition run.

    Parameters
    ----------
    levels : ndarray, (..., C, T)
        Daily index closes; axis -2 is the coalition, and coalition 0 must be channels off.
    shock_day : int or None
        The shock's day ``e`` (None: only ``impact`` and ``total_return`` can be measured).
    horizons : tuple of str
        Names from :data:`HORIZONS` (module docstring: definitions).

    Returns
    -------
    dict of str -> ndarray, (..., C)
    """
    levels = np.asarray(levels, dtype=float)
    log_gap = np.log(levels) - np.log(levels[..., :1, :])   # coalition vs channels off, per day
    out = {}
    for h in horizons:
        if h in NEEDS_SHOCK and shock_day is None:
            raise InputError(f"horizon {h!r}: the scenario has no shock day; use impact or total_return",
                             field="horizons", allowed="impact, total_return")
        if h == "trough":
            out[h] = _window_drawdown(levels, shock_day, None)
        elif h in ("dd5", "dd21"):
            out[h] = _window_drawdown(levels, shock_day, int(h[2:]))
        elif h == "gap21":
            out[h] = -np.mean(log_gap[..., shock_day:shock_day + 21], axis=-1)
        elif h == "impact":
            out[h] = np.sum(np.abs(log_gap), axis=-1)
        else:
            out[h] = levels[..., -1] / 100.0 - 1.0
    return out


def shock_events(data: dict, size: float | None, day: int, days: int) -> tuple[dict, list[int], int | None]:
    """A raw scenario with its index gaps set to a fall of ``size``: (data, event indices, shock day).

    The scenario's ``fundamental_gap`` and ``price_gap`` events on the index get ``size = -size``;
    a scenario with none gets both at ``day`` (in [1, ``days`` - 1]). ``size`` None keeps the events as they are.
    """
    events = [dict(e) for e in data.get("events", [])]
    index = [i for i, e in enumerate(events) if e.get("kind") in SHOCK_KINDS and e.get("target", "index") == "index"]
    if size is not None and not 0.0 < size < 1.0:
        raise InputError(f"shock size {size!r}: must be a fall in (0, 1), e.g. 0.2 for -20%", field="shocks",
                         allowed="(0, 1)")
    if not index and size is not None:
        if not 1 <= day < days:
            raise InputError(f"shock day {day}: must be in [1, {days - 1}] (simulation.days = {days})",
                             field="shock_day", allowed=f"[1, {days - 1}]")
        events += [{"day": day, "kind": k, "target": "index", "size": -size} for k in SHOCK_KINDS]
        index = [len(events) - 2, len(events) - 1]
    for i in index if size is not None else ():
        events[i]["size"] = -size
    shock = min((events[i]["day"] for i in index), default=None)
    return {**data, "events": events}, index, shock
