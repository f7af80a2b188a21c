"""The compiled engine: a :class:`~sim.model.market_model.MarketModel`'s days run in one numba kernel.

The Mesa model is built as usual (accounts, options book, agents: Python, once); its state is
copied into arrays (:mod:`sim.model.compiled.state`), the days run in
:func:`sim.model.compiled.day.run_days` in blocks (Python only between blocks: progress, the
optional daily conservation check), and the final state is written back to the model. Every
formula is a rule of :mod:`sim.model.rules` or a book kernel, the same functions the Mesa
agents call, and the random numbers are drawn up front from the model's own streams, so the
records are bit-identical to the Mesa engine's.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.core import detrandom
from sim.core.regimes import regime_label
from sim.model.compiled import day, layout, state
from sim.model.invariants import InvariantError, check_conservation
from sim.model.market_model import MarketModel
from sim.model.records import TALLIED

BLOCK_DAYS = 64
"""Days per kernel call when progress is reported (without progress or daily checks: all days in one call)."""

ROW_COLUMNS = ("margin_debt", "cash_debit", "short_market_value", "free_credit", "net_credit_balance",
               "margin_long_value", "margin_equity", "margin_leverage", "open_calls", "interest_usd", "realized_vol",
               "clearing_rounds", "dealer_gex_usd", "letf_aum_usd", "vol_control_exposure", *TALLIED)
VALUE_FUND_COLUMNS = ("flow_value_funds_usd", "value_funds_wealth_usd", "value_funds_position_usd",
                      "value_funds_leverage", "value_funds_alive", "value_funds_failed")


def columns(model: MarketModel) -> list[str]:
    """The day record's columns, in the Mesa model's order (without ``regime``)."""
    names = model.market.names
    cols = ["day", "index_level", "index_return", *(f"price_{n}" for n in names),
            *(f"fundamental_{n}" for n in names), *ROW_COLUMNS]
    return cols + list(VALUE_FUND_COLUMNS) if model.value_funds is not None else cols


def needs_compile() -> bool:
    """Will the next compiled run compile the day kernel first (no cache entry on disk)? Loads numba."""
    kernel = day.run_days()
    if kernel.signatures:
        return False
    cache = getattr(kernel, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)  # numba's cache index file
    return index is None or not os.path.exists(index)


COMPILE_SECONDS = 60
"""About how long compiling the engine takes on a cold cache (2 cores)."""


def run(model: MarketModel, progress: Callable[[int, int], None] | None = None,
        check_every_day: bool = False) -> pd.DataFrame:
    """Run all the scenario's days of ``model`` compiled; returns the daily records as a DataFrame.

    ``progress(done, total)`` is called before the first day and after each block of days;
    ``check_every_day`` runs blocks of one day and the conservation checks after each.
    """

    spec = model.spec
    total, k, substeps = spec.simulation.days, spec.n_assets, spec.simulation.substeps
    z = detrandom.standard_normal(model.fundamental_rng, (total, k + 1))
    eps = detrandom.standard_normal(model.noise_rng, (total, substeps, k))
    cols = columns(model)
    rec = np.zeros((total, 3 + 2 * k + layout.N_R))
    st = state.extract(model)
    found = np.empty(max(model.book.arrays().n, 1), dtype=np.int32)
    near = np.empty_like(found)
    # one kernel call for the whole run unless progress or the daily checks need Python between days
    block = 1 if check_every_day else BLOCK_DAYS if progress is not None else max(total, 1)
    if progress is not None:
        progress(0, total)
    for first in range(0, total, block):
        last = min(first + block, total)
        day.run_days()(first, z[first:last], eps[first:last], *st, rec[first:last], found, near)
        _check_days(cols, rec[first:last], k)
        if check_every_day:
            state.write_back(st, model)
            check_conservation(model)
        if progress is not None:
            progress(last, total)
    state.write_back(st, model)
    return _frame(model, cols, rec)


def _check_days(cols: list[str], rows: np.ndarray, k: int) -> None:
    """``check_day`` on recorded rows: prices finite and positive, every number finite."""
    prices = rows[:, 3:3 + k]
    values = rows[:, :len(cols)]
    finite = np.isfinite(values)
    finite[:, cols.index("margin_leverage")] = True
    bad_price = ~np.all(np.isfinite(prices) & (prices > 0.0), axis=1)
    bad = bad_price | ~np.all(finite, axis=1)
    if not bad.any():
        return
    i = int(np.argmax(bad))
    day = int(rows[i, 0])
    if bad_price[i]:
        raise InvariantError(f"day {day}: prices must be finite and > 0, got {prices[i]}")
    j = int(np.argmin(finite[i]))
    raise InvariantError(f"day {day}: {cols[j]} = {values[i, j]} is not finite")


def _frame(model: MarketModel, cols: list[str], rec: np.ndarray) -> pd.DataFrame:
    """The records as the Mesa engine's DataFrame: same columns, order, dtypes and the regime label."""
    ts = pd.DataFrame(rec[:, :len(cols)], columns=cols)
    ts["day"] = ts["day"].astype("int64")
    ts["clearing_rounds"] = ts["clearing_rounds"].astype("int64")
    debt = rec[:, cols.index("margin_debt")]
    previous = np.concatenate(([model.initial["margin_debt"]], debt[:-1]))
    # regime_label of every day at once: the same float subtraction and comparisons, numpy-wide
    table = np.array([regime_label(debt_up, price_up) for debt_up in (0.0, 1.0) for price_up in (0.0, 1.0)],
                     dtype=object)  # indexed by 2 x (debt up) + (price up)
    labels = table[2 * ((debt - previous) > 0.0) + (rec[:, 2] > 0.0)].tolist()
    ts["regime"] = labels
    if len(debt):
        model._prev_margin_debt = float(debt[-1])
    return ts
