"""Parameters by dotted path, and ``simulate_params``: the plain function other tools call.

A parameter addresses a scenario field by the same dotted path as ``--set``
(``margin.leverage_mean``, ``events.0.size``, ``brokers.1.house_maintenance``); ``*`` in place
of a list index means every item (``letf_funds.*.aum_usd``). ``simulate_params(params, seed)``
is the contract EMA Workbench, black-it and SALib expect: a dict of parameter values and a seed
in, a dict of scalar metrics and daily arrays out.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from sim.config.scenario import Scenario, ScenarioError, apply_override, from_dict, read_toml

OPS = ("set", "add", "scale", "divide")
"""How a parameter's value acts on a field: replace it, add to it, multiply it, divide it."""

DEFAULT_SERIES = ("index_level", "index_return", "margin_debt", "forced_sales_usd", "dealer_gex_usd",
                  "letf_aum_usd", "vol_control_exposure")
"""Daily columns ``simulate_params`` returns as arrays unless told otherwise."""


def expand_path(data: dict[str, Any], path: str) -> list[list[str]]:
    """Concrete paths (lists of keys) for ``path``, with ``*`` expanded over the list it indexes."""
    parts = path.split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"{path!r}: must be section.field or list.INDEX.field (INDEX may be *)")
    out: list[list[str]] = [[]]
    for part in parts[:-1]:
        grown = []
        for prefix in out:
            node = get_path(data, prefix) if prefix else data
            if part == "*":
                if not isinstance(node, list) or not node:
                    raise ScenarioError(f"{path!r}: '*' must stand for the index of a non-empty list "
                                        f"({'.'.join(prefix) or 'scenario'} is not one)")
                grown.extend([*prefix, str(i)] for i in range(len(node)))
            else:
                grown.append([*prefix, part])
        out = grown
    return [[*p, parts[-1]] for p in out]


def get_path(data: Any, parts: list[str]) -> Any:
    """The value at ``parts`` in a raw scenario dict (KeyError/IndexError if absent)."""
    node = data
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def apply_value(data: dict[str, Any], path: str, value: Any, op: str = "set") -> None:
    """Apply one parameter value to every field ``path`` names, in place."""
    if op not in OPS:
        raise ScenarioError(f"op = {op!r}: must be one of {', '.join(OPS)}")
    for parts in expand_path(data, path):
        key = ".".join(parts)
        if op == "set":
            apply_override(data, parts, value)
            continue
        try:
            base = get_path(data, parts)
        except (KeyError, IndexError, ValueError):
            raise ScenarioError(f"{key}: op {op!r} needs a value in the scenario to act on, and there is "
                                "none (use op = 'set')") from None
        if isinstance(base, bool) or not isinstance(base, (int, float)) or isinstance(value, bool) \
                or not isinstance(value, (int, float)):
            raise ScenarioError(f"{key}: op {op!r} needs numbers (field is {base!r}, value {value!r})")
        if op == "divide" and value == 0:
            raise ScenarioError(f"{key}: op 'divide' by 0")
        new = {"add": base + value, "scale": base * value, "divide": base / value}[op]
        apply_override(data, parts, round(new) if isinstance(base, int) else float(new))


def resolve(scenario: str | dict[str, Any], params: dict[str, Any] | None = None,
            overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """A built-in name / .toml path / raw dict, ``--set`` overrides, then ``params`` (path -> value)."""
    from sim.config.scenario import parse_override

    data = read_toml(scenario) if isinstance(scenario, str) else copy.deepcopy(scenario)
    for text in overrides:
        apply_override(data, *parse_override(text))
    for path, value in (params or {}).items():
        apply_value(data, path, value.item() if isinstance(value, np.generic) else value)
    return from_dict(data)


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


def simulate_params(params: dict[str, Any], seed: int, *, scenario: str | dict[str, Any] = "finra-2026-05",
                    series: tuple[str, ...] | list[str] = DEFAULT_SERIES) -> dict[str, Any]:
    """Run ``scenario`` with ``params`` (dotted path -> value) and ``seed``.

    Returns every summary metric as a flat scalar (``max_drawdown``, ``forced_sales_usd``,
    ``channel_flows.letf.sold_usd``, ...) and each column in ``series`` as a numpy array, one
    value per trading day. A pure function of (params, seed, scenario): EMA Workbench, black-it
    and SALib can call it directly.
    """
    from sim.run.simulate import simulate

    result = simulate(resolve(scenario, params), seed)
    out: dict[str, Any] = flat_metrics(result.summary["metrics"])
    missing = [c for c in series if c not in result.timeseries.columns]
    if missing:
        raise ScenarioError(f"series {missing[0]!r}: not a daily column; allowed: "
                            + ", ".join(result.timeseries.columns))
    for column in series:
        out[column] = result.timeseries[column].to_numpy()
    return out
