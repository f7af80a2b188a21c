"""Deterministic elementary functions: exp, log, log1p and pow with the same bits on every CPU.

Why: the C library picks its exp/log/pow at run time (glibc's ifunc chooses FMA variants on
CPUs that have FMA), numpy has its own AVX-512 exp/log, and OpenBLAS picks dot-product kernels
per CPU. Each is accurate, but they round differently in the last bit, so a simulation fed by
them gave different numbers on different machines. These functions use plain IEEE-754 double
arithmetic only (+, -, *, /, sqrt, and frexp/ldexp, which are exact), in a fixed order. The
same source runs as plain Python and, compiled by numba (``jitable``; numba neither reorders
nor fuses a*b+c into FMA without fastmath), inside the kernels: the results are identical.

Algorithms and constants: FreeBSD msun ``e_exp.c``, ``e_log.c``, ``s_log1p.c`` and ``e_pow.c``,
that is fdlibm 5.3 (Copyright (C) 1993, 2004 by Sun Microsystems, Inc. "Permission to use,
copy, modify, and distribute this software is freely granted, provided that this notice is
preserved."), https://github.com/freebsd/freebsd-src/tree/main/lib/msun/src. Error < 1 ulp
(exp, log, log1p) and "nearly rounded" (pow), as fdlibm states. fdlibm reads and writes the
high 32-bit word of a double; here each such step is exact arithmetic with the same result:
a test "high word of |x| >= H" is ``abs(x) >= word_double(H)``, the exponent comes from ``frexp``,
scaling by 2^k is ``ldexp``, and clearing the low word is :func:`clear_low_word`.

:mod:`sim.core.detarrays` applies them to arrays; :mod:`sim.core.deterf` builds erf and the
normal CDF on them; :mod:`sim.core.detrandom` draws numpy's random variates with them.
"""

from __future__ import annotations

import math
import struct

from sim.core.detbits import clear_low_word, frexp, ldexp
from sim.core.jit import jitable


def word_double(high: int) -> float:
    """The double whose high 32-bit word is ``high`` and low word 0."""
    return struct.unpack("<d", struct.pack("<Q", high << 32))[0]


INF = math.inf
NAN = math.nan
LN2_HI = 6.93147180369123816490e-01    # 0x3fe62e42 fee00000
LN2_LO = 1.90821492927058770002e-10    # 0x3dea39ef 35793c76
# exp
O_THRESHOLD = 7.09782712893383973096e+02
U_THRESHOLD = -7.45133219101941108420e+02
INVLN2 = 1.44269504088896338700e+00
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08
TWOM1000 = 9.33263618503218878990e-302  # 2^-1000
TWO1023 = 2.0**1023
# log, log1p (Lg1..Lg7 = Lp1..Lp7)
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
# pow
DP_H1 = 5.84962487220764160156e-01      # log2(1.5) high
DP_L1 = 1.35003920212974897128e-08      # log2(1.5) low
L1 = 5.99999999999994648725e-01
L2 = 4.28571428578550184252e-01
L3 = 3.33333329818377432918e-01
L4 = 2.72728123808534006489e-01
L5 = 2.30660745775561754067e-01
L6 = 2.06975017800338417784e-01
LG2_FULL = 6.93147180559945286227e-01
LG2_H = 6.93147182464599609375e-01
LG2_L = -1.90465429995776804525e-09
OVT = 8.0085662595372944372e-17
CP = 9.61796693925975554329e-01         # 2/(3 ln 2)
CP_H = 9.61796700954437255859e-01
CP_L = -7.02846165095275826516e-09
IVLN2 = 1.44269504088896338700e+00
IVLN2_H = 1.44269502162933349609e+00
IVLN2_L = 1.92596299112661746887e-08

