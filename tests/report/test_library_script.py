"""experiments/scenario_library.py, the script behind results/scenarios/library.*, runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sim.config.scenario import builtin_names

ROOT = Path(__file__).resolve().parents[2]


def test_the_scenario_library_script_tabulates_every_builtin_scenario(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "scenario_library.py"), "--accounts", "300",
                           "--spread", "1", "--out", str(tmp_path)], capture_output=True, text=True, timeout=900,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((tmp_path / "library.json").read_text())
    assert payload["accounts"] == 300 and [r["scenario"] for r in payload["runs"]] == builtin_names()
    table = (tmp_path / "library.md").read_text()
    assert all(f"| `{name}` |" in table for name in builtin_names())
