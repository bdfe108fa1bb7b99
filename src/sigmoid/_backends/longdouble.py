"""The logistic family in ``np.longdouble``: the array-API formulas with NumPy's operations.

The compiled kernels cover float16 to float64; extended precision is rare
enough that the family's stable formulas, evaluated by NumPy in longdouble,
are the right trade (within 8 ULP, see tests/test_api.py). One exception:
the array-API σ''' keeps its relative accuracy next to its zeros with
constants split into two float64 values, which in longdouble carry a
relative error of 2^-54 (about 1000 ULP); here σ''' is its plain expression
from e = exp(-|x|), within a few ULP away from its zeros at |x| = 1.3170.
"""

from __future__ import annotations

import numpy as np

from sigmoid._family import Function


def _sigmoid_derivative3(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    result: np.ndarray = e * ((e - 4) * e + 1) / (1 + e) ** 4
    return result


def evaluate(function: Function, x: np.ndarray) -> np.ndarray:
    """function(x) for a longdouble array; intermediate inf, NaN and underflow are expected."""
    with np.errstate(all="ignore"):
        if function.name == "sigmoid_derivative3":
            y = _sigmoid_derivative3(x)
        else:
            y = function.formula(x, np)
        return np.asarray(y, dtype=x.dtype)
