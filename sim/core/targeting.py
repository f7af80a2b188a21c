"""Leverage targeting: the per-account rule of Greenwood, Landier and Thesmar (2015).

Greenwood, R., Landier, A. and Thesmar, D. (2015), "Vulnerable banks", Journal of Financial
Economics 115(3): 471-485: after a price move every institution trades back to its target
leverage, gross value / equity, fixed at the start. Cont and Schaanning (2017, "Fire sales,
indirect contagion and systemic stress testing", Norges Bank WP 2/2017) contrast it with
threshold deleveraging (:func:`sim.core.margin.liquidation_fraction`: nothing until a constraint
binds, then a sale back to a buffer).

The rule here sells only: an account above its target sells the same fraction f of every
position (shorts bought in) at the marked price. That leaves equity unchanged and scales gross by
1 - f, so f = 1 - target x equity / gross restores the target exactly. An account below its
target (after a rise) does not buy back: GLT's rule is symmetric, but in the falling markets this
rule is used for (every cascade starts from a price drop and forced sales only push prices down)
a long, levered account's leverage only rises, so the buying side never binds there (an assumption
stated in :mod:`sim.book.sparse_targeting`). An account with no positive equity is closed out (f = 1).
"""

from __future__ import annotations

from sim.core.jit import jitable

TARGETING_TOLERANCE = 1e-9
"""Default relative slack: an account sells only when gross exceeds target x equity by more than this.

Assumption (rounding slack, as :data:`sim.core.margin.DEFICIT_TOLERANCE`); a cascade with
price impact converges geometrically, and the slack is what lets its last pass sell nothing.
"""


@jitable(inline="always")
def over_target(equity_usd: float, gross_usd: float, target_leverage: float, tolerance: float) -> bool:
    """True when an account holding ``gross_usd`` must sell: leverage above target by more than ``tolerance``.

    An account with positions and no positive equity is always over (it is closed out).
    """
    if gross_usd <= 0.0:
        return False
    if equity_usd <= 0.0:
        return True
    return gross_usd > target_leverage * equity_usd * (1.0 + tolerance)


@jitable(inline="always")
def targeting_fraction(equity_usd: float, gross_usd: float, target_leverage: float) -> float:
    """Fraction of every position to sell so that gross / equity returns to ``target_leverage``.

    f = 1 - target x equity / gross, within [0, 1]; 1 (closed out) when equity <= 0; 0 for an
    account holding nothing.
    """
    if gross_usd <= 0.0:
        return 0.0
    if equity_usd <= 0.0:
        return 1.0
    return min(max(1.0 - target_leverage * equity_usd / gross_usd, 0.0), 1.0)
