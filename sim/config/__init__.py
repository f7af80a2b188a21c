"""The config layer: validated inputs.

One declarative field checker (:mod:`sim.config.fields`), scenarios and experiments read from
TOML into typed dataclasses, dotted-path overrides (:mod:`sim.config.paths`), and the packaged
FINRA history. Imports only core and book; loads without numba, pandas or mesa so that the
command line answers quickly.
"""
