"""Small synthetic StockPath objects for the stock layer's analysis and figure tests."""

from __future__ import annotations

import itertools

import numpy as np

from sim.core import detrandom
from sim.model.stocks.types import STOCK_CHANNELS, StockPath

SECTORS = ("Information Technology", "Energy", "Health Care", "Financials")


def stock_path(price0, price, sectors, forced=None, tickers=None, seed: int = 0) -> StockPath:
    """A StockPath with the given prices and forced sales; the other per-name fields drawn, totals summed."""
    price0 = np.asarray(price0, dtype=np.float64)
    price = np.asarray(price, dtype=np.float64)
    d, n = price.shape
    rng = np.random.default_rng(seed)
    forced = np.zeros((d, n)) if forced is None else np.asarray(forced, dtype=np.float64)
    buy_ins = 0.1 * forced[:, ::-1]
    debt = 1e8 * (1.0 + rng.random(n)) * price / price0
    short = 0.02 + 0.1 * rng.random((d, n))
    letf = 1e6 * detrandom.standard_normal(rng, (d, n))
    ret = np.diff(np.vstack([price0, price]), axis=0) / np.vstack([price0, price[:-1]])
    total_debt = debt.sum(axis=1)
    hhi = ((debt / total_debt[:, None]) ** 2).sum(axis=1)
    top10 = np.sort(debt, axis=1)[:, ::-1][:, :10].sum(axis=1) / total_debt
    return StockPath(
        tickers=tuple(tickers or (f"S{j:03d}" for j in range(n))), sectors=tuple(sectors), price0=price0, price=price,
        ret=ret, forced_sales_usd=forced, buy_ins_usd=buy_ins, margin_debt_usd=debt, short_interest=short,
        letf_flow_usd=letf, index_level=100.0 * (price / price0).mean(axis=1), total_margin_debt_usd=total_debt,
        calls=np.zeros(d), close_outs=np.zeros(d), losses_usd=np.zeros(d), total_forced_sales_usd=forced.sum(axis=1),
        total_buy_ins_usd=buy_ins.sum(axis=1), hhi=hhi, top10_share=top10)


def random_path(n: int = 40, days: int = 60, seed: int = 0, crash_day: int = 20) -> StockPath:
    """A run with a sector crash on ``crash_day`` and forced sales concentrated in the crashed sector."""
    rng = np.random.default_rng(seed)
    sectors = [SECTORS[j % len(SECTORS)] for j in range(n)]
    in_tech = np.array([s == SECTORS[0] for s in sectors])
    ret = 0.01 * detrandom.standard_normal(rng, (days, n)) + 0.008 * detrandom.standard_normal(rng, (days, 1))
    ret[crash_day] -= np.where(in_tech, 0.15, 0.04)
    ret[crash_day + 1: crash_day + 4] -= np.where(in_tech, 0.03, 0.005)
    price0 = 20.0 + 200.0 * rng.random(n)
    price = price0 * np.cumprod(1.0 + ret, axis=0)
    forced = np.zeros((days, n))
    size = detrandom.lognormal(rng, 0.0, 1.0, n) * np.where(in_tech, 2.0, 1.0)  # tech sold most, overall
    forced[crash_day: crash_day + 4] = 1e7 * rng.random((4, n)) * size
    return stock_path(price0, price, sectors, forced, seed=seed)


def fall_shape(days: int) -> np.ndarray:
    """(D,) from 0 at day 0 to 1 at mid-run (the trough) and back to 0.5 at the end."""
    t = np.arange(days)
    mid = days // 2
    return np.where(t <= mid, t / mid, 1.0 - 0.5 * (t - mid) / (days - 1 - mid))


def additive_runs(base, effects: dict[str, np.ndarray], interaction=None, days: int = 21,
                  sectors=("A", "A", "B")) -> dict[frozenset[str], StockPath]:
    """Every subset of the channels: each name falls to a trough by base + sum of the channels' effects on
    (+ ``interaction`` when margin and letf are both on), so its max drawdown is exactly that; its forced
    sales ($) are 1e6 times the same sum."""
    base = np.asarray(base, dtype=np.float64)
    n = base.shape[0]
    interaction = np.zeros(n) if interaction is None else np.asarray(interaction, dtype=np.float64)
    shape = fall_shape(days)[:, None]
    runs = {}
    for k in range(len(STOCK_CHANNELS) + 1):
        for on in itertools.combinations(STOCK_CHANNELS, k):
            depth = base + sum((effects[c] for c in on), np.zeros(n))
            if "margin" in on and "letf" in on:
                depth = depth + interaction
            price0 = np.full(n, 50.0)
            price = price0 * (1.0 - depth * shape)
            forced = np.zeros((days, n))
            forced[days // 2] = 1e6 * depth
            runs[frozenset(on)] = stock_path(price0, price, sectors[:n], forced)
    return runs
