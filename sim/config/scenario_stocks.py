"""The stock layer's scenario checks: references into the universe, shares, days and event sizes.

:func:`check_stocks` runs from :func:`sim.config.scenario.from_dict` after the fields' own ranges
are checked; each problem is one :class:`~sim.config.fields.ScenarioError` line naming the field.

* The tables' own consistency is checked whether or not ``stocks.enabled`` (a scenario's tables
  must make sense even while the layer is switched off): ``stock_brokers``' shares sum to 1
  (+/- 1e-9), their ``debt_share`` to at most 1 (exactly 1 when every broker sets one, or the
  book's debt would not add up to ``stocks.margin_debt_usd``), names distinct, a broker's own
  ``leverage_mean`` and ``names_per_account`` 0 or at least 1; a stock event's ``day`` is before
  ``simulation.days`` and its ``size`` inside ``STOCK_EVENT_SIZES[kind]``.
* With ``stocks.enabled`` the universe is built (:func:`scenario_universe`) and every reference
  into it checked: ``stock_events[i].target`` (a ticker, a sector or 'all'),
  ``stock_letfs[i].underlying`` (a ticker, a sector or 'index'), ``stock_brokers[i].sector`` and
  ``stocks.theme_sector`` (a sector or ''), ``stocks.short_tilt_sector`` (a sector, a ticker or '').

**Where a universe file is.** ``stocks.universe`` other than 'synthetic' is a file relative to
the scenario's folder (:func:`scenario_folder`): the scenario file's own folder, ``sim/scenarios``
for a built-in, the current folder for a scenario built from a table. It must stay inside that
folder (no '..' out of it, no absolute path elsewhere): a scenario names only files shipped with it.
For a file that extends another, the folder is that of the file loaded (the top of the chain).
"""

from __future__ import annotations

import functools
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

from sim.config.fields import ScenarioError
from sim.config.schema_stocks import STOCK_EVENT_SIZES
from sim.config.universe import MAX_VOL, Universe, load_universe, synthetic_universe

SHARE_TOLERANCE = 1e-9
"""How far ``stock_brokers``' shares may sum from 1 (rounding of decimal fractions in TOML)."""


def _fail(name: str, message: str, allowed: str | None = None) -> ScenarioError:
    return ScenarioError(f"{name}: {message}", field=name, allowed=allowed)


def scenario_folder(source: str) -> Path:
    """The folder a scenario's relative file names are taken from, given its ``Scenario.source``.

    Parameters
    ----------
    source : str
        ``'built-in NAME'``, a scenario file's absolute path, or ``'a table'``.

    Returns
    -------
    Path
        ``sim/scenarios`` for a built-in, the file's folder for a file, the current folder for a table.
    """
    if source.startswith("built-in "):
        return Path(os.fspath(resources.files("sim") / "scenarios"))
    if source == "a table" or not os.path.isabs(source):
        return Path.cwd()
    return Path(source).parent


def universe_path(universe: str, source: str) -> Path:
    """The file ``stocks.universe`` names, resolved inside the scenario's folder (see the module docstring).

    Raises
    ------
    ScenarioError
        One line naming ``stocks.universe`` when the path leaves the scenario's folder.
    """
    folder = scenario_folder(source).resolve()
    path = (folder / universe).resolve()
    if not path.is_relative_to(folder):
        raise _fail("stocks.universe", f"{universe!r} is outside the scenario's folder ({folder}): must be "
                    "'synthetic' or a .csv/.parquet file inside it", "'synthetic' or a file in the scenario's folder")
    return path


@functools.lru_cache(maxsize=8)
def _synthetic(n: int, seed: int, total_cap_usd: float) -> Universe:
    return synthetic_universe(n, seed, total_cap_usd)


def scenario_universe(spec: Any) -> Universe:
    """The universe a scenario's ``[stocks]`` names, before ``stocks.idio_scale``.

    'synthetic': :func:`~sim.config.universe.synthetic_universe` of ``stocks.names`` stocks,
    ``stocks.universe_seed``, total value ``market.market_cap_usd`` (cached: the same three
    numbers give the same universe). Else the file (:func:`universe_path`), loaded each call.

    Raises
    ------
    ScenarioError
        One line naming ``stocks.universe`` when the file is outside the folder, missing or bad.
    """
    st = spec.stocks
    if st.universe == "synthetic":
        return _synthetic(st.names, st.universe_seed, float(spec.market.market_cap_usd))
    path = universe_path(st.universe, getattr(spec, "source", "a table"))
    try:
        return load_universe(path)
    except ScenarioError as exc:
        raise _fail("stocks.universe", f"{st.universe!r}: {exc}", exc.allowed) from None


