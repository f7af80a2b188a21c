"""sim.core.jit: formulas importable without numba, registered when the first kernel is built."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sim.core import margin
from sim.core.jit import jitable

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> str:
    script = tmp_path / "probe.py"  # a file, not ``-c``: numba caches only functions defined in files
    script.write_text(textwrap.dedent(code))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARGINSIM_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_jitable_returns_the_function_itself():
    def twice(x: float) -> float:
        return 2.0 * x

    assert jitable(twice) is twice
    assert jitable(inline="always")(twice) is twice
    assert margin.equity(1.0, 2.0, 3.0, 4.0) == 2.0  # plain Python for Python callers


def test_formulas_do_not_load_numba_and_kernels_still_compile_them(tmp_path):
    out = _run("""
        import sys

        import sim.core.impact
        import sim.core.margin
        from sim.core.jit import jitable, kernel

        @jitable(inline="always")
        def triple(x):
            return 3.0 * x

        print("numba loaded by the formulas:", "numba" in sys.modules)

        @kernel(sim.core.margin)
        def uses_both(cash, value):
            return triple(sim.core.margin.equity(cash, 0.0, value, 0.0))

        @jitable
        def late(x):  # numba is loaded now: registered at once
            return x + 1.0

        @kernel()
        def uses_late(x):
            return late(x)

        print(uses_both(-1.0, 3.0), uses_late(1.0))
    """, tmp_path)
    assert out.splitlines() == ["numba loaded by the formulas: False", "6.0 2.0"]


def test_prefetch_is_a_hint_that_changes_nothing_and_never_faults(tmp_path):
    """In a kernel, prefetch emits llvm.prefetch (in the assembly), reads nothing into the result and
    may point past the end of the array; in Python it does nothing."""
    import numba
    import numpy as np

    from sim.core.jit import _numba, prefetch

    _numba()

    @numba.njit
    def total(a, ahead):
        s = 0.0
        for i in range(a.shape[0]):
            prefetch(a, i + ahead)
            s += a[i]
        return s

    a = np.arange(1000, dtype=np.float64)
    assert prefetch(a, 0) is None
    assert total(a, 1 << 40) == total(a, 0) == 499500.0
    assert "prefetch" in total.inspect_asm(total.signatures[0])
