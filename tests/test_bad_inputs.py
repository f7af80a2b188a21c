"""A catalogue of bad inputs: each one ends in a single clean line naming what was wrong, before any work.

Command line (``marginsim ...``, run in-process through ``sim.apps.cli.main``; a few by subprocess):

- exit code 2, exactly one non-empty line on stderr (never a traceback), nothing on stdout;
- the line names the flag or the field involved;
- nothing is written: every test runs in its own ``tmp_path`` (cwd included, so default output
  folders land there too) and the whole tree is compared before and after;
- the input is rejected before any simulation: each call runs under a watchdog of a few seconds,
  and the ``--out`` cases add sizes that would make the work itself take minutes.

Python API: a :class:`sim.core.errors.InputError` (a ``ValueError``) whose one-line message names
the field, and no command-line flag (library code names fields; the CLI maps them to flags).

Valid but extreme inputs (a price gap of -99.9999%, the largest volatility regime, one account
for one day) must run to the end with finite prices.

Each table row is (id, argv or callable, expected): ``expected`` is a substring, a compiled
regex, ``Absent(text)`` (must not appear), or a tuple of these (all must hold). In argv and in
the input files ``{in}`` stands for the folder of input files and ``{tmp}`` for ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
WATCHDOG_S = 8.0
"""A bad input must be rejected within this time (the rejected work would take a minute or more)."""
DESIGN_LIMIT_S = 5.0
"""Loading an experiment whose design is huge must fail (or validate) within this time."""


class Absent(str):
    """An expectation that the error line must NOT contain this text (e.g. a file's content)."""


# ---------------------------------------------------------------------------- input files

def _experiment(experiment: str = "", parameter: str = 'path = "margin.leverage_mean"\nvalues = [1.2, 1.3]',
                extra: str = "") -> str:
    """A tiny valid experiment on ``baseline`` (2 runs of 200 accounts x 5 days), edited."""
    return ('[experiment]\nscenario = "baseline"\nset = ["margin.accounts=200", "simulation.days=5"]\n'
            f'metrics = ["max_drawdown"]\n{experiment}\n[[parameters]]\nname = "lev"\n{parameter}\n{extra}')


SMALL = "[margin]\naccounts = 300\n[simulation]\ndays = 20\n"
HUGE_GRID = "".join(f'\n[[parameters]]\nname = "p{i}"\npath = "margin.{field}"\nlow = {lo}\nhigh = {hi}\n'
                    "steps = 100000\n"
                    for i, (field, lo, hi) in enumerate([("leverage_mean", 1.1, 1.9), ("leverage_drift", 0.0, 1.0),
                                                         ("buy_speed", 0.0, 1.0), ("sell_speed", 0.0, 1.0)]))

FILES: dict[str, str | bytes] = {
    # scenarios
    "small.toml": SMALL,
    "extends-int.toml": "[meta]\nextends = 5\n" + SMALL,
    "extends-list.toml": '[meta]\nextends = ["a"]\n' + SMALL,
    "extends-missing.toml": '[meta]\nextends = "{in}/no-such-parent.toml"\n' + SMALL,
    "extends-non-toml.toml": '[meta]\nextends = "{in}/secret.txt"\n' + SMALL,
    "secret.txt": 'hunter2 = "the content of a file that is not a scenario"\n',
    "latin1.toml": '[meta]\nname = "caf\xe9"\n'.encode("latin-1"),
    "locked.toml": SMALL,
    "deep.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "broken.toml": "[meta\nname = \n",
    "unknown-section.toml": "[nosuch]\nx = 1\n",
    "unknown-field.toml": "[margin]\nnosuch = 1\n",
    "accounts-string.toml": '[margin]\naccounts = "many"\n',
    "days-float.toml": "[simulation]\ndays = 1.5\n",
    "channel-int.toml": "[channels]\nmargin = 1\n",
    "assets-string.toml": '[market]\nassets = "tech"\n',
    "events-scalar.toml": "events = 5\n",
    "name-slash.toml": '[meta]\nname = "a/b"\n' + SMALL,
    "name-dotdot.toml": '[meta]\nname = ".."\n' + SMALL,
    "name-absolute.toml": '[meta]\nname = "{tmp}/escaped"\n' + SMALL,
    # experiments
    "exp-ok.toml": _experiment(),
    "exp-name-slash.toml": _experiment('name = "a/b"'),
    "exp-name-dotdot.toml": _experiment('name = "../../escaped"'),
    "exp-name-absolute.toml": _experiment('name = "{tmp}/escaped"'),
    "exp-events9.toml": _experiment(parameter='path = "events.9.size"\nvalues = [-0.1]'),
    "exp-unknown-path.toml": _experiment(parameter='path = "nosuch.x"\nvalues = [1]'),
    "exp-design.toml": _experiment('design = "nosuch"'),
    "exp-replicates-zero.toml": _experiment("replicates = 0"),
    "exp-replicates-string.toml": _experiment('replicates = "two"'),
    "exp-seed-negative.toml": _experiment("root_seed = -1"),
    "exp-seed-string.toml": _experiment('root_seed = "x"'),
    "exp-huge-grid.toml": _experiment(parameter='path = "margin.wealth_sigma"\nvalues = [1.0]', extra=HUGE_GRID),
    "exp-lhs-max.toml": _experiment('design = "lhs"\nsamples = 10_000_000\nreplicates = 1',  # MAX_RUNS
                                    parameter='path = "margin.leverage_mean"\nlow = 1.1\nhigh = 1.9'),
    # --out targets
    "a-file.txt": "keep me\n",
}


@pytest.fixture
def ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The input files under ``tmp_path/in``; cwd is the empty ``tmp_path/cwd``."""
    d = tmp_path / "in"
    d.mkdir()
    for name, content in FILES.items():
        if isinstance(content, str):
            content = content.replace("{in}", str(d)).replace("{tmp}", str(tmp_path)).encode()
        (d / name).write_bytes(content)
    (d / "folder.toml").mkdir()
    (d / "read-only").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return d


def _deny(name: str) -> Callable[[pytest.MonkeyPatch, Path], None]:
    """Setup: opening ``name`` fails with PermissionError (tests run as root: chmod alone would not)."""
    def setup(monkeypatch: pytest.MonkeyPatch, d: Path) -> None:
        target = os.path.realpath(d / name)
        real_open = io.open

        def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target:
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(io, "open", guarded)
        monkeypatch.setattr("builtins.open", guarded)
    return setup


def _read_only(monkeypatch: pytest.MonkeyPatch, d: Path) -> None:
    (d / "read-only").chmod(0o555)


def _snapshot(root: Path) -> dict[str, Any]:
    """Every path under ``root`` with its bytes (None for folders), read below any monkeypatched open."""
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            fd = os.open(path, os.O_RDONLY)
            try:
                out[os.path.relpath(path, root)] = os.read(fd, 1 << 24)
            finally:
                os.close(fd)
    return out


# ---------------------------------------------------------------------------- checks

class _Overran(BaseException):
    """Raised by the watchdog inside the code under test (BaseException: no `except Exception` swallows it)."""


@contextlib.contextmanager
def _watchdog(seconds: float):
    def on_alarm(signum: int, frame: Any) -> None:
        raise _Overran

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Overran:
        pytest.fail(f"still running after {seconds:g} s: the input was not rejected before the work", pytrace=False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _expect(line: str, expected: Any) -> None:
    for item in expected if isinstance(expected, tuple) else (expected,):
        if isinstance(item, Absent):
            assert item not in line, f"the message must not show {str(item)!r}: {line!r}"
        elif isinstance(item, re.Pattern):
            assert item.search(line), f"the message must match {item.pattern!r}: {line!r}"
        else:
            assert item in line, f"the message must name {item!r}: {line!r}"


def _fill(argv: list[str], d: Path) -> list[str]:
    return [a.replace("{in}", str(d)).replace("{tmp}", str(d.parent)) for a in argv]


def _check_cli(argv: list[str], expected: Any, d: Path, capsys: pytest.CaptureFixture[str],
               seconds: float = WATCHDOG_S) -> None:
    from sim.apps.cli import main

    before = _snapshot(d.parent)
    capsys.readouterr()
    escaped = None
    with _watchdog(seconds):
        try:
            code = main(_fill(argv, d))
        except SystemExit as exc:  # argparse's own exit (should not happen: the CLI reports usage errors itself)
            code = exc.code
        except Exception as exc:  # report what escapes, as one line
            escaped = exc
    if escaped is not None:
        pytest.fail(f"main() raised {type(escaped).__name__}: {escaped}", pytrace=False)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, f"exit code {code}, stderr {err[-300:]!r}"
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].strip(), f"stderr must be one non-empty line: {err!r}"
    assert out == "", f"nothing on stdout: {out[:300]!r}"
    _expect(lines[0], expected)
    after = _snapshot(d.parent)
    assert after == before, f"written or changed: {sorted(set(after) ^ set(before)) or 'a file changed'}"


def _check_api(fn: Callable[[Path], Any], expected: Any, d: Path) -> None:
    err: BaseException | None = None
    with _watchdog(WATCHDOG_S):
        try:
            fn(d)
        except Exception as exc:
            err = exc
    if err is None:
        pytest.fail("no error raised", pytrace=False)
    if not isinstance(err, ValueError):
        pytest.fail(f"raised {type(err).__name__} (not a ValueError): {err}", pytrace=False)
    msg = str(err)
    assert isinstance(err, InputError), f"{type(err).__name__} is a ValueError but not an InputError: {msg!r}"
    assert msg.strip() and "\n" not in msg, f"one non-empty line: {msg!r}"
    assert not re.search(r"(^|[\s'\"(])--[a-z]", msg), f"library code names fields, not flags: {msg!r}"
    _expect(msg, expected)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import the heavy stack and load the jitted kernels once, so the watchdog times only the check."""
    for name in ("sim.apps.cli", "sim.apps.bench", "sim.analysis.validate", "sim.analysis.attribution",
                 "sim.report.paper", "sim.sweep.engine", "sim.config.experiment", "matplotlib.pyplot"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    sim.simulate({"margin": {"accounts": 10}, "simulation": {"days": 2}}, 0)
    with contextlib.suppress(Exception):
        from sim.config.experiment import available_metrics

        available_metrics()


# ---------------------------------------------------------------------------- command line

EVENTS_0_SIZE = re.compile(r"events(\.0|\[0\])\.size")
EVENTS_9 = re.compile(r"events(\.9|\[9\])")  # the missing item is what is named
UNDER_WATER = re.compile(r"(?i)under ?water|exceed|negative equity|more than|greater than|above")
SWEEP = ["--serial", "--no-progress"]
TINY = ["--set", "margin.accounts=300", "--days", "5"]

CLI_CASES: list[tuple[str, list[str], Any]] = [
    # --set: the dotted-path editor
    ("set-field-below-a-number", ["run", "baseline", "--set", "margin.accounts.x=1"], "margin.accounts"),
    ("set-field-below-a-list-item-number", ["run", "finra-2026-05", "--set", "events.0.size.x=1"], EVENTS_0_SIZE),
    ("set-no-section", ["run", "baseline", "--set", "nosuch=1"], "nosuch"),
    ("set-unknown-section", ["run", "baseline", "--set", "nosuch.x=1"], "nosuch"),
    ("set-unknown-field", ["run", "baseline", "--set", "margin.nosuch=1"], "margin.nosuch"),
    ("set-not-an-integer", ["run", "baseline", "--set", "margin.accounts=abc"], "margin.accounts"),
    ("set-negative", ["run", "baseline", "--set", "margin.accounts=-5"], "margin.accounts"),
    ("set-float-for-integer", ["run", "baseline", "--set", "margin.accounts=1.5"], "margin.accounts"),
    ("set-price-too-small", ["run", "baseline", "--set", "market.initial_price=1e-300"], "market.initial_price"),
    ("set-nan", ["run", "baseline", "--set", "margin.leverage_mean=nan"], "margin.leverage_mean"),
    ("set-no-equals", ["run", "baseline", "--set", "a"], "--set"),
    ("set-empty-key", ["run", "baseline", "--set", "=1"], "--set"),
    ("set-section-to-a-number", ["run", "baseline", "--set", "margin=1"], "margin"),
    ("set-list-index-out-of-range", ["run", "baseline", "--set", "brokers.5.share=1"], "brokers"),
    ("set-list-index-not-a-number", ["run", "baseline", "--set", "brokers.x.share=1"], "brokers"),
    ("set-index-into-an-absent-list", ["run", "baseline", "--set", "events.0.size=1"],
     ("events", Absent("[0, -1]"))),  # an empty range is not an allowed range
    ("set-value-nested-5000-deep", ["run", "baseline", "--set", "margin.accounts=" + "[" * 5000 + "]" * 5000],
     "margin.accounts"),
    ("set-meta-name-slash", ["run", "baseline", "--set", "meta.name=a/b", *TINY], "meta.name"),
    ("set-meta-name-dotdot", ["run", "baseline", "--set", "meta.name=..", *TINY], "meta.name"),
    ("set-meta-name-absolute", ["run", "baseline", "--set", "meta.name={tmp}/escaped", *TINY], "meta.name"),
    ("show-set-field-below-a-number", ["show", "baseline", "--set", "margin.accounts.x=1"], "margin.accounts"),
    # seeds, days, mode
    ("seed-negative", ["run", "baseline", "--seed", "-1"], "seed"),
    ("seed-2^63", ["run", "baseline", "--seed", str(2**63)], "seed"),
    ("seed-not-a-number", ["run", "baseline", "--seed", "x"], "seed"),
    ("seed-float", ["run", "baseline", "--seed", "1.5"], "seed"),
    ("days-zero", ["run", "baseline", "--days", "0"], "days"),
    ("days-negative", ["run", "baseline", "--days", "-3"], "days"),
    ("days-not-a-number", ["run", "baseline", "--days", "x"], "days"),
    ("mode-unknown", ["run", "baseline", "--mode", "turbo"], "--mode"),
    # scenario files
    ("file-extends-an-integer", ["run", "{in}/extends-int.toml"], "meta.extends"),
    ("file-extends-a-list", ["run", "{in}/extends-list.toml"], "meta.extends"),
    ("file-extends-a-missing-file", ["run", "{in}/extends-missing.toml"], "meta.extends"),
    ("file-extends-a-non-toml-file", ["run", "{in}/extends-non-toml.toml"], ("meta.extends", Absent("hunter2"))),
    ("file-not-utf8", ["run", "{in}/latin1.toml"], "latin1.toml"),
    ("file-unreadable", ["run", "{in}/locked.toml"], "locked.toml"),
    ("file-is-a-folder", ["run", "{in}/folder.toml"], "folder.toml"),
    ("file-missing", ["run", "{in}/missing.toml"], "missing.toml"),
    ("file-nested-5000-deep", ["run", "{in}/deep.toml"], "deep.toml"),
    ("file-invalid-toml", ["run", "{in}/broken.toml"], "broken.toml"),
    ("file-unknown-section", ["run", "{in}/unknown-section.toml"], "nosuch"),
    ("file-unknown-field", ["run", "{in}/unknown-field.toml"], "margin.nosuch"),
    ("file-string-for-integer", ["run", "{in}/accounts-string.toml"], "margin.accounts"),
    ("file-float-for-integer", ["run", "{in}/days-float.toml"], "simulation.days"),
    ("file-integer-for-boolean", ["run", "{in}/channel-int.toml"], "channels.margin"),
    ("file-string-for-list", ["run", "{in}/assets-string.toml"], "market.assets"),
    ("file-number-for-list-section", ["run", "{in}/events-scalar.toml"], "events"),
    ("file-meta-name-slash", ["run", "{in}/name-slash.toml"], "meta.name"),
    ("file-meta-name-dotdot", ["run", "{in}/name-dotdot.toml"], "meta.name"),
    ("file-meta-name-absolute", ["run", "{in}/name-absolute.toml"], "meta.name"),
    # experiments
    ("sweep-name-slash", ["sweep", "{in}/exp-name-slash.toml", *SWEEP], "experiment.name"),
    ("sweep-name-dotdot", ["sweep", "{in}/exp-name-dotdot.toml", *SWEEP], "experiment.name"),
    ("sweep-name-absolute", ["sweep", "{in}/exp-name-absolute.toml", *SWEEP], "experiment.name"),
    ("sweep-path-into-an-absent-list", ["sweep", "{in}/exp-events9.toml", *SWEEP, "--out", "{tmp}/out"],
     EVENTS_9),
    ("sweep-unknown-design", ["sweep", "{in}/exp-design.toml", *SWEEP, "--out", "{tmp}/out"], "experiment.design"),
    ("sweep-replicates-zero", ["sweep", "{in}/exp-replicates-zero.toml", *SWEEP, "--out", "{tmp}/out"],
     "experiment.replicates"),
    ("sweep-root-seed-negative", ["sweep", "{in}/exp-seed-negative.toml", *SWEEP, "--out", "{tmp}/out"],
     "experiment.root_seed"),
    ("sweep-set-field-below-a-number", ["sweep", "{in}/exp-ok.toml", *SWEEP, "--out", "{tmp}/out", "--set",
                                        "margin.accounts.x=1"], "margin.accounts"),
    ("sweep-values-unknown-parameter", ["sweep", "{in}/exp-ok.toml", *SWEEP, "--values", "nosuch=1"], "nosuch"),
    ("sweep-values-without-equals", ["sweep", "{in}/exp-ok.toml", *SWEEP, "--values", "lev"], "--values"),
    ("sweep-workers-zero", ["sweep", "{in}/exp-ok.toml", "--workers", "0"], "--workers"),
    ("sweep-chunk-runs-zero", ["sweep", "{in}/exp-ok.toml", *SWEEP, "--chunk-runs", "0"], "--chunk-runs"),
    ("sweep-missing-file", ["sweep", "{in}/missing.toml", *SWEEP], "missing.toml"),
    # calculator
    ("account-under-water", ["account", "--value", "100", "--debt", "200"], ("--debt", UNDER_WATER)),
    ("balance-repaid-more-than-borrowed", ["balance", "--borrowed", "100", "--repaid", "200"], "--repaid"),
    ("account-negative-value", ["account", "--value", "-5", "--debt", "1"], "--value"),
    ("account-negative-debt", ["account", "--value", "100", "--debt", "-1"], "--debt"),
    ("account-maintenance-above-1", ["account", "--value", "100", "--debt", "1", "--maintenance", "1.5"],
     "--maintenance"),
    ("account-maintenance-negative", ["account", "--value", "100", "--debt", "1", "--maintenance", "-0.1"],
     "--maintenance"),
    ("account-initial-zero", ["account", "--value", "100", "--debt", "1", "--initial", "0"], "--initial"),
    ("account-value-not-a-number", ["account", "--value", "abc", "--debt", "1"], "--value"),
    ("account-value-nan", ["account", "--value", "nan", "--debt", "1"], "--value"),
    ("account-debt-infinite", ["account", "--value", "100", "--debt", "inf"], "--debt"),
    ("balance-negative-borrowed", ["balance", "--borrowed", "-1"], "--borrowed"),
    ("balance-negative-shares-borrowed", ["balance", "--borrowed", "1", "--shares-borrowed", "-1"],
     "--shares-borrowed"),
    ("balance-not-a-number", ["balance", "--borrowed", "x"], "--borrowed"),
    # usage
    ("unknown-command", ["nosuch"], "nosuch"),
    ("run-missing-scenario", ["run"], "scenario"),
    ("account-missing-debt", ["account", "--value", "1"], "--debt"),
    ("run-unknown-flag", ["run", "baseline", "--nosuch"], "--nosuch"),
    ("attribute-workers-zero", ["attribute", "baseline", "--workers", "0"], "--workers"),
    ("tail-unknown-metric", ["tail", "baseline", "--metric", "nosuch", "--threshold", "0.2"],
     ("--metric", "shock_drawdown")),  # the allowed metrics are listed
    ("tail-threshold-nan", ["tail", "baseline", "--threshold", "nan"], "--threshold"),
    ("tail-threshold-missing", ["tail", "baseline"], "--threshold"),
    ("tail-paths-zero", ["tail", "baseline", "--paths", "0", "--threshold", "0.2"], "--paths"),
    ("tail-seed-negative", ["tail", "baseline", "--seed", "-1", "--threshold", "0.2"], "--seed"),
    ("tail-workers-zero", ["tail", "baseline", "--workers", "0", "--threshold", "0.2"], "--workers"),
    ("tail-set-unknown-field", ["tail", "baseline", "--set", "margin.nosuch=1", "--threshold", "0.2"],
     "margin.nosuch"),
    ("figures-only-unknown", ["figures", "--quick", "--only", "nosuch", "--out", "{tmp}/out"], "--only"),
    ("dashboard-port-0", ["dashboard", "--port", "0"], "--port"),
    ("dashboard-port-70000", ["dashboard", "--port", "70000"], "--port"),
    ("dashboard-port-not-a-number", ["dashboard", "--port", "x"], "--port"),
    ("dashboard-host-unresolvable", ["dashboard", "--host", "not a host", "--port", "8799"], "--host"),
    ("dashboard-host-not-this-machine", ["dashboard", "--host", "192.0.2.1", "--port", "8799"], "--host"),
]
CLI_SETUP = {"file-unreadable": _deny("locked.toml")}


@pytest.mark.parametrize(("argv", "expected"), [pytest.param(a, e, id=i) for i, a, e in CLI_CASES])
def test_cli_bad_input(argv, expected, ins, capsys, monkeypatch, request):
    case = request.node.callspec.id
    if case in CLI_SETUP:
        CLI_SETUP[case](monkeypatch, ins)
    _check_cli(argv, expected, ins, capsys)


# --out: checked before the work. The sizes make the work itself take minutes (the watchdog stops it).
SLOW = ["--set", "margin.accounts=2000000", "--set", "simulation.days=252"]
OUT_COMMANDS = {
    "run": ["run", "baseline", *SLOW, "--no-figure"],
    "attribute": ["attribute", "baseline", *SLOW, "--workers", "1"],
    "bench": ["bench", "--quick"],
    "validate": ["validate", "--quick"],
    "figures": ["figures", "--quick"],
    "sweep": ["sweep", "{in}/exp-ok.toml", *SWEEP, *SLOW],
}
OUT_KINDS = {"existing-file": "{in}/a-file.txt", "below-a-file": "{in}/a-file.txt/out",
             "read-only-folder": "{in}/read-only"}


@pytest.mark.parametrize("kind", OUT_KINDS)
@pytest.mark.parametrize("command", OUT_COMMANDS)
def test_out_is_checked_before_the_work(command, kind, ins, capsys, monkeypatch):
    if kind == "read-only-folder":
        if os.geteuid() == 0:
            pytest.skip("root writes into a 0555 folder anyway; the other two kinds cover --out as root")
        _read_only(monkeypatch, ins)
    _check_cli([*OUT_COMMANDS[command], "--out", OUT_KINDS[kind]], "--out", ins, capsys)


SUBPROCESS_CASES = [
    ("set-field-below-a-number", ["run", "baseline", "--set", "margin.accounts.x=1"], "margin.accounts"),
    ("file-nested-5000-deep", ["run", "{in}/deep.toml"], "deep.toml"),
    ("unknown-command", ["nosuch"], "nosuch"),
]


@pytest.mark.parametrize(("argv", "expected"), [pytest.param(a, e, id=i) for i, a, e in SUBPROCESS_CASES])
def test_cli_bad_input_in_a_fresh_process(argv, expected, ins):
    """``python -m sim``: the same one line and exit code 2 from a real process (no in-process catch helps)."""
    before = _snapshot(ins.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-m", "sim", *_fill(argv, ins)], capture_output=True, text=True,
                         env=env, timeout=180)
    lines = res.stderr.splitlines()
    assert res.returncode == 2, f"exit code {res.returncode}, stderr {res.stderr[-300:]!r}"
    assert "Traceback" not in res.stderr and len(lines) == 1 and lines[0].strip(), res.stderr[-500:]
    _expect(lines[0], expected)
    assert _snapshot(ins.parent) == before


# ---------------------------------------------------------------------------- Python API

SMALL_DICT = {"margin": {"accounts": 200}, "simulation": {"days": 5}}
TINY_PARAMS = {"margin.accounts": 10, "simulation.days": 2}


def _load_experiment(path: Path) -> Any:
    from sim.config.experiment import load_experiment

    return load_experiment(path)


def _account(value: float, debt: float, maintenance: float = 0.30) -> Any:
    from sim.analysis.calculator import account_report

    return account_report(value, debt, maintenance)


API_CASES: list[tuple[str, Callable[[Path], Any], Any]] = [
    # sim.load
    ("load-overrides-as-a-string", lambda d: sim.load("baseline", "a=b"), "override"),
    ("load-override-not-a-string", lambda d: sim.load("baseline", [5]), "override"),
    ("load-override-without-equals", lambda d: sim.load("baseline", ["a"]), "override"),
    ("load-name-not-a-string", lambda d: sim.load(5), "scenario"),
    ("load-dict-with-unknown-keys", lambda d: sim.load({"nosuch": {}}), "nosuch"),
    ("load-set-field-below-a-number", lambda d: sim.load("baseline", ["margin.accounts.x=1"]), "margin.accounts"),
    ("load-set-field-below-a-list-item", lambda d: sim.load("finra-2026-05", ["events.0.size.x=1"]), EVENTS_0_SIZE),
    ("load-set-unknown-section", lambda d: sim.load("baseline", ["nosuch.x=1"]), "nosuch"),
    ("load-extends-an-integer", lambda d: sim.load(str(d / "extends-int.toml")), "meta.extends"),
    ("load-extends-a-list", lambda d: sim.load(str(d / "extends-list.toml")), "meta.extends"),
    ("load-extends-a-missing-file", lambda d: sim.load(str(d / "extends-missing.toml")), "meta.extends"),
    ("load-extends-a-non-toml-file", lambda d: sim.load(str(d / "extends-non-toml.toml")),
     ("meta.extends", Absent("hunter2"))),
    ("load-not-utf8", lambda d: sim.load(str(d / "latin1.toml")), "latin1.toml"),
    ("load-unreadable", lambda d: sim.load(str(d / "locked.toml")), "locked.toml"),
    ("load-nested-5000-deep", lambda d: sim.load(str(d / "deep.toml")), "deep.toml"),
    ("load-meta-name-slash", lambda d: sim.load(str(d / "name-slash.toml")), "meta.name"),
    ("load-meta-name-dotdot", lambda d: sim.load(str(d / "name-dotdot.toml")), "meta.name"),
    ("load-meta-name-absolute", lambda d: sim.load(str(d / "name-absolute.toml")), "meta.name"),
    # sim.simulate
    ("simulate-unknown-scenario", lambda d: sim.simulate("nosuch"), "nosuch"),
    ("simulate-seed-negative", lambda d: sim.simulate(SMALL_DICT, seed=-1), "seed"),
    ("simulate-seed-2^63", lambda d: sim.simulate(SMALL_DICT, seed=2**63), "seed"),
    ("simulate-seed-string", lambda d: sim.simulate(SMALL_DICT, seed="1"), "seed"),
    ("simulate-seed-float", lambda d: sim.simulate(SMALL_DICT, seed=1.0), "seed"),
    ("simulate-mode-unknown", lambda d: sim.simulate(SMALL_DICT, mode="x"), "mode"),
    ("simulate-dict-unknown-field", lambda d: sim.simulate({"margin": {"nosuch": 1}}), "margin.nosuch"),
    # sim.simulate_params
    ("simulate-params-a-list", lambda d: sim.simulate_params([("margin.accounts", 10)], 0), "params"),
    ("simulate-params-unknown-key", lambda d: sim.simulate_params({"nosuch.x": 1}, 0), "nosuch"),
    ("simulate-params-key-without-field", lambda d: sim.simulate_params({"margin": 1}, 0), "margin"),
    ("simulate-params-bad-value", lambda d: sim.simulate_params({"margin.accounts": -5}, 0), "margin.accounts"),
    ("simulate-params-bad-seed", lambda d: sim.simulate_params(TINY_PARAMS, -1, scenario="baseline"), "seed"),
    ("simulate-params-unknown-series",  # checked before the (full-size) run
     lambda d: sim.simulate_params({}, 0, series=["nosuch"]), "nosuch"),
    # sim.ensemble
    ("ensemble-seeds-empty", lambda d: sim.ensemble(SMALL_DICT, seeds=[]), "seeds"),
    ("ensemble-seed-negative", lambda d: sim.ensemble(SMALL_DICT, seeds=[1, -1]), "seeds[1]"),
    ("ensemble-params-length", lambda d: sim.ensemble(SMALL_DICT, seeds=2, params={"margin.leverage_mean": [1.5]}),
     ("params", "2 paths")),
    ("ensemble-params-unknown-field", lambda d: sim.ensemble(SMALL_DICT, seeds=1, params={"margin.nosuch": [1]}),
     "margin.nosuch"),
    ("ensemble-engine-unknown", lambda d: sim.ensemble(SMALL_DICT, seeds=1, engine="x"), "engine"),
    ("ensemble-workers-zero", lambda d: sim.ensemble(SMALL_DICT, seeds=1, workers=0), "workers"),
    # experiments
    ("experiment-name-slash", lambda d: _load_experiment(d / "exp-name-slash.toml"), "experiment.name"),
    ("experiment-name-dotdot", lambda d: _load_experiment(d / "exp-name-dotdot.toml"), "experiment.name"),
    ("experiment-name-absolute", lambda d: _load_experiment(d / "exp-name-absolute.toml"), "experiment.name"),
    ("experiment-path-into-an-absent-list", lambda d: _load_experiment(d / "exp-events9.toml"), EVENTS_9),
    ("experiment-unknown-path", lambda d: _load_experiment(d / "exp-unknown-path.toml"), "nosuch"),
    ("experiment-unknown-design", lambda d: _load_experiment(d / "exp-design.toml"), "experiment.design"),
    ("experiment-replicates-zero", lambda d: _load_experiment(d / "exp-replicates-zero.toml"),
     "experiment.replicates"),
    ("experiment-replicates-string", lambda d: _load_experiment(d / "exp-replicates-string.toml"),
     "experiment.replicates"),
    ("experiment-root-seed-negative", lambda d: _load_experiment(d / "exp-seed-negative.toml"),
     "experiment.root_seed"),
    ("experiment-root-seed-string", lambda d: _load_experiment(d / "exp-seed-string.toml"), "experiment.root_seed"),
    # calculator
    ("calculator-under-water", lambda d: _account(100.0, 200.0), ("debt", UNDER_WATER)),
    ("calculator-negative-value", lambda d: _account(-5.0, 1.0), "value"),
    ("calculator-maintenance-above-1", lambda d: _account(100.0, 1.0, 1.5), "maintenance"),
]
API_SETUP = {"load-unreadable": _deny("locked.toml")}


@pytest.mark.parametrize(("fn", "expected"), [pytest.param(f, e, id=i) for i, f, e in API_CASES])
def test_api_bad_input(fn, expected, ins, monkeypatch, request):
    case = request.node.callspec.id
    if case in API_SETUP:
        API_SETUP[case](monkeypatch, ins)
    before = _snapshot(ins.parent)
    _check_api(fn, expected, ins)
    assert _snapshot(ins.parent) == before


# Designs too large to enumerate: checked in a child process with a memory cap (a failure must not
# take the machine's memory with it); the time counts only the load, after a warm-up.
_DESIGN_CHILD = r"""
import json, resource, signal, sys, time
from sim.config.experiment import load_experiment
from sim.core.errors import InputError
load_experiment(sys.argv[1])  # warm: imports, the metric list, the base scenario
size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (size + 3 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
class Overran(BaseException): pass
def on_alarm(*_): raise Overran
signal.signal(signal.SIGALRM, on_alarm)
out = {}
for path in sys.argv[2:]:
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, 8)
    try:
        load_experiment(path)
        got = ["ok", ""]
    except InputError as exc:
        got = ["InputError", str(exc)]
    except Overran:
        got = ["still running after 8 s", ""]
    except BaseException as exc:
        got = [type(exc).__name__, str(exc)[:300]]
    signal.setitimer(signal.ITIMER_REAL, 0)
    out[path] = [*got, time.perf_counter() - start]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def huge_designs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    d = tmp_path_factory.mktemp("designs")
    for name in ("exp-ok.toml", "exp-huge-grid.toml", "exp-lhs-max.toml"):
        (d / name).write_text(str(FILES[name]))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", _DESIGN_CHILD, str(d / "exp-ok.toml"), str(d / "exp-huge-grid.toml"),
                          str(d / "exp-lhs-max.toml")], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.splitlines()[-1])
    return {Path(k).stem: v for k, v in got.items()}


def test_grid_too_large_to_enumerate_fails_fast_on_the_run_count(huge_designs):
    """4 parameters x 100,000 steps = 10^20 runs: refused from the count, not by building the points."""
    kind, msg, seconds = huge_designs["exp-huge-grid"]
    assert kind == "InputError", f"{kind}: {msg}"
    assert "runs" in msg and "\n" not in msg, msg
    assert seconds < DESIGN_LIMIT_S, f"took {seconds:.1f} s"


def test_lhs_at_the_maximum_size_loads_or_fails_fast(huge_designs):
    """samples = MAX_RUNS (10,000,000): loading must not build and validate ten million scenarios."""
    kind, msg, seconds = huge_designs["exp-lhs-max"]
    assert kind in ("ok", "InputError"), f"{kind}: {msg}"
    assert seconds < DESIGN_LIMIT_S, f"took {seconds:.1f} s ({kind})"


# ---------------------------------------------------------------------------- valid extremes and paths

EXTREMES = {  # sizes at the documented limits (sim.config.scenario.EVENT_SIZES)
    "price-gap-minus-0.999999": '[[events]]\nday = 3\nkind = "price_gap"\nsize = -0.999999\n',
    "fundamental-gap-minus-0.999999": '[[events]]\nday = 3\nkind = "fundamental_gap"\nsize = -0.999999\n',
    "price-gap-plus-10": '[[events]]\nday = 3\nkind = "price_gap"\nsize = 10.0\n',
    "vol-regime-x20": '[[events]]\nday = 1\nkind = "vol_regime"\nsize = 20.0\n',
    "lending-cut-to-1": '[[events]]\nday = 2\nkind = "lending_cut"\nsize = 1.0\n',
    "one-account-one-day": "",
}


@pytest.mark.parametrize("case", EXTREMES)
def test_valid_extreme_inputs_run_with_finite_prices(case, tmp_path, capsys):
    from sim.apps.cli import main

    size = "[margin]\naccounts = 1\n[simulation]\ndays = 1\n" if case == "one-account-one-day" else \
        "[margin]\naccounts = 300\n[simulation]\ndays = 30\n"
    scenario = tmp_path / "extreme.toml"
    scenario.write_text(size + EXTREMES[case])
    out = tmp_path / "out"
    code = main(["run", str(scenario), "--seed", "1", "--out", str(out), "--no-figure"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    ts = pd.read_parquet(out / "timeseries.parquet")
    prices = ts[[c for c in ts.columns if c.startswith("price_")] + ["index_level"]].to_numpy()
    assert len(ts) == (1 if case == "one-account-one-day" else 30)
    assert pd.notna(prices).all() and (abs(prices) < float("inf")).all() and (prices > 0).all()


def test_simulate_takes_a_path_like_a_string(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL.replace("days = 20", "days = 5"))
    by_path, by_str = sim.simulate(scenario, 2), sim.simulate(str(scenario), 2)
    assert by_path.summary == by_str.summary
    pd.testing.assert_frame_equal(by_path.timeseries, by_str.timeseries)


def test_load_takes_a_path_like_a_string(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL)
    assert sim.load(scenario, ["margin.accounts=7"]).hash() == sim.load(str(scenario), ["margin.accounts=7"]).hash()


def test_the_catalogue_is_large_enough():
    n = len(CLI_CASES) + len(OUT_COMMANDS) * len(OUT_KINDS) + len(SUBPROCESS_CASES) + len(API_CASES) + 2
    assert n >= 70
    for table in (CLI_CASES, API_CASES):
        assert len({case[0] for case in table}) == len(table), "ids must be distinct"
