"""log, exp and the normal CDF over arrays, in loops the compiler vectorises: the same bits as the scalars.

:mod:`sim.core.detmath` and :mod:`sim.core.deterf` follow fdlibm, whose branches (special values,
ranges of the argument) stop a compiler from running several elements at once. Here each
function computes, for every element, the arithmetic of the branch that element takes: every
candidate result of the common ranges is computed and the right one selected, so the loop has
no branch and compiles to SIMD instructions. The operations per element are exactly those of
the scalar function in the same order (IEEE-754 +, -, *, / and sqrt round the same in a vector
lane as in a scalar register; numba contracts nothing into FMA), so each result has the
scalar's bits. Elements outside the common ranges (zero, subnormal, inf, nan, negative
arguments of log, |x| so small or so large that fdlibm takes a shortcut) are flagged in
``odd`` and recomputed by the scalar function afterwards: rare in the simulations, and exact
either way. ``tests/core/test_detlanes.py`` compares every function with its scalar, bit for bit.

Used where one rule evaluates many elements per substep: the dealers' Black-Scholes greeks
(:func:`sim.model.rules.dealer.book_greeks`, about 175 series, four substeps a day).
"""

from __future__ import annotations

from sim.core import deterf, detmath
from sim.core.detbits import HALF_EXPONENT, HIGH_WORD, NOT_EXPONENT, bits_float, float_bits
from sim.core.deterf import (
    _ERF_TAIL_ERFC,
    ERX,
    PA0,
    PA1,
    PA2,
    PA3,
    PA4,
    PA5,
    PA6,
    PP0,
    PP1,
    PP2,
    PP3,
    PP4,
    QA1,
    QA2,
    QA3,
    QA4,
    QA5,
    QA6,
    QQ1,
    QQ2,
    QQ3,
    QQ4,
    QQ5,
    RA0,
    RA1,
    RA2,
    RA3,
    RA4,
    RA5,
    RA6,
    RA7,
    RB0,
    RB1,
    RB2,
    RB3,
    RB4,
    RB5,
    RB6,
    SA1,
    SA2,
    SA3,
    SA4,
    SA5,
    SA6,
    SA7,
    SA8,
    SB1,
    SB2,
    SB3,
    SB4,
    SB5,
    SB6,
    SB7,
    SQRT1_2,
)
from sim.core.detmath import (
    _EXP_1_5_LN2,
    _EXP_HALF_LN2,
    _LOG_NORM,
    _LOG_POLY_HI,
    _LOG_POLY_LO,
    _TWO_M20,
    _TWO_M28,
    INVLN2,
    LG1,
    LG2,
    LG3,
    LG4,
    LG5,
    LG6,
    LG7,
    LN2_HI,
    LN2_LO,
    P1,
    P2,
    P3,
    P4,
    P5,
)
from sim.core.jit import jitable

EXP_LANE_LIMIT = 700.0
"""|x| below this: exp's common range (no overflow, underflow or subnormal scaling)."""
ERFC_LANE_LIMIT = 26.0
"""|x| below this: erfc's tail needs no subnormal result (exp(-x^2) stays normal)."""


@jitable(inline="always")
def _log_lane(x: float) -> tuple[float, bool]:
    """fdlibm's log of a normal x > 0 away from 1 (|mantissa - 1| >= 2^-20), and whether x is odd instead."""
    bits = float_bits(x)
    biased = (bits >> 52) & 0x7FF
    m = bits_float((bits & NOT_EXPONENT) | HALF_EXPONENT)
    mant = 2.0 * m
    upper = mant >= _LOG_NORM
    u = m if upper else mant
    k = biased - 1022 if upper else biased - 1023
    f = u - 1.0
    dk = float(k)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6))
    hfsq = 0.5 * f * f
    near_k0 = f - (hfsq - s * (hfsq + r))
    near = dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    far_k0 = f - s * (f - r)
    far = dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    poly = (mant >= _LOG_POLY_LO) & (mant < _LOG_POLY_HI)
    k0 = k == 0
    value = (near_k0 if k0 else near) if poly else (far_k0 if k0 else far)
    odd = (biased == 0) | (biased == 0x7FF) | (x <= 0.0) | ((f >= -_TWO_M20) & (f < _TWO_M20))
    return value, odd


@jitable(inline="always")
def _exp_lane(x: float) -> tuple[float, bool]:
    """fdlibm's exp for 2^-28 <= |x| < 700, and whether x is odd instead (outside, or nan)."""
    ax = abs(x)
    positive = x > 0.0
    small = ax < _EXP_1_5_LN2
    inside = x if ax < EXP_LANE_LIMIT else 0.0  # x in the common range; nan, inf, huge (odd lanes) convert to 0
    k = (1 if positive else -1) if small else int(INVLN2 * inside + (0.5 if positive else -0.5))
    t = float(k)
    hi_general = x - t * LN2_HI
    lo_general = t * LN2_LO
    hi_one = x - LN2_HI if positive else x + LN2_HI
    lo_one = LN2_LO if positive else -LN2_LO
    reduce = ax >= _EXP_HALF_LN2
    hi = (hi_one if small else hi_general) if reduce else 0.0
    lo = (lo_one if small else lo_general) if reduce else 0.0
    xr = hi - lo if reduce else x
    k = k if reduce else 0
    tt = xr * xr
    c = xr - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))))
    unreduced = 1.0 - ((xr * c) / (c - 2.0) - xr)
    y = 1.0 - ((lo - (xr * c) / (2.0 - c)) - hi)
    kk = k if reduce else 0  # a valid exponent in every lane, used only where reduce
    scaled = y * bits_float((kk + 1023) << 52)
    value = scaled if k != 0 else unreduced
    odd = not (ax >= _TWO_M28 and ax < EXP_LANE_LIMIT)  # nan fails both comparisons
    return value, odd


