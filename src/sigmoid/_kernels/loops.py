"""The compiled loops, scalar functions and ufuncs, generated from `sigmoid._family`.

`build(kind, function)` compiles one of these kinds for a function of the family:

- ``"scalar"``: float -> float, for one Python float;
- ``"f64"`` and ``"f32"``: a loop over contiguous 1-D arrays, ``loop(x, out)``;
- ``"dual64"`` and ``"dual32"``: a function and its derivative (where both
  have kernels) in one pass, ``dual(x, out, dout)``, for autograd's forward
  pass: the two kernels inlined side by side share their common work, and
  each result is bit-identical to its own loop's;
- ``"ufunc"``: a NumPy ufunc with float32 and float64 loops, for NumPy
  scalars and tiny arrays (NumPy's own broadcasting and casting in C, so a
  call costs about what ``scipy.special.expit`` costs);
- ``"ffi"``: an XLA FFI handler (a numba ``cfunc``) running the float32 or
  float64 loop on XLA's buffers, for JAX on the CPU (`sigmoid._kernels.xla_ffi`).

Each is made by a factory whose closure holds only an int, the key: the
function's index in `FAMILY` plus a stamp of the kernels' sources. In
compiled code the key is a constant, and `_value` (an overload, inlined)
turns it into that function's kernels at compile time, so every generated
loop is the plain loop one would write by hand. numba keys its disk cache by
the function's code and the values in its closure: an int gives the same key
in every process, so a second process loads the machine code instead of
compiling (tests/test_import.py checks this). A closure over a compiled
function would not: its pickle differs between processes. numba checks a
cache entry against its own source file only (this one), not against the
files of the kernels compiled into it; the stamp does that, so an edited
kernel is never served stale from the cache.

Nothing is compiled at import; each `build` compiles (or loads) once.

float32 loops work in blocks of `_BLOCK` elements (16 KiB of input): a
vectorised pass computes and rounds the fast float64 value of every element
and notes whether any needs the exact path (about 1 in 10^7, see
`sigmoid._kernels.elementwise`, and every subnormal result); only a block that
has one is looked at again, while it is still in cache: a second vectorised
pass that tests subnormal results at their own rounding bit, and, if a value
is still flagged, element by element through the float32 scalar function.
Those passes read x again, so `out` must not overlap `x` (the engine sees to
that). The block pass is compiled on its own: inlined next to the rare path,
its vector loop came out 15 % slower.

float64 loops of the correctly rounded functions (``Kernels.f64_hard``) work
in blocks the same way, but their hard values are about 1 in 2,500: the
vectorised pass writes NaN where the fast value is not safe, and the fix-up
pass sends only those elements (a NaN whose input is not NaN) to the exact
path. Nearly every block has one, so the fix-up pass first finds the chunks
of `_CHUNK` elements that hold a NaN with a vectorised test (`_has_nan`) and
scans only those element by element: scanning whole blocks cost σ about a
fifth of its time.

The block pass, the fix-up pass and the exact paths are separate compiled
functions, called rather than inlined (the kernels' own helpers are inlined
into them): with everything inlined into each loop, scalar function and
ufunc, a float64 array's first call on a cold cache compiled for 37 s on this
machine; 10 s now.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import llvmlite.binding
import numba
import numpy as np
from numba import types
from numba.core.dispatcher import Dispatcher
from numba.core.errors import TypingError
from numba.extending import overload

from sigmoid._family import FAMILY, Function, kernel_derivative

from . import CACHE
from . import dd as D
from . import elementwise as K
from . import exact as E
from . import log as L
from . import pool as P
from . import xla_ffi as X

__all__ = ["build"]

_BY_INDEX = tuple(FAMILY.values())


def source_stamp(paths: Sequence[Path]) -> int:
    """A 40-bit stamp of these files' contents."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return int(digest.hexdigest()[:10], 16)


