"""Input checking shared by every public function: what is accepted, what is not."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_float_array", "check_out", "is_floating"]


def is_floating(dtype: np.dtype[Any], /) -> bool:
    """Whether a dtype is one we compute in: NumPy's floats, or bfloat16 (``ml_dtypes``).

    bfloat16 (the dtype of JAX's and many models' arrays) is recognised by
    name, without importing ``ml_dtypes``: whoever holds such an array has it.
    """
    return dtype.kind == "f" or (dtype.kind == "V" and dtype.name == "bfloat16")


def _describe(x: Any) -> str:
    return "None" if x is None else type(x).__name__


def as_float_array(x: Any, /) -> np.ndarray:
    """Return `x` as a NumPy floating array, or raise a `TypeError` naming the problem.

    Floating arrays (bfloat16 included) are returned unchanged (no copy). Integers and booleans
    become float64, as NumPy's float functions promote them. Complex numbers,
    strings, ``None``, objects, dates and structured data are refused.

    Examples
    --------
    >>> as_float_array([1, 2]).dtype
    dtype('float64')
    >>> as_float_array(np.float32(1)).dtype
    dtype('float32')
    >>> as_float_array(10**400)  # a Python int of any size
    array(inf)
    >>> as_float_array(1j)
    Traceback (most recent call last):
    ...
    TypeError: complex input is not supported (got complex); the logistic family is real-valued
    """
    if x is None or isinstance(x, str | bytes):
        raise TypeError(f"input must be a real number or array, not {_describe(x)}")
    if type(x) is int and not -(2**63) <= x < 2**63:  # NumPy would make it an object
        try:
            return np.asarray(float(x))
        except OverflowError:
            return np.asarray(np.inf if x > 0 else -np.inf)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise TypeError(f"cannot convert {_describe(x)} to a numeric array: {exc}") from None
    if is_floating(arr.dtype):
        return arr
    kind = arr.dtype.kind
    if kind in "iub":
        return arr.astype(np.float64)
    what = f"array of dtype {arr.dtype}" if isinstance(x, np.ndarray) else _describe(x)
    if kind == "c":
        raise TypeError(
            f"complex input is not supported (got {what}); the logistic family is real-valued"
        )
    if isinstance(x, list | tuple):
        what = f"{_describe(x)} holding non-numbers"
    raise TypeError(f"input must be real numbers, not {what}")


def check_out(out: Any, /) -> np.ndarray:
    """Check a user-supplied ``out=``: a writeable NumPy array of a floating dtype."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, not {_describe(out)}")
    if not is_floating(out.dtype):
        raise TypeError(f"out must have a floating dtype, not {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    return out
