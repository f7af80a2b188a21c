"""Results depend on (scenario, seed, package version), never on the CPU.

The same small runs and quick figure data are computed twice, in fresh processes: as this machine
builds them, and as a baseline x86-64 CPU would: numba compiles for a generic x86-64 (no AVX,
no FMA) into its own cache, numpy's SIMD loops are switched off, glibc is told the CPU has no
AVX2/FMA/AVX-512 (so it picks its baseline exp/log/pow), and OpenBLAS uses its oldest kernels.
Every timeseries, summary and data hash of the eight figures (at ``--quick`` size) must come out the same.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.core.jit import cache_root

ROOT = Path(__file__).resolve().parents[1]
GLIBC_BASELINE = "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX512DQ,-AVX512BW,-AVX512VL"

PROBE = """
    import hashlib, json
    import numpy as np
    import sim
    from sim.model.accounts import build_accounts
    from sim.report.paper import registry


    def digest(*arrays):
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


    def main():
        out = {}
        runs = {"finra": ("finra-2026-05", ["margin.accounts=5000"]),
                "tfg": ("tfg-2012", ["simulation.days=1500"]),
                "covid": ("covid-2020", ["margin.accounts=3000"])}
        for key, (name, overrides) in runs.items():
            result = sim.simulate(sim.load(name, overrides), seed=7)
            out[key] = digest(result.timeseries.select_dtypes("number").to_numpy())
            out[key + " summary"] = json.dumps(result.metrics.to_dict(), sort_keys=True)
        # leverage_mean 1.1: the Beta draw of leverage has a parameter below 1 (numpy calls pow on every draw)
        spec = sim.load("finra-2026-05", ["margin.leverage_mean=1.1", "margin.accounts=20000"])
        book = build_accounts(spec, np.random.default_rng(3))
        out["book"] = digest(*[getattr(book, f) for f in sorted(vars(book))])
        for fig in registry():  # every figure of `marginsim figures --quick`, the sweeps' included
            out["figure " + fig.name] = fig.build(True).sha256()
        print(json.dumps(out))


    if __name__ == "__main__":  # the sweep figures start worker processes
        main()
"""


def _generic_env() -> dict[str, str]:
    """Settings that make this process compute as a baseline x86-64 CPU would."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    return {"NUMBA_CPU_NAME": "generic", "MARGINSIM_CACHE_DIR": str(cache_root() / "generic-x86-64"),
            "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__), "GLIBC_TUNABLES": GLIBC_BASELINE,
            "OPENBLAS_CORETYPE": "Prescott"}


def _probe(tmp_path: Path, extra_env: dict[str, str]) -> dict[str, str]:
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent(PROBE))
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64") or platform.libc_ver()[0] != "glibc",
                    reason="the generic-CPU build is set up for x86-64 Linux with glibc")
def test_a_generic_x86_64_build_gives_the_same_bits(tmp_path):
    host = _probe(tmp_path, {})
    generic = _probe(tmp_path, _generic_env())
    differ = sorted(k for k in host if host[k] != generic[k])
    assert not differ, f"outputs that depend on the CPU: {differ}"


COMMITTED = ("finra_margin_debt", "cascade_anatomy", "letf_flow", "returns_vs_real", "stock_heatmap_semis_crash",
             "stock_sectors_semis_crash")
"""Full-size figures cheap enough (a few minutes together) to rebuild in the slow suite."""

FULL_PROBE = """
    import json, sys
    from sim.report.paper import registry


    def main():
        names = set(sys.argv[1:])
        print(json.dumps({f.name: f.build(False).sha256() for f in registry() if f.name in names}))


    if __name__ == "__main__":
        main()
"""


@pytest.mark.slow
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64") or platform.libc_ver()[0] != "glibc",
                    reason="the generic-CPU build is set up for x86-64 Linux with glibc")
def test_a_generic_x86_64_build_reproduces_the_committed_figure_hashes(tmp_path):
    """The data hashes in results/figures/MANIFEST.json, rebuilt at full size as a baseline CPU would."""
    manifest = json.loads((ROOT / "results" / "figures" / "MANIFEST.json").read_text())
    committed = {f["figure"]: f["data_sha256"] for f in manifest["figures"]}
    script = tmp_path / "full.py"
    script.write_text(textwrap.dedent(FULL_PROBE))
    env = {**os.environ, "PYTHONPATH": str(ROOT), **_generic_env()}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, str(script), *COMMITTED], env=env, capture_output=True, text=True,
                          timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    rebuilt = json.loads(done.stdout.strip().splitlines()[-1])
    assert rebuilt == {name: committed[name] for name in COMMITTED}
