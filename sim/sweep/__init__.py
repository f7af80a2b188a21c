"""The sweep layer: experiments run point by point, resumably.

Designs (grid, Latin hypercube, Saltelli) and run seeds, tasks, the output store (chunks, lock,
manifest) and the executors (serial, process pool, Dask), which are handed to the engine.
"""
