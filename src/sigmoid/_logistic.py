"""The general logistic curve L σ(k (x - x0)), with parameters that broadcast like x.

The parameters are Python numbers, NumPy scalars or arrays, or arrays of the
library of `x`; they broadcast with `x` and promote its dtype as the
arguments of a ufunc do (a Python number is "weak": float32 x stays float32).
The arithmetic around σ never warns, and its limits are defined:

- k = ±inf is the step function, with σ(0) L = L/2 at x = x0 (where
  k (x - x0) would be inf * 0);
- products that overflow saturate (k (x - x0) = ±inf, so σ is 0 or 1);
- L = ±inf gives ±inf wherever σ(k (x - x0)) > 0, also where σ's value
  underflows to 0 (inf * 0 would be NaN);
- a NaN anywhere gives NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _dispatch, _engine
from ._backends import containers
from ._family import FAMILY
from ._validate import as_float_array, check_out

__all__ = ["logistic"]

_SIGMOID = FAMILY["sigmoid"]


def _parameter(label: str, value: Any) -> Any:
    """A Python number as a float (weak, like a ufunc's scalar argument); arrays as they are."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes | complex):
        raise TypeError(f"{label} must be a real number or array, not {type(value).__name__}")
    if type(value) is int:
        return _engine.int_to_float(value)
    if type(value) is float:
        return value
    if isinstance(value, np.generic | np.ndarray | list | tuple):
        try:
            return as_float_array(value)
        except TypeError as exc:
            raise TypeError(f"{label}: {exc}") from None
    if hasattr(value, "__array_namespace__") or _dispatch.is_array_api(value):
        return value  # an array of x's library: checked with x below
    raise TypeError(f"{label} must be a real number or array, not {type(value).__name__}")


def _curve(x: Any, L: Any, k: Any, x0: Any, xp: Any, sigmoid: Any) -> Any:
    """L σ(k (x - x0)) with the limits of the module docstring, in namespace `xp`."""
    scalar = (float,)
    d = x if (isinstance(x0, scalar) and x0 == 0.0) else x - x0
    t = d if (isinstance(k, scalar) and k == 1.0) else d * k
    if isinstance(k, scalar):
        if math.isinf(k):
            t = xp.where(d == 0, xp.zeros_like(t), t)
    else:
        t = xp.where(xp.isinf(k) & (d == 0), xp.zeros_like(t), t)
    s = sigmoid(t)
    if isinstance(L, scalar):
        if L == 1.0:
            return s
        y = s * L
        if math.isinf(L):  # σ(t) > 0 for t > -inf, even where it rounds to 0
            y = xp.where((s == 0) & (t > -math.inf), xp.full_like(y, L), y)
        return y
    y = s * L
    return xp.where(xp.isinf(L) & (s == 0) & (t > -math.inf), L + xp.zeros_like(y), y)


def _public_sigmoid(t: Any) -> Any:
    return _dispatch.apply(_SIGMOID, t)


def logistic(x: Any, L: Any, k: Any, x0: Any, out: Any) -> Any:
    """The public `sigmoid.logistic`, its parameters already named (see `sigmoid._api`)."""
    L, k, x0 = _parameter("L", L), _parameter("k", k), _parameter("x0", x0)
    params = (L, k, x0)
    python = all(type(p) is float for p in params)
    if python and L == 1.0 and k == 1.0 and x0 == 0.0:
        return _dispatch.apply(_SIGMOID, x, out)  # exactly sigmoid
    route = _dispatch.route_label(x)
    if route == "numpy":
        return _numpy(x, L, k, x0, out, python)
    if out is not None:
        raise TypeError(
            f"out= is supported for NumPy input only, not {type(x).__module__}."
            f"{type(x).__qualname__}; use the returned array instead"
        )
    if route in ("pandas", "xarray"):  # the curve on their data, metadata kept
        handler = containers.pandas if route == "pandas" else containers.xarray
        return handler(lambda _, values: logistic(values, L, k, x0, None), _SIGMOID, x)
    if route == "dask":
        return _dask(x, L, k, x0)
    from array_api_compat import array_namespace

    arrays = [p for p in params if type(p) is not float]
    xp = array_namespace(x, *arrays)
    x = _dispatch.as_floating(x)
    with np.errstate(all="ignore"):  # array_api_strict computes with NumPy
        return _curve(x, L, k, x0, xp, _public_sigmoid)


def _block(x: Any, L: Any, k: Any, x0: Any) -> Any:
    return _numpy(x, L, k, x0, None, False)


def _dask(x: Any, L: Any, k: Any, x0: Any) -> Any:
    """Block by block through the NumPy path (lazy; no warning when computed)."""
    import dask.array as da  # x is a Dask array: dask is imported
    from dask.array.utils import meta_from_array

    arrays = [v if type(v) is float else da.asarray(v) for v in (x, L, k, x0)]  # type: ignore[no-untyped-call]
    shaped = [i for i, v in enumerate(arrays) if type(v) is not float]
    broadcast = da.broadcast_arrays(*(arrays[i] for i in shaped))
    for i, array in zip(shaped, broadcast, strict=True):
        arrays[i] = array
    meta = _block(*(v if type(v) is float else meta_from_array(v) for v in arrays))  # type: ignore[no-untyped-call]
    return da.map_blocks(_block, *arrays, dtype=meta.dtype, meta=meta)  # type: ignore[no-untyped-call]


def _numpy(x: Any, L: Any, k: Any, x0: Any, out: Any, python: bool) -> Any:
    number = type(x) in (float, int) and python  # a Python number in: a Python float out
    arr = np.float64(_engine.int_to_float(x)) if type(x) is int else as_float_array(x)
    if type(x) is float:
        arr = np.float64(x)
    with np.errstate(all="ignore"):  # the limits above, without warnings
        y = np.asarray(_curve(arr, L, k, x0, np, _public_sigmoid))
    if out is not None:
        out = check_out(out)
        try:
            np.copyto(out, y, casting="same_kind")
        except ValueError:
            raise ValueError(
                f"the result of shape {y.shape} does not broadcast to out of shape {out.shape}"
            ) from None
        except TypeError:
            raise TypeError(
                f"cannot write a {y.dtype} result into out of dtype {out.dtype}"
            ) from None
        return out
    if y.ndim == 0:
        return float(y) if number else y[()]
    return y
