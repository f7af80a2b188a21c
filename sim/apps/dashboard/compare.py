"""Comparison mode: a second run (B) beside the page's run (A), on the same seed and book size.

Two kinds of comparison:

* ``scenario``: B is another built-in scenario as its file has it, with the page's number of
  accounts and seed (the sliders describe run A; they would rewrite B's own values).
* ``input``: B is run A with one input changed (``vary`` set to ``value_b``), checked exactly as
  the sidebar's inputs are (:func:`~sim.apps.dashboard.inputs.resolve`).

Both runs are stepped together, one trading day each per step, so day ``d`` of A and of B are
always on screen together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sim.apps.dashboard.inputs import Inputs, Resolved, changes, resolve
from sim.config.scenario import ScenarioError, builtin_names, from_dict, read_toml
from sim.run.simulate import first_shock_day

MODES = {"off": "nothing (one run)", "scenario": "another scenario", "input": "another value of one input"}
"""Comparison modes (the page's select shows the values)."""
VARIABLE = {"leverage_mean": "average leverage", "maintenance": "maintenance margin",
            "letf_aum_bn": "LETF AUM ($ bn)", "letf_leverage": "LETF leverage", "dealer_gamma": "dealer gamma",
            "vol_target": "vol target", "shock_size": "shock size", "shock_day": "shock day"}
"""The inputs a comparison may vary, with their short names (used in the runs' labels)."""


@dataclass(frozen=True)
class Comparison:
    """The comparison inputs: the mode, B's scenario, and which input B varies to what (typed text)."""

    mode: str = "off"
    scenario_b: str = "covid-2020"
    vary: str = "maintenance"
    value_b: str = "0.4"


def _scenario_as_filed(name: str, accounts: int, seed: int) -> Resolved:
    """A built-in scenario as its file has it, at ``accounts`` accounts (its first event marked as the shock)."""
    if name not in builtin_names():
        raise ScenarioError(f"scenario B = {name!r}: must be one of {', '.join(builtin_names())}")
    base = from_dict(read_toml(name))
    spec_dict = base.to_dict()
    spec_dict["margin"]["accounts"] = accounts
    spec = from_dict(spec_dict)
    shock_day = first_shock_day(spec)
    gaps = [e.size for e in spec.events if e.day == shock_day and e.kind == "price_gap"]
    return Resolved(spec, seed, tuple(changes(base.to_dict(), spec.to_dict())),
                    shock_day if shock_day is not None else -1, gaps[0] if gaps else 0.0)


def resolve_b(inputs: Inputs, a: Resolved, comparison: Comparison) -> Resolved | None:
    """Run B's validated scenario, or None when not comparing; ScenarioError (one line) on bad input."""
    if comparison.mode not in MODES:
        raise ScenarioError(f"comparison = {comparison.mode!r}: must be one of {', '.join(MODES)}")
    if comparison.mode == "off":
        return None
    if comparison.mode == "scenario":
        return _scenario_as_filed(comparison.scenario_b, a.spec.margin.accounts, a.seed)
    if comparison.vary not in VARIABLE:
        raise ScenarioError(f"input varied in B = {comparison.vary!r}: must be one of {', '.join(VARIABLE)}")
    try:
        return resolve(replace(inputs, **{comparison.vary: comparison.value_b}))
    except ScenarioError as exc:
        raise ScenarioError(f"run B: {exc}") from None


def labels(inputs: Inputs, a: Resolved, comparison: Comparison) -> tuple[str, str]:
    """Short names of runs A and B for legends and captions: ``A: maintenance 0.3``, ``B: maintenance 0.4``."""
    if comparison.mode == "scenario":
        return f"A: {a.spec.meta.name}", f"B: {comparison.scenario_b}"
    name = VARIABLE.get(comparison.vary, comparison.vary)
    return f"A: {name} {_short(getattr(inputs, comparison.vary))}", f"B: {name} {_short(comparison.value_b)}"


def _short(value: object) -> str:
    """An input's value as typed or slid, briefly: 0.30000000000000004 -> 0.3, "1e5" -> 100000."""
    try:
        return f"{float(str(value).replace(',', '').replace('_', '')):g}"
    except ValueError:
        return str(value).strip()
