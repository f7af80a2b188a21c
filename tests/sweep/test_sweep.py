"""The sweep engine: designs, seeds, resume, failures, and identical results serially, in a pool and on Dask."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.apps.cli import main
from sim.config.experiment import load_experiment
from sim.core.errors import InputError
from sim.sweep import tasks as tasks_mod
from sim.sweep.design import build_design, run_seed
from sim.sweep.engine import run_sweep
from sim.sweep.store import read_runs

TINY = """
[experiment]
name = "tiny"
scenario = "finra-2026-05"
set = ["margin.accounts=400", "simulation.days=24", "events.0.day=12", "events.1.day=12"]
design = "grid"
replicates = {replicates}
root_seed = 42
metrics = ["max_drawdown", "shock_drawdown", "forced_sales_usd", "channel_flows.letf.sold_usd"]
series = ["index_level"]

[[parameters]]
name = "leverage"
path = "margin.leverage_mean"
values = [1.3, 1.6, 1.9]

[[parameters]]
name = "shock"
paths = ["events.0.size", "events.1.size"]
low = -0.15
high = -0.05
steps = {steps}
"""
"""27 runs by default (3 x 3 points x 3 replicates) of 400 accounts over 24 days: ~0.03 s each."""


def _write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return _write(tmp_path, TINY.format(replicates=3, steps=3))


LONG_RUNS = 180  # runs in long_tiny: 3 leverages x 5 shocks x 12 replicates


@pytest.fixture(scope="module")
def long_tiny(tmp_path_factory) -> tuple[Path, Path]:
    """A 180-run sweep and its process-pool result: long enough (a few seconds) to be killed in the middle,
    with room for a loaded machine to be slow between the first chunk and the kill."""
    folder = tmp_path_factory.mktemp("long")
    exp_path = _write(folder, TINY.format(replicates=12, steps=5))
    ref = folder / "reference"
    run_sweep(load_experiment(exp_path), ref, executor="pool", workers=2, progress=False)
    return exp_path, ref


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", *args, "--no-progress"]


# ---------------------------------------------------------------------------- designs and seeds

def test_grid_lhs_and_saltelli_designs(tmp_path):
    exp = load_experiment(_write(tmp_path, TINY.format(replicates=2, steps=4)))
    design = build_design(exp)
    assert len(design.points) == 3 * 4 and design.n_runs == 24
    assert sorted({p["shock"] for p in design.points}) == pytest.approx([-0.15, -0.11666667, -0.08333333, -0.05])

    lhs_text = TINY.format(replicates=1, steps=3).replace('design = "grid"', 'design = "lhs"\nsamples = 10')
    lhs_text = lhs_text.replace("values = [1.3, 1.6, 1.9]", "low = 1.2\nhigh = 1.9").replace("steps = 3\n", "")
    lhs = build_design(load_experiment(_write(tmp_path, lhs_text, "lhs.toml")))
    for name, lo, hi in (("leverage", 1.2, 1.9), ("shock", -0.15, -0.05)):
        strata = np.floor((np.array([p[name] for p in lhs.points]) - lo) / (hi - lo) * 10)
        assert sorted(strata) == list(range(10))  # a Latin hypercube: one point in each of 10 strata
    assert lhs.points == build_design(load_experiment(tmp_path / "lhs.toml")).points  # deterministic

    sob = build_design(load_experiment(_write(tmp_path, lhs_text.replace('"lhs"', '"sobol"').replace(
        "samples = 10", "samples = 8"), "sobol.toml")))
    assert len(sob.points) == 8 * (2 + 2) and sob.problem["names"] == ["leverage", "shock"]
    a, b = sob.points[0], sob.points[3]  # Saltelli blocks: A, AB_1, AB_2, B
    assert sob.points[1] == {"leverage": b["leverage"], "shock": a["shock"]}
    assert sob.points[2] == {"leverage": a["leverage"], "shock": b["shock"]}


def test_run_seeds_are_children_of_the_root(tmp_path):
    children = np.random.SeedSequence(42).spawn(5)
    for i, child in enumerate(children):
        assert run_seed(42, i) == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert len({run_seed(42, i) for i in range(100)}) == 100


# ---------------------------------------------------------------------------- results

def test_serial_and_pool_identical_and_rerun_skips_everything(tiny, tmp_path, capsys):
    exp = load_experiment(tiny)
    serial = run_sweep(exp, tmp_path / "serial", executor="serial", progress=False)
    assert serial.new == 27 and serial.failed == 0
    assert main(["sweep", str(tiny), "--workers", "2", "--out", str(tmp_path / "pool"), "--chunk-runs", "4",
                 "--no-progress"]) == 0
    assert "27 new, 0 failed" in capsys.readouterr().out
    for name in ("runs.parquet", "series.parquet"):
        assert _digest(tmp_path / "serial" / name) == _digest(tmp_path / "pool" / name)
    runs = pd.read_parquet(tmp_path / "pool" / "runs.parquet")
    assert list(runs["run_id"]) == list(range(27)) and (runs["status"] == "ok").all()
    assert list(runs.columns[:5]) == ["run_id", "point", "replicate", "leverage", "shock"]
    # common random numbers: replicate r has the same seed at every point, child r of the root
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all()
    assert list(runs["seed"][:3]) == [run_seed(42, r) for r in range(3)]
    # a run is reproducible by hand from its row
    row = runs.iloc[7]
    point = {"leverage": row["leverage"], "shock": row["shock"]}
    by_hand = sim.simulate(exp.scenario_for(point), int(row["seed"])).summary["metrics"]
    assert by_hand["max_drawdown"] == row["max_drawdown"] and exp.scenario_for(point).hash() == row["scenario_hash"]
    manifest = json.loads((tmp_path / "pool" / "manifest.json").read_text())
    assert manifest["root_seed"] == 42 and manifest["status"] == "complete" and manifest["version"] == sim.__version__
    assert manifest["scenarios"]["finra-2026-05"]["hash"] == sim.load("finra-2026-05", exp.overrides).hash()
    assert manifest["design"]["runs"] == 27 and manifest["counts"] == {"runs": 27, "ok": 27, "error": 0}
    series = pd.read_parquet(tmp_path / "pool" / "series.parquet")
    assert len(series) == 27 * 24 and set(series.columns) == {"run_id", "day", "index_level"}

    before = _digest(tmp_path / "pool" / "runs.parquet")
    again = run_sweep(exp, tmp_path / "pool", executor="serial", progress=False)
    assert (again.skipped, again.new) == (27, 0) and _digest(tmp_path / "pool" / "runs.parquet") == before


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tiny, tmp_path, monkeypatch):
    real, real_ensemble = tasks_mod.simulate, tasks_mod.ensemble

    def flaky(spec, seed):
        if spec.margin.leverage_mean == 1.6:
            raise FloatingPointError("boom\nsecond line")
        return real(spec, seed)

    def flaky_ensemble(scenario, seeds, params=None, **kw):  # a batch with a failing run raises as a whole
        if 1.6 in (params or {}).get("margin.leverage_mean", [scenario["margin"]["leverage_mean"]]):
            raise FloatingPointError("boom")
        return real_ensemble(scenario, seeds, params=params, **kw)

    monkeypatch.setattr(tasks_mod, "simulate", flaky)
    monkeypatch.setattr(tasks_mod, "ensemble", flaky_ensemble)
    report = run_sweep(load_experiment(tiny), tmp_path / "out", executor="serial", progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    bad = runs[runs["leverage"] == 1.6]
    assert report.failed == 9 and len(runs) == 27 and (bad["status"] == "error").all()
    assert (bad["error"] == "FloatingPointError: boom second line").all() and bad["max_drawdown"].isna().all()
    assert (runs.loc[runs["leverage"] != 1.6, "status"] == "ok").all()
    # a rerun keeps the failures; --retry-failed runs them again
    monkeypatch.setattr(tasks_mod, "simulate", real)
    monkeypatch.setattr(tasks_mod, "ensemble", real_ensemble)
    assert run_sweep(load_experiment(tiny), tmp_path / "out", executor="serial", progress=False).new == 0
    retried = run_sweep(load_experiment(tiny), tmp_path / "out", executor="serial", progress=False,
                        retry_failed=True)
    assert retried.new == 9 and retried.failed == 0
    assert (pd.read_parquet(tmp_path / "out" / "runs.parquet")["status"] == "ok").all()


def test_other_experiment_in_the_same_folder_is_refused(tiny, tmp_path, capsys):
    run_sweep(load_experiment(tiny), tmp_path / "out", executor="serial", progress=False)
    assert main(["sweep", str(tiny), "--serial", "--out", str(tmp_path / "out"), "--set", "margin.accounts=500",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different experiment" in err[0]


def test_bad_scheduler_address_is_one_line_and_writes_nothing(tiny, tmp_path, capsys):
    assert main(["sweep", str(tiny), "--scheduler", "nonsense", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scheduler 'nonsense': cannot connect" in err[0]
    assert not (tmp_path / "out").exists()


def test_values_option_runs_a_subset(tiny, tmp_path, capsys):
    assert main(["sweep", str(tiny), "--serial", "--values", "leverage=1.3,1.9", "--out", str(tmp_path / "a"),
                 "--no-progress"]) == 0
    runs = pd.read_parquet(tmp_path / "a" / "runs.parquet")
    assert sorted(runs["leverage"].unique()) == [1.3, 1.9] and len(runs) == 2 * 3 * 3
    assert main(["sweep", str(tiny), "--serial", "--values", "levrage=1.3", "--out", str(tmp_path / "b")]) == 2
    assert "values levrage: no such parameter" in capsys.readouterr().err


def _wait_for_chunks(folder: Path, proc: subprocess.Popen, timeout: float = 60.0) -> pd.DataFrame:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = sorted((folder / "chunks").glob("part-*.parquet"))
        if parts:
            return pd.concat([pd.read_parquet(p) for p in parts])
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no chunk written in time")


def test_killed_pool_worker_loses_nothing_and_the_sweep_completes(long_tiny, tmp_path):
    exp_path, ref = long_tiny
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(str(exp_path), "--workers", "2", "--out", str(out), "--chunk-runs", "3"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = _wait_for_chunks(out, proc)
        os.kill(int(first["worker"].iloc[0].rsplit(":", 1)[1]), signal.SIGKILL)  # a live pool worker
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "worker process(es) lost" in stdout and f"{LONG_RUNS} new, 0 failed" in stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(first["run_id"]) <= set(runs["run_id"]) and len(runs) == LONG_RUNS
    assert _digest(out / "runs.parquet") == _digest(ref / "runs.parquet")


def test_killed_sweep_resumes_without_losing_or_redoing_finished_runs(long_tiny, tmp_path, capsys):
    exp_path, ref = long_tiny
    out = tmp_path / "out"
    args = _cli(str(exp_path), "--workers", "2", "--out", str(out), "--chunk-runs", "3")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for_chunks(out, proc)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at once
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    finished = read_runs(out)
    assert 0 < len(finished) < LONG_RUNS and not (out / "runs.parquet").exists()
    # resume (here in this process, serially: a sweep can be finished by any executor)
    assert main(["sweep", str(exp_path), "--serial", "--out", str(out), "--no-progress"]) == 0
    assert f"{len(finished)} already done, {LONG_RUNS - len(finished)} new, 0 failed" in capsys.readouterr().out
    resumed = pd.read_parquet(out / "runs.parquet")
    assert resumed.set_index("run_id").loc[finished["run_id"], "seed"].tolist() == finished["seed"].tolist()
    assert _digest(out / "runs.parquet") == _digest(ref / "runs.parquet")
    assert not (out / "chunks").exists()


def _gone(proc) -> bool:
    """The process has exited (a zombie waiting for whoever adopted it counts as exited)."""
    import psutil

    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_killed_pool_sweep_leaves_no_process_behind(sig, long_tiny, tmp_path):
    """The sweep process alone is killed (not its group): its fork server and workers must go too."""
    import psutil

    exp_path, _ = long_tiny
    out = tmp_path / "out"
    args = _cli(str(exp_path), "--workers", "2", "--out", str(out), "--chunk-runs", "3")
    # Ctrl-C as a terminal sends it: the sweep starts with SIGINT's default action even when the test process
    # inherited it ignored (a process that starts with SIGINT ignored keeps ignoring it, as POSIX asks)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children: list[psutil.Process] = []
    try:
        _wait_for_chunks(out, proc)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3, children  # the fork server and two workers
        os.kill(proc.pid, sig)
        _, stderr = proc.communicate(timeout=60)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_gone(p) for p in children):
            time.sleep(0.1)
        left = [(p.pid, p.cmdline()) for p in children if not _gone(p)]
        assert not left, left
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in children:
            with contextlib.suppress(psutil.Error):
                p.kill()
        proc.wait(timeout=30)
    if sig != signal.SIGKILL:  # a clean stop: finished runs kept, exit 130 (Ctrl-C) or 143 (SIGTERM)
        assert proc.returncode == 128 + sig, stderr
        assert 0 < len(read_runs(out)) < LONG_RUNS and not list(out.glob("**/.*.parquet.*"))


@pytest.mark.parametrize("case", ["a file", "under a file", "read-only", "under read-only"])
def test_unwritable_output_folder_is_one_line_and_writes_nothing(case, tiny, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "blocker"
    if case.endswith("read-only"):
        blocker.mkdir(mode=0o555)
        out = blocker if case == "read-only" else blocker / "new" / "out"
        if os.geteuid() == 0:  # root writes through the mode bits: access() answers as it would for a user
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != blocker and real(p, mode, **kw))
    else:
        blocker.write_text("not a folder")
        out = blocker if case == "a file" else blocker / "out"
    before = sorted(tmp_path.rglob("*"))
    try:
        with pytest.raises(InputError) as raised:
            run_sweep(load_experiment(tiny), out, executor="pool", workers=2, progress=False)
        assert raised.value.field == "out" and str(out) in str(raised.value)
        assert main(["sweep", str(tiny), "--serial", "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"out {str(out)!r}: " in err[0], err
        assert sorted(tmp_path.rglob("*")) == before
    finally:
        if blocker.is_dir():
            blocker.chmod(0o755)


# ---------------------------------------------------------------------------- Dask

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_dask_cluster_gives_the_pool_result(long_tiny, tmp_path, capsys):
    """A real `dask scheduler` and two `dask worker --nthreads 1` processes on 127.0.0.1."""
    exp_path, ref = long_tiny
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    started: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        started.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                         "--no-dashboard"], stdout=subprocess.DEVNULL,
                                        stderr=open(logs / "scheduler.log", "w"), start_new_session=True))
        for i in range(2):
            started.append(subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                             "--nworkers", "1",
                                             "--no-dashboard", "--local-directory", str(tmp_path / f"w{i}")],
                                            stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{i}.log", "w"),
                                            start_new_session=True))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        assert main(["sweep", str(exp_path), "--scheduler", address, "--out", str(tmp_path / "dask"),
                     "--no-progress"]) == 0
        assert f"{LONG_RUNS} new, 0 failed" in capsys.readouterr().out
        timings = pd.read_parquet(tmp_path / "dask" / "timings.parquet")
        assert timings["worker"].nunique() == 2  # both workers ran some
    finally:
        for proc in reversed(started):
            _stop(proc)
    assert _digest(tmp_path / "dask" / "runs.parquet") == _digest(ref / "runs.parquet")
    assert _digest(tmp_path / "dask" / "series.parquet") == _digest(ref / "series.parquet")


# ---------------------------------------------------------------------------- simulate_params

def test_simulate_params_is_simulate_with_the_fields_set():
    params = {"margin.accounts": 500, "simulation.days": 30, "events.0.day": 10, "events.1.day": 10,
              "events.0.size": -0.2, "letf_funds.*.aum_usd": 1e9}
    out = sim.simulate_params(params, seed=5)
    spec = sim.load("finra-2026-05", ["margin.accounts=500", "simulation.days=30", "events.0.day=10",
                                      "events.1.day=10", "events.0.size=-0.2",
                                      *[f"letf_funds.{i}.aum_usd=1e9" for i in range(6)]])
    ref = sim.simulate(spec, 5)
    assert out["max_drawdown"] == ref.summary["metrics"]["max_drawdown"]
    assert out["channel_flows.letf.sold_usd"] == ref.summary["metrics"]["channel_flows"]["letf"]["sold_usd"]
    assert isinstance(out["series"]["index_level"], np.ndarray) and len(out["series"]["index_level"]) == 30
    np.testing.assert_array_equal(out["series"]["index_level"], ref.timeseries["index_level"].to_numpy())
    assert ref.timeseries["letf_aum_usd"].iloc[0] == pytest.approx(6e9, rel=0.05)
    with pytest.raises(sim.ScenarioError, match=r"margin\.levrage_mean: unknown field"):
        sim.simulate_params({"margin.levrage_mean": 1.5}, seed=1)


# ---------------------------------------------------------------------------- bad experiment files

BAD = [
    ("unknown experiment field", ('design = "grid"', 'design = "grid"\nworkers = 3'), "experiment.workers: unknown"),
    ("bad design", ('design = "grid"', 'design = "random"'), "experiment.design = 'random'"),
    ("unknown metric", ('"max_drawdown",', '"max_drawdon",'), "'max_drawdon' is not a metric"),
    ("unknown scenario", ('scenario = "finra-2026-05"', 'scenario = "no-such-2007"'),
     "scenario 'no-such-2007': unknown"),
    ("unknown field path", ('path = "margin.leverage_mean"', 'path = "margin.levrage"'), "margin.levrage: unknown"),
    ("point out of range", ("values = [1.3, 1.6, 1.9]", "values = [1.3, 2.5]"), "design point 3 (leverage=2.5"),
    ("lhs without samples", ('design = "grid"', 'design = "lhs"'), "needs low and high"),
    ("replicates", ("replicates = 3", "replicates = 0"), "experiment.replicates = 0: must be an integer in [1,"),
    ("bad series", ('series = ["index_level"]', 'series = ["price_tech"]'), "'price_tech' is not a daily column"),
    ("bad toml", ("[experiment]", "[experiment"), "invalid TOML"),
    ("scenario list", ('scenario = "finra-2026-05"\n', ""), None),
]


@pytest.mark.parametrize(("why", "edit", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_is_one_line_exit_2(why, edit, expected, tmp_path, capsys):
    text = TINY.format(replicates=3, steps=3).replace(*edit)
    if expected is None:  # a scenario parameter whose list names a missing scenario
        text += '\n[[parameters]]\nname = "scenario"\npath = "scenario"\nvalues = ["finra-2026-05", "no-such-1999"]\n'
        expected = "parameters[2] (scenario).values[1]: scenario 'no-such-1999': unknown"
    path = _write(tmp_path, text)
    assert main(["sweep", str(path), "--serial", "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert not (tmp_path / "out").exists()


STOCKS = """
[experiment]
name = "stocks"
scenario = "concentrated-unwind"
set = ["margin.accounts=400", "stocks.accounts=2000", "simulation.days=20"]
design = "grid"
replicates = 2
root_seed = 7
metrics = ["max_drawdown", "stocks.forced_sales_usd", "stocks.shock_drawdown", "stocks.initial_margin_debt_usd"]

