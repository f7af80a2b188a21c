"""marginsim: an agent-based simulator of leverage feedback loops in equity markets.

The package is layered (see the README): ``sim.core`` -> ``sim.book`` -> ``sim.config`` ->
``sim.model`` -> ``sim.run`` -> ``sim.sweep`` -> ``sim.analysis`` -> ``sim.report`` -> ``sim.apps``.
The public API below is imported lazily, so ``import sim`` (and the command line's help) does
not load numba, mesa or pandas until a simulation needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.3.0"

_API = {
    "Scenario": ("sim.config.scenario", "Scenario"),
    "ScenarioError": ("sim.config.scenario", "ScenarioError"),
    "load": ("sim.config.scenario", "load"),
    "scenarios": ("sim.config.scenario", "scenarios"),
    "SimulationResult": ("sim.run.results", "SimulationResult"),
    "EnsembleResult": ("sim.run.ensemble", "EnsembleResult"),
    "ensemble": ("sim.run.ensemble", "ensemble"),
    "simulate": ("sim.run.simulate", "simulate"),
    "simulate_params": ("sim.run.params", "simulate_params"),
    "plot": ("sim.report.figures", "plot_result"),
}
"""Public name -> (module, name there). ``plot`` is how ``SimulationResult.plot`` reaches the report
layer: the package root is the API facade, above the layers."""

__all__ = ["EnsembleResult", "Scenario", "ScenarioError", "SimulationResult", "__version__", "ensemble", "load", "plot",
           "scenarios", "simulate", "simulate_params"]

if TYPE_CHECKING:  # pragma: no cover
    from sim.config.scenario import Scenario, ScenarioError, load, scenarios
    from sim.report.figures import plot_result as plot
    from sim.run.ensemble import EnsembleResult, ensemble
    from sim.run.params import simulate_params
    from sim.run.results import SimulationResult
    from sim.run.simulate import simulate


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    module, attr = target
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
