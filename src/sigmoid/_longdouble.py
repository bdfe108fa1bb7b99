"""The logistic family in ``np.longdouble`` with NumPy operations only.

The compiled kernels cover float16 to float64; extended precision is rare
enough that the same stable formulas written with NumPy are the right trade.
Every formula works from e = exp(-|x|) <= 1, so nothing overflows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _sigmoid(x: np.ndarray) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_derivative(x: np.ndarray) -> Any:
    e = np.exp(-np.abs(x))
    return e / ((1 + e) * (1 + e))


def _sigmoid_derivative2(x: np.ndarray) -> Any:
    # σ'' = -sign(x) e (1 - e) / (1 + e)³, with 1 - e = -expm1(-|x|) exact near 0.
    e = np.exp(-np.abs(x))
    y = np.copysign(e * -np.expm1(-np.abs(x)) / (1 + e) ** 3, -x)  # σ''(±0) = ∓0
    return np.where(np.isnan(x), x, y)  # a NaN keeps its sign


def _sigmoid_derivative3(x: np.ndarray) -> Any:
    e = np.exp(-np.abs(x))
    return e * ((e - 4) * e + 1) / (1 + e) ** 4


def _softplus(x: np.ndarray) -> Any:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid(x: np.ndarray) -> Any:
    return -_softplus(-x)


def _logit(p: np.ndarray) -> Any:
    # Near 1/2, log1p((2p - 1) / (1 - p)) avoids the cancellation of log(p) - log(1 - p).
    middle = np.log1p((2 * p - 1) / (1 - p))
    tails = np.log(p) - np.log1p(-p)
    y = np.where(np.abs(p - 0.5) <= 0.25, middle, tails)
    return np.where((p >= 0) & (p <= 1), y, np.nan).astype(p.dtype, copy=False)


_FUNCTIONS: dict[str, Callable[[np.ndarray], Any]] = {
    "sigmoid": _sigmoid,
    "sigmoid_derivative": _sigmoid_derivative,
    "sigmoid_derivative2": _sigmoid_derivative2,
    "sigmoid_derivative3": _sigmoid_derivative3,
    "softplus": _softplus,
    "log_sigmoid": _log_sigmoid,
    "logit": _logit,
}


def evaluate(name: str, x: np.ndarray) -> np.ndarray:
    """name(x) for a longdouble array; intermediate inf, NaN and underflow are expected."""
    with np.errstate(all="ignore"):
        return np.asarray(_FUNCTIONS[name](x), dtype=x.dtype)
