"""An experiment's parts as typed objects: :class:`Experiment`, its :class:`Parameter` s and their :class:`Target` s.

The field specs of the experiment file's tables (``EXPERIMENT_FIELDS``, ``PARAMETER_FIELDS``,
``TARGET_FIELDS``, ``SMALL_FIELDS``) live here too; :mod:`sim.config.experiment` reads and checks
a file against them. An experiment knows how many points and runs its design has without
building it (:attr:`Experiment.n_points`), and how to turn one design point into a scenario.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.fields import Field, Items, ScenarioError, Table, schema_rows
from sim.config.files import is_path
from sim.config.paths import OPS
from sim.config.scenario import Scenario, apply_value, from_dict, merge, parse_override, read_toml
from sim.config.schema import MAX_SEED
from sim.core import detmath

DESIGNS = ("grid", "lhs", "sobol")
SEED_MODES = ("common", "independent")
ANALYSES = ("phase_diagram", "channel_ablation", "tightening", "concentration", "sobol")
REQUIRED_METRICS = {
    "phase_diagram": ("shock_drawdown", "forced_sales_usd", "forced_buyins_usd", "liquidations"),
    "channel_ablation": ("shock_drawdown", "max_drawdown", "worst_day_return"),
    "tightening": ("shock_drawdown", "max_drawdown", "forced_sales_usd", "forced_buyins_usd"),
    "concentration": ("shock_drawdown", "channel_flows.letf.sold_usd", "forced_sales_usd", "forced_buyins_usd"),
    "sobol": (),
}
"""Metrics each analysis reads (the experiment must keep them)."""
REQUIRED_SERIES = {"tightening": ("index_level",), "concentration": ("flow_letf_usd",)}
"""Daily columns each analysis reads."""
MAX_RUNS = 10_000_000
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = {"run_id", "point", "replicate", "seed", "seed_spawn_key", "scenario_hash", "status", "error",
            "elapsed_s", "worker", "attempts"}
"""Columns of runs.parquet that parameter and metric names may not take."""
DEFAULT_METRICS = ("total_return", "max_drawdown", "shock_drawdown", "worst_day_return", "forced_sales_usd",
                   "liquidations", "margin_calls", "broker_losses_usd")
"""Metrics kept when the file names none."""


class ExperimentError(ScenarioError):
    """An invalid experiment file; the message is one line naming the field."""


EXPERIMENT_FIELDS = {
    "name": Field(str, plain=True, doc="output folder name (default: the file's stem)"),
    "description": Field(str, default="", doc="what the experiment asks"),
    "scenario": Field(str, doc="base scenario: a built-in name or a .toml path relative to the experiment file"),
    "set": Field(list[str], default=[], doc="scenario overrides (section.field=value) applied to every run"),
    "design": Field(str, choices=DESIGNS, default="grid", doc="full grid, Latin hypercube or Sobol/Saltelli"),
    "samples": Field(int, lo=1, hi=MAX_RUNS, doc="lhs: points; sobol: base samples N (runs N(D+2) or N(2D+2))"),
    "second_order": Field(bool, default=False, doc="sobol: second-order indices too"),
    "replicates": Field(int, lo=1, hi=100_000, default=1, unit="runs per design point"),
    "root_seed": Field(int, lo=0, hi=MAX_SEED, default=0, doc="numpy.random.SeedSequence root"),
    "seeds": Field(str, choices=SEED_MODES, default="common",
                   doc="common: replicate r has the same seed at every point; independent: one seed per run"),
    "metrics": Field(list[str], length=(1, 10_000), default=list(DEFAULT_METRICS), doc="summary metrics kept"),
    "series": Field(list[str], default=[], doc="daily columns kept per run"),
    "analysis": Field(str, choices=ANALYSES, doc="summary.md and a figure after the sweep"),
    "options": Field(dict, default={}, doc="the analysis's options"),
}
"""The ``[experiment]`` table."""
PARAMETER_FIELDS = {
    "name": Field(str, doc="column in runs.parquet: an identifier"),
    "path": Field(str, doc="dotted path of the scenario field it sets ('*' = every item), or 'scenario'"),
    "paths": Field(list[str], length=(1, 10_000), doc="several fields set to the same value"),
    "op": Field(str, choices=OPS, default="set", doc="how the value acts on the field(s)"),
    "targets": Field(list, length=(1, 10_000), doc="[[parameters.targets]]: path, op, times, plus"),
    "values": Field(list, length=(1, 10_000_000), doc="the values (a grid's, or the scenario names)"),
    "low": Field(float, doc="lower end of a range"),
    "high": Field(float, doc="upper end of a range"),
    "steps": Field(int, lo=2, hi=100_000, doc="grid: points from low to high"),
    "log": Field(bool, default=False, doc="log-spaced / log-uniform range"),
    "integer": Field(bool, default=False, doc="round values to integers"),
    "patches": Field(dict, default={}, doc="value -> scenario fragment merged in at that value"),
}
"""One ``[[parameters]]`` table."""
TARGET_FIELDS = {
    "path": Field(str, doc="dotted path of the scenario field"),
    "op": Field(str, choices=OPS, default="set", doc="how the value acts on the field"),
    "times": Field(float, default=1.0, doc="the value is multiplied by this..."),
    "plus": Field(float, default=0.0, doc="...and this is added"),
}
"""One ``[[parameters.targets]]`` table."""
SMALL_FIELDS = {
    "replicates": EXPERIMENT_FIELDS["replicates"], "samples": EXPERIMENT_FIELDS["samples"],
    "set": EXPERIMENT_FIELDS["set"], "parameters": Field(dict, default={}, doc="name -> values or low/high"),
    "metrics": EXPERIMENT_FIELDS["metrics"], "series": EXPERIMENT_FIELDS["series"],
    "options": Field(dict, default={}, doc="options replaced at the small size"),
}
"""The ``[small]`` table (the size the tests run)."""


def experiment_schema() -> list[dict[str, str]]:
    """Every table and field of an experiment file: path, type, allowed range, unit, default and doc."""
    targets = Items(Table(TARGET_FIELDS), doc="fields a parameter drives", noun=("target", "targets"))
    parameters = Items(Table({**PARAMETER_FIELDS, "targets": targets}), doc="the varied quantities",
                       length=(1, None), noun=("parameter", "parameters"))
    return schema_rows(Table({"experiment": Table(EXPERIMENT_FIELDS, doc="the experiment"),
                              "scenario_patch": Field(dict, default={}, doc="scenario fragment merged over the base"),
                              "parameters": parameters,
                              "small": Table(SMALL_FIELDS, doc="the size the tests run")}))


@dataclass(frozen=True)
class Target:
    """One scenario field a parameter drives: ``op`` applies ``value x times + plus`` to it."""
    path: str
    op: str = "set"
    times: float = 1.0
    plus: float = 0.0

    def transform(self, value: Any) -> Any:
        """The value ``op`` acts with: ``value x times + plus``."""
        return value * self.times + self.plus if self.times != 1.0 or self.plus != 0.0 else value

    def apply(self, data: dict[str, Any], value: Any) -> None:
        apply_value(data, self.path, self.transform(value), self.op)


@dataclass(frozen=True)
class Parameter:
    """A varied quantity: explicit ``values`` or a range ``[low, high]`` (``steps`` for a grid)."""
    name: str
    targets: tuple[Target, ...] = ()
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    log: bool = False
    integer: bool = False
    patches: dict[str, dict[str, Any]] = field(default_factory=dict)
    is_scenario: bool = False

    @property
    def continuous(self) -> bool:
        return self.low is not None

    @property
    def n_values(self) -> int:
        """Values on a grid (without building them)."""
        return len(self.values) if self.values is not None else int(self.steps or 0)

    def grid_values(self) -> list[Any]:
        """Values of a full grid: the explicit list, or ``steps`` points from low to high."""
        if self.values is not None:
            return list(self.values)
        space = np.geomspace if self.log else np.linspace
        return [self.cast(float(x)) for x in space(self.low, self.high, self.steps)]

    def from_unit(self, u: float) -> Any:
        """Map a point of [0, 1] onto [low, high] (log-uniform when ``log``)."""
        if self.log:
            x = detmath.exp(detmath.log(self.low) + u * (detmath.log(self.high) - detmath.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return self.cast(x)

    def cast(self, x: float) -> Any:
        return round(x) if self.integer else float(x)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.is_scenario:
            out["path"] = "scenario"
        else:
            out["targets"] = [t.__dict__ for t in self.targets]
        for key in ("values", "low", "high", "steps"):
            if getattr(self, key) is not None:
                out[key] = list(getattr(self, key)) if key == "values" else getattr(self, key)
        out.update(log=self.log, integer=self.integer)
        if self.patches:
            out["patches"] = self.patches
        return out


@dataclass(frozen=True)
class Experiment:
    """A validated experiment; ``size`` is 'full' or 'small' (the ``[small]`` block applied)."""
    name: str
    description: str
    source: str
    file_sha256: str
    size: str
    scenario: str | None
    scenario_patch: dict[str, Any]
    overrides: tuple[str, ...]
    design: str
    samples: int | None
    second_order: bool
    replicates: int
    root_seed: int
    seeds: str
    metrics: tuple[str, ...]
    series: tuple[str, ...]
    analysis: str | None
    parameters: tuple[Parameter, ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Design points, counted without building the design (a grid: product of the value counts)."""
        if self.design == "grid":
            return math.prod(p.n_values for p in self.parameters)
        d = len(self.parameters)
        if self.design == "lhs":
            return int(self.samples or 0)
        return int(self.samples or 0) * (2 * d + 2 if self.second_order else d + 2)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def grid_points(self) -> Iterator[dict[str, Any]]:
        """A grid's points, one at a time (the last parameter varies fastest)."""
        names = [p.name for p in self.parameters]
        for combo in itertools.product(*(p.grid_values() for p in self.parameters)):
            yield dict(zip(names, combo, strict=True))

    def base_names(self) -> list[str]:
        """The base scenarios: the scenario parameter's values, or the one ``scenario``."""
        for p in self.parameters:
            if p.is_scenario:
                return list(p.values or ())
        return [self.scenario] if self.scenario else []

    def base_data(self, name: str) -> dict[str, Any]:
        """A base scenario with the patch and the overrides applied (raw dict, not validated)."""
        data = copy.deepcopy(read_base(name))
        if self.scenario_patch:
            data = merge(data, copy.deepcopy(self.scenario_patch))
        for text in self.overrides:
            apply_value(data, *parse_override(text))
        return data

    def point_data(self, point: dict[str, Any]) -> dict[str, Any]:
        """The raw scenario dict of one design point (parameter name -> value), not validated."""
        base = next((point[p.name] for p in self.parameters if p.is_scenario), self.scenario)
        data = self.base_data(base)
        for p in self.parameters:
            value = point[p.name]
            if p.is_scenario:
                continue
            if p.patches and str(value) in p.patches:
                data = merge(data, copy.deepcopy(p.patches[str(value)]))
            for target in p.targets:
                target.apply(data, value)
        return data

    def scenario_for(self, point: dict[str, Any]) -> Scenario:
        """The resolved, validated scenario of one design point (parameter name -> value)."""
        return from_dict(self.point_data(point))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source": self.source,
                "file_sha256": self.file_sha256, "size": self.size, "scenario": self.scenario,
                "scenario_patch": self.scenario_patch, "set": list(self.overrides), "design": self.design,
                "samples": self.samples, "second_order": self.second_order, "replicates": self.replicates,
                "root_seed": self.root_seed, "seeds": self.seeds, "metrics": list(self.metrics),
                "series": list(self.series), "analysis": self.analysis, "options": self.options,
                "parameters": [p.to_dict() for p in self.parameters]}

    def fingerprint(self) -> str:
        """Hash of everything that decides the runs' results (not the description or the file path)."""
        d = self.to_dict()
        for key in ("description", "source", "file_sha256", "analysis", "options", "name"):
            d.pop(key)
        text = json.dumps(d, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_base(name: str) -> dict[str, Any]:
    """A base scenario's raw dict (read once per process and file version; callers copy before changing it)."""
    path = Path(name)
    return _read_base_cached(name, path.stat().st_mtime if is_path(name) and path.is_file() else 0.0)


@functools.lru_cache(maxsize=64)
def _read_base_cached(name: str, mtime: float) -> dict[str, Any]:
    return read_toml(name)
