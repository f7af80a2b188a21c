"""numpy's random variates with the same bits on every CPU.

numpy's ``Generator`` computes normal, exponential, gamma and beta variates in C and calls the C
library's log, exp and pow inside: the normal and exponential ziggurats in their tails (about
one draw in 4,000), gamma for shapes below 1 and beta with a parameter at most 1 on every draw.
glibc picks FMA variants of those at run time, so such draws differed in the last bits between
CPUs. Here the same algorithms (numpy's ``random/src/distributions/distributions.c``: the
ziggurat of Marsaglia and Tsang (2000) with numpy's tables, Marsaglia and Tsang's gamma, Johnk's
beta) run compiled on the generator's raw 64-bit outputs (``BitGenerator.random_raw``) with the
functions of :mod:`sim.core.detmath`. They use exactly the raw numbers numpy would and leave the
generator where numpy would: a draw is numpy's, to the last bit wherever the C library and
detmath agree, and the same on every CPU. The tables are numpy's ``ziggurat_constants.h`` as
numba ships them (:func:`sim.core.jit.ziggurat_tables`), loaded with the kernels on first use.

Supported bit generators: those whose ``next_double`` is ``(next_uint64 >> 11) * 2^-53`` (PCG64,
the default, PCG64DXSM, Philox, SFC64); MT19937 is refused.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable

import numpy as np

from sim.core import detmath
from sim.core.detarrays import exp_array
from sim.core.detmath import exp, log, log1p, pow
from sim.core.jit import jitable, kernel, ziggurat_tables

NOR_R = 3.6541528853610087963519472518       # ziggurat_nor_r
NOR_INV_R = 0.27366123732975827203338247596  # ziggurat_nor_inv_r
EXP_R = 7.6971174701310497140446280481       # ziggurat_exp_r
BETA_TINY = 3e-103                            # numpy: below this for both parameters, beta is 0 or 1
_B1 = np.uint64(1)
_B3 = np.uint64(3)
_B8 = np.uint64(8)
_B11 = np.uint64(11)
_BYTE = np.uint64(0xFF)
_M52 = np.uint64(0x000FFFFFFFFFFFFF)


@jitable(inline="always")
def _uniform(r):
    """numpy's ``next_double``: the top 53 bits of a raw number, in [0, 1)."""
    return float(r >> _B11) * (1.0 / 9007199254740992.0)


@jitable
def _normal(raw, pos, ki, wi, fi):
    """One standard normal from ``raw[pos:]``: (value, next position), or (0, -1) if ``raw`` runs out."""
    n = raw.shape[0]
    while True:
        if pos >= n:
            return 0.0, -1
        r = raw[pos] >> _B8
        idx = int(raw[pos] & _BYTE)
        pos += 1
        rabs = (r >> _B1) & _M52
        x = float(rabs) * wi[idx]
        if r & _B1:
            x = -x
        if rabs < ki[idx]:
            return x, pos
        if idx == 0:
            while True:
                if pos + 2 > n:
                    return 0.0, -1
                xx = -NOR_INV_R * log(1.0 - _uniform(raw[pos]))
                yy = -log(1.0 - _uniform(raw[pos + 1]))
                pos += 2
                if yy + yy > xx * xx:
                    return (-(NOR_R + xx) if (rabs >> _B8) & _B1 else NOR_R + xx), pos
        else:
            if pos >= n:
                return 0.0, -1
            u = _uniform(raw[pos])
            pos += 1
            if (fi[idx - 1] - fi[idx]) * u + fi[idx] < exp(-0.5 * x * x):
                return x, pos


@jitable
def _exponential(raw, pos, ke, we, fe):
    """One standard exponential (numpy's ziggurat): (value, next position), or (0, -1)."""
    n = raw.shape[0]
    while True:
        if pos >= n:
            return 0.0, -1
        ri = raw[pos] >> _B3
        pos += 1
        idx = int(ri & _BYTE)
        ri = ri >> _B8
        x = float(ri) * we[idx]
        if ri < ke[idx]:
            return x, pos
        if pos >= n:
            return 0.0, -1
        u = _uniform(raw[pos])
        pos += 1
        if idx == 0:
            return EXP_R - log(1.0 - u), pos
        if (fe[idx - 1] - fe[idx]) * u + fe[idx] < exp(-x):
            return x, pos


@jitable
def _gamma_small(shape, raw, pos, ke, we, fe):
    """Standard gamma for 0 < shape < 1 (numpy's rejection from an exponential)."""
    while True:
        if pos >= raw.shape[0]:
            return 0.0, -1
        u = _uniform(raw[pos])
        v, pos = _exponential(raw, pos + 1, ke, we, fe)
        if pos < 0:
            return 0.0, -1
        if u <= 1.0 - shape:
            x = pow(u, 1.0 / shape)
            if x <= v:
                return x, pos
        else:
            y = -log((1 - u) / shape)
            x = pow(1.0 - shape + shape * y, 1.0 / shape)
            if x <= v + y:
                return x, pos


