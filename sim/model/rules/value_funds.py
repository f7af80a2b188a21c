"""The value funds' close: investor flows by performance, wind-ups below the floor, restarts.

Arrays (H,): ``units``, ``cash`` ($), ``alive`` (bool), ``restart_day`` (int64), ``performance``,
``wealth_after_flows`` ($); updated in place.
"""

from __future__ import annotations

import numpy as np

from sim.core import margin
from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum


@jitable
def maximum(a, b):
    """``np.maximum`` of two numbers (NaN propagates; the first of equals)."""
    return a if (a >= b or a != a) else b


@jitable
def wealth(units, cash, unit_value, out):
    """Each fund's wealth (equity), $."""
    for h in range(units.shape[0]):
        out[h] = margin.equity(cash[h], 0.0, units[h] * unit_value, 0.0)
    return out


@jitable
def masked_sum(values, mask):
    """``values[mask].sum()`` in numpy's order."""
    picked = np.empty(values.shape[0])
    n = 0
    for h in range(values.shape[0]):
        if mask[h]:
            picked[n] = values[h]
            n += 1
    return pairwise_sum(picked[:n])


@jitable
def investor_flows(units, cash, alive, performance, wealth_after_flows, unit_value, smoothing, sensitivity,
                   benchmark, wealth0, flow, wealth_now):
    """Performance update and investor flows F = max(-1, a (perf - benchmark)) x max(W, W0), at most W out.

    Writes ``flow`` ($, 0 for wound-up funds) and ``wealth_now`` (after the flows); pays it into ``cash``.
    """
    wealth(units, cash, unit_value, wealth_now)
    for h in range(units.shape[0]):
        w = wealth_now[h]
        base = wealth_after_flows[h] if wealth_after_flows[h] > 0.0 else 1.0
        daily_return = w / base - 1.0 if alive[h] and wealth_after_flows[h] > 0.0 else 0.0
        performance[h] = (1.0 - smoothing) * performance[h] + smoothing * daily_return if alive[h] else 0.0
        f = maximum(-1.0, sensitivity * (performance[h] - benchmark))
        f = maximum(f * maximum(w, wealth0), -maximum(w, 0.0))
        flow[h] = f if alive[h] else 0.0
        cash[h] += flow[h]
        wealth_now[h] = w + flow[h]


@jitable
def close_funds(units, cash, alive, restart_day, performance, wealth_after_flows, unit_value, day, smoothing,
                sensitivity, benchmark, wealth0, min_wealth_fraction, reintroduce_days, investor):
    """The funds' close; returns (the investors' cash ``investor`` after it, funds wound up today).

    ``investor`` is the $ the funds' investors paid in minus what they took out (and the lenders'
    losses on wound-up funds that owed more than they held).
    """
    n = units.shape[0]
    flow = np.empty(n)
    w = np.empty(n)
    investor_flows(units, cash, alive, performance, wealth_after_flows, unit_value, smoothing, sensitivity,
                   benchmark, wealth0, flow, w)
    investor -= pairwise_sum(flow)
    failed = 0
    for h in range(n):
        if alive[h] and w[h] < min_wealth_fraction * wealth0:
            alive[h] = False
            restart_day[h] = day + reintroduce_days
            failed += 1
    settled = np.empty(n, dtype=np.bool_)
    restart = np.empty(n, dtype=np.bool_)
    for h in range(n):
        settled[h] = not alive[h] and units[h] == 0.0 and cash[h] != 0.0
    investor += masked_sum(cash, settled)
    for h in range(n):
        if settled[h]:
            cash[h] = 0.0
        restart[h] = not alive[h] and units[h] == 0.0 and restart_day[h] <= day and restart_day[h] >= 0
    investor += masked_sum(cash, restart)
    n_restart = 0
    for h in range(n):
        if restart[h]:
            cash[h] = wealth0
            alive[h] = True
            restart_day[h] = -1
            performance[h] = 0.0
            n_restart += 1
        wealth_after_flows[h] = wealth0 if restart[h] else w[h]
    investor -= wealth0 * n_restart
    return investor, failed
