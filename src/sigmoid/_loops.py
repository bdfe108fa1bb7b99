"""The compiled loops: one plain loop per function and dtype over contiguous 1-D arrays.

Nothing here is compiled at import: `get_loop` compiles a loop on first use,
for its one explicit signature, and numba caches the machine code on disk
(next to this file, or in the user's cache directory when the install
directory is read-only), so a later process loads it instead of compiling.
The loops release the GIL, so `sigmoid._engine` can run them on several
threads at once, each on its own slice.

Every float32 loop works in blocks (see the comment above the loops); the
float64 loops are the scalar function, element by element, inlined and
vectorised.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import overload

from . import _dd as D
from . import _exact as E
from . import _kernels as K

# The input is typed read-only so that read-only arrays (np.broadcast_to views,
# memory maps) are accepted without a copy; writable arrays convert to it.
_F32 = types.void(types.Array(types.float32, 1, "C", readonly=True), types.float32[::1])
_F64 = types.void(types.Array(types.float64, 1, "C", readonly=True), types.float64[::1])


def _by_name(suffix: str, *functions: Callable[[float], float]) -> dict[str, Any]:
    return {fn.__name__.removesuffix(suffix): fn for fn in functions}


# Scalar versions for a single Python float: a numba call on a float costs a
# fraction of one on arrays, which matters when the whole job is one number.
def sigmoid_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_f64(x)


def sigmoid_derivative_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_derivative_f64(x)


def sigmoid_derivative2_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_derivative2_f64(x)


def sigmoid_derivative3_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_derivative3_f64(x)


def softplus_scalar(x):  # type: ignore[no-untyped-def]
    return K.softplus_f64(x)


def log_sigmoid_scalar(x):  # type: ignore[no-untyped-def]
    return -K.softplus_f64(-x)


def logit_scalar(x):  # type: ignore[no-untyped-def]
    return K.logit_f64(x)


_SCALARS = _by_name(
    "_scalar",
    sigmoid_scalar,
    sigmoid_derivative_scalar,
    sigmoid_derivative2_scalar,
    sigmoid_derivative3_scalar,
    softplus_scalar,
    log_sigmoid_scalar,
    logit_scalar,
)


# The same for one float32: the value the array loop writes for that element
# (its rare-path pass calls these), and the float32 loops of the ufuncs below.
def sigmoid_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_f32_fast(xd)
    if flag:
        k, qh, ql = E.sigmoid_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, 1.0)
    return np.float32(y)


def sigmoid_derivative_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_derivative_f32_fast(xd)
    if flag:
        k, qh, ql = E.sigmoid_derivative_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, 1.0)
    return np.float32(y)


def sigmoid_derivative2_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_derivative2_f32_fast(xd)
    if flag:
        k, qh, ql, sign = E.sigmoid_derivative2_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, sign)
    return np.float32(y)


def sigmoid_derivative3_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_derivative3_f32_fast(xd)
    if flag:
        k, qh, ql = E.sigmoid_derivative3_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, 1.0)
    return np.float32(y)


def softplus_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.softplus_f32_fast(xd)
    return np.float32(K.softplus_f64(xd) if flag else y)


def log_sigmoid_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = -np.float64(x)
    y, flag = K.softplus_f32_fast(xd)
    return np.float32(-(K.softplus_f64(xd) if flag else y))


def logit_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.logit_f32_fast(xd)
    return np.float32(K.logit_f64(xd) if flag else y)


# NumPy ufuncs for tiny arrays and NumPy scalars. A ufunc call costs what scipy.special.expit
# costs (NumPy allocates, broadcasts and casts in C), against about twice that
# for our checks, np.empty and a loop call; the ufunc's inner loop is scalar
# code, so it only pays up to a few dozen elements. Each has a float32 loop
# (the float32 scalar function: the value the array loop would write) and a
# float64 one, and clears the floating-point flags its kernels raise.
def _by_dtype(f32: Callable[[Any], Any], f64: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One function for nopython code: ``f32`` on a float32 argument, else ``f64``."""
    on_f32 = numba.njit(error_model="numpy", inline="always")(f32)
    on_f64 = numba.njit(error_model="numpy", inline="always")(f64)

    def call(x: Any) -> Any:
        raise NotImplementedError("only for compiled code")

    @overload(call, inline="always")
    def _typed(x):  # type: ignore[no-untyped-def]
        return (lambda x: on_f32(x)) if x == types.float32 else (lambda x: on_f64(x))

    return call


