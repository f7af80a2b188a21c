"""Imported for its effect, by the process pool's fork server: loads the numba kernels.

The fork server preloads this module, so the workers it forks start with the kernels compiled
(or loaded from numba's cache, see :func:`sim.sweep.tasks.warm_up`) once, not once per worker or
per run. It also makes the fork server die with the sweep process that started it
(:func:`sim.run.workers.die_with_parent`; no watchdog thread: a fork server must stay
single-threaded), and the workers die with the fork server, so a killed sweep leaves none behind.
"""

from sim.run.workers import die_with_parent
from sim.sweep.tasks import warm_up

die_with_parent(watchdog=False)
warm_up()
