"""``marginsim bench``, the whole-run measurements of issue 13: engines, ensembles, the daily floor, memory.

Four entries, each a ratio measured in the same run as the baseline it is compared with:

- ``engine``: the compiled engine against the Mesa engine on the same run (``validation-baseline``,
  20 years at 1,000 accounts), after checking that the two give identical time series;
- ``ensemble``: an ensemble of paths of ``finra-2026-05`` on every core against the same paths run
  one by one on the Mesa engine (the index level of every path checked equal first), and on one worker;
- ``day_floor``: a full run against the memory-traffic floor, the bytes each trading day must
  move divided by the STREAM triad bandwidth (:func:`day_bytes_per_account`);
- ``ensemble_memory``: the peak resident memory of a process running an ensemble.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from sim.apps.bench import BenchmarkMismatch, pass_bytes_per_account
from sim.config.scenario import Scenario, load
from sim.run.ensemble import ensemble, run_one

CASH_BYTES = 16
"""The close reads and writes every account's cash once (interest accrues on debit balances daily)."""


def day_bytes_per_account(spec: Scenario) -> int:
    """Bytes a trading day must move per account, at the least.

    Every substep's clearing pass must look at every account, since prices moved: it reads the
    long and short holdings (K assets each), cash and short credit (:func:`sim.apps.bench.pass_bytes_per_account`)
    and need write nothing when nobody is short of maintenance; the close reads and writes the
    cash once (interest). So ``substeps * 8 (2K + 2) + 16`` bytes; everything else a day does
    (orders, hedging, events) is per asset or per fund, not per account.
    """
    return spec.simulation.substeps * pass_bytes_per_account(spec.n_assets) + CASH_BYTES


def day_floor(year: dict, stream: dict) -> dict:
    """The floor of the full run ``year`` (accounts x days of finra-2026-05) and the measured time's ratio to it."""
    spec = load("finra-2026-05", [f"margin.accounts={year['accounts']}", f"simulation.days={year['days']}"])
    per_account = day_bytes_per_account(spec)
    floor_s = year["accounts"] * year["days"] * per_account / stream["bytes_per_s"]
    return {"accounts": year["accounts"], "days": year["days"], "substeps": spec.simulation.substeps,
            "assets": spec.n_assets, "bytes_per_account_day": per_account, "floor_s": floor_s,
            "measured_s": year["wall_s"], "ratio_to_floor": year["wall_s"] / floor_s}


def _same_series(a, b, what: str) -> None:
    if not a.timeseries.equals(b.timeseries):
        raise BenchmarkMismatch(f"{what}: the compiled engine's time series differs from the Mesa engine's; "
                                "refusing to time it")


def engine_speedup(accounts: int, days: int) -> dict:
    """``validation-baseline`` at ``accounts`` x ``days``: compiled against Mesa, identical results required."""
    spec = load("validation-baseline", [f"margin.accounts={accounts}", f"simulation.days={days}"])
    run_one(load("validation-baseline", ["margin.accounts=10", "simulation.days=2"]), 1, "compiled")  # compile
    start = time.perf_counter()
    compiled = run_one(spec, 1, "compiled")
    compiled_s = time.perf_counter() - start
    start = time.perf_counter()
    mesa = run_one(spec, 1, "mesa")
    mesa_s = time.perf_counter() - start
    _same_series(compiled, mesa, "validation-baseline")
    return {"accounts": accounts, "days": days, "compiled_s": compiled_s, "mesa_s": mesa_s,
            "speedup": mesa_s / compiled_s}


def ensemble_speedup(paths: int, accounts: int, days: int) -> dict:
    """An ensemble of ``paths`` paths of ``finra-2026-05`` against the same paths one by one on Mesa.

    The ensemble runs as one call on every core (``workers`` = the machine's CPUs: threads, the
    kernels releasing the GIL), and once more on one worker; the Mesa paths run one by one in
    this process, as a user would run them. Every Mesa path's index level is checked against
    the ensemble's first.
    """
    spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={days}"])
    workers = os.cpu_count() or 1
    ensemble(spec, 1, series=["index_level"])  # compile
    start = time.perf_counter()
    together = ensemble(spec, paths, series=["index_level"], workers=workers)
    ensemble_s = time.perf_counter() - start
    start = time.perf_counter()
    one_worker = ensemble(spec, paths, series=["index_level"])
    one_worker_s = time.perf_counter() - start
    levels = together.dataset["index_level"].values
    if not np.array_equal(one_worker.dataset["index_level"].values, levels):
        raise BenchmarkMismatch("the ensemble differs between one worker and several; refusing to time it")
    start = time.perf_counter()
    for p, seed in enumerate(together.seeds):
        one = run_one(spec, seed, "mesa")
        if not np.array_equal(one.timeseries["index_level"].to_numpy(), levels[p]):
            raise BenchmarkMismatch(f"ensemble path {p} differs from its Mesa run; refusing to time it")
    mesa_s = time.perf_counter() - start
    return {"paths": paths, "accounts": accounts, "days": days, "workers": workers, "ensemble_s": ensemble_s,
            "ensemble_one_worker_s": one_worker_s, "mesa_one_by_one_s": mesa_s, "speedup": mesa_s / ensemble_s,
            "speedup_one_worker": mesa_s / one_worker_s}


MEMORY_SCRIPT = """
import json, os, resource, sys, time
import sim


def peak_rss():
    # VmHWM: this process's own high-water mark. ru_maxrss is kept across execve, so a child of
    # a large process (the bench itself, after its 10^7-account passes) would report the parent's.
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


from sim.config.scenario import load
paths, accounts, days = (int(x) for x in sys.argv[1:4])
spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={days}"])
start = time.perf_counter()
res = sim.ensemble(spec, paths, workers=os.cpu_count() or 1)
seconds = time.perf_counter() - start
print(json.dumps({"peak_rss_bytes": peak_rss(),
                  "dataset_bytes": int(res.dataset.nbytes), "seconds": seconds}))
"""
"""Run in a fresh process, so that its peak resident memory (``VmHWM`` on Linux) is the ensemble's."""


def ensemble_memory(paths: int, accounts: int, days: int) -> dict:
    """Peak resident memory of a fresh process running an ensemble of ``paths`` x ``accounts`` x ``days``."""
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(paths), str(accounts), str(days)], check=True,
                          capture_output=True, text=True, env=dict(os.environ))
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {"paths": paths, "accounts": accounts, "days": days, **out,
            "peak_rss_gb": out["peak_rss_bytes"] / 1e9}


def measure_runs(quick: bool, year: dict, stream: dict) -> dict:
    """The four entries, small with ``quick``."""
    if quick:
        return {"engine": engine_speedup(200, 60), "ensemble": ensemble_speedup(4, 200, 64),
                "day_floor": day_floor(year, stream),
                "ensemble_memory": ensemble_memory(4, 200, 64)}
    return {"engine": engine_speedup(1000, 5040), "ensemble": ensemble_speedup(256, 1000, 252),
            "day_floor": day_floor(year, stream),
            "ensemble_memory": ensemble_memory(1000, 10_000, 252)}