# thresholds fdlibm tests on high words, as doubles
_EXP_BIG = word_double(0x40862E42)         # |x| >= 709.78...: may overflow or underflow
_EXP_HALF_LN2 = word_double(0x3FD62E43)    # |x| > 0.5 ln 2
_EXP_1_5_LN2 = word_double(0x3FF0A2B2)     # |x| < 1.5 ln 2
_TWO_M28 = word_double(0x3E300000)
_LOG_NORM = 1.0 + 0x6A09C / 2**20     # mantissa in [1, 2) at or above this: use mantissa / 2
_LOG_POLY_LO = 1.0 + 0x6147A / 2**20  # mantissa in [lo, hi): the f - (hfsq - ...) form
_LOG_POLY_HI = 1.0 + 0x6B852 / 2**20
_TWO_M20 = 2.0**-20
_L1P_SQRT2 = word_double(0x3FDA827A)        # 1 + x < sqrt(2)+
_L1P_NEG = word_double(0x3FD2BEC5)          # -x below this: 1 + x > sqrt(2)/2-
_L1P_NORM = 1.0 + 0x6A09E / 2**20
_L1P_TOP = 1.0 + 0xFFFFD / 2**20
_TWO_M29 = word_double(0x3E200000)
_TWO_M54 = word_double(0x3C900000)
_TWO_53 = 2.0**53
_POW_Y_BIG = word_double(0x41E00001)        # |y| > 2^31
_POW_Y_HUGE = word_double(0x43F00001)       # |y| > 2^64
_POW_X_BELOW_1 = word_double(0x3FEFFFFF)
_POW_X_ABOVE_1 = word_double(0x3FF00001)
_POW_SQRT_1_5 = 1.0 + 0x3988F / 2**20
_POW_SQRT_3 = 1.0 + 0xBB67A / 2**20
_POW_HALF = word_double(0x3FE00001)


@jitable
def exp(x: float) -> float:
    """e^x, error < 1 ulp (fdlibm ``e_exp.c``)."""
    if x != x:
        return x + x
    ax = abs(x)
    if ax >= _EXP_BIG:
        if ax == INF:
            return x if x > 0.0 else 0.0
        if x > O_THRESHOLD:
            return INF
        if x < U_THRESHOLD:
            return 0.0
    hi = 0.0
    lo = 0.0
    k = 0
    if ax >= _EXP_HALF_LN2:
        if ax < _EXP_1_5_LN2:
            if x > 0.0:
                hi, lo, k = x - LN2_HI, LN2_LO, 1
            else:
                hi, lo, k = x + LN2_HI, -LN2_LO, -1
        else:
            k = int(INVLN2 * x + (0.5 if x > 0.0 else -0.5))
            t = float(k)
            hi = x - t * LN2_HI
            lo = t * LN2_LO
        x = hi - lo
    elif ax < _TWO_M28:
        return 1.0 + x
    t = x * x
    c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k >= -1021:
        if k == 1024:
            return y * 2.0 * TWO1023
        return y * ldexp(1.0, k)
    return y * ldexp(1.0, k + 1000) * TWOM1000


@jitable
def log(x: float) -> float:
    """Natural logarithm, error < 1 ulp (fdlibm ``e_log.c``)."""
    if x != x or x == INF:
        return x + x
    if x <= 0.0:
        return -INF if x == 0.0 else NAN
    m, e = frexp(x)
    mant = 2.0 * m   # x = mant 2^(e-1), mant in [1, 2)
    if mant >= _LOG_NORM:
        u, k = m, e
    else:
        u, k = mant, e - 1
    f = u - 1.0
    dk = float(k)
    if -_TWO_M20 <= f < _TWO_M20:
        if f == 0.0:
            return 0.0 if k == 0 else dk * LN2_HI + dk * LN2_LO
        r = f * f * (0.5 - 0.33333333333333333 * f)
        return f - r if k == 0 else dk * LN2_HI - ((r - dk * LN2_LO) - f)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6))
    if _LOG_POLY_LO <= mant < _LOG_POLY_HI:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + r))
        return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    if k == 0:
        return f - s * (f - r)
    return dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)


