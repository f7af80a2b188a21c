"""The functions of :mod:`sim.core.detmath` and :mod:`sim.core.deterf` on arrays, and sums of products.

Use these, not ``np.exp``/``np.log``/``np.log1p``/``np.power``/``scipy.special.ndtr``, on numbers
that feed the simulated state or the recorded series: numpy's versions call the C library or its
own SIMD code, whose last bit depends on the CPU. ``dot`` and ``matvec`` replace ``x @ y`` and
``a @ x``, which go through BLAS (OpenBLAS picks a kernel, and so an order of additions, per
CPU): here each sum runs in index order. The loops are numba kernels compiled (or loaded from
the cache) on first use, so importing this module does not load numba.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from sim.core import deterf, detmath
from sim.core.deterf import ndtr
from sim.core.detmath import exp, log, log1p, pow
from sim.core.jit import kernel


def _exp_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


def _log_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = log(x[i])


def _log1p_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = log1p(x[i])


def _pow_loop(x, y, out):
    for i in range(x.shape[0]):
        out[i] = pow(x[i], y[i])


def _ndtr_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = ndtr(x[i])


def _dot(x, y):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


def _matvec(a, x, out):
    for i in range(a.shape[0]):
        total = 0.0
        for j in range(a.shape[1]):
            total += a[i, j] * x[j]
        out[i] = total


_LOOPS: dict[str, Callable] = {}
"""The compiled loops by name, filled on first use (or from the cache): importing stays light."""


def _loop(name: str) -> Callable:
    if not _LOOPS:
        compiled = kernel(detmath, deterf, sys.modules[__name__])
        for f in (_exp_loop, _log_loop, _log1p_loop, _pow_loop, _ndtr_loop, _dot, _matvec):
            _LOOPS[f.__name__] = compiled(f)
    return _LOOPS[name]


def _float64(x: np.ndarray | float) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def _unary(name: str, x: np.ndarray | float) -> np.ndarray | np.float64:
    a = np.asarray(x, dtype=np.float64)
    out = np.empty(a.shape)
    _loop(name)(a.ravel(), out.reshape(-1))  # ravel copies only what is not contiguous
    return out if out.ndim else out[()]


def exp_array(x: np.ndarray | float) -> np.ndarray:
    """:func:`sim.core.detmath.exp` of each element (as ``np.exp``; a 0-d input gives a scalar)."""
    return _unary("_exp_loop", x)


def log_array(x: np.ndarray | float) -> np.ndarray:
    """:func:`sim.core.detmath.log` of each element."""
    return _unary("_log_loop", x)


def log1p_array(x: np.ndarray | float) -> np.ndarray:
    """:func:`sim.core.detmath.log1p` of each element."""
    return _unary("_log1p_loop", x)


def pow_array(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """:func:`sim.core.detmath.pow` of each pair of elements (broadcast, as ``np.power``)."""
    base, power = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    out = np.empty(base.shape)
    _loop("_pow_loop")(base.ravel(), power.ravel(), out.reshape(-1))
    return out if out.ndim else out[()]


def ndtr_array(x: np.ndarray | float) -> np.ndarray:
    """:func:`sim.core.deterf.ndtr` (standard normal CDF) of each element."""
    return _unary("_ndtr_loop", x)


def dot(x: np.ndarray, y: np.ndarray) -> float:
    """sum_i x_i y_i, added in index order (as ``float(x @ y)`` for 1-d arrays)."""
    return float(_loop("_dot")(_float64(x), _float64(y)))


def matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a @ x`` for a 2-d ``a``: each row's sum of products in index order."""
    out = np.empty(a.shape[0])
    _loop("_matvec")(_float64(a), _float64(x), out)
    return out
