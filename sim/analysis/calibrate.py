"""`marginsim calibrate`: a scenario's parameters estimated by simulated method of moments.

:func:`calibrate` reads the real moments of the spec's data window (:mod:`sim.analysis.moments`),
their covariance from a block bootstrap of whole months, simulates S paths of T days (the
window's trading days, after a burn-in) at each parameter vector with ``sim.ensemble`` on the
compiled engine, the same S seeds at every vector (common random numbers, derived from the
spec's root seed by :func:`sim.run.ensemble.spawn_seeds`), and hands them to the estimator of
:mod:`sim.analysis.smm` (Sobol global stage, Nelder-Mead, standard errors, J-test,
identification). Out-of-sample windows are reported next to the simulated moments at the
estimate, not fitted: the simulated moments are those of paths of the in-sample length T, and
their t-statistics use each window's own bootstrap covariance.

The parameters are data (the spec's ``[[parameters]]``): any scenario field can be estimated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim import __version__
from sim.analysis import moments as mo
from sim.analysis import smm
from sim.config.calibration import CalibrationSpec, Window
from sim.config.scenario import ScenarioError, apply_value, parse_override, read_toml, resolve
from sim.core.machine import platform_info
from sim.run.ensemble import ensemble, spawn_seeds

SERIES = ("index_level", "margin_debt")
"""The daily columns the moments read."""
Progress = Callable[[int, int], None]
AT_BOUND = 0.01
"""An estimate closer than this fraction of its bounds' width to a bound is reported as at the bound."""


@dataclass
class Calibration:
    """A calibration's result: the estimates and their inference, the fit tables and the provenance.

    Attributes
    ----------
    parameters : list of str
        The estimated fields' dotted paths.
    moments : list of str
        The matched moments.
    fit : SmmFit
        Estimates, standard errors, J-test, fit and identification (see :class:`sim.analysis.smm.SmmFit`).
    out_of_sample : list of dict
        Per window: ``name``, ``index``, ``start``, ``end``, ``rows`` (moment, real, se, simulated, t).
    provenance : dict
        Data windows, seeds, S, T, burn-in, accounts, version, platform, spec hash, wall time.
    base_data : dict
        The base scenario's raw dict with the spec's overrides (the calibrated market TOML is written
        from it, with the estimates applied).
    covariance : numpy.ndarray
        The in-sample moments' bootstrap covariance Sigma.
    """

    parameters: list[str]
    moments: list[str]
    fit: smm.SmmFit
    out_of_sample: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    base_data: dict[str, Any] = field(default_factory=dict)
    covariance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def estimates(self) -> dict[str, float]:
        return {p: float(v) for p, v in zip(self.parameters, self.fit.estimates, strict=True)}

    def at_bound(self) -> list[bool]:
        """Whether each estimate lies within :data:`AT_BOUND` x its bounds' width of a bound.

        There the model would like to go further than the spec allows, the Jacobian is one-sided
        and the standard error is not the asymptotic one: widen the bound or read it as a corner.
        """
        lo, hi = np.array(self.provenance["lo"]), np.array(self.provenance["hi"])
        gap = np.minimum(self.fit.estimates - lo, hi - self.fit.estimates) / (hi - lo)
        return [bool(g < AT_BOUND) for g in gap]

    def fit_rows(self) -> list[dict[str, Any]]:
        """The in-sample fit table: moment, label, real, se (bootstrap), simulated, t."""
        se = np.sqrt(np.diag(self.covariance))
        return [{"moment": n, "label": mo.LABELS[n], "real": float(r), "se": float(s), "simulated": float(x),
                 "t": float(t)} for n, r, s, x, t in zip(self.moments, self.fit.real, se, self.fit.simulated,
                                                          self.fit.t_stats, strict=True)]

    def to_json(self) -> dict[str, Any]:
        """Everything ``estimates.json`` holds (plain JSON types; NaN/inf as null)."""
        f = self.fit
        params = [{"path": p, "estimate": float(v), "std_error": _num(s), "lo": float(lo), "hi": float(hi),
                   "at_bound": at}
                  for p, v, s, lo, hi, at in zip(self.parameters, f.estimates, f.std_errors, self.provenance["lo"],
                                                 self.provenance["hi"], self.at_bound(), strict=True)]
        return {
            "parameters": params,
            "j_test": {"j": _num(f.j_stat), "df": f.j_df, "p_value": _num(f.j_pvalue)},
            "identification": {"rank": f.rank, "parameters": len(self.parameters),
                               "condition_number": _num(f.condition), "rank_tol": smm.RANK_TOL,
                               "singular_values": [_num(s) for s in f.singular_values],
                               "jacobian": [[_num(x) for x in row] for row in f.jacobian]},
            "weight_ridge": f.ridge, "evaluations": f.evaluations, "start_objective": _num(f.start_objective),
            "fit": [{k: _num(v) if isinstance(v, float) else v for k, v in row.items()} for row in self.fit_rows()],
            "out_of_sample": [{**w, "rows": [{k: _num(v) if isinstance(v, float) else v for k, v in r.items()}
                                             for r in w["rows"]]} for w in self.out_of_sample],
            "provenance": {k: v for k, v in self.provenance.items() if k not in ("lo", "hi")},
        }


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


