"""The fan chart: the page's scenario run with N seeds, the index and margin debt as quantile bands.

:func:`iter_seeds` steps one :class:`~sim.model.market_model.MarketModel` per seed (exactly
what ``sim.simulate(spec, seed)`` runs, with the same end-of-run conservation check), reports its
progress day by day and yields the fan after each seed; it can be stopped between days.
:func:`fan_svg` draws the 5-95% and 25-75% bands and the median of each series across seeds,
with the first seed's path on top.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.apps.dashboard.panels import BN
from sim.config.scenario import Scenario
from sim.core.errors import InputError
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel
from sim.report import style

MIN_SEEDS, MAX_SEEDS = 2, 50
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SERIES = (("index_level", "Index level", "index level (start = 100)", 1.0, "blue"),
          ("margin_debt", "Margin debt (FINRA debit balances)", "$ billion", BN, "vermillion"))
"""The fan chart's series: record column, title, y label, divisor, colour."""
FIGSIZE = (9.6, 3.4)
_RC = {"svg.fonttype": "none", "svg.hashsalt": "marginsim-fan", "path.simplify": False}


@dataclass(frozen=True)
class Fan:
    """Daily series of every finished seed: ``values[column]`` has shape (seeds done, days)."""

    scenario: str
    accounts: int
    seeds: tuple[int, ...]
    requested: int
    days: np.ndarray
    values: dict[str, np.ndarray]

    def bands(self, column: str) -> dict[float, np.ndarray]:
        """Quantile -> daily series across seeds (5%, 25%, median, 75%, 95%)."""
        q = np.quantile(self.values[column], QUANTILES, axis=0)
        return dict(zip(QUANTILES, q, strict=True))


Progress = Callable[[int, int, int], None]
"""Called as ``progress(seeds_done, day, days)`` after each simulated day."""


def iter_seeds(spec: Scenario, seeds: Sequence[int], progress: Progress | None = None,
               cancelled: Callable[[], bool] = lambda: False) -> Iterator[Fan]:
    """Run ``spec`` once per seed (as ``sim.simulate`` does); yield the fan so far after each seed.

    Stops early, without error, as soon as ``cancelled()`` turns true (checked after every day).
    """
    columns = [s[0] for s in SERIES]
    days = spec.simulation.days
    finished: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for i, seed in enumerate(seeds):
        model = MarketModel(spec, seed=seed)
        for day in range(days):
            if cancelled():
                return
            model.step()
            if progress is not None:
                progress(i, day + 1, days)
        check_conservation(model)
        for c in columns:
            finished[c].append(np.array([r[c] for r in model.records], dtype=float))
        yield Fan(spec.meta.name, spec.margin.accounts, tuple(seeds[:i + 1]), len(seeds),
                  np.arange(days, dtype=float), {c: np.vstack(v) for c, v in finished.items()})


def run_seeds(spec: Scenario, seeds: Sequence[int], progress: Progress | None = None) -> Fan:
    """Every seed's run (see :func:`iter_seeds`): the whole fan."""
    fans = list(iter_seeds(spec, seeds, progress))
    if not fans:
        raise InputError("seeds: must name at least one seed", field="seeds", allowed="at least one")
    return fans[-1]


def _panel(ax: Axes, fan: Fan, column: str, title: str, ylabel: str, scale: float, colour: str) -> None:
    bands = {q: v / scale for q, v in fan.bands(column).items()}
    c = style.PALETTE[colour]
    outer = ax.fill_between(fan.days, bands[0.05], bands[0.95], color=c, alpha=0.15, linewidth=0)
    inner = ax.fill_between(fan.days, bands[0.25], bands[0.75], color=c, alpha=0.35, linewidth=0)
    outer.set_gid(f"fan-{column}-5-95")
    inner.set_gid(f"fan-{column}-25-75")
    (median,) = ax.plot(fan.days, bands[0.5], color=c, linewidth=1.5)
    median.set_gid(f"fan-{column}-median")
    (first,) = ax.plot(fan.days, fan.values[column][0] / scale, color=style.PALETTE["black"], linewidth=0.7)
    first.set_gid(f"fan-{column}-first-seed")
    outer.set_label("5-95%")
    inner.set_label("25-75%")
    median.set_label("median")
    first.set_label(f"seed {fan.seeds[0]} (the page's)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4, handlelength=1.5, columnspacing=1.0)
    ax.set_title(title, y=1.0)
    ax.set_xlabel("trading day")
    ax.set_ylabel(ylabel)
    ax.set_xlim(-1, max(2, len(fan.days)))
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")


def fan_svg(fan: Fan) -> bytes:
    """The fan chart (index and margin debt side by side) as SVG, the first seed's path on top."""
    style.apply()
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE)
        fig.subplots_adjust(left=0.075, right=0.985, bottom=0.24, top=0.83, wspace=0.22)
        axes = fig.subplots(1, 2)
        for ax, (column, title, ylabel, scale, colour) in zip(axes, SERIES, strict=True):
            _panel(ax, fan, column, title, ylabel, scale, colour)
        fig.suptitle(f"{fan.scenario}, {fan.accounts:,} accounts: {len(fan.seeds)} seeds ({fan.seeds[0]} to "
                     f"{fan.seeds[-1]}); bands: quantiles across seeds", fontsize=matplotlib.rcParams["axes.titlesize"])
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
    return buf.getvalue()