_SIGMOID = _by_dtype(sigmoid_scalar_f32, sigmoid_scalar)
_SIGMOID_DERIVATIVE = _by_dtype(sigmoid_derivative_scalar_f32, sigmoid_derivative_scalar)
_SIGMOID_DERIVATIVE2 = _by_dtype(sigmoid_derivative2_scalar_f32, sigmoid_derivative2_scalar)
_SIGMOID_DERIVATIVE3 = _by_dtype(sigmoid_derivative3_scalar_f32, sigmoid_derivative3_scalar)
_SOFTPLUS = _by_dtype(softplus_scalar_f32, softplus_scalar)
_LOG_SIGMOID = _by_dtype(log_sigmoid_scalar_f32, log_sigmoid_scalar)
_LOGIT = _by_dtype(logit_scalar_f32, logit_scalar)


# The array loops. numba keys its disk cache by module-level name, so each
# compiled loop is a function of its own.
#
# The float32 loops work in blocks of `_BLOCK` elements (16 KiB of input):
# a vectorised pass computes and rounds
# the float64 value of every element and notes whether any needs the slow
# path (about 1 in 10^7, see `sigmoid._kernels`); only a block that has one is
# redone, element by element through the float32 scalar function (the same
# fast value, or the ~100-bit one; for softplus, log-sigmoid and logit the
# double-double float64 one), while it is still in cache. That pass reads x
# again, so `out` must not overlap `x` (the engine sees to that).
_BLOCK = 4096
# The block passes are compiled on their own: inlined next to the rare path,
# their vector loop came out 15 % slower.
_block_jit = numba.njit(error_model="numpy", nogil=True, cache=True)


@_block_jit
def _sigmoid_block(x, out):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.sigmoid_f32_fast(np.float64(x[i]))
        out[i] = np.float32(y)
        hard |= flag
    return hard


@_block_jit
def _sigmoid_derivative_block(x, out):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.sigmoid_derivative_f32_fast(np.float64(x[i]))
        out[i] = np.float32(y)
        hard |= flag
    return hard


@_block_jit
def _sigmoid_derivative2_block(x, out):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.sigmoid_derivative2_f32_fast(np.float64(x[i]))
        out[i] = np.float32(y)
        hard |= flag
    return hard


@_block_jit
def _sigmoid_derivative3_block(x, out):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.sigmoid_derivative3_f32_fast(np.float64(x[i]))
        out[i] = np.float32(y)
        hard |= flag
    return hard


# sign * softplus(sign * x): softplus for sign = 1, log-sigmoid for sign = -1.
@_block_jit
def _softplus_block(x, out, sign):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.softplus_f32_fast(sign * np.float64(x[i]))
        out[i] = np.float32(sign * y)
        hard |= flag
    return hard


@_block_jit
def _logit_block(x, out):  # type: ignore[no-untyped-def]
    hard = False
    for i in range(x.size):
        y, flag = K.logit_f32_fast(np.float64(x[i]))
        out[i] = np.float32(y)
        hard |= flag
    return hard


def sigmoid_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _sigmoid_block(xs, ys):
            for i in range(xs.size):
                ys[i] = _SIGMOID(xs[i])


def sigmoid_derivative_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _sigmoid_derivative_block(xs, ys):
            for i in range(xs.size):
                ys[i] = _SIGMOID_DERIVATIVE(xs[i])


def sigmoid_derivative2_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _sigmoid_derivative2_block(xs, ys):
            for i in range(xs.size):
                ys[i] = _SIGMOID_DERIVATIVE2(xs[i])


def sigmoid_derivative3_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _sigmoid_derivative3_block(xs, ys):
            for i in range(xs.size):
                ys[i] = _SIGMOID_DERIVATIVE3(xs[i])


def softplus_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _softplus_block(xs, ys, 1.0):
            for i in range(xs.size):
                ys[i] = _SOFTPLUS(xs[i])


def log_sigmoid_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _softplus_block(xs, ys, -1.0):
            for i in range(xs.size):
                ys[i] = _LOG_SIGMOID(xs[i])


def logit_f32(x, out):  # type: ignore[no-untyped-def]
    for start in range(0, x.size, _BLOCK):
        xs, ys = x[start : start + _BLOCK], out[start : start + _BLOCK]
        if _logit_block(xs, ys):
            for i in range(xs.size):
                ys[i] = _LOGIT(xs[i])


