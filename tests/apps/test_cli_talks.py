"""A CLI that talks: help for every command and argument, progress bars when asked, the field
reference (`show --schema`), plain words in the summaries."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from sim.apps.cli import build_parser, main
from sim.config.scenario import load
from sim.config.schema import VolControl, scenario_schema

SMALL = ["--set", "margin.accounts=300", "--set", "simulation.days=70"]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_a_description_examples_and_help_for_each_argument(name):
    parser = _subcommands()[name]
    assert len(parser.description) > 60, name
    assert parser.epilog.startswith("examples:\n") and f"marginsim {name}" in parser.epilog
    undocumented = [a.dest for a in parser._actions if not a.help or a.help == argparse.SUPPRESS]
    assert not undocumented, f"{name}: arguments without help: {undocumented}"


# ------------------------------------------------------------------------------ show

def test_show_prints_the_full_scenario_with_sections_left_at_their_defaults(capsys):
    assert main(["show", "baseline"]) == 0
    data = json.loads(capsys.readouterr().out)
    spec = load("baseline")
    assert data["scenario_hash"] == spec.hash()
    assert data["scenario"] == spec.to_dict(full=True)
    assert data["scenario"]["vol_control"] == dataclasses.asdict(VolControl())  # a section baseline leaves alone
    assert data["scenario"]["channels"]["value_funds"] is True and "value_funds" not in spec.to_dict()["channels"]
    assert data["scenario"]["meta"]["start_date"] == ""


def test_show_schema_lists_every_field_with_value_type_range_unit_and_default(capsys):
    assert main(["show", "finra-2026-05", "--schema", "--set", "margin.accounts=77"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    for row in scenario_schema():
        if row["type"] not in ("table", "list of tables"):
            assert any(line.startswith(f"  {row['path']} = ") for line in lines), row["path"]
    at = lines.index("  margin.accounts = 77")
    assert lines[at + 1] == "      integer in [1, 100000000]; default 100000"
    at = lines.index("  simulation.days = 252")
    assert lines[at + 1] == "      integer in [1, 100000], trading days; default 252"
    assert "  brokers.*.house_maintenance = [0.3, 0.35]" in lines
    assert "[margin]  Margin investors: size of the book (scaled to FINRA totals), rules and behaviour." in lines
    assert any(line.startswith("[[brokers]]  2 here (1 to 64 brokers; default 1 broker).") for line in lines)
    assert "rate_shock" in text and "0.01 = +100 bp" in text  # what an event's size means, per kind
    assert max(len(line) for line in lines) <= 110


def test_show_schema_json_has_every_schema_row_and_its_value(capsys):
    assert main(["show", "covid-2020", "--schema", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario_name"] == "covid-2020" and data["scenario_hash"] == load("covid-2020").hash()
    rows = {row["path"]: row for row in data["fields"]}
    expected = [row["path"] for row in scenario_schema() if not row["path"].endswith(".*")]
    assert list(rows) == expected
    assert rows["meta.start_date"]["value"] == "2020-01-31"
    assert rows["events"]["value"] == len(load("covid-2020").events)
    assert rows["brokers.*.share"]["value"] == [b.share for b in load("covid-2020").brokers]
    assert {"path", "type", "allowed", "unit", "default", "doc"} <= set(rows["margin.leverage_mean"])
    assert "value" not in rows["margin"]  # a table's fields carry the values


# ------------------------------------------------------------------------------ progress bars

def test_run_draws_a_bar_of_the_days_only_when_asked(tmp_path, capsys):
    args = ["run", "baseline", *SMALL, "--no-figure", "--out", str(tmp_path / "a")]
    assert main(args) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""  # stderr is not a terminal here: no bar unless asked
    assert main([*args, "--progress"]) == 0
    talking = capsys.readouterr()
    assert "baseline" in talking.err and "day" in talking.err and "70" in talking.err
    assert talking.out.splitlines()[1:] == quiet.out.splitlines()[1:]  # the same summary (timings aside)
    assert main([*args, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_run_says_when_it_compiles_the_engine(tmp_path, capsys, monkeypatch):
    from sim.model import compiled

    args = ["run", "baseline", *SMALL, "--no-figure", "--out", str(tmp_path / "a"), "--progress"]
    monkeypatch.setattr(compiled, "needs_compile", lambda: True)
    assert main(args) == 0
    assert "compiling kernels (once, about" in capsys.readouterr().err
    monkeypatch.setattr(compiled, "needs_compile", lambda: False)
    assert main(args) == 0
    assert "compiling" not in capsys.readouterr().err


def test_attribute_draws_a_bar_of_the_16_runs(tmp_path, capsys):
    assert main(["attribute", "finra-2026-05", *SMALL, "--workers", "1", "--out", str(tmp_path),
                 "--progress"]) == 0
    captured = capsys.readouterr()
    assert "/16" in captured.err and "run" in captured.err  # the last update may fall inside tqdm's refresh interval
    assert "16 runs in" in captured.out and "total" in captured.out


def test_figures_bar_names_the_figure_being_built(tmp_path, capsys):
    assert main(["figures", "--quick", "--only", "finra_margin_debt", "--out", str(tmp_path), "--progress"]) == 0
    captured = capsys.readouterr()
    assert "finra_margin_debt" in captured.err and "/1" in captured.err
    assert "1 figure in" in captured.out


# ------------------------------------------------------------------------------ words

def test_run_summary_says_1_round_not_1_rounds(tmp_path, capsys):
    assert main(["run", "baseline", *SMALL, "--no-figure", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "at most 1 round per substep; 0 substeps hit the round cap" in out
    assert "70 days x 300 accounts" in out


def test_a_dated_run_prints_its_dates(tmp_path, capsys):
    assert main(["run", "volmageddon-2018", "--set", "margin.accounts=300", "--no-figure", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "63 days (2018-01-31 to 2018-05-01) x 300 accounts" in out
    assert "shock        day 2, 2018-02-02:" in out


def _fake_validation(mode: str) -> dict:
    target = {"label": "excess kurtosis", "range": "5 to 27", "simulated_median": 4.2, "real": 8.2,
              "met": False, "miss": 0.8}
    return {"mode": mode, "seconds": 1.0, "targets": [target, {**target, "met": True, "miss": 0.0}]}


@pytest.mark.parametrize("quick", [True, False])
def test_validate_says_quick_mode_is_a_smoke_test_expected_to_miss(quick, monkeypatch, tmp_path, capsys):
    import sim.analysis.validate as validate
    import sim.report.validation as report

    monkeypatch.setattr(validate, "validate", lambda sizes, on_progress=None: _fake_validation(
        "quick" if sizes == validate.QUICK else "full"))
    monkeypatch.setattr(report, "write", lambda res, out: [])
    assert main(["validate", "--out", str(tmp_path), *(["--quick"] if quick else [])]) == 0
    out = capsys.readouterr().out
    assert ("smoke test" in out and "expected to miss some targets" in out) == quick
    assert ("not met in quick mode (off by 0.800)" in out) == quick
    assert ("NOT met (off by 0.800)" in out) == (not quick)
