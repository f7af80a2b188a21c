"""``marginsim bench``, the measurements: speed against the machine's memory bandwidth and the baselines.

Everything is measured in one run on one machine, and compared as ratios: against a
STREAM-style triad (the memory-bandwidth floor, one thread) and against the numpy and Mesa
versions of the same clearing pass. A kernel whose result differs from the reference is not
timed (``BenchmarkMismatch``). :mod:`sim.apps.bench_report` checks the targets and writes
``benchmarks.json`` and ``benchmarks.md``; the command line is ``marginsim bench``
(:mod:`sim.apps.cli.bench`).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numba
import numpy as np

from sim import __version__
from sim.book import clearing, reference, stats
from sim.book.arrays import AccountArrays
from sim.book.numpy_twin import clear_numpy
from sim.core.impact import LINEAR
from sim.core.machine import platform_info

RULES = np.array([[0.30, 0.30, 0.35, 0.35, 0.05]])
"""One broker: 30% maintenance, liquidation to 35%, 5% loan rate."""
class BenchmarkMismatch(RuntimeError):
    """A timed implementation disagreed with the reference: its time would mean nothing."""


@numba.njit(cache=True)
def _triad(a, b, c, scalar):  # pragma: no cover - jitted
    for i in range(a.shape[0]):
        a[i] = b[i] + scalar * c[i]


@numba.njit(cache=True, fastmath=True)  # reassociation lets the sum vectorise: a bandwidth probe
def _read4(a, b, c, d):  # pragma: no cover - jitted
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] + b[i] + c[i] + d[i]
    return total


def time_calls(fn: Callable[[], object], reps: int) -> list[float]:
    """Wall-clock seconds of ``reps`` calls of ``fn``, one after another.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its result is discarded.
    reps : int
        Calls to time.

    Returns
    -------
    list of float
        Seconds of each call (``time.perf_counter``), in order.
    """
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary_times(times: list[float], n: int | None = None) -> dict[str, float]:
    """Best and median of ``times`` (seconds), and per account when ``n`` is given.

    Parameters
    ----------
    times : list of float
        Seconds of each repetition (:func:`time_calls`).
    n : int, optional
        Accounts per call: adds ``min_ns_per_account`` and ``median_ns_per_account``.

    Returns
    -------
    dict
        ``min_s``, ``median_s``, ``reps`` (and the per-account figures).
    """
    d = {"min_s": min(times), "median_s": statistics.median(times), "reps": len(times)}
    if n:
        d["min_ns_per_account"] = 1e9 * min(times) / n
        d["median_ns_per_account"] = 1e9 * statistics.median(times) / n
    return d


def stream_bandwidth(n: int, reps: int) -> dict[str, float]:
    """STREAM triad a = b + s c in numba on one thread: bytes moved / best time (24 bytes per element).

    Also a read-only figure (four streams summed, 32 bytes per element): a clearing pass with
    nobody in deficit only reads, and reading alone runs faster than the triad's read + write.
    """
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    _triad(a, b, c, 3.0)
    times = time_calls(lambda: _triad(a, b, c, 3.0), reps)
    d = np.full(n, 4.0)
    _read4(a, b, c, d)
    read_times = time_calls(lambda: _read4(a, b, c, d), reps)
    return {**summary_times(times), "elements": n, "bytes_per_s": 24.0 * n / min(times),
            "read_only_bytes_per_s": 32.0 * n / min(read_times)}


def book(n: int, rng: np.random.Generator, lev_low: float = 1.0, lev_high: float = 2.0) -> AccountArrays:
    """n long-only accounts on one asset at $100, leverage uniform in [lev_low, lev_high].

    Zero arrays are written (``np.full``), not ``np.zeros``: untouched zero pages all map to one
    physical page, and reading them would flatter the kernel with cache hits.
    """
    lev = rng.uniform(lev_low, lev_high, n)
    equity = rng.lognormal(0.0, 1.0, n)
    return AccountArrays(
        long=(lev * equity / 100.0)[:, None].copy(), short=np.full((n, 1), 0.0), cash=-(lev - 1.0) * equity,
        short_credit=np.full(n, 0.0), reserve=np.full(n, 0.0), call_day=np.full(n, -1, dtype=np.int32),
        target_leverage=lev, short_target=np.full(n, 0.0), home=np.full(n, 0, dtype=np.int32),
        broker_start=np.array([0, n], dtype=np.int64))


def pass_bytes_per_account(k: int = 1) -> int:
    """Bytes a clearing pass must read per account to find who is short of maintenance: long
    and short holdings (k each), cash and short credit. Nothing need be written when no
    account is in deficit, and free credit and call days are read only for those that are."""
    return 8 * (2 * k + 2)


def same_as_reference(a, b, rtol: float, what: str,
                      names: tuple[str, ...] = ("prices", "sold_usd", "bought_usd", "stats")) -> None:
    """Raise BenchmarkMismatch unless the fields ``names`` of result ``a`` (a kernel's) and ``b`` (the
    reference's) have the same shapes and agree within ``rtol``; ``what`` names the kernel in the message."""
    for name in names:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=0.0):
            raise BenchmarkMismatch(f"{what}: {name} differs from the reference; refusing to time it")


