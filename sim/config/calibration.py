"""Calibration specs: the TOML file `marginsim calibrate` reads, validated into a :class:`CalibrationSpec`.

The parameters to estimate are data: a list of ``[[parameters]]`` tables, each a dotted path of
a scenario field with its bounds and starting value. Any field of the base scenario may be
estimated; a path that is not a field, or bounds outside the field's allowed range, is one line
naming ``parameters[i]``. A spec file (every table optional except ``[calibration]`` and at
least one ``[[parameters]]``)::

    [calibration]
    base = "validation-baseline"   # built-in name or .toml path (relative to this file)
    accounts = 5000                # margin.accounts of every simulated path
    set = []                       # other scenario overrides, section.field=value

    [data]                         # the estimation window (arch.data daily closes, FINRA monthly)
    index = "sp500"
    start = "1999-01-01"
    end = "2008-12-31"

    [[out_of_sample]]              # reported, not fitted
    name = "S&P 500 2009-2018"
    index = "sp500"
    start = "2009-01-01"
    end = "2018-12-31"

    [simulation]
    root_seed = 20260514           # numpy SeedSequence root of the S common path seeds
    paths = 16                     # S
    burn_in = 250                  # days discarded before the T days that are measured
    days = 0                       # T; 0 = the data window's number of trading days

    [moments]
    use = ["annualized_vol", ...]  # default: all 13

    [bootstrap]
    replications = 500
    block = 12                     # months per block
    seed = 1

    [optimizer]
    sobol_points = 64              # global stage, a power of 2
    max_evaluations = 150          # Nelder-Mead's budget of objective evaluations
    jacobian_step = 0.01           # central-difference step, fraction of each parameter's bounds

    [[parameters]]
    path = "market.fundamental_vol"
    lo = 0.002
    hi = 0.02
    start = 0.004
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sim.config.fields import NO_DEFAULT, Field, ScenarioError, check, check_keys, iso_date, show
from sim.config.files import is_path, parse_toml, read_file
from sim.config.scenario import parse_override, read_toml, resolve
from sim.config.schema import MAX_SEED
from sim.core.errors import InputError

MOMENTS = ("annualized_vol", "excess_kurtosis", "hill_index", "acf_abs_r_1", "acf_abs_r_5", "acf_abs_r_20",
           "acf_abs_r_50", "acf_abs_r_100", "acf_r_1", "leverage_1", "debt_yoy_mean", "debt_yoy_sd",
           "debt_index_corr")
"""The moments a calibration can match (defined in :mod:`sim.analysis.moments`; listed here for validation)."""
INDICES = ("sp500", "nasdaq")
DATA_FIRST, DATA_LAST = datetime.date(1999, 1, 1), datetime.date(2018, 12, 31)
"""The years of ``arch.data``'s daily closes (first close 1999-01-04, last 2018-12-31)."""


class CalibrationError(ScenarioError):
    """An invalid calibration spec; one line naming the field."""


