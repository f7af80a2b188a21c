"""DashboardModel: the mesa.Model the page builds, steps and resets.

The page re-creates the model on Reset as ``DashboardModel(**inputs)``. The inputs are
validated here; bad input does not raise (that would break the page) but leaves a model that
holds the one-line message in ``error`` and does not run, so the page shows the message and
stays usable. A valid model wraps one :class:`~sim.model.market_model.MarketModel` (kernel mode),
or two in comparison mode (:mod:`sim.apps.dashboard.compare`), and steps each one trading day
per ``step()`` until its scenario's last day.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.apps.dashboard.compare import Comparison, labels, resolve_b
from sim.apps.dashboard.inputs import Inputs, Resolved, resolve
from sim.apps.dashboard.panels import Context
from sim.config.scenario import ScenarioError
from sim.model.invariants import InvariantError
from sim.model.market_model import MarketModel

Frame = tuple[int, tuple[int, ...]]
"""A redraw's snapshot: the model's id and each run's number of days."""


@dataclass
class Run:
    """One simulated run on the page: its label (``A: ...``), validated scenario and model."""

    label: str
    resolved: Resolved
    model: MarketModel

    @property
    def days(self) -> int:
        return self.resolved.spec.simulation.days

    @property
    def done(self) -> bool:
        return len(self.model.records) >= self.days

    def context(self, days: int) -> Context:
        """What the figures need besides the records (``days``: the x range, the longest run's)."""
        res, mm = self.resolved, self.model
        return Context(days=days, shock_day=res.shock_day if res.shock_day >= 0 else None,
                       shock_size=res.shock_size, initial=dict(mm.initial),
                       initial_gex_usd=mm.gex(mm.market.prices, 0.0))


class DashboardModel(mesa.Model):
    """The page's run (or two, compared) built from the inputs, or the message saying why it could not be."""

    def __init__(self, scenario_name: str = Inputs.scenario_name, seed: int | str = Inputs.seed,
                 accounts: int | str = Inputs.accounts, leverage_mean: float = Inputs.leverage_mean,
                 maintenance: float = Inputs.maintenance, letf_aum_bn: float = Inputs.letf_aum_bn,
                 letf_leverage: str = Inputs.letf_leverage, dealer_gamma: float = Inputs.dealer_gamma,
                 vol_target: float = Inputs.vol_target, shock_size: float = Inputs.shock_size,
                 shock_day: int | str = Inputs.shock_day, compare: str = Comparison.mode,
                 scenario_b: str = Comparison.scenario_b, vary: str = Comparison.vary,
                 value_b: str = Comparison.value_b) -> None:
        # the wrapper draws no random numbers; MarketModel seeds its own streams from `seed`
        super().__init__(rng=np.random.default_rng(0))
        self.inputs = Inputs(scenario_name, seed, accounts, leverage_mean, maintenance, letf_aum_bn, letf_leverage,
                             dealer_gamma, vol_target, shock_size, shock_day)
        self.comparison = Comparison(compare, scenario_b, vary, str(value_b))
        self.error: str | None = None
        self.runs: list[Run] = []
        self.step_seconds: list[float] = []
        self._lock = threading.Lock()  # the play thread and the Step button never step at once
        start = time.perf_counter()
        try:
            self.runs = self._build()
        except ScenarioError as exc:
            self.error = str(exc)
        except MemoryError:
            self.error = f"number of accounts = {accounts!r}: not enough memory for a book this size"
        self.build_seconds = time.perf_counter() - start
        self.running = self.error is None

    def _build(self) -> list[Run]:
        a = resolve(self.inputs)
        b = resolve_b(self.inputs, a, self.comparison)
        if b is None:
            return [Run("", a, MarketModel(a.spec, seed=a.seed))]
        label_a, label_b = labels(self.inputs, a, self.comparison)
        return [Run(label_a, a, MarketModel(a.spec, seed=a.seed)), Run(label_b, b, MarketModel(b.spec, seed=b.seed))]

    @property
    def resolved(self) -> Resolved | None:
        """Run A's validated scenario (None when the inputs were bad)."""
        return self.runs[0].resolved if self.runs else None

    @property
    def market_model(self) -> MarketModel | None:
        """Run A's MarketModel (None when the inputs were bad)."""
        return self.runs[0].model if self.runs else None

    @property
    def days(self) -> int:
        """Trading days of the longest run (0 when the inputs were bad)."""
        return max((run.days for run in self.runs), default=0)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Run A's records: one dict per simulated day (the columns of timeseries.parquet)."""
        return self.runs[0].model.records if self.runs else []

    @property
    def day_count(self) -> int:
        """Days run so far (the longest run's)."""
        return max((len(run.model.records) for run in self.runs), default=0)

    def frame(self) -> Frame:
        """What a redraw shows: this model and each run's day count now (all panels draw the same days)."""
        return id(self), tuple(len(run.model.records) for run in self.runs)

    def counts(self, frame: Frame | None) -> tuple[int, ...]:
        """Each run's day count to draw: the frame's when it is this model's, else the latest."""
        return frame[1] if frame is not None and frame[0] == id(self) else self.frame()[1]

    def contexts(self) -> list[Context]:
        """Each run's figure context, all on the longest run's x range."""
        return [run.context(self.days) for run in self.runs]

    def plot_context(self) -> Context:
        """Run A's figure context (a placeholder when the inputs were bad)."""
        if not self.runs:
            return Context(days=1, shock_day=None, shock_size=0.0, initial={}, initial_gex_usd=0.0)
        return self.contexts()[0]

    def step(self) -> None:
        """One trading day of every run not yet at its last day (an invariant failure shows on the page)."""
        with self._lock:
            todo = [run for run in self.runs if not run.done]
            start = time.perf_counter()
            try:
                for run in todo:
                    run.model.step()
            except InvariantError as exc:
                self.error = f"invariant violated (a bug, please report): {exc}"
                self.running = False
                return
            if todo:
                self.step_seconds.append(time.perf_counter() - start)
            self.running = any(not run.done for run in self.runs)