def check_stocks(spec: Any) -> None:
    """Raise one ScenarioError line for the first bad stock-layer field (see the module docstring)."""
    _check_brokers(spec.stock_brokers)
    _check_events(spec)
    if not spec.stocks.enabled:
        return
    universe = scenario_universe(spec)
    _check_idio_scale(spec.stocks.idio_scale, universe)
    refs = _References(universe, spec.stocks.universe)
    for i, e in enumerate(spec.stock_events):
        refs.check(f"stock_events[{i}].target", e.target, extra="all")
    for i, f in enumerate(spec.stock_letfs):
        refs.check(f"stock_letfs[{i}].underlying", f.underlying, extra="index")
    for i, b in enumerate(spec.stock_brokers):
        refs.check(f"stock_brokers[{i}].sector", b.sector, tickers=False, empty=True)
        for ticker in b.names.split():
            refs.ticker(f"stock_brokers[{i}].names", ticker)
    refs.check("stocks.theme_sector", spec.stocks.theme_sector, tickers=False, empty=True)
    refs.check("stocks.short_tilt_sector", spec.stocks.short_tilt_sector, empty=True)


def _check_brokers(brokers: list[Any]) -> None:
    if not brokers:
        return
    total = math.fsum(b.share for b in brokers)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise _fail("stock_brokers.share", f"must sum to 1 over the stock-book brokers (got {total:.12g})",
                    "shares summing to 1")
    debt = math.fsum(b.debt_share for b in brokers)
    if debt > 1.0 + SHARE_TOLERANCE:
        raise _fail("stock_brokers.debt_share", f"must sum to at most 1 (got {debt:.12g}; 0 = in proportion to "
                    "the broker's accounts)", "a sum <= 1")
    if all(b.debt_share > 0.0 for b in brokers) and abs(debt - 1.0) > SHARE_TOLERANCE:
        raise _fail("stock_brokers.debt_share", f"must sum to 1 when every broker sets one (got {debt:.12g}), "
                    "or the book's debt would not be stocks.margin_debt_usd", "a sum of 1")
    names = [b.name for b in brokers]
    if len(set(names)) != len(names):
        raise _fail("stock_brokers.name", "stock-book broker names must be distinct")
    for i, b in enumerate(brokers):
        for field, hi in (("leverage_mean", 10), ("names_per_account", 20)):
            value = getattr(b, field)
            if 0.0 < value < 1.0:
                raise _fail(f"stock_brokers[{i}].{field}", f"{value:g} must be 0 (the book's stocks.{field}) or in "
                            f"[1, {hi}]", f"0 or in [1, {hi}]")


def _check_events(spec: Any) -> None:
    days = spec.simulation.days
    for i, e in enumerate(spec.stock_events):
        lo, hi, meaning = STOCK_EVENT_SIZES[e.kind]
        if not lo <= e.size <= hi:
            raise _fail(f"stock_events[{i}].size", f"{e.size:g} for kind {e.kind!r} must be in [{lo:g}, {hi:g}] "
                        f"({meaning})", f"in [{lo:g}, {hi:g}]")
        if e.day >= days:
            raise _fail(f"stock_events[{i}].day", f"{e.day} must be in [0, {days - 1}] (simulation.days)",
                        f"in [0, {days - 1}]")


def _check_idio_scale(scale: float, universe: Universe) -> None:
    top = scale * float(universe.idio_vol.max())
    if top > MAX_VOL:
        raise _fail("stocks.idio_scale", f"{scale:g} would give a stock an idiosyncratic vol of {top:.3g} (above "
                    f"{MAX_VOL:g}): must be at most {MAX_VOL / float(universe.idio_vol.max()):.6g} for this universe",
                    f"at most {MAX_VOL / float(universe.idio_vol.max()):.6g}")


class _References:
    """The tickers and sectors of a universe, and the one-line error for a name that is neither."""

    def __init__(self, universe: Universe, label: str) -> None:
        self.tickers = frozenset(universe.ticker)
        self.sectors = universe.sectors
        origin = "synthetic names" if label == "synthetic" else f"names from {label!r}"
        shown = ", ".join(repr(s) for s in self.sectors[:12]) + (", ..." if len(self.sectors) > 12 else "")
        self.where = f"{universe.n} {origin}; e.g. {universe.ticker[0]!r}, sectors: {shown}"

    def check(self, name: str, value: str, extra: str = "", tickers: bool = True, empty: bool = False) -> None:
        if (empty and value == "") or (extra and value == extra) or value in self.sectors:
            return
        if tickers and value in self.tickers:
            return
        what = "a ticker or sector" if tickers else "a sector"
        also = (f" or {extra!r}" if extra else "") + (" or ''" if empty else "")
        raise _fail(name, f"{value!r} is not {what} of the universe{also} ({self.where})",
                    f"{what} of the universe{also}")

    def ticker(self, name: str, value: str) -> None:
        if value not in self.tickers:
            raise _fail(name, f"{value!r} is not a ticker of the universe ({self.where})",
                        "space-separated tickers of the universe")