@jitable
def log1p(x: float) -> float:
    """log(1 + x), accurate for small x, error < 1 ulp (fdlibm ``s_log1p.c``)."""
    if x != x or x == INF:
        return x + x
    k = 1
    f = 0.0
    c = 0.0
    small_f = False
    if x < _L1P_SQRT2:
        if x <= -1.0:
            return -INF if x == -1.0 else NAN
        if abs(x) < _TWO_M29:
            return x if abs(x) < _TWO_M54 else x - x * x * 0.5
        if x > -_L1P_NEG:   # sqrt(2)/2- <= 1 + x < sqrt(2)+: f = x exactly
            k = 0
            f = x
    if k != 0:
        if x < _TWO_53:
            u = 1.0 + x
            m, e = frexp(u)
            k = e - 1
            c = (1.0 - (u - x) if k > 0 else x - (u - 1.0)) / u  # the rounding of 1 + x
        else:
            m, e = frexp(x)
            k = e - 1
        mant = 2.0 * m
        if mant < _L1P_NORM:
            f = mant - 1.0
            small_f = mant < 1.0 + _TWO_M20
        else:
            k += 1
            f = m - 1.0
            small_f = mant >= _L1P_TOP
    hfsq = 0.5 * f * f
    dk = float(k)
    if small_f:
        if f == 0.0:
            return 0.0 if k == 0 else dk * LN2_HI + (c + dk * LN2_LO)
        r = hfsq * (1.0 - 0.66666666666666666 * f)
        return f - r if k == 0 else dk * LN2_HI - ((r - (dk * LN2_LO + c)) - f)
    s = f / (2.0 + f)
    z = s * s
    r = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))))
    if k == 0:
        return f - (hfsq - s * (hfsq + r))
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + (dk * LN2_LO + c))) - f)


@jitable
def _odd_or_even(ay: float) -> int:
    """fdlibm's ``yisint`` for |y|: 0 not an integer, 1 odd, 2 even."""
    if ay >= _TWO_53:
        return 2
    if ay >= 1.0 and ay == math.floor(ay):
        return 2 if math.floor(ay * 0.5) * 2.0 == ay else 1
    return 0


@jitable
def _log2_near_one(ax: float) -> tuple[float, float]:
    """log2(ax) as t1 + t2 for |ax - 1| <= 2^-20 (used when |y| > 2^31)."""
    t = ax - 1.0
    w = (t * t) * (0.5 - t * (0.3333333333333333333333 - t * 0.25))
    u = IVLN2_H * t
    v = t * IVLN2_L - w * IVLN2
    t1 = clear_low_word(u + v)
    return t1, v - (t1 - u)


@jitable
def _log2_parts(ax: float) -> tuple[float, float]:
    """log2(ax) as t1 + t2 (t1 with 32 trailing zero bits), for finite ax > 0."""
    m, e = frexp(ax)
    n = e - 1
    mant = 2.0 * m                       # ax = mant 2^n, mant in [1, 2)
    top19 = math.floor((mant - 1.0) * 524288.0)      # its top 19 fraction bits
    if mant < _POW_SQRT_1_5:
        bp, dp_h, dp_l = 1.0, 0.0, 0.0
        t_h = 2.0 + top19 * 2.0**-19         # ax + bp with its low word cleared
    elif mant < _POW_SQRT_3:
        bp, dp_h, dp_l = 1.5, DP_H1, DP_L1
        t_h = 2.5 + top19 * 2.0**-19
    else:
        bp, dp_h, dp_l = 1.0, 0.0, 0.0
        n += 1
        mant = m
        t_h = 1.5 + top19 * 2.0**-20
    u = mant - bp
    v = 1.0 / (mant + bp)
    ss = u * v
    s_h = clear_low_word(ss)
    t_l = mant - (t_h - bp)
    s_l = v * ((u - s_h * t_h) - s_h * t_l)
    s2 = ss * ss
    r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))))
    r += s_l * (s_h + ss)
    s2 = s_h * s_h
    t_h = clear_low_word(3.0 + s2 + r)
    t_l = r - ((t_h - 3.0) - s2)
    u = s_h * t_h
    v = s_l * t_h + t_l * ss
    p_h = clear_low_word(u + v)
    p_l = v - (p_h - u)
    z_h = CP_H * p_h
    z_l = CP_L * p_h + p_l * CP + dp_l
    t = float(n)
    t1 = clear_low_word(((z_h + z_l) + dp_h) + t)
    return t1, z_l - (((t1 - t) - dp_h) - z_h)


