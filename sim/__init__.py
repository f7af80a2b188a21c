"""marginsim: an agent-based simulator of leverage feedback loops in equity markets."""

__version__ = "0.1.0"

from sim.params import simulate_params
from sim.scenario import Scenario, ScenarioError, load
from sim.simulate import SimulationResult, simulate

__all__ = ["Scenario", "ScenarioError", "SimulationResult", "__version__", "load", "simulate", "simulate_params"]
