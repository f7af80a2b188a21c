"""marginsim: an agent-based simulator of leverage feedback loops in equity markets.

The package is layered (see the README): ``sim.core`` -> ``sim.book`` -> ``sim.config`` ->
``sim.model`` -> ``sim.run`` -> ``sim.sweep`` -> ``sim.analysis`` -> ``sim.report`` -> ``sim.apps``.
The public API below is imported lazily, so ``import sim`` (and the command line's help) does
not load numba, mesa or pandas until a simulation needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "Scenario": "sim.config.scenario",
    "ScenarioError": "sim.config.scenario",
    "load": "sim.config.scenario",
    "SimulationResult": "sim.run.results",
    "simulate": "sim.run.simulate",
    "simulate_params": "sim.run.params",
}

__all__ = ["Scenario", "ScenarioError", "SimulationResult", "__version__", "load", "simulate", "simulate_params"]

if TYPE_CHECKING:  # pragma: no cover
    from sim.config.scenario import Scenario, ScenarioError, load
    from sim.run.params import simulate_params
    from sim.run.results import SimulationResult
    from sim.run.simulate import simulate


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
