"""The book layer: the margin book as arrays and the numba kernels that clear it.

Account arrays, the clearing / rebalancing / end-of-day kernels, the plain-Python reference
(:mod:`sim.book.reference`, the correctness oracle) and the numpy twin (the benchmark baseline).
Public functions validate and allocate; private ``@kernel`` functions work on arrays only and
draw no random numbers. Imports only :mod:`sim.core`; never mesa or pandas.
"""
