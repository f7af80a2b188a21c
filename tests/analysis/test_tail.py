"""Tail probabilities: the Wilson interval against its formula and its coverage, quantiles of a known sample."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.tail import QUANTILES, check_metric, tail, tail_probability
from sim.core.errors import InputError

Z95 = 1.959963984540054


def _wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_share_and_interval_are_the_wilson_score_interval():
    values = np.r_[np.full(30, 0.25), np.full(170, 0.1)]
    res = tail_probability(values, 0.2, metric="shock_drawdown")
    assert (res.hits, res.paths, res.probability) == (30, 200, 0.15)
    low, high = _wilson(30, 200)
    assert res.ci_low == pytest.approx(low, rel=1e-9) and res.ci_high == pytest.approx(high, rel=1e-9)
    assert res.method == "wilson" and res.event == "shock_drawdown >= 0.2"
    edge = tail_probability(np.zeros(50), 0.2)  # no hit: the interval still has width, and starts at 0
    assert edge.probability == 0.0 and edge.ci_low == 0.0 and edge.ci_high == pytest.approx(_wilson(0, 50)[1])


def test_the_interval_covers_the_true_probability_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    true_p, n, trials = 0.05, 200, 400
    covered = 0
    for _ in range(trials):
        res = tail_probability((rng.random(n) < true_p).astype(float), 0.5)
        covered += res.ci_low <= true_p <= res.ci_high
    assert 0.92 <= covered / trials <= 0.99
    big = tail_probability((rng.random(20_000) < 0.1).astype(float), 0.5)
    assert big.ci_low <= 0.1 <= big.ci_high and big.ci_high - big.ci_low < 0.01


def test_quantiles_of_a_known_sample_below_and_nan():
    values = np.r_[np.arange(101) / 100.0, np.nan]
    res = tail_probability(values, -0.9, below=False)
    assert res.paths == 101 and res.hits == 101  # the NaN is left out
    assert list(res.quantiles) == list(QUANTILES)
    for q, v in res.quantiles.items():
        assert v == pytest.approx(q, abs=1e-12)
    neg = tail_probability(-values, -0.9, below=True)
    assert neg.hits == 11 and neg.event == "metric <= -0.9"
    assert res.to_dict()["quantiles"]["0.05"] == pytest.approx(0.05)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: check_metric("nosuch"), "metric"),
    (lambda: tail_probability([1.0], float("nan")), "threshold"),
    (lambda: tail_probability([1.0], "0.2"), "threshold"),
    (lambda: tail_probability([np.nan], 0.2), "metric"),
    (lambda: tail_probability([1.0], 0.2, confidence=1.0), "confidence"),
    (lambda: tail("baseline", "max_drawdown", 0.2, paths=0), "paths"),
    (lambda: tail("baseline", "nosuch", 0.2, paths=2), "metric"),
])
def test_bad_input(call, field):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field and "\n" not in str(info.value)


def test_tail_runs_an_ensemble():
    res = tail({"margin": {"accounts": 100}, "simulation": {"days": 30}, "events": [
        {"kind": "price_gap", "day": 10, "size": -0.1}]}, "shock_drawdown", 0.05, paths=4, root_seed=3)
    assert res.paths == 4 and res.root_seed == 3 and res.scenario_hash and 0 <= res.hits <= 4
    assert res.quantiles[0.01] <= res.quantiles[0.5] <= res.quantiles[0.99]
