"""The core layer: margin arithmetic, price impact, options maths, jit helpers, errors, file writing.

Pure functions on numbers and arrays (numpy; numba only through :mod:`sim.core.jit`): every
formula exists once here and is called by the calculator, the Mesa agents, the compiled kernels
and the references. Imports nothing else from ``sim``.
"""