# Everything compiled into a loop besides this file: the kernels and the table.
_SOURCES = [Path(m.__file__ or "") for m in (D, L, K, E, X, sys.modules[Function.__module__])]
# key = stamp * _KEYS + index
_KEYS = 256
_STAMP = source_stamp(_SOURCES)
_inline = numba.njit(error_model="numpy", inline="always")
_compile = functools.partial(numba.njit, error_model="numpy", nogil=True)

# The input is typed read-only so that read-only arrays (np.broadcast_to views,
# memory maps) are accepted without a copy; writable arrays convert to it.
_LOOP_SIGNATURES = {
    "f32": types.void(types.Array(types.float32, 1, "C", readonly=True), types.float32[::1]),
    "f64": types.void(types.Array(types.float64, 1, "C", readonly=True), types.float64[::1]),
}
#: The dual loops: ``dual(x, out, dout)``, a function and its derivative in one pass.
_DUAL_SIGNATURES = {
    "dual32": types.void(*_LOOP_SIGNATURES["f32"].args, types.float32[::1]),
    "dual64": types.void(*_LOOP_SIGNATURES["f64"].args, types.float64[::1]),
}
_BLOCK = 4096
#: float64 fix-up passes look for NaNs a chunk of this many elements at a time.
_CHUNK = 256
# The numba objects behind the ufuncs, kept alive with them.
_UFUNC_OWNERS: list[Any] = []

# Clearing the floating-point flags costs ~6 ns an element: the ufuncs only do
# it where a flag may have been raised. Between these bounds every
# intermediate of every kernel is a normal number (tiny x underflows in the
# polynomials' powers of x and the error terms of exact products, nowhere
# above ~2^-127; for logit, s^8 in the log's series when p is a power of 2
# below 2^-127, where s comes from the double-double tail of p / (1 - p)
# alone); NaN and the infinities fail the test and get their flags cleared.
_QUIET_MIN = 2.0**-100
_QUIET_MAX = 64.0
_QUIET_P = 2.0**-120


def _apart(function: Any, index: int, **options: Any) -> Any:
    """`function` compiled on its own, to be called rather than inlined (see `_scalars`)."""
    return _compile(**options)(_named(function, index))


class _Scalars(NamedTuple):
    value_f64: Any
    value_f32: Any
    fast_f32: Any
    careful_f32: Any
    fast_f64: Any
    exact_f64: Any


