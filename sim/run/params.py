"""``simulate_params``: the plain function other tools call, and ``flat_metrics``.

A parameter addresses a scenario field by the same dotted path as a scenario override
(``margin.leverage_mean``, ``events.0.size``, ``brokers.1.house_maintenance``); ``*`` in place
of a list index means every item (``letf_funds.*.aum_usd``). ``simulate_params(params, seed)``
is the contract EMA Workbench, black-it and SALib expect: a dict of parameter values and a seed
in, a dict of scalar metrics (top level) and daily arrays (under ``"series"``) out. The two never
collide: ``out["forced_sales_usd"]`` is the run's total, ``out["series"]["forced_sales_usd"]``
the daily values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np

from sim.config.fields import Field, check, show
from sim.config.outputs import daily_columns
from sim.config.scenario import ScenarioError, resolve
from sim.run.simulate import check_seed, simulate

DEFAULT_SERIES = ("index_level", "index_return", "margin_debt", "forced_sales_usd", "dealer_gex_usd",
                  "letf_aum_usd", "vol_control_exposure")
"""Daily columns ``simulate_params`` returns as arrays unless told otherwise."""
SERIES = Field(list[str], doc="daily columns returned as arrays")
SERIES_KEY = "series"
"""The key of ``simulate_params``' daily arrays (no summary metric has this name)."""


def flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested summary metrics as one level: ``channel_flows.letf.sold_usd``; None becomes NaN."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_metrics(value, f"{name}."))
        elif value is None:
            out[name] = math.nan
        else:
            out[name] = value
    return out


def _plain_params(params: Any) -> dict[str, Any]:
    """``params`` as a dict of dotted path -> plain Python value (numpy scalars unwrapped)."""
    if not isinstance(params, Mapping):
        raise ScenarioError(f"params = {show(params)}: must be a dict of dotted path -> value, e.g. "
                            "{'margin.leverage_mean': 1.8}", field="params", allowed="a dict of dotted path -> value")
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in params.items()}


def simulate_params(params: dict[str, Any], seed: int, *,
                    scenario: str | PathLike[str] | dict[str, Any] = "finra-2026-05",
                    series: tuple[str, ...] | list[str] = DEFAULT_SERIES) -> dict[str, Any]:
    """Run ``scenario`` with ``params`` (dotted path -> value) and ``seed``.

    Parameters
    ----------
    params : dict
        Dotted path (``*`` = every item of a list) -> value.
    seed : int
        In [0, 2^63 - 1].
    scenario : str, os.PathLike or dict
        A built-in name, a ``.toml`` path or a raw scenario dict.
    series : list of str
        Daily columns to return.

    Returns
    -------
    dict
        Every summary metric as a flat scalar at the top level (``out["max_drawdown"]``,
        ``out["forced_sales_usd"]`` (the total), ``out["channel_flows.letf.sold_usd"]``, ...;
        None becomes NaN) and, under ``out["series"]``, a dict of each column in ``series`` as a
        numpy array with one value per trading day (``out["series"]["index_level"]``). A pure
        function of (params, seed, scenario), so EMA Workbench, black-it and SALib can wrap it
        directly.

    Examples
    --------
    >>> out = simulate_params({"margin.leverage_mean": 1.8}, seed=7)  # doctest: +SKIP
    >>> out["max_drawdown"], out["forced_sales_usd"], out["series"]["index_level"][:5]  # doctest: +SKIP

    Raises
    ------
    ScenarioError
        (a ValueError) for a bad parameter, path, value, seed or series name, before anything runs.
    """
    spec = resolve(scenario, _plain_params(params))
    check_seed(seed)
    series = check(list(series) if isinstance(series, tuple) else series, SERIES, "series", error=ScenarioError)
    allowed = daily_columns(spec.market.assets, value_funds=spec.value_funds.count > 0)
    missing = [c for c in series if c not in allowed]
    if missing:
        raise ScenarioError(f"series {missing[0]!r}: not a daily column; allowed: " + ", ".join(allowed),
                            field="series", allowed=", ".join(allowed))
    result = simulate(spec, seed)
    out: dict[str, Any] = flat_metrics(result.summary["metrics"])
    out[SERIES_KEY] = {column: result.timeseries[column].to_numpy() for column in series}
    return out
