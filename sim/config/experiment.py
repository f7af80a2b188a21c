"""Experiments: a TOML file under ``experiments/`` loaded into a validated :class:`Experiment`.

An experiment is a base scenario, the parameters to vary and their ranges, a design (full
grid, Latin hypercube or Sobol/Saltelli), the number of replicates, the root seed and the
metrics to keep. Bad input raises :class:`ExperimentError` (a :class:`ScenarioError`) with
one line naming the file and the field, as scenarios do. Layout::

    [experiment]
    name = "phase-diagram"            # output folder name, a plain name (default: the file's stem)
    scenario = "finra-2026-05"        # base: built-in name or .toml path (relative to this file)
    set = ["margin.accounts=100000"]  # scenario overrides applied to every run
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

    [small]                           # the size the tests run
    replicates = 2
    set = ["margin.accounts=2000"]
    [small.parameters.leverage]
    values = [1.2, 1.8]

Every field is checked against its :class:`~sim.config.fields.Field` spec (see
:mod:`sim.config.experiment_spec`). The design's size is counted before anything is built, so a
huge grid fails at once. With ``check_points``, a grid of up to ``GRID_CHECK_LIMIT`` points has
every point's scenario validated; a larger grid, a Latin hypercube or a Sobol design has each
parameter's values (each end of a range) validated with the other parameters held at a reference
value, which covers every point's single fields at the cost of a few scenarios.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from sim.config.experiment_spec import (
    ANALYSES,
    DEFAULT_METRICS,
    DESIGNS,
    EXPERIMENT_FIELDS,
    MAX_RUNS,
    NAME_RE,
    PARAMETER_FIELDS,
    REQUIRED_METRICS,
    REQUIRED_SERIES,
    RESERVED,
    SMALL_FIELDS,
    TARGET_FIELDS,
    Experiment,
    ExperimentError,
    Parameter,
    Target,
    read_base,
)
from sim.config.fields import NO_DEFAULT, Field, check, check_keys, show
from sim.config.files import is_path, parse_toml, read_file
from sim.config.outputs import METRIC_NAMES, daily_columns
from sim.config.paths import parse_override
from sim.core.errors import InputError

__all__ = ["ANALYSES", "DEFAULT_METRICS", "DESIGNS", "GRID_CHECK_LIMIT", "MAX_RUNS", "Experiment", "ExperimentError",
           "Parameter", "Target", "check_design", "load_experiment"]

GRID_CHECK_LIMIT = 10_000
"""Largest grid whose every point's scenario is validated at load time."""
_FILE_KEYS = ("experiment", "parameters", "scenario_patch", "small")


def _fail(where: str, message: str, allowed: str | None = None, field: str | None = None) -> ExperimentError:
    """``where: message``; ``field`` defaults to the first word of ``where``."""
    return ExperimentError(f"{where}: {message}", field=field or where.split(" ")[0], allowed=allowed)


def _get(table: dict[str, Any], key: str, specs: dict[str, Field], where: str) -> Any:
    """``table[key]`` checked against its spec, or the spec's default (None when it has none)."""
    spec = specs[key]
    if key not in table:
        return None if spec.default is NO_DEFAULT else copy.deepcopy(spec.default)
    return check(table[key], spec, f"{where}.{key}", error=ExperimentError)


