"""The model's decision rules and dynamics as ``jitable`` functions on arrays: one rule, one place.

The Mesa agents (:mod:`sim.model.agents`, :mod:`sim.model.market`) and the compiled engine
(:mod:`sim.model.compiled`) both call these functions, so the two engines compute every formula
from the same source and give the same bits. The modules import no numba (see :mod:`sim.core.jit`).
Arithmetic follows numpy's order of operations where the Mesa code used numpy expressions;
sums of more than a handful of numbers go through :func:`sim.core.pairwise.pairwise_sum`.
"""
