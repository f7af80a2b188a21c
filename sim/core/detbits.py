"""Exact floating-point helpers of :mod:`sim.core.detmath`: frexp, ldexp and fdlibm's low-word clearing.

Each is exact (or, for ldexp, correctly rounded), so any exact implementation gives the same
bits. Python runs the standard library's (``math.frexp``, ``math.ldexp``) or exact arithmetic;
kernels run bit operations instead (:func:`sim.core.jit.compiled_as`), since numba compiles
``math.frexp`` and ``math.ldexp`` to calls into a C helper: a Black-Scholes evaluation calls
them about seven times, and reading the exponent off the bits made the day kernel about 13%
faster. The two sides are tested against each other on random bit patterns
(``tests/core/test_detmath.py``).
"""

from __future__ import annotations

import math

from sim.core.jit import bits_float, compiled_as, float_bits, jitable

__all__ = ["HALF_EXPONENT", "HIGH_WORD", "NOT_EXPONENT", "bits_float", "clear_low_word", "float_bits", "frexp",
           "ldexp"]

INF = math.inf
NOT_EXPONENT = ~(0x7FF << 52)     # every bit but the exponent's
HALF_EXPONENT = 1022 << 52        # the exponent of 0.5
HIGH_WORD = -(1 << 32)            # sign, exponent and the top 20 fraction bits


def frexp(x: float) -> tuple[float, int]:
    """``math.frexp``: x = m 2^e with 0.5 <= |m| < 1 (exact). Kernels read m and e off the bits."""
    return math.frexp(x)


@compiled_as(frexp)
def _frexp_bits(x: float) -> tuple[float, int]:
    bits = float_bits(x)
    biased = (bits >> 52) & 0x7FF
    if biased == 0 or biased == 0x7FF:  # zero, subnormal, inf, nan: rare, the library's
        m, e = math.frexp(x)
        return m, int(e)
    return bits_float((bits & NOT_EXPONENT) | HALF_EXPONENT), int(biased - 1022)


def ldexp(x: float, k: int) -> float:
    """``math.ldexp``: x 2^k, correctly rounded. Kernels multiply by 2^k built from its bits.

    Both are the one correctly rounded value of the exact product (a multiplication by a power
    of two that is a normal double rounds only where the product is subnormal, as ldexp does),
    so they agree bit for bit.
    """
    return math.ldexp(x, k)


@compiled_as(ldexp)
def _ldexp_bits(x: float, k: int) -> float:
    if -1022 <= k <= 1023:
        return x * bits_float((k + 1023) << 52)
    return math.ldexp(x, k)


@jitable
def _clear_low_word_exact(x: float) -> float:
    if x == 0.0:
        return x
    e = frexp(x)[1]
    q = max(e - 21, -1042)  # weight of the high word's last bit
    return math.copysign(ldexp(float(math.floor(ldexp(abs(x), -q))), q), x)


def clear_low_word(x: float) -> float:
    """``x`` with the low 32 bits of its representation zeroed (fdlibm's ``SET_LOW_WORD(x, 0)``).

    In Python by exact arithmetic (frexp, floor, ldexp); in kernels by masking the bits.
    """
    return _clear_low_word_exact(x)


@compiled_as(clear_low_word)
def _clear_low_word_bits(x: float) -> float:
    if x != x or abs(x) == INF:
        return _clear_low_word_exact(x)
    return bits_float(float_bits(x) & HIGH_WORD)