[[parameters]]
name = "prime_leverage"
paths = ["stock_brokers.1.leverage_mean", "stock_brokers.2.leverage_mean"]
values = [2.0, 2.9]
"""


def test_a_sweep_keeps_the_stock_layers_metrics(tmp_path):
    """Stock metrics make the sweep run each point with sim.simulate (ensembles run the market only)."""
    exp = load_experiment(_write(tmp_path, STOCKS))
    run_sweep(exp, tmp_path / "out", executor="serial", progress=False)
    runs = read_runs(tmp_path / "out").sort_values("run_id")
    assert (runs["status"] == "ok").all() and len(runs) == 4
    assert np.allclose(runs["stocks.initial_margin_debt_usd"], 2.4e11, rtol=1e-9)
    for _, row in runs.iterrows():
        spec = sim.load("concentrated-unwind", ["margin.accounts=400", "stocks.accounts=2000", "simulation.days=20",
                                                f"stock_brokers.1.leverage_mean={row['prime_leverage']}",
                                                f"stock_brokers.2.leverage_mean={row['prime_leverage']}"])
        st = sim.simulate(spec, int(row["seed"])).summary["stocks"]
        assert row["stocks.forced_sales_usd"] == st["forced_sales_usd"]
        assert row["stocks.shock_drawdown"] == st["shock_drawdown"]
    low, high = (runs[runs["prime_leverage"] == v]["stocks.forced_sales_usd"].mean() for v in (2.0, 2.9))
    assert high > low  # more leverage at the prime brokers, more forced selling
