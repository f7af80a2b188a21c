"""Experiments: a TOML file under ``experiments/`` loaded into a validated :class:`Experiment`.

An experiment is a base scenario, the parameters to vary and their ranges, a design (full
grid, Latin hypercube or Sobol/Saltelli), the number of replicates, the root seed and the
metrics to keep. Bad input raises :class:`ExperimentError` (a :class:`ScenarioError`) with
one line naming the file and the field, as scenarios do. Layout::

    [experiment]
    name = "phase-diagram"            # output folder name (default: the file's stem)
    scenario = "finra-2026-05"        # base: built-in name or .toml path (relative to this file)
    set = ["margin.accounts=100000"]  # --set style overrides applied to every run
    design = "grid"                   # grid | lhs | sobol
    samples = 64                      # lhs: points; sobol: base samples N (runs N(D+2) or N(2D+2))
    replicates = 20                   # runs per design point
    root_seed = 20260601              # numpy.random.SeedSequence root
    seeds = "common"                  # common: replicate r uses the same seed at every point
    metrics = ["shock_drawdown"]      # summary metrics kept (flat names)
    series = ["index_level"]          # optional daily columns kept per run
    analysis = "phase_diagram"        # optional: summary.md and a figure after the sweep

    [scenario_patch]                  # optional fragment merged over the base (lists replace)

    [[parameters]]
    name = "leverage"                 # column in runs.parquet
    path = "margin.leverage_mean"     # or paths = [...], or [[parameters.targets]] with op/times/plus
    values = [1.2, 1.5, 1.8]          # or low/high (+ steps for a grid, log, integer)

    [small]                           # the size the tests run (--small)
    replicates = 2
    set = ["margin.accounts=2000"]
    [small.parameters.leverage]
    values = [1.2, 1.8]
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.config.params import OPS, apply_value
from sim.config.scenario import Scenario, ScenarioError, apply_override, from_dict, merge, parse_override, read_toml

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
MAX_SEED = 2**63 - 1
MAX_RUNS = 10_000_000
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = {"run_id", "point", "replicate", "seed", "seed_spawn_key", "scenario_hash", "status", "error",
            "elapsed_s", "worker", "attempts"}
"""Columns of runs.parquet that parameter and metric names may not take."""


class ExperimentError(ScenarioError):
    """An invalid experiment file; the message is one line naming the field."""


@dataclass(frozen=True)
class Target:
    """One scenario field a parameter drives: ``op`` applies ``value x times + plus`` to it."""
    path: str
    op: str = "set"
    times: float = 1.0
    plus: float = 0.0

    def apply(self, data: dict[str, Any], value: Any) -> None:
        if self.times != 1.0 or self.plus != 0.0:
            value = value * self.times + self.plus
        apply_value(data, self.path, value, self.op)


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

    def grid_values(self) -> list[Any]:
        """Values of a full grid: the explicit list, or ``steps`` points from low to high."""
        if self.values is not None:
            return list(self.values)
        import numpy as np

        pts = np.geomspace(self.low, self.high, self.steps) if self.log else np.linspace(self.low, self.high,
                                                                                          self.steps)
        return [self.cast(float(x)) for x in pts]

    def from_unit(self, u: float) -> Any:
        """Map a point of [0, 1] onto [low, high] (log-uniform when ``log``)."""
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
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

    def base_names(self) -> list[str]:
        """The base scenarios: the scenario parameter's values, or the one ``scenario``."""
        for p in self.parameters:
            if p.is_scenario:
                return list(p.values or ())
        return [self.scenario] if self.scenario else []

    def base_data(self, name: str) -> dict[str, Any]:
        """A base scenario with the patch and the overrides applied (raw dict, not validated)."""
        data = copy.deepcopy(_read_base(name))
        if self.scenario_patch:
            data = merge(data, copy.deepcopy(self.scenario_patch))
        for text in self.overrides:
            apply_override(data, *parse_override(text))
        return data

    def scenario_for(self, point: dict[str, Any]) -> Scenario:
        """The resolved, validated scenario of one design point (parameter name -> value)."""
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
        return from_dict(data)

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