@functools.cache
def _scalars(index: int) -> _Scalars:
    """FAMILY[index]'s scalar functions: float64, float32, their fast passes, the float64 exact one.

    The float32 and float64 functions give the value the array loop writes
    for that element (its rare-path pass calls them); the float32 fast pass
    gives the rounded plain float64 value and whether it is safe (every
    subnormal result is not), the careful one the same with a subnormal
    result tested at its own rounding bit (`K.f32_near_midpoint`), the float64
    one the fast value and whether it is the correctly rounded one (always,
    for a function whose float64 kernel has no hard-value test). The last is
    the float64 value through the exact path (None without a hard-value test),
    which the float64 fix-up pass calls for the values its fast pass flagged.

    The exact paths are compiled on their own and called: inlined into every
    loop, scalar function and ufunc, they took most of a first call's time
    (a float64 array's first call compiled for 37 s on this machine, 10 s now).
    """
    kernels = _BY_INDEX[index].kernels
    if kernels is None:
        raise TypingError(f"{_BY_INDEX[index].name} has no compiled kernels")
    f64_kernel, fast = getattr(K, kernels.f64), getattr(K, kernels.f32_fast)
    if kernels.f32_exact is None:  # the float64 result, rounded once
        hard = f64_kernel
    else:
        exact = getattr(E, kernels.f32_exact)

        def rounded32(x):  # type: ignore[no-untyped-def]
            k, qh, ql, sign = exact(x)
            return np.float64(E.exact_to_f32(x, k, qh, ql, sign))  # (float32 -> float64: exact)

        hard = _apart(rounded32, index)

    exact_f64: Any = None  # (f64 calls it: never rebound below)
    if kernels.f64_hard:
        f64_fast = f64_kernel

        exact_f64 = _accurate64(index)

        @_inline
        def f64(x):  # type: ignore[no-untyped-def]
            y, flag = f64_kernel(x)
            return exact_f64(x) if flag else y

    else:
        f64 = f64_kernel

        @_inline
        def f64_fast(x):  # type: ignore[no-untyped-def]
            return f64_kernel(x), False

    if kernels.mirror:  # -g(-x)

        @_inline
        def value_f64(x):  # type: ignore[no-untyped-def]
            return -f64(-x)

        @_inline
        def fast_f64(x):  # type: ignore[no-untyped-def]
            y, flag = f64_fast(-x)
            return -y, flag

        @_inline
        def value_f32(x):  # type: ignore[no-untyped-def]
            xd = -np.float64(x)
            y, flag = fast(xd)
            return np.float32(-(hard(xd) if flag and K.f32_near_midpoint(y) else y))

        @_inline
        def fast_f32(x):  # type: ignore[no-untyped-def]
            y, flag = fast(-np.float64(x))
            return np.float32(-y), flag

        @_inline
        def careful_f32(x):  # type: ignore[no-untyped-def]
            y, flag = fast(-np.float64(x))
            return np.float32(-y), flag & K.f32_near_midpoint(y)

        @_inline
        def exact_value_f64(x):  # type: ignore[no-untyped-def]
            return -exact_f64(-x)

    else:
        value_f64, fast_f64, exact_value_f64 = f64, f64_fast, exact_f64

        @_inline
        def value_f32(x):  # type: ignore[no-untyped-def]
            xd = np.float64(x)
            y, flag = fast(xd)
            return np.float32(hard(xd) if flag and K.f32_near_midpoint(y) else y)

        @_inline
        def fast_f32(x):  # type: ignore[no-untyped-def]
            y, flag = fast(np.float64(x))
            return np.float32(y), flag

        @_inline
        def careful_f32(x):  # type: ignore[no-untyped-def]
            y, flag = fast(np.float64(x))
            return np.float32(y), flag & K.f32_near_midpoint(y)

    return _Scalars(
        value_f64,
        value_f32,
        fast_f32,
        careful_f32,
        fast_f64,
        exact_value_f64 if kernels.f64_hard else None,
    )


def _key(which: Any) -> int:
    """The key itself (a compile-time constant)."""
    if not isinstance(which, types.IntegerLiteral):
        raise TypingError(f"the function key must be a compile-time constant, not {which}")
    return int(which.literal_value)


@functools.cache
def _accurate64(index: int, bound: float = E.ACCURATE_BOUND) -> Any:
    """The float64 value of FAMILY[index]'s kernel through its accurate path, compiled apart.

    The accurate path's result, where it is farther than `bound` from a
    rounding midpoint (`E.decided_f64`); otherwise, in object mode (holding the
    GIL), the correctly rounded value from `sigmoid._rounded`, which cannot be
    wrong. (A larger `bound` is for the tests: it sends many inputs there.)
    """
    kernels = _BY_INDEX[index].kernels
    exact64 = getattr(E, kernels.f64_exact or kernels.f32_exact)

    def rounded64(x):  # type: ignore[no-untyped-def]
        k, qh, ql, sign = exact64(x)
        if E.decided_f64(x, k, qh, ql, sign, bound):
            return E.exact_to_f64(x, k, qh, ql, sign)
        with numba.objmode(y="float64"):
            y = decimal_value(index, x)
        return y

    # (nogil only shapes a Python entry point; this one is called by compiled
    # code, and its object-mode block takes the GIL itself. With it numba warns.)
    return _apart(rounded64, index, nogil=False)


#: How many values `decimal_value` has settled in this process, by function name
#: (benchmarks/accuracy64.py reports it: none is expected).
SETTLED_IN_DECIMAL: collections.Counter[str] = collections.Counter()


