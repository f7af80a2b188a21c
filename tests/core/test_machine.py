"""sim.core.machine: the platform entry of the manifests."""

from __future__ import annotations

import json
import platform

from sim.core import machine


def test_platform_info_names_the_machine_and_is_json():
    info = machine.platform_info()
    assert set(info) == {"machine", "system", "processor", "cpu_flags", "libc", "python", "numpy", "numba"}
    assert info["machine"] == platform.machine() and info["processor"]
    assert set(info["cpu_flags"]) <= set(machine.VECTOR_FLAGS)
    json.dumps(info)


def test_flags_from_cpuinfo_or_numpy():
    assert machine._cpu_flags({"flags": "fpu sse4_2 avx2 fma avx512f"}) == ["sse4_2", "avx2", "fma", "avx512f"]
    assert machine._cpu_flags({"Features": "fp asimd sve"}) == ["asimd", "sve"]
    assert set(machine._cpu_flags({})) <= set(machine.VECTOR_FLAGS)  # numpy's table where /proc/cpuinfo is missing