FIELDS: dict[str, dict[str, Field]] = {
    "calibration": {
        "base": Field(str, doc="base scenario: a built-in name or a .toml path relative to the spec file"),
        "accounts": Field(int, lo=10, hi=10_000_000, default=5000, doc="margin.accounts of every path"),
        "set": Field(list[str], default=[], doc="scenario overrides applied to every path"),
        "description": Field(str, default=""),
    },
    "data": {
        "index": Field(str, choices=INDICES, default="sp500"),
        "start": Field(str, default="1999-01-01"), "end": Field(str, default="2008-12-31"),
    },
    "window": {
        "name": Field(str), "index": Field(str, choices=INDICES, default="sp500"),
        "start": Field(str), "end": Field(str),
    },
    "simulation": {
        "root_seed": Field(int, lo=0, hi=MAX_SEED, default=0, doc="SeedSequence root of the common path seeds"),
        "paths": Field(int, lo=1, hi=100_000, default=16, doc="S, paths per parameter value"),
        "burn_in": Field(int, lo=0, hi=100_000, default=250, unit="days"),
        "days": Field(int, lo=0, hi=100_000, default=0, unit="days; 0 = the data window's trading days"),
    },
    "moments": {"use": Field(list[str], length=(1, len(MOMENTS)), default=list(MOMENTS), choices=MOMENTS)},
    "bootstrap": {
        "replications": Field(int, lo=10, hi=1_000_000, default=500),
        "block": Field(int, lo=1, hi=120, default=12, unit="months"),
        "seed": Field(int, lo=0, hi=MAX_SEED, default=1),
    },
    "optimizer": {
        "sobol_points": Field(int, lo=1, hi=65_536, default=64, doc="a power of 2"),
        "max_evaluations": Field(int, lo=0, hi=1_000_000, default=150),
        "jacobian_step": Field(float, lo=1e-6, hi=0.25, default=0.01, unit="fraction of the bounds' width"),
    },
    "parameters": {"path": Field(str), "lo": Field(float), "hi": Field(float), "start": Field(float)},
}
"""Every table of a spec file and its fields."""
MIN_DAYS = 400
"""Fewest simulated days a calibration measures (moments need > 101 days and 14 months of 21 days)."""
OPTIONAL_TABLES = ("data", "simulation", "moments", "bootstrap", "optimizer")


@dataclass(frozen=True)
class Window:
    """A data window: ``index`` daily closes and FINRA months from ``start`` to ``end`` (ISO dates)."""
    name: str
    index: str
    start: str
    end: str


@dataclass(frozen=True)
class Parameter:
    """One estimated scenario field: its dotted path, bounds and starting value."""
    path: str
    lo: float
    hi: float
    start: float


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec (see the module docstring for the fields)."""
    base: str
    accounts: int
    overrides: tuple[str, ...]
    window: Window
    out_of_sample: tuple[Window, ...]
    root_seed: int
    paths: int
    burn_in: int
    days: int
    moments: tuple[str, ...]
    replications: int
    block: int
    bootstrap_seed: int
    sobol_points: int
    max_evaluations: int
    jacobian_step: float
    parameters: tuple[Parameter, ...]
    description: str = ""
    source: str = ""
    sha256: str = ""

    def base_data(self) -> dict[str, Any]:
        """The base scenario's raw dict with ``set`` and ``margin.accounts`` applied (not validated)."""
        return resolve(self.base, {"margin.accounts": self.accounts}, self.overrides).to_dict()

    def replace(self, **changes: Any) -> CalibrationSpec:
        return dataclasses.replace(self, **changes)


QUICK = {"window": Window("quick", "sp500", "1999-01-01", "2001-12-31"), "paths": 2, "burn_in": 50, "days": 0,
         "accounts": 300, "replications": 40, "sobol_points": 4, "max_evaluations": 6}
"""``--quick``: three years of data, 2 paths of 300 accounts, 4 Sobol points and 6 Nelder-Mead evaluations."""


def quick(spec: CalibrationSpec) -> CalibrationSpec:
    """``spec`` at the tiny size of :data:`QUICK` (a smoke test: seconds, not estimates)."""
    return spec.replace(**QUICK)


