"""Vectorised draws for the stock book: capped Poisson counts, weighted names without replacement, Dirichlet weights.

Every draw is the same on every CPU: uniforms are ``Generator.random`` (exact bits), gamma
variates are :func:`sim.core.detrandom.gamma`, the one exponential is :func:`sim.core.detmath.exp`,
and sums are sequential (``numpy.bincount`` adds its weights in input order; cumulative sums
run left to right) -- no reduction whose order depends on the CPU's vector width.
"""

from __future__ import annotations

import math

import numpy as np

from sim.core import detmath, detrandom
from sim.core.detarrays import pow_array

EXACT_AFTER = 64
"""Rejection rounds per column before the few accounts still colliding are drawn exactly, one by one."""


def poisson_capped(rng: np.random.Generator, lam: float, cap: int, size: int) -> np.ndarray:
    """min(Poisson(lam), cap) by inversion of the CDF, one uniform per draw.

    The CDF F(k) = sum_{j <= k} e^-lam lam^j / j! is built term by term for k < cap (e^-lam from
    :func:`sim.core.detmath.exp`, products and sums in order); a draw is the number of
    F(k) <= u, which is Poisson(lam) for values below ``cap`` and ``cap`` for the rest.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream.
    lam : float
        Mean, >= 0 (up to some 700, where e^-lam underflows).
    cap : int
        Largest value returned, >= 0.
    size : int
        Number of draws.

    Returns
    -------
    ndarray
        (size,) int64 in [0, cap].
    """
    u = rng.random(size)
    term = detmath.exp(-lam)
    cdf = np.empty(cap)
    total = 0.0
    for k in range(cap):
        total += term
        cdf[k] = total
        term = term * lam / (k + 1)
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def dirichlet_flat(rng: np.random.Generator, alpha: float, rows: np.ndarray, n: int) -> np.ndarray:
    """Dirichlet(alpha, ..., alpha) weights of each row's positions: normalised gamma variates.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream.
    alpha : float
        Concentration, > 0 (low: most of a row's weight in one position).
    rows : ndarray of int, (P,)
        Each position's row, in [0, n); a row's weights sum to 1.
    n : int
        Number of rows.

    Returns
    -------
    ndarray
        (P,) weights in [0, 1].
    """
    g = detrandom.gamma(rng, alpha, 1.0, rows.shape[0])
    sums = np.bincount(rows, weights=g, minlength=n)
    return g / sums[rows]


def _pick(cum: np.ndarray, pool: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Names drawn from ``pool`` with the weights whose running sum is ``cum``, one per uniform."""
    idx = np.searchsorted(cum, u * cum[-1], side="right")
    return pool[np.minimum(idx, pool.shape[0] - 1)]


def _collides(picks: np.ndarray, rows: np.ndarray, held: list[np.ndarray]) -> np.ndarray:
    """Whether each row's pick is already among the columns of ``held`` (names, -1 = none)."""
    hit = np.zeros(picks.shape[0], dtype=bool)
    for column in held:
        hit |= column[rows] == picks
    return hit


def _exact(rng: np.random.Generator, weights: np.ndarray, pool: np.ndarray, rows: np.ndarray,
           held: list[np.ndarray], out: np.ndarray) -> None:
    """Draw ``out[rows]`` from the pool less each row's held names, renormalised (the rejection loop's tail)."""
    u = rng.random(rows.shape[0])
    for i, r in enumerate(rows):
        exclude = {int(column[r]) for column in held}
        keep = np.array([name not in exclude for name in pool])
        cum = np.cumsum(weights[keep])
        out[r] = _pick(cum, pool[keep], u[i:i + 1])[0]


def distinct_names(rng: np.random.Generator, weights: np.ndarray, pool: np.ndarray, counts: np.ndarray,
                   taken: np.ndarray | None = None) -> np.ndarray:
    """Each row's ``counts[i]`` names from ``pool``, weighted by ``weights``, without replacement.

    Sequential sampling without replacement, vectorised by column: column k's pick is drawn from
    the whole pool and drawn again while it repeats one of the row's earlier columns (or a name
    in ``taken``), which gives each pick probability proportional to its weight among the names
    not yet held -- exactly the sequential draw. After :data:`EXACT_AFTER` rounds the rows
    still colliding are drawn from the renormalised remainder directly (same law).

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream.
    weights : ndarray of float, (K,)
        > 0, the pool's weights (any scale).
    pool : ndarray of int, (K,)
        Name indices to draw from.
    counts : ndarray of int, (n,)
        Names per row, each at most K minus the row's names of ``pool`` in ``taken``.
    taken : ndarray of int, (n, T), optional
        Names a row already holds (-1 = none), never drawn.

    Returns
    -------
    ndarray
        (n, max(counts)) int32: row i's names in columns ``0:counts[i]``, -1 after.
    """
    n, width = counts.shape[0], int(counts.max(initial=0))
    cum = np.cumsum(weights)
    out = np.full((n, width), -1, dtype=np.int32)
    held = [] if taken is None else [taken[:, j] for j in range(taken.shape[1])]
    for k in range(width):
        rows = np.flatnonzero(counts > k)
        picks = _pick(cum, pool, rng.random(rows.shape[0]))
        redo = np.flatnonzero(_collides(picks, rows, held))
        for _ in range(EXACT_AFTER):
            if redo.shape[0] == 0:
                break
            picks[redo] = _pick(cum, pool, rng.random(redo.shape[0]))
            redo = redo[_collides(picks[redo], rows[redo], held)]
        out[rows, k] = picks
        if redo.shape[0]:
            _exact(rng, weights, pool, rows[redo], held, out[:, k])
        held.append(out[:, k])
    return out


def held_in(names: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How many of each row's names (columns of ``names``, -1 = none) have ``mask`` True: (n,) int64."""
    flags = np.append(mask, False)
    return flags[names].sum(axis=1, dtype=np.int64) if names.size else np.zeros(names.shape[0], dtype=np.int64)


def popularity_weights(market_value: np.ndarray, popularity: float, boosted: np.ndarray, boost: float) -> np.ndarray:
    """(market value / largest)^popularity, times ``boost`` for the ``boosted`` names (:func:`sim.core.detmath.pow`)."""
    w = pow_array(market_value / float(market_value.max()), popularity)
    return np.where(boosted, w * boost, w)


def largest_remainder(total: int, shares: list[float]) -> np.ndarray:
    """``total`` split in proportion to ``shares`` (largest remainders; ties to the first): (B,) int64."""
    exact = [total * s / math.fsum(shares) for s in shares]
    out = np.array([math.floor(x) for x in exact], dtype=np.int64)
    order = sorted(range(len(shares)), key=lambda b: (-(exact[b] - out[b]), b))
    for b in order[:total - int(out.sum())]:
        out[b] += 1
    return out
