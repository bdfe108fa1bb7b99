"""The compiled loops: one plain loop per function and dtype over contiguous 1-D arrays.

Nothing here is compiled at import: `get_loop` compiles a loop on first use,
for its one explicit signature, and numba caches the machine code on disk
(next to this file, or in the user's cache directory when the install
directory is read-only), so a later process loads it instead of compiling.
The loops release the GIL, so `sigmoid._engine` can run them on several
threads at once, each on its own slice.

float32 σ and σ' take two passes: a vectorised one rounds the float64 value of
every element, but writes NaN where that value lies too close to a float32
rounding midpoint (about 1 element in 10^7) and counts them; only when there
are some does a second pass look for those NaNs (where x is not NaN) and redo
them with the ~100-bit path. So `out` must not overlap `x` (the engine sees
to that).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types

from . import _exact as E
from . import _kernels as K

# The input is typed read-only so that read-only arrays (np.broadcast_to views,
# memory maps) are accepted without a copy; writable arrays convert to it.
_F32 = types.void(types.Array(types.float32, 1, "C", readonly=True), types.float32[::1])
_F64 = types.void(types.Array(types.float64, 1, "C", readonly=True), types.float64[::1])


def sigmoid_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K.sigmoid_f64(x[i])


def sigmoid_f32(x, out):  # type: ignore[no-untyped-def]
    hard = 0
    for i in range(x.size):
        y, flag = K.sigmoid_f32_fast(np.float64(x[i]))
        out[i] = np.float32(np.nan) if flag else np.float32(y)  # NaN marks it for the fix-up
        hard += flag
    if hard:
        for i in range(x.size):
            if out[i] != out[i] and x[i] == x[i]:
                k, qh, ql = E.sigmoid_exact(np.float64(x[i]))
                out[i] = E.exact_to_f32(np.float64(x[i]), k, qh, ql, 1.0)


def sigmoid_derivative_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K.sigmoid_derivative_f64(x[i])


def sigmoid_derivative_f32(x, out):  # type: ignore[no-untyped-def]
    hard = 0
    for i in range(x.size):
        y, flag = K.sigmoid_derivative_f32_fast(np.float64(x[i]))
        out[i] = np.float32(np.nan) if flag else np.float32(y)
        hard += flag
    if hard:
        for i in range(x.size):
            if out[i] != out[i] and x[i] == x[i]:
                k, qh, ql = E.sigmoid_derivative_exact(np.float64(x[i]))
                out[i] = E.exact_to_f32(np.float64(x[i]), k, qh, ql, 1.0)


def sigmoid_derivative2_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql, sign = E.sigmoid_derivative2_exact(x[i])
        out[i] = sign * K.to_f64(x[i], k, qh, ql)


def sigmoid_derivative2_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql, sign = E.sigmoid_derivative2_exact(xi)
        out[i] = E.exact_to_f32(xi, k, qh, ql, sign)


def sigmoid_derivative3_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql = E.sigmoid_derivative3_exact(x[i])
        out[i] = K.to_f64(x[i], k, qh, ql)


def sigmoid_derivative3_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql = E.sigmoid_derivative3_exact(xi)
        out[i] = E.exact_to_f32(xi, k, qh, ql, 1.0)


def softplus_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K.softplus_f64(x[i])


def softplus_f32(x, out):  # type: ignore[no-untyped-def]
    # One rounding of a value good to ~2^-51: within 0.5 + 2^-27 ULP.
    for i in range(x.size):
        out[i] = np.float32(K.softplus_f64(np.float64(x[i])))


def log_sigmoid_f64(x, out):  # type: ignore[no-untyped-def]
    # log σ(x) = -softplus(-x); both negations are exact.
    for i in range(x.size):
        out[i] = -K.softplus_f64(-x[i])


def log_sigmoid_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = np.float32(-K.softplus_f64(-np.float64(x[i])))


def logit_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K.logit_f64(x[i])


def logit_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = np.float32(K.logit_f64(np.float64(x[i])))


_LOOPS: dict[tuple[str, str], Callable[..., None]] = {
    tuple(fn.__name__.rsplit("_", 1)): fn  # type: ignore[misc]
    for fn in (
        sigmoid_f32,
        sigmoid_f64,
        sigmoid_derivative_f32,
        sigmoid_derivative_f64,
        sigmoid_derivative2_f32,
        sigmoid_derivative2_f64,
        sigmoid_derivative3_f32,
        sigmoid_derivative3_f64,
        softplus_f32,
        softplus_f64,
        log_sigmoid_f32,
        log_sigmoid_f64,
        logit_f32,
        logit_f64,
    )
}

NAMES = frozenset(name for name, _ in _LOOPS)


def _by_name(suffix: str, *functions: Callable[[float], float]) -> dict[str, Any]:
    return {fn.__name__.removesuffix(suffix): fn for fn in functions}


# Scalar versions for a single Python float: a numba call on a float costs a
# fraction of one on arrays, which matters when the whole job is one number.
def sigmoid_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_f64(x)


def sigmoid_derivative_scalar(x):  # type: ignore[no-untyped-def]
    return K.sigmoid_derivative_f64(x)


def sigmoid_derivative2_scalar(x):  # type: ignore[no-untyped-def]
    k, qh, ql, sign = E.sigmoid_derivative2_exact(x)
    return sign * K.to_f64(x, k, qh, ql)


def sigmoid_derivative3_scalar(x):  # type: ignore[no-untyped-def]
    k, qh, ql = E.sigmoid_derivative3_exact(x)
    return K.to_f64(x, k, qh, ql)


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


# The same for one float32 (a NumPy float32 scalar): the value each loop would
# write for that element, as a float32.
def sigmoid_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_f32_fast(xd)
    if flag and xd == xd:
        k, qh, ql = E.sigmoid_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, 1.0)
    return np.float32(y)


def sigmoid_derivative_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    y, flag = K.sigmoid_derivative_f32_fast(xd)
    if flag and xd == xd:
        k, qh, ql = E.sigmoid_derivative_exact(xd)
        return E.exact_to_f32(xd, k, qh, ql, 1.0)
    return np.float32(y)


def sigmoid_derivative2_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    k, qh, ql, sign = E.sigmoid_derivative2_exact(xd)
    return E.exact_to_f32(xd, k, qh, ql, sign)


def sigmoid_derivative3_scalar_f32(x):  # type: ignore[no-untyped-def]
    xd = np.float64(x)
    k, qh, ql = E.sigmoid_derivative3_exact(xd)
    return E.exact_to_f32(xd, k, qh, ql, 1.0)


def softplus_scalar_f32(x):  # type: ignore[no-untyped-def]
    return np.float32(K.softplus_f64(np.float64(x)))


def log_sigmoid_scalar_f32(x):  # type: ignore[no-untyped-def]
    return np.float32(-K.softplus_f64(-np.float64(x)))


def logit_scalar_f32(x):  # type: ignore[no-untyped-def]
    return np.float32(K.logit_f64(np.float64(x)))


_SCALARS_F32 = _by_name(
    "_scalar_f32",
    sigmoid_scalar_f32,
    sigmoid_derivative_scalar_f32,
    sigmoid_derivative2_scalar_f32,
    sigmoid_derivative3_scalar_f32,
    softplus_scalar_f32,
    log_sigmoid_scalar_f32,
    logit_scalar_f32,
)


@functools.cache
def get_scalar(name: str, suffix: str = "f64") -> Any:
    """The compiled scalar function ``name`` for "f64" (float -> float) or "f32" (compiled once).

    The float32 one returns its float32 result as a Python float (exactly).
    """
    if suffix == "f32":
        signature, function = types.float32(types.float32), _SCALARS_F32[name]
    else:
        signature, function = types.float64(types.float64), _SCALARS[name]
    return numba.njit(signature, cache=True, error_model="numpy", nogil=True)(function)


@functools.cache
def get_loop(name: str, suffix: str) -> Any:
    """The compiled loop ``name`` for dtype suffix "f32" or "f64" (compiled once)."""
    signature = _F32 if suffix == "f32" else _F64
    return numba.njit(signature, cache=True, error_model="numpy", nogil=True)(_LOOPS[name, suffix])
