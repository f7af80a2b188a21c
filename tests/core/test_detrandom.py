"""sim.core.detrandom: numpy's streams (the same raw numbers consumed), with detmath's log/exp/pow."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core import detrandom


def _pair(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


def _same_place(ours: np.random.Generator, numpy_: np.random.Generator) -> bool:
    return ours.bit_generator.state == numpy_.bit_generator.state


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_standard_normal_is_numpys_to_the_bit(seed):
    """Identical but for draws from the ziggurat's tail (|x| > 3.65, about 1 in 4,000), where numpy
    takes the C library's log and we take detmath's: those may differ in the last bit."""
    ours, numpy_ = _pair(seed)
    a = detrandom.standard_normal(ours, 300_000)
    b = numpy_.standard_normal(300_000)
    differ = a != b
    assert np.all(np.abs(a[differ]) > detrandom.NOR_R)
    assert np.all(np.abs(a.view(np.int64) - b.view(np.int64))[differ] <= 1)
    assert np.count_nonzero(differ) <= 3
    assert _same_place(ours, numpy_)


def test_shapes_small_and_empty_draws():
    ours, numpy_ = _pair(9)
    for size in [(4, 11), 1, 0, (0, 3), 7]:
        assert np.array_equal(detrandom.standard_normal(ours, size), numpy_.standard_normal(size))
    assert _same_place(ours, numpy_)


@pytest.mark.parametrize(("a", "b"), [(1.6, 2.4), (1.8, 1.2), (1.0, 1.0), (0.3, 2.7), (2.7, 0.3), (0.5, 0.8),
                                      (0.002, 0.003), (1e-110, 1e-105)])
def test_beta_follows_numpys_stream(a, b):
    ours, numpy_ = _pair(4)
    x, y = detrandom.beta(ours, a, b, 50_000), numpy_.beta(a, b, 50_000)
    assert _same_place(ours, numpy_)
    if min(a, b) >= 1.0:  # gamma draws with shape >= 1 use no pow: the same bits
        assert np.array_equal(x, y)
    else:  # pow's last bit; with tiny parameters the ratio comes from exp(-delta), delta ~ 500
        np.testing.assert_allclose(x, y, rtol=1e-14 if min(a, b) > 0.1 else 1e-11, atol=1e-300)


@pytest.mark.parametrize("shape", [2.0, 1.0, 7.5, 0.3, 0.05])
def test_gamma_follows_numpys_stream(shape):
    ours, numpy_ = _pair(5)
    x, y = detrandom.gamma(ours, shape, 0.5, 50_000), numpy_.gamma(shape, 0.5, 50_000)
    assert _same_place(ours, numpy_)
    if shape >= 1.0:
        assert np.array_equal(x, y)
    else:
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-300)


def test_lognormal_and_normal():
    ours, numpy_ = _pair(6)
    np.testing.assert_allclose(detrandom.lognormal(ours, 0.1, 1.3, 20_000), numpy_.lognormal(0.1, 1.3, 20_000),
                               rtol=1e-15)
    assert np.array_equal(detrandom.normal(ours, 2.0, 3.0, 100), numpy_.normal(2.0, 3.0, 100))
    assert _same_place(ours, numpy_)


def test_draws_larger_than_the_first_batch():
    """Beta with tiny parameters rejects most pairs: the raw numbers run out and are topped up."""
    ours, numpy_ = _pair(8)
    np.testing.assert_allclose(detrandom.beta(ours, 0.01, 0.02, 2_000), numpy_.beta(0.01, 0.02, 2_000),
                               rtol=1e-11, atol=1e-300)
    assert _same_place(ours, numpy_)


def test_mt19937_is_refused():
    with pytest.raises(TypeError, match="MT19937"):
        detrandom.standard_normal(np.random.Generator(np.random.MT19937(1)), 3)
