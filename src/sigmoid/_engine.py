"""Run one compiled loop over a NumPy array with NumPy ufunc semantics.

`evaluate` takes an already checked floating array and does what a NumPy
ufunc does around its inner loop: picks the loop for the dtype (float16 goes
through the float64 loop and is rounded once; longdouble through NumPy),
makes the data contiguous without copying when it already is (C or Fortran
order), honours ``out=`` (broadcasting to it, casting like ``same_kind``,
in place), returns NumPy scalars for 0-d results, and never emits a
floating-point warning.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from . import _longdouble

_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_F64 = np.dtype(np.float64)


def _loop(name: str, suffix: str) -> Any:
    # Importing _loops imports numba (about a second): only on first use.
    from . import _loops

    return _loops.get_loop(name, suffix)


def _compute(name: str, arr: np.ndarray, dest: np.ndarray | None = None) -> np.ndarray:
    """name(arr) in arr's dtype, into `dest` (C-contiguous, same dtype) or a new array."""
    dtype = arr.dtype
    if dtype == np.longdouble and dtype not in _SUFFIX:
        result = _longdouble.evaluate(name, arr)
    elif dtype not in _SUFFIX:  # float16: one rounding of the float64 result
        with np.errstate(all="ignore"):  # underflow to float16 subnormals is the point
            result = _compute(name, arr.astype(_F64)).astype(dtype)
    else:
        order: Literal["C", "F"] = "C"
        if dest is None:
            if arr.flags.f_contiguous and not arr.flags.c_contiguous:
                order = "F"
            dest = np.empty(arr.shape, dtype=dtype, order=order)
        if arr.size:
            # ravel is a view when arr is contiguous in that order, else one copy.
            _loop(name, _SUFFIX[dtype])(arr.ravel(order=order), dest.ravel(order=order))
        return dest
    if dest is None:
        return result
    dest[...] = result
    return dest


def evaluate(name: str, arr: np.ndarray, out: np.ndarray | None) -> Any:
    """name(arr) with ufunc semantics; `arr` is a floating array, `out` checked."""
    if out is None:
        result = _compute(name, arr)
        return result[()] if result.ndim == 0 else result
    if out.shape != arr.shape:
        try:
            arr = np.broadcast_to(arr, out.shape)
        except ValueError:
            raise ValueError(
                f"input of shape {arr.shape} does not broadcast to out of shape {out.shape}"
            ) from None
    if not np.can_cast(arr.dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"cannot write a {arr.dtype} result into out of dtype {out.dtype}")
    if np.can_cast(arr.dtype, out.dtype, casting="safe"):
        arr = arr.astype(out.dtype, copy=False)  # compute in the wider type, as NumPy does
    direct = out.dtype == arr.dtype and out.flags.c_contiguous and not np.may_share_memory(arr, out)
    if direct:
        _compute(name, arr, out)
    else:  # in place, strided or narrowing: through one temporary
        with np.errstate(all="ignore"):  # narrowing may underflow, by design
            np.copyto(out, _compute(name, arr), casting="same_kind")
    return out
