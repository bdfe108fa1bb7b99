"""The reference oracle shared by the tests and the benchmarks (needs mpmath).

Two references, independent of the compiled kernels:

- `exact(name, x)`: the true value from mpmath at 60 significant digits
  (adaptive where a formula cancels), for ULP errors of float64 results.
- `correctly_rounded(name, x, dtype)`: the true value rounded to float16 or
  float32. It evaluates the function in ``np.longdouble`` (64-bit significand
  on x86-64: error well under 2^-56 relative) and rounds that; where the value
  lies so close to a rounding midpoint of `dtype` that the error bound cannot
  decide the rounding, it asks mpmath instead. No result depends on a guess.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable

import mpmath
import numpy as np

from sigmoid._family import FAMILY

__all__ = ["correctly_rounded", "exact", "reference", "ulp_error"]

_DPS = 60


# The true functions, from the family's table: reference(mpmath, x).
_MP_FUNCTIONS: dict[str, Callable[[mpmath.mpf], mpmath.mpf]] = {
    name: functools.partial(function.reference, mpmath)
    for name, function in FAMILY.items()
    if function.reference is not None
}

NAMES = tuple(_MP_FUNCTIONS)


def exact(name: str, x: float | np.floating) -> mpmath.mpf | float:
    """The true name(x) as an mpmath number (or a float: NaN and infinities).

    `x` is taken at its exact binary value, longdouble included.
    """
    if np.isnan(x):
        return np.nan
    if name == "logit":
        if x < 0 or x > 1:
            return np.nan
        if x in (0.0, 1.0):
            return -np.inf if x == 0.0 else np.inf
    if np.isinf(x):
        return float(_limit(name, float(x)))
    # For tiny x the terms after the first are x² smaller (σ''(x) = -x/8 + x³/24),
    # and they settle float32 rounding ties: keep them.
    size = abs(float(x))
    digits = _DPS + (int(-2 * math.log10(size)) if 0 < size < 1 else 0)
    with mpmath.workdps(digits):
        point = _exact_mpf(x)
        value = _MP_FUNCTIONS[name](point)
        # Where the leading digits cancel (σ'' and σ''' near their zeros),
        # recompute with more digits until the result is stable.
        while digits < 400 + _DPS:
            digits *= 2
            with mpmath.workdps(digits):
                again = _MP_FUNCTIONS[name](point)
            if again == 0 or abs(again - value) <= abs(again) * mpmath.mpf(10) ** (-40):
                return again
            value = again
        return value


def _limit(name: str, x: float) -> float:
    return FAMILY[name].limits[x > 0]


def _exact_mpf(value: float | np.floating) -> mpmath.mpf:
    """The exact binary value as an mpmath number (a decimal repr is not exact)."""
    if isinstance(value, np.longdouble) and np.finfo(np.longdouble).nmant > 52:
        mantissa, exponent = np.frexp(value)  # mantissa * 2^64 is a whole number
        with mpmath.workprec(64):
            return mpmath.ldexp(mpmath.mpf(int(np.ldexp(mantissa, 64))), int(exponent) - 64)
    return mpmath.mpf(float(value))


def ulp_error(name: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|y - true| in units of the last place of the true value in y's dtype (0 if both NaN)."""
    info = np.finfo(y.dtype)
    errors = np.empty(x.shape, dtype=np.float64)
    for i, (xi, yi) in enumerate(zip(x.ravel().tolist(), y.ravel().tolist(), strict=True)):
        true = exact(name, xi)
        if isinstance(true, float) and not np.isfinite(true):
            errors.flat[i] = 0.0 if (yi == true or (np.isnan(yi) and np.isnan(true))) else np.inf
            continue
        if np.isnan(yi) or np.isinf(yi):
            errors.flat[i] = np.inf
            continue
        with mpmath.workdps(_DPS):  # never round the truth (or y) to the default 53 bits
            t = mpmath.mpf(true)
            exponent = int(mpmath.floor(mpmath.log(abs(t), 2))) if t != 0 else -100000
            tiny = mpmath.ldexp(1, info.minexp - info.nmant)
            ulp = max(mpmath.ldexp(1, exponent - info.nmant), tiny)
            errors.flat[i] = float(abs(_exact_mpf(yi) - t) / ulp)
    return errors


def _ld_exp_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e = np.exp(-np.abs(x))
    return e, 1 + e


def _ld_sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e, d = _ld_exp_parts(x)
    return np.where(x >= 0, 1 / d, e / d), np.ones(x.shape, dtype=bool)


def _ld_sigmoid_derivative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e, d = _ld_exp_parts(x)
    return e / (d * d), np.ones(x.shape, dtype=bool)


