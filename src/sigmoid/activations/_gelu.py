"""The exact GELU and its derivative on NumPy arrays: the compiled loops, split over threads.

The arithmetic is in `sigmoid.activations._gelu_kernels` (numba, imported on
the first call, never at ``import sigmoid``). float32 and float64 arrays go to
their own loop, which computes in float64; float16 and longdouble are
computed in float64 and rounded once to their dtype. Large arrays are split
over the engine's threads (`sigmoid._engine.run`, as for `sigmoid.sigmoid`,
at its default cost per element); every element is computed on its own, so the result
does not depend on the split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigmoid._engine import run
from sigmoid._validate import as_float_array

__all__ = ["evaluate"]

_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


def evaluate(name: str, x: Any) -> Any:
    """GELU (`name` "gelu") or its derivative ("gelu_derivative") of `x`, in x's dtype.

    A 0-d result is returned as a NumPy scalar, as from a ufunc.

    Examples
    --------
    >>> evaluate("gelu", np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    array([-0.15865526,  0.        ,  0.8413448 ], dtype=float32)
    """
    arr = as_float_array(x)
    work = arr if arr.dtype in _NATIVE else arr.astype(np.float64)
    result = np.empty(work.shape, work.dtype)
    if work.size:
        from sigmoid.activations import _gelu_kernels  # numba: only now

        loop = _gelu_kernels.loop(name, work.dtype)
        run(loop, np.ascontiguousarray(work).reshape(-1), result.reshape(-1))
    result = result.astype(arr.dtype, copy=False)
    return result[()] if result.ndim == 0 else result
