"""sim.core.detmath / detarrays: fdlibm's exp, log, log1p and pow, the same bits compiled and in Python."""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.core import detarrays, detbits, detmath
from sim.core.detmath import O_THRESHOLD, U_THRESHOLD, exp, log, log1p, pow

SMALLEST = 5e-324
TINY = 2.2250738585072014e-308  # smallest normal


def ulps(a: float, b: float) -> int:
    """Distance between two finite doubles in units in the last place (0 for equal, incl. nan = nan)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0
    ia, ib = (int(np.array(v).view(np.int64)) for v in (a, b))
    ia, ib = (i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF) for i in (ia, ib))
    return abs(ia - ib)


def same_bits(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@given(st.floats(min_value=-745.0, max_value=709.78))
def test_exp_within_one_ulp(x):
    assert ulps(exp(x), math.exp(x)) <= 1


@given(st.floats(min_value=SMALLEST, max_value=1.7976931348623157e308))
def test_log_within_one_ulp(x):
    assert ulps(log(x), math.log(x)) <= 1


@given(st.floats(min_value=-0.9999999999999999, max_value=1e308))
def test_log1p_within_one_ulp(x):
    assert ulps(log1p(x), math.log1p(x)) <= 1


@given(st.floats(min_value=1e-300, max_value=1e300), st.floats(min_value=-50.0, max_value=50.0))
def test_pow_within_one_ulp(x, y):
    try:
        expected = math.pow(x, y)
    except OverflowError:
        assert pow(x, y) == math.inf
        return
    if expected >= TINY:  # subnormal results carry fewer bits
        assert ulps(pow(x, y), expected) <= 1


@pytest.mark.parametrize(("x", "expected"), [
    (0.0, 1.0), (-0.0, 1.0), (math.inf, math.inf), (-math.inf, 0.0), (math.nan, math.nan), (SMALLEST, 1.0),
    (-SMALLEST, 1.0), (1.0, math.exp(1.0)), (O_THRESHOLD, math.exp(O_THRESHOLD)),
    (math.nextafter(O_THRESHOLD, math.inf), math.inf), (709.79, math.inf), (U_THRESHOLD, SMALLEST),
    (math.nextafter(U_THRESHOLD, -math.inf), 0.0), (-746.0, 0.0), (-708.5, math.exp(-708.5)),
])
def test_exp_special_values(x, expected):
    assert same_bits(exp(x), expected) or ulps(exp(x), expected) <= 1


@pytest.mark.parametrize(("x", "expected"), [
    (1.0, 0.0), (0.0, -math.inf), (-0.0, -math.inf), (math.inf, math.inf), (-1.0, math.nan), (-math.inf, math.nan),
    (math.nan, math.nan), (SMALLEST, math.log(SMALLEST)), (TINY, math.log(TINY)), (2.0, math.log(2.0)),
    (1.7976931348623157e308, math.log(1.7976931348623157e308)),
])
def test_log_special_values(x, expected):
    assert same_bits(log(x), expected)


@pytest.mark.parametrize(("x", "expected"), [
    (0.0, 0.0), (-0.0, -0.0), (-1.0, -math.inf), (-1.5, math.nan), (math.inf, math.inf), (math.nan, math.nan),
    (SMALLEST, SMALLEST), (-SMALLEST, -SMALLEST), (1e-20, 1e-20), (2.0**53, math.log1p(2.0**53)),
])
def test_log1p_special_values(x, expected):
    assert same_bits(log1p(x), expected)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 0.25, 1e-310, -1e-310, 1e300, -1e300,
           math.inf, -math.inf, math.nan, 2.0**53, 2.0**31 + 1, 2.0**64 + 2**12, 1.0 + 2**-30]


@pytest.mark.skipif(ctypes.util.find_library("m") is None, reason="no C math library to compare with")
@pytest.mark.parametrize("x", SPECIAL)
def test_pow_special_values_follow_c99(x):
    """Every pair of special values, against the C library's pow (C99 Annex F)."""
    c_pow = ctypes.CDLL(ctypes.util.find_library("m")).pow
    c_pow.restype, c_pow.argtypes = ctypes.c_double, (ctypes.c_double, ctypes.c_double)
    for y in SPECIAL:
        expected = c_pow(x, y)
        got = pow(x, y)
        assert same_bits(got, expected) or ulps(got, expected) <= 1, (x, y, got, expected)


@pytest.mark.parametrize(("fn", "centre"), [(log, 1.0), (log1p, 0.0), (exp, 0.0)])
def test_monotone_near_the_centre(fn, centre):
    xs = [centre]
    for _ in range(3000):
        xs.append(math.nextafter(xs[-1], math.inf))
        xs.insert(0, math.nextafter(xs[0], -math.inf))
    values = [fn(x) for x in xs]
    assert all(a <= b for a, b in itertools.pairwise(values))


def test_compiled_loops_give_the_python_bits():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-745, 709.7, 3000), rng.normal(0, 1e-3, 1000), [0.0, -0.0, math.inf, math.nan]])
    positive = np.concatenate([np.ldexp(rng.uniform(0.5, 1.0, 3000), rng.integers(-1074, 1024, 3000)),
                               rng.uniform(0.5, 2.0, 1000), [0.0, math.inf, math.nan, -1.0]])
    base, power = np.ldexp(rng.uniform(0.5, 1, 200), rng.integers(-40, 40, 200)), rng.uniform(-30, 30, 200)
    pairs = [
        (detarrays.exp_array(x), [exp(v) for v in x]),
        (detarrays.log_array(positive), [log(v) for v in positive]),
        (detarrays.log1p_array(x[x > -1]), [log1p(v) for v in x[x > -1]]),
        (detarrays.pow_array(base, power), [pow(a, b) for a, b in zip(base, power, strict=True)]),
    ]
    for compiled, python in pairs:
        assert all(same_bits(a, b) for a, b in zip(compiled, python, strict=True))


