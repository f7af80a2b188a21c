"""sim.core.deterf: fdlibm's erf/erfc and Cephes' ndtr on detmath (the options' normal CDF)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from sim.core import detarrays
from sim.core.deterf import erf, erfc, ndtr, normal_pdf
from tests.core.test_detmath import same_bits, ulps


@given(st.floats(min_value=-30.0, max_value=30.0))
def test_erf_within_one_ulp(x):
    assert ulps(erf(x), math.erf(x)) <= 1


@given(st.floats(min_value=-6.0, max_value=27.0))
def test_erfc_within_a_few_ulps(x):
    assert ulps(erfc(x), math.erfc(x)) <= 4


@given(st.floats(min_value=-37.0, max_value=9.0))
def test_ndtr_matches_scipy(x):
    assert ndtr(x) == pytest.approx(float(special.ndtr(x)), rel=1e-15 if x > -5.0 else 2e-13, abs=1e-300)


@pytest.mark.parametrize(("fn", "x", "expected"), [
    (erf, 0.0, 0.0), (erf, -0.0, -0.0), (erf, math.inf, 1.0), (erf, -math.inf, -1.0), (erf, math.nan, math.nan),
    (erf, 6.0, 1.0), (erf, 1e-320, math.erf(1e-320)), (erfc, 0.0, 1.0), (erfc, math.inf, 0.0),
    (erfc, -math.inf, 2.0), (erfc, 28.0, 0.0), (erfc, -7.0, 2.0), (erfc, math.nan, math.nan),
    (ndtr, 0.0, 0.5), (ndtr, math.inf, 1.0), (ndtr, -math.inf, 0.0), (ndtr, math.nan, math.nan), (ndtr, 40.0, 1.0),
])
def test_special_values(fn, x, expected):
    assert same_bits(fn(x), expected)


def test_symmetry_and_pdf():
    for x in np.linspace(-8.0, 8.0, 161).tolist():
        assert erf(-x) == -erf(x)
        assert normal_pdf(x) == pytest.approx(math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi), rel=1e-15)


def test_compiled_ndtr_gives_the_python_bits():
    x = np.random.default_rng(2).normal(0.0, 6.0, 5000)
    assert all(same_bits(a, ndtr(b)) for a, b in zip(detarrays.ndtr_array(x).tolist(), x.tolist(), strict=True))
