"""Price impact: how net dollar order flow moves an asset's log price.

* linear: dlogP = coef x Q, with coef = multiplier / market cap (Gabaix-Koijen inelasticity:
  a multiplier of 5 means $1 of net buying raises market value by $5);
* square root: dlogP = sign(Q) x coef x sqrt(|Q| / ADV), coef = Y x daily volatility.

``coef`` already includes the depth-thinning factor. Functions are ``register_jitable`` so
the kernels and the reference evaluate the same formula.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable

LINEAR = 0
SQRT = 1
MODELS = {"linear": LINEAR, "sqrt": SQRT}


@register_jitable
def log_impact(flow_usd: float, model: int, coef: float, adv_usd: float) -> float:
    """Log-price change caused by a signed net dollar flow (positive = net buying)."""
    if model == LINEAR:
        return coef * flow_usd
    return math.copysign(coef * math.sqrt(abs(flow_usd) / adv_usd), flow_usd)


def thinning_factor(realized_vol: float, reference_vol: float, elasticity: float, cap: float) -> float:
    """Impact multiplier when depth thins: (realized / reference)^elasticity above the reference.

    ``cap`` (the scenario's ``impact.max_thinning``) bounds it: depth never falls below
    1/cap of normal, which keeps the value traders' correction from overshooting.
    """
    return min(max(realized_vol / reference_vol, 1.0) ** elasticity, cap)