# ---------------------------------------------------------------------------- helpers

def _read_base(name: str) -> dict[str, Any]:
    """A base scenario's raw dict (read once per process; callers copy before changing it)."""
    return _read_base_cached(name, _mtime(name))


def _mtime(name: str) -> float:
    path = Path(name)
    return path.stat().st_mtime if path.is_file() else 0.0


@functools.lru_cache(maxsize=64)
def _read_base_cached(name: str, mtime: float) -> dict[str, Any]:
    return read_toml(name)


class _Checker:
    """Field checks that raise one-line errors prefixed with the file name."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, text: str) -> ExperimentError:
        return ExperimentError(f"{self.source}: {text}")

    def table(self, data: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(f"{where}: must be a table")
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}: unknown field; allowed: {', '.join(allowed)}")
        return data

    def integer(self, value: Any, where: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(f"{where} = {value!r}: must be an integer in [{lo}, {hi}]")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"{where} = {value!r}: must be a finite number")
        return float(value)

    def string(self, value: Any, where: str, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or (choices and value not in choices):
            allowed = f" (one of {', '.join(choices)})" if choices else ""
            raise self.fail(f"{where} = {value!r}: must be a string{allowed}")
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where} = {value!r}: must be a list of strings")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} = {value!r}: must be true or false")
        return value


EXPERIMENT_FIELDS = ("name", "description", "scenario", "set", "design", "samples", "second_order", "replicates",
                     "root_seed", "seeds", "metrics", "series", "analysis", "options")
PARAMETER_FIELDS = ("name", "path", "paths", "op", "targets", "values", "low", "high", "steps", "log", "integer",
                    "patches")
SMALL_FIELDS = ("replicates", "samples", "set", "parameters", "metrics", "series", "options")


def _parameter(chk: _Checker, raw: Any, where: str, base_dir: Path) -> Parameter:
    raw = chk.table(raw, where, PARAMETER_FIELDS)
    name = chk.string(raw.get("name"), f"{where}.name")
    if not NAME_RE.match(name) or name in RESERVED:
        raise chk.fail(f"{where}.name = {name!r}: must be an identifier (letters, digits, _) and not one of "
                       + ", ".join(sorted(RESERVED)))
    where = f"{where} ({name})"
    given = [k for k in ("path", "paths", "targets") if k in raw]
    if len(given) > 1 or (not given and not raw.get("patches")):
        raise chk.fail(f"{where}: give exactly one of path, paths or targets (or only patches)")
    is_scenario = raw.get("path") == "scenario"
    targets: list[Target] = []
    if not is_scenario:
        op = chk.string(raw.get("op", "set"), f"{where}.op", OPS)
        if "path" in raw:
            targets = [Target(chk.string(raw["path"], f"{where}.path"), op)]
        elif not given:
            targets = []
        elif "paths" in raw:
            paths = chk.strings(raw["paths"], f"{where}.paths")
            if not paths:
                raise chk.fail(f"{where}.paths: must name at least one field")
            targets = [Target(p, op) for p in paths]
        else:
            items = raw["targets"]
            if not isinstance(items, list) or not items:
                raise chk.fail(f"{where}.targets: must be a non-empty list of tables")
            for i, t in enumerate(items):
                tw = f"{where}.targets[{i}]"
                t = chk.table(t, tw, ("path", "op", "times", "plus"))
                targets.append(Target(chk.string(t.get("path"), f"{tw}.path"),
                                      chk.string(t.get("op", "set"), f"{tw}.op", OPS),
                                      chk.number(t.get("times", 1.0), f"{tw}.times"),
                                      chk.number(t.get("plus", 0.0), f"{tw}.plus")))
    values = raw.get("values")
    if values is not None:
        if not isinstance(values, list) or not values:
            raise chk.fail(f"{where}.values: must be a non-empty list")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise chk.fail(f"{where}.values: must not repeat a value")
        if is_scenario:
            values = [_scenario_name(chk, v, f"{where}.values[{i}]", base_dir) for i, v in enumerate(values)]
        values = tuple(values)
    low, high = raw.get("low"), raw.get("high")
    if values is not None and (low is not None or high is not None):
        raise chk.fail(f"{where}: give either values or low and high, not both")
    if values is None:
        if low is None or high is None:
            raise chk.fail(f"{where}: needs values, or low and high")
        if is_scenario:
            raise chk.fail(f"{where}: the scenario parameter needs values (scenario names)")
        low, high = chk.number(low, f"{where}.low"), chk.number(high, f"{where}.high")
        if not low < high:
            raise chk.fail(f"{where}: low ({low:g}) must be below high ({high:g})")
    log = chk.boolean(raw.get("log", False), f"{where}.log")
    if log and low is not None and low <= 0:
        raise chk.fail(f"{where}.low = {low:g}: must be > 0 with log = true")
    steps = raw.get("steps")
    if steps is not None:
        if values is not None:
            raise chk.fail(f"{where}.steps: only with low and high")
        steps = chk.integer(steps, f"{where}.steps", 2, 100_000)
    patches = raw.get("patches", {})
    if not isinstance(patches, dict):
        raise chk.fail(f"{where}.patches: must be a table of value -> scenario fragment")
    for key, frag in patches.items():
        if values is None or key not in [str(v) for v in values]:
            raise chk.fail(f"{where}.patches.{key}: must be one of the parameter's values")
        if not isinstance(frag, dict):
            raise chk.fail(f"{where}.patches.{key}: must be a table (a scenario fragment)")
    return Parameter(name=name, targets=tuple(targets), values=values, low=low, high=high, steps=steps, log=log,
                     integer=chk.boolean(raw.get("integer", False), f"{where}.integer"), patches=patches,
                     is_scenario=is_scenario)


def _scenario_name(chk: _Checker, value: Any, where: str, base_dir: Path) -> str:
    name = chk.string(value, where)
    if name.endswith(".toml") and not Path(name).is_absolute():
        name = str((base_dir / name).resolve()) if (base_dir / name).exists() else name
    try:
        _read_base(name)
    except ScenarioError as exc:
        raise chk.fail(f"{where}: {exc}") from None
    return name


def load_experiment(path: str | Path, *, small: bool = False, overrides: list[str] | tuple[str, ...] = (),
                    values: dict[str, list[Any]] | None = None, check_points: bool = True) -> Experiment:
    """Read, validate and (with ``small``) shrink an experiment file.

    ``overrides`` are ``--set`` style scenario overrides added after the file's own; ``values``
    replaces parameters' values (``--values NAME=A,B``), after the ``[small]`` block. With
    ``check_points`` every design point's scenario is validated now, so a bad range stops the
    sweep before any run (one line naming the point and the field).
    """
    path = Path(path)
    source = str(path)
    chk = _Checker(source)
    if not path.is_file():
        raise ExperimentError(f"experiment file {source!r}: not found")
    text = path.read_bytes()
    try:
        raw = tomllib.loads(text.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{source}: invalid TOML: {exc}") from None
    raw = chk.table(raw, "experiment file", ("experiment", "parameters", "scenario_patch", "small"))
    exp = chk.table(raw.get("experiment", {}), "experiment", EXPERIMENT_FIELDS)
    params_raw = raw.get("parameters", [])
    if not isinstance(params_raw, list) or not params_raw:
        raise chk.fail("parameters: must be a non-empty list of [[parameters]] tables")
    small_raw = chk.table(raw.get("small", {}), "small", SMALL_FIELDS)

    replicates = exp.get("replicates", 1)
    samples = exp.get("samples")
    set_list = list(chk.strings(exp.get("set", []), "experiment.set"))
    metrics = exp.get("metrics", list(DEFAULT_METRICS))
    series = exp.get("series", [])
    if small:
        replicates = small_raw.get("replicates", replicates)
        samples = small_raw.get("samples", samples)
        set_list += chk.strings(small_raw.get("set", []), "small.set")
        metrics = small_raw.get("metrics", metrics)
        series = small_raw.get("series", series)
        edits = chk.table(small_raw.get("parameters", {}), "small.parameters",
                          tuple(p.get("name", "") for p in params_raw if isinstance(p, dict)))
        params_raw = [dict(p, **edits.get(p.get("name"), {})) if isinstance(p, dict) else p for p in params_raw]
        for p in params_raw:  # a small block's values replace a range and vice versa
            edit = edits.get(p.get("name"), {}) if isinstance(p, dict) else {}
            if "values" in edit:
                for key in ("low", "high", "steps"):
                    p.pop(key, None)
            elif "low" in edit or "high" in edit:
                p.pop("values", None)
    known = [p.get("name") for p in params_raw if isinstance(p, dict)]
    for name, vals in (values or {}).items():
        if name not in known:
            raise chk.fail(f"--values {name}: no such parameter; parameters: {', '.join(map(str, known))}")
        params_raw = [{**{k: v for k, v in p.items() if k not in ("low", "high", "steps")}, "values": list(vals)}
                      if p.get("name") == name else p for p in params_raw]
    set_list += list(overrides)
    for i, text_ in enumerate(set_list):
        try:
            parse_override(text_)
        except ScenarioError as exc:
            raise chk.fail(f"set[{i}]: {exc}") from None

    base_dir = path.parent
    parameters = tuple(_parameter(chk, p, f"parameters[{i}]", base_dir) for i, p in enumerate(params_raw))
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise chk.fail("parameters: names must be distinct")
    if sum(p.is_scenario for p in parameters) > 1:
        raise chk.fail("parameters: at most one parameter may have path = 'scenario'")
    scenario = exp.get("scenario")
    has_scenario_param = any(p.is_scenario for p in parameters)
    if scenario is None and not has_scenario_param:
        raise chk.fail("experiment.scenario: required (a built-in name or a .toml path), unless a parameter "
                       "has path = 'scenario'")
    if scenario is not None:
        if has_scenario_param:
            raise chk.fail("experiment.scenario: leave it out when a parameter has path = 'scenario'")
        scenario = _scenario_name(chk, scenario, "experiment.scenario", base_dir)

    design = chk.string(exp.get("design", "grid"), "experiment.design", DESIGNS)
    if design == "grid":
        for p in parameters:
            if p.values is None and p.steps is None:
                raise chk.fail(f"parameter {p.name!r}: a grid needs values, or low, high and steps")
        if samples is not None:
            raise chk.fail("experiment.samples: only for design 'lhs' or 'sobol' (a grid has its own size)")
    else:
        for p in parameters:
            if not p.continuous or p.steps is not None:
                raise chk.fail(f"parameter {p.name!r}: design {design!r} needs low and high (no values, no steps)")
        if samples is None:
            raise chk.fail(f"experiment.samples: required for design {design!r}")
        samples = chk.integer(samples, "experiment.samples", 1, MAX_RUNS)
    second_order = chk.boolean(exp.get("second_order", False), "experiment.second_order")
    replicates = chk.integer(replicates, "experiment.replicates", 1, 100_000)
    root_seed = chk.integer(exp.get("root_seed", 0), "experiment.root_seed", 0, MAX_SEED)
    seeds = chk.string(exp.get("seeds", "common"), "experiment.seeds", SEED_MODES)
    analysis = exp.get("analysis")
    if analysis is not None:
        analysis = chk.string(analysis, "experiment.analysis", ANALYSES)
    if analysis == "sobol" and design != "sobol":
        raise chk.fail("experiment.analysis = 'sobol': needs design = 'sobol'")
    options = exp.get("options", {})
    if not isinstance(options, dict):
        raise chk.fail("experiment.options: must be a table")
    if small:
        options = {**options, **chk.table(small_raw.get("options", {}), "small.options", tuple(options))}
    patch = raw.get("scenario_patch", {})
    if not isinstance(patch, dict):
        raise chk.fail("scenario_patch: must be a table (a scenario fragment)")

    metrics = tuple(chk.strings(metrics, "experiment.metrics"))
    if not metrics:
        raise chk.fail("experiment.metrics: must name at least one metric")
    allowed = available_metrics()
    for m in metrics:
        if m not in allowed:
            raise chk.fail(f"experiment.metrics: {m!r} is not a metric; allowed: {', '.join(allowed)}")
    needed = list(REQUIRED_METRICS[analysis]) if analysis else []
    if analysis == "sobol":
        needed += list(options.get("sobol_metrics", ["max_drawdown"]))
    missing = [m for m in needed if m not in metrics]
    if missing:
        raise chk.fail(f"experiment.metrics: analysis {analysis!r} needs {missing[0]!r}; add it to the list")
    for column in {"tightening": ["index_level"], "concentration": ["flow_letf_usd"]}.get(analysis, []):
        if column not in series:
            raise chk.fail(f"experiment.series: analysis {analysis!r} needs {column!r}; add it to the list")
    clash = sorted(set(metrics) & (set(names) | RESERVED))
    if clash:
        raise chk.fail(f"experiment.metrics: {clash[0]!r} is also a parameter or a reserved column")
    series = tuple(chk.strings(series, "experiment.series"))

    experiment = Experiment(
        name=chk.string(exp.get("name", path.stem), "experiment.name"),
        description=chk.string(exp.get("description", ""), "experiment.description"),
        source=source, file_sha256=hashlib.sha256(text).hexdigest(), size="small" if small else "full",
        scenario=scenario, scenario_patch=patch, overrides=tuple(set_list), design=design, samples=samples,
        second_order=second_order, replicates=replicates, root_seed=root_seed, seeds=seeds, metrics=metrics,
        series=series, analysis=analysis, parameters=parameters, options=options)
    for name in experiment.base_names():
        try:
            base = experiment.base_data(name)
        except ScenarioError as exc:
            raise chk.fail(f"set / scenario_patch on {name!r}: {exc}") from None
        _check_series(chk, series, base)
    if check_points:
        from sim.sweep.design import build_design

        design_ = build_design(experiment)
        if design_.n_runs > MAX_RUNS:
            raise chk.fail(f"design: {design_.n_runs:,} runs; must be at most {MAX_RUNS:,}")
        for i, point in enumerate(design_.points):
            try:
                experiment.scenario_for(point)
            except ScenarioError as exc:
                shown = ", ".join(f"{k}={v}" for k, v in point.items())
                raise chk.fail(f"design point {i} ({shown}): {exc}") from None
    return experiment


def _check_series(chk: _Checker, series: tuple[str, ...], base: dict[str, Any]) -> None:
    assets = base.get("market", {}).get("assets", ["market"])
    allowed = [c for c in available_columns() if not c.startswith(("price_", "fundamental_"))]
    allowed += [f"{kind}_{a}" for kind in ("price", "fundamental") for a in assets]
    for s in series:
        if s not in allowed:
            raise chk.fail(f"experiment.series: {s!r} is not a daily column; allowed: {', '.join(allowed)}")


DEFAULT_METRICS = ("total_return", "max_drawdown", "shock_drawdown", "worst_day_return", "forced_sales_usd",
                   "liquidations", "margin_calls", "broker_losses_usd")


@functools.cache
def _tiny_run() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Metric names and daily columns, from a two-day run of a ten-account book."""
    from sim.config.params import flat_metrics
    from sim.core.regimes import REGIMES
    from sim.run.simulate import simulate

    result = simulate(from_dict({"margin": {"accounts": 10}, "simulation": {"days": 2}}), 0)
    metrics = flat_metrics(result.summary["metrics"])
    names = [k for k in metrics if not k.startswith("regime_days.")]
    names += [f"regime_days.{label}" for label in sorted(REGIMES.values())]
    return tuple(names), tuple(result.timeseries.columns)


def available_metrics() -> tuple[str, ...]:
    """Every metric name a sweep can keep (the run summary's metrics, flattened)."""
    return _tiny_run()[0]


def available_columns() -> tuple[str, ...]:
    """Daily columns of a run (price_/fundamental_ columns are per asset)."""
    return _tiny_run()[1]