def load_experiment(path: str | Path, *, small: bool = False, overrides: list[str] | tuple[str, ...] = (),
                    values: dict[str, list[Any]] | None = None, check_points: bool = True) -> Experiment:
    """Read, validate and (with ``small``) shrink an experiment file.

    Parameters
    ----------
    path : str or Path
        The experiment's ``.toml`` file.
    small : bool
        Apply the file's ``[small]`` block.
    overrides : list of str
        Scenario overrides (``section.field=value``) added after the file's own.
    values : dict, optional
        Parameter name -> values replacing that parameter's values or range (after ``[small]``).
    check_points : bool
        Validate the design's scenarios now (see the module docstring), so a bad range stops the
        sweep before any run, with one line naming the point and the field.

    Raises
    ------
    ExperimentError
        One line, prefixed with the file's name.
    """
    path = Path(path)
    source = str(path)
    raw_bytes = read_file(path, f"experiment file {source!r}", ExperimentError, field="experiment")
    raw = parse_toml(raw_bytes, source, ExperimentError, field="experiment")
    try:
        experiment = _experiment(raw, path, hashlib.sha256(raw_bytes).hexdigest(), small, overrides, values)
        if check_points:
            check_design(experiment)
    except InputError as exc:
        raise ExperimentError(f"{source}: {exc}", field=exc.field, allowed=exc.allowed) from None
    return experiment


def _experiment(raw: dict[str, Any], path: Path, sha: str, small: bool, overrides: Any, values: Any) -> Experiment:
    check_keys(raw, _FILE_KEYS, "experiment file", error=ExperimentError)
    exp = check_keys(raw.get("experiment", {}), EXPERIMENT_FIELDS, "experiment", error=ExperimentError)
    small_raw = check_keys(raw.get("small", {}), SMALL_FIELDS, "small", error=ExperimentError)
    settings = {key: _get(exp, key, EXPERIMENT_FIELDS, "experiment") for key in EXPERIMENT_FIELDS}
    if small:
        _apply_small(settings, small_raw)
    settings["set"] += check(list(overrides) if isinstance(overrides, tuple) else overrides,
                             EXPERIMENT_FIELDS["set"], "scenario overrides", error=ExperimentError)
    for i, text in enumerate(settings["set"]):
        try:
            parse_override(text)
        except InputError as exc:
            raise _fail(f"set[{i}]", str(exc)) from None
    params_raw = _parameters_raw(raw.get("parameters"), small_raw.get("parameters", {}) if small else {}, values)
    parameters = tuple(_parameter(p, f"parameters[{i}]", path.parent) for i, p in enumerate(params_raw))
    scenario = _base_scenario(settings["scenario"], parameters, path.parent)
    _check_design_settings(settings, parameters)
    patch = raw.get("scenario_patch", {})
    if not isinstance(patch, dict):
        raise _fail("scenario_patch", "must be a table (a scenario fragment)", "a table")
    _check_outputs(settings, [p.name for p in parameters])
    name = check(settings["name"] or path.stem, EXPERIMENT_FIELDS["name"], "experiment.name", error=ExperimentError)
    experiment = Experiment(
        name=name, description=settings["description"], source=str(path), file_sha256=sha,
        size="small" if small else "full", scenario=scenario, scenario_patch=patch, overrides=tuple(settings["set"]),
        design=settings["design"], samples=settings["samples"], second_order=settings["second_order"],
        replicates=settings["replicates"], root_seed=settings["root_seed"], seeds=settings["seeds"],
        metrics=tuple(settings["metrics"]), series=tuple(settings["series"]), analysis=settings["analysis"],
        parameters=parameters, options=settings["options"])
    if experiment.n_runs > MAX_RUNS:
        raise _fail("design", f"{experiment.n_runs:,} runs; must be at most {MAX_RUNS:,}", f"at most {MAX_RUNS:,} runs")
    for base_name in experiment.base_names():
        try:
            base = experiment.base_data(base_name)
        except InputError as exc:
            raise _fail(f"set / scenario_patch on {base_name!r}", str(exc)) from None
        _check_series(experiment.series, base)
    return experiment


def _apply_small(settings: dict[str, Any], small_raw: dict[str, Any]) -> None:
    """The ``[small]`` block's values replace (``set``: extend) the ``[experiment]`` ones."""
    for key in ("replicates", "samples", "metrics", "series"):
        if key in small_raw:
            settings[key] = _get(small_raw, key, SMALL_FIELDS, "small")
    settings["set"] = settings["set"] + _get(small_raw, "set", SMALL_FIELDS, "small")
    options = check_keys(small_raw.get("options", {}), tuple(settings["options"]), "small.options",
                         error=ExperimentError)
    settings["options"] = {**settings["options"], **options}


