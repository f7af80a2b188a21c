"""Imported for its effect: loads the numba kernels (see :func:`sim.sweep.engine.warm_up`).

The process pool's fork server preloads this module, so the workers it forks start with the
kernels compiled (or loaded from numba's cache) once, not once per worker or per run.
"""

from sim.sweep.engine import warm_up

warm_up()
