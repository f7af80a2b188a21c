"""Where numbers were computed: the machine, its CPU and vector features, the C library and versions.

Results do not depend on these (:mod:`sim.core.detmath`; ``tests/test_reproducible.py`` checks
it), so they are recorded in manifests only (sweeps, figures, benchmarks), for a reader who wants
to know where a result was made, and never in a run's summary, whose bytes must not depend on
the machine.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

try:  # a private table of numpy's (names upper-case), used where there is no /proc/cpuinfo
    from numpy._core._multiarray_umath import __cpu_features__ as NUMPY_CPU_FEATURES
except ImportError:  # pragma: no cover - another numpy layout
    NUMPY_CPU_FEATURES = {}

VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "asimd", "sve")
"""The CPU features (Linux ``/proc/cpuinfo`` names) that change which code the libraries pick."""


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:
        return fields
    for line in lines:
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def _cpu_flags(info: dict[str, str]) -> list[str]:
    flags = set((info.get("flags") or info.get("Features") or "").split())
    if not flags:  # no /proc/cpuinfo: numpy's view of the CPU
        renamed = {"fma3": "fma", "sse42": "sse4_2"}
        flags = {renamed.get(name.lower(), name.lower()) for name, on in NUMPY_CPU_FEATURES.items() if on}
    return [f for f in VECTOR_FLAGS if f in flags]


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def platform_info() -> dict[str, Any]:
    """Machine, CPU model, vector features, C library, Python, numpy and numba, for a manifest."""
    info = _cpuinfo()
    libc, libc_version = platform.libc_ver()
    return {"machine": platform.machine(), "system": platform.system(),
            "processor": info.get("model name") or info.get("Model") or platform.processor() or platform.machine(),
            "cpu_flags": _cpu_flags(info), "libc": f"{libc} {libc_version}".strip() or None,
            "python": sys.version.split()[0], "numpy": np.__version__, "numba": _version("numba")}
