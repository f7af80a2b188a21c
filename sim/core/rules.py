"""The margin rules' constants (Reg T, FINRA Rule 4210), free of numba so the config layer loads fast.

:mod:`sim.core.margin` holds the formulas; scenarios take their defaults and floors from here.
"""

from __future__ import annotations

REG_T_INITIAL = 0.50
"""Reg T initial margin on long purchases (fraction of market value)."""
REG_T_INITIAL_SHORT = 1.50
"""Reg T initial margin on short sales: 150% of market value, proceeds included."""
FINRA_MAINTENANCE = 0.25
"""FINRA Rule 4210 maintenance floor on long positions."""
FINRA_MAINTENANCE_SHORT = 0.30
"""FINRA Rule 4210 maintenance on short positions (stocks at or above $5)."""
