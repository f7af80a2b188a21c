"""Numba helpers: ``jitable`` formulas (lazily registered) and ``kernel`` (a cache that knows its dependencies).

``jitable`` marks a plain-Python function as callable from compiled kernels, like numba's
``register_jitable``, without importing numba: the function is recorded and registered when the
first kernel is built (or at once when numba is already loaded), so ``import sim.core.margin``
stays light while the kernels still inline the same source.

``kernel`` is numba's ``@njit(cache=True)``. numba invalidates a cached function only when its
own source file changes. Our kernels inline formulas from other modules (:mod:`sim.core.margin`,
:mod:`sim.core.impact`, the book's pieces), so a change there would silently leave a stale kernel
in ``__pycache__``. Here each kernel's cache lives in a folder named by a hash of its own file and
of every module it depends on, so editing any of them recompiles. The folder is
``$MARGINSIM_CACHE_DIR`` or ``~/.cache/marginsim`` (``NUMBA_CACHE_DIR``, if set, is left in charge).

Kernels use numpy's error model: a division by zero gives inf/nan instead of raising inside
the hot loop, and the model's run-time invariants then stop the run with a clear message.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

_PENDING: list[tuple[Callable, dict[str, Any]]] = []
"""``jitable`` functions recorded before numba was loaded, with their options."""


def _register(fn: Callable, options: dict[str, Any]) -> None:
    from numba.extending import register_jitable  # numba is loaded by now (see ``jitable``)

    # register_jitable returns ``fn`` itself (it adds a numba overload), and pops its ``inline`` option
    if options:
        register_jitable(**dict(options))(fn)
    else:
        register_jitable(fn)


def jitable(fn: Callable | None = None, **options: Any) -> Callable:
    """Decorator: numba's ``register_jitable`` (same ``options``, e.g. ``inline="always"``), deferred.

    Parameters
    ----------
    fn : callable, optional
        The function (when used as ``@jitable`` without options).
    **options
        Passed to ``numba.extending.register_jitable``.

    Returns
    -------
    callable
        ``fn`` itself, unchanged: Python callers see a plain function. If numba is not loaded yet
        the function is recorded and registered when :func:`kernel` first builds a kernel;
        otherwise it is registered now.
    """

    def mark(f: Callable) -> Callable:
        if "numba" in sys.modules:
            _register(f, options)
        else:
            _PENDING.append((f, options))
        return f

    return mark if fn is None else mark(fn)


def _numba() -> ModuleType:
    """Load numba (the one place it is imported) and register the ``jitable`` functions recorded so far."""
    import numba  # lazy on purpose: modules of formulas import this module, and must not load numba
    from numba.core.errors import NumbaIRAssumptionWarning

    # The per-account formulas are inlined into the kernels at numba-IR level (inline="always":
    # a call that passes arrays would otherwise cost reference counting per account, 3x the
    # time). Inlining functions that contain loops makes numba's SSA pass emit this
    # "internal pedantic check" warning; it does not affect the code generated.
    warnings.filterwarnings("ignore", message=r".*is not in scope", category=NumbaIRAssumptionWarning)
    while _PENDING:
        _register(*_PENDING.pop(0))
    if not _PREFETCH:
        _PREFETCH.append(_register_prefetch())
    return numba


def prefetch(arr: Any, i: int) -> None:
    """Tell the CPU that element ``i`` of ``arr`` will be read soon (in kernels; in Python it does nothing).

    Compiled to LLVM's ``llvm.prefetch`` (read, high locality, data): a hint that loads nothing
    into the kernel's values and never faults, so ``i`` may lie past the end of ``arr``, and
    changes no result, only when the memory arrives. A loop that streams through arrays too
    slowly for the hardware prefetchers to run far enough ahead asks for them explicitly.
    """


_PREFETCH: list[Callable] = []
"""The compiled implementation of :func:`prefetch`, once numba is loaded."""


def _register_prefetch() -> Callable:
    """Give :func:`prefetch` its compiled implementation (an intrinsic emitting ``llvm.prefetch``)."""
    from numba.core import types
    from numba.core.cgutils import get_or_insert_function, ir
    from numba.extending import intrinsic, overload

    @intrinsic
    def _prefetch(typingctx, arr, i):
        if not (isinstance(arr, types.Array) and isinstance(i, types.Integer)):
            return None

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            ptr = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
            i32 = ir.IntType(32)
            fn = get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]),
                                        "llvm.prefetch.p0")
            builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, high locality, data cache
            return context.get_dummy_value()

        return types.void(arr, i), codegen

    @overload(prefetch, inline="always")
    def _prefetch_overload(arr, i):
        return lambda arr, i: _prefetch(arr, i)

    return _prefetch


def ziggurat_tables() -> ModuleType:
    """numpy's ziggurat tables (``ziggurat_constants.h``) as numba ships them, for :mod:`sim.core.detrandom`."""
    _numba()
    from numba.np.random import _constants  # lazy, as numba itself

    return _constants


def cache_root() -> Path:
    return Path(os.environ.get("MARGINSIM_CACHE_DIR") or Path.home() / ".cache" / "marginsim")  # empty = unset


def _digest(files: list[str]) -> str:
    h = hashlib.sha256()
    for name in sorted(set(files)):
        h.update(Path(name).read_bytes())
    return h.hexdigest()[:16]


def kernel(*deps: ModuleType) -> Callable[[Callable], Callable]:
    """Decorator: ``numba.njit(cache=True, error_model="numpy")``, cache keyed on ``deps`` too.

    Parameters
    ----------
    *deps : module
        Every module whose ``jitable`` functions the kernel calls (directly or through them).

    Returns
    -------
    callable
        A decorator that compiles its function lazily (at the first call, or from the cache).
    """

    def wrap(fn: Callable) -> Callable:
        numba = _numba()
        if os.environ.get("NUMBA_CACHE_DIR"):
            return numba.njit(cache=True, error_model="numpy")(fn)
        config = numba.core.config
        files = [fn.__code__.co_filename] + [m.__file__ for m in deps]
        previous = config.CACHE_DIR
        config.CACHE_DIR = str(cache_root() / "numba" / _digest(files))
        try:
            return numba.njit(cache=True, error_model="numpy")(fn)
        finally:
            config.CACHE_DIR = previous

    return wrap
