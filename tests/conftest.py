"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

from sim.book.arrays import AccountArrays
from sim.config import scenario as scenario_mod

os.environ.setdefault("MPLBACKEND", "Agg")  # tests never open windows; notebooks clear it for their kernels

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def random_book(rng: np.random.Generator, n: int, k: int, n_brokers: int, *, price: np.ndarray,
                max_leverage: float = 4.0, short_share: float = 0.2) -> AccountArrays:
    """A random margin book: positive equity, leverage up to ``max_leverage``, some shorts."""
    equity = rng.lognormal(0.0, 1.0, n)
    lev = rng.uniform(1.0, max_leverage, n)
    alloc = rng.dirichlet(np.ones(k), n)
    long = (lev * equity)[:, None] * alloc / price
    short = np.where(rng.random(n) < short_share, rng.uniform(0, 0.8, n), 0.0)[:, None] * equity[:, None] \
        * rng.dirichlet(np.ones(k), n) / price
    cuts = np.sort(rng.integers(0, n + 1, n_brokers - 1))
    return AccountArrays(
        long=np.ascontiguousarray(long), short=np.ascontiguousarray(short),
        cash=-(lev - 1.0) * equity, short_credit=(short * price).sum(1),
        reserve=rng.uniform(0.0, 0.5, n) * equity * (rng.random(n) < 0.5),
        call_day=np.where(rng.random(n) < 0.2, rng.integers(0, 5, n), -1).astype(np.int32),
        target_leverage=rng.uniform(1.0, 2.0, n),
        short_target=np.where(rng.random(n) < short_share, rng.uniform(0, 0.5, n), 0.0),
        home=rng.integers(0, k, n).astype(np.int32),
        broker_start=np.concatenate([[0], cuts, [n]]).astype(np.int64),
    )


def small_scenario(**overrides: dict) -> scenario_mod.Scenario:
    """finra-2026-05 shrunk to a few thousand accounts and days, with overrides per section."""
    data = scenario_mod.read_toml("finra-2026-05")
    data["margin"]["accounts"] = 2_000
    data["simulation"]["days"] = 40
    for ev in data["events"]:
        ev["day"] = 20
    for section, fields in overrides.items():
        if isinstance(fields, list):
            data[section] = fields
        else:
            data.setdefault(section, {}).update(fields)
    return scenario_mod.from_dict(data)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
