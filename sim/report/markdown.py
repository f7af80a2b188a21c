"""Markdown pieces of the experiment summaries: the header that says what ran, and tables."""

from __future__ import annotations

import pandas as pd

from sim import __version__
from sim.config.experiment import Experiment, Parameter


def table(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (values as ``str`` gives them, no index)."""
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def describe(p: Parameter) -> str:
    """A parameter's values or range, as the summary lists it."""
    if p.values is not None:
        return f"{p.name} = " + ", ".join(str(v) for v in p.values)
    steps = f", {p.steps} steps" if p.steps else ""
    return f"{p.name} in [{p.low:g}, {p.high:g}]{' (log)' if p.log else ''}{steps}"


def header(exp: Experiment, runs: pd.DataFrame) -> list[str]:
    """The summary's first lines: title, description, what ran (sizes, seeds, overrides) and the parameters."""
    failed = int((runs["status"] != "ok").sum())
    version = runs.attrs.get("version", __version__)  # the version that ran it (its manifest), when known
    params = ", ".join(p.name for p in exp.parameters)
    return [f"# {exp.name}", "", exp.description, "",
            f"marginsim {version}; experiment `{exp.source}` ({exp.size} size), design {exp.design} over "
            f"{params}; {len(runs):,} runs ({failed:,} failed), {exp.replicates} "
            f"replicate{'s' if exp.replicates > 1 else ''} per point, root seed {exp.root_seed} "
            f"(seeds: {exp.seeds}). Scenario overrides: "
            + (", ".join(f"`{s}`" for s in exp.overrides) or "none") + ".", "",
            "Parameters: " + "; ".join(describe(p) for p in exp.parameters) + ".", ""]
