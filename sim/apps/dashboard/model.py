"""DashboardModel: the mesa.Model the SolaraViz page builds, steps and resets.

SolaraViz re-creates the model on Reset as ``DashboardModel(**inputs)``. The inputs are
validated here; bad input does not raise (that would break the page) but leaves a model that
holds the one-line message in ``error`` and does not run, so the page shows the message and
stays usable. A valid model wraps a :class:`~sim.model.market_model.MarketModel` (kernel mode) and steps it
one trading day per ``step()`` until the scenario's last day.
"""

from __future__ import annotations

import time
from typing import Any

import mesa
import numpy as np

from sim.apps.dashboard.inputs import Inputs, Resolved, resolve
from sim.apps.dashboard.plots import Context
from sim.config.scenario import ScenarioError
from sim.model.invariants import InvariantError
from sim.model.market_model import MarketModel


class DashboardModel(mesa.Model):
    """A MarketModel built from the dashboard's inputs, or the message saying why it could not be."""

    def __init__(self, scenario_name: str = Inputs.scenario_name, seed: int | str = Inputs.seed,
                 accounts: int | str = Inputs.accounts, leverage_mean: float = Inputs.leverage_mean,
                 maintenance: float = Inputs.maintenance, letf_aum_bn: float = Inputs.letf_aum_bn,
                 letf_leverage: str = Inputs.letf_leverage, dealer_gamma: float = Inputs.dealer_gamma,
                 vol_target: float = Inputs.vol_target, shock_size: float = Inputs.shock_size,
                 shock_day: int | str = Inputs.shock_day) -> None:
        # the wrapper draws no random numbers; MarketModel seeds its own streams from `seed`
        super().__init__(rng=np.random.default_rng(0))
        self.inputs = Inputs(scenario_name, seed, accounts, leverage_mean, maintenance, letf_aum_bn, letf_leverage,
                             dealer_gamma, vol_target, shock_size, shock_day)
        self.error: str | None = None
        self.resolved: Resolved | None = None
        self.market_model: MarketModel | None = None
        self.build_seconds = 0.0
        self.step_seconds: list[float] = []
        start = time.perf_counter()
        try:
            self.resolved = resolve(self.inputs)
            self.market_model = MarketModel(self.resolved.spec, seed=self.resolved.seed)
        except ScenarioError as exc:
            self.error = str(exc)
        except MemoryError:
            self.error = f"number of accounts = {accounts!r}: not enough memory for a book this size"
        self.build_seconds = time.perf_counter() - start
        self.running = self.error is None

    @property
    def days(self) -> int:
        """Trading days in the run (0 when the inputs were bad)."""
        return self.resolved.spec.simulation.days if self.resolved else 0

    @property
    def records(self) -> list[dict[str, Any]]:
        """One dict per simulated day (the columns of timeseries.parquet)."""
        return self.market_model.records if self.market_model else []

    def plot_context(self) -> Context:
        """What the figures need besides the records: run length, shock, starting book and dealer gamma."""
        mm, res = self.market_model, self.resolved
        if mm is None or res is None:
            return Context(days=1, shock_day=None, shock_size=0.0, initial={}, initial_gex_usd=0.0)
        return Context(days=self.days, shock_day=res.shock_day, shock_size=res.shock_size,
                       initial=dict(mm.initial), initial_gex_usd=mm.gex(mm.market.prices, 0.0))

    def step(self) -> None:
        """One trading day; stops at the scenario's last day (or on an invariant failure, shown on the page)."""
        mm = self.market_model
        if mm is None or len(mm.records) >= self.days:
            self.running = False
            return
        start = time.perf_counter()
        try:
            mm.step()
        except InvariantError as exc:
            self.error = f"invariant violated (a bug, please report): {exc}"
            self.running = False
            return
        self.step_seconds.append(time.perf_counter() - start)
        if len(mm.records) >= self.days:
            self.running = False
