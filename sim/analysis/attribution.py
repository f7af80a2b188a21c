"""How much of a fall is leverage: Shapley attribution over the four procyclical channels.

The same scenario and seed run with every subset of {margin, letf, dealers, vol_control}
switched on (2^4 = 16 runs; the shocks and random draws are identical in all of them).
For a metric v (max drawdown, worst day's loss), channel i's Shapley value is the average of
v(S + i) - v(S) over the orders in which channels can be added; by construction
v(all) = v(none) + sum of the four values, so the "base" (the shock through the liquidity
side alone) and the channels' contributions add up to the total exactly.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from sim.config.scenario import Scenario, from_dict
from sim.model.market_model import CHANNELS
from sim.run.simulate import simulate

Coalition = frozenset[str]
METRICS = ("shock_drawdown", "max_drawdown", "worst_day_loss")
LABELS = {"shock_drawdown": "shock drawdown", "max_drawdown": "max drawdown", "worst_day_loss": "worst day"}


def shapley(players: Iterable[str], value: Callable[[Coalition], float]) -> dict[str, float]:
    """Exact Shapley values of a game given by ``value`` on every coalition."""
    players = list(players)
    n = len(players)
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in itertools.combinations(others, size):
                s = frozenset(coalition)
                total += weight * (value(s | {p}) - value(s))
        out[p] = total
    return out


def with_channels(scenario: Scenario, on: Coalition) -> Scenario:
    """``scenario`` with exactly the channels in ``on`` switched on."""
    data = scenario.to_dict()
    data["channels"] = {name: name in on for name in CHANNELS}
    return from_dict(data)


def _run(args: tuple[dict, int]) -> dict[str, float]:
    data, seed = args
    metrics = simulate(from_dict(data), seed).summary["metrics"]
    return {"shock_drawdown": metrics["shock_drawdown"], "max_drawdown": metrics["max_drawdown"],
            "worst_day_loss": -metrics["worst_day_return"]}


@dataclass
class Attribution:
    """Shapley decomposition of the max drawdown and of the worst day's loss (fractions)."""

    scenario_name: str
    scenario_hash: str
    seed: int
    runs: dict[Coalition, dict[str, float]] = field(repr=False)
    """Each channel subset's metrics."""
    values: dict[str, dict[str, float]] = field(repr=False)
    """Per metric: the base, each channel's Shapley value and the total."""

    def shares(self, metric: str) -> dict[str, float]:
        """Each part's share of the metric's total (0 when the total is 0)."""
        v = self.values[metric]
        return {k: (v[k] / v["total"] if v["total"] else 0.0) for k in v if k != "total"}

    def to_json(self) -> dict:
        """The JSON-ready attribution: values, shares and every subset's run."""
        return {
            "scenario_name": self.scenario_name, "scenario_hash": self.scenario_hash, "seed": self.seed,
            "channels": list(CHANNELS),
            "values": self.values,
            "shares": {m: self.shares(m) for m in self.values},
            "runs": [{"channels_on": sorted(c), **r} for c, r in sorted(self.runs.items(),
                                                                         key=lambda kv: (len(kv[0]), sorted(kv[0])))],
        }

    def table(self) -> str:
        """Contribution (percentage points) and share of each metric, base and channels."""
        metrics = [m for m in METRICS if m in self.values]
        head = "".join(f" {LABELS[m]:>16} {'share':>7}" for m in metrics)
        rows = [f"{'channel':<14}{head}"]
        for key in ("base", *CHANNELS, "total"):
            label = "base (shock)" if key == "base" else key
            cells = ""
            for m in metrics:
                share = sum(self.shares(m).values()) if key == "total" else self.shares(m)[key]
                cells += f" {self.values[m][key]:>16.2%} {share:>7.1%}"
            rows.append(f"{label:<14}{cells}")
        return "\n".join(rows)


def _run_all(jobs: list[tuple[dict, int]], workers: int,
             on_progress: Callable[[int, int], None] | None) -> list[dict[str, float]]:
    """Every job's metrics, in the order of ``jobs``; ``on_progress(done, total)`` as runs finish."""
    report = on_progress or (lambda done, total: None)
    report(0, len(jobs))
    if workers <= 1:
        results = []
        for job in jobs:
            results.append(_run(job))
            report(len(results), len(jobs))
        return results
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run, job) for job in jobs]
        for done, _ in enumerate(as_completed(futures), start=1):
            report(done, len(jobs))
        return [f.result() for f in futures]


def attribute(scenario: Scenario, seed: int, workers: int = 1,
              on_progress: Callable[[int, int], None] | None = None) -> Attribution:
    """Run the 16 channel subsets and decompose the shock drawdown, max drawdown and worst-day loss.

    Parameters
    ----------
    scenario : Scenario
        The scenario, with all four channels as it defines them (they are switched here).
    seed : int
        The seed of every run (identical shocks and random draws in all 16).
    workers : int
        Processes for the runs (1 = in this process).
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` at the start and as each run finishes.

    Returns
    -------
    Attribution
        Each subset's metrics and each metric's base, Shapley values and total.
    """
    coalitions = [frozenset(c) for size in range(len(CHANNELS) + 1) for c in itertools.combinations(CHANNELS, size)]
    jobs = [(with_channels(scenario, c).to_dict(), seed) for c in coalitions]
    results = _run_all(jobs, workers, on_progress)
    runs = dict(zip(coalitions, results, strict=True))
    values = {}
    for metric in METRICS:
        phi = shapley(CHANNELS, lambda s, m=metric: runs[s][m])
        values[metric] = {"base": runs[frozenset()][metric], **phi, "total": runs[frozenset(CHANNELS)][metric]}
    return Attribution(scenario.meta.name, scenario.hash(), seed, runs, values)

