"""Command line: ``marginsim`` (or ``python -m sim``).

One module per group of commands, each adding its subcommands with ``register(sub)``:

program.py    the parser assembled from the modules below, error mapping, exit codes, :func:`main`
common.py     the one-line parser, argument types, common options, progress bars, the ``--out`` check
run.py        run
show.py       scenarios, show (a scenario as JSON, or its field reference with --schema)
attribute.py  attribute (Shapley attribution over the channels)
sweep.py      sweep (experiments)
check.py      validate, figures
calibrate.py  calibrate (simulated method of moments)
calc.py       account, balance (margin arithmetic, no simulation)
bench.py      bench
dashboard.py  dashboard, dashboard-timing

Bad input of any kind ends with one line on stderr naming the flag or field and the allowed
range, exit code 2, no traceback and no output file. Only the standard library is imported
until a command runs, so ``--help``, ``--version`` and the arithmetic commands answer at once.
"""

from sim.apps.cli.program import build_parser, main

__all__ = ["build_parser", "main"]
