"""The two types every paper figure shares, :class:`FigureData` and :class:`Figure`, defined in
:mod:`sim.report.figdata` (outside this package, so that report modules that draw figures from
their data, such as :mod:`sim.report.stocks`, can use them without importing every paper figure)."""

from __future__ import annotations

from sim.report.figdata import Figure, FigureData

__all__ = ["Figure", "FigureData"]
