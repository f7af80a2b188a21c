"""The error function and the standard normal CDF from :mod:`sim.core.detmath`: the same bits on every CPU.

``erf`` and ``erfc`` port FreeBSD msun ``s_erf.c`` (fdlibm 5.3, Copyright (C) 1993 by Sun
Microsystems, Inc. "Permission to use, copy, modify, and distribute this software is freely
granted, provided that this notice is preserved."): rational approximations on [0, 0.84375],
[0.84375, 1.25], [1.25, 1/0.35] and [1/0.35, 28], error < 1 ulp for erf. ``ndtr`` is Cephes'
``ndtr.c`` (as in scipy.special.ndtr) on top of them; scipy's own calls the C library's exp,
whose last bit depends on the CPU. fdlibm's high-word tests are comparisons with the doubles
of those words (see :mod:`sim.core.detmath`).
"""

from __future__ import annotations

import math

from sim.core.detmath import NAN, clear_low_word, exp, word_double
from sim.core.jit import jitable

ERX = 8.45062911510467529297e-01
EFX = 1.28379167095512586316e-01
EFX8 = 1.02703333676410069053e+00
PP0, PP1, PP2, PP3, PP4 = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
                           -5.77027029648944159157e-03, -2.37630166566501626084e-05)
QQ1, QQ2, QQ3, QQ4, QQ5 = (3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
                           1.32494738004321644526e-04, -3.96022827877536812320e-06)
PA0, PA1, PA2, PA3, PA4, PA5, PA6 = (-2.36211856075265944077e-03, 4.14856118683748331666e-01,
                                     -3.72207876035701323847e-01, 3.18346619901161753674e-01,
                                     -1.10894694282396677476e-01, 3.54783043256182359371e-02,
                                     -2.16637559486879084300e-03)
QA1, QA2, QA3, QA4, QA5, QA6 = (1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
                                1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
RA0, RA1, RA2, RA3, RA4, RA5, RA6, RA7 = (-9.86494403484714822705e-03, -6.93858572707181764372e-01,
                                          -1.05586262253232909814e+01, -6.23753324503260060396e+01,
                                          -1.62396669462573470355e+02, -1.84605092906711035994e+02,
                                          -8.12874355063065934246e+01, -9.81432934416914548592e+00)
SA1, SA2, SA3, SA4, SA5, SA6, SA7, SA8 = (1.96512716674392571292e+01, 1.37657754143519042600e+02,
                                          4.34565877475229228821e+02, 6.45387271733267880336e+02,
                                          4.29008140027567833386e+02, 1.08635005541779435134e+02,
                                          6.57024977031928170135e+00, -6.04244152148580987438e-02)
RB0, RB1, RB2, RB3, RB4, RB5, RB6 = (-9.86494292470009928597e-03, -7.99283237680523006574e-01,
                                     -1.77579549177547519889e+01, -1.60636384855821916062e+02,
                                     -6.37566443368389627722e+02, -1.02509513161107724954e+03,
                                     -4.83519191608651397019e+02)
SB1, SB2, SB3, SB4, SB5, SB6, SB7 = (3.03380607434824582924e+01, 3.25792512996573918826e+02,
                                     1.53672958608443695994e+03, 3.19985821950859553908e+03,
                                     2.55305040643316442583e+03, 4.74528541206955367215e+02,
                                     -2.24409524465858183362e+01)
_TINY_X = word_double(0x00800000)
_TWO_M28 = word_double(0x3E300000)
_TWO_M56 = word_double(0x3C700000)
_ERF_TAIL_ERF = word_double(0x4006DB6E)    # 1/0.35, as erf splits
_ERF_TAIL_ERFC = word_double(0x4006DB6D)   # 1/0.35, as erfc splits
SQRT1_2 = 0.70710678118654752440


@jitable
def _small(x: float) -> float:
    """erf(x) / x - 1 for |x| < 0.84375 (the rational approximation R(x^2))."""
    z = x * x
    r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)))
    s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))))
    return r / s


@jitable
def _near_one(ax: float) -> float:
    """erf(|x|) - ERX for 0.84375 <= |x| < 1.25."""
    s = ax - 1.0
    p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))))
    q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))))
    return p / q


@jitable
def _tail(ax: float, split: float) -> float:
    """erfc(|x|) for 1.25 <= |x| < 28: exp(-x^2 - 0.5625 + R/S) / |x|."""
    s = 1.0 / (ax * ax)
    if ax < split:
        r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))))
        q = 1.0 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))))
    else:
        r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))))
        q = 1.0 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))))
    z = clear_low_word(ax)
    return exp(-z * z - 0.5625) * exp((z - ax) * (z + ax) + r / q) / ax


@jitable
def erf(x: float) -> float:
    """The error function, error < 1 ulp (fdlibm ``s_erf.c``)."""
    if x != x:
        return x + x
    ax = abs(x)
    if ax < 0.84375:
        if ax < _TWO_M28:
            return (8.0 * x + EFX8 * x) / 8.0 if ax < _TINY_X else x + EFX * x
        return x + x * _small(x)
    if ax < 1.25:
        return ERX + _near_one(ax) if x >= 0.0 else -ERX - _near_one(ax)
    if ax >= 6.0:
        return 1.0 if x > 0.0 else -1.0
    q = _tail(ax, _ERF_TAIL_ERF)
    return 1.0 - q if x >= 0.0 else q - 1.0


@jitable
def erfc(x: float) -> float:
    """1 - erf(x) without cancellation (fdlibm ``s_erf.c``)."""
    if x != x:
        return x + x
    ax = abs(x)
    if ax < 0.84375:
        if ax < _TWO_M56:
            return 1.0 - x
        y = _small(x)
        if x < 0.25:
            return 1.0 - (x + x * y)
        return 0.5 - (x * y + (x - 0.5))
    if ax < 1.25:
        return (1.0 - ERX) - _near_one(ax) if x >= 0.0 else 1.0 + (ERX + _near_one(ax))
    if ax < 28.0:
        if x < 0.0 and ax >= 6.0:
            return 2.0
        r = _tail(ax, _ERF_TAIL_ERFC)
        return r if x > 0.0 else 2.0 - r
    return 0.0 if x > 0.0 else 2.0


@jitable
def ndtr(a: float) -> float:
    """Standard normal CDF Phi(a) (Cephes ``ndtr.c``, as ``scipy.special.ndtr``)."""
    if a != a:
        return NAN
    x = a * SQRT1_2
    z = abs(x)
    if z < SQRT1_2:
        return 0.5 + 0.5 * erf(x)
    y = 0.5 * erfc(z)
    return 1.0 - y if x > 0.0 else y


@jitable
def normal_pdf(x: float) -> float:
    """Standard normal density exp(-x^2 / 2) / sqrt(2 pi)."""
    return exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
