"""Simulated method of moments (SMM) for any simulator: the estimator behind `marginsim calibrate`.

Given real moments m (length m), their sampling covariance Sigma (a bootstrap of the real data)
and a simulator that returns the mean of the moments over S simulated paths at a parameter
vector theta (the same S seeds at every theta: common random numbers), the estimate minimises

    Q(theta) = g(theta)' W g(theta),   g = mean simulated moments - real moments,
    W = [(1 + 1/S) Sigma]^-1,

the efficient weight: (1 + 1/S) Sigma is the variance of g at the true theta when the S paths
have the real sample's length (Gourieroux, Monfort and Renault 1993; Duffie and Singleton 1993).
Then ``sqrt(diag((1 + 1/S) (G' Sigma^-1 G)^-1))`` are the standard errors, with G the Jacobian
of the simulated moments (central differences in parameter units, on the same seeds), and
J = Q(theta_hat) is asymptotically chi-squared with m - k degrees of freedom.

**Why scipy.** The problem is bounded, derivative-free (the simulated moments are not
differentiable in theta in any useful sense) and small (at most about ten parameters), and every
evaluation costs S full simulations. A quasi-random global stage (``scipy.stats.qmc.Sobol``
points in the bounds' box, plus the starting value) followed by Nelder-Mead
(``scipy.optimize.minimize``) from the best point is the standard recipe for such problems and
needs nothing beyond scipy, already a dependency; optimagic/estimagic or black-it would add
dependencies (and their own optimisers wrap the same scipy routines) for no gain here.
Nelder-Mead runs on logit-transformed parameters, u = logit((theta - lo) / (hi - lo)), so it is
unconstrained while theta stays inside its bounds; its first simplex moves each parameter by
:data:`SIMPLEX_STEP` of its bounds' width.

**Ill-conditioned Sigma.** When the moments' correlation matrix has a condition number above
:data:`COND_MAX` (e.g. more moments than bootstrap replications can pin down), a ridge of
:data:`RIDGE` times the identity is added to the correlation matrix before it is inverted; the
ridge used is reported (0 when none).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from scipy.stats import qmc

from sim.core.detarrays import dot, matvec

COND_MAX = 1e10
"""Largest condition number of the moments' correlation matrix inverted as it is."""
RIDGE = 1e-6
"""Ridge added to the correlation matrix's diagonal when its condition number exceeds COND_MAX."""
RANK_TOL = 1e-6
"""A singular value of the scaled Jacobian counts towards its rank when above RANK_TOL x the largest."""
PENALTY = 1e12
"""The objective at a parameter vector the simulator cannot evaluate (an invalid scenario, NaN moments)."""
EDGE = 1e-6
"""Unit-interval positions are kept in [EDGE, 1 - EDGE] so the logit stays finite."""
SIMPLEX_STEP = 0.1
"""Nelder-Mead's first simplex moves each parameter by this fraction of its bounds' width (in parameter
units, so a start near a bound, where logit steps are tiny, still explores)."""
BATCH = 8
"""Global-stage points simulated per ensemble call (progress is reported after each)."""

Simulator = Callable[[np.ndarray], np.ndarray]
"""``simulate(thetas)``: an ``n x k`` array of parameter vectors -> ``n x m`` mean simulated moments (NaN rows
for vectors it cannot evaluate)."""
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Bounds:
    """Lower and upper bounds of each parameter (arrays of length k)."""
    lo: np.ndarray
    hi: np.ndarray

    @property
    def width(self) -> np.ndarray:
        return self.hi - self.lo

    def to_u(self, theta: np.ndarray) -> np.ndarray:
        """logit((theta - lo) / (hi - lo)), the unconstrained coordinates."""
        p = np.clip((np.asarray(theta, dtype=float) - self.lo) / self.width, EDGE, 1.0 - EDGE)
        return np.log(p / (1.0 - p))

    def from_u(self, u: np.ndarray) -> np.ndarray:
        """The parameters at unconstrained coordinates ``u`` (inside the bounds)."""
        p = np.clip(1.0 / (1.0 + np.exp(-np.asarray(u, dtype=float))), EDGE, 1.0 - EDGE)
        return self.lo + p * self.width


@dataclass
class SmmFit:
    """The estimate and its inference (see the module docstring for the formulas)."""
    estimates: np.ndarray
    std_errors: np.ndarray
    covariance: np.ndarray     # (1 + 1/S) (G' Sigma^-1 G)^-1
    j_stat: float
    j_df: int
    j_pvalue: float
    real: np.ndarray
    simulated: np.ndarray      # mean simulated moments at the estimate
    t_stats: np.ndarray        # (sim - real) / sqrt((1 + 1/S) Sigma_ii)
    jacobian: np.ndarray       # m x k, moments per parameter unit
    rank: int
    condition: float           # of the scaled Jacobian
    singular_values: np.ndarray
    ridge: float
    evaluations: int           # parameter vectors simulated
    start_objective: float
    global_best: np.ndarray