def _parameters_raw(params_raw: Any, edits: Any, values: Any) -> list[Any]:
    """The ``[[parameters]]`` tables with the ``[small.parameters]`` edits and ``values`` applied."""
    if not isinstance(params_raw, list) or not params_raw:
        raise _fail("parameters", "must be a non-empty list of [[parameters]] tables", "a list of tables")
    known = [p.get("name") for p in params_raw if isinstance(p, dict)]
    edits = check_keys(edits, [str(k) for k in known], "small.parameters", what="parameter", error=ExperimentError)
    edit_fields = [k for k in PARAMETER_FIELDS if k != "name"]
    out = []
    for p in params_raw:
        edit = edits.get(p.get("name")) if isinstance(p, dict) else None
        if edit is not None:
            edit = check_keys(edit, edit_fields, f"small.parameters.{p['name']}", error=ExperimentError)
            # a small block's values replace a range and vice versa
            drop = ("low", "high", "steps") if "values" in edit else ("values",) if {"low", "high"} & set(edit) else ()
            p = {**{k: v for k, v in p.items() if k not in drop}, **edit}
        out.append(p)
    values = check(values or {}, Field(dict), "values", error=ExperimentError)
    for name, vals in values.items():
        if name not in known:
            raise _fail(f"values {name}", "no such parameter; parameters: " + ", ".join(map(str, known)))
        vals = check(vals, PARAMETER_FIELDS["values"], f"values {name}", error=ExperimentError)
        out = [{**{k: v for k, v in p.items() if k not in ("low", "high", "steps")}, "values": list(vals)}
               if isinstance(p, dict) and p.get("name") == name else p for p in out]
    return out


def _parameter(raw: Any, where: str, base_dir: Path) -> Parameter:
    raw = check_keys(raw, PARAMETER_FIELDS, where, error=ExperimentError)
    name = _get(raw, "name", PARAMETER_FIELDS, where)
    if name is None or not NAME_RE.match(name) or name in RESERVED:
        raise _fail(f"{where}.name = {show(name)}", "must be an identifier (letters, digits, _) and not one of "
                    + ", ".join(sorted(RESERVED)), "an identifier")
    where = f"{where} ({name})"
    given = [k for k in ("path", "paths", "targets") if k in raw]
    if len(given) > 1 or (not given and not raw.get("patches")):
        raise _fail(where, "give exactly one of path, paths or targets (or only patches)")
    is_scenario = raw.get("path") == "scenario"
    values = _values(raw, where, is_scenario, base_dir)
    low, high, steps, log = _range(raw, where, values, is_scenario)
    patches = _get(raw, "patches", PARAMETER_FIELDS, where)
    for key, frag in patches.items():
        if values is None or key not in [str(v) for v in values]:
            raise _fail(f"{where}.patches.{key}", "must be one of the parameter's values")
        if not isinstance(frag, dict):
            raise _fail(f"{where}.patches.{key}", "must be a table (a scenario fragment)", "a table")
    return Parameter(name=name, targets=() if is_scenario else _targets(raw, where), values=values, low=low,
                     high=high, steps=steps, log=log, integer=_get(raw, "integer", PARAMETER_FIELDS, where),
                     patches=patches, is_scenario=is_scenario)