def test_arrays_keep_shapes_and_scalars():
    grid = np.arange(6.0).reshape(2, 3)
    assert detarrays.exp_array(grid).shape == (2, 3)
    assert detarrays.pow_array(grid, 2.0).tolist() == (grid * grid).tolist()
    assert isinstance(detarrays.log_array(2.0), np.floating)
    assert detarrays.exp_array(np.zeros(0)).shape == (0,)


def test_dot_and_matvec_add_in_index_order():
    rng = np.random.default_rng(1)
    a, x = rng.normal(size=(50, 7)), rng.normal(size=7)
    sequential = [0.0] * 50
    for i in range(50):
        total = 0.0
        for j in range(7):
            total += a[i, j] * x[j]
        sequential[i] = total
    assert detarrays.matvec(a, x).tolist() == sequential
    total = 0.0
    for v, w in zip(a[:, 0], a[:, 1], strict=True):
        total += v * w
    assert detarrays.dot(a[:, 0], a[:, 1]) == total


def test_importing_does_not_load_numba():
    code = "import sys, sim.core.detarrays, sim.core.detrandom, sim.core.deterf; print('numba' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_high_word_helpers():
    assert detmath.word_double(0x3FF00000) == 1.0
    assert detmath.clear_low_word(1.0 + 2.0**-52) == 1.0
    assert detmath.clear_low_word(-(1.0 + 2.0**-20 + 2.0**-40)) == -(1.0 + 2.0**-20)
    assert detmath.clear_low_word(SMALLEST) == 0.0 and detmath.clear_low_word(2.0**-1042 * 3) == 2.0**-1042 * 3


def test_random_sweeps_within_one_ulp():
    """Many more points than hypothesis draws: magnitudes spread over the whole exponent range."""
    rng = np.random.default_rng(11)
    wide = np.ldexp(rng.uniform(0.5, 1.0, 20000), rng.integers(-1074, 1024, 20000))
    near = rng.uniform(-1.0, 1.0, 20000)
    cases = [(exp, math.exp, rng.uniform(-745.0, 709.78, 20000)), (exp, math.exp, near),
             (log, math.log, wide), (log, math.log, 1.0 + near * 1e-3),
             (log1p, math.log1p, near), (log1p, math.log1p, wide[wide < 1e308])]
    for fn, ref, xs in cases:
        assert max(ulps(fn(x), ref(x)) for x in xs.tolist()) <= 1, fn.__name__
    bases = np.ldexp(rng.uniform(0.5, 1.0, 20000), rng.integers(-60, 60, 20000)).tolist()
    powers = rng.uniform(-15.0, 15.0, 20000).tolist()
    assert max(ulps(pow(x, y), math.pow(x, y)) for x, y in zip(bases, powers, strict=True)) <= 1


def _compiled_helpers():
    """frexp, ldexp and clear_low_word as kernels compile them (bit operations), over arrays."""
    from sim.core.jit import _numba

    numba = _numba()

    @numba.njit
    def run(x, k, m, e, scaled, cleared):
        for i in range(x.shape[0]):
            m[i], e[i] = detmath.frexp(x[i])
            scaled[i] = detmath.ldexp(x[i], k[i])
            cleared[i] = detmath.clear_low_word(x[i]) if math.isfinite(x[i]) else 0.0

    return run


def _python_ldexp(x: float, k: int) -> float:
    try:
        return math.ldexp(x, k)
    except OverflowError:  # Python raises where C returns +-inf
        return math.copysign(math.inf, x)


@given(st.lists(st.integers(min_value=-2**63, max_value=2**63 - 1), min_size=1, max_size=50),
       st.integers(min_value=-1100, max_value=1100))
def test_compiled_bit_helpers_are_the_library_functions(bits, shift):
    """Kernels read frexp off the bits, scale by a power of two built from bits and mask the low word:
    the same bits as math.frexp, math.ldexp and the exact-arithmetic clear_low_word, on every double."""
    special = [0.0, -0.0, math.inf, -math.inf, math.nan, SMALLEST, -SMALLEST, TINY, 1.0, -1.5, 2.0**1023]
    x = np.concatenate([np.array(bits, dtype=np.int64).view(np.float64), special])
    k = (np.arange(x.size, dtype=np.int64) * 37 + shift) % 2201 - 1100
    m, e = np.empty_like(x), np.empty(x.size, dtype=np.int64)
    scaled, cleared = np.empty_like(x), np.empty_like(x)
    _compiled_helpers()(x, k, m, e, scaled, cleared)
    for i, v in enumerate(x):
        pm, pe = math.frexp(v)
        assert same_bits(m[i], pm) and (e[i] == pe or not math.isfinite(v)), v
        assert same_bits(scaled[i], _python_ldexp(v, int(k[i]))), (v, k[i])
        if math.isfinite(v):
            assert same_bits(cleared[i], detmath.clear_low_word(v)), v
            assert detbits.float_bits(cleared[i]) == detbits.float_bits(v) & ~0xFFFFFFFF


def test_float_bits_round_trip():
    for v in (0.0, -0.0, 1.0, -2.5, SMALLEST, math.inf):
        assert detbits.bits_float(detbits.float_bits(v)) == v
    assert detbits.float_bits(1.0) == 0x3FF0000000000000 and detbits.float_bits(-0.0) == -2**63