def weight_matrix(cov: np.ndarray, paths: int) -> tuple[np.ndarray, float]:
    """W = [(1 + 1/S) Sigma]^-1 and the ridge used (0, or RIDGE when Sigma's correlation matrix is ill-conditioned)."""
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    ridge = RIDGE if np.linalg.cond(corr) > COND_MAX else 0.0
    inv_corr = np.linalg.pinv(corr + ridge * np.eye(corr.shape[0]))
    return inv_corr / np.outer(sd, sd) / (1.0 + 1.0 / paths), ridge


def quadratic(g: np.ndarray, w: np.ndarray) -> float:
    """g' W g, summed in index order (CPU-independent)."""
    return dot(g, matvec(w, g))


class _Objective:
    """Q(theta) with a cache (Nelder-Mead revisits points) and a count of the vectors simulated."""

    def __init__(self, simulate: Simulator, real: np.ndarray, w: np.ndarray, progress: Progress | None,
                 total: int) -> None:
        self.simulate, self.real, self.w = simulate, real, w
        self.cache: dict[tuple[float, ...], np.ndarray] = {}
        self.progress, self.total = progress, total

    def moments(self, thetas: np.ndarray) -> np.ndarray:
        """Mean simulated moments at each row of ``thetas`` (simulated once per distinct row)."""
        thetas = np.atleast_2d(thetas)
        new = [t for t in {tuple(map(float, t)) for t in thetas} if t not in self.cache]
        if new:
            rows = np.atleast_2d(self.simulate(np.array(new)))
            self.cache.update(zip(new, rows, strict=True))
            if self.progress is not None:
                self.progress(min(len(self.cache), self.total), self.total)
        return np.array([self.cache[tuple(map(float, t))] for t in thetas])

    def value(self, m: np.ndarray) -> float:
        g = m - self.real
        return quadratic(g, self.w) if np.all(np.isfinite(g)) else PENALTY

    def __call__(self, theta: np.ndarray) -> float:
        return self.value(self.moments(theta)[0])


def global_points(bounds: Bounds, n: int, seed: int) -> np.ndarray:
    """``n`` (a power of 2) scrambled Sobol points in the bounds' box, seeded from ``SeedSequence(seed)``."""
    k = bounds.lo.size
    sobol = qmc.Sobol(d=k, scramble=True, rng=np.random.default_rng(np.random.SeedSequence(seed)))
    return bounds.lo + sobol.random_base2(round(math.log2(n))) * bounds.width


def initial_simplex(theta: np.ndarray, bounds: Bounds, step: float = SIMPLEX_STEP) -> np.ndarray:
    """Nelder-Mead's first simplex: ``theta`` and k vertices each moved ``step`` x its bound width (inward)."""
    k = theta.size
    vertices = np.repeat(theta[None, :], k + 1, axis=0)
    for j in range(k):
        up = theta[j] + step * bounds.width[j]
        vertices[j + 1, j] = up if up < bounds.hi[j] else theta[j] - step * bounds.width[j]
    return vertices


def jacobian(moments: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, bounds: Bounds, step: float
             ) -> np.ndarray:
    """d moments / d theta by central differences of ``step`` x the bounds' width.

    One-sided at a bound, and one-sided where a step leaves the valid region (the simulator
    returns NaN there, e.g. a GARCH step past stationarity); a column is NaN only when both steps
    are invalid.
    """
    k = theta.size
    h = step * bounds.width
    up = np.minimum(theta + h, bounds.hi)
    dn = np.maximum(theta - h, bounds.lo)
    points = np.repeat(theta[None, :], 2 * k + 1, axis=0)
    points[np.arange(k), np.arange(k)] = up
    points[k + np.arange(k), np.arange(k)] = dn
    m = moments(points)
    mid = m[2 * k]
    jac = np.full((m.shape[1], k), math.nan)
    for j in range(k):
        a, xa = (m[j], up[j]) if np.all(np.isfinite(m[j])) else (mid, theta[j])
        b, xb = (m[k + j], dn[j]) if np.all(np.isfinite(m[k + j])) else (mid, theta[j])
        if xa != xb:
            jac[:, j] = (a - b) / (xa - xb)
    return jac


def identification(g_jac: np.ndarray, cov: np.ndarray, bounds: Bounds) -> tuple[int, float, np.ndarray]:
    """Rank (singular values > RANK_TOL x the largest) and condition number of the scaled Jacobian.

    The Jacobian is scaled to be unit-free: row i divided by moment i's standard error
    sqrt(Sigma_ii), column j multiplied by parameter j's bound width, so entry (i, j) is how
    many standard errors moment i moves when parameter j crosses its whole range.
    """
    scaled = g_jac / np.sqrt(np.diag(cov))[:, None] * bounds.width[None, :]
    s = np.linalg.svd(scaled, compute_uv=False)
    rank = int(np.sum(s > RANK_TOL * s[0])) if s.size and s[0] > 0 else 0
    cond = float(s[0] / s[-1]) if s.size and s[-1] > 0 else math.inf
    return rank, cond, s