@jitable
def _exp2_parts(y: float, t1: float, t2: float, s: float) -> float:
    """s 2^(y (t1 + t2)), with fdlibm's overflow and underflow thresholds."""
    y1 = clear_low_word(y)
    p_l = (y - y1) * t1 + y * t2
    p_h = y1 * t1
    z = p_l + p_h
    if z >= 1024.0:
        if z > 1024.0 or p_l + OVT > z - p_h:
            return s * INF
    elif z <= -1075.0:
        if z < -1075.0 or p_l <= z - p_h:
            return s * 0.0
    n = 0
    if abs(z) >= _POW_HALF:            # n = nearest integer to z, halves away from zero
        whole = float(math.floor(abs(z)))
        if abs(z) - whole >= 0.5:
            whole += 1.0
        t = math.copysign(whole, z)
        n = int(t)
        p_h -= t
    t = clear_low_word(p_l + p_h)
    u = t * LG2_H
    v = (p_l - (t - p_h)) * LG2_FULL + t * LG2_L
    z = u + v
    w = v - (z - u)
    t = z * z
    t1 = z - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
    r = (z * t1) / (t1 - 2.0) - (w + z * w)
    return s * ldexp(1.0 - (r - z), n)


@jitable
def _pow_edge(ax: float, y: float, negative: bool, kind: int) -> float:
    """x^y for |x| in {0, 1, inf} (fdlibm's special values of x)."""
    z = ax
    if y < 0.0:
        z = INF if z == 0.0 else 1.0 / z
    if negative:
        if ax == 1.0 and kind == 0:
            return NAN
        if kind == 1:
            return -z
    return z


@jitable
def pow(x: float, y: float) -> float:
    """x^y, "nearly rounded" (fdlibm ``e_pow.c``), C99 special cases."""
    if y == 0.0 or x == 1.0:
        return 1.0
    if x != x or y != y:
        return x + y
    ax = abs(x)
    ay = abs(y)
    negative = math.copysign(1.0, x) < 0.0
    kind = _odd_or_even(ay) if negative else 0
    if ay == INF:
        if ax == 1.0:
            return 1.0
        if ax > 1.0:
            return y if y > 0.0 else 0.0
        return -y if y < 0.0 else 0.0
    if ay == 1.0:
        if y > 0.0:
            return x
        return math.copysign(INF, x) if x == 0.0 else 1.0 / x
    if y == 2.0:
        return x * x
    if y == 0.5 and not negative:
        return math.sqrt(x)
    if ax == INF or ax == 0.0 or ax == 1.0:
        return _pow_edge(ax, y, negative, kind)
    if negative and kind == 0:
        return NAN
    s = -1.0 if negative and kind == 1 else 1.0
    if ay >= _POW_Y_BIG:
        if ay >= _POW_Y_HUGE:
            return (INF if y < 0.0 else 0.0) if ax < 1.0 else (INF if y > 0.0 else 0.0)
        if ax < _POW_X_BELOW_1:
            return s * INF if y < 0.0 else s * 0.0
        if ax >= _POW_X_ABOVE_1:
            return s * INF if y > 0.0 else s * 0.0
        t1, t2 = _log2_near_one(ax)
    else:
        t1, t2 = _log2_parts(ax)
    return _exp2_parts(y, t1, t2, s)

