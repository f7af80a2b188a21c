"""The committed experiment reports come out byte for byte again from their committed runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import experiments as ex
from sim.config.experiment import load_experiment
from sim.report.experiments import analyze
from sim.report.validation import report_markdown
from sim.sweep.store import read_runs, read_series

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
EXPERIMENTS = ("phase-diagram", "channel-ablation", "broker-tightening", "concentration", "sobol")
WRITTEN = ("summary.md", "attribution.json", "sobol.json")


def _copy_inputs(name: str, to: Path) -> Path:
    """The committed sweep folder's inputs (runs, series, manifest) without its report."""
    for f in (RESULTS / "experiments" / name).iterdir():
        if f.suffix == ".parquet" or f.name == "manifest.json":
            shutil.copy(f, to / f.name)
    return to


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_committed_summary_is_reproduced(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the summary names the experiment file as it was given: experiments/NAME.toml
    exp = load_experiment(Path("experiments") / f"{name}.toml", check_points=False)
    out = _copy_inputs(name, tmp_path)
    files = analyze(exp, read_runs(out), out)
    for f in files:
        if f.name in WRITTEN:
            assert f.read_bytes() == (RESULTS / "experiments" / name / f.name).read_bytes(), f.name
        else:
            assert f.suffix == ".png" and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f.stat().st_mode & 0o777 == 0o644
    assert {f.name for f in files} >= {"summary.md"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_results_are_typed_with_a_short_repr(tmp_path):
    out = _copy_inputs("broker-tightening", tmp_path)
    exp = load_experiment(ROOT / "experiments" / "broker-tightening.toml", check_points=False)
    tight = ex.tightening(exp, read_runs(out), read_series(out))
    assert isinstance(tight, ex.Tightening) and tight.identical and tight.shock_day == 60
    assert repr(tight) == "Tightening(shock_day=60, identical=True)"
    assert {"d_shock_drawdown", "d_shock_drawdown_ci"} <= set(tight.cells.columns)


def test_tightening_without_the_daily_index_is_a_clean_error(tmp_path):
    exp = load_experiment(ROOT / "experiments" / "broker-tightening.toml", check_points=False)
    runs = read_runs(_copy_inputs("broker-tightening", tmp_path))
    with pytest.raises(ValueError, match="needs the daily index") as err:
        ex.tightening(exp, runs, pd.DataFrame())
    assert "\n" not in str(err.value)


def test_committed_validation_report_is_reproduced():
    res = json.loads((RESULTS / "validation.json").read_text())
    assert report_markdown(res) == (RESULTS / "validation.md").read_text()
