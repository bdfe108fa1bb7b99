"""The compiled loops: one plain loop per function and dtype over contiguous 1-D arrays.

Nothing here is compiled at import: `get_loop` compiles a loop on first use,
for its one explicit signature, and numba caches the machine code on disk
(next to this file, or in the user's cache directory when the install
directory is read-only), so a later process loads it instead of compiling.

float32 results of σ and σ' are correctly rounded in two passes: the first
rounds the ~58-bit value of every element and counts the elements where that
value lies too close to a float32 rounding midpoint (about 1 in 10^8); only
when there are some does a second pass redo those with ~100 bits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types

from . import _kernels as K

# The input is typed read-only so that read-only arrays (np.broadcast_to views,
# memory maps) are accepted without a copy; writable arrays convert to it.
_F32 = types.void(types.Array(types.float32, 1, "C", readonly=True), types.float32[::1])
_F64 = types.void(types.Array(types.float64, 1, "C", readonly=True), types.float64[::1])


def sigmoid_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql = K.sigmoid_dd(x[i])
        out[i] = K.to_f64(x[i], k, qh, ql)


def sigmoid_f32(x, out):  # type: ignore[no-untyped-def]
    hard = 0
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql = K.sigmoid_dd(xi)
        out[i] = K.fast_to_f32(xi, k, qh)
        hard += K.needs_exact_f32(k, qh, ql)
    if hard:
        for i in range(x.size):
            xi = np.float64(x[i])
            if K.needs_exact_f32(*K.sigmoid_dd(xi)):
                k, qh, ql = K.sigmoid_exact(xi)
                out[i] = K.exact_to_f32(xi, k, qh, ql, 1.0)


def sigmoid_derivative_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql = K.sigmoid_derivative_dd(x[i])
        out[i] = K.to_f64(x[i], k, qh, ql)


def sigmoid_derivative_f32(x, out):  # type: ignore[no-untyped-def]
    hard = 0
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql = K.sigmoid_derivative_dd(xi)
        out[i] = K.fast_to_f32(xi, k, qh)
        hard += K.needs_exact_f32(k, qh, ql)
    if hard:
        for i in range(x.size):
            xi = np.float64(x[i])
            if K.needs_exact_f32(*K.sigmoid_derivative_dd(xi)):
                k, qh, ql = K.sigmoid_derivative_exact(xi)
                out[i] = K.exact_to_f32(xi, k, qh, ql, 1.0)


def sigmoid_derivative2_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql, sign = K.sigmoid_derivative2_exact(x[i])
        out[i] = sign * K.to_f64(x[i], k, qh, ql)


def sigmoid_derivative2_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql, sign = K.sigmoid_derivative2_exact(xi)
        out[i] = K.exact_to_f32(xi, k, qh, ql, sign)


def sigmoid_derivative3_f64(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        k, qh, ql = K.sigmoid_derivative3_exact(x[i])
        out[i] = K.to_f64(x[i], k, qh, ql)


def sigmoid_derivative3_f32(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        xi = np.float64(x[i])
        k, qh, ql = K.sigmoid_derivative3_exact(xi)
        out[i] = K.exact_to_f32(xi, k, qh, ql, 1.0)


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


_LOOPS: dict[tuple[str, str], tuple[Callable[..., None], Any]] = {
    (fn.__name__.rsplit("_", 1)[0], fn.__name__.rsplit("_", 1)[1]): (
        fn,
        _F32 if fn.__name__.endswith("f32") else _F64,
    )
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


@functools.cache
def get_loop(name: str, suffix: str) -> Any:
    """The compiled loop ``name`` for dtype suffix "f32" or "f64" (compiled once)."""
    fn, signature = _LOOPS[name, suffix]
    return numba.njit(signature, cache=True, error_model="numpy", nogil=True)(fn)