def builtin_specs() -> list[str]:
    """Names of the calibration specs shipped in ``sim/calibration``."""
    root = resources.files("sim") / "calibration"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_calibration(ref: str | Path = "market") -> CalibrationSpec:
    """Read and validate a calibration spec: a built-in name (``sim/calibration/NAME.toml``) or a .toml path.

    Raises
    ------
    CalibrationError
        One line naming the file and the first bad field.
    """
    if is_path(ref):
        path = Path(ref)
        where, folder = str(path), path.resolve().parent
        raw_bytes = read_file(path, f"calibration spec {where!r}", CalibrationError, field="spec")
        source = str(path.resolve())
    else:
        if ref not in builtin_specs():
            raise CalibrationError(f"calibration spec {ref!r}: unknown; built-in: {', '.join(builtin_specs())} "
                                   "(or a path to a .toml file)", field="spec", allowed=", ".join(builtin_specs()))
        raw_bytes = (resources.files("sim") / "calibration" / f"{ref}.toml").read_bytes()
        where, folder, source = f"calibration spec {ref!r}", None, f"built-in {ref}"
    raw = parse_toml(raw_bytes, where, CalibrationError, field="spec")
    try:
        spec = _spec(raw, folder)
    except InputError as exc:
        raise CalibrationError(f"{where}: {exc}", field=exc.field, allowed=exc.allowed) from None
    return spec.replace(source=source, sha256=hashlib.sha256(raw_bytes).hexdigest())


def _table(raw: dict[str, Any], name: str, fields: str | None = None) -> dict[str, Any]:
    """Table ``name`` of ``raw`` with every field checked, defaults filled in."""
    specs = FIELDS[fields or name]
    data = check_keys(raw.get(name, {}), specs, name, error=CalibrationError)
    out = {}
    for key, spec in specs.items():
        if key in data:
            out[key] = check(data[key], spec, f"{name}.{key}", error=CalibrationError)
        elif spec.default is NO_DEFAULT:
            raise CalibrationError(f"{name}.{key}: missing; must be {spec.allowed()}", field=f"{name}.{key}",
                                   allowed=spec.allowed())
        else:
            out[key] = spec.default
    return out


def _spec(raw: dict[str, Any], folder: Path | None) -> CalibrationSpec:
    check_keys(raw, (*FIELDS, "out_of_sample"), "spec", what="table", error=CalibrationError)
    if "calibration" not in raw:
        raise CalibrationError("calibration: missing table (base = the scenario to calibrate)", field="calibration",
                               allowed="a table")
    top = _table(raw, "calibration")
    base = top["base"]
    if is_path(base) and folder is not None and not Path(base).is_absolute():
        base = str(folder / base)
    t = {name: _table(raw, name) for name in OPTIONAL_TABLES}
    window = _window({**t["data"], "name": "in sample"}, "data")
    oos = tuple(_window(_table({"w": w}, "w", "window"), f"out_of_sample[{i}]")
                for i, w in enumerate(_list(raw, "out_of_sample", 0)))
    opt, sim = t["optimizer"], t["simulation"]
    n = opt["sobol_points"]
    if n & (n - 1):
        raise CalibrationError(f"optimizer.sobol_points = {n}: must be a power of 2 (Sobol balance)",
                               field="optimizer.sobol_points", allowed="1, 2, 4, ..., 65536")
    if 0 < sim["days"] < MIN_DAYS:
        raise CalibrationError(f"simulation.days = {sim['days']}: must be 0 (the data window's length) or >= "
                               f"{MIN_DAYS} (the ACF of |r| at lag 100 and 14 months of margin debt)",
                               field="simulation.days", allowed=f"0 or >= {MIN_DAYS}")
    use = tuple(t["moments"]["use"])
    if len(set(use)) != len(use):
        raise CalibrationError("moments.use: moments must be distinct", field="moments.use", allowed=", ".join(MOMENTS))
    for text in top["set"]:
        parse_override(text)
    spec = CalibrationSpec(
        base=base, accounts=top["accounts"], overrides=tuple(top["set"]), window=window, out_of_sample=oos,
        root_seed=sim["root_seed"], paths=sim["paths"], burn_in=sim["burn_in"], days=sim["days"], moments=use,
        replications=t["bootstrap"]["replications"], block=t["bootstrap"]["block"],
        bootstrap_seed=t["bootstrap"]["seed"], sobol_points=n, max_evaluations=opt["max_evaluations"],
        jacobian_step=opt["jacobian_step"], parameters=(), description=top["description"])
    params = tuple(_parameter(p, i) for i, p in enumerate(_list(raw, "parameters", 1)))
    if len({p.path for p in params}) != len(params):
        raise CalibrationError("parameters.path: each parameter must be a different field", field="parameters.path")
    spec = spec.replace(parameters=params)
    _check_parameters(spec)
    return spec


