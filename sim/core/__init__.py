"""The core layer: margin arithmetic, price impact, options maths, jit helpers, errors, file writing,
and deterministic maths (``detmath``, ``deterf``, ``detarrays``, ``detrandom``: exp/log/pow, the
normal CDF, sums and numpy's random draws with the same bits on every CPU).

Pure functions on numbers and arrays (numpy; numba only through :mod:`sim.core.jit`): every
formula exists once here and is called by the calculator, the Mesa agents, the compiled kernels
and the references. Imports nothing else from ``sim``.
"""
