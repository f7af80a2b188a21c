"""The liquidity side's orders: value traders, noise traders, and a fill at given prices."""

from __future__ import annotations

from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum


@jitable
def value_order(intensity, caps, log_fundamental, log_price, substeps, out):
    """Value traders' $ order per asset: intensity x cap x (log V - log P) / substeps."""
    for j in range(caps.shape[0]):
        out[j] = intensity * caps[j] * (log_fundamental[j] - log_price[j]) / substeps
    return out


@jitable
def noise_order(demand, keep, vol, eps, scale, caps, out):
    """Noise traders' AR(1) demand (fraction of cap, updated in place) and their $ order, the change x cap."""
    for j in range(caps.shape[0]):
        new_demand = demand[j] * keep + vol * eps[j] * scale
        out[j] = (new_demand - demand[j]) * caps[j]
        demand[j] = new_demand
    return out


@jitable
def fill(shares, usd, prices):
    """Add the shares a $ order buys at ``prices`` to ``shares``; return the $ paid (the order's total)."""
    for j in range(usd.shape[0]):
        shares[j] += usd[j] / prices[j]
    return pairwise_sum(usd)