def estimate(simulate: Simulator, real: np.ndarray, cov: np.ndarray, paths: int, bounds: Bounds,
             start: np.ndarray, *, sobol_points: int = 64, max_evaluations: int = 150, jacobian_step: float = 0.01,
             seed: int = 0, progress: Progress | None = None) -> SmmFit:
    """SMM: a Sobol global stage, Nelder-Mead from its best point, then the inference at the estimate.

    Parameters
    ----------
    simulate : callable
        ``n x k`` parameter vectors -> ``n x m`` mean simulated moments over ``paths`` paths on
        common seeds (NaN rows where it cannot evaluate).
    real, cov : numpy.ndarray
        The real moments (m) and their sampling covariance (m x m).
    paths : int
        S, the simulated paths per parameter vector.
    bounds : Bounds
        The box the parameters live in.
    start : numpy.ndarray
        A starting value, evaluated with the Sobol points.
    sobol_points, max_evaluations : int
        The global stage's points (a power of 2) and Nelder-Mead's budget of evaluations (0 = none).
    jacobian_step : float
        The central-difference step, a fraction of each bound's width.
    seed : int
        Scrambles the Sobol points.
    progress : callable, optional
        ``progress(done, total)`` in parameter vectors simulated.

    Returns
    -------
    SmmFit
    """
    real = np.asarray(real, dtype=float)
    k = bounds.lo.size
    w, ridge = weight_matrix(cov, paths)
    total = 1 + sobol_points + max_evaluations + 2 * k
    obj = _Objective(simulate, real, w, progress, total)
    candidates = np.vstack([np.asarray(start, dtype=float)[None, :], global_points(bounds, sobol_points, seed)])
    moments = np.vstack([obj.moments(candidates[i:i + BATCH]) for i in range(0, len(candidates), BATCH)])
    values = np.array([obj.value(m) for m in moments])
    best = candidates[int(np.argmin(values))]
    theta = best
    if max_evaluations > 0:
        u0 = bounds.to_u(best)
        simplex = bounds.to_u(initial_simplex(best, bounds))
        res = optimize.minimize(lambda u: obj(bounds.from_u(u)), u0, method="Nelder-Mead",
                                options={"maxfev": max_evaluations, "xatol": 1e-5, "fatol": 1e-10,
                                         "initial_simplex": simplex})
        theta = bounds.from_u(res.x)
        if obj(theta) > obj(best):
            theta = best
    fit = inference(obj.moments, real, cov, paths, bounds, theta, jacobian_step, w)
    fit.ridge, fit.evaluations, fit.start_objective, fit.global_best = ridge, len(obj.cache), float(values[0]), best
    if progress is not None:
        progress(total, total)
    return fit


def inference(moments: Callable[[np.ndarray], np.ndarray], real: np.ndarray, cov: np.ndarray, paths: int,
              bounds: Bounds, theta: np.ndarray, step: float, w: np.ndarray | None = None) -> SmmFit:
    """Standard errors, J-test, fit table and identification diagnostics at ``theta``."""
    if w is None:
        w = weight_matrix(cov, paths)[0]
    m = len(real)
    k = theta.size
    sim = moments(theta[None, :])[0]
    g = sim - real
    g_jac = jacobian(moments, theta, bounds, step)
    ok = np.all(np.isfinite(g_jac), axis=0)  # columns a step could not evaluate get no standard error
    vcov = np.full((k, k), math.nan)
    if ok.any():
        info = g_jac[:, ok].T @ w @ g_jac[:, ok]  # = (G' Sigma^-1 G) / (1 + 1/S)
        vcov[np.ix_(ok, ok)] = np.linalg.pinv(info)
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    j = quadratic(g, w) if np.all(np.isfinite(g)) else math.nan
    df = m - k
    p = float(stats.chi2.sf(j, df)) if df > 0 and math.isfinite(j) else math.nan
    t = t_stats(sim, real, cov, paths)
    rank, cond, s = identification(np.where(np.isfinite(g_jac), g_jac, 0.0), cov, bounds)
    return SmmFit(estimates=theta, std_errors=se, covariance=vcov, j_stat=j, j_df=df, j_pvalue=p, real=real,
                  simulated=sim, t_stats=t, jacobian=g_jac, rank=rank, condition=cond, singular_values=s,
                  ridge=0.0, evaluations=0, start_objective=math.nan, global_best=theta)


def t_stats(simulated: Sequence[float], real: Sequence[float], cov: np.ndarray, paths: int) -> np.ndarray:
    """(sim - real) / sqrt((1 + 1/S) Sigma_ii) for each moment."""
    return (np.asarray(simulated) - np.asarray(real)) / np.sqrt((1.0 + 1.0 / paths) * np.diag(cov))