def clearing_pass(n: int, reps: int, mesa_max: int, rng: np.random.Generator) -> dict:
    """One clearing pass (nobody in deficit: a single round) per implementation, ns per account."""
    accounts = book(n, rng)
    log_base, coef, adv = np.log([100.0]), np.zeros(1), np.ones(1)
    args = (0, 0, log_base, np.zeros(1), LINEAR, coef, adv, 10)
    # correctness first: the same pass through every implementation
    ref_accounts = reference.accounts_from_arrays(accounts.copy()) if n <= mesa_max else None
    out_k = clearing.clear(accounts.copy(), RULES, *args)
    out_np = clear_numpy(accounts.copy(), RULES, *args)
    same_as_reference(out_np, out_k, 1e-9, "numpy clearing")
    result = {"accounts": n}
    if ref_accounts is not None:
        out_r = reference.clear(ref_accounts, RULES, *args)
        same_as_reference(out_k, out_r, 1e-12, "numba kernel")
    result["kernel"] = summary_times(time_calls(lambda: clearing.clear(accounts, RULES, *args), reps), n)
    result["numpy"] = summary_times(time_calls(lambda: clear_numpy(accounts, RULES, *args), max(1, reps // 2)), n)
    if n <= mesa_max:
        import mesa

        from sim.model.agents.margin_investor import MarginInvestor

        model = mesa.Model(rng=0)
        agents = reference.accounts_from_arrays(accounts, make=lambda: MarginInvestor(model))
        result["mesa"] = summary_times(time_calls(lambda: reference.clear(agents, RULES, *args), max(1, reps // 5)), n)
    return result


def cascade(n: int, reps: int, rng: np.random.Generator) -> dict:
    """A 12% gap on a book with leverage up to 3.3x, forced selling with linear impact, to the fixed point."""
    accounts = book(n, rng, 1.2, 3.3)
    long_value = float(accounts.long.sum() * 100.0)
    coef = np.array([0.5 / long_value])  # selling 10% of margin holdings moves the price 5%
    log_base, adv = np.log([88.0]), np.ones(1)
    ref = clear_numpy(accounts.copy(), RULES, 0, 0, log_base, np.zeros(1), LINEAR, coef, adv, 1000)
    out = clearing.clear(accounts.copy(), RULES, 0, 0, log_base, np.zeros(1), LINEAR, coef, adv, 1000)
    same_as_reference(ref, out, 1e-9, "cascade kernel")
    times = []
    for _ in range(reps):
        fresh = accounts.copy()  # every repetition starts from the same book
        start = time.perf_counter()
        clearing.clear(fresh, RULES, 0, 0, log_base, np.zeros(1), LINEAR, coef, adv, 1000)
        times.append(time.perf_counter() - start)
        del fresh
    return {"accounts": n, "rounds": out.rounds, "liquidations": int(out.stats[stats.STAT_LIQUIDATIONS]),
            "called_share": float(out.stats[stats.STAT_CALLS]) / n, "price_fall": 1.0 - out.prices[0] / 100.0,
            **summary_times(times)}


def full_year(accounts: int, days: int) -> dict:
    from sim.config.scenario import load
    from sim.run.simulate import simulate

    spec = load("finra-2026-05", [f"margin.accounts={accounts}", f"simulation.days={days}"])
    start = time.perf_counter()
    simulate(spec, seed=1)
    return {"accounts": accounts, "days": days, "wall_s": time.perf_counter() - start}


def startup(reps: int) -> dict:
    """Time to the first result in a fresh process, numba cache warm and cold, and the imports alone."""
    first = ("import sim; from sim.config.scenario import load; "
             "sim.simulate(load('finra-2026-05', ['margin.accounts=1000', 'simulation.days=61']), seed=1)")
    imports = "import numpy, numba, mesa, pandas, scipy"

    def run(code: str, env: dict) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
        return time.perf_counter() - start

    env = dict(os.environ)
    run(first, env)  # make sure the cache is warm
    warm = [run(first, env) for _ in range(reps)]
    base = [run(imports, env) for _ in range(reps)]
    cold = []
    for _ in range(max(1, reps // 2)):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run(first, {**env, "MARGINSIM_CACHE_DIR": cache}))
    return {"warm": summary_times(warm), "cold": summary_times(cold), "imports_only": summary_times(base),
            "warm_extra_s": min(warm) - min(base)}


def memory_per_account(n: int, k: int) -> float:
    """Bytes of account state per account in the struct of arrays (K assets)."""
    from sim.config.scenario import from_dict
    from sim.model.accounts import build_accounts

    names = [f"s{i}" for i in range(k)]
    spec = from_dict({"market": {"assets": names, "weights": [1.0 / k] * k}, "margin": {"accounts": n}})
    a = build_accounts(spec, np.random.default_rng(0))
    per_broker = {"broker_start"}
    return sum(v.nbytes for key, v in a.__dict__.items() if key not in per_broker) / n


def measure(quick: bool = False) -> dict:
    """Run the suite and return its numbers (:mod:`sim.apps.bench_report` turns them into files)."""
    rng = np.random.default_rng(20261123)
    sizes = [10**4, 10**5] if quick else [10**4, 10**5, 10**6, 10**7]
    reps = 3 if quick else 7
    stream = stream_bandwidth(2_000_000 if quick else 40_000_000, reps)
    passes = [clearing_pass(n, reps, mesa_max=10**4 if quick else 10**5, rng=rng) for n in sizes]
    _compare_to_floor(passes, stream)
    cascades = [cascade(n, reps, rng) for n in ([10**5] if quick else [10**6, 10**7])]
    year = full_year(10**4, 61) if quick else full_year(10**6, 252)
    start = startup(1 if quick else 3)
    return {
        "version": __version__, "quick": quick, "machine": platform.machine(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
        "platform": platform_info(),
        "stream": stream, "pass_bytes_per_account": pass_bytes_per_account(), "clearing_pass": passes,
        "cascade": cascades, "full_year": year, "startup": start,
        "bytes_per_account": {"K=1": memory_per_account(10_000, 1), "K=5": memory_per_account(10_000, 5)},
    }


def _compare_to_floor(passes: list[dict], stream: dict) -> None:
    """Add to each clearing pass its share of the bandwidth floors and its speed-ups."""
    floor_ns = 1e9 * pass_bytes_per_account() / stream["bytes_per_s"]
    read_floor_ns = 1e9 * pass_bytes_per_account() / stream["read_only_bytes_per_s"]
    for p in passes:
        p["floor_ns_per_account"] = floor_ns
        p["kernel_share_of_floor"] = floor_ns / p["kernel"]["min_ns_per_account"]
        p["read_only_floor_ns_per_account"] = read_floor_ns
        p["kernel_share_of_read_only_floor"] = read_floor_ns / p["kernel"]["min_ns_per_account"]
        p["kernel_vs_numpy"] = p["numpy"]["min_s"] / p["kernel"]["min_s"]
        if "mesa" in p:
            p["kernel_vs_mesa"] = p["mesa"]["min_s"] / p["kernel"]["min_s"]

