"""``simulate_params``: scalars at the top level, daily arrays under "series", and the documented example runs."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.run import params

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"margin.accounts": 2_000}


def _doc_examples() -> list[tuple[str, str]]:
    """Every ```python block of the README (and docs/, if any) that calls ``sim.simulate_params``."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = []
    for page in pages:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S):
            if "simulate_params(" in block:
                found.append((str(page.relative_to(ROOT)), block))
    return found


def test_the_documented_example_runs_and_means_what_it_says(monkeypatch):
    examples = _doc_examples()
    assert examples, "no example of sim.simulate_params in the README or docs/"
    real = params.simulate_params
    # the documented code exactly, at a test's size: 2,000 accounts instead of the scenario's 100,000
    monkeypatch.setattr(sim, "simulate_params", lambda p, *a, **kw: real({**p, **SMALL}, *a, **kw))
    for where, code in examples:
        tree = ast.parse(code)
        last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
        namespace: dict = {}
        exec(compile(tree, where, "exec"), namespace)
        out = namespace["out"]
        assert isinstance(out["max_drawdown"], float) and isinstance(out["forced_sales_usd"], float), where
        assert isinstance(out["series"]["index_level"], np.ndarray), where
        if last is not None:
            shown = eval(compile(ast.Expression(last.value), where, "eval"), namespace)
            assert all(np.ndim(v) == 0 for v in shown[:-1]) and np.ndim(shown[-1]) == 1, (where, shown)


def test_scalars_and_series_never_collide():
    out = sim.simulate_params({"margin.accounts": 500, "simulation.days": 30, "events.0.day": 10,
                               "events.1.day": 12}, seed=3, series=["forced_sales_usd", "index_level"])
    series = out.pop("series")
    assert set(series) == {"forced_sales_usd", "index_level"}
    assert all(len(v) == 30 for v in series.values())
    assert all(isinstance(v, (int, float)) for v in out.values()), {k: type(v) for k, v in out.items()}
    assert out["forced_sales_usd"] == pytest.approx(float(series["forced_sales_usd"].sum()), rel=1e-12)
    assert "channel_flows.letf.sold_usd" in out and math.isfinite(out["max_drawdown"])


def test_no_metric_is_called_series():
    from sim.run.results import Metrics

    assert params.SERIES_KEY not in {f.split(".")[0] for f in Metrics.__dataclass_fields__}
