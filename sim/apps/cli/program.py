"""The ``marginsim`` program: the parser assembled from the command modules, errors and exit codes.

Every error the user can cause ends as ONE line on stderr and exit code 2, never a traceback:
argparse's own errors, :class:`~sim.apps.cli.common.UsageError` from the commands, and
:class:`sim.core.errors.InputError` from the library, whose ``field`` is shown as the flag that
set it (field ``out`` -> ``--out``, a scenario override -> ``--set``). A failed run-time
invariant is a bug: one line, exit code 3.
"""

from __future__ import annotations

import os
import sys

from sim import __version__
from sim.apps.cli import attribute, bench, calc, calibrate, check, dashboard, run, show, sweep, tail
from sim.apps.cli.common import EXIT_BAD_INPUT, EXIT_INVARIANT, Parser, UsageError
from sim.core.errors import InputError

COMMAND_MODULES = (run, show, attribute, tail, sweep, check, calibrate, calc, bench, dashboard)
"""Each adds its subcommands through ``register(sub)``; the order is the order in ``--help``."""

FLAGS = {
    "out": "--out", "seed": "--seed", "days": "--days", "mode": "--mode", "workers": "--workers",
    "scheduler": "--scheduler", "values": "--values", "chunk_runs": "--chunk-runs", "only": "--only",
    "port": "--port", "host": "--host", "accounts": "--accounts",
    "scenario override": "--set", "scenario overrides": "--set", "override": "--set", "overrides": "--set",
    "value": "--value", "debt": "--debt", "maintenance": "--maintenance", "initial": "--initial",
    "borrowed": "--borrowed", "shares_borrowed": "--shares-borrowed", "repaid": "--repaid",
    "metric": "--metric", "threshold": "--threshold", "paths": "--paths",
    "shocks": "--shocks", "deadlines": "--deadlines", "horizons": "--horizons", "shock_day": "--shock-day",
}
"""Library field names (``InputError.field``) -> the command-line flag that sets them. Fields not
listed (``margin.accounts``...) are scenario fields, named as the user wrote them in ``--set``."""


def build_parser() -> Parser:
    """The ``marginsim`` parser with every subcommand."""
    p = Parser(prog="marginsim", description="Leverage feedback loops in equity markets: an agent-based "
               "simulator of margin accounts, leveraged ETFs, dealer gamma and volatility control.",
               epilog="`marginsim COMMAND --help` describes a command, with examples.")
    p.add_argument("--version", action="version", version=f"marginsim {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def flag_message(exc: InputError) -> str:
    """The library's one-line message with its field shown as the flag that set it."""
    message = str(exc)
    flag = FLAGS.get(exc.field or "")
    if flag is None or message.startswith(flag):
        return message
    for spelling in (exc.field, exc.field.replace("_", "-"), exc.field.replace("_", " ")):
        rest = message[len(spelling):]
        if message.startswith(spelling) and not rest[:1].isalnum():  # the whole word: "out", not "output"
            return flag + (" " + rest[3:] if rest.startswith(" = ") else rest)  # "seed = -1" -> "--seed -1"
    return f"{flag}: {message}"


def _is_invariant(exc: BaseException) -> bool:
    """An InvariantError, without importing the model (numpy) when it was never loaded."""
    invariants = sys.modules.get("sim.model.invariants")
    return invariants is not None and isinstance(exc, invariants.InvariantError)


def main(argv: list[str] | None = None) -> int:
    """Run ``marginsim`` with ``argv`` (default: the process's arguments); return the exit code."""
    prog = "marginsim"
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files, never to a window (matplotlib is loaded lazily)
    try:
        args = build_parser().parse_args(argv)
        prog = f"marginsim {args.command}"
        return args.handler(args)
    except UsageError as exc:  # argparse's (already "marginsim CMD: ...") or a command's
        print(exc if str(exc).startswith("marginsim") else f"{prog}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InputError as exc:
        print(f"marginsim: error: {flag_message(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("marginsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that closed early (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if not _is_invariant(exc):
            raise
        print(f"marginsim: invariant violated (a bug, please report): {' '.join(str(exc).split())}",
              file=sys.stderr)
        return EXIT_INVARIANT