def _ld_sigmoid_derivative2(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e, d = _ld_exp_parts(x)
    return np.copysign(e * -np.expm1(-np.abs(x)) / d**3, -x), np.ones(x.shape, dtype=bool)


def _ld_sigmoid_derivative3(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # e² - 4e + 1 cancels near its root e = 2 - √3 (x ≈ ±1.317): mpmath there.
    e, d = _ld_exp_parts(x)
    return e * ((e - 4) * e + 1) / d**4, np.abs(e - 0.2679491924311227) > 0.0625


def _ld_softplus(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), np.ones(x.shape, dtype=bool)


def _ld_log_sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    value, trusted = _ld_softplus(-x)
    return -value, trusted


def _ld_logit(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Near 1/2, log1p((2p - 1) / (1 - p)): 2p - 1 and 1 - p are exact in longdouble
    # for float16/32/64 p >= 2^-11; elsewhere log(p / (1 - p)) has no cancellation.
    middle = np.log1p((2 * p - 1) / (1 - p))
    tails = np.log(p / (1 - p))
    value = np.where(np.abs(p - 0.5) <= 0.25, middle, tails)
    return np.where((p >= 0) & (p <= 1), value, np.nan), np.ones(p.shape, dtype=bool)


# Each returns (value, trusted): the formula in longdouble and where its error
# is within _LD_REL_ERROR; `reference` asks mpmath for the rest.
_LD_FUNCTIONS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "sigmoid": _ld_sigmoid,
    "sigmoid_derivative": _ld_sigmoid_derivative,
    "sigmoid_derivative2": _ld_sigmoid_derivative2,
    "sigmoid_derivative3": _ld_sigmoid_derivative3,
    "softplus": _ld_softplus,
    "log_sigmoid": _ld_log_sigmoid,
    "logit": _ld_logit,
}
# A bound on the relative error of those formulas: a few roundings of exp,
# log1p, + and / in longdouble, with a wide margin.
_LD_REL_ERROR = 64 * float(np.finfo(np.longdouble).eps)


def reference(name: str, x: np.ndarray) -> np.ndarray:
    """name(x) in longdouble within a relative `_LD_REL_ERROR` of the truth."""
    with np.errstate(all="ignore"):  # NaN payloads, inf - inf, underflow: all expected
        x = np.asarray(x, dtype=np.longdouble)
        value, trusted = _LD_FUNCTIONS[name](x)
        value = np.array(value, dtype=np.longdouble)
        for i in np.flatnonzero(~np.asarray(trusted).ravel()):
            true = exact(name, float(x.flat[i]))
            with warnings.catch_warnings():  # below the longdouble range: 0, as wanted
                warnings.simplefilter("ignore", RuntimeWarning)
                value.flat[i] = np.longdouble(
                    true if isinstance(true, float) else mpmath.nstr(true, 40)
                )
    return value


def _round_mp(true: mpmath.mpf | float, dtype: np.dtype) -> float:
    """mpmath value -> nearest value of dtype, by comparing with its neighbours."""
    if isinstance(true, float):
        return float(np.asarray(true, dtype=dtype))
    guess = np.asarray(float(true), dtype=dtype)
    neighbours = [np.nextafter(guess, -np.inf), guess, np.nextafter(guess, np.inf)]
    # Exact differences: at the working precision a true value a hair off a
    # midpoint (σ''(x) = -x/8 + x³/24 for tiny x) would look like a tie.
    with mpmath.workprec(4096):
        distances = [abs(mpmath.mpf(float(c)) - true) for c in neighbours]
    return float(neighbours[int(np.argmin(distances))])


def correctly_rounded(
    name: str, x: np.ndarray, dtype: type | np.dtype, value: np.ndarray | None = None
) -> np.ndarray:
    """The true name(x) rounded to nearest in `dtype` (float16 or float32).

    `value` may pass in ``reference(name, x)`` when the caller has it already.
    """
    dtype = np.dtype(dtype)
    x = np.asarray(x)
    if value is None:
        value = reference(name, x)
    # float64 holds every float16/float32 midpoint exactly, and is much faster
    # than longdouble; its rounding of `value` is covered by a wider margin.
    work = np.float64 if dtype.itemsize <= 4 else np.longdouble
    with np.errstate(all="ignore"):
        v = value.astype(work)
        rounded = value.astype(dtype)
        below = np.nextafter(rounded, dtype.type(-np.inf)).astype(work)
        above = np.nextafter(rounded, dtype.type(np.inf)).astype(work)
        r = rounded.astype(work)
        margin = np.abs(v) * (_LD_REL_ERROR + float(np.finfo(work).eps))
        settled = (v - (r + below) / 2 > margin) & ((r + above) / 2 - v > margin)
    # Infinite, zero-valued and NaN results need no margin check; the rest go to mpmath.
    settled |= ~np.isfinite(value) | (value == 0)
    for i in np.flatnonzero(~settled.ravel()):
        rounded.flat[i] = _round_mp(exact(name, float(x.flat[i])), dtype)
    return rounded
