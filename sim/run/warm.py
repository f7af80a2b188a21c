"""Imported for its effect, by an ensemble's process pool's fork server: loads the numba kernels.

The fork server dies with the process that started it (no watchdog thread: a fork server must
stay single-threaded), and its workers die with it; see :mod:`sim.run.workers`.
"""

from sim.config.scenario import from_dict
from sim.run.simulate import simulate
from sim.run.workers import die_with_parent

die_with_parent(watchdog=False)
simulate(from_dict({"margin": {"accounts": 10}, "simulation": {"days": 2}}), 0)