class PathMoments:
    """The simulator :func:`sim.analysis.smm.estimate` calls: mean moments over S common-seed paths.

    ``self(thetas)`` runs ``len(thetas) x S`` paths in one ensemble (path ``i S + s`` = parameter
    vector i with seed s), turns each into a :class:`~sim.analysis.moments.MonthlySample` and
    averages the S moment vectors; a vector whose scenario is invalid (e.g. two parameters that
    break a cross-field rule together) gets a NaN row and is not run.
    """

    def __init__(self, spec: CalibrationSpec, days: int, workers: int = 1) -> None:
        self.spec, self.days, self.workers = spec, days, workers
        self.paths_list = [p.path for p in spec.parameters]
        data = spec.base_data()
        data.setdefault("simulation", {})["days"] = spec.burn_in + days + 1
        data["events"] = []  # the calibrated market has no scheduled shocks
        self.data = data
        self.seeds = spawn_seeds(spec.paths, spec.root_seed)
        self.runs = 0

    def valid(self, theta: np.ndarray) -> bool:
        try:
            resolve(self.data, dict(zip(self.paths_list, map(float, theta), strict=True)))
        except ScenarioError:
            return False
        return True

    def __call__(self, thetas: np.ndarray) -> np.ndarray:
        s_paths = len(self.seeds)
        out = np.full((len(thetas), len(self.spec.moments)), np.nan)
        ok = [i for i, t in enumerate(thetas) if self.valid(t)]
        if not ok:
            return out
        params = {p: [float(thetas[i][j]) for i in ok for _ in range(s_paths)] for j, p in enumerate(self.paths_list)}
        ds = ensemble(self.data, seeds=self.seeds * len(ok), params=params, series=list(SERIES),
                      workers=self.workers).dataset
        level, debt = ds["index_level"].values, ds["margin_debt"].values
        self.runs += len(ok) * s_paths
        for n, i in enumerate(ok):
            rows = [mo.moments(mo.path_sample(level[n * s_paths + s], debt[n * s_paths + s], self.spec.burn_in,
                                              self.days), self.spec.moments) for s in range(s_paths)]
            out[i] = np.mean(rows, axis=0)
        return out


def real_moments(window: Window, spec: CalibrationSpec) -> tuple[mo.MonthlySample, np.ndarray, np.ndarray]:
    """The window's sample, its moments (spec's selection) and their bootstrap covariance."""
    sample = mo.real_sample(window.start, window.end, window.index)
    values = mo.moments(sample, spec.moments)
    cov = mo.bootstrap_cov(sample, spec.moments, spec.replications, spec.block, spec.bootstrap_seed)
    return sample, values, cov


