"""MarginInvestor: one margin account as its own Mesa agent (the reference mode)."""

from __future__ import annotations

import mesa

from sim.book.reference import ReferenceAccount


class MarginInvestor(ReferenceAccount, mesa.Agent):
    """A leverage-targeting margin investor with the rules of :class:`ReferenceAccount`.

    Used for small books as the correctness oracle and the fair speed baseline: the same
    scenario and seed give the same results as the array kernels.
    """

    def __init__(self, model: mesa.Model) -> None:
        mesa.Agent.__init__(self, model)