def _targets(raw: dict[str, Any], where: str) -> tuple[Target, ...]:
    op = _get(raw, "op", PARAMETER_FIELDS, where)
    if "path" in raw:
        return (Target(_get(raw, "path", PARAMETER_FIELDS, where), op),)
    if "paths" in raw:
        return tuple(Target(p, op) for p in _get(raw, "paths", PARAMETER_FIELDS, where))
    out = []
    for i, t in enumerate(_get(raw, "targets", PARAMETER_FIELDS, where) or ()):
        tw = f"{where}.targets[{i}]"
        t = check_keys(t, TARGET_FIELDS, tw, error=ExperimentError)
        if "path" not in t:
            raise _fail(f"{tw}.path", "required (the dotted path of a scenario field)")
        out.append(Target(*(_get(t, key, TARGET_FIELDS, tw) for key in ("path", "op", "times", "plus"))))
    return tuple(out)


def _values(raw: dict[str, Any], where: str, is_scenario: bool, base_dir: Path) -> tuple[Any, ...] | None:
    if "values" not in raw:
        return None
    values = _get(raw, "values", PARAMETER_FIELDS, where)
    if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
        raise _fail(f"{where}.values", "must not repeat a value")
    if is_scenario:
        values = [_scenario_name(v, f"{where}.values[{i}]", base_dir) for i, v in enumerate(values)]
    return tuple(values)


def _range(raw: dict[str, Any], where: str, values: Any, is_scenario: bool) -> tuple[Any, Any, Any, bool]:
    """``low``, ``high``, ``steps`` and ``log`` of a parameter, consistent with its ``values``."""
    low, high = raw.get("low"), raw.get("high")
    if values is not None and (low is not None or high is not None):
        raise _fail(where, "give either values or low and high, not both")
    if values is None:
        if low is None or high is None:
            raise _fail(where, "needs values, or low and high")
        if is_scenario:
            raise _fail(where, "the scenario parameter needs values (scenario names)")
        low, high = _get(raw, "low", PARAMETER_FIELDS, where), _get(raw, "high", PARAMETER_FIELDS, where)
        if not low < high:
            raise _fail(where, f"low ({low:g}) must be below high ({high:g})")
    log = _get(raw, "log", PARAMETER_FIELDS, where)
    if log and low is not None and low <= 0:
        raise _fail(f"{where}.low = {low:g}", "must be > 0 with log = true", "> 0")
    steps = raw.get("steps")
    if steps is not None:
        if values is not None:
            raise _fail(f"{where}.steps", "only with low and high")
        steps = _get(raw, "steps", PARAMETER_FIELDS, where)
    return low, high, steps, log


def _scenario_name(value: Any, where: str, base_dir: Path) -> str:
    """A base scenario: a built-in name, or a .toml path made absolute (relative to the experiment file)."""
    name = check(value, Field(str), where, error=ExperimentError)
    if is_path(name):
        path = Path(name)
        name = str((path if path.is_absolute() else base_dir / path).resolve())
    try:
        read_base(name)
    except InputError as exc:
        raise _fail(where, str(exc)) from None
    return name


def _base_scenario(scenario: str | None, parameters: tuple[Parameter, ...], base_dir: Path) -> str | None:
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise _fail("parameters", "names must be distinct")
    n_scenario = sum(p.is_scenario for p in parameters)
    if n_scenario > 1:
        raise _fail("parameters", "at most one parameter may have path = 'scenario'")
    if scenario is None and not n_scenario:
        raise _fail("experiment.scenario", "required (a built-in name or a .toml path), unless a parameter has "
                                           "path = 'scenario'")
    if scenario is not None and n_scenario:
        raise _fail("experiment.scenario", "leave it out when a parameter has path = 'scenario'")
    return None if scenario is None else _scenario_name(scenario, "experiment.scenario", base_dir)


