"""``kernel``: numba's ``@njit(cache=True)`` with a cache that knows its dependencies.

numba invalidates a cached function only when its own source file changes. Our kernels
inline formulas from other modules (:mod:`sim.core.margin`, :mod:`sim.core.impact`), so a change
there would silently leave a stale kernel in ``__pycache__``. Here each kernel's cache lives
in a folder named by a hash of its own file and of every module it depends on, so editing
any of them recompiles. The folder is ``$MARGINSIM_CACHE_DIR`` or ``~/.cache/marginsim``
(``NUMBA_CACHE_DIR``, if set, is left in charge).

Kernels use numpy's error model: a division by zero gives inf/nan instead of raising inside
the hot loop, and the model's run-time invariants then stop the run with a clear message.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numba
from numba.core import config
from numba.core.errors import NumbaIRAssumptionWarning

# The per-account formulas are inlined into the kernels at numba-IR level (inline="always":
# a call that passes arrays would otherwise cost reference counting per account, 3x the
# time). Inlining functions that contain loops makes numba's SSA pass emit this
# "internal pedantic check" warning; it does not affect the code generated.
warnings.filterwarnings("ignore", message=r".*is not in scope", category=NumbaIRAssumptionWarning)


def cache_root() -> Path:
    return Path(os.environ.get("MARGINSIM_CACHE_DIR") or Path.home() / ".cache" / "marginsim")  # empty = unset


def _digest(files: list[str]) -> str:
    h = hashlib.sha256()
    for name in sorted(set(files)):
        h.update(Path(name).read_bytes())
    return h.hexdigest()[:16]


def kernel(*deps: ModuleType) -> Callable[[Callable], Callable]:
    """Decorator: ``numba.njit(cache=True, error_model="numpy")``, cache keyed on ``deps`` too."""

    def wrap(fn: Callable) -> Callable:
        if os.environ.get("NUMBA_CACHE_DIR"):
            return numba.njit(cache=True, error_model="numpy")(fn)
        files = [fn.__code__.co_filename] + [m.__file__ for m in deps]
        previous = config.CACHE_DIR
        config.CACHE_DIR = str(cache_root() / "numba" / _digest(files))
        try:
            return numba.njit(cache=True, error_model="numpy")(fn)
        finally:
            config.CACHE_DIR = previous

    return wrap
