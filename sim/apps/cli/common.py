"""What every command shares: the one-line parser, argument types, the common options and the
checks made before any work (an output folder that can be written).

Only the standard library is imported here, so building the parser (``marginsim --help``)
stays fast: each command imports the simulator inside its own function.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 2
"""Bad input of any kind: one line on stderr, no traceback, no output file."""
EXIT_INVARIANT = 3
"""A run-time invariant failed: a bug, reported in one line."""


class UsageError(Exception):
    """Bad command-line usage (reported as one line, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) raised as :class:`UsageError`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def add_command(sub: argparse._SubParsersAction, name: str, summary: str, description: str,
                examples: str) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (in ``marginsim --help``), a description and examples."""
    epilog = "examples:\n" + textwrap.indent(textwrap.dedent(examples).strip(), "  ")
    return sub.add_parser(name, help=summary, description=textwrap.dedent(description).strip(), epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 round', '3 rounds', '1,200 calls' (``words`` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


# ------------------------------------------------------------------------------ argument types
# argparse prefixes their messages with the flag: "argument --seed: 'abc': must be an integer ..."
def seed(text: str) -> int:
    """``--seed``: an integer (its range is checked by the simulator)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be an integer in [0, 2^63 - 1]") from None


def number(text: str) -> float:
    """A float argument (its range is checked where it is used)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number") from None


def integer(lo: int, hi: int):
    """An integer argument in [lo, hi]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text!r}: must be an integer in [{lo}, {hi}]")
        return value
    return parse


# ----------------------------------------------------------------------------- common options
def add_scenario(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a built-in scenario's name (`marginsim scenarios` lists them) or a .toml file")


def add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed, default=0, metavar="N",
                   help="random seed, an integer in [0, 2^63 - 1] (default 0): the same seed gives the same numbers")


def add_overrides(p: argparse.ArgumentParser, what: str = "override a scenario field") -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help=f"{what} (repeatable; value in TOML syntax), e.g. --set margin.accounts=10000; "
                        "`marginsim show SCENARIO --schema` lists the fields")


def add_progress(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help=f"a progress bar of {what} on stderr (default: only when stderr is a terminal)")


def announce_compile(engine: str, wanted: bool | None) -> None:
    """One line on stderr when the compiled engine is about to compile its kernels (a cold cache only).

    Shown when a progress bar would be (``--progress``, or stderr is a terminal): a new user is
    not left waiting in silence, and scripts reading stderr see nothing new.
    """
    if engine != "compiled" or not (sys.stderr.isatty() if wanted is None else wanted):
        return
    from sim.model import compiled

    if compiled.needs_compile():
        print(f"compiling kernels (once, about {compiled.COMPILE_SECONDS} s)", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ progress bars
class Progress:
    """A tqdm bar on stderr, or nothing, as ``--progress`` / ``--no-progress`` / the terminal ask.

    ``update(done, total)`` is the callback the library's functions take (``on_progress=``);
    ``write(line)`` prints a line above the bar. Use it as a context manager: the bar is closed
    (and erased) on the way out.
    """

    def __init__(self, wanted: bool | None, desc: str, unit: str) -> None:
        self.bar = None
        if sys.stderr.isatty() if wanted is None else wanted:
            from tqdm import tqdm

            self.bar = tqdm(desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)

    def update(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)

    def write(self, line: str) -> None:
        """Print ``line`` on stdout without breaking the bar."""
        if self.bar is None:
            print(line)
        else:
            self.bar.write(line, file=sys.stdout)

    @property
    def callback(self) -> Callable[[int, int], None] | None:
        """``update``, or None when there is no bar (the library then skips the calls)."""
        return None if self.bar is None else self.update

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


# ------------------------------------------------------------------------ checks before work
def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return probe


def check_out(out: str | Path, flag: str = "--out") -> Path:
    """The output folder ``out``, refused in one line before any work if it cannot be written.

    Refused: an existing regular file, a path under a regular file, a folder (or the nearest
    existing folder above a new one) this process may not write in. Nothing is created.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{flag} {str(out)!r}: must be a folder, not a file")
    _check_writable(out, flag)
    return out


def check_out_file(path: str | Path, flag: str = "--out") -> Path:
    """An output file ``path``, refused in one line before any work if it cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{flag} {str(path)!r}: must be a file, not a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {str(path)!r}: cannot be written (permission denied or read-only)")
    _check_writable(path.parent, flag, shown=path)
    return path


def _check_writable(folder: Path, flag: str, shown: Path | None = None) -> None:
    shown = folder if shown is None else shown
    probe = _nearest_existing(folder)
    if not probe.is_dir():
        raise UsageError(f"{flag} {str(shown)!r}: {str(probe)!r} is a file, so no folder can be made under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {str(shown)!r}: cannot write in {str(probe)!r} (permission denied or read-only)")
