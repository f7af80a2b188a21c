"""Tail probabilities: how often a summary metric crosses a threshold over many paths, with an interval.

``tail(scenario, metric, threshold, paths=10_000)`` runs an ensemble (:func:`sim.run.ensemble.ensemble`)
and estimates P(metric >= threshold) (or P(metric <= threshold) with ``below=True``, for metrics
that are negative numbers such as ``worst_day_return``) as the share of paths that cross it, with
the Wilson score interval (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``): unlike
the normal approximation it stays inside [0, 1] and keeps close to its nominal coverage when the
probability is near 0 or 1, which is where tail probabilities live. Also the quantiles of the metric.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from os import PathLike
from typing import Any

import numpy as np
from scipy.stats import binomtest

from sim.config.outputs import MARKET_METRIC_NAMES
from sim.config.scenario import Scenario, coerce
from sim.core.errors import InputError
from sim.run.ensemble import MAX_PATHS, ensemble

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
"""The quantiles reported with every tail probability."""
METHOD = "wilson"
"""The confidence interval: the Wilson score interval (scipy.stats.binomtest's ``proportion_ci``)."""


@dataclass(frozen=True)
class TailResult:
    """A tail probability over ``paths`` paths, its confidence interval and the metric's quantiles."""

    metric: str
    threshold: float
    below: bool
    """True: the event is metric <= threshold; False: metric >= threshold."""
    paths: int
    """Paths with a value of the metric (NaN values, e.g. ``shock_day`` with no event, are left out)."""
    hits: int
    """Paths on which the event happened."""
    probability: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str
    quantiles: dict[float, float]
    """Quantile level (0.01 ... 0.99) -> value of the metric (numpy's linear interpolation)."""
    root_seed: int | None = None
    scenario_name: str = ""
    scenario_hash: str = ""

    @property
    def event(self) -> str:
        """The event in words: ``shock_drawdown >= 0.2``."""
        return f"{self.metric} {'<=' if self.below else '>='} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (quantile levels as strings such as ``"0.05"``)."""
        d = asdict(self)
        d["quantiles"] = {f"{q:g}": v for q, v in self.quantiles.items()}
        d["event"] = self.event
        return d


def check_metric(metric: Any) -> str:
    """``metric`` if it is a summary metric (flattened, as in sweeps); InputError listing them otherwise."""
    if metric not in MARKET_METRIC_NAMES:
        raise InputError(f"metric {metric!r}: not a market summary metric (tail runs ensembles of the market; "
                         f"the stock layer's metrics need per-run sweeps); allowed: {', '.join(MARKET_METRIC_NAMES)}",
                         field="metric", allowed=", ".join(MARKET_METRIC_NAMES))
    return metric


def _check_threshold(threshold: Any) -> float:
    number = isinstance(threshold, (int, float, np.number)) and not isinstance(threshold, bool)
    if not number or not math.isfinite(threshold):
        raise InputError(f"threshold = {threshold!r}: must be a finite number", field="threshold",
                         allowed="a finite number")
    return float(threshold)


def tail_probability(values: Any, threshold: float, *, below: bool = False, confidence: float = 0.95,
                     metric: str = "metric") -> TailResult:
    """P(value >= threshold) (``below``: <=) among the finite ``values``, Wilson interval and quantiles.

    Raises
    ------
    InputError
        A threshold that is not a finite number, a confidence outside (0, 1), or no finite value.
    """
    threshold = _check_threshold(threshold)
    if not isinstance(confidence, float) or not 0.0 < confidence < 1.0:
        raise InputError(f"confidence = {confidence!r}: must be a number in (0, 1)", field="confidence",
                         allowed="a number in (0, 1)")
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise InputError(f"{metric}: no path has a value of it (all NaN)", field="metric",
                         allowed="a metric every path has")
    hits = int(np.count_nonzero(x <= threshold if below else x >= threshold))
    ci = binomtest(hits, int(x.size)).proportion_ci(confidence_level=confidence, method=METHOD)
    quantiles = dict(zip(QUANTILES, (float(q) for q in np.quantile(x, QUANTILES)), strict=True))
    return TailResult(metric, threshold, below, int(x.size), hits, hits / x.size, float(ci.low), float(ci.high),
                      confidence, METHOD, quantiles)


def tail(scenario: Scenario | str | PathLike[str] | dict[str, Any], metric: str, threshold: float, *,
         paths: int = 10_000, root_seed: int = 0, below: bool = False, confidence: float = 0.95,
         workers: int = 1, engine: str = "compiled",
         progress: bool | Callable[[int, int], None] = False) -> TailResult:
    """Run ``paths`` paths of ``scenario`` (seeds derived from ``root_seed``) and estimate the tail probability.

    Parameters
    ----------
    scenario : Scenario, str, os.PathLike or dict
        The scenario every path runs.
    metric : str
        A summary metric (``shock_drawdown``, ``max_drawdown``, ``worst_day_return``, ...).
    threshold : float
        The event is ``metric >= threshold`` (``metric <= threshold`` with ``below``).
    paths : int
        Number of paths, 1 to 10,000,000.
    root_seed : int
        The root of the paths' seeds (:func:`sim.run.ensemble.spawn_seeds`).
    below : bool
        Count ``metric <= threshold`` instead: for metrics that are negative numbers
        (``worst_day_return <= -0.1``).
    confidence : float
        Of the Wilson interval, in (0, 1).
    workers, engine, progress
        As in :func:`sim.run.ensemble.ensemble`.

    Returns
    -------
    TailResult

    Raises
    ------
    InputError
        An unknown metric (the message lists them), a bad threshold, path count or seed, before
        anything runs.
    """
    check_metric(metric)
    _check_threshold(threshold)
    if isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= MAX_PATHS:
        raise InputError(f"paths = {paths!r}: must be an integer in [1, {MAX_PATHS}]", field="paths",
                         allowed=f"an integer in [1, {MAX_PATHS}]")
    spec = coerce(scenario)
    runs = ensemble(spec, paths, root_seed=root_seed, engine=engine, workers=workers, progress=progress,
                    series=["index_level"])
    out = tail_probability(runs.summary[metric].to_numpy(), threshold, below=below, confidence=confidence,
                           metric=metric)
    return TailResult(**{**asdict(out), "quantiles": out.quantiles, "root_seed": root_seed,
                         "scenario_name": spec.meta.name, "scenario_hash": spec.hash()})