@jitable
def _gamma(shape, raw, pos, tables):
    """One standard gamma variate (numpy's ``random_standard_gamma``): (value, next position), or (0, -1)."""
    ki, wi, fi, ke, we, fe = tables
    if shape == 1.0:
        return _exponential(raw, pos, ke, we, fe)
    if shape == 0.0:
        return 0.0, pos
    if shape < 1.0:
        return _gamma_small(shape, raw, pos, ke, we, fe)
    b = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9 * b)
    while True:
        v = 0.0
        while v <= 0.0:
            x, pos = _normal(raw, pos, ki, wi, fi)
            if pos < 0:
                return 0.0, -1
            v = 1.0 + c * x
        v = v * v * v
        if pos >= raw.shape[0]:
            return 0.0, -1
        u = _uniform(raw[pos])
        pos += 1
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return b * v, pos
        if log(u) < 0.5 * x * x + b * (1.0 - v + log(v)):
            return b * v, pos


@jitable
def _beta(a, b, raw, pos, tables):
    """One beta variate (numpy's ``random_beta``: Johnk's method when a, b <= 1, else two gammas)."""
    if a <= 1.0 and b <= 1.0:
        if a < BETA_TINY and b < BETA_TINY:  # the proportion a / (a + b) and one uniform decide 0 or 1
            if pos >= raw.shape[0]:
                return 0.0, -1
            return (1.0 if (a + b) * _uniform(raw[pos]) < a else 0.0), pos + 1
        while True:
            if pos + 2 > raw.shape[0]:
                return 0.0, -1
            u = _uniform(raw[pos])
            v = _uniform(raw[pos + 1])
            pos += 2
            x = pow(u, 1.0 / a)
            y = pow(v, 1.0 / b)
            if x + y <= 1.0 and u + v > 0.0:
                if x > 0.0 and y > 0.0:
                    return x / (x + y), pos
                delta = log(u) / a - log(v) / b  # a power underflowed: from the logarithms
                if delta > 0.0:
                    return exp(-log1p(exp(-delta))), pos
                return exp(delta - log1p(exp(delta))), pos
    ga, pos = _gamma(a, raw, pos, tables)
    if pos < 0:
        return 0.0, -1
    gb, pos = _gamma(b, raw, pos, tables)
    if pos < 0:
        return 0.0, -1
    return ga / (ga + gb), pos


@jitable(inline="always")
def _first_normal(raw, pos, ki, wi):
    """The ziggurat's first try at ``raw[pos]``: (x, True) for 99.3% of numbers, else (0, False).

    No calls inside, so inlining it costs no reference counting (a call that passes arrays does:
    the hot loops use this and fall back to :func:`_normal` only for the rest).
    """
    r = raw[pos] >> _B8
    rabs = (r >> _B1) & _M52
    idx = int(raw[pos] & _BYTE)
    if rabs < ki[idx]:
        x = float(rabs) * wi[idx]
        return (-x if r & _B1 else x), True
    return 0.0, False


@jitable(inline="always")
def _first_gamma(shape, raw, pos, ki, wi):
    """numpy's gamma for shape > 1 when its first normal and the squeeze accept: (value, True), else (0, False)."""
    if pos + 1 >= raw.shape[0]:
        return 0.0, False
    x, ok = _first_normal(raw, pos, ki, wi)
    b = shape - 1.0 / 3.0
    v = 1.0 + (1.0 / math.sqrt(9 * b)) * x
    if not ok or v <= 0.0:
        return 0.0, False
    v = v * v * v
    if _uniform(raw[pos + 1]) < 1.0 - 0.0331 * (x * x) * (x * x):
        return b * v, True
    return 0.0, False


def _fill_normal(p1, p2, raw, pos, out, start, tables):
    ki, wi, fi = tables[0], tables[1], tables[2]
    for i in range(start, out.shape[0]):
        if pos < raw.shape[0]:
            x, ok = _first_normal(raw, pos, ki, wi)
            if ok:
                out[i] = x
                pos += 1
                continue
        x, after = _normal(raw, pos, ki, wi, fi)
        if after < 0:
            return i, pos
        out[i] = x
        pos = after
    return out.shape[0], pos


def _fill_gamma(p1, p2, raw, pos, out, start, tables):
    ki, wi = tables[0], tables[1]
    for i in range(start, out.shape[0]):
        if p1 > 1.0:
            x, ok = _first_gamma(p1, raw, pos, ki, wi)
            if ok:
                out[i] = x
                pos += 2
                continue
        x, after = _gamma(p1, raw, pos, tables)
        if after < 0:
            return i, pos
        out[i] = x
        pos = after
    return out.shape[0], pos


