"""Experiment files: bad input is one line, the design is counted before it is built, big designs load fast."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.config.experiment import MAX_RUNS, ExperimentError, load_experiment
from sim.config.outputs import DAILY_COLUMNS, MARKET_METRIC_NAMES, METRIC_NAMES, STOCK_METRIC_NAMES, daily_columns

HEAD = '[experiment]\nscenario = "{scenario}"\n'
PARAM = '[[parameters]]\nname = "{name}"\npath = "{path}"\n{range}\n'


def _exp(tmp_path: Path, *params: tuple[str, str, str], scenario: str = "baseline", extra: str = "",
         name: str = "exp.toml") -> Path:
    text = HEAD.format(scenario=scenario) + extra + "".join(PARAM.format(name=n, path=p, range=r) for n, p, r in params)
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(path: Path, **kw) -> str:
    with pytest.raises(ExperimentError) as err:
        load_experiment(path, **kw)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ")
    return msg


def test_a_path_into_a_list_the_scenario_lacks(tmp_path):
    msg = _error(_exp(tmp_path, ("shock", "events.9.size", "values = [-0.1, -0.2]")))
    assert "design point 0 (shock=-0.1): events.9: the scenario has no events" in msg
    msg = _error(_exp(tmp_path, ("shock", "events.9.size", "values = [-0.1]"), scenario="finra-2026-05"))
    assert "events.9: the scenario has 2 events; must be an item number in [0, 1]" in msg


def test_a_huge_grid_fails_at_once_before_any_list_is_built(tmp_path):
    params = [(n, f"margin.{f}", "low = 0.2\nhigh = 0.8\nsteps = 100000")
              for n, f in (("a", "concentration"), ("b", "buy_speed"), ("c", "sell_speed"))]
    start = time.perf_counter()
    msg = _error(_exp(tmp_path, *params))
    assert time.perf_counter() - start < 1.0
    assert f"design: 1,000,000,000,000,000 runs; must be at most {MAX_RUNS:,}" in msg


def test_an_lhs_design_at_max_size_loads_fast_and_its_ranges_are_checked(tmp_path):
    extra = f'design = "lhs"\nsamples = {MAX_RUNS}\n'
    good = _exp(tmp_path, ("lev", "margin.leverage_mean", "low = 1.1\nhigh = 1.9"),
                ("conc", "margin.concentration", "low = 0.1\nhigh = 0.9"), extra=extra)
    start = time.perf_counter()
    exp = load_experiment(good)
    assert time.perf_counter() - start < 2.0 and exp.n_runs == MAX_RUNS
    bad = _exp(tmp_path, ("lev", "margin.leverage_mean", "low = 1.1\nhigh = 1.9"),
               ("conc", "margin.concentration", "low = 0.1\nhigh = 1.5"), extra=extra, name="bad.toml")
    msg = _error(bad)
    assert "parameter 'conc' = 1.5" in msg and "margin.concentration = 1.5: must be a finite number in [0, 1]" in msg
    sobol = _exp(tmp_path, ("lev", "margin.leverage_mean", "low = 1.1\nhigh = 1.9"),
                 extra=extra.replace("lhs", "sobol"), name="sobol.toml")
    assert f"design: {3 * MAX_RUNS:,} runs" in _error(sobol)


def test_divide_by_a_range_through_zero(tmp_path):
    path = _exp(tmp_path, ("depth", "impact.multiplier", 'op = "divide"\nlow = -1.0\nhigh = 2.0'),
                extra='design = "lhs"\nsamples = 4\n')
    assert "op 'divide' on impact.multiplier by a range that includes 0" in _error(path)


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".."])
def test_the_experiment_name_is_a_plain_name(tmp_path, name):
    path = _exp(tmp_path, ("lev", "margin.leverage_mean", "values = [1.2]"), extra=f'name = "{name}"\n')
    assert "experiment.name = " in _error(path) and "must be a plain name" in _error(path)


BAD = [
    ("replicates = true\n", "experiment.replicates = True: must be an integer in [1, 100000]"),
    ("root_seed = -1\n", "experiment.root_seed = -1: must be an integer in [0, 9223372036854775807]"),
    ('seeds = "same"\n', "experiment.seeds = 'same': must be one of 'common', 'independent'"),
    ('metrics = []\n', "experiment.metrics = []: must be a list of 1 to 10000 strings"),
    ('metrics = ["max_drawdon"]\n', "'max_drawdon' is not a metric"),
    ('set = "margin.accounts=1"\n', "experiment.set = 'margin.accounts=1': must be a list of strings"),
    ('set = ["margin.accounts"]\n', "set[0]: scenario override 'margin.accounts': must look like"),
    ("workers = 3\n", "experiment.workers: unknown field"),
    ("samples = 4\n", "experiment.samples: only for design 'lhs' or 'sobol'"),
]


@pytest.mark.parametrize(("extra", "expected"), BAD, ids=[b[0].strip() for b in BAD])
def test_bad_experiment_fields(tmp_path, extra, expected):
    path = _exp(tmp_path, ("lev", "margin.leverage_mean", "values = [1.2]"), extra=extra)
    assert expected in _error(path)


def test_bad_files_and_values(tmp_path):
    with pytest.raises(ExperimentError, match=r"experiment file '.*none\.toml': not found"):
        load_experiment(tmp_path / "none.toml")
    (tmp_path / "x.toml").write_bytes(b"\xff[experiment]\n")
    with pytest.raises(ExperimentError, match="not UTF-8"):
        load_experiment(tmp_path / "x.toml")
    path = _exp(tmp_path, ("lev", "margin.leverage_mean", "values = [1.2]"))
    assert "values nope: no such parameter; parameters: lev" in _error(path, values={"nope": [1]})
    assert "scenario overrides = 'a=b': must be a list" in _error(path, overrides="a=b")
    rel = _exp(tmp_path, ("lev", "margin.leverage_mean", "values = [1.2]"), scenario="sub/mine.toml", name="rel.toml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.toml").write_text("[margin]\naccounts = 33\n")
    exp = load_experiment(rel)  # a scenario path is relative to the experiment file, not the cwd
    assert exp.scenario == str((tmp_path / "sub" / "mine.toml").resolve())
    assert exp.scenario_for({"lev": 1.2}).margin.accounts == 33


def test_output_names_match_a_real_run():
    from sim.run.params import flat_metrics
    from sim.run.simulate import simulate

    result = simulate({"margin": {"accounts": 10}, "simulation": {"days": 2}}, 0)
    names = [k for k in flat_metrics(result.summary["metrics"]) if not k.startswith("regime_days.")]
    assert names == [m for m in MARKET_METRIC_NAMES if not m.startswith("regime_days.")]
    assert METRIC_NAMES == (*MARKET_METRIC_NAMES, *STOCK_METRIC_NAMES)
    assert tuple(result.timeseries.columns) == (*DAILY_COLUMNS[:3], "price_market", "fundamental_market",
                                                *DAILY_COLUMNS[3:])
    funds = simulate({"margin": {"accounts": 10}, "simulation": {"days": 2}, "value_funds": {"count": 2}}, 0)
    assert set(funds.timeseries.columns) == set(daily_columns(["market"], value_funds=True))


def test_the_config_layer_imports_without_the_heavy_stack():
    heavy = "{'numba', 'pandas', 'scipy', 'mesa', 'matplotlib'}"
    code = ("import sys, sim.config.scenario, sim.config.experiment; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
