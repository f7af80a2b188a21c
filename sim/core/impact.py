"""Price impact: how net dollar order flow moves an asset's log price.

* linear: dlogP = coef x Q, with coef = multiplier / market cap (Gabaix-Koijen inelasticity:
  a multiplier of 5 means $1 of net buying raises market value by $5);
* square root: dlogP = sign(Q) x coef x sqrt(|Q| / ADV), coef = Y x daily volatility.

``coef`` already includes the depth-thinning factor. Functions are :func:`sim.core.jit.jitable`
(numba's ``register_jitable``, without loading numba on import) so the kernels and the reference
evaluate the same formula; exp, log and pow are :mod:`sim.core.detmath`'s (the same bits on every CPU).
"""

from __future__ import annotations

import math

from sim.core import detmath
from sim.core.jit import jitable

LINEAR = 0
SQRT = 1
MODELS = {"linear": LINEAR, "sqrt": SQRT}
MAX_LOG_MOVE = detmath.log(10.0)
"""Price limit: one substep's flow moves a log price by at most this (a factor of 10 either way).

Both laws are meant for flows that are small against the market cap. After a crash to a tiny
fraction of the initial price, dollar wealth can be many times the cap, and unlimited they
would move a price by e^100s and overflow. No shipped scenario comes near the limit (their
largest move in a substep is about 0.5), so it changes nothing there.
"""


@jitable
def limited(log_move: float) -> float:
    """``log_move`` within +/- :data:`MAX_LOG_MOVE`."""
    return min(max(log_move, -MAX_LOG_MOVE), MAX_LOG_MOVE)


@jitable
def log_impact(flow_usd: float, model: int, coef: float, adv_usd: float) -> float:
    """Log-price change caused by a signed net dollar flow (positive = net buying), within the price limit."""
    if model == LINEAR:
        return limited(coef * flow_usd)
    return limited(math.copysign(coef * math.sqrt(abs(flow_usd) / adv_usd), flow_usd))


@jitable
def thinning_factor(realized_vol: float, reference_vol: float, elasticity: float, cap: float) -> float:
    """Impact multiplier when depth thins: (realized / reference)^elasticity above the reference.

    ``cap`` (the scenario's ``impact.max_thinning``) bounds it: depth never falls below
    1/cap of normal, which keeps the value traders' correction from overshooting.
    """
    return min(detmath.pow(max(realized_vol / reference_vol, 1.0), elasticity), cap)


DEALER_TOLERANCE = 1e-13
"""Convergence of the dealers' within-substep fixed point, in log price."""
DEALER_MAX_ITER = 500


@jitable
def dealer_flow(log_move: float, dealer_gamma_usd: float, limit_usd: float) -> float:
    """$ the delta-hedging dealers buy after a log-price move inside a substep.

    A book with dollar gamma G ($ of delta per unit relative move; negative = short gamma)
    must buy -G x move to stay hedged, at most ``limit_usd`` either way (its whole notional).
    """
    return min(max(-dealer_gamma_usd * log_move, -limit_usd), limit_usd)


@jitable
def price_with_dealers(log_base: float, flow_usd: float, dealer_gamma_usd: float, limit_usd: float, model: int,
                       coef: float, adv_usd: float) -> tuple[float, float, int]:
    """Price after ``flow_usd`` when delta-hedging dealers respond inside the substep.

    Solves y = impact(flow + dealer_flow(y)) for the log move y from ``log_base``. With linear
    impact the solution is closed-form: y = c Q / (1 + c G) while the dealers' flow stays within
    its limit, else y = c (Q +/- limit); 1 + c G <= 0 (short gamma stronger than the market's
    depth) saturates at the limit. Square-root impact iterates. Either way the move stays
    within the price limit (:data:`MAX_LOG_MOVE`). Returns (price, dealer $
    flow, iterations; -1 if the iteration did not converge).
    """
    if dealer_gamma_usd == 0.0 or limit_usd == 0.0 or flow_usd == 0.0:
        return detmath.exp(log_base + log_impact(flow_usd, model, coef, adv_usd)), 0.0, 0
    if model == LINEAR:
        denominator = 1.0 + coef * dealer_gamma_usd
        y = coef * flow_usd / denominator if denominator > 0.0 else math.copysign(math.inf, flow_usd)
        dealer = -dealer_gamma_usd * y
        if not abs(dealer) <= limit_usd:
            sign = 1.0 if (y > 0.0) == (dealer_gamma_usd < 0.0) else -1.0
            dealer = sign * limit_usd
            y = coef * (flow_usd + dealer)
        return detmath.exp(log_base + limited(y)), dealer, 1
    y = log_impact(flow_usd, model, coef, adv_usd)
    for it in range(DEALER_MAX_ITER):
        y_new = log_impact(flow_usd + dealer_flow(y, dealer_gamma_usd, limit_usd), model, coef, adv_usd)
        if abs(y_new - y) <= DEALER_TOLERANCE:
            return detmath.exp(log_base + y_new), dealer_flow(y_new, dealer_gamma_usd, limit_usd), it + 1
        y = 0.5 * (y + y_new)
    return detmath.exp(log_base + y), dealer_flow(y, dealer_gamma_usd, limit_usd), -1