def _fill_beta(p1, p2, raw, pos, out, start, tables):
    ki, wi = tables[0], tables[1]
    for i in range(start, out.shape[0]):
        if p1 > 1.0 and p2 > 1.0:  # two gammas; most draws take the first try of each
            ga, ok_a = _first_gamma(p1, raw, pos, ki, wi)
            gb, ok_b = _first_gamma(p2, raw, pos + 2, ki, wi)
            if ok_a and ok_b:
                out[i] = ga / (ga + gb)
                pos += 4
                continue
        x, after = _beta(p1, p2, raw, pos, tables)
        if after < 0:
            return i, pos
        out[i] = x
        pos = after
    return out.shape[0], pos


@functools.cache
def _kernels() -> tuple[dict[str, Callable], tuple[np.ndarray, ...]]:
    """The compiled fills and numpy's ziggurat tables (loaded with numba, on first use)."""
    zig = ziggurat_tables()
    tables = tuple(np.ascontiguousarray(getattr(zig, name)) for name in
                   ("ki_double", "wi_double", "fi_double", "ke_double", "we_double", "fe_double"))
    compiled = kernel(detmath, sys.modules[__name__])
    return {"normal": compiled(_fill_normal), "gamma": compiled(_fill_gamma), "beta": compiled(_fill_beta)}, tables


def _least_raw(kind: str, p1: float, p2: float) -> int:
    """The fewest raw numbers one draw of ``kind`` can take (so that fetching more never overshoots)."""
    def gamma(shape: float) -> int:
        return 0 if shape == 0.0 else 1 if shape == 1.0 else 2

    if kind == "normal":
        return 1
    if kind == "gamma":
        return gamma(p1)
    if p1 <= 1.0 and p2 <= 1.0:
        return 1 if p1 < BETA_TINY and p2 < BETA_TINY else 2
    return gamma(p1) + gamma(p2)


def _draw(rng: np.random.Generator, kind: str, size: int | tuple[int, ...], p1: float = 0.0,
          p2: float = 0.0) -> np.ndarray:
    """``size`` variates of ``kind`` from ``rng``, which then stands where numpy would have left it.

    Raw numbers are fetched in batches that the remaining draws are sure to use up: when the
    kernel runs out in the middle of draw i, that draw needs at least one more number than is
    left and each later one at least ``_least_raw``, so that many more never overshoot.
    """
    bitgen = rng.bit_generator
    if isinstance(bitgen, np.random.MT19937):
        raise TypeError("sim.core.detrandom needs a 64-bit bit generator (PCG64, Philox, SFC64), not MT19937")
    fills, tables = _kernels()
    out = np.empty(int(np.prod(size)))
    least = _least_raw(kind, p1, p2)
    raw = bitgen.random_raw(out.size * least)
    done, pos = fills[kind](float(p1), float(p2), raw, 0, out, 0, tables)
    while done < out.size:
        raw = np.concatenate((raw[pos:], bitgen.random_raw(1 + (out.size - done - 1) * least)))
        done, pos = fills[kind](float(p1), float(p2), raw, 0, out, done, tables)
    if pos != raw.shape[0]:  # cannot happen while _least_raw is a lower bound
        raise RuntimeError(f"sim.core.detrandom drew {raw.shape[0] - pos} raw numbers too many for {kind}")
    return out.reshape(size)


def standard_normal(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """As ``rng.standard_normal(size)``."""
    return _draw(rng, "normal", size)


def normal(rng: np.random.Generator, loc: float, scale: float, size: int | tuple[int, ...]) -> np.ndarray:
    """As ``rng.normal(loc, scale, size)`` (scalar ``loc`` and ``scale``)."""
    return loc + scale * standard_normal(rng, size)


def lognormal(rng: np.random.Generator, mean: float, sigma: float, size: int | tuple[int, ...]) -> np.ndarray:
    """As ``rng.lognormal(mean, sigma, size)``: e^normal, with :func:`sim.core.detmath.exp`."""
    return exp_array(normal(rng, mean, sigma, size))


def gamma(rng: np.random.Generator, shape: float, scale: float, size: int | tuple[int, ...]) -> np.ndarray:
    """As ``rng.gamma(shape, scale, size)`` (scalar parameters)."""
    return scale * _draw(rng, "gamma", size, shape)


def beta(rng: np.random.Generator, a: float, b: float, size: int | tuple[int, ...]) -> np.ndarray:
    """As ``rng.beta(a, b, size)`` (scalar parameters)."""
    return _draw(rng, "beta", size, a, b)
