"""Small statistics the experiment reports share: 95% intervals of a proportion and of a mean."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
"""The standard normal's 97.5% quantile."""


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion.

    Parameters
    ----------
    k, n : int
        Successes and trials.

    Returns
    -------
    tuple of float
        The interval's lower and upper ends (NaN, NaN when ``n`` is 0).
    """
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(x: pd.Series | np.ndarray) -> tuple[float, float]:
    """Mean of the finite values and the half-width of its normal 95% interval.

    Returns
    -------
    tuple of float
        The mean (NaN when there is no finite value) and the half-width (NaN below two values).
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    half = Z95 * float(np.std(x, ddof=1)) / math.sqrt(x.size) if x.size > 1 else math.nan
    return (float(np.mean(x)), half)


def block_rows(rng: np.random.Generator, n: int, block: int, circular: bool = False) -> np.ndarray:
    """Row indices of one block-bootstrap resample of ``n`` rows.

    ceil(n / block) blocks of ``block`` consecutive rows, their starts drawn uniformly with ``rng``,
    truncated to n rows: a moving-block bootstrap (Kuensch 1989; starts in [0, n - block]) or, with
    ``circular``, a circular one (Politis and Romano 1992; starts in [0, n), blocks wrap around).

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the block starts (ceil(n / block) integers).
    n : int
        Rows in the sample (>= block).
    block : int
        Rows per block (>= 1).
    circular : bool
        Wrap blocks around the end instead of keeping them inside the sample.

    Returns
    -------
    ndarray of int, (n,)
        The resample's rows, in order.
    """
    count = -(-n // block)
    starts = rng.integers(0, n if circular else n - block + 1, size=count)
    rows = starts[:, None] + np.arange(block)
    return (rows % n if circular else rows).ravel()[:n]