def _list(raw: dict[str, Any], name: str, least: int) -> list[Any]:
    items = raw.get(name, [])
    if not isinstance(items, list) or len(items) < least or not all(isinstance(x, dict) for x in items):
        need = f"at least {least} " if least else ""
        raise CalibrationError(f"{name}: must be a list of {need}tables ([[{name}]])", field=name,
                               allowed=f"a list of {need}tables")
    return items


def _date(text: str, name: str) -> datetime.date:
    allowed = f"a date YYYY-MM-DD from {DATA_FIRST} to {DATA_LAST} (arch.data's daily closes)"
    day = iso_date(text, DATA_FIRST, DATA_LAST)
    if day is None:
        raise CalibrationError(f"{name} = {show(text)}: must be {allowed}", field=name, allowed=allowed)
    return day


def _window(t: dict[str, Any], where: str) -> Window:
    start, end = _date(t["start"], f"{where}.start"), _date(t["end"], f"{where}.end")
    if (end - start).days < 730:
        raise CalibrationError(f"{where}.end = {t['end']!r}: must be at least two years after {where}.start "
                               f"({t['start']}), for year-on-year changes", field=f"{where}.end",
                               allowed=f">= {start.replace(year=start.year + 2)}")
    return Window(t["name"], t["index"], t["start"], t["end"])


def _parameter(raw: dict[str, Any], i: int) -> Parameter:
    t = _table({f"parameters[{i}]": raw}, f"parameters[{i}]", "parameters")
    if not t["lo"] < t["hi"] or not t["lo"] <= t["start"] <= t["hi"]:
        raise CalibrationError(f"parameters[{i}] ({t['path']}): must have lo < hi and lo <= start <= hi, got "
                               f"lo {t['lo']:g}, hi {t['hi']:g}, start {t['start']:g}", field=f"parameters[{i}]",
                               allowed="lo < hi, start in [lo, hi]")
    return Parameter(t["path"], t["lo"], t["hi"], t["start"])


def _valid(data: dict[str, Any], values: dict[str, float], overrides: Any) -> bool:
    """Whether the base with ``values`` set is a valid scenario."""
    try:
        resolve(data, values, overrides)
    except ScenarioError:
        return False
    return True


def _check_parameters(spec: CalibrationSpec) -> None:
    """Every parameter path is a field of the base scenario, and its bounds and start are allowed values."""
    data = read_toml(spec.base)  # the base's own errors (unknown name, bad file) are one line already
    resolve(data, {"margin.accounts": spec.accounts}, spec.overrides)
    starts = {q.path: q.start for q in spec.parameters}
    for i, p in enumerate(spec.parameters):
        if "*" in p.path:
            raise CalibrationError(f"parameters[{i}].path = {p.path!r}: must name one field (no '*')",
                                   field=f"parameters[{i}].path", allowed="a dotted path of one field")
        others = {q.path: q.lo for q in spec.parameters if q.path != p.path}
        for key in ("lo", "hi", "start"):  # each value with the other parameters at their starts
            try:
                resolve(data, {**starts, p.path: getattr(p, key)}, spec.overrides)
            except ScenarioError as exc:
                # a bound may break a joint rule with the others' start values (GARCH stationarity) if it
                # holds with the others at their lower bounds: points that break it get the penalty
                if key != "start" and _valid(data, {**others, p.path: getattr(p, key)}, spec.overrides):
                    continue
                raise CalibrationError(f"parameters[{i}].{key} (path {p.path!r}): {exc}",
                                       field=f"parameters[{i}].path", allowed=exc.allowed) from None
