"""The apps layer: the command line (:mod:`sim.apps.cli`), the dashboard and the benchmark.

The only layer that knows flag names, parses arguments or prints; it imports the heavy stack
lazily, inside the command that needs it, so ``marginsim --help`` answers at once.
"""
