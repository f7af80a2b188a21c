"""numpy's summation order, jitable: ``pairwise_sum(a)`` is ``a.sum()`` to the last bit.

numpy sums a contiguous float64 array pairwise (``pairwise_sum`` in
``numpy/_core/src/umath/loops_utils.h.src``): below 8 elements one by one; up to 128 with
eight accumulators, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the
rest one by one; above 128 the two halves (the first a multiple of 8) separately, added. The
reduction starts from the identity, 0.0. A plain loop (numba's ``a.sum()``) adds in index order
and differs in the last bits from 8 elements on; compiled code that must give the numbers the
numpy code gives sums through here.
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.jit import jitable

BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``."""


@jitable
def _block_sum(a, start, n):
    """numpy's pairwise sum of ``a[start:start + n]`` for ``n <= BLOCK``."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


TWO_BLOCKS = 240
"""Above :data:`BLOCK`, numpy splits at ``n // 2`` rounded down to a multiple of 8: up to this length both halves
are single blocks (the right half has at most ceil(n / 2) + 7 <= 128 elements)."""
FOUR_BLOCKS = 464
"""Up to this length both halves have at most :data:`TWO_BLOCKS` elements (ceil(n / 2) + 7 <= 240)."""


@jitable
def _halves(n):
    """numpy's split of ``n`` elements: the left half's length, a multiple of 8."""
    half = n // 2
    return half - half % 8


@jitable
def _two_blocks(a, start, n):
    """numpy's pairwise sum of ``a[start:start + n]`` for ``n <= TWO_BLOCKS``."""
    if n <= BLOCK:
        return _block_sum(a, start, n)
    half = _halves(n)
    return _block_sum(a, start, half) + _block_sum(a, start + half, n - half)


@jitable
def pairwise_sum(a):
    """``a.sum()`` of a 1-D float64 array, in numpy's order (bit-identical).

    Up to :data:`FOUR_BLOCKS` elements (the dealers' options book, a few hundred names) the
    tree is unrolled, with no work arrays to allocate; longer arrays walk it on explicit stacks.
    """
    n = a.shape[0]
    if n <= BLOCK:
        return 0.0 + _block_sum(a, 0, n)
    if n <= FOUR_BLOCKS:
        if n <= TWO_BLOCKS:
            return 0.0 + _two_blocks(a, 0, n)
        half = _halves(n)
        return 0.0 + (_two_blocks(a, 0, half) + _two_blocks(a, half, n - half))
    # numpy recurses; here the same tree runs post-order on explicit stacks (depth < 64)
    starts = np.empty(128, dtype=np.int64)
    sizes = np.empty(128, dtype=np.int64)
    stage = np.zeros(128, dtype=np.int64)   # 0: not split yet, 1: left done
    values = np.empty(128)
    top = 0
    starts[0], sizes[0], stage[0] = 0, n, 0
    result = 0.0
    while top >= 0:
        s, m = starts[top], sizes[top]
        if m <= BLOCK:
            value = _block_sum(a, s, m)
            top -= 1
            while top >= 0 and stage[top] == 2:
                value = values[top] + value
                top -= 1
            if top < 0:
                result = value
                break
            # ``value`` finished the left half of ``top``: push its right half
            values[top] = value
            stage[top] = 2
            half = sizes[top] // 2
            half -= half % 8
            top += 1
            starts[top], sizes[top], stage[top] = starts[top - 1] + half, sizes[top - 1] - half, 0
            continue
        half = m // 2
        half -= half % 8
        stage[top] = 1
        top += 1
        starts[top], sizes[top], stage[top] = s, half, 0
    return 0.0 + result


@jitable
def python_sum(a, n):
    """Python's ``sum()`` of the floats ``a[:n]`` (start 0), to the last bit.

    Since Python 3.12 ``sum()`` adds floats with Neumaier's compensated summation and adds the
    compensation at the end when it is finite and non-zero (``builtin_sum_impl`` in CPython).
    """
    if n == 0:
        return 0.0
    total = 0.0 + a[0]
    c = 0.0
    for i in range(1, n):
        x = a[i]
        t = total + x
        if abs(total) >= abs(x):
            c += (total - t) + x
        else:
            c += (x - t) + total
        total = t
    if c != 0.0 and math.isfinite(c):
        total += c
    return total
