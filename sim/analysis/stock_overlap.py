"""Greenwood-Landier-Thesmar exposure of each name to a shock in one name, through shared holders.

Greenwood, Landier and Thesmar (2015, "Vulnerable banks", J. Financial Economics 115: 471-485):
an account that targets its leverage lambda = gross / equity and loses $L sells (lambda - 1) L,
pro rata across its positions (docs/fire-sales.md). A fall of delta in the shocked name s costs
account i delta V_is, so it sells about delta (lambda_i - 1) (V_is / G_i) V_ij of each name j it
holds: a name's forced sales are predicted by

    X_j = sum_i max(G_i / E_i - 1, 0) * (V_is / G_i) * max(V_ij, 0)

over the accounts i with equity E_i > 0 that are long s (V_ij = shares x price, signed $; G_i =
sum_j |V_ij|, the gross value; E_i = cash + sum_j V_ij). ``X_j`` is in $ (of j held, weighted by
its holders' leverage minus one and their weight in s). With no price impact and leverage
targeting on long-only accounts, the $ of j sold after a fall delta in s is exactly
delta sum_i (lambda_i - 1) V_is V_ij / (G_i - delta V_is) = delta X_j (1 + O(delta)); the margin
book's threshold rule sells only once a call binds, so the relation is then a regression.

:func:`holder_overlap_exposure` runs a compiled pass over the CSR book (:mod:`sim.book.sparse`);
:func:`holder_overlap_exposure_reference` is the same formula in plain Python, for the tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.book.sparse import SparseBook, check_prices
from sim.core.errors import InputError
from sim.core.jit import kernel


def _shocked(book: SparseBook, shocked) -> int:
    if not (isinstance(shocked, int | np.integer) and 0 <= shocked < book.n_names):
        raise InputError(f"shocked: must be a name index in [0, {book.n_names}), got {shocked!r}", field="shocked",
                         allowed=f"[0, {book.n_names})")
    return int(shocked)


def holder_overlap_exposure(book: SparseBook, prices, shocked: int) -> np.ndarray:
    """GLT exposure X_j of every name to a fall in ``shocked`` (formula in the module docstring).

    Parameters
    ----------
    book : SparseBook
        The accounts (any order: the sum over accounts is taken in book order).
    prices : array of float, (M,)
        $ per share of each name, > 0 (the prices before the shock).
    shocked : int
        The shocked name s, in [0, M).

    Returns
    -------
    ndarray
        (M,) float64 $, >= 0; 0 for a name held long by no account that is long s.
    """
    p = check_prices(book, prices)
    s = _shocked(book, shocked)
    out = np.zeros(book.n_names)
    _exposure_kernel(book.offsets, book.names, book.shares, book.cash, p, s, out)
    return out


@kernel()
def _exposure_kernel(offsets, names, shares, cash, prices, shocked, out):
    for i in range(offsets.shape[0] - 1):
        lo, hi = offsets[i], offsets[i + 1]
        equity = cash[i]
        gross = 0.0
        v_s = 0.0
        for k in range(lo, hi):
            v = shares[k] * prices[names[k]]
            equity += v
            gross += abs(v)
            if names[k] == shocked:
                v_s += v
        if equity <= 0.0 or v_s <= 0.0:
            continue
        scale = max(gross / equity - 1.0, 0.0) * (v_s / gross)
        if scale == 0.0:
            continue
        for k in range(lo, hi):
            v = shares[k] * prices[names[k]]
            if v > 0.0:
                out[names[k]] += scale * v


def holder_overlap_exposure_reference(book: SparseBook, prices, shocked: int) -> np.ndarray:
    """:func:`holder_overlap_exposure` in plain Python, account by account (the tests' reference)."""
    p = check_prices(book, prices)
    s = _shocked(book, shocked)
    out = [0.0] * book.n_names
    for i in range(book.n):
        held = [(int(book.names[k]), float(book.shares[k]) * float(p[book.names[k]]))
                for k in range(book.offsets[i], book.offsets[i + 1])]
        equity = float(book.cash[i]) + sum(v for _, v in held)
        gross = sum(abs(v) for _, v in held)
        v_s = sum(v for j, v in held if j == s)
        if equity <= 0.0 or v_s <= 0.0:
            continue
        lev = max(gross / equity - 1.0, 0.0)
        for j, v in held:
            if v > 0.0:
                out[j] += lev * (v_s / gross) * v
    return np.array(out)


class OverlapFit(NamedTuple):
    """Cross-sectional OLS y = intercept + slope x over ``n`` names, with its R^2."""

    slope: float
    intercept: float
    r2: float
    n: int


def overlap_regression(forced_sales_usd_by_name, exposure, exclude, scale=None) -> OverlapFit:
    """Regress the names' forced sales on their holder-overlap exposure, leaving out the shocked name(s).

    Parameters
    ----------
    forced_sales_usd_by_name : array of float, (M,)
        $ of each name sold by margin calls (e.g. ``StockPath.forced_sales_usd.sum(axis=0)``).
    exposure : array of float, (M,)
        :func:`holder_overlap_exposure`, $.
    exclude : int or array of int
        Names left out: the shocked name(s), whose own sales the shock explains directly.
    scale : array of float, (M,), optional
        Each name's market value at the start ($; ``StockBook.price0 * shares_outstanding``):
        both sides are divided by it, so y is the share of the name's value sold and x the share
        exposed, and the slope is $ sold per $ of exposure with every name counted alike. Names
        with scale <= 0 are left out. Default: no scaling (both in $).

    Returns
    -------
    OverlapFit
        (slope, intercept, r2, n): OLS over the n names kept (r2 nan when y does not vary).
    """
    y = np.asarray(forced_sales_usd_by_name, dtype=np.float64)
    x = np.asarray(exposure, dtype=np.float64)
    if y.ndim != 1 or x.shape != y.shape or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("exposure: must be finite, the same shape (M,) as forced_sales_usd_by_name",
                         field="exposure", allowed="finite, shape (M,)")
    keep = np.ones(y.shape[0], dtype=bool)
    keep[np.asarray(exclude, dtype=np.int64)] = False
    if scale is not None:
        sc = np.asarray(scale, dtype=np.float64)
        if sc.shape != y.shape or not np.isfinite(sc).all():
            raise InputError(f"scale: must be finite of shape {y.shape}", field="scale", allowed="finite, shape (M,)")
        keep &= sc > 0.0
        x, y = np.divide(x, sc, out=np.zeros_like(x), where=keep), np.divide(y, sc, out=np.zeros_like(y), where=keep)
    x, y = x[keep], y[keep]
    n = int(keep.sum())
    if n < 3 or np.ptp(x) == 0.0:
        raise InputError("exposure: needs at least 3 names kept, with exposures that differ", field="exposure",
                         allowed=">= 3 names, not all equal")
    xc, yc = x - x.mean(), y - y.mean()
    slope = float(np.dot(xc, yc) / np.dot(xc, xc))
    intercept = float(y.mean() - slope * x.mean())
    ss_tot = float(np.dot(yc, yc))
    resid = yc - slope * xc
    r2 = 1.0 - float(np.dot(resid, resid)) / ss_tot if ss_tot > 0.0 else float("nan")
    return OverlapFit(slope, intercept, r2, n)
