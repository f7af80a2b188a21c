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
import inspect
import os
import struct
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
    if not _PREFETCH:
        _PREFETCH.append(_register_prefetch())
        _register_bits()
    while _PENDING:
        _register(*_PENDING.pop(0))
    while _PENDING_COMPILED:
        _register_compiled(*_PENDING_COMPILED.pop(0))
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


def float_bits(x: float) -> int:
    """The IEEE-754 representation of the double ``x`` as a signed 64-bit integer (in kernels: a bit cast)."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def bits_float(bits: int) -> float:
    """The double whose IEEE-754 representation is the signed 64-bit integer ``bits`` (in kernels: a bit cast)."""
    return struct.unpack("<d", struct.pack("<q", bits))[0]


def _register_bits() -> None:
    """Give :func:`float_bits` and :func:`bits_float` their compiled implementations (LLVM ``bitcast``)."""
    from numba.core import types
    from numba.extending import intrinsic, overload

    @intrinsic
    def _to_bits(typingctx, x):
        if not isinstance(x, types.Float) or x.bitwidth != 64:
            return None
        return types.int64(x), lambda context, builder, signature, args: builder.bitcast(
            args[0], context.get_value_type(types.int64))

    @intrinsic
    def _from_bits(typingctx, b):
        if not isinstance(b, types.Integer) or b.bitwidth != 64:
            return None
        return types.float64(b), lambda context, builder, signature, args: builder.bitcast(
            args[0], context.get_value_type(types.float64))

    @overload(float_bits, inline="always")
    def _float_bits(x):
        return lambda x: _to_bits(x)

    @overload(bits_float, inline="always")
    def _bits_float(b):
        return lambda b: _from_bits(b)


_PENDING_COMPILED: list[tuple[Callable, Callable]] = []
"""``compiled_as`` pairs recorded before numba was loaded."""


def _register_compiled(python_fn: Callable, impl: Callable) -> None:
    from numba.extending import overload

    def typer(*args: Any) -> Callable:
        return impl

    typer.__signature__ = inspect.signature(impl)  # numba checks that the two signatures match
    overload(python_fn, inline="always")(typer)


def compiled_as(python_fn: Callable) -> Callable[[Callable], Callable]:
    """Decorator: the decorated function is ``python_fn``'s implementation inside kernels.

    For exact operations that Python does well with the standard library and numba does
    slowly (``math.frexp`` and ``math.ldexp`` are calls into a C helper there): Python callers,
    plain-Python references included, run ``python_fn``; kernels inline the decorated function.
    The two must return the same value, bit for bit, for every input (test them against each
    other). Registered when numba loads, as :func:`jitable`.
    """

    def mark(impl: Callable) -> Callable:
        if "numba" in sys.modules and _PREFETCH:
            _register_compiled(python_fn, impl)
        else:
            _PENDING_COMPILED.append((python_fn, impl))
        return impl

    return mark


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


ALWAYS_KEYED = (__file__, str(Path(__file__).with_name("detbits.py")))
"""Files in every kernel's cache key: this module (the compiled helpers) and the exact bit helpers that
:mod:`sim.core.detmath` and everything built on it compile to."""


def kernel(*deps: ModuleType) -> Callable[[Callable], Callable]:
    """Decorator: ``numba.njit(cache=True, error_model="numpy", nogil=True)``, cache keyed on ``deps`` too.

    ``nogil``: a kernel releases the GIL while it runs, so the paths of an ensemble run in
    threads side by side (:func:`sim.run.ensemble.ensemble`); kernels touch no Python object.

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
            return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)
        config = numba.core.config
        files = [fn.__code__.co_filename, *ALWAYS_KEYED] + [m.__file__ for m in deps]
        previous = config.CACHE_DIR
        config.CACHE_DIR = str(cache_root() / "numba" / _digest(files))
        try:
            return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)
        finally:
            config.CACHE_DIR = previous

    return wrap
