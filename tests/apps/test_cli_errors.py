"""The command line's contract: help for every command, one-line errors with the right flag and
exit code, output folders refused before any work, impossible arithmetic refused, fast start."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.apps.cli import build_parser, main
from sim.apps.cli.program import flag_message
from sim.core.errors import InputError
from sim.model.invariants import InvariantError

HEAVY = ("numba", "mesa", "pandas", "scipy", "matplotlib", "dask")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


# --------------------------------------------------------------------------------------- help
@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_a_description_examples_and_argument_help(name):
    parser = _subcommands()[name]
    assert parser.description and len(parser.description) > 40
    assert parser.epilog.startswith("examples:\n") and f"marginsim {name}" in parser.epilog
    for action in parser._actions:
        assert action.help, f"marginsim {name}: {action.option_strings or action.dest} has no help"
    assert "examples:" in parser.format_help()


def test_dashboard_listens_on_this_machine_only_by_default():
    import inspect

    from sim.apps.dashboard.server import serve

    assert build_parser().parse_args(["dashboard"]).host == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


# ----------------------------------------------------------------------------- error mapping
@pytest.mark.parametrize(("field", "message", "shown"), [
    ("out", "out '/x': must be a folder, not a file", "--out '/x': must be a folder, not a file"),
    ("scheduler", "scheduler 'nonsense': cannot connect", "--scheduler 'nonsense': cannot connect"),
    ("values", "values levrage: no such parameter", "--values levrage: no such parameter"),
    ("scenario override", "scenario override 'x': must look like section.field=value",
     "--set 'x': must look like section.field=value"),
    ("seed", "seed = -1: must be an integer in [0, 9]", "--seed -1: must be an integer in [0, 9]"),
    ("chunk_runs", "chunk_runs = 0: must be in [1, 9]", "--chunk-runs 0: must be in [1, 9]"),
    ("out", "output folder is busy", "--out: output folder is busy"),  # "out" only as a whole word
    ("out", "--out 'x': must be a folder", "--out 'x': must be a folder"),  # already a flag
    ("margin.accounts", "margin.accounts = -5: must be >= 1", "margin.accounts = -5: must be >= 1"),
    (None, "scenario 'nope': unknown", "scenario 'nope': unknown"),
])
def test_fields_are_shown_as_their_flags(field, message, shown):
    assert flag_message(InputError(message, field=field)) == shown


def _raise(exc: BaseException):
    def handler(*args, **kwargs):
        raise exc
    return handler


def test_library_input_error_is_one_line_exit_2_naming_the_flag(monkeypatch, tmp_path, capsys):
    import sim.run.simulate

    monkeypatch.setattr(sim.run.simulate, "simulate", _raise(InputError("out 'x': cannot write", field="out")))
    assert main(["run", "baseline", "--out", str(tmp_path / "o")]) == 2
    assert _one_line(capsys) == "marginsim: error: --out 'x': cannot write"


def test_invariant_error_is_one_line_exit_3(monkeypatch, tmp_path, capsys):
    import sim.run.simulate

    monkeypatch.setattr(sim.run.simulate, "simulate", _raise(InvariantError("day 3: cash\nnot conserved")))
    assert main(["run", "baseline", "--out", str(tmp_path / "o")]) == 3
    line = _one_line(capsys)
    assert line.startswith("marginsim: invariant violated (a bug") and line.endswith("day 3: cash not conserved")


def test_argument_errors_are_one_line_exit_2(capsys):
    for args in (["run"], ["nope"], ["sweep", "x.toml", "--workers", "0"], ["dashboard", "--port", "x"],
                 ["attribute", "baseline", "--workers", "300"], ["account", "--value", "1"]):
        assert main(args) == 2
        assert _one_line(capsys).startswith("marginsim")


# ------------------------------------------------------------------------ --out before the work
WORK = {  # command -> (module, function) that does the long work: it must not be reached
    "run": ("sim.run.simulate", "simulate"),
    "attribute": ("sim.analysis.attribution", "attribute"),
    "bench": ("sim.apps.bench", "measure"),
    "validate": ("sim.analysis.validate", "validate"),
    "figures": ("sim.report.paper", "build_all"),
}
ARGS = {"run": ["run", "baseline"], "attribute": ["attribute", "baseline"], "bench": ["bench", "--quick"],
        "validate": ["validate", "--quick"], "figures": ["figures", "--quick"]}


@pytest.fixture
def read_only_dir(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root ignores the mode: use a folder no one may create files in
        folder = Path("/proc/1")
        if not folder.is_dir() or os.access(folder, os.W_OK):
            pytest.skip("no read-only folder available")
    yield folder
    (tmp_path / "ro").chmod(0o755)


@pytest.mark.parametrize("kind", ["existing file", "under a file", "read-only folder", "under a read-only folder"])
@pytest.mark.parametrize("command", sorted(WORK))
def test_unusable_out_is_refused_before_any_work(command, kind, tmp_path, read_only_dir, monkeypatch, capsys):
    import importlib

    module, name = WORK[command]
    monkeypatch.setattr(importlib.import_module(module), name, _raise(AssertionError("the work started")))
    file = tmp_path / "file"
    file.write_text("keep me")
    out = {"existing file": file, "under a file": file / "sub", "read-only folder": read_only_dir,
           "under a read-only folder": read_only_dir / "new"}[kind]
    before = sorted(tmp_path.rglob("*"))
    assert main([*ARGS[command], "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"marginsim {command}: --out ") and str(out) in line
    assert sorted(tmp_path.rglob("*")) == before and file.read_text() == "keep me"


# ----------------------------------------------------------------------------- the arithmetic
def test_account_under_water_is_refused_in_one_line(capsys):
    for debt in ("200", "100"):
        assert main(["account", "--value", "100", "--debt", debt]) == 2
        line = _one_line(capsys)
        assert "under water" in line and f"--debt {debt}" in line
    assert capsys.readouterr().out == ""


def test_account_already_in_call_says_so(capsys):
    assert main(["account", "--value", "100", "--debt", "80"]) == 0
    out = capsys.readouterr().out
    assert "Already below maintenance: a call of $10.00 is due now" in out and "rise 14.29%" in out


def test_balance_cannot_be_negative(capsys):
    assert main(["balance", "--borrowed", "100", "--repaid", "200"]) == 2
    line = _one_line(capsys)
    assert "--repaid 200" in line and "cannot be negative" in line
    assert main(["balance", "--borrowed", "100", "--shares-borrowed", "50", "--repaid", "150"]) == 0
    assert "margin balance $0.00" in capsys.readouterr().out
    for bad in (["--borrowed", "nan"], ["--borrowed", "1", "--repaid", "-1"], ["--borrowed", "1e16"]):
        assert main(["balance", *bad]) == 2
        assert "must be" in _one_line(capsys)


def test_balance_json(capsys):
    assert main(["balance", "--borrowed", "10000", "--shares-borrowed", "5000", "--repaid", "3000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"borrowed": 10000.0, "shares_borrowed": 5000.0,
                                                   "repaid": 3000.0, "margin_balance": 12000.0}


# ----------------------------------------------------------------------------- fast start-up
def _heavy_modules_after(code: str) -> list[str]:
    probe = (f"import sys, contextlib, io\n{code}\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_help_and_version_load_no_heavy_package():
    assert _heavy_modules_after("from sim.apps.cli import build_parser\n"
                                "for a in (['--help'], ['--version'], ['run', '--help']):\n"
                                "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
                                "        build_parser().parse_args(a)") == []


@pytest.mark.parametrize("args", [["scenarios"], ["show", "baseline"], ["account", "--value", "9", "--debt", "1"],
                                  ["balance", "--borrowed", "9"]], ids=" ".join)
def test_quick_commands_load_no_heavy_package(args):
    assert _heavy_modules_after("from sim.apps.cli import main\n"
                                f"with contextlib.redirect_stdout(io.StringIO()): main({args!r})") == []


def test_dashboard_timing_checks_its_inputs_and_writes_json(tmp_path, capsys):
    assert main(["dashboard-timing", "--days", "252", "--accounts", "300"]) == 2
    assert _one_line(capsys).startswith("marginsim: error: --days 252: must be an integer in [1, 251]")
    assert main(["dashboard-timing", "--accounts", "-5"]) == 2
    assert "--accounts" in _one_line(capsys)
    assert main(["dashboard-timing", "--days", "2", "--out", str(tmp_path)]) == 2
    assert "must be a file, not a folder" in _one_line(capsys)
    out = tmp_path / "t" / "timing.json"
    assert main(["dashboard-timing", "--accounts", "300", "--days", "2", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["accounts"] == 300 and data["days"] == 2 and data["step_median_s"] > 0
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