def _check_design_settings(settings: dict[str, Any], parameters: tuple[Parameter, ...]) -> None:
    design = settings["design"]
    if design == "grid":
        for p in parameters:
            if p.values is None and p.steps is None:
                raise _fail(f"parameter {p.name!r}", "a grid needs values, or low, high and steps")
        if settings["samples"] is not None:
            raise _fail("experiment.samples", "only for design 'lhs' or 'sobol' (a grid has its own size)")
    else:
        for p in parameters:
            if not p.continuous or p.steps is not None:
                raise _fail(f"parameter {p.name!r}", f"design {design!r} needs low and high (no values, no steps)")
        if settings["samples"] is None:
            raise _fail("experiment.samples", f"required for design {design!r}")
    if settings["analysis"] == "sobol" and design != "sobol":
        raise _fail("experiment.analysis = 'sobol'", "needs design = 'sobol'")


def _check_outputs(settings: dict[str, Any], names: list[str]) -> None:
    """Metrics and series: known names, what the analysis reads, no clash with parameter or reserved columns."""
    metrics, analysis, options = settings["metrics"], settings["analysis"], settings["options"]
    for m in metrics:
        if m not in METRIC_NAMES:
            raise _fail("experiment.metrics", f"{m!r} is not a metric; allowed: {', '.join(METRIC_NAMES)}")
    needed = list(REQUIRED_METRICS[analysis]) if analysis else []
    if analysis == "sobol":
        needed += list(options.get("sobol_metrics", ["max_drawdown"]))
    missing = [m for m in needed if m not in metrics]
    if missing:
        raise _fail("experiment.metrics", f"analysis {analysis!r} needs {missing[0]!r}; add it to the list")
    for column in REQUIRED_SERIES.get(analysis, ()):
        if column not in settings["series"]:
            raise _fail("experiment.series", f"analysis {analysis!r} needs {column!r}; add it to the list")
    clash = sorted(set(metrics) & (set(names) | RESERVED))
    if clash:
        raise _fail("experiment.metrics", f"{clash[0]!r} is also a parameter or a reserved column")


def _check_series(series: tuple[str, ...], base: dict[str, Any]) -> None:
    market = base.get("market")
    assets = market.get("assets", ["market"]) if isinstance(market, dict) else ["market"]
    allowed = daily_columns([a for a in assets if isinstance(a, str)] if isinstance(assets, list) else [])
    for s in series:
        if s not in allowed:
            raise _fail("experiment.series", f"{s!r} is not a daily column; allowed: {', '.join(allowed)}")


# ---------------------------------------------------------------------------- the design's scenarios

def check_design(exp: Experiment) -> None:
    """Validate the design's scenarios without building the design (see the module docstring).

    Raises
    ------
    ExperimentError
        A point whose scenario is invalid (one line naming the point and the field).
    """
    if exp.design == "grid" and exp.n_points <= GRID_CHECK_LIMIT:
        for i, point in enumerate(exp.grid_points()):
            _check_point(exp, point, f"design point {i}")
        return
    grid = exp.design == "grid"
    ref = {p.name: (p.values[0] if p.values is not None else p.cast(p.low)) if grid else p.from_unit(0.5)
           for p in exp.parameters}
    others = "first values" if grid else "mid-range values"
    _check_point(exp, ref, f"design point with every parameter at its {others}")
    for p in exp.parameters:
        probes = list(p.values) if p.values is not None else [p.cast(p.low), p.cast(p.high)]
        for target in p.targets if p.continuous else ():
            ends = sorted((target.transform(probes[0]), target.transform(probes[-1])))
            if target.op == "divide" and ends[0] <= 0.0 <= ends[1]:
                raise _fail(f"parameter {p.name!r}", f"op 'divide' on {target.path} by a range that includes 0 "
                                                     f"({ends[0]:g} to {ends[1]:g})")
        for value in probes:
            _check_point(exp, {**ref, p.name: value}, f"parameter {p.name!r} = {value!r}, the others at their {others}")


def _check_point(exp: Experiment, point: dict[str, Any], label: str) -> None:
    try:
        exp.scenario_for(point)
    except InputError as exc:
        shown = ", ".join(f"{k}={v}" for k, v in point.items())
        raise _fail(f"{label} ({shown})", str(exc), exc.allowed, exc.field) from None