def decimal_value(index: int, x: float) -> float:
    """What FAMILY[index]'s float64 kernel computes at x, correctly rounded without numba.

    For a mirrored function (log σ(x) = -softplus(-x)) the kernel computes
    the g of f(x) = -g(-x), that is g(x) = -f(-x).
    """
    from sigmoid._rounded import correctly_rounded

    function = _BY_INDEX[index]
    SETTLED_IN_DECIMAL[function.name] += 1
    assert function.kernels is not None
    if function.kernels.mirror:
        return -correctly_rounded(function, -x)
    return correctly_rounded(function, x)


def _index(which: Any) -> int:
    """The function index in a key (a compile-time constant)."""
    return _key(which) % _KEYS


# Stubs for compiled code only; their overloads pick the kernels at compile time.
def _value(which: int, x: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _fast(which: int, x: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _block(which: int, x: Any, out: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _quiet(which: int, x: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _loop(which: int, x: Any, out: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _dual_loop(which: int, x: Any, out: Any, dout: Any) -> Any:
    raise NotImplementedError("only for compiled code")


def _on_buffers(which: int, dtype: int, x: int, out: int, n: int) -> Any:
    raise NotImplementedError("only for compiled code")


def _slices(which: int, state: int) -> Any:
    raise NotImplementedError("only for compiled code")


@overload(_value, inline="always")
def _value_overload(which, x):  # type: ignore[no-untyped-def]
    """FAMILY[which](x) in x's precision: the float32 or the float64 scalar function."""
    scalars = _scalars(_index(which))
    value_f32, value_f64 = scalars.value_f32, scalars.value_f64
    if x == types.float32:
        return lambda which, x: value_f32(x)
    return lambda which, x: value_f64(x)


@overload(_fast, inline="always")
def _fast_overload(which, x):  # type: ignore[no-untyped-def]
    """(the value a block pass stores, hard) in x's precision.

    float32: the rounded fast value. float64: the fast value, or NaN where
    it is hard (the fix-up pass looks for those NaNs).
    """
    scalars = _scalars(_index(which))
    fast_f32, fast_f64 = scalars.fast_f32, scalars.fast_f64
    if x == types.float32:
        return lambda which, x: fast_f32(x)

    def fast64(which, x):  # type: ignore[no-untyped-def]
        y, flag = fast_f64(x)
        return (np.nan if flag else y), flag

    return fast64


@functools.cache
def _block_pass(index: int) -> Any:
    def block(x, out):  # type: ignore[no-untyped-def]
        hard = False
        for i in range(x.size):
            y, flag = _fast(index, x[i])
            out[i] = y
            hard |= flag
        return hard

    return _apart(block, index)


@overload(_block, inline="always")
def _block_overload(which, x, out):  # type: ignore[no-untyped-def]
    """One vectorised pass over a block (either dtype); True if any value needs the exact path."""
    block = _block_pass(_index(which))
    return lambda which, x, out: block(x, out)


@numba.njit(error_model="numpy", nogil=True)
def _has_nan(y):  # type: ignore[no-untyped-def]
    """Whether y holds a NaN (a vectorised pass, no early exit)."""
    found = False
    for i in range(y.size):
        found |= y[i] != y[i]
    return found


@functools.cache
def _careful_pass(index: int, flip: bool) -> Any:
    """A float32 block's second look, vectorised: True if a value needs the exact path after all.

    The block pass flags every float32 subnormal result (a cheaper test
    there); this one writes the same rounded values and flags only the
    values near a rounding midpoint, subnormals' included, so a block of
    subnormal results (x in (-104, -87) for σ) costs two vector passes, not
    one exact evaluation per element.
    """
    careful_f32 = _scalars(index).careful_f32

    def block(x, out):  # type: ignore[no-untyped-def]
        hard = False
        for i in range(x.size):
            y, flag = careful_f32(-x[i] if flip else x[i])
            out[i] = y
            hard |= flag
        return hard

    return _apart(block, index)


@functools.cache
def _fixup_pass(index: int, every: bool, flip: bool = False) -> Any:
    """A block's rare path: every element again (float32), or the NaNs of its fast pass (float64).

    Compiled on its own, like the block pass. A float64 NaN whose input is
    not NaN is a value the fast pass flagged: it goes straight to the exact
    path. With `flip`, out[i] is the function at -x[i] (a dual loop's derivative).
    """
    # (-x[i] if flip else x[i], not a product: x[i] keeps its dtype; flip is a constant)
    if every:
        careful = _careful_pass(index, flip)

        def redo(x, out):  # type: ignore[no-untyped-def]
            if careful(x, out):
                for i in range(x.size):
                    out[i] = _value(index, -x[i] if flip else x[i])

        return _apart(redo, index)

    exact_f64 = _scalars(index).exact_f64

    def fixup(x, out):  # type: ignore[no-untyped-def]
        for c in range(0, x.size, _CHUNK):
            yc = out[c : c + _CHUNK]
            if _has_nan(yc):
                xc = x[c : c + _CHUNK]
                for i in range(yc.size):
                    if yc[i] != yc[i] and xc[i] == xc[i]:
                        yc[i] = exact_f64(-xc[i] if flip else xc[i])

    return _apart(fixup, index)


def _dual_parts(index: int) -> tuple[Function, bool]:
    """The derivative a dual loop computes with FAMILY[index], and whether it is taken at -x."""
    function = _BY_INDEX[index]
    derivative = kernel_derivative(function)
    if derivative is None:
        raise TypingError(f"{function.name} has no dual loop (its derivative has no kernels)")
    return derivative, function.flip


@functools.cache
def _dual_block_pass(index: int) -> Any:
    derivative, flip = _dual_parts(index)
    other = derivative.index

    def block(x, out, dout):  # type: ignore[no-untyped-def]
        hard = False
        for i in range(x.size):
            # Both kernels inlined side by side: their common work (e^-|x|) is done once.
            y, flag = _fast(index, x[i])
            d, other_flag = _fast(other, -x[i] if flip else x[i])
            out[i] = y
            dout[i] = d
            hard |= flag | other_flag
        return hard

    return _apart(block, index)


@overload(_loop, inline="always")
def _loop_overload(which, x, out):  # type: ignore[no-untyped-def]
    """out[i] = FAMILY[which](x[i]) over contiguous 1-D arrays (float32: in blocks)."""
    index = _index(which)
    key = which.literal_value
    if x.dtype == types.float64 and not _BY_INDEX[index].kernels.f64_hard:

        def loop64(which, x, out):  # type: ignore[no-untyped-def]
            for i in range(x.size):
                out[i] = _value(key, x[i])

        return loop64

    fixup = _fixup_pass(index, x.dtype == types.float32)

    def loop_in_blocks(which, x, out):  # type: ignore[no-untyped-def]
        for start in range(0, x.size, _BLOCK):
            xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
            if _block(key, xs, ys):
                fixup(xs, ys)

    return loop_in_blocks


@overload(_dual_loop, inline="always")
def _dual_loop_overload(which, x, out, dout):  # type: ignore[no-untyped-def]
    """out[i] = f(x[i]) and dout[i] = f'(x[i]) (at -x[i] with flip), f = FAMILY[which], in blocks.

    Each block's rare path is the two functions' own, so both outputs are
    bit-identical to their single loops'.
    """
    index = _index(which)
    derivative, flip = _dual_parts(index)
    block = _dual_block_pass(index)
    every = x.dtype == types.float32
    fixup = _fixup_pass(index, every)
    fixup_derivative = _fixup_pass(derivative.index, every, flip)

    def dual_loop(which, x, out, dout):  # type: ignore[no-untyped-def]
        for start in range(0, x.size, _BLOCK):
            end = start + _BLOCK
            xs, ys, ds = x[start:end], out[start:end], dout[start:end]
            if block(xs, ys, ds):
                fixup(xs, ys)
                fixup_derivative(xs, ds)

    return dual_loop


@overload(_on_buffers, inline="always")
def _on_buffers_overload(which, dtype, x, out, n):  # type: ignore[no-untyped-def]
    """The loop on n elements of XLA's buffers at addresses x and out, of an FFI dtype."""
    key = _key(which)

    def on_buffers(which, dtype, x, out, n):  # type: ignore[no-untyped-def]
        if dtype == X.F32:
            xs, ys = X.float32_views(x, out, n)
            _loop(key, xs, ys)
        else:
            xs, ys = X.float64_views(x, out, n)
            _loop(key, xs, ys)

    return on_buffers


@functools.cache
def _slices_pass(key: int) -> Any:
    def slices(state):  # type: ignore[no-untyped-def]
        mode = D.keep_subnormals()  # XLA's threads flush subnormals to 0
        while True:
            dtype, x, out, n = X.next_slice(state)
            if n == 0:
                break
            _on_buffers(key, dtype, x, out, n)
            X.slice_done(state)
        D.restore_mxcsr(mode)

    return _apart(slices, key % _KEYS)


@overload(_slices, inline="always")
def _slices_overload(which, state):  # type: ignore[no-untyped-def]
    """Claim and run slices of a pooled FFI call until none is left (handler and tasks alike)."""
    slices = _slices_pass(_key(which))
    return lambda which, state: slices(state)


@overload(_quiet, inline="always")
def _quiet_overload(which, x):  # type: ignore[no-untyped-def]
    """Whether no floating-point flag can have been raised for this x (see _QUIET_MIN)."""
    if _BY_INDEX[_index(which)].domain == "unit":
        return lambda which, x: (x >= _QUIET_P) & (x < 1.0)
    return lambda which, x: (abs(x) >= _QUIET_MIN) & (abs(x) <= _QUIET_MAX)


@D.jit
def _flags_cleared_unless(safe, y):  # type: ignore[no-untyped-def]
    return y if safe else D.without_fp_flags(y)


# The factories: each closure holds one int, the key.
def _scalar_source(key: int) -> Callable[[float], float]:
    def scalar(x):  # type: ignore[no-untyped-def]
        return _value(key, x)

    return scalar


def _loop_source(key: int) -> Callable[[Any, Any], None]:
    def loop(x, out):  # type: ignore[no-untyped-def]
        _loop(key, x, out)

    return loop


def _dual_source(key: int) -> Callable[[Any, Any, Any], None]:
    def dual(x, out, dout):  # type: ignore[no-untyped-def]
        _dual_loop(key, x, out, dout)

    return dual


def _ffi_source(key: int) -> Callable[[Any], Any]:
    def handler(frame):  # type: ignore[no-untyped-def]
        dtype, x, out, n, error = X.frame_buffers(frame)
        if dtype != 0:
            state = X.pooled(frame, dtype, x, out, n)
            if state == 0:  # on this thread alone
                mode = D.keep_subnormals()  # XLA's threads flush subnormals to 0
                _on_buffers(key, dtype, x, out, n)
                D.restore_mxcsr(mode)
            else:  # split over XLA's pool, this thread taking slices too
                X.schedule(frame, state, X.task_address(key))
                _slices(key, state)
                X.wait(state)
                X.release(state)
        return error

    return handler


def _ffi_task_source(key: int) -> Callable[[Any], None]:
    def task(data):  # type: ignore[no-untyped-def]
        state = X.task_state(data)
        _slices(key, state)
        X.release(state)

    return task


def _ufunc_source(key: int) -> Callable[[Any], Any]:
    def ufunc(x):  # type: ignore[no-untyped-def]
        return _flags_cleared_unless(_quiet(key, x), _value(key, x))

    return ufunc


def _named(function: Any, index: int) -> Any:
    """`function` (a generated closure), its name ending in FAMILY[index]'s name.

    numba names a compiled function's symbol, and its cache files, after its
    qualified name, plus a counter of the process that compiled it. Two
    closures of one factory would share a name, and two loops loaded from the
    disk cache into one process, compiled by two processes that happened to
    number them alike, would share a symbol: the second call would run the
    first one's machine code (σ's loop giving σ'). A name per function keeps
    every symbol and cache index apart.
    """
    suffix = _BY_INDEX[index].name
    function.__name__ = f"{function.__name__}_{suffix}"
    function.__qualname__ = f"{function.__qualname__}_{suffix}"
    return function


def _make(kind: str, index: int, cache: bool) -> Any:
    key = _STAMP * _KEYS + index
    if kind == "scalar":
        source = _named(_scalar_source(key), index)
        return _compile(types.float64(types.float64), cache=cache)(source)
    if kind in _LOOP_SIGNATURES:
        return _compile(_LOOP_SIGNATURES[kind], cache=cache)(_named(_loop_source(key), index))
    if kind in _DUAL_SIGNATURES:
        return _compile(_DUAL_SIGNATURES[kind], cache=cache)(_named(_dual_source(key), index))
    if kind == "ffi":
        # The handler's pool task first: the handler is linked against its address.
        task_source = _named(_ffi_task_source(key), index)
        task = numba.cfunc(X.TASK_SIGNATURE, cache=cache, error_model="numpy")(task_source)
        _UFUNC_OWNERS.append(task)
        llvmlite.binding.add_symbol(X.task_symbol(key), task.address)
        source = _named(_ffi_source(key), index)
        return numba.cfunc(X.SIGNATURE, cache=cache, error_model="numpy")(source)
    if kind == "ufunc":
        signatures = [types.float32(types.float32), types.float64(types.float64)]
        owner = numba.vectorize(signatures, cache=cache)(_named(_ufunc_source(key), index))
        _UFUNC_OWNERS.append(owner)
        return owner.ufunc
    raise ValueError(f"unknown kind of loop: {kind!r}")


def build(kind: str, function: Function) -> Any:
    """Compile (or load from the disk cache) `function`'s loop of this kind.

    Returns the numba dispatcher for "scalar", "f32", "f64", "dual32" and "dual64", the NumPy
    ufunc for "ufunc". A cache entry that cannot be loaded (truncated or
    garbled by a killed write or a full disk: numba raises while unpickling
    it) never fails the call: the kernel is compiled again, in memory. A
    kernel that fails to compile fails the same way without the cache, so
    that error still reaches the caller.
    """
    if _cache_readable:
        try:
            return _make(kind, function.index, CACHE)
        except Exception:
            if not CACHE:
                raise
            _stop_disk_cache()
    return _make(kind, function.index, False)


_cache_readable = True


@functools.cache
def task_address(index: int) -> int:
    """The address of FAMILY[index]'s slice task, ``void task(void* state)`` (a numba cfunc).

    The task the FFI handler puts on XLA's pool (`_ffi_task_source`), built
    with that handler on first use; `sigmoid._kernels.pool`'s workers run it too.
    """
    build("ffi", _BY_INDEX[index])
    return int(llvmlite.binding.address_of_symbol(X.task_symbol(_STAMP * _KEYS + index)))


def _stop_disk_cache() -> None:
    """Compile everything in memory from now on (this process only).

    Compiling a loop also loads the cached helpers it calls (`dd`, `log`,
    `elementwise`, `exact`), one of which may be the unreadable entry: their
    numba caches are switched off too. (``_cache`` is numba's attribute for a
    dispatcher's cache; a dispatcher without one is left as it is.)
    """
    global _cache_readable
    _cache_readable = False
    for module in (D, L, K, E, X, P):
        for value in vars(module).values():
            cache = getattr(value, "_cache", None) if isinstance(value, Dispatcher) else None
            if cache is not None:
                cache.disable()