@jitable(inline="always")
def _ndtr_lane(a: float) -> tuple[float, bool]:
    """Cephes' ndtr over fdlibm's erf/erfc (:func:`sim.core.deterf.ndtr`), and whether a is odd instead."""
    x = a * SQRT1_2
    z = abs(x)
    zz = z * z
    # erf(x) / x - 1 and erfc's small form (|x| < 0.84375): R(x^2)
    rs = PP0 + zz * (PP1 + zz * (PP2 + zz * (PP3 + zz * PP4)))
    ss = 1.0 + zz * (QQ1 + zz * (QQ2 + zz * (QQ3 + zz * (QQ4 + zz * QQ5))))
    small = rs / ss
    erf_small = x + x * small
    erfc_small = 0.5 - (z * small + (z - 0.5)) if z >= 0.25 else 1.0 - (z + z * small)
    # 0.84375 <= |x| < 1.25
    s1 = z - 1.0
    pn = PA0 + s1 * (PA1 + s1 * (PA2 + s1 * (PA3 + s1 * (PA4 + s1 * (PA5 + s1 * PA6)))))
    qn = 1.0 + s1 * (QA1 + s1 * (QA2 + s1 * (QA3 + s1 * (QA4 + s1 * (QA5 + s1 * QA6)))))
    erfc_near = (1.0 - ERX) - pn / qn
    # 1.25 <= |x| < 28: the two rational forms as one, the shorter padded with zeros (t + s * 0 = t)
    lower = z < _ERF_TAIL_ERFC
    st = 1.0 / zz
    r = ((RA0 if lower else RB0) + st * ((RA1 if lower else RB1) + st * ((RA2 if lower else RB2) + st * (
        (RA3 if lower else RB3) + st * ((RA4 if lower else RB4) + st * ((RA5 if lower else RB5) + st * (
            (RA6 if lower else RB6) + st * (RA7 if lower else 0.0))))))))
    q = 1.0 + st * ((SA1 if lower else SB1) + st * ((SA2 if lower else SB2) + st * ((SA3 if lower else SB3) + st * (
        (SA4 if lower else SB4) + st * ((SA5 if lower else SB5) + st * ((SA6 if lower else SB6) + st * (
            (SA7 if lower else SB7) + st * (SA8 if lower else 0.0))))))))
    zc = bits_float(float_bits(z) & HIGH_WORD)
    e1, odd1 = _exp_lane(-zc * zc - 0.5625)
    e2, odd2 = _exp_lane((zc - z) * (zc + z) + r / q)
    erfc_tail = e1 * e2 / z
    erfc = erfc_small if z < 0.84375 else (erfc_near if z < 1.25 else erfc_tail)
    y = 0.5 * erfc
    value = 0.5 + 0.5 * erf_small if z < SQRT1_2 else (1.0 - y if x > 0.0 else y)
    tail = z >= 1.25
    odd = not (z < ERFC_LANE_LIMIT) or (z < _TWO_M28) or (tail and (odd1 or odd2))
    return value, odd


@jitable
def log_all(x, out, odd):
    """``out[i] = detmath.log(x[i])`` for every i, vectorised; ``odd``: (n,) bool scratch."""
    n = x.shape[0]
    any_odd = False
    for i in range(n):
        out[i], odd[i] = _log_lane(x[i])
        any_odd |= odd[i]
    if any_odd:
        for i in range(n):
            if odd[i]:
                out[i] = detmath.log(x[i])


@jitable
def exp_all(x, out, odd):
    """``out[i] = detmath.exp(x[i])`` for every i, vectorised; ``odd``: (n,) bool scratch."""
    n = x.shape[0]
    any_odd = False
    for i in range(n):
        out[i], odd[i] = _exp_lane(x[i])
        any_odd |= odd[i]
    if any_odd:
        for i in range(n):
            if odd[i]:
                out[i] = detmath.exp(x[i])


@jitable
def ndtr_all(x, out, odd):
    """``out[i] = deterf.ndtr(x[i])`` for every i, vectorised; ``odd``: (n,) bool scratch."""
    n = x.shape[0]
    any_odd = False
    for i in range(n):
        out[i], odd[i] = _ndtr_lane(x[i])
        any_odd |= odd[i]
    if any_odd:
        for i in range(n):
            if odd[i]:
                out[i] = deterf.ndtr(x[i])