def calibrate(spec: CalibrationSpec, workers: int = 1, progress: Progress | None = None) -> Calibration:
    """Estimate ``spec``'s parameters by SMM on the compiled engine.

    Parameters
    ----------
    spec : CalibrationSpec
        From :func:`sim.config.calibration.load_calibration` (``quick(spec)`` for a smoke test).
    workers : int
        Processes of each ensemble; the numbers do not depend on it.
    progress : callable, optional
        ``progress(done, total)`` in parameter vectors simulated.

    Returns
    -------
    Calibration
    """
    started = time.perf_counter()
    sample, real, cov = real_moments(spec.window, spec)
    days = spec.days or int(sample.returns.size)
    simulator = PathMoments(spec, days, workers)
    bounds = smm.Bounds(np.array([p.lo for p in spec.parameters]), np.array([p.hi for p in spec.parameters]))
    start = np.array([p.start for p in spec.parameters])
    fit = smm.estimate(simulator, real, cov, spec.paths, bounds, start, sobol_points=spec.sobol_points,
                       max_evaluations=spec.max_evaluations, jacobian_step=spec.jacobian_step, seed=spec.root_seed,
                       progress=progress)
    oos = [_out_of_sample(w, spec, fit.simulated) for w in spec.out_of_sample]
    result = Calibration([p.path for p in spec.parameters], list(spec.moments), fit, oos, base_data=market_data(spec),
                         covariance=cov)
    result.provenance = _provenance(spec, days, sample, simulator, time.perf_counter() - started)
    result.provenance.update(lo=bounds.lo.tolist(), hi=bounds.hi.tolist())
    return result


def market_data(spec: CalibrationSpec) -> dict[str, Any]:
    """The base scenario's raw dict (``meta.extends`` merged in) with the spec's ``set`` overrides applied."""
    data = read_toml(spec.base)
    for text in spec.overrides:
        apply_value(data, *parse_override(text))
    return data


def _out_of_sample(window: Window, spec: CalibrationSpec, simulated: np.ndarray) -> dict[str, Any]:
    sample, values, cov = real_moments(window, spec)
    se = np.sqrt(np.diag(cov))
    t = smm.t_stats(simulated, values, cov, spec.paths)
    rows = [{"moment": n, "label": mo.LABELS[n], "real": float(r), "se": float(s), "simulated": float(x),
             "t": float(tt)} for n, r, s, x, tt in zip(spec.moments, values, se, simulated, t, strict=True)]
    return {"name": window.name, "index": window.index, "start": window.start, "end": window.end,
            "days": int(sample.returns.size), "months": sample.months, "rows": rows}


def _provenance(spec: CalibrationSpec, days: int, sample: mo.MonthlySample, simulator: PathMoments,
                wall: float) -> dict[str, Any]:
    w = spec.window
    return {
        "data_window": {"index": w.index, "start": w.start, "end": w.end, "days": int(sample.returns.size),
                        "months": sample.months, "finra": "sim/data (sim.config.finra.debit_balances)"},
        "out_of_sample_windows": [vars(o) for o in spec.out_of_sample],
        "base": spec.base, "overrides": list(spec.overrides), "accounts": spec.accounts,
        "root_seed": spec.root_seed, "paths": spec.paths, "seeds": simulator.seeds, "days": days,
        "burn_in": spec.burn_in, "simulated_runs": simulator.runs, "engine": "compiled",
        "bootstrap": {"replications": spec.replications, "block_months": spec.block, "seed": spec.bootstrap_seed,
                      "method": "circular block bootstrap of whole months"},
        "optimizer": {"sobol_points": spec.sobol_points, "max_evaluations": spec.max_evaluations,
                      "jacobian_step": spec.jacobian_step, "method": "scipy Sobol + Nelder-Mead (logit scale)"},
        "version": __version__, "platform": platform_info(), "spec": spec.source, "spec_sha256": spec.sha256,
        "wall_seconds": round(wall, 3),
    }