# Every other loop applies the scalar function of its dtype to each element.
def sigmoid_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _SIGMOID(x[i])


def sigmoid_derivative_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _SIGMOID_DERIVATIVE(x[i])


def sigmoid_derivative2_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _SIGMOID_DERIVATIVE2(x[i])


def sigmoid_derivative3_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _SIGMOID_DERIVATIVE3(x[i])


def softplus_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _SOFTPLUS(x[i])


def log_sigmoid_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _LOG_SIGMOID(x[i])


def logit_each(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = _LOGIT(x[i])


_BLOCKED = _by_name(
    "_f32",
    sigmoid_f32,
    sigmoid_derivative_f32,
    sigmoid_derivative2_f32,
    sigmoid_derivative3_f32,
    softplus_f32,
    log_sigmoid_f32,
    logit_f32,
)
_EACH = _by_name(
    "_each",
    sigmoid_each,
    sigmoid_derivative_each,
    sigmoid_derivative2_each,
    sigmoid_derivative3_each,
    softplus_each,
    log_sigmoid_each,
    logit_each,
)
NAMES = frozenset(_EACH)

# Clearing the flags costs ~6 ns an element: only done where a flag may have
# been raised. Between these bounds every intermediate of every kernel is a
# normal number (measured: tiny x underflows in the polynomials' powers of x
# below ~2^-127, r^8 in `expm1_reduced`; for logit, s^8 in the log's series
# when p is a power of 2 below 2^-127, where s comes from the double-double
# tail of p / (1 - p) alone); NaN and the infinities fail the test and get
# their flags cleared.
_QUIET_MIN = 2.0**-100
_QUIET_MAX = 64.0
_QUIET_P = 2.0**-120


@D.jit
def _flags_cleared_unless(safe, y):  # type: ignore[no-untyped-def]
    return y if safe else D.without_fp_flags(y)


@D.jit
def _quiet_x(x):  # type: ignore[no-untyped-def]
    return (abs(x) >= _QUIET_MIN) & (abs(x) <= _QUIET_MAX)


# One module-level function per ufunc, so that each has its own on-disk cache.
def sigmoid_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _SIGMOID(x))


def sigmoid_derivative_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _SIGMOID_DERIVATIVE(x))


def sigmoid_derivative2_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _SIGMOID_DERIVATIVE2(x))


def sigmoid_derivative3_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _SIGMOID_DERIVATIVE3(x))


def softplus_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _SOFTPLUS(x))


def log_sigmoid_ufunc(x):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless(_quiet_x(x), _LOG_SIGMOID(x))


def logit_ufunc(p):  # type: ignore[no-untyped-def]
    return _flags_cleared_unless((p >= _QUIET_P) & (p < 1.0), _LOGIT(p))


_UFUNCS = _by_name(
    "_ufunc",
    sigmoid_ufunc,
    sigmoid_derivative_ufunc,
    sigmoid_derivative2_ufunc,
    sigmoid_derivative3_ufunc,
    softplus_ufunc,
    log_sigmoid_ufunc,
    logit_ufunc,
)
# The numba objects behind the ufuncs, kept alive with them.
_BUILT: dict[str, Any] = {}


def get_ufunc(name: str) -> np.ufunc:
    """The NumPy ufunc ``name`` with float32 and float64 loops (compiled once, cached on disk)."""
    if name not in _BUILT:
        signatures = [types.float32(types.float32), types.float64(types.float64)]
        _BUILT[name] = numba.vectorize(signatures, cache=True)(_UFUNCS[name])
    ufunc: np.ufunc = _BUILT[name].ufunc
    return ufunc


@functools.cache
def get_scalar(name: str) -> Any:
    """The compiled scalar function ``name``, float -> float (compiled once)."""
    signature = types.float64(types.float64)
    return numba.njit(signature, cache=True, error_model="numpy", nogil=True)(_SCALARS[name])


@functools.cache
def get_loop(name: str, suffix: str) -> Any:
    """The compiled loop ``name`` for dtype suffix "f32" or "f64" (compiled once)."""
    signature = _F32 if suffix == "f32" else _F64
    loop = _BLOCKED[name] if suffix == "f32" and name in _BLOCKED else _EACH[name]
    return numba.njit(signature, cache=True, error_model="numpy", nogil=True)(loop)
